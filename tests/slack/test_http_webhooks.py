"""The intake webhooks are served by the same process as Slack's HTTP mode (issue 5, §2)."""

from __future__ import annotations

import json

from bot.server import serve_http, serve_in_thread
from bot.adapters.webhooks import sign_intake, sign_meta
from bot.settings import Secrets
from tests.slack.signing import response_urls, slack  # noqa: F401 (fixtures)
from tests.slack.test_app_http import http

SECRETS = Secrets(meta_app_secret="meta-secret", meta_verify_token="verify-me", intake_secret="intake-secret")


def test_webhooks_share_the_slack_http_server(slack, slack_api):
    s = slack(process_before_response=False)
    server = serve_http(s.app, "127.0.0.1", 0, bot=s.bot, secrets=SECRETS)
    serve_in_thread(server)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, text = http(base + "/webhooks/meta?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42")
        assert (status, text) == (200, "42")
        page = s.bot.ctx.accounts["facebook"].external_id
        body = json.dumps({"object": "page", "entry": [{"id": page, "time": 1765101600, "changes": [{
            "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1_2", "post_id": "1",
                                       "from": {"id": "9", "name": "Kalle Åberg"}, "created_time": 1765101600,
                                       "message": "När öppnar simhallen igen? 🏊"}}]}]}, ensure_ascii=False).encode()
        assert http(base + "/webhooks/meta", body, {"X-Hub-Signature-256": sign_meta("meta-secret", body)})[0] == 200
        assert s.bot.db["items"].count == 1
        assert http(base + "/webhooks/meta", body, {"X-Hub-Signature-256": "sha256=" + "0" * 64})[0] == 401
        ts = str(int(s.bot.ctx.now().timestamp()))
        intake = json.dumps({"account": "linkedin", "text": "Hur söker jag sommarjobb?", "external_id": "li-1",
                             "source": "linkedin"}).encode()
        status, text = http(base + "/webhooks/intake", intake, {
            "X-Uppsikt-Timestamp": ts, "X-Uppsikt-Signature": sign_intake("intake-secret", ts, intake),
            "Content-Type": "application/json"})
        assert status == 200 and json.loads(text)["created"] is True
        assert s.bot.db["items"].count == 2
    finally:
        server.shutdown()
        server.server_close()
