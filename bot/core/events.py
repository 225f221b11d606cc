"""Chat events already handled (Slack's event ids, Teams's activity ids): the store side of the one
event-claim rule (`Bot.claim_event`). An id is remembered after its work has committed, for a day."""

from __future__ import annotations

from bot.core.context import Context

KEEP_SECONDS = 86400  # how long a handled event id is remembered (Slack and Teams give up retrying sooner)


def handled(ctx: Context, event_id: str) -> bool:
    return ctx.db.execute("SELECT 1 FROM events_seen WHERE event_id = ?", [event_id]).fetchone() is not None


def remember(ctx: Context, event_id: str) -> None:
    """Remember a handled event; ids older than KEEP_SECONDS are forgotten."""
    now = ctx.now_ts()
    with ctx.db.atomic():
        ctx.db.execute("DELETE FROM events_seen WHERE at < ?", [now - KEEP_SECONDS])
        ctx.db.execute("INSERT OR IGNORE INTO events_seen (event_id, at) VALUES (?, ?)", [event_id, now])
