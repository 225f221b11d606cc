"""Issue 16 point 12, the smaller ones: hostile or odd requests that were answered badly."""

from __future__ import annotations

import json
import logging
import time

import pytest

from bot.adapters import webhooks
from bot.adapters.webhooks import sign_intake, sign_meta
from bot.settings import Secrets
from tests.conftest import Harness, local
from tests.slack.signing import SIGNING_SECRET, response_urls, slack  # noqa: F401

MONDAY = local(2026, 12, 7, 9, 0)
SECRETS = Secrets(meta_app_secret="meta-app-secret-s3cr3t-8841", meta_verify_token="verify-token-s3cr3t-1207",
                  intake_secret="intake-secret-s3cr3t-5530")
CITIZEN = "Mitt personnummer är 19121212-1212 och jag bor på Storgatan 1"


def test_a_badly_signed_request_is_logged_without_its_body(slack, caplog):
    s = slack()
    body = json.dumps({"type": "event_callback", "event_id": "Ev0BAD", "event": {"type": "message", "text": CITIZEN}})
    from slack_bolt import BoltRequest

    headers = {"content-type": ["application/json"], "x-slack-request-timestamp": [str(s.now())],
               "x-slack-signature": ["v0=" + "0" * 64]}
    with caplog.at_level(logging.DEBUG):
        resp = s.app.dispatch(BoltRequest(body=body, headers=headers))
    assert resp.status == 401
    assert not any("19121212" in r.getMessage() for r in caplog.records), [r.getMessage()[:120] for r in caplog.records]
    assert any("invalid signature" in r.getMessage() for r in caplog.records)


def deep(n: int) -> bytes:
    return ("[" * n + "]" * n).encode()


@pytest.mark.parametrize("path", ["/webhooks/meta", "/webhooks/intake"])
def test_a_signed_body_nested_100000_deep_is_a_400_not_a_recursion_error(settings, path):
    h = Harness(settings, MONDAY)
    body = deep(100_000)
    if path.endswith("meta"):
        headers = {"x-hub-signature-256": sign_meta(SECRETS.meta_app_secret, body)}
    else:
        stamp = str(h.bot.now_ts())
        headers = {"x-uppsikt-timestamp": stamp, "x-uppsikt-signature": sign_intake(SECRETS.intake_secret, stamp, body)}
    resp = webhooks.handle(h.bot, SECRETS, "POST", path, {}, headers, body)
    assert resp.status == 400
    assert "nästlat" in resp.body.decode("utf-8")
    assert h.bot.db["items"].count == 0


def test_a_search_of_100000_characters_is_refused_in_swedish_quickly(settings, caplog):
    h = Harness(settings, MONDAY)
    start = time.perf_counter()
    with caplog.at_level(logging.ERROR):
        reply = h.bot.command("lena@example.se", "/sok " + "a" * 100_000)
    assert not reply.ok and "för lång" in reply.text and "100000 tecken" in reply.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert time.perf_counter() - start < 30  # a guard against a hang, not a benchmark


@pytest.mark.parametrize("button", ["no_reply", "reassign"])
def test_the_form_of_a_restricted_button_does_not_open_for_someone_who_will_be_refused(slack, slack_api, button):
    from bot.adapters.slack.ids import ActionId

    s = slack()
    s.message("konto-facebook", "När öppnar återvinningscentralen efter jul?", integration="Meta")
    item = s.bot.db.execute("SELECT id FROM items").fetchone()[0]
    action_id = next(str(a) for a in ActionId if a.core_name == button)
    resp, url = s.click("omar@example.se", action_id, str(item), channel_id=s.channel("konto-facebook"))
    assert resp.status == 200
    assert "inte ge bort det eller stänga det utan svar" in s.said(url)
    assert slack_api.calls_to("views.open") == []
    # someone who may decide still gets the form
    s.click("lena@example.se", action_id, str(item), channel_id=s.channel("konto-facebook"))
    assert len(slack_api.calls_to("views.open")) == 1
