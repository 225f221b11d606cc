"""Block Kit rendering: every message the core produces renders to a payload slack_sdk accepts."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot import simulate
from bot.adapters.slack.blocks import (
    ELLIPSIS, ephemeral_blocks, escape, fallback_text, render, slack_len, truncate, validate_blocks,
)
from bot.adapters.slack.ids import ActionId
from bot.bootstrap import DIGEST_KINDS
from bot.messages import Action, Message
from bot.settings import load_settings
from tests.conftest import REPO, Harness, local
from bot.core.platform import WRITE_KIND
from tests.meta.conftest import channel_health_messages, write_back_messages
from tests.slack.conftest import example_users

CORE = REPO / "bot" / "core"
KIND_RE = re.compile(r'kind="(\w+)"(?:\s+if\s+\w+\s+else\s+"(\w+)")?')


def core_kinds() -> set[str]:
    """Every Message kind literally named in bot/core (plus the outbox's digest)."""
    kinds = {"digest"}
    for path in CORE.glob("*.py"):
        for match in KIND_RE.finditer(path.read_text(encoding="utf-8")):
            kinds.update(k for k in match.groups() if k)
    return kinds - {WRITE_KIND}  # a platform write goes to the Meta port, never to a chat (issue 11)


def lifecycle_messages(settings) -> list[Message]:
    """Account requests, approval, rejection, closing, absences and a threat, then eight months of ticks."""
    h = Harness(settings, local(2026, 12, 7, 9, 0))
    request = ('/konto ansök id={id} plattform=facebook namn="Ekby {id}" enhet=samhallsbyggnad kanal=konto-{id} '
               "ansvarig=omar@example.se redaktörer=maria@example.se ersättare=maria@example.se "
               'syfte="Svara på frågor om bygglov." målgrupp="Invånare som vill bygga." '
               'innehåll="Tips om bygglov." uppdateras="varje vecka" kontakt=bygglov@example.se '
               "url=https://www.facebook.com/ekby{id}")
    for line in (("omar@example.se", request.format(id="bygglov")), ("gustav@example.se", "/konto godkänn 1"),
                 ("lena@example.se", "/konto godkänn 1"), ("omar@example.se", request.format(id="strand"))):
        assert h.bot.command(*line).ok, line
    assert h.bot.action("lena@example.se", "account_reject", "2", reason="Dubblett").ok
    assert h.bot.command("per@example.se", "/konto stäng instagram Kontot används inte längre").ok
    for person in settings.accounts["bibliotek"].staff:
        assert h.bot.command(person, "/franvaro 2026-12-10 2026-12-11 ersattare=maria@example.se").ok
    h.bot.intake("facebook", "Jag ska döda er alla, ni kommer att brinna", author="Troll")
    h.run_until(local(2027, 8, 1, 9, 0))
    return [m for _, m in h.chat.sent]


def platform_messages(settings) -> list[Message]:
    """A Facebook page's comment, its edit and removal, and a delivery for a page no account has."""
    from bot.facade import PlatformEvent

    h = Harness(settings, local(2026, 12, 7, 10, 0))
    page = "100000000000001"
    comment = dict(entry_id=page, source="facebook", external_id="1_2", kind="comment", author="Anna")
    for event in (PlatformEvent(action="add", text="När öppnar simhallen?", **comment),
                  PlatformEvent(action="edit", text="När öppnar simhallen igen?", edit_key="e1", **comment),
                  PlatformEvent(action="remove", **comment)):
        h.bot.platform_delivery("page", [page], [event])
    h.bot.platform_delivery("page", ["999"], [])
    return [m for _, m in h.chat.sent]


def duty_messages(settings, folder) -> list[Message]:
    """A colleague removed from the config while holding an item, and one item whose tick work fails."""
    db = folder / "duty.db"
    h = Harness(settings, local(2026, 12, 7, 9, 0), db=str(db))
    item, _ = h.bot.intake("facebook", "Behöver jag bygglov för ett attefallshus?", source="facebook", external_id="d1")
    h.bot.db.close()
    text = settings.path.read_text(encoding="utf-8")
    start = text.index('[[person]]\nemail = "omar@example.se"')
    path = folder / "without-omar.toml"
    path.write_text(text[:start] + text[text.index("[[person]]", start + 1):], encoding="utf-8")
    after = Harness(load_settings(path), local(2026, 12, 7, 9, 5), db=str(db))
    after.bot.db.execute(  # a damaged row: its reminder fails, alone
        "UPDATE items SET status = 'forwarded', first_reply_at = NULL, full_answer_due = 1, next_nudge_at = 1 "
        "WHERE id = ?", [item["id"]])
    after.run_until(local(2026, 12, 7, 10, 0))
    return [m for _, m in after.chat.sent]


def snapshot_messages(settings, folder) -> list[Message]:
    """Issue 12: an archived account's snapshot is made at a major change, and its responsible person told."""
    from bot.facade import PlatformEvent

    h = Harness(settings, local(2026, 12, 7, 10, 0), db=str(folder / "snapshots.db"))
    h.bot.platform_delivery("page", ["100000000000001"], [PlatformEvent(
        entry_id="100000000000001", action="add", source="facebook", external_id="p1", kind="post", own=True,
        text="Simhallen öppnar på måndag.")])
    assert h.bot.command("per@example.se", "/snapshot ändring facebook Nytt namn").ok
    h.bot.flush()
    return [m for _, m in h.chat.sent]


@pytest.fixture(scope="module")
def produced(settings, tmp_path_factory) -> list[Message]:
    """Every message of every shipped scenario, the lifecycle run, and digests built from their reminders."""
    messages: list[Message] = []
    bot = None
    for path in sorted((REPO / "config" / "scenarios").glob("*.toml")):
        records, bot = simulate.run(settings, simulate.load_scenario(path))
        messages += [r.message for r in records]
    messages += lifecycle_messages(settings)
    messages += platform_messages(settings)
    messages += write_back_messages(settings)  # issue 11: replies, hides, deletes, blocks, token alerts
    messages += channel_health_messages(settings)  # issue 12: alarms, warnings, repairs, late cards
    messages += duty_messages(settings, tmp_path_factory.mktemp("duty"))
    messages += snapshot_messages(settings, tmp_path_factory.mktemp("snapshots"))
    by_person: dict[str, list[Message]] = defaultdict(list)
    for m in messages:
        if m.kind in DIGEST_KINDS and not m.to_channel:
            by_person[m.to].append(m)
    assert bot is not None
    for target, reminders in by_person.items():
        messages.append(bot.outbox._digest(target, reminders[:3]))
        messages.append(bot.outbox._digest(target, reminders))
    return messages


@pytest.fixture(scope="module")
def user_ids(settings) -> dict[str, str]:
    return example_users(settings)


def assert_valid(blocks: list[dict]) -> None:
    validate_blocks(blocks)
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        assert block.to_dict() == raw  # nothing we send is silently dropped by slack_sdk's model


def test_every_kind_the_core_produces_is_covered(produced):
    missing = core_kinds() - {m.kind for m in produced}
    assert not missing, f"add a scenario step that produces {sorted(missing)}"


def test_every_produced_message_renders_to_valid_block_kit(produced, user_ids):
    kinds = set()
    for message in produced:
        text, blocks = render(message, user_ids=user_ids)
        assert text.strip() and slack_len(text) <= 4000
        assert_valid(blocks)
        kinds.add(message.kind)
    assert {"item", "item_updated", "assignment", "nudge", "digest", "oversight_prompt", "crisis_on",
            "account_request"} <= kinds


def test_buttons_carry_the_core_action_and_value(produced, user_ids):
    message = next(m for m in produced if m.kind == "item" and len(m.actions) >= 6)
    _, blocks = render(message, user_ids=user_ids)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (ActionId.for_core(a.name).value, a.value, a.label) for a in message.actions]
    styles = {b["action_id"]: b.get("style") for b in buttons}
    assert styles[ActionId.ANSWERED] == "primary" and styles[ActionId.TAKE] is None
    assert styles[ActionId.REMOVE] == "danger" and styles[ActionId.CRISIS] == "danger"


