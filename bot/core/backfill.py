"""Backfill (issue 12 point 2): what the platform has and intake lacks, as deliveries' events.

bot/channel_watch.py reads an account's recent posts and their comments and replies from the Graph API
(outside the lock, bounded by bot/core/channels.py's limits); `events_from` turns the rows into
`PlatformEvent`s with via="backfill", the account's own content marked `own`, the Graph JSON as `raw`; and
`deliver` stores them through bot/core/deliveries.py `receive_delivery` in one transaction with the
account's channel-health state, so intake (deduplicated on source and external id) and the archive
(likewise) take each comment in exactly once, whichever of webhook and backfill brings it first. What a
backfill brought is marked in the archive (`archive_objects.via = 'backfill'`): its card says it arrived
late (bot/core/items.py `card`) and the monthly report counts it (bot/core/monthly.py `late_intake`).
"""

from __future__ import annotations

import json

from bot.clock import from_epoch
from bot.core import channels
from bot.core.context import Context
from bot.core.deliveries import DeliveryResult, PlatformEvent, receive_delivery
from bot.settings import Account

OBJECT_OF_PLATFORM = {"facebook": "page", "instagram": "instagram"}


def events_from(ctx: Context, account: Account, rows: list[dict] | None) -> list[PlatformEvent]:
    """The backfill's rows as deliveries' events: posts and comments, the account's own marked `own`, with
    the Graph JSON as `raw`. Posts first, then comments oldest first, so a reply follows its comment."""
    out = []
    for row in sorted(rows or [], key=lambda r: (r.get("_kind") != "post", channels.created_of(r) or 0)):
        kind = row.get("_kind", "comment")
        sender = row.get("from") if isinstance(row.get("from"), dict) else {}
        sender_id = str(sender.get("id", ""))
        if account.platform == "instagram":
            author = str(row.get("username") or sender.get("username") or sender_id)
            text = str(row.get("caption" if kind == "post" else "text") or "")
            permalink = str(row.get("permalink") or "")
            own = kind == "post" or sender_id == account.external_id  # an account's media are its own
        else:
            author = str(sender.get("name") or sender_id)
            text = str(row.get("message") or "")
            permalink = str(row.get("permalink_url") or "")
            own = sender_id == account.external_id
        created = channels.created_of(row)
        raw = {k: v for k, v in row.items() if not k.startswith("_")}
        out.append(PlatformEvent(
            entry_id=account.external_id, action="add", source=account.platform, external_id=str(row["id"]),
            kind=kind, text=text, author=author, author_id=sender_id, permalink=permalink,
            created=from_epoch(created) if created is not None else None, own=bool(own),
            parent_id=str(row.get("_parent", "")), raw=json.dumps(raw, ensure_ascii=False, sort_keys=True),
            via="backfill"))
    return out


def deliver(ctx: Context, account: Account, check: channels.Check) -> DeliveryResult:
    """Store a backfill read and the account's new backfill mark, all or nothing (call under the lock)."""
    events = events_from(ctx, account, check.rows)
    with ctx.db.atomic():
        result = receive_delivery(ctx, OBJECT_OF_PLATFORM[account.platform], [account.external_id], events)
        channels.backfilled(ctx, account.id, check, result.counts)
    return result


__all__ = ["deliver", "events_from"]
