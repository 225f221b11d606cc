"""The complete archive (issue 12): every post, comment and message on a watched account, with every version.

Deliveries (webhooks and backfill) call `capture` for each event on a known account, the municipality's own
content included; `mark` records what happens to an object afterwards (hidden, unhidden, deleted, removed,
registered). Nothing here is ever overwritten: an edit adds a version, a deletion keeps the content and
records who and when. Snapshots (R4), the E-ARK SIP export and search (R7) read these tables; weeding (R5)
empties the content of what is of minor importance after its period and keeps the events.

Tables (migration m010_archive): archive_objects, archive_versions, archive_events, archive_holds.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.clock import to_epoch
from bot.core.context import Context

if TYPE_CHECKING:
    from bot.core.deliveries import PlatformEvent

EVENT_KINDS = ("captured", "edited", "hidden", "unhidden", "deleted", "removed", "registered", "weeded",
               "held", "released")
STATE_OF_EVENT = {"hidden": "hidden", "unhidden": "visible", "deleted": "deleted", "removed": "deleted"}


def find(ctx: Context, source: str, external_id: str) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM archive_objects WHERE source = ? AND external_id = ?",
                             [source, external_id]))
    return rows[0] if rows else None


def capture(ctx: Context, account_id: str, event: PlatformEvent, *, item_id: int | None = None) -> tuple[int, str]:
    """Keep what a delivery says about one object; returns (object id, what happened).

    What happened is `captured` (new object), `edited` (a new version), `hidden`/`unhidden`/`deleted`
    (an event) or `known` (nothing new: a repeated delivery or a backfill of what a webhook brought).
    """
    now = ctx.now_ts()
    created = to_epoch(event.created) if event.created else now
    row = find(ctx, event.source, event.external_id)
    if row is None:
        text = event.text if event.action in ("add", "edit") else ""
        cur = ctx.db.execute(
            "INSERT INTO archive_objects (account_id, source, external_id, kind, parent_external_id, own, author,"
            " author_id, permalink, created_at, first_seen_at, via, state, item_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [account_id, event.source, event.external_id, event.kind, event.parent_id, int(event.own),
             event.author, event.author_id, event.permalink, min(created, now), now, event.via,
             "deleted" if event.action == "remove" else "visible", item_id])
        object_id = int(cur.lastrowid)
        _version(ctx, object_id, 1, text, event.raw, now)
        _event(ctx, object_id, "captured", now, "platform", via=event.via)
        if event.action in ("remove", "hide", "unhide"):
            kind = {"remove": "deleted", "hide": "hidden", "unhide": "unhidden"}[event.action]
            mark(ctx, object_id, kind, actor="author" if event.action == "remove" else "platform", at=now)
            return object_id, kind
        return object_id, "captured"
    object_id = int(row["id"])
    if item_id is not None and row["item_id"] is None:
        ctx.db.execute("UPDATE archive_objects SET item_id = ? WHERE id = ?", [item_id, object_id])
    if event.action == "add" or event.action == "edit":
        latest = latest_version(ctx, object_id)
        if event.text and (latest is None or latest["text"] != event.text):
            if latest is not None and not latest["text"] and latest["version"] == 1 and event.action == "add":
                # first seen as a bare removal or hide; the content arrived later (backfill): fill version 1
                ctx.db.execute("UPDATE archive_versions SET text = ?, raw_json = ? WHERE id = ?",
                               [event.text, event.raw, latest["id"]])
                return object_id, "captured"
            if event.action == "add":  # a repeated add with other text is the same version (not an edit)
                return object_id, "known"
            _version(ctx, object_id, (latest["version"] if latest else 0) + 1, event.text, event.raw, now)
            _event(ctx, object_id, "edited", now, "author", via=event.via)
            return object_id, "edited"
        return object_id, "known"
    kind = {"remove": "deleted", "hide": "hidden", "unhide": "unhidden"}[event.action]
    if STATE_OF_EVENT[kind] == row["state"]:
        return object_id, "known"
    mark(ctx, object_id, kind, actor="author" if event.action == "remove" else "platform", at=now)
    return object_id, kind


def mark(ctx: Context, object_id: int, kind: str, *, actor: str, at: int | None = None, **detail: object) -> None:
    """Record an event in an object's life (and its new state where the event changes it)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown archive event {kind!r}")
    at = ctx.now_ts() if at is None else at
    _event(ctx, object_id, kind, at, actor, **detail)
    if kind in STATE_OF_EVENT:
        ctx.db.execute("UPDATE archive_objects SET state = ? WHERE id = ?", [STATE_OF_EVENT[kind], object_id])
    if kind == "registered":
        ctx.db.execute("UPDATE archive_objects SET record = 1 WHERE id = ?", [object_id])


def latest_version(ctx: Context, object_id: int) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM archive_versions WHERE object_id = ? ORDER BY version DESC LIMIT 1",
                             [object_id]))
    return rows[0] if rows else None


def versions(ctx: Context, object_id: int) -> list[dict]:
    return list(ctx.db.query("SELECT * FROM archive_versions WHERE object_id = ? ORDER BY version", [object_id]))


def events(ctx: Context, object_id: int) -> list[dict]:
    return list(ctx.db.query("SELECT * FROM archive_events WHERE object_id = ? ORDER BY at, id", [object_id]))


def _version(ctx: Context, object_id: int, version: int, text: str, raw: str, at: int) -> None:
    ctx.db.execute("INSERT INTO archive_versions (object_id, version, text, raw_json, captured_at)"
                   " VALUES (?, ?, ?, ?, ?)", [object_id, version, text, raw, at])


def _event(ctx: Context, object_id: int, kind: str, at: int, actor: str, **detail: object) -> None:
    ctx.db.execute("INSERT INTO archive_events (object_id, kind, at, actor, detail) VALUES (?, ?, ?, ?, ?)",
                   [object_id, kind, at, actor, json.dumps(detail, ensure_ascii=False, sort_keys=True)])


__all__ = ["EVENT_KINDS", "capture", "events", "find", "latest_version", "mark", "versions"]
