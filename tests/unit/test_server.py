"""The one HTTP stack (bot/server.py): one aiohttp application, routes mounted by run mode."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient

from bot.adapters.slack.app import build_app
from bot.adapters.teams.app import anonymous_auth
from bot.server import HttpServer, build_server, serve_in_thread
from bot.settings import Secrets
from tests.conftest import Harness, local


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def routes(app) -> set[tuple[str, str]]:
    return {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None}


def slack_app(h: Harness):
    client = WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", retry_handlers=[])
    return build_app(h.bot, token="xoxb-test", signing_secret="s3cret", client=client)


@pytest.mark.parametrize("mode", ["slack", "teams", "both"])
def test_every_http_mode_serves_healthz_with_reasons_metrics_and_the_webhooks(settings, mode, tmp_path):
    h = Harness(settings, local(2026, 12, 7, 9, 0), db=tmp_path / "uppsikt.db")
    app = build_server(h.bot, slack=slack_app(h) if mode in ("slack", "both") else None,
                       teams=anonymous_auth() if mode in ("teams", "both") else None, secrets=Secrets())
    mounted = routes(app)
    assert {("GET", "/healthz"), ("GET", "/metrics"), ("*", "/webhooks/{kind}")} <= mounted
    assert (("POST", "/slack/events") in mounted) == (mode in ("slack", "both"))
    assert (("POST", "/api/messages") in mounted) == (mode in ("teams", "both"))
    server = HttpServer(app, "127.0.0.1", 0)
    serve_in_thread(server)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert get(base + "/healthz") == (503, "unhealthy: the scheduler has not ticked yet")
        h.bot.tick()
        assert get(base + "/healthz") == (200, "ok")
        status, text = get(base + "/metrics")
        assert status == 200 and "uppsikt_outbox_pending" in text
        assert get(base + "/elsewhere")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_without_secrets_no_webhook_route_and_without_a_bot_no_metrics(settings):
    h = Harness(settings, local(2026, 12, 7, 9, 0))
    assert ("*", "/webhooks/{kind}") not in routes(build_server(h.bot, slack=slack_app(h)))
    bare = routes(build_server(None, slack=slack_app(h)))
    assert ("GET", "/metrics") not in bare and ("GET", "/healthz") in bare
