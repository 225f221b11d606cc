"""Item cards: posted as Adaptive Cards, buttons (Action.Execute / Action.Submit) and reactions update them in place."""

from __future__ import annotations

from bot.adapters.teams import cards
from tests.conftest import local
from tests.teams.conftest import STRANGER, TeamsEnv, channel_id
from tests.teams.mock_connector import card_text, verbs

FB = "Konto Facebook"
MONDAY = local(2026, 12, 7, 9, 0)


def new_item(env: TeamsEnv, text: str = "Hur söker jag bygglov för en altan?", account: str = "facebook",
             n: int = 1) -> tuple[int, str]:
    item, _ = env.bot.intake(account, text, author="Eva Svensson", source="facebook", external_id=f"c{n}")
    _, card_id = env.card_of(item["id"])
    return item["id"], card_id


def latest_card(env: TeamsEnv, card_id: str) -> dict:
    return env.connector.activities[card_id]["attachments"][0]["content"]


def test_an_item_card_is_posted_in_the_account_channel(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    post = next(c for c in env.connector.sent(channel_id("konto-facebook")) if c.result_id == card_id)
    cards.validate_card(post.card)
    assert "Hur söker jag bygglov för en altan?" in post.text and "Eva Svensson" in post.text
    assert verbs(post.card)[:2] == ["take", "reassign"]
    assert post.body["summary"].startswith(f"Ärende {item_id}")
    assignment = [t for t in env.connector.texts() if "är ditt" in t]
    assert assignment  # Omar was told in his chat


def test_a_button_updates_the_card_in_place(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    env.connector.clear()
    status, body = env.press("lena@example.se", card_id, "take", str(item_id), channel=FB)
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    assert "Lena" in body["value"] or "ditt" in body["value"]
    assert env.bot.db["items"].get(item_id)["assignee"] == "lena@example.se"
    put = env.connector.updates(card_id)
    assert len(put) == 1 and put[0].conversation == f"{channel_id('konto-facebook')};messageid={card_id}"
    assert "Lena Berg" in card_text(latest_card(env, card_id))
    assert not [c for c in env.connector.sent(channel_id("konto-facebook")) if "Ärende" in c.text
                and c.result_id != card_id and c.card and "take" in verbs(c.card)]  # no second card


def test_first_reply_then_answered_through_the_form(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    env.press("omar@example.se", card_id, "first_reply_sent", str(item_id), channel=FB)
    assert env.bot.db["items"].get(item_id)["status"] == "first_reply_sent"
    env.connector.clear()
    status, body = env.press("omar@example.se", card_id, "answered", str(item_id), channel=FB)
    assert body["value"] == "Fyll i kortet som kom i konversationen."
    form = env.connector.last(channel_id("konto-facebook"))
    assert form.conversation.endswith(f";messageid={card_id}")  # in the card's thread
    assert {e.get("id") for e in form.card["body"]} >= {"answer"}
    assert env.bot.db["items"].get(item_id)["status"] == "first_reply_sent"  # nothing happened yet
    status, body = env.press("omar@example.se", form.result_id, "answered", str(item_id), channel=FB, form="1",
                             answer="Du söker bygglov i e-tjänsten på ekby.se.")
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "är besvarat" in card_text(body["value"])
    item = env.bot.db["items"].get(item_id)
    assert item["status"] == "answered" and item["answer"] == "Du söker bygglov i e-tjänsten på ekby.se."
    assert env.connector.updates(form.result_id)  # the form is replaced for everyone
    assert verbs(latest_card(env, card_id)) == []  # the answered card has no buttons left


def test_reassign_needs_a_colleague_and_a_reason(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    env.press("omar@example.se", card_id, "reassign", str(item_id), channel=FB)
    form = env.connector.last(channel_id("konto-facebook"))
    colleague = next(e for e in form.card["body"] if e.get("id") == "colleague")
    assert {"value": "maria@example.se", "title": "Maria Ek (avfallssamordnare)"} in colleague["choices"]
    status, body = env.press("omar@example.se", form.result_id, "reassign", str(item_id), channel=FB, form="1",
                             colleague="maria@example.se", reason="")
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    error = body["value"]["body"][0]
    assert error["color"] == "attention" and "orsak" in error["text"].lower()
    assert env.bot.db["items"].get(item_id)["assignee"] == "omar@example.se"  # nothing changed
    assert not env.connector.updates(form.result_id)  # the refusal is shown only to the one who pressed
    status, body = env.press("omar@example.se", form.result_id, "reassign", str(item_id), channel=FB, form="1",
                             colleague="maria@example.se", reason="Maria har hand om altaner")
    assert env.bot.db["items"].get(item_id)["assignee"] == "maria@example.se"
    assert "Maria Ek" in card_text(latest_card(env, card_id))


def test_cancel_closes_the_form_and_changes_nothing(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    env.press("omar@example.se", card_id, "no_reply", str(item_id), channel=FB)
    form = env.connector.last(channel_id("konto-facebook"))
    status, body = env.press("omar@example.se", form.result_id, "cancel", str(item_id), channel=FB)
    assert card_text(body["value"]) == "Avbrutet. Inget har ändrats."
    assert env.bot.db["items"].get(item_id)["status"] == "open"


def test_removal_by_button_asks_for_the_ground_from_the_policy(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env, "Bibliotekarien är en idiot och borde sparkas", account="bibliotek")
    env.press("ida@example.se", card_id, "remove", str(item_id), channel="Konto Bibliotek")
    form = env.connector.last(channel_id("konto-bibliotek"))
    ground = next(e for e in form.card["body"] if e.get("id") == "ground")
    assert ground["type"] == "Input.ChoiceSet" and ground.get("value")  # the suggestion is preselected
    _, body = env.press("ida@example.se", form.result_id, "remove", str(item_id), channel="Konto Bibliotek",
                        form="1", ground="")
    assert body["value"]["body"][0]["text"] == "Fyll i det här."  # no ground picked: asked again
    assert env.bot.db.execute("SELECT COUNT(*) FROM removals").fetchone()[0] == 0
    env.press("ida@example.se", form.result_id, "remove", str(item_id), channel="Konto Bibliotek", form="1",
              ground=ground["value"], note="Personangrepp")
    removal = env.bot.db["removals"].get(1)
    assert removal["item_id"] == item_id and removal["ground"] == ground["value"]


def test_someone_without_the_right_gets_the_refusal_and_no_form(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env, "Bibliotekarien är en idiot", account="bibliotek")
    env.connector.clear()
    status, body = env.press("omar@example.se", card_id, "remove", str(item_id), channel="Konto Bibliotek")
    assert body["type"] == "application/vnd.microsoft.activity.message" and "Ekby bibliotek" in body["value"]
    assert not env.connector.sent()


def test_a_stranger_pressing_a_button_changes_nothing(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    status, body = env.press(STRANGER, card_id, "take", str(item_id), channel=FB)
    assert body["value"].startswith("Du finns inte bland personerna")
    assert env.bot.db["items"].get(item_id)["assignee"] == "omar@example.se"


def test_action_submit_from_older_clients_works_too(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    env.connector.clear()
    activity = env.activity("message", "lena@example.se", channel=FB, thread=card_id, replyToId=card_id,
                            value={"uppsikt": "take", "value": str(item_id)})
    status, _ = env.post(activity)
    assert status == 202
    assert env.bot.db["items"].get(item_id)["assignee"] == "lena@example.se"
    assert env.connector.updates(card_id)
    assert any("Lena" in t or "ditt" in t for t in env.connector.texts(channel_id("konto-facebook")))


def test_oversight_done_button_on_the_prompt_is_answered_in_public(teams):
    env = teams(local(2026, 12, 7, 8, 0))
    env.at(local(2026, 12, 7, 8, 31))
    prompt = next(c for c in env.connector.sent(channel_id("konto-facebook")) if "oversight_done" in verbs(c.card))
    status, body = env.press("lena@example.se", prompt, "oversight_done", "facebook", channel=FB)
    assert "Tillsynen av Ekby kommun (Facebook) är loggad kl. 08:31" in body["value"]
    assert env.connector.last(channel_id("konto-facebook")).text.startswith("Tack!")  # public, in the thread


def test_reactions_take_and_escalate(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    status, _ = env.react("lena@example.se", card_id, "like", channel=FB)
    assert status == 202 and env.bot.db["items"].get(item_id)["assignee"] == "lena@example.se"
    assert env.connector.updates(card_id)
    env.connector.clear()
    env.react("karin@example.se", card_id, "surprised", channel=FB)
    assert env.bot.db["items"].get(item_id)["crisis"] == 1
    alert = env.connector.last(channel_id("krisgruppen"))
    assert f"Möjlig kris på Ekby kommun (Facebook), ärende {item_id}" in alert.text
    assert {e["mentioned"]["id"] for e in alert.card["msteams"]["entities"]} >= {"aad-lena", "aad-karin"}
    assert env.connector.last(channel_id("konto-facebook")).text == f"Ärende {item_id} är skickat till krisgruppen."


def test_an_angry_reaction_asks_for_the_removal_ground(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env, "Bibliotekarien är en idiot", account="bibliotek")
    env.connector.clear()
    env.react("ida@example.se", card_id, "angry", channel="Konto Bibliotek")
    form = env.connector.last(channel_id("konto-bibliotek"))
    assert form.conversation.endswith(f";messageid={card_id}")
    assert any(e.get("id") == "ground" for e in form.card["body"])


def test_newer_emoji_reactions_and_unmapped_ones(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    env.react("lena@example.se", card_id, "laugh", channel=FB)  # means nothing to Uppsikt
    assert env.bot.db["items"].get(item_id)["assignee"] == "omar@example.se"
    env.react("lena@example.se", card_id, "1f44d_thumbsup", channel=FB)
    assert env.bot.db["items"].get(item_id)["assignee"] == "lena@example.se"


def test_a_reaction_by_a_stranger_or_on_another_message_changes_nothing(teams):
    env = teams(MONDAY)
    item_id, card_id = new_item(env)
    env.react(STRANGER, card_id, "like", channel=FB)
    assert env.bot.db["items"].get(item_id)["assignee"] == "omar@example.se"
    assert env.connector.last(channel_id("konto-facebook")).text.startswith("Du finns inte bland personerna")
    env.connector.clear()
    env.react("lena@example.se", "424242", "like", channel=FB)
    assert env.bot.db["items"].get(item_id)["assignee"] == "omar@example.se" and not env.connector.sent()
