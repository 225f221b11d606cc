"""Intake: one entry point for every source (console, simulator, Slack, Teams, webhooks).

Stores the item (deduplicated on source and external id), marks direct
messages for the diarium (R6), then lets moderation and crisis act on the
classifier's suggestions, all in one transaction, so an acknowledged event
always has its item and its alerts.
"""

from __future__ import annotations

from bot.core import archive, crisis, items, moderation, records
from bot.core.context import Context


def find(ctx: Context, source: str, external_id: str) -> dict | None:
    """The item taken in from (source, external id), if any: what makes intake idempotent."""
    rows = list(ctx.db.query("SELECT * FROM items WHERE source = ? AND external_id = ?", [source, external_id]))
    return rows[0] if rows else None


def receive(ctx: Context, account_id: str, text: str, **kwargs: object) -> tuple[dict, bool]:
    """`archive=False`: the item is a version of something the archive already keeps (a platform edit)."""
    keep = bool(kwargs.pop("archive", True)) and kwargs.get("external_id") is not None
    with ctx.db.atomic():
        item, created = items.intake(ctx, account_id, text, **kwargs)  # type: ignore[arg-type]
        if created:
            if keep:  # issue 12: what came with a source and an external id is kept in the archive
                archive.capture_item(ctx, item)
            if item["kind"] == "dm":  # R6: direct messages through social media are public records
                records.mark_for_diarium(ctx, item["id"], "direktmeddelande", "uppsikt")
            moderation.on_intake(ctx, item)
            crisis.on_intake(ctx, item)
            item = items.get(ctx, item["id"])
            if item["flag"]:
                ctx.emit(items.card(ctx, item))
    return item, created
