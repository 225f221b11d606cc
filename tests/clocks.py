"""Test clocks beyond bot.clock.FakeClock."""

from __future__ import annotations

import datetime as dt


class SteppedClock:
    """A wall clock that can be stepped backwards, with a separate monotonic reading (seconds).

    `monotonic=False`: a clock without a monotonic reading at all (the outbox must then use the wall clock)."""

    def __init__(self, now: dt.datetime, monotonic: bool = True):
        self.at = now
        self.mono = 1000.0
        if not monotonic:
            self.monotonic = None

    def now(self) -> dt.datetime:
        return self.at

    def monotonic(self) -> float:
        return self.mono

    def tick(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)
        self.mono += seconds
