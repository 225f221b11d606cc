"""Time is injected: the only place that reads the wall clock.

All wall-clock times in Uppsikt are Europe/Stockholm (rule C2). Datetimes are
always timezone-aware; the store keeps UTC epoch seconds.
"""

from __future__ import annotations

import datetime as dt
import time as _time
from typing import Protocol
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
UTC = dt.timezone.utc


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Current time, aware, in Europe/Stockholm."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(STOCKHOLM)

    def monotonic(self) -> float:
        return _time.monotonic()


class FakeClock:
    """A clock that only moves when told to (tests, simulator)."""

    def __init__(self, start: dt.datetime):
        self._now = to_local(start)

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        """A fake clock never goes backwards: its own time is monotonic (rate limits follow simulated time)."""
        return self._now.timestamp()

    def set(self, when: dt.datetime) -> None:
        when = to_local(when)
        if when < self._now:
            raise ValueError(f"FakeClock cannot go backwards: {when} < {self._now}")
        self._now = when

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        # Arithmetic in UTC so that a jump across a DST switch is exact.
        self._now = (self._now.astimezone(UTC) + delta).astimezone(STOCKHOLM)
        return self._now


def to_local(when: dt.datetime) -> dt.datetime:
    """Aware datetime in Stockholm; a naive one is read as Stockholm wall time."""
    if when.tzinfo is None:
        return when.replace(tzinfo=STOCKHOLM)
    return when.astimezone(STOCKHOLM)


def to_epoch(when: dt.datetime) -> int:
    """Seconds since the epoch; a naive datetime is read as Stockholm wall time (an aware one is absolute
    already: no conversion to Stockholm first, a million of them in a simulated year)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=STOCKHOLM)
    return int(when.timestamp())


def from_epoch(seconds: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, STOCKHOLM)


def local_date(seconds: int | float) -> dt.date:
    return from_epoch(seconds).date()
