"""Business days and office hours (rules C1 and C2).

C1: a business day is a weekday that is not a Swedish public holiday (allmän
helgdag) and not midsommarafton, julafton or nyårsafton (Semesterlagen 7 §),
nor one of the municipality's extra local days off (klämdagar).

C2: all wall-clock times are Europe/Stockholm. Inputs may be any aware
datetime; naive datetimes are read as Stockholm local time. Results are aware
Stockholm datetimes. Durations are computed in UTC, so they are exact across the
daylight-saving switches.

Deadline rule: An item's deadline of N business days is the same local time of
day on the Nth business day after it arrived. An item that arrives outside
office hours (before opening, after closing, or on a day that is not a business
day) counts from the next opening.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from functools import cache

from bot.clock import STOCKHOLM, UTC, to_local

LOCAL_DAY_OFF = "Lokal ledig dag"


@cache
def _weekday_holidays(year: int) -> dict[dt.date, str]:
    """Swedish names of the public holidays and de facto holidays (the three
    eves) of `year` that fall on a weekday. Weekend entries are dropped, so it
    does not matter whether the installed `holidays` lists Sundays."""
    import holidays  # slow import; deferred so that importing this module stays cheap

    days = holidays.Sweden(
        years=year, categories=(holidays.PUBLIC, holidays.DE_FACTO), language="sv"
    )
    return {d: name for d, name in days.items() if d.weekday() < 5}


class BusinessCalendar:
    """Business days of one municipality and its office hours."""

    def __init__(
        self,
        extra_days_off: Iterable[dt.date] = (),
        office_open: dt.time = dt.time(8, 0),
        office_close: dt.time = dt.time(17, 0),
    ) -> None:
        if not office_open < office_close:
            raise ValueError(f"office_open {office_open} must be before office_close {office_close}")
        self.extra_days_off = frozenset(extra_days_off)
        self.office_open = office_open
        self.office_close = office_close
        self._business: dict[dt.date, bool] = {}
        self._added: dict[tuple[dt.date, int], dt.date] = {}
        self._spans: dict[dt.date, tuple[dt.datetime, dt.datetime]] = {}

    # -- days ----------------------------------------------------------------

    def is_business_day(self, d: dt.date) -> bool:
        result = self._business.get(d)
        if result is None:
            result = (
                d.weekday() < 5
                and d not in self.extra_days_off
                and d not in _weekday_holidays(d.year)
            )
            self._business[d] = result
        return result

    def holiday_name(self, d: dt.date) -> str | None:
        """Swedish name of the holiday or eve on weekday `d`, "Lokal ledig dag"
        for an extra day off, None for business days and weekends."""
        if d.weekday() >= 5:
            return None
        name = _weekday_holidays(d.year).get(d)
        if name is None and d in self.extra_days_off:
            return LOCAL_DAY_OFF
        return name

    def next_business_day(self, d: dt.date, include_self: bool = False) -> dt.date:
        if not include_self:
            d += dt.timedelta(days=1)
        while not self.is_business_day(d):
            d += dt.timedelta(days=1)
        return d

    def previous_business_day(self, d: dt.date, include_self: bool = False) -> dt.date:
        if not include_self:
            d -= dt.timedelta(days=1)
        while not self.is_business_day(d):
            d -= dt.timedelta(days=1)
        return d

    def add_business_days(self, d: dt.date, n: int) -> dt.date:
        """The nth business day after `d` (n >= 1); for n == 0, `d` itself if it
        is a business day, else the next one; for n < 0, the |n|th business day
        before `d`."""
        key = (d, n)
        result = self._added.get(key)
        if result is None:
            if n == 0:
                result = self.next_business_day(d, include_self=True)
            else:
                step = self.next_business_day if n > 0 else self.previous_business_day
                result = d
                for _ in range(abs(n)):
                    result = step(result)
            self._added[key] = result
        return result

    def business_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Business days from `start` to `end`, both inclusive."""
        days = []
        d = start
        while d <= end:
            if self.is_business_day(d):
                days.append(d)
            d += dt.timedelta(days=1)
        return days

    # -- wall-clock times ----------------------------------------------------

    def local_midnight(self, d: dt.date) -> dt.datetime:
        return self.at(d, dt.time(0, 0))

    def at(self, d: dt.date, t: dt.time) -> dt.datetime:
        """Aware Stockholm wall time `t` on day `d`. A time that does not exist
        (spring switch) moves forward one hour; an ambiguous one (autumn
        switch) is the first occurrence."""
        if t.fold:
            t = t.replace(fold=0)
        # With fold=0 zoneinfo reads a nonexistent time with the pre-switch
        # offset; the round trip through UTC then moves it forward one hour.
        return dt.datetime.combine(d, t, STOCKHOLM).astimezone(UTC).astimezone(STOCKHOLM)

    def _span(self, d: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """Opening and closing of day `d`, in UTC."""
        span = self._spans.get(d)
        if span is None:
            span = (
                self.at(d, self.office_open).astimezone(UTC),
                self.at(d, self.office_close).astimezone(UTC),
            )
            self._spans[d] = span
        return span

    def is_office_hours(self, when: dt.datetime) -> bool:
        local = to_local(when)
        return (
            self.is_business_day(local.date())
            and self.office_open <= local.time() < self.office_close
        )

    def next_opening(self, when: dt.datetime) -> dt.datetime:
        """`when` itself (in Stockholm) if in office hours, else the next opening."""
        local = to_local(when)
        d = local.date()
        if self.is_business_day(d):
            if local.time() < self.office_open:
                return self._span(d)[0].astimezone(STOCKHOLM)
            if local.time() < self.office_close:
                return local
        return self._span(self.next_business_day(d))[0].astimezone(STOCKHOLM)

    def deadline(self, received: dt.datetime, business_days: int) -> dt.datetime:
        """See the deadline rule in the module docstring."""
        start = self.next_opening(received)
        return self.at(self.add_business_days(start.date(), business_days), start.time())

    # -- office time ---------------------------------------------------------

    def add_office_time(self, when: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        """Walk `delta` of office time from `when` (backwards if negative).

        A walk that ends exactly on a closing (forwards) or opening (backwards)
        stays on that day. A zero delta returns `when` unchanged."""
        local = to_local(when)
        if not delta:
            return local
        forward = delta > dt.timedelta(0)
        remaining = abs(delta)
        cur = local.astimezone(UTC)
        d = local.date()
        while True:
            if self.is_business_day(d):
                opening, closing = self._span(d)
                if forward:
                    cur = max(cur, opening)
                    available = closing - cur
                    if remaining <= available:
                        return (cur + remaining).astimezone(STOCKHOLM)
                else:
                    cur = min(cur, closing)
                    available = cur - opening
                    if remaining <= available:
                        return (cur - remaining).astimezone(STOCKHOLM)
                if available > dt.timedelta(0):
                    remaining -= available
            if forward:
                d = self.next_business_day(d)
                cur = self._span(d)[0]
            else:
                d = self.previous_business_day(d)
                cur = self._span(d)[1]

    def office_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Office time in [a, b); negative if b is before a."""
        a, b = to_local(a), to_local(b)
        a_utc, b_utc = a.astimezone(UTC), b.astimezone(UTC)
        if b_utc < a_utc:
            return -self.office_time_between(b, a)
        total = dt.timedelta(0)
        for d in self.business_days(a.date(), b.date()):
            opening, closing = self._span(d)
            overlap = min(b_utc, closing) - max(a_utc, opening)
            if overlap > dt.timedelta(0):
                total += overlap
        return total


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later, clamped to the end of a shorter month."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
