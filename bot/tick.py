"""The scheduler tick and the next wake-up: what falls due when, derived from the database.

`run(ctx)` is the body of `Bot.tick` (the facade serializes it and delivers what it caused);
`next_wakeup` and `advance` let the simulator, the console with --start and the tests drive a
fake clock exactly as the minute scheduler would.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.clock import FakeClock, from_epoch, to_epoch, to_local
from bot.core import accounts, crisis, handover, isolation, items, oversight, records, snapshots, staff
from bot.core.context import Context
from bot.messages import Message
from bot.report.post import monthly_post_due
from bot.settings import parse_time

if TYPE_CHECKING:
    from bot.facade import Bot


# The first pending message of each target: the outbox delivers a target's messages in order and stops at the
# first that is not due, so the rows behind a blocked head wait for it. Only the heads say when the outbox can
# make progress: while a target is blocked the clock jumps to its next retry instead of ticking every second.
OUTBOX_HEADS = ("SELECT o.id, o.next_attempt_at FROM outbox AS o JOIN "
                "(SELECT MIN(id) AS id FROM outbox WHERE status = 'pending' GROUP BY target) AS head ON o.id = head.id")


def run(ctx: Context) -> list[Message]:
    """Derive everything due now from the database; safe to call at any time, any number of times."""
    with ctx.db.atomic():
        # One account's or one item's failure never rolls back the others' (bot/core/isolation.py):
        # oversight and items isolate each account and item; the other parts are units of their own.
        out = oversight.tick(ctx)
        out += crisis.tick_isolated(ctx)
        out += items.tick(ctx)
        if ctx.once(f"daily:{ctx.today().isoformat()}"):
            # Automatic snapshots (issue 12) before the records' reminders: an account whose snapshot was made
            # is no longer due, and one whose snapshot failed still gets the reminder to take screenshots.
            for name, daily in (("absences", handover.daily), ("coverage", staff.check_coverage),
                                ("snapshots", snapshots.due), ("records", records.daily),
                                ("monthly", monthly_post_due)):
                out += isolation.run(ctx, f"daily:{name}", ctx.t(f"duty.unit.{name}"),
                                     lambda daily=daily: daily(ctx), [])
        # Once a day by itself, in office hours (a calm first start).
        out += isolation.run(ctx, "daily:accounts", ctx.t("duty.unit.accounts"), lambda: accounts.daily(ctx), [])
        ctx.set_state("last_tick", str(ctx.now_ts()))
    return out


def advance(bot: "Bot", clock: FakeClock, until: dt.datetime) -> None:
    """Move a fake clock to `until`, ticking at every moment something falls due on the way
    (simulator, console with --start, tests): exactly what the minute scheduler would do."""
    bot.tick()
    while (wake := next_wakeup(bot.ctx)) <= until:
        clock.set(wake)
        bot.tick()
    if clock.now() == to_local(until) and not due_now(bot):
        return  # ticked at this very moment already, nothing changed since and nothing left over
    clock.set(until)
    bot.tick()


def due_now(bot: "Bot") -> bool:
    """Work a second tick at the same moment would find: items beyond one tick's batch, or an
    outbox retry due now (the only things one tick can leave due at its own moment)."""
    db = bot.ctx.db
    now = bot.ctx.now_ts()
    with bot.lock:
        return bool(
            db.execute("SELECT 1 FROM items WHERE next_nudge_at <= ? LIMIT 1", [now]).fetchone()
            or db.execute(f"{OUTBOX_HEADS} WHERE o.next_attempt_at <= ? LIMIT 1", [now]).fetchone()
        )


def next_wakeup(ctx: Context) -> dt.datetime:
    """The earliest moment at which tick() could have something to do (for the simulator)."""
    now = ctx.now()
    candidates = [ctx.calendar().local_midnight(now.date() + dt.timedelta(days=1))]
    times = _oversight_times(ctx)
    for day in (now.date(), now.date() + dt.timedelta(days=1)):
        later = [at for at in (ctx.calendar().at(day, t) for t in times) if at > now]
        if later:
            candidates.append(min(later))
            break
    for sql in (
        "SELECT MIN(next_nudge_at) FROM items WHERE next_nudge_at IS NOT NULL",
        "SELECT MIN(next_intensified_at) FROM accounts WHERE next_intensified_at IS NOT NULL",
        f"SELECT MIN(o.next_attempt_at) FROM ({OUTBOX_HEADS}) AS o",
        "SELECT MIN(next_prompt_at) FROM crisis_periods WHERE ended_at IS NULL",
        "SELECT MIN(next_at) FROM intensified_slots WHERE next_at IS NOT NULL",  # O3 reminders, escalations
    ):
        ts = ctx.db.execute(sql).fetchone()[0]
        if ts is not None:
            candidates.append(from_epoch(max(ts, to_epoch(now) + 1)))
    return min(candidates)


def _oversight_times(ctx: Context) -> set[dt.time]:
    """The accounts' prompt, reminder and escalation times (kept until the set of accounts changes)."""
    accounts = ctx.accounts
    cached = ctx.cache.get("oversight_times")
    if cached is None or cached[0] is not accounts:  # type: ignore[index]
        times = {parse_time(hm) for acc in accounts.values()
                 for hm in (acc.policy.oversight.prompt_time, acc.policy.oversight.reminder_time,
                            acc.policy.oversight.escalation_time)}
        cached = ctx.cache["oversight_times"] = (accounts, times)
    return cached[1]  # type: ignore[index,return-value]
