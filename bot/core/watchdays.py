"""Watch days (O1, O2): every business day, and inside a long stretch of days off every
`oversight.max_days_without_check` days, so no account goes more than a week unwatched.

A pure function of the calendar and the account's policy, kept apart so that staff (coverage
warnings), oversight, handover and the reports all read the same rule without importing each other.
"""

from __future__ import annotations

import datetime as dt

from bot.core.context import Context
from bot.settings import Account


def is_watch_day(ctx: Context, account: Account, day: dt.date) -> bool:
    cal = ctx.calendar(account.policy)
    if cal.is_business_day(day):
        return True
    limit = account.policy.oversight.max_days_without_check
    prev = cal.previous_business_day(day)
    nxt = cal.next_business_day(day)
    if (nxt - prev).days <= limit:
        return False
    # Watch every `limit` days counted from the last business day; the last such
    # day is then within `limit` days of the next business day as well.
    return (day - prev).days % limit == 0


__all__ = ["is_watch_day"]
