"""In Teams mode the same process serves the intake webhooks (issue 5, §2)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from aiohttp import web

from bot.adapters.teams.app import anonymous_auth
from bot.server import build_server
from bot.adapters.webhooks import sign_intake
from bot.settings import Secrets
from tests.conftest import Harness, local


def test_generic_intake_through_the_teams_server(settings, tmp_path, connector):
    loop, _ = connector
    h = Harness(settings, local(2026, 12, 7, 10, 0), db=tmp_path / "u.db")
    app = build_server(h.bot, teams=anonymous_auth(), secrets=Secrets(intake_secret="s3cret"))

    async def start() -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    runner, port = loop.run(start())
    try:
        body = json.dumps({"account": "linkedin", "text": "Hur söker jag sommarjobb? 😊", "external_id": "t-1",
                           "source": "linkedin"}, ensure_ascii=False).encode()
        ts = str(int(h.bot.ctx.now().timestamp()))
        req = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/intake", data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Uppsikt-Timestamp": ts,
            "X-Uppsikt-Signature": sign_intake("s3cret", ts, body)})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200 and json.loads(resp.read())["created"] is True
        assert h.bot.db["items"].count == 1
        bad = urllib.request.Request(req.full_url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Uppsikt-Timestamp": ts, "X-Uppsikt-Signature": "sha256=00"})
        try:
            urllib.request.urlopen(bad, timeout=10)
            raise AssertionError("a bad signature was accepted")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        assert h.bot.db["items"].count == 1
    finally:
        loop.run(runner.cleanup())
