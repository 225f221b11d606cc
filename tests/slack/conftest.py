"""Slack fixtures: a local mock of the Web API pre-filled from config/example.toml.

``slack_api``     a started `MockSlackWebAPI` (function scope; stopped at teardown).
                  ``slack_api.users``: every configured person's e-mail -> a U… id;
                  ``slack_api.channels``: every account channel plus the crisis and
                  communicator channels -> a C… id.
``slack_client``  a `WebClient` pointed at it, with ``retry_handlers=[]`` so
                  failures reach the code under test (the outbox does the retrying).

``play(harness, path)`` drives a Harness through a config/scenarios file with
whatever chat port the harness's bot has (e.g. a SlackChat on the mock).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot import simulate
from bot.bootstrap import Bot
from bot.settings import Settings
from tests.conftest import Harness
from tests.slack.mock_web_api import MockSlackWebAPI


def _id(prefix: str, index: int, name: str) -> str:
    return f"{prefix}{index:02d}{re.sub(r'[^A-Z0-9]', '', name.upper())}"[:11]


def example_users(settings: Settings) -> dict[str, str]:
    """Configured e-mails -> deterministic Slack user ids (U01LENA, U02PER, …)."""
    return {email: _id("U", i, email.split("@")[0]) for i, email in enumerate(sorted(settings.people), start=1)}


def example_channels(settings: Settings) -> dict[str, str]:
    """Account channels plus the crisis and communicator channels -> channel ids (C01KONTOFAC, …)."""
    names = sorted({a.channel for a in settings.accounts.values()} | {
        settings.municipality.crisis_channel, settings.municipality.communicator_channel})
    return {name: _id("C", i, name) for i, name in enumerate(names, start=1)}


@pytest.fixture
def slack_api(settings: Settings) -> Iterator[MockSlackWebAPI]:
    api = MockSlackWebAPI(users=example_users(settings), channels=example_channels(settings))
    with api:
        yield api


@pytest.fixture
def slack_client(slack_api: MockSlackWebAPI) -> WebClient:
    return WebClient(token=slack_api.token, base_url=slack_api.base_url, retry_handlers=[], timeout=5)


def apply_event(bot: Bot, event: simulate.Event) -> None:
    """One scenario event through the bot's public entry points: exactly what the simulator does."""
    simulate.apply(bot, event)


def play(h: Harness, path: Path) -> None:
    """Drive a Harness (started at the scenario's start) through a scenario file, whatever its chat port."""
    scenario = simulate.load_scenario(path)
    for event in scenario.events:
        h.run_until(event.at)
        apply_event(h.bot, event)
    h.run_until(scenario.end)
