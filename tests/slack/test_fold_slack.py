"""Issue 16 point 11 in Slack: a bundle of new items (made by the outbox while a channel is backed up by Slack's
rate limit) as Block Kit within Slack's limits, each item with a menu of its card's actions; a bundled item's
first update posts its own card and never touches the bundle; a reaction on a bundle is explained, not guessed."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from bot.adapters.console import ConsoleChat
from bot.adapters.slack.blocks import (BUNDLE_BLOCK, FALLBACK_TEXT_MAX, MAX_BLOCKS, ELLIPSIS, escape, render,
                                       validate_blocks)
from bot.adapters.slack.chat import SlackChat
from bot.adapters.slack.ids import UiId
from bot.adapters.teams import cards as teams_cards
from bot.clock import FakeClock
from bot.core import items as core_items
from bot.messages import SHOW_CARD, Action, BundleEntry, Message
from bot.store.db import open_db
from tests.conftest import Harness, local
from tests.slack.signing import APP_ID, response_urls, slack  # noqa: F401
from tests.slack.mock_web_api import BOT_ID, TEAM_ID
from tests.unit.test_outbox_fold import CHANNEL, Throttled, emit

START = local(2026, 12, 7, 9, 0)
HOSTILE = "Hej <@U01LENA> & <!channel> @here 😀 *fet* när öppnar <https://x.se|återvinningen>? " * 3


def bundles_made_by_the_outbox(settings, text: str = HOSTILE) -> tuple[Harness, list[Message]]:
    """Real bundles: real cards (from the core's `card`) queued for a channel at Slack's limit."""
    h = Harness(settings, START)
    h.bot.flush()
    chat = h.bot.chat = Throttled(h.clock)
    with h.bot.lock, h.bot.db.atomic():
        made = [core_items.intake(h.ctx, "instagram", f"{n}: {text}", author=f"Anna & <Bo> {n}" * 3,
                                  source="test", external_id=str(n))[0] for n in range(150)]
    h.bot.flush()
    h.run_until(h.clock.now() + dt.timedelta(seconds=300))
    bundles = [m for m in chat.to(CHANNEL) if m.kind == "bundle"]
    assert bundles and sorted(e.item for b in bundles for e in b.entries) == sorted(
        set(e.item for b in bundles for e in b.entries))
    assert len(made) == 150
    return h, bundles


def test_a_bundle_is_valid_block_kit_within_slacks_limits(settings):
    _, bundles = bundles_made_by_the_outbox(settings)
    for bundle in bundles:
        text, blocks = render(bundle, user_ids={})
        validate_blocks(blocks)  # slack_sdk's validators and the limits it does not check
        assert len(blocks) <= MAX_BLOCKS and len(text) <= FALLBACK_TEXT_MAX and not text.endswith(ELLIPSIS)
        sections = [b for b in blocks if b.get("block_id", "").startswith(BUNDLE_BLOCK)]
        assert [int(b["block_id"].removeprefix(BUNDLE_BLOCK)) for b in sections] == [e.item for e in bundle.entries]
        for block, entry in zip(sections, bundle.entries):
            assert block["text"]["text"] == escape(entry.text)  # the whole line, escaped: nothing cut off
            assert "<@" not in block["text"]["text"] and "<!channel>" not in block["text"]["text"]
            menu = block["accessory"]
            assert menu["type"] == "overflow" and menu["action_id"] == UiId.BUNDLE_ITEM
            values = [o["value"] for o in menu["options"]]
            assert 1 < len(values) <= 5 and values[-1] == f"{SHOW_CARD}:{entry.item}"
            names = [a.name for a in entry.actions if a.name != SHOW_CARD]
            preferred = [n for n in ("take", "answered", "forwarded", "no_reply") if n in names]
            expected = (preferred + [n for n in names if n not in preferred])[:4]
            assert values[:-1] == [f"{n}:{entry.item}" for n in expected] and "take" in names
        assert "<!channel>" not in text and "<@U01LENA>" not in text


def test_a_bundle_of_the_most_items_and_longest_lines_still_fits():
    actions = tuple(Action(n, "x" * 200, "12345") for n in ("take", "answered", "forwarded", "no_reply", "remove"))
    entries = tuple(BundleEntry(10000 + i, "&<>" * 1000, (*actions, Action(SHOW_CARD, "Visa hela kortet", str(i))))
                    for i in range(60))
    bundle = Message(kind="bundle", to=CHANNEL, text="\n".join(["Rubrik"] + [e.text for e in entries]),
                     entries=entries, card="bundle:1")
    text, blocks = render(bundle, user_ids={})
    validate_blocks(blocks)
    assert len(text) <= FALLBACK_TEXT_MAX and all(str(e.item) in text for e in entries[:MAX_BLOCKS - 2])


# --------------------------------------------------------------------------- the port: updates of bundled items


@pytest.fixture
def chat(slack_client):
    return SlackChat(slack_client, open_db(None), FakeClock(START))


def bundle_of(*numbers: int) -> Message:
    entries = tuple(BundleEntry(n, f"Ärende {n} · Anna: ”Hej”", (Action("take", "Jag tar den", str(n)),))
                    for n in numbers)
    return Message(kind="bundle", to="#konto-facebook", text="\n".join(["2 nya ärenden"] + [e.text for e in entries]),
                   account="facebook", entries=entries, card=f"bundle:{numbers[0]}")


def test_a_bundled_items_first_update_posts_its_own_card_and_never_touches_the_bundle(chat, slack_api):
    fb = slack_api.channels["konto-facebook"]
    chat.send(bundle_of(5, 6))
    [bundle] = slack_api.posted(fb)
    assert chat.card_at(fb, bundle["ts"]) == "bundle:5"
    assert chat.card_ref("item:5") is None and chat.card_ref("item:6") is None  # no item points at the bundle
    chat.send(Message(kind="item_updated", to="#konto-facebook", text="Ärende 5: Hej (tagen av Per)", item=5,
                      card="item:5"))
    assert slack_api.calls_to("chat.update") == []  # the bundle is not edited into item 5's card
    own = slack_api.posted(fb)[-1]
    assert own["ts"] != bundle["ts"] and chat.card_ref("item:5") == (fb, own["ts"])
    chat.send(Message(kind="item_updated", to="#konto-facebook", text="Ärende 5: Hej (besvarad)", item=5,
                      card="item:5"))
    [update] = slack_api.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (fb, own["ts"])  # its own card, in place
    assert slack_api.messages[(fb, bundle["ts"])]["text"] == bundle["text"]  # the bundle as it was
    assert len(slack_api.posted(fb)) == 2
    assert chat.card_at(fb, bundle["ts"]) == "bundle:5" and chat.card_at(fb, own["ts"]) == "item:5"


def test_a_note_about_a_bundled_item_goes_to_the_channel_until_the_item_has_a_card_of_its_own(slack_client, slack_api):
    """The bundle's thread belongs to several items: a note about one of them is never put there."""
    chat = SlackChat(slack_client, open_db(None), FakeClock(START), rates={})  # no rate limit in this test
    fb = slack_api.channels["konto-facebook"]
    chat.send(bundle_of(5, 6))
    chat.send(Message(kind="moderation_note", to="#konto-facebook", text="Notering om ärende 6", thread="item:6"))
    assert slack_api.posted(fb)[-1].get("thread_ts") is None
    chat.send(Message(kind="item_updated", to="#konto-facebook", text="Ärende 6: Hej (tagen)", item=6, card="item:6"))
    own = slack_api.posted(fb)[-1]
    chat.send(Message(kind="moderation_note", to="#konto-facebook", text="Notering igen", thread="item:6"))
    assert slack_api.posted(fb)[-1]["thread_ts"] == own["ts"]


def test_a_bundle_posted_again_after_a_crash_updates_the_first_instead_of_posting_twice(chat, slack_api):
    fb = slack_api.channels["konto-facebook"]
    chat.send(bundle_of(5, 6))
    chat.send(bundle_of(5, 6, 7))  # the same first row, not marked sent before a kill: composed again
    assert len(slack_api.posted(fb)) == 1 and len(slack_api.calls_to("chat.update")) == 1
    assert "Ärende 7" in slack_api.posted(fb)[0]["text"]


# --------------------------------------------------------------------------- the app: menus and reactions


def bundle_in_slack(s) -> tuple[list[int], str, str]:
    for n in range(2):
        s.message("konto-facebook", f"Fråga {n}: när öppnar återvinningscentralen efter jul?", integration="Meta")
    ids = [r["id"] for r in s.bot.db.query("SELECT id FROM items ORDER BY id")]
    entries = tuple(BundleEntry(i, f"Ärende {i}", (Action("take", "Jag tar den", str(i)),
                                                   Action(SHOW_CARD, "Visa hela kortet", str(i)))) for i in ids)
    s.bot.chat.send(Message(kind="bundle", to="#konto-facebook", text="Rubrik\n" + "\n".join(e.text for e in entries),
                            account="facebook", entries=entries, card="bundle:999"))
    channel = s.channel("konto-facebook")
    ts = s.bot.chat.card_ref("bundle:999")[1]
    return ids, channel, ts


def test_a_reaction_on_a_bundle_is_explained_and_acts_on_no_item(slack, slack_api):
    s = slack()
    ids, channel, ts = bundle_in_slack(s)
    before = [dict(s.bot.db["items"].get(i)) for i in ids]
    resp = s.react("per@example.se", channel, ts, "raising_hand")
    assert resp.status == 200
    assert [dict(s.bot.db["items"].get(i)) for i in ids] == before  # no item guessed
    [said] = [t for t in s.ephemerals("per@example.se")]
    assert "samlar flera ärenden" in said and "/arende" in said  # Slack's spelling of the command


def pick(s, email: str, value: str, channel: str, ts: str) -> tuple[object, str]:
    url = s.urls.new()
    payload = {
        "type": "block_actions", "user": {"id": s.user(email), "username": email.split("@")[0], "team_id": TEAM_ID},
        "api_app_id": APP_ID, "token": "legacy", "trigger_id": "9.trigger", "team": {"id": TEAM_ID, "domain": "ekby"},
        "is_enterprise_install": False, "state": {"values": {}}, "response_url": url,
        "actions": [{"action_id": str(UiId.BUNDLE_ITEM), "block_id": f"{BUNDLE_BLOCK}1", "type": "overflow",
                     "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
                     "action_ts": s.ts()}],
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "konto-facebook"},
        "message": {"type": "message", "ts": ts, "bot_id": BOT_ID, "text": ""},
    }
    return s.interactive("block_actions", payload), url


