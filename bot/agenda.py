"""The scheduler agenda (issue 17 point 3): when each kind of work next falls due, stored with the work.

Every source of scheduled work keeps its next due time in an indexed column, written when the work is made
or changes (never recomputed by a tick):

==============================  =========================================================================
``items.next_nudge_at``          an open item's next reminder stage; its whole plan is ``items.nudge_plan``
``accounts.next_oversight_at``   the account's next oversight step (prompt, reminder, escalation; O1–O2)
``accounts.next_intensified_at`` the next intensified prompt (O3)
``intensified_slots.next_at``    the reminder or escalation of an intensified check not logged (O3)
``crisis_periods.next_prompt_at`` the next crisis prompt (K1)
``jobs.next_at``                 the daily jobs (absences, coverage, records, the monthly report, ...)
==============================  =========================================================================

`due(ctx)` reads the earliest time of every source with ONE statement; a tick runs only the sources that
are due (bot/tick.py) and `next_wakeup` answers from the same statement (plus the outbox's heads).

Adding a daily job is one line in `JOBS` below (and a `duty.unit.<name>` sentence in the catalogue,
named in the report when the job fails): ``Job("archive", archive.daily)`` runs ``archive.daily(ctx)`` once
a day after local midnight (inside the tick's transaction; it returns the messages it emitted). A job that
should run at another time passes ``next_at`` (see `office_opening`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import from_epoch, to_epoch
from bot.core import accounts, handover, isolation, records, snapshots, staff
from bot.core.context import Context
from bot.messages import Message
from bot.report.post import monthly_post_due

# The earliest due time of each source (NULL: nothing planned). An account of the watched set whose next
# oversight step is not planned yet (a new or just-approved account) is due at once: `plan_accounts`.
SOURCES = ("items", "oversight", "intensified", "slots", "crisis", "jobs")
DUE_SQL = (
    "SELECT (SELECT MIN(next_nudge_at) FROM items WHERE next_nudge_at IS NOT NULL), "
    "(SELECT MIN(next_oversight_at) FROM accounts WHERE next_oversight_at IS NOT NULL), "
    "(SELECT MIN(next_intensified_at) FROM accounts WHERE next_intensified_at IS NOT NULL), "
    "(SELECT MIN(next_at) FROM intensified_slots WHERE next_at IS NOT NULL), "
    "(SELECT MIN(next_prompt_at) FROM crisis_periods WHERE ended_at IS NULL AND next_prompt_at IS NOT NULL), "
    "(SELECT MIN(next_at) FROM jobs)"
)


def next_midnight(ctx: Context, now: dt.datetime) -> dt.datetime:
    """The default for a daily job: the next local midnight (the first tick of each day runs it)."""
    return ctx.calendar().local_midnight(now.date() + dt.timedelta(days=1))


def office_opening(ctx: Context, now: dt.datetime) -> dt.datetime:
    """The next opening of the office on a business day after `now` (a job that runs in office hours)."""
    cal = ctx.calendar()
    opening = ctx.settings.policy.office.open
    day = now.date()
    if not (cal.is_business_day(day) and now.time() < opening):
        day = cal.next_business_day(day)
    return cal.at(day, opening)


@dataclass(frozen=True)
class Job:
    """A daily job: `run(ctx)` inside the tick's transaction (isolated: a failure is rolled back and reported
    as `duty.unit.<name>`, and the job runs again at its next time); `next_at(ctx, now)` after each run."""

    name: str
    run: Callable[[Context], list[Message]]
    next_at: Callable[[Context, dt.datetime], dt.datetime] = next_midnight


JOBS: tuple[Job, ...] = (
    Job("absences", handover.daily),
    Job("coverage", staff.check_coverage),
    # Automatic snapshots (issue 12) before the records' reminders: an account whose snapshot was made is no
    # longer due, and one whose snapshot failed still gets the reminder to take screenshots.
    Job("snapshots", snapshots.due),
    Job("records", records.daily),
    Job("monthly", monthly_post_due),
    # A5: once a day by itself in office hours on business days (a calm first start: not at midnight).
    Job("accounts", accounts.daily, office_opening),
)


def plan(ctx: Context, jobs: tuple[Job, ...] = JOBS) -> None:
    """At start-up (call inside db.atomic()): every registered job has a row (a new one is due at once), a
    job no longer registered is dropped, and every account's next oversight step is planned afresh (the
    configured times may have changed)."""
    names = [j.name for j in jobs]
    ctx.db.conn.executemany("INSERT OR IGNORE INTO jobs (name, next_at) VALUES (?, 0)", [(n,) for n in names])
    ctx.db.execute(f"DELETE FROM jobs WHERE name NOT IN ({','.join('?' * len(names))})", names)
    ctx.db.execute("UPDATE accounts SET next_oversight_at = NULL")
    ctx.cache.pop("agenda_accounts", None)
    # The stored reminder plans follow the deadlines policy, office hours and days off: when the configuration
    # changed them, the plans are made again from the new one (each at its item's next due stage).
    muni = ctx.settings.municipality
    fingerprint = hashlib.sha256(repr((
        sorted((a.id, a.policy.deadlines, a.policy.office) for a in ctx.accounts.values()),
        ctx.settings.policy.deadlines, ctx.settings.policy.office, muni.extra_days_off,
    )).encode()).hexdigest()
    if ctx.get_state("agenda_plans") != fingerprint:
        ctx.db.execute("UPDATE items SET nudge_plan = NULL WHERE nudge_plan IS NOT NULL")
        ctx.set_state("agenda_plans", fingerprint)


def plan_accounts(ctx: Context) -> None:
    """When the set of watched accounts changed (start, approval, closure): a watched account without a
    planned step is due now (its step is computed by the tick), an account no longer watched has none."""
    watched = ctx.accounts
    if ctx.cache.get("agenda_accounts") is watched:
        return
    ids = list(watched)
    marks = ",".join("?" * len(ids))
    if ids:
        ctx.db.execute(f"UPDATE accounts SET next_oversight_at = ? WHERE next_oversight_at IS NULL AND id IN ({marks})",
                       [ctx.now_ts(), *ids])
    ctx.db.execute(f"UPDATE accounts SET next_oversight_at = NULL WHERE next_oversight_at IS NOT NULL "
                   f"AND id NOT IN ({marks})", ids)
    ctx.cache["agenda_accounts"] = watched


def earliest(ctx: Context) -> dict[str, int]:
    """The earliest due time of each source that has one (one statement).

    Kept until the connection writes again (`total_changes` counts every row written, rolled back or not, by
    statements and triggers): the scheduler asks for the next wake-up and then, at that moment, what is due,
    with nothing written in between, so the second answer is the first one. Every due time is written by the
    bot's own connection (the inbox's connection writes only the inbox)."""
    plan_accounts(ctx)
    changes = ctx.db.conn.total_changes
    kept = ctx.cache.get("agenda_earliest")
    if kept is not None and kept[0] == changes:  # type: ignore[index]
        return dict(kept[1])  # type: ignore[index]
    row = ctx.db.execute(DUE_SQL).fetchone()
    found = {name: ts for name, ts in zip(SOURCES, row, strict=True) if ts is not None}
    ctx.cache["agenda_earliest"] = (changes, found)
    return dict(found)


def due(ctx: Context, now: int) -> set[str]:
    """The sources with something due at `now`."""
    return {name for name, ts in earliest(ctx).items() if ts <= now}


def run_jobs(ctx: Context, jobs: tuple[Job, ...] = JOBS) -> list[Message]:
    """The daily jobs that are due, in their registered order (call inside db.atomic())."""
    now = ctx.now()
    ts = to_epoch(now)
    due_names = {r[0] for r in ctx.db.execute("SELECT name FROM jobs WHERE next_at <= ?", [ts])}
    out: list[Message] = []
    for job in jobs:
        if job.name not in due_names:
            continue
        out += isolation.run(ctx, f"daily:{job.name}", ctx.t(f"duty.unit.{job.name}"), lambda job=job: job.run(ctx), [])
        ctx.db.execute("UPDATE jobs SET next_at = ? WHERE name = ?", [to_epoch(job.next_at(ctx, now)), job.name])
    return out


def describe(ctx: Context) -> list[tuple[str, dt.datetime]]:
    """The agenda's next time per source, earliest first (for the figures and the tests)."""
    return sorted(((name, from_epoch(ts)) for name, ts in earliest(ctx).items()), key=lambda p: p[1])
