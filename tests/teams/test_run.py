"""`uppsikt run --teams`: credentials checked first; the scheduler starts with the app and can post at once."""

from __future__ import annotations

import time

from aiohttp import web
from microsoft_agents.activity import ChannelAccount, ConversationAccount, ConversationReference

from bot import server as cli  # the run modes live in bot/server.py
from bot.adapters.teams.app import anonymous_auth
from bot.adapters.teams.directory import Directory
from tests.conftest import Harness, local
from tests.teams.conftest import BOT, TENANT, channel_id
from tests.teams.mock_connector import verbs


def test_without_credentials_run_teams_explains_what_to_set(settings, tmp_path):
    h = Harness(settings, local(2026, 12, 7, 8, 0), db=tmp_path / "u.db")
    said: list[str] = []
    assert cli.run_teams(h.bot, port=0, env={}, out=said.append) == 2
    assert "MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppTenantId" in said[0] and "docs/teams.md" in said[0]


def test_the_scheduler_starts_with_the_app_and_its_first_tick_posts_to_teams(settings, tmp_path, connector):
    loop, mock = connector
    h = Harness(settings, local(2026, 12, 7, 8, 29), db=tmp_path / "u.db")  # installed before the day's prompt
    h.clock.set(local(2026, 12, 7, 8, 31))
    directory = Directory(h.bot)
    for name in ("konto-facebook", "konto-instagram", "konto-linkedin", "konto-bibliotek", "krisgruppen"):
        directory.save_channel(name, ConversationReference(
            channel_id="msteams", service_url=mock.base_url, agent=ChannelAccount(**BOT),
            conversation=ConversationAccount(id=channel_id(name), conversation_type="channel", tenant_id=TENANT)))
    app = cli.serve_app(h.bot, anonymous_auth(), backup_folder=tmp_path / "backups")

    async def start() -> web.AppRunner:
        runner = web.AppRunner(app)
        await runner.setup()  # runs on_startup: the chat port is attached, then jobs.start ticks once
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = loop.run(start())
    try:
        scheduler = app[cli.SCHEDULER_KEY]
        assert scheduler.running and scheduler.get_job("tick") is not None
        def prompts() -> list:
            return [c for c in mock.sent(channel_id("konto-facebook")) if "oversight_done" in verbs(c.card)]

        deadline = time.monotonic() + 10  # delivery runs in the bot's background thread
        while not prompts() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(prompts()) == 1
    finally:
        loop.run(runner.cleanup())
    assert not scheduler.running
