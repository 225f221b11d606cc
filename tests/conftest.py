"""Shared fixtures: the example config, a fake clock and a bot wired to a recording chat."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
from pathlib import Path

import pytest

from bot.bootstrap import Bot, RecordingChat, build
from bot.clock import STOCKHOLM, FakeClock
from bot.settings import DEFAULT_CONFIG, Settings, load_settings

REPO = Path(__file__).resolve().parent.parent


def stop_with_ctrl_c(proc: subprocess.Popen) -> int | None:
    """Stop a started `uppsikt run` as Ctrl+C does; its exit code, or None when it had to be killed."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return None


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=STOCKHOLM)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(DEFAULT_CONFIG)


class Harness:
    """A bot on a fake clock; `run_until` ticks through every due moment like the scheduler would."""

    def __init__(self, settings: Settings, start: dt.datetime, db=None):
        self.clock = FakeClock(start)
        self.chat = RecordingChat(self.clock)
        self.bot: Bot = build(settings, clock=self.clock, db=db, chat=self.chat)

    @property
    def ctx(self):
        return self.bot.ctx

    def run_until(self, when: dt.datetime) -> None:
        self.bot.advance(self.clock, when)

    def sent(self, kind: str | None = None, to: str | None = None, account: str | None = None):
        return [
            (at, m) for at, m in self.chat.sent
            if (kind is None or m.kind == kind) and (to is None or m.to == to) and (account is None or m.account == account)
        ]

    def clear(self) -> None:
        self.chat.sent.clear()


@pytest.fixture
def harness(settings):
    def make(start: dt.datetime, db=None) -> Harness:
        return Harness(settings, start, db)

    return make
