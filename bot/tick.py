"""The scheduler tick and the next wake-up: what falls due when, read from the agenda (bot/agenda.py).

`run(ctx)` is the body of `Bot.tick` (the facade serializes it and delivers what it caused);
`next_wakeup` and `advance` let the simulator, the console with --start and the tests drive a
fake clock exactly as the minute scheduler would.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.clock import FakeClock, from_epoch, to_epoch, to_local
from bot import agenda, outbox
from bot.core import crisis, items, oversight
from bot.core.context import Context
from bot.messages import Message

if TYPE_CHECKING:
    from bot.facade import Bot


# The first pending message of each target: the outbox delivers a target's messages in order and stops at the
# first that is not due, so the rows behind a blocked head wait for it. Only the heads say when the outbox can
# make progress: while a target is blocked the clock jumps to its next retry instead of ticking every second.
OUTBOX_HEADS = ("SELECT o.id, o.next_attempt_at FROM outbox AS o JOIN "
                "(SELECT MIN(id) AS id FROM outbox WHERE status = 'pending' GROUP BY target) AS head ON o.id = head.id")


def run(ctx: Context) -> list[Message]:
    """Do what the agenda (bot/agenda.py) says is due now; safe to call at any time, any number of times.

    A tick costs only its due work: one statement reads the earliest time of every source, and only the due
    sources run. A tick on a clock that has not moved, with nothing written since the last one, does
    nothing at all; otherwise the scheduler's heartbeat (state `last_tick`, read by /healthz) is written.
    """
    now = ctx.now_ts()
    conn = ctx.db.conn
    if ctx.cache.get("tick_seen") == (now, conn.total_changes):
        return []  # the same moment, nothing changed since: nothing can have fallen due
    due = agenda.due(ctx, now)
    if not due:
        if ctx.cache.get("tick_beat") != now:  # the clock moved: the heartbeat, nothing else
            ctx.set_state("last_tick", str(now))
            ctx.cache["tick_beat"] = now
        ctx.cache["tick_seen"] = (now, conn.total_changes)
        return []
    out: list[Message] = []
    with ctx.db.atomic():
        # One account's or one item's failure never rolls back the others' (bot/core/isolation.py):
        # oversight and items isolate each account and item; the other parts are units of their own.
        if due & {"oversight", "intensified", "slots"}:
            out += oversight.tick(ctx, slots="slots" in due)
        if "crisis" in due:
            out += crisis.tick_isolated(ctx)
        if "items" in due:
            out += items.tick(ctx)
        if "jobs" in due:
            oversight.start_day(ctx)
            out += agenda.run_jobs(ctx)
        ctx.set_state("last_tick", str(now))
    ctx.cache["tick_beat"] = now  # committed
    return out  # not remembered as seen: an items batch may have left more due at this very moment


def advance(bot: "Bot", clock: FakeClock, until: dt.datetime) -> None:
    """Move a fake clock to `until`, ticking at every moment something falls due on the way
    (simulator, console with --start, tests): exactly what the minute scheduler would do."""
    if due_now(bot):  # what the last event made due at its own moment (a crisis prompt, a retry)
        bot.tick()
    while (wake := next_wakeup(bot.ctx)) <= until:
        clock.set(wake)
        bot.tick()
    if clock.now() == to_local(until) and not due_now(bot):
        return  # ticked at this very moment already, nothing changed since and nothing left over
    clock.set(until)
    bot.tick()


def due_now(bot: "Bot") -> bool:
    """Is anything due at the clock's current moment: what the last event made due at its own moment (a crisis
    prompt), items beyond one tick's batch, an outbox retry? The agenda (usually kept from the last read: nothing
    was written since) and the outbox's heads (not read when the in-process outbox found nothing waiting and
    nothing was written since). Half of a simulated year's ticks came at an event's moment after the event and
    found nothing to do (issue 17 point 3)."""
    ctx = bot.ctx
    with bot.lock:
        now = ctx.now_ts()
        if agenda.due(ctx, now):
            return True
        if outbox.idle(ctx):
            return False
        return bool(ctx.db.execute(f"{OUTBOX_HEADS} WHERE o.next_attempt_at <= ? LIMIT 1", [now]).fetchone())


def next_wakeup(ctx: Context) -> dt.datetime:
    """The earliest moment at which tick() could have something to do: the agenda's earliest time, or the
    outbox's next retry (never earlier than a second from now)."""
    now = to_epoch(ctx.now())
    candidates = list(agenda.earliest(ctx).values())
    retry = None
    if not outbox.idle(ctx):  # the in-process outbox found nothing waiting and nothing was written since
        retry = ctx.db.execute(f"SELECT MIN(o.next_attempt_at) FROM ({OUTBOX_HEADS}) AS o").fetchone()[0]
    if retry is not None:
        candidates.append(retry)
    if not candidates:  # nothing planned at all (no accounts, no jobs): look again tomorrow
        return ctx.calendar().local_midnight(ctx.today() + dt.timedelta(days=1))
    return from_epoch(max(min(candidates), now + 1))
