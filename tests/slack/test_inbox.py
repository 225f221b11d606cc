"""Issue 17 point 5: Slack's message and reaction events are verified, stored in the inbox and acknowledged over
HTTP before any work is done; the inbox's worker processes them after, in order, exactly once.

The real aiohttp application (`serve_http`) on 127.0.0.1 with the Bolt app of `SlackDriver`, a file database,
the mock Web API. The worker is stopped where a test needs stored-but-unprocessed rows, and its `drain` runs
in the test's thread then, so nothing here waits on timing except `wait_for` (bounded) where the real worker
runs.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot import inbox as inbox_store
from bot.server import serve_http, serve_in_thread
from tests.slack.signing import APP_ID, response_urls, signed_headers, slack, wait_for  # noqa: F401 (fixtures)
from tests.slack.mock_web_api import BOT_USER_ID, TEAM_ID

QUESTIONS = [f"Fråga {i}: när öppnar återvinningscentralen i Norrby efter jul?" for i in range(6)]


@contextmanager
def serving(s, *, worker: bool = True) -> Iterator[str]:
    """The one HTTP stack with `s.app`; without `worker` the inbox's worker is stopped once the server is up."""
    server = serve_http(s.app, "127.0.0.1", 0, bot=s.bot)
    serve_in_thread(server)
    if not worker:
        s.app.inbox.worker.stop()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def post(base: str, body: str, headers: dict[str, list[str]]) -> int:
    flat = [(k, v) for k, values in headers.items() for v in values]
    req = urllib.request.Request(base + "/slack/events", data=body.encode(), method="POST")
    for k, v in flat:
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def event_body(s, event: dict, event_id: str) -> str:
    return json.dumps({"token": "legacy", "team_id": TEAM_ID, "api_app_id": APP_ID, "type": "event_callback",
                       "event_id": event_id, "event_time": s.now(), "event": event,
                       "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]})


def message(s, text: str, event_id: str, channel: str = "konto-facebook", ts: str | None = None) -> str:
    ts = ts or s.ts()
    return event_body(s, {"type": "message", "subtype": "bot_message", "bot_id": "B0META", "username": "Meta",
                          "channel": s.channel(channel), "text": text, "ts": ts, "event_ts": ts}, event_id)


def send(s, base: str, body: str, retry: int | None = None) -> int:
    headers = signed_headers(body, s.now(), content_type="application/json")
    if retry:
        headers |= {"X-Slack-Retry-Num": [str(retry)], "X-Slack-Retry-Reason": ["http_timeout"]}
    return post(base, body, headers)


def rows(s) -> list[tuple]:
    return s.bot.db.execute("SELECT event_id, processed_at IS NOT NULL, attempts FROM inbox ORDER BY id").fetchall()


def items(s) -> list[str]:
    return [r[0] for r in s.bot.db.execute("SELECT text FROM items ORDER BY id")]


# --------------------------------------------------------------------------- store, acknowledge, process after


def test_events_are_stored_before_the_acknowledgement_and_become_items_after_in_order(slack):
    s = slack(process_before_response=False)
    with serving(s, worker=False) as base:
        for i, text in enumerate(QUESTIONS):
            assert send(s, base, message(s, text, f"Ev{i:03d}", channel=("konto-facebook", "konto-instagram")[i % 2])) == 200
        assert rows(s) == [(f"Ev{i:03d}", 0, 0) for i in range(len(QUESTIONS))]  # stored, not yet processed
        assert items(s) == [] and s.bot.db["outbox"].count == 0  # no work was done before the acknowledgement
        assert s.app.inbox.worker.drain() == len(QUESTIONS)
    assert items(s) == QUESTIONS  # in the order Slack sent them
    assert rows(s) == [(f"Ev{i:03d}", 1, 0) for i in range(len(QUESTIONS))]
    assert s.bot.db.execute("SELECT COUNT(*) FROM inbox WHERE body != ''").fetchone()[0] == 0  # the item has the text


def test_the_running_worker_processes_what_was_acknowledged(slack):
    s = slack(process_before_response=False)
    with serving(s) as base:
        for i, text in enumerate(QUESTIONS[:3]):
            assert send(s, base, message(s, text, f"Ev1{i:02d}")) == 200
        assert wait_for(lambda: items(s) == QUESTIONS[:3])
        assert wait_for(lambda: [r[1] for r in rows(s)] == [1, 1, 1])


def test_slacks_retries_are_acknowledged_and_stored_once(slack):
    s = slack(process_before_response=False)
    with serving(s, worker=False) as base:
        body = message(s, QUESTIONS[0], "Ev0RETRY")
        assert send(s, base, body) == 200
        assert send(s, base, body, retry=1) == 200  # before it was processed
        assert len(rows(s)) == 1
        s.app.inbox.worker.drain()
        assert send(s, base, body, retry=2) == 200  # after
        assert s.app.inbox.worker.drain() == 0
    assert rows(s) == [("Ev0RETRY", 1, 0)] and items(s) == [QUESTIONS[0]]


def test_rows_left_by_a_stopped_process_are_processed_at_start_up(slack):
    s = slack(process_before_response=False)
    with serving(s, worker=False) as base:
        for i, text in enumerate(QUESTIONS[:4]):
            assert send(s, base, message(s, text, f"Ev2{i:02d}")) == 200
    assert items(s) == []
    with serving(s):  # a new start: the worker first processes what is stored
        assert wait_for(lambda: items(s) == QUESTIONS[:4])


def test_a_reaction_goes_through_the_inbox_after_the_message_it_follows(slack):
    s = slack(process_before_response=False)
    with serving(s, worker=False) as base:
        assert send(s, base, message(s, QUESTIONS[0], "Ev3MSG")) == 200
        s.app.inbox.worker.drain()
        s.bot.flush()  # the card is posted
        channel, ts = s.card_of(1)
        reaction = event_body(s, {"type": "reaction_added", "user": s.user("lena@example.se"), "reaction": "sos",
                                  "item": {"type": "message", "channel": channel, "ts": ts},
                                  "item_user": BOT_USER_ID, "event_ts": s.ts()}, "Ev3REACT")
        assert send(s, base, reaction) == 200
        assert s.bot.db["items"].get(1)["crisis"] == 0 and rows(s)[-1] == ("Ev3REACT", 0, 0)
        s.app.inbox.worker.drain()
    assert s.bot.db["items"].get(1)["crisis"] == 1


# --------------------------------------------------------------------------- what keeps today's path


def test_commands_home_and_url_verification_keep_todays_path(slack, slack_api):
    from urllib.parse import urlencode

    s = slack(process_before_response=False)
    with serving(s, worker=False) as base:
        url = s.urls.new()
        form = urlencode({"command": "/uppsikt", "text": "Inga nya kommentarer", "user_id": s.user("per@example.se"),
                          "channel_id": s.channel("konto-instagram"), "team_id": TEAM_ID, "api_app_id": APP_ID,
                          "response_url": url, "trigger_id": "1.t"})
        assert post(base, form, signed_headers(form, s.now())) == 200
        assert "Tillsynen av ekbykommun är loggad" in s.said(url)  # done without the inbox's worker
        user = s.user("lena@example.se")
        home = event_body(s, {"type": "app_home_opened", "user": user, "channel": slack_api.dm_channel(user),
                              "tab": "home", "event_ts": s.ts()}, "Ev4HOME")
        assert send(s, base, home) == 200
        assert wait_for(lambda: slack_api.home)
    assert rows(s) == []


# --------------------------------------------------------------------------- refusals and faults


@pytest.mark.parametrize("case", ["bad", "two-signatures", "old", "unreadable"])
def test_a_badly_signed_or_unreadable_event_is_refused_and_not_stored(slack, case):
    s = slack(process_before_response=False)
    body = message(s, QUESTIONS[0], "Ev5BAD")
    headers = signed_headers(body, s.now(), content_type="application/json")
    if case == "bad":
        headers["x-slack-signature"] = ["v0=" + "0" * 64]
    elif case == "two-signatures":
        headers["x-slack-signature"] = headers["x-slack-signature"] + ["v0=" + "1" * 64]
    elif case == "old":
        headers = signed_headers(body, s.now() - 301, content_type="application/json")
    else:
        body = body.replace('"authorizations"', '"user": 5, "authorizations"')
        headers = signed_headers(body, s.now(), content_type="application/json")
    with serving(s, worker=False) as base:
        assert post(base, body, headers) == (400 if case == "unreadable" else 401)
    assert rows(s) == []


def test_a_store_that_cannot_write_is_not_acknowledged_and_the_retry_is_stored_once(slack):
    s = slack(process_before_response=False)
    with serving(s, worker=False) as base:
        conn = s.bot.inbox._connection()
        conn.execute("PRAGMA query_only = ON")  # the disk is read-only for the inbox's connection
        body = message(s, QUESTIONS[0], "Ev6FULL")
        assert send(s, base, body) == 500  # not acknowledged: Slack retries
        conn.execute("PRAGMA query_only = OFF")
        assert rows(s) == []
        assert send(s, base, body, retry=1) == 200
        s.app.inbox.worker.drain()
    assert rows(s) == [("Ev6FULL", 1, 0)] and items(s) == [QUESTIONS[0]]


def test_an_event_that_keeps_failing_is_kept_stepped_over_and_processed_when_it_can(slack, monkeypatch):
    s = slack(process_before_response=False)
    monkeypatch.setattr(inbox_store, "HOLD_PAUSES", (0.01, 0.01))
    real_intake = s.bot.intake

    def failing_intake(account_id, text, **kwargs):
        if text == QUESTIONS[0]:
            raise RuntimeError("a bug on this one comment")
        return real_intake(account_id, text, **kwargs)

    monkeypatch.setattr(s.bot, "intake", failing_intake)
    with serving(s, worker=False) as base:
        for i, text in enumerate(QUESTIONS[:3]):
            assert send(s, base, message(s, text, f"Ev7{i:02d}")) == 200
        s.app.inbox.worker.drain()
        # tried in place (keeping the order), then stepped over: the later events are not held up by it
        assert items(s) == QUESTIONS[1:3]
        assert rows(s) == [("Ev700", 0, inbox_store.HOLD_ATTEMPTS), ("Ev701", 1, 0), ("Ev702", 1, 0)]
        assert "RuntimeError" in s.bot.db.execute("SELECT last_error FROM inbox WHERE event_id = 'Ev700'").fetchone()[0]
        assert s.app.inbox.worker.drain() == 0  # not due again yet
        monkeypatch.setattr(s.bot, "intake", real_intake)  # the bug is fixed …
        s.h.clock.advance(__import__("datetime").timedelta(seconds=inbox_store.STEP_OVER_PAUSE + 1))
        assert s.app.inbox.worker.drain() == 1  # … and the kept event becomes an item
    assert sorted(items(s)) == sorted(QUESTIONS[:3])


def test_processed_rows_are_deleted_after_the_retention(slack):
    import datetime as dt

    s = slack(process_before_response=False)
    with serving(s, worker=False) as base:
        assert send(s, base, message(s, QUESTIONS[0], "Ev8OLD")) == 200
        s.app.inbox.worker.drain()
        s.h.clock.advance(dt.timedelta(seconds=inbox_store.RETENTION_SECONDS - 60))
        assert send(s, base, message(s, QUESTIONS[1], "Ev8NEW")) == 200
        assert s.bot.inbox.clean(force=True) == 0  # kept a day: a late retry is still recognised
        s.app.inbox.worker.drain()
        s.h.clock.advance(dt.timedelta(seconds=120))
        assert s.bot.inbox.clean(force=True) == 1
    assert [r[0] for r in rows(s)] == ["Ev8NEW"]


def test_healthz_and_metrics_show_acknowledged_events_waiting_in_the_inbox(slack):
    import datetime as dt

    from bot import metrics

    s = slack(process_before_response=False)
    with serving(s, worker=False) as base:
        assert send(s, base, message(s, QUESTIONS[0], "Ev9WAIT")) == 200
        s.bot.tick()
        assert "\nuppsikt_inbox_pending 1\n" in metrics.render(s.bot)
        s.h.clock.advance(dt.timedelta(seconds=metrics.STUCK_DELIVERY_SECONDS + 1))
        s.bot.tick()
        status, text = metrics.health(s.bot)
        assert status == 503 and "1 acknowledged chat event(s) wait in the inbox" in text, text
        assert 'uppsikt_health_problem{reason="delivery_stuck"} 1' in metrics.render(s.bot)
        s.app.inbox.worker.drain()
        assert "wait in the inbox" not in metrics.health(s.bot)[1]
        assert "\nuppsikt_inbox_pending 0\n" in metrics.render(s.bot)


def test_a_transaction_that_read_first_can_still_write_after_the_inbox_committed(tmp_path):
    """The inbox commits on its own connection at any moment. A deferred transaction on the main connection that
    read before such a commit could not write after it ("database is locked" at once, the busy timeout does not
    apply); the main connection's transactions therefore begin IMMEDIATE, and the inbox's INSERT waits instead."""
    import threading
    import time

    from bot.clock import SystemClock
    from bot.inbox import Inbox
    from bot.store.db import open_db

    path = tmp_path / "u.db"
    db = open_db(path)
    inbox = Inbox(db, path, SystemClock(), threading.RLock())
    stored: list[bool] = []
    with db.atomic():
        db.execute("SELECT COUNT(*) FROM items").fetchone()  # the transaction reads first …
        writer = threading.Thread(target=lambda: stored.append(inbox.put("slack", "Ev0LOCK", "{}")))
        writer.start()
        time.sleep(0.3)  # … an acknowledgement arrives meanwhile …
        db.execute("INSERT INTO state (key, value) VALUES ('probe', '1')")  # … and then it writes
    writer.join(10)
    assert stored == [True]
    assert db.execute("SELECT value FROM state WHERE key = 'probe'").fetchone() == ("1",)
    assert db.execute("SELECT event_id FROM inbox").fetchall() == [("Ev0LOCK",)]
    inbox.close()
