"""Transport: signatures, the --http server over real HTTP, ack times, Socket Mode dispatch, `uppsikt run`."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.server import serve_http, serve_in_thread
from bot.jobs import scheduler_lock
from bot.adapters.slack.ids import ActionId, BlockId, Command
from bot.cli import main
from tests.slack.signing import (  # noqa: F401 (fixtures)
    APP_ID, check_calls_against_the_spec, response_urls, signed_headers, slack, wait_for,
)

QUESTION = "När öppnar återvinningscentralen efter jul?"


def message_body(s, text: str = QUESTION, event_id: str = "Ev0SIG") -> str:
    ts = s.ts()
    return json.dumps({
        "token": "legacy", "team_id": "T0EKBY", "api_app_id": APP_ID, "type": "event_callback", "event_id": event_id,
        "event_time": s.now(), "event": {"type": "message", "subtype": "bot_message", "bot_id": "B0META",
                                         "username": "Meta", "channel": s.channel("konto-facebook"), "text": text,
                                         "ts": ts, "event_ts": ts},
    })


def nothing_stored(s) -> bool:
    return s.bot.db["items"].count == 0 and s.bot.db["events_seen"].count == 0 and s.bot.db["outbox"].count == 0


# --------------------------------------------------------------------------- signatures


@pytest.mark.parametrize("case", ["bad", "missing", "old", "future", "other-secret", "tampered", "garbled-ts"])
def test_unsigned_or_badly_signed_requests_get_401_and_nothing_is_stored(slack, slack_api, case):
    s = slack()
    body = message_body(s)
    now = s.now()
    headers = signed_headers(body, now, content_type="application/json")
    if case == "bad":
        headers["x-slack-signature"] = ["v0=" + "0" * 64]
    elif case == "missing":
        headers = {"content-type": ["application/json"]}
    elif case == "old":  # Slack's replay window is five minutes
        headers = signed_headers(body, now - 301, content_type="application/json")
    elif case == "future":
        headers = signed_headers(body, now + 301, content_type="application/json")
    elif case == "other-secret":
        headers = signed_headers(body, now, secret="not-the-secret", content_type="application/json")
    elif case == "tampered":
        body = body.replace("efter jul", "efter nyår")
        assert "efter nyår" in body
    elif case == "garbled-ts":
        headers["x-slack-request-timestamp"] = ["igår"]
    resp = s.app.dispatch(BoltRequest(body=body, headers=headers))
    assert resp.status == 401
    assert nothing_stored(s)
    assert slack_api.calls == []  # not even auth.test: verification comes first


def test_a_signature_just_inside_the_window_is_accepted(slack):
    s = slack()
    body = message_body(s)
    resp = s.app.dispatch(BoltRequest(body=body, headers=signed_headers(body, s.now() - 299,
                                                                        content_type="application/json")))
    assert resp.status == 200 and s.bot.db["items"].count == 1


def test_the_fake_clock_moving_on_makes_a_signed_request_stale(slack):
    s = slack()
    body = message_body(s)
    headers = signed_headers(body, s.now(), content_type="application/json")
    s.h.clock.advance(dt.timedelta(minutes=6))
    assert s.app.dispatch(BoltRequest(body=body, headers=headers)).status == 401
    assert nothing_stored(s)


# --------------------------------------------------------------------------- the --http server


def http(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_http_server_serves_slack_events_and_healthz(slack, slack_api):
    s = slack(process_before_response=False)
    server = serve_http(s.app, "127.0.0.1", 0)
    serve_in_thread(server)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert http(base + "/healthz") == (200, "ok")
        assert http(base + "/elsewhere")[0] == 404
        # a slash command, signed, over real HTTP
        response_url = s.urls.new()
        form = urlencode({"command": "/uppsikt", "text": "Inga nya kommentarer", "user_id": s.user("per@example.se"),
                          "channel_id": s.channel("konto-instagram"), "team_id": "T0EKBY", "api_app_id": APP_ID,
                          "response_url": response_url, "trigger_id": "1.t"})
        headers = {k: v[0] for k, v in signed_headers(form, s.now()).items()}
        status, text = http(base + "/slack/events", form.encode(), headers)
        assert (status, text) == (200, "")
        assert "Tillsynen av ekbykommun är loggad" in s.said(response_url)
        # an event: stored in the inbox as soon as the 200 has arrived (issue 17), an item once it is processed
        body = message_body(s, event_id="Ev0HTTP")
        headers = {k: v[0] for k, v in signed_headers(body, s.now(), content_type="application/json").items()}
        assert http(base + "/slack/events", body.encode(), headers)[0] == 200
        assert s.bot.db.execute("SELECT COUNT(*) FROM inbox WHERE event_id = 'Ev0HTTP'").fetchone()[0] == 1
        assert wait_for(lambda: s.bot.db["items"].count == 1)
        # Slack's URL verification when the request URL is saved
        body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                           "type": "url_verification"})
        headers = {k: v[0] for k, v in signed_headers(body, s.now(), content_type="application/json").items()}
        status, text = http(base + "/slack/events", body.encode(), headers)
        assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text
        # a forged request over HTTP
        headers["X-Slack-Signature"] = "v0=" + "1" * 64
        assert http(base + "/slack/events", body.encode(), headers)[0] == 401
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- acknowledgement


def test_acknowledgement_times_in_the_default_mode(slack, slack_api):
    """Events are committed before they are acknowledged; everything else is acknowledged first."""
    s = slack(process_before_response=False)
    for i in range(3):
        s.h.clock.advance(dt.timedelta(minutes=1))
        resp, _ = s.message("konto-facebook", f"{QUESTION} ({i})", integration="Meta")
        assert resp.status == 200
        assert s.bot.db["items"].count == i + 1  # committed before the acknowledgement returned
    for i in range(3):
        _, url = s.command("lena@example.se", Command.UPPSIKT, "status")
        s.said(url)
    channel, ts = s.card_of(1)
    for i in range(2):
        _, url = s.click("per@example.se", ActionId.TAKE, "1", channel_id=channel, message_ts=ts)
        s.said(url)
    s.react("lena@example.se", channel, ts, "sos")
    assert s.bot.db["items"].get(1)["crisis"] == 1  # the reaction is applied before the acknowledgement too
    s.click("lena@example.se", ActionId.NO_REPLY, "2", channel_id=channel, message_ts=ts)
    view = wait_for(lambda: slack_api.calls_to("views.open")) and s.last_view()
    resp = s.submit("lena@example.se", view, **{BlockId.REASON: "Dubblett."})
    assert resp.status == 200 and s.bot.db["items"].get(2)["status"] == "closed"
    s.home_opened("lena@example.se")
    wait_for(lambda: slack_api.home)
    check_calls_against_the_spec(slack_api, {"chat.postMessage", "chat.postEphemeral", "views.open", "views.publish",
                                             "users.info", "conversations.info", "auth.test"})
    print("\nacknowledgement times (ms), default mode, local mock Web API:")
    for kind, times in s.ack_ms.items():
        print(f"  {kind:18} n={len(times)}  max={max(times):7.1f}  mean={sum(times) / len(times):7.1f}")
    assert set(s.ack_ms) >= {"message", "command", "block_actions", "reaction_added", "view_submission"}


# --------------------------------------------------------------------------- Socket Mode


def test_socket_mode_dispatch_needs_no_signature_and_dedupes_retries(slack, slack_api):
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    s = slack()
    handler = SocketModeHandler(s.app, "xapp-1-test")
    sent = []
    handler.client.send_socket_mode_response = sent.append  # type: ignore[method-assign]
    try:
        payload = json.loads(message_body(s, event_id="Ev0SOCK"))
        handler.handle(handler.client, SocketModeRequest(type="events_api", envelope_id="env-1", payload=payload))
        handler.handle(handler.client, SocketModeRequest(type="events_api", envelope_id="env-2", payload=payload,
                                                         retry_attempt=1, retry_reason="timeout"))
        assert [r.envelope_id for r in sent] == ["env-1", "env-2"]  # both acknowledged over the socket
        assert s.bot.db["items"].count == 1
        response_url = s.urls.new()
        command = {"command": "/kris", "text": "status", "user_id": s.user("omar@example.se"),
                   "channel_id": s.channel("kommunikation"), "team_id": "T0EKBY", "api_app_id": APP_ID,
                   "response_url": response_url, "trigger_id": "1.t"}
        handler.handle(handler.client, SocketModeRequest(type="slash_commands", envelope_id="env-3", payload=command))
        assert "Krisläget är inte på" in s.said(response_url)
    finally:
        handler.client.close()


# --------------------------------------------------------------------------- uppsikt run


def test_run_without_slack_credentials_stays_the_console(tmp_path, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("/som lena@example.se\n/uppsikt klart facebook\navsluta\n"))
    assert main(["run", "--db", str(tmp_path / "u.db"), "--start", "2026-12-07T08:00"]) == 0
    from bot.store.db import open_db

    row = open_db(tmp_path / "u.db").execute("SELECT account_id, person, via FROM oversight_log").fetchone()
    assert row == ("facebook", "lena@example.se", "command")  # the console ran the command


def test_run_in_slack_mode_explains_missing_settings(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["run", "--http", "--db", str(tmp_path / "u.db")]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["run", "--http", "--db", str(tmp_path / "u.db")]) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert main(["run", "--db", str(tmp_path / "u.db"), "--start", "2026-12-07T08:00"]) == 2
    assert "--start fungerar bara i konsolen" in capsys.readouterr().err


def test_only_one_process_takes_the_scheduler_lock(tmp_path):
    first = scheduler_lock(tmp_path / "u.db")
    assert first is not None
    try:
        assert scheduler_lock(tmp_path / "u.db") is None  # flock is per open file description
    finally:
        first.close()
    again = scheduler_lock(tmp_path / "u.db")
    assert again is not None
    again.close()