def test_card_messages_get_a_context_block_with_the_kind(produced, user_ids):
    card = next(m for m in produced if m.card)
    _, blocks = render(card, user_ids=user_ids)
    assert blocks[-1]["type"] == "context" and card.kind in blocks[-1]["elements"][0]["text"]
    plain = next(m for m in produced if not m.card and m.kind == "oversight_prompt")
    assert all(b["type"] != "context" for b in render(plain, user_ids=user_ids)[1])


def test_mentions_become_user_mentions_and_unknown_ones_stay_plain(user_ids):
    message = Message(kind="oversight_prompt", to="#konto-facebook", text="Dags för tillsyn.",
                      mentions=("lena@example.se", "ny@example.se"))
    text, blocks = render(message, user_ids=user_ids)
    assert text.startswith(f"<@{user_ids['lena@example.se']}> ny@example.se\n")
    assert blocks[0]["text"]["text"].startswith("<@U07LENA> ny@example.se")
    via_function = render(message, user_ids=lambda email: user_ids.get(email))
    assert via_function == (text, blocks)


@pytest.mark.parametrize("evil", ["<!channel> kom hit", "<!here>", "<@U07LENA> du", "<!subteam^S123>",
                                  "@channel @here @everyone", "<https://evil.example|Klicka>", "a & b > c"])
