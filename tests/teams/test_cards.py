"""Message -> Adaptive Card: the shape Teams accepts, citizen text kept inert, buttons that carry the core action."""

from __future__ import annotations

import json

import pytest

from bot.adapters.teams import cards
from bot.adapters.teams.chat import teams_spelling
from bot.core import items
from bot.messages import Action, Message
from tests.conftest import local


def runs(card: dict) -> list[str]:
    return ["".join(r["text"] for r in e["inlines"]) for e in card["body"] if e["type"] == "RichTextBlock"]


def buttons(card: dict) -> list[dict]:
    return [a for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]


def test_an_item_card_has_text_facts_and_execute_buttons(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    item, _ = h.bot.intake("facebook", "Hur söker jag bygglov för en altan?", author="Eva", source="facebook",
                           external_id="c1")
    message = items.card(h.ctx, items.get(h.ctx, item["id"]), new=True)
    card = cards.render(message)
    cards.validate_card(card)
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    assert "Hur söker jag bygglov för en altan?" in runs(card)[0]
    facts = next(e for e in card["body"] if e["type"] == "FactSet")["facts"]
    assert {"title": "Status", "value": "väntar på första svar"} in facts
    names = [b["data"]["uppsikt"] for b in buttons(card)]
    assert names == ["take", "reassign", "first_reply_sent", "forwarded", "answered", "no_reply", "remove", "crisis"]
    assert all(b["type"] == "Action.Execute" and b["verb"] == b["data"]["uppsikt"] for b in buttons(card))
    assert all(b["data"]["value"] == str(item["id"]) for b in buttons(card))
    sets = [e for e in card["body"] if e["type"] == "ActionSet"]
    assert [len(s["actions"]) for s in sets] == [5, 3]  # never more than five buttons in a row
    styles = {b["data"]["uppsikt"]: b.get("style") for b in buttons(card)}
    assert styles["answered"] == "positive" and styles["remove"] == "destructive"


def test_citizen_text_can_never_become_markdown_a_link_or_a_mention():
    hostile = "Klicka [här](https://evil.example) **nu** <at>Lena Berg</at> _x_ `kod`"
    message = Message(kind="item", to="#konto-facebook", text=hostile, fields=(("Författare", "[Eva](http://x)"),),
                      card="item:1")
    card = cards.render(message)
    cards.validate_card(card)
    assert runs(card) == [hostile]  # a TextRun is plain text, shown as written
    assert "entities" not in card["msteams"]  # no mention was made from the citizen's <at>
    fact = next(e for e in card["body"] if e["type"] == "FactSet")["facts"][0]
    assert fact["value"] == r"\[Eva\](http://x)"


def test_mentions_are_at_tags_with_entities_and_unknown_people_plain_names():
    message = Message(kind="oversight_prompt", to="#konto-facebook", text="Dags för tillsyn.",
                      mentions=("lena@example.se", "per@example.se"))
    card = cards.render(message, mentions=[("Lena Berg", "aad-lena"), ("Per Holm", None)])
    cards.validate_card(card)
    assert card["body"][0] == {"type": "TextBlock", "text": "<at>Lena Berg</at> Per Holm", "wrap": True}
    assert card["msteams"]["entities"] == [
        {"type": "mention", "text": "<at>Lena Berg</at>", "mentioned": {"id": "aad-lena", "name": "Lena Berg"}}]


def test_a_digest_shows_which_item_each_repeated_button_is_for():
    actions = tuple(Action(name, label, str(i)) for i in (3, 4) for name, label in
                    (("first_reply_sent", "Första svar skickat"), ("answered", "Besvarad")))
    card = cards.render(Message(kind="digest", to="omar@example.se", text="Du har 2 påminnelser:\n• a\n• b",
                                actions=actions))
    cards.validate_card(card)
    assert [b["title"] for b in buttons(card)] == [
        "Första svar skickat (3)", "Besvarad (3)", "Första svar skickat (4)", "Besvarad (4)"]
    assert runs(card) == ["Du har 2 påminnelser:", "• a", "• b"]


def test_long_text_is_cut_within_teams_limits():
    text = "\n".join(f"rad {i} " + "x" * 3000 for i in range(100))
    card = cards.render(Message(kind="digest", to="a@example.se", text=text, actions=(Action("take", "Ta", "1"),)))
    cards.validate_card(card)
    assert len(json.dumps(card).encode()) < 28_000
    assert runs(card)[-1] == cards.ELLIPSIS


@pytest.mark.parametrize("name", sorted(cards.FORM_ACTIONS))
def test_every_form_is_a_valid_card_with_inputs_submit_and_cancel(harness, name):
    h = harness(local(2026, 12, 7, 9, 0))
    form = cards.form_card(h.ctx, name, "12", choices=[("hate", "Hets"), ("personal_data", "Personuppgifter")],
                           people=[("omar@example.se", "Omar Haddad")], suggested="personal_data")
    cards.validate_card(form)
    submit, cancel = buttons(form)
    assert submit["data"] == {"uppsikt": name, "value": "12", "form": "1"}
    assert cancel["data"]["uppsikt"] == cards.CANCEL and cancel["associatedInputs"] == "none"
    inputs = {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}
    expected = {"reassign": {"colleague", "reason"}, "no_reply": {"reason"}, "answered": {"answer"},
                "remove": {"ground", "note"}, "account_reject": {"reason"}, "reply": {"template", "answer"}}[name]
    assert set(inputs) == expected
    if name == "remove":
        assert inputs["ground"]["value"] == "personal_data"  # the classifier's suggestion is preselected
        assert [c["value"] for c in inputs["ground"]["choices"]] == ["hate", "personal_data"]
    if name == "answered":
        assert inputs["answer"]["isRequired"] is False


def test_a_refused_form_comes_back_with_the_error_and_what_was_typed(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    form = cards.form_card(h.ctx, "reassign", "7", people=[("omar@example.se", "Omar Haddad")],
                           values={"colleague": "omar@example.se", "reason": "semester"}, error="Fel *kollega*")
    cards.validate_card(form)
    assert form["body"][0]["color"] == "attention" and form["body"][0]["text"] == r"Fel \*kollega\*"
    inputs = {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}
    assert inputs["colleague"]["value"] == "omar@example.se" and inputs["reason"]["value"] == "semester"


def test_the_core_texts_are_shown_with_commands_as_typed_in_teams():
    assert teams_spelling("Skriv /frånvaro hjälp eller /uppsikt klart.") == \
        "Skriv frånvaro hjälp eller uppsikt klart."
    assert teams_spelling("https://www.facebook.com/uppsikt och a/b") == "https://www.facebook.com/uppsikt och a/b"


def test_validate_card_refuses_what_teams_would_refuse():
    with pytest.raises(ValueError):
        cards.validate_card({"type": "AdaptiveCard", "version": "1.5", "body": [
            {"type": "ActionSet", "actions": [{"type": "Action.Submit", "title": "x"}]}]})
    with pytest.raises(ValueError):
        cards.validate_card({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Image"}]})
    with pytest.raises(ValueError):
        cards.validate_card(cards.card([{"type": "TextBlock", "text": "hej"}], entities=[
            {"type": "mention", "text": "<at>X</at>", "mentioned": {"id": "1"}}]))


def test_an_image_attachment_becomes_an_image_in_the_card_with_its_alt_text():
    from bot.messages import Attachment

    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 160  # about 41 KB: bigger than a card may be as text
    message = Message(kind="monthly_report", to="#kommunikation", text="Månadsrapport för tillsynen, november 2026.",
                      fields=(("Missade vaktdagar", "3"),),
                      attachments=(Attachment.of("s.png", "image/png", png, alt="Diagram: Facebook 90 %"),
                                   Attachment.of("r.html", "text/html", b"<html></html>")))
    assert cards.needs_card(message)
    card = cards.render(message)
    cards.validate_card(card)  # base64 images do not count towards Teams' size limit
    images = [e for e in card["body"] if e["type"] == "Image"]
    assert len(images) == 1  # the HTML is no image
    assert images[0]["url"] == "data:image/png;base64," + message.attachments[0].data
    assert images[0]["altText"] == "Diagram: Facebook 90 %"
    kinds = [e["type"] for e in card["body"]]
    assert kinds.index("Image") < kinds.index("FactSet")
    with pytest.raises(ValueError, match="Image"):
        cards.validate_card(card | {"body": [{"type": "Image", "url": "http://x/y.png", "altText": "x"}]})
    with pytest.raises(ValueError, match="Image"):
        cards.validate_card(card | {"body": [dict(images[0], altText="")]})
    big_text = Message(kind="k", to="#c", text="x" * 7000, fields=tuple((f"f{i}", "y" * 900) for i in range(30)))
    with pytest.raises(ValueError, match="28 KB"):
        cards.validate_card(cards.render(big_text))
