"""A whole week in Slack terms, signed requests against the real app and the mock Web API, on a fake clock.

Monday 7 December 2026 to Friday 11 December: the morning prompts are posted
in the account channels and logged by button and by /uppsikt; two bygglov
questions arrive from the Facebook integration and are assigned to Omar,
who gets one digest when both are nudged and answers through the modal; an
offensive comment on the library's account is removed by reaction and ground
picker; an absence is registered; crisis mode is switched on and off; the
Home tab and /rapport show the week. Finally every Web API method the bot
called is checked against Slack's OpenAPI spec (../shared/reference).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.adapters.slack.ids import ActionId, BlockId, Command, UiId
from tests.conftest import local
from tests.slack.signing import check_calls_against_the_spec, response_urls, slack  # noqa: F401 (fixtures)

def texts(slack_api, channel_id: str) -> list[str]:
    return [m["text"] for m in slack_api.posted(channel_id)]


def action_ids(message: dict) -> list[str]:
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def at(s, when: dt.datetime) -> None:
    """Let the scheduler run up to `when` (every due tick, like the real one), then flush what is left."""
    s.h.run_until(when)
    s.bot.flush()


@pytest.mark.slow
def test_a_week_in_slack(slack, slack_api):
    s = slack(local(2026, 12, 7, 7, 0))
    bot, db = s.bot, s.bot.db
    fb, ig, lib = (slack_api.channels[c] for c in ("konto-facebook", "konto-instagram", "konto-bibliotek"))
    kris = slack_api.channels["krisgruppen"]

    # ------------------------------------------------------------- Monday: prompts, logging by button and command
    at(s, local(2026, 12, 7, 8, 31))
    prompt = next(m for m in slack_api.posted(fb) if ActionId.OVERSIGHT_DONE in action_ids(m))
    assert f"<@{s.user('lena@example.se')}>" in prompt["text"]  # the responsible person is mentioned
    for channel in (ig, lib):
        assert any(ActionId.OVERSIGHT_DONE in action_ids(m) for m in slack_api.posted(channel))
    at(s, local(2026, 12, 7, 9, 5))
    _, url = s.click("lena@example.se", ActionId.OVERSIGHT_DONE, "facebook", channel_id=fb, message_ts=prompt["ts"])
    assert "Tillsynen av Ekby kommun (Facebook) är loggad kl. 09:05" in s.said(url)
    _, url = s.command("per@example.se", Command.UPPSIKT, "Inga nya kommentarer", channel="konto-instagram")
    assert "loggad" in s.said(url)
    s.command("ida@example.se", Command.UPPSIKT, "", channel="konto-bibliotek")
    s.command("karin@example.se", Command.UPPSIKT, "linkedin")
    assert {r[0] for r in db.execute("SELECT account_id FROM oversight_log WHERE day = '2026-12-07'")} == {
        "facebook", "instagram", "bibliotek", "linkedin"}

    # ------------------------------------------------------------- Monday 10:00: two questions, assigned to Omar
    at(s, local(2026, 12, 7, 10, 0))
    s.message("konto-facebook", "Hur söker jag bygglov för en altan?", integration="Facebook-kommentarer")
    s.message("konto-facebook", "Behöver jag bygglov för ett attefallshus?", integration="Facebook-kommentarer")
    questions = list(db.query("SELECT * FROM items ORDER BY id"))
    assert [q["assignee"] for q in questions] == ["omar@example.se", "omar@example.se"]
    assert sum("bygglov" in t for t in texts(slack_api, fb)) == 2  # two cards in the channel
    omar_dm = slack_api.dm_channel(s.user("omar@example.se"))
    assert sum("bygglov" in t for t in texts(slack_api, omar_dm)) == 2  # two assignments

    # ------------------------------------------------------------- nudged: one digest for both
    before = len(slack_api.posted(omar_dm))
    nudge_at = min(q["next_nudge_at"] for q in db.query("SELECT next_nudge_at FROM items"))
    at(s, dt.datetime.fromtimestamp(nudge_at + 60, tz=local(2026, 12, 7).tzinfo))
    new = slack_api.posted(omar_dm)[before:]
    digests = [m for m in new if m["text"].startswith("Du har 2 påminnelser")]
    assert len(digests) == 1, [m["text"][:80] for m in new]
    assert action_ids(digests[0]).count(ActionId.ANSWERED) == 2

    # ------------------------------------------------------------- answered through the button and its modal
    first = questions[0]["id"]
    _, url = s.click("omar@example.se", ActionId.ANSWERED, str(first), channel_id=omar_dm,
                     message_ts=digests[0]["ts"])
    view = s.last_view()
    resp = s.submit("omar@example.se", view, **{BlockId.ANSWER: "Du söker bygglov i e-tjänsten på ekby.se."})
    assert resp.status == 200 and db["items"].get(first)["status"] == "answered"
    assert "är besvarat" in s.said(url)
    card = slack_api.messages[s.card_of(first)]
    assert "besvarad" in json.dumps(card["blocks"], ensure_ascii=False) and action_ids(card) == []
    _, url = s.command("omar@example.se", Command.ARENDE, f"{questions[1]['id']} svarat Attefallshus kräver anmälan.")
    assert "är besvarat" in s.said(url)

    # ------------------------------------------------------------- Tuesday: a removal by reaction
    at(s, local(2026, 12, 8, 10, 0))
    s.message("konto-bibliotek", "Bibliotekarien är en idiot och borde sparkas", integration="Facebook-kommentarer")
    rude = db.execute("SELECT MAX(id) FROM items").fetchone()[0]
    channel, ts = s.card_of(rude)
    s.react("ida@example.se", channel, ts, "wastebasket")
    picker = slack_api.calls_to("chat.postEphemeral")[-1].params
    assert picker["user"] == s.user("ida@example.se") and "Välj grund" in picker["text"]
    select = next(e for b in picker["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == UiId.REMOVE_GROUND)
    ground = (select.get("initial_option") or select["options"][0])["value"]
    picked = {"type": "static_select", "selected_option": {"value": ground}}
    state = {f"remove:{rude}": {str(UiId.REMOVE_GROUND): picked}}
    _, url = s.click("ida@example.se", UiId.REMOVE_CONFIRM, str(rude), channel_id=lib, state=state)
    assert "borttaget och registrerat" in s.said(url)
    assert db["removals"].get(1)["text"] == "Bibliotekarien är en idiot och borde sparkas"
    at(s, local(2026, 12, 8, 10, 5))
    thread = [m for m in slack_api.posted(lib) if m.get("thread_ts") == ts]
    assert any("registrerat" in m["text"] for m in thread)  # the record is noted in the card's thread

    # ------------------------------------------------------------- Wednesday: absence, then crisis on
    at(s, local(2026, 12, 9, 9, 0))
    _, url = s.command("per@example.se", Command.FRANVARO, "2026-12-10 2026-12-11 ersättare=lena@example.se")
    assert "Frånvaro registrerad för Per Holm" in s.said(url)
    at(s, local(2026, 12, 9, 14, 0))
    _, url = s.command("karin@example.se", Command.KRIS, "på Brand i Ekby centrum", channel="krisgruppen")
    assert "Krisläget är på" in s.said(url) and s.urls.to(url)[-1]["response_type"] == "in_channel"
    at(s, local(2026, 12, 9, 14, 1))
    assert any("Brand i Ekby centrum" in t for t in texts(slack_api, kris))
    for channel in (fb, ig, lib):
        assert any("krisgruppen" in t.lower() for t in texts(slack_api, channel))
    s.message("konto-facebook", "Vart ska vi evakuera? Det brinner vid torget!", integration="Facebook-kommentarer")
    fire = db.execute("SELECT MAX(id) FROM items").fetchone()[0]
    channel, ts = s.card_of(fire)
    s.react("lena@example.se", channel, ts, "sos")
    assert db["items"].get(fire)["crisis"] == 1
    s.home_opened("karin@example.se")
    assert "Krisläget är på sedan" in json.dumps(slack_api.home[s.user("karin@example.se")], ensure_ascii=False)

    # ------------------------------------------------------------- Thursday: crisis off; Lena stands in for Per
    at(s, local(2026, 12, 10, 9, 0))
    _, url = s.command("karin@example.se", Command.KRIS, "av", channel="krisgruppen")
    assert "avslutat" in s.said(url)
    at(s, local(2026, 12, 10, 9, 1))
    summary = "Krisläget är avslutat. Pågick 2026-12-09 14:00–2026-12-10 09:00"
    assert any(summary in t for t in texts(slack_api, kris))
    assert any("Krisläget är avblåst" in t for t in texts(slack_api, fb))
    s.home_opened("lena@example.se")
    home = json.dumps(slack_api.home[s.user("lena@example.se")], ensure_ascii=False)
    assert "ekbykommun" in home and "Alla konton" in home and "Krisläget är inte på" in home
    s.click("lena@example.se", ActionId.OVERSIGHT_DONE, "instagram", home=True)
    assert db.execute("SELECT person FROM oversight_log WHERE account_id = 'instagram' AND day = '2026-12-10'"
                      ).fetchone()[0] == "lena@example.se"

    # ------------------------------------------------------------- Friday: the week's report
    at(s, local(2026, 12, 11, 16, 0))
    _, url = s.command("karin@example.se", Command.RAPPORT, "2026-12-07 2026-12-11")
    report = s.said(url)
    assert "Ekby kommun" in report and "ekbykommun" in report

    # ------------------------------------------------------------- nothing was lost or refused by Slack
    s.h.clock.advance(dt.timedelta(minutes=10))
    s.bot.flush()
    statuses = dict(db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
    assert statuses.get("failed", 0) == 0 and statuses.get("pending", 0) == 0, statuses
    check_calls_against_the_spec(slack_api, {"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open",
                                             "views.publish", "users.lookupByEmail", "conversations.open"})