def test_citizen_text_never_creates_mentions_or_links(evil, user_ids):
    message = Message(kind="item", to="#konto-facebook", text=f"Ärende 1: {evil}", card="item:1",
                      fields=(("Skribent", evil),), actions=(Action("take", evil, "1"),))
    text, blocks = render(message, user_ids=user_ids)
    mrkdwn_texts = [text] + [o["text"] for o in _text_objects(blocks) if o["type"] == "mrkdwn"]
    for t in mrkdwn_texts:
        assert "<" not in t and ">" not in t.replace("&gt;", "")
        assert not re.search(r"@(here|channel|everyone)\b", t)
    assert all(o.get("verbatim") for o in _text_objects(blocks) if o["type"] == "mrkdwn")
    assert_valid(blocks)


def _text_objects(blocks: list[dict]) -> list[dict]:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"])
        out += b.get("fields", [])
        out += [e for e in b.get("elements", []) if e.get("type") in ("mrkdwn", "plain_text")]
        out += [e["text"] for e in b.get("elements", []) if e.get("type") == "button"]
    return out


def test_long_texts_are_cut_at_slacks_limits_with_an_ellipsis():
    long_line = "x" * 5000
    _, blocks = render(Message(kind="nudge", to="a@example.se", text=long_line), user_ids={})
    assert len(blocks) == 1 and slack_len(blocks[0]["text"]["text"]) == 3000
    assert blocks[0]["text"]["text"].endswith(ELLIPSIS)
    many_lines = "\n".join(f"• rad {i} " + "y" * 90 for i in range(200))
    _, blocks = render(Message(kind="digest", to="a@example.se", text=many_lines), user_ids={})
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == 3 and all(slack_len(b["text"]["text"]) <= 3000 for b in sections)
    assert sections[0]["text"]["text"].startswith("• rad 0 ") and sections[-1]["text"]["text"].endswith(ELLIPSIS)
    assert_valid(blocks)


def test_truncation_counts_emoji_as_slack_does_and_never_splits_an_entity():
    emoji = truncate(escape("😀" * 2000), 3000)
    assert slack_len(emoji) <= 3000 and emoji.endswith(ELLIPSIS)
    cut = truncate(escape("&" * 1000), 3000)
    assert cut.endswith("&amp;" + ELLIPSIS) and slack_len(cut) <= 3000


def test_fields_are_split_ten_per_section_and_each_cut_to_2000():
    fields = tuple((f"Fält {i}", "v" * 2500) for i in range(23))
    _, blocks = render(Message(kind="item", to="#x", text="t", fields=fields), user_ids={})
    sections = [b for b in blocks if "fields" in b]
    assert [len(b["fields"]) for b in sections] == [10, 10, 3]
    assert all(slack_len(f["text"]) <= 2000 and f["text"].endswith(ELLIPSIS) for b in sections for f in b["fields"])
    assert_valid(blocks)


def test_buttons_respect_text_value_and_uniqueness_limits():
    names = ["take", "answered", "remove", "crisis", "no_reply"]
    actions = tuple(Action(n, "L" * 80, str(item)) for item in range(1, 8) for n in names)
    _, blocks = render(Message(kind="digest", to="a@example.se", text="t", actions=actions), user_ids={})
    groups = [b["elements"] for b in blocks if b["type"] == "actions"]
    assert sum(len(g) for g in groups) == len(actions)
    for group in groups:
        ids = [e["action_id"] for e in group]
        assert len(group) <= 25 and len(ids) == len(set(ids))
        assert all(slack_len(e["text"]["text"]) <= 75 for e in group)
    assert_valid(blocks)
    one = render(Message(kind="item", to="#x", text="t", actions=(Action("take", "Ta", "v" * 2500),)), user_ids={})
    assert len(one[1][1]["elements"][0]["value"]) == 2000


def test_digest_buttons_for_several_items_name_the_item():
    message = Message(kind="digest", to="a@example.se", text="Du har 2 påminnelser",
                      actions=(Action("answered", "Besvarad", "3"), Action("answered", "Besvarad", "4")))
    _, blocks = render(message, user_ids={})
    labels = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["Besvarad (3)", "Besvarad (4)"]


def test_ephemeral_blocks_for_command_replies(settings):
    h = Harness(settings, local(2026, 12, 7, 9, 0))
    for text in ("/uppsikt hjälp", "/kris hjälp", "/franvaro hjälp", "/konto hjälp", "/fraga hjälp", "/rapport"):
        reply = h.bot.command("lena@example.se", text)
        blocks = ephemeral_blocks(reply.text)
        assert_valid(blocks)
        assert fallback_text(reply.text).strip()
    assert ephemeral_blocks("<!channel>")[0]["text"]["text"] == "&lt;!channel&gt;"
    assert_valid(ephemeral_blocks(""))


PLAIN_X = {"type": "plain_text", "text": "x"}


@pytest.mark.parametrize("bad", [
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
    [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
    [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
    [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": PLAIN_X}] * 2}],
    [{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                       "text": {"type": "plain_text", "text": "x" * 76}}]}],
    [{"type": "divider"}] * 51,
    [{"type": "no_such_block"}],
])
def test_the_validator_catches_what_slack_would_refuse(bad):
    with pytest.raises(SlackObjectFormationError):
        validate_blocks(bad)
