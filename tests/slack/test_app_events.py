"""Events through signed requests: messages become items, reactions act on cards, the Home tab, the shortcut."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from slack_sdk.models.views import View

from bot.adapters.slack.blocks import validate_blocks
from bot.adapters.slack.ids import ActionId, UiId
from tests.slack.mock_web_api import BOT_ID
from tests.slack.signing import APP_ID, check_calls_against_the_spec, response_urls, slack  # noqa: F401

QUESTION = "Hej! När öppnar återvinningscentralen efter jul?"


def items(bot) -> list[dict]:
    return list(bot.db.query("SELECT * FROM items ORDER BY id"))


def card_posts(slack_api, channel_id: str) -> list[dict]:
    return [c.params for c in slack_api.calls_to("chat.postMessage") if c.params.get("channel") == channel_id]


def buttons(message: dict) -> list[str]:
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


# --------------------------------------------------------------------------- messages


def test_a_message_from_an_integration_becomes_an_item_and_its_card_is_posted(slack, slack_api):
    s = slack()
    resp, ts = s.message("konto-facebook", QUESTION, integration="Facebook-kommentarer")
    assert resp.status == 200
    [item] = items(s.bot)
    channel = slack_api.channels["konto-facebook"]
    assert item["source"] == "slack" and item["external_id"] == f"{channel}:{ts}"
    assert item["author"] == "Facebook-kommentarer" and item["status"] == "open" and item["account_id"] == "facebook"
    [card] = card_posts(slack_api, channel)
    assert "återvinningscentralen" in card["text"]
    assert str(ActionId.TAKE) in buttons(slack_api.posted(channel)[0])
    assert s.card_of(item["id"]) == (channel, slack_api.posted(channel)[0]["ts"])
    # the assignee is told in a direct message
    assert any("återvinningscentralen" in m["text"] for m in s.dms(item["assignee"]))


def test_a_persons_message_counts_too_and_slack_formatting_is_undone(slack, slack_api):
    s = slack()
    s.message("konto-bibliotek", "Tips &amp; tricks: &lt;3 <https://ekby.se/bibliotek|bibliotekets sida>",
              email="ida@example.se")
    [item] = items(s.bot)
    assert item["text"] == "Tips & tricks: <3 bibliotekets sida (https://ekby.se/bibliotek)"
    assert item["author"] == "ida" and item["status"] == "noted"  # no question: visible, no deadline
    check_calls_against_the_spec(slack_api, {"users.info", "conversations.info"})  # the author, the channel


def test_duplicate_event_ids_and_retries_are_ignored(slack, slack_api):
    s = slack()
    s.message("konto-facebook", QUESTION, integration="Meta", event_id="Ev0DUP")
    resp, _ = s.message("konto-facebook", QUESTION + " (igen)", integration="Meta", event_id="Ev0DUP", retry=1)
    assert resp.status == 200
    assert len(items(s.bot)) == 1
    # a retry of the same message under a new event id is still one item (intake dedupes on channel:ts)
    _, ts = s.message("konto-instagram", "Vad kostar parkering?", integration="Meta", event_id="Ev0A")
    s.message("konto-instagram", "Vad kostar parkering?", integration="Meta", event_id="Ev0B", ts=ts, retry=2)
    assert len(items(s.bot)) == 2
    assert len(card_posts(slack_api, slack_api.channels["konto-instagram"])) == 1


def test_event_ids_are_remembered_for_a_day(slack):
    s = slack()
    s.message("konto-facebook", QUESTION, integration="Meta", event_id="Ev0OLD")
    assert s.bot.db["events_seen"].count == 1
    s.h.clock.advance(dt.timedelta(hours=25))
    s.message("konto-facebook", "Vad kostar en parkeringsplats?", integration="Meta", event_id="Ev0NEW")
    assert [r[0] for r in s.bot.db.execute("SELECT event_id FROM events_seen")] == ["Ev0NEW"]


def test_a_failed_intake_is_not_marked_seen_so_slacks_retry_succeeds(slack, monkeypatch):
    s = slack()
    real = type(s.bot).intake
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(s.bot), "intake", flaky)
    resp, ts = s.message("konto-facebook", QUESTION, integration="Meta", event_id="Ev0FAIL")
    assert resp.status == 500 and items(s.bot) == []  # Slack will retry
    resp, _ = s.message("konto-facebook", QUESTION, integration="Meta", event_id="Ev0FAIL", ts=ts, retry=1)
    assert resp.status == 200 and len(items(s.bot)) == 1


@pytest.mark.parametrize("extra", [
    {"bot_id": BOT_ID, "subtype": "bot_message", "username": "Uppsikt"},  # our own post
    {"app_id": APP_ID, "bot_id": "B0OTHER", "subtype": "bot_message"},  # posted through our app
    {"subtype": "message_changed"},  # an edit
    {"subtype": "channel_join"},
    {"thread_ts": "1796630000.000001"},  # a thread reply
])
def test_own_messages_edits_joins_and_thread_replies_are_ignored(slack, slack_api, extra):
    s = slack()
    s.message("konto-facebook", QUESTION, email="lena@example.se", **extra)
    assert items(s.bot) == []
    assert slack_api.calls_to("chat.postMessage") == []


def test_messages_outside_account_channels_are_ignored(slack):
    s = slack()
    s.message("kommunikation", QUESTION, email="lena@example.se")
    s.message("krisgruppen", QUESTION, integration="Meta")
    assert items(s.bot) == []


# --------------------------------------------------------------------------- reactions


def question_card(s) -> tuple[int, str, str]:
    s.message("konto-facebook", QUESTION, integration="Meta")
    item = items(s.bot)[-1]
    channel, ts = s.card_of(item["id"])
    return item["id"], channel, ts


def test_reaction_take_and_answered(slack, slack_api):
    s = slack()
    item_id, channel, ts = question_card(s)
    assert s.bot.db["items"].get(item_id)["assignee"] != "per@example.se"
    s.react("per@example.se", channel, ts, "raising_hand::skin-tone-3")
    assert s.bot.db["items"].get(item_id)["assignee"] == "per@example.se"
    assert any(f"Ärende {item_id} är ditt nu" in t for t in s.ephemerals("per@example.se"))
    updates = [c for c in slack_api.calls_to("chat.update") if c.params["ts"] == ts]
    assert updates and "Per Holm" in str(updates[-1].params["blocks"])  # the card is updated in place
    s.react("per@example.se", channel, ts, "white_check_mark")
    assert s.bot.db["items"].get(item_id)["status"] == "answered"


def test_reaction_on_the_original_message_finds_its_item(slack):
    s = slack()
    _, ts = s.message("konto-facebook", QUESTION, integration="Meta")
    s.react("per@example.se", s.channel("konto-facebook"), ts, "raising_hand")
    assert items(s.bot)[0]["assignee"] == "per@example.se"


def test_reaction_crisis(slack, slack_api):
    s = slack()
    item_id, channel, ts = question_card(s)
    s.react("lena@example.se", channel, ts, "sos")
    assert s.bot.db["items"].get(item_id)["crisis"] == 1
    crisis = slack_api.posted(slack_api.channels["krisgruppen"])
    assert crisis and "återvinningscentralen" in crisis[-1]["text"]
    assert any("skickat till krisgruppen" in t for t in s.ephemerals("lena@example.se"))


def test_reaction_remove_posts_a_ground_picker_and_its_button_registers_the_removal(slack, slack_api):
    s = slack()
    item_id, channel, ts = question_card(s)
    s.react("lena@example.se", channel, ts, "wastebasket")
    picker = [c.params for c in slack_api.calls_to("chat.postEphemeral") if "Välj grund" in c.params["text"]][-1]
    assert picker["user"] == s.user("lena@example.se") and picker["channel"] == channel
    validate_blocks(json.loads(picker["blocks"]) if isinstance(picker["blocks"], str) else picker["blocks"])
    elements = [e for b in picker["blocks"] if b["type"] == "actions" for e in b["elements"]]
    select = next(e for e in elements if e["action_id"] == UiId.REMOVE_GROUND)
    grounds = [o["value"] for o in select["options"]]
    assert "personal_attack" in grounds or "offensive_remarks" in grounds
    assert all(len(o["text"]["text"]) <= 75 for o in select["options"])
    assert s.bot.db["removals"].count == 0  # nothing removed before a ground is picked
    # pressing the button without a ground asks for one
    _, url = s.click("lena@example.se", UiId.REMOVE_CONFIRM, str(item_id), channel_id=channel)
    assert "Välj en grund" in s.said(url) and s.bot.db["removals"].count == 0
    ground = grounds[0]
    state = {f"remove:{item_id}": {str(UiId.REMOVE_GROUND): {"type": "static_select",
                                                             "selected_option": {"value": ground}}}}
    _, url = s.click("lena@example.se", UiId.REMOVE_CONFIRM, str(item_id), channel_id=channel, state=state)
    assert "borttaget och registrerat" in s.said(url)
    assert s.urls.to(url)[-1]["replace_original"] is True  # the picker is replaced by the answer
    removal = s.bot.db["removals"].get(1)
    assert removal["ground"] == ground and removal["decided_by"] == "lena@example.se"


def test_refused_and_unknown_reactions_change_nothing(slack, slack_api):
    s = slack()
    item_id, channel, ts = question_card(s)
    before = dict(s.bot.db["items"].get(item_id))
    s.react("omar@example.se", channel, ts, "wastebasket")  # not staff of the account, not a communicator
    assert any("kan inte ta bort inlägg" in t for t in s.ephemerals("omar@example.se"))
    slack_api.users["okand@example.se"] = "U99OKAND"
    s.event({"type": "reaction_added", "user": "U99OKAND", "reaction": "raising_hand",
             "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": s.ts()})
    assert any("Du finns inte bland personerna" in c.params["text"] for c in slack_api.calls_to("chat.postEphemeral")
               if c.params["user"] == "U99OKAND")
    calls = len(slack_api.calls)
    s.react("per@example.se", channel, ts, "thumbsup")  # means nothing to Uppsikt: silently ignored
    assert len(slack_api.calls) == calls
    assert dict(s.bot.db["items"].get(item_id)) == before and s.bot.db["removals"].count == 0


# --------------------------------------------------------------------------- App Home


def test_home_for_a_communicator_has_the_overview(slack, slack_api):
    s = slack()
    s.message("konto-facebook", QUESTION, integration="Meta")
    s.command("lena@example.se", "/franvaro", "2026-12-22 2027-01-06 ersättare=per@example.se semester")
    s.home_opened("lena@example.se")
    view = slack_api.home[s.user("lena@example.se")]
    View(**{k: v for k, v in view.items() if k not in ("id", "team_id", "hash")}).validate_json()
    text = str(view["blocks"])
    assert "Alla konton" in text and "Ekby bibliotek" in text and "Nästa ögonblicksbild" in text
    assert "Min tillsyn i dag" in text and "2026-12-22 – 2027-01-06" in text and "Krisläget är inte på" in text


def test_home_for_an_editor_lists_my_items_by_deadline_and_no_overview(slack, slack_api):
    s = slack()
    s.message("konto-facebook", "Hur söker jag bygglov för en altan?", integration="Meta")
    s.h.clock.advance(dt.timedelta(minutes=5))
    s.message("konto-bibliotek", "Hur bygger jag ett attefallshus?", integration="Meta")
    assert {i["assignee"] for i in items(s.bot)} == {"omar@example.se"}
    s.home_opened("omar@example.se")
    view = slack_api.home[s.user("omar@example.se")]
    text = str(view["blocks"])
    assert "Alla konton" not in text and "Mina ärenden" in text
    first, second = text.index("altan"), text.index("attefallshus")
    due = {i["id"]: i["first_reply_due"] for i in items(s.bot)}
    assert (first < second) == (due[1] <= due[2])
    answer_buttons = [b["accessory"]["value"] for b in view["blocks"]
                      if b.get("accessory", {}).get("action_id") == ActionId.ANSWERED]
    assert sorted(answer_buttons) == ["1", "2"]


def test_home_for_someone_not_configured(slack, slack_api):
    s = slack()
    slack_api.users["okand@example.se"] = "U99OKAND"
    s.event({"type": "app_home_opened", "user": "U99OKAND", "tab": "home", "event_ts": s.ts()})
    assert "Du finns inte bland personerna" in str(slack_api.home["U99OKAND"]["blocks"])


# --------------------------------------------------------------------------- message shortcut


def test_shortcut_tracks_any_message_as_a_citizen_question(slack, slack_api):
    s = slack()
    message = {"type": "message", "user": s.user("per@example.se"), "ts": s.ts(),
               "text": "En invånare ringde: varför är gatlyset släckt på Storgatan"}
    _, url = s.shortcut("per@example.se", "konto-facebook", message)
    assert "Ärende 1 följs upp" in s.said(url)
    item = items(s.bot)[0]
    assert item["status"] == "open" and item["created_by"] == "per@example.se" and item["author"] == "per"
    _, url = s.shortcut("per@example.se", "konto-facebook", message)
    assert "redan upp som ärende 1" in s.said(url) and len(items(s.bot)) == 1
    _, url = s.shortcut("per@example.se", "kommunikation", message | {"ts": s.ts()})
    assert "inte i något kontos kanal" in s.said(url) and len(items(s.bot)) == 1