def test_the_menu_beside_a_bundled_item_acts_on_that_item_only(slack, slack_api):
    s = slack()
    ids, channel, ts = bundle_in_slack(s)
    resp, url = pick(s, "per@example.se", f"take:{ids[1]}", channel, ts)
    assert resp.status == 200
    assert s.bot.db["items"].get(ids[1])["assignee"] == "per@example.se"
    assert s.bot.db["items"].get(ids[0])["assignee"] != "per@example.se"
    assert f"Ärende {ids[1]} är ditt nu" in s.said(url)
    # a form action opens its modal, as the card's button does
    opened = len(slack_api.calls_to("views.open"))
    pick(s, "lena@example.se", f"no_reply:{ids[0]}", channel, ts)
    assert len(slack_api.calls_to("views.open")) == opened + 1


def test_show_the_whole_card_shows_it_to_the_one_who_asked(slack, slack_api):
    s = slack()
    ids, channel, ts = bundle_in_slack(s)
    posts_before = len(slack_api.calls_to("chat.postMessage"))
    _, url = pick(s, "per@example.se", f"{SHOW_CARD}:{ids[0]}", channel, ts)
    s.said(url)
    [answer] = s.urls.to(url)
    assert answer["response_type"] == "ephemeral" and f"Ärende {ids[0]}" in answer["text"]
    blocks = answer["blocks"]
    validate_blocks(blocks)
    values = {e.get("value") for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert values == {str(ids[0])}  # the card's own buttons, for that item
    assert len(slack_api.calls_to("chat.postMessage")) == posts_before  # nothing posted in the channel
    _, url = pick(s, "per@example.se", f"{SHOW_CARD}:99999", channel, ts)
    assert "finns inte längre" in s.said(url)


# --------------------------------------------------------------------------- Teams and the console: the text


def test_teams_and_the_console_show_a_bundle_as_its_text_with_the_numbers(settings):
    _, bundles = bundles_made_by_the_outbox(settings, text="När öppnar återvinningscentralen?")
    bundle = bundles[0]
    content = teams_cards.render(bundle)
    teams_cards.validate_card(content)
    shown = json.dumps(content, ensure_ascii=False)
    assert all(f"Ärende {e.item} ·" in shown for e in bundle.entries)
    out = io.StringIO()
    ConsoleChat(FakeClock(START), out=out).send(bundle)
    printed = out.getvalue()
    assert "samlade nya ärenden" in printed and all(f"Ärende {e.item} ·" in printed for e in bundle.entries)
