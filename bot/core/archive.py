"""The complete archive (issue 12): every post, comment and message on a watched account, with every version.

Deliveries (webhooks and backfill) call `capture` for each event on a known account, the municipality's own
content included; `mark` records what happens to an object afterwards (hidden, unhidden, deleted, removed,
registered). Nothing here is ever overwritten: an edit adds a version, a deletion keeps the content and
records who and when. Snapshots (R4), the E-ARK SIP export and search (R7) read these tables; weeding (R5)
empties the content of what is of minor importance after its period and keeps the events.

What the municipality does through Uppsikt is archived too: a reply published through the Graph port is a new
own object (`published`, via "uppsikt"); a hide, unhide or delete done through Uppsikt is marked with the
colleague as actor (`platform_write_done`); a registered removal is marked `removed` with its ground and
decision-maker (`removed`), and an item that becomes a record is marked `registered` (`registered`).
An item taken in with a source and an external id from anywhere but a platform delivery (the generic signed
intake, Slack) is archived as it arrives (`capture_item`).

Retention (R5, `weed`): an object of minor importance (not registered or removed, no item kept, not a direct
message, not an own reply to something kept) has its versions' text and original JSON emptied once nothing
has happened to it for the account's `records.retention_days` and a snapshot of the account (R4) taken since
has kept it; a `weeded` event is recorded and the object row and its events stay. A legal hold (`set_hold`, `/arkiv stoppa`, `uppsikt archive hold`) on an account or
an object stops weeding of the archive and of the items it covers.

Search (R7, `matches`): an FTS5 trigram index over archive_versions.text (migration m011, bot/store/fts.py
`archive_schema_sql`) finds every version, earlier texts of edited comments and deleted or removed content
included.

Attachments (bot/core/media.py): every captured version's media links are kept as pending downloads
(`archive_media`, m017_archive_media), fetched off the lock by bot/media_worker.py; weeding and erasure delete
the files of what they empty.

Tables: archive_objects, archive_versions, archive_events, archive_holds (m010); archive_versions_fts,
archive_search_exotic and archive_objects.secrecy (m011); archive_media (m017).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.clock import from_epoch, to_epoch
from bot.core import media
from bot.core.context import Context
from bot.core.parsing import account_arg, fold, is_number, options
from bot.messages import Reply
from bot.settings import Account
from bot.store import fts

if TYPE_CHECKING:
    from bot.core.deliveries import PlatformEvent

EVENT_KINDS = ("captured", "edited", "hidden", "unhidden", "deleted", "removed", "registered", "weeded",
               "held", "released")
STATE_OF_EVENT = {"hidden": "hidden", "unhidden": "visible", "deleted": "deleted", "removed": "deleted"}
PLATFORM_SOURCES = ("facebook", "instagram", "messenger", "instagram_dm")  # archived by deliveries.capture
HOLD_ROLES = ("records_officer", "communications_chief")  # and the manager of the account's unit
WRITE_EVENTS = {"hide": "hidden", "unhide": "unhidden", "delete": "deleted"}


# --------------------------------------------------------------------------- reading


def find(ctx: Context, source: str, external_id: str) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM archive_objects WHERE source = ? AND external_id = ?",
                             [source, external_id]))
    return rows[0] if rows else None


def get(ctx: Context, object_id: int) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM archive_objects WHERE id = ?", [object_id]))
    return rows[0] if rows else None


def of_item(ctx: Context, item_id: int) -> dict | None:
    """The archived object an item was taken in from (None for an item that has none)."""
    rows = list(ctx.db.query("SELECT * FROM archive_objects WHERE item_id = ? ORDER BY id LIMIT 1", [item_id]))
    return rows[0] if rows else None


def latest_version(ctx: Context, object_id: int) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM archive_versions WHERE object_id = ? ORDER BY version DESC LIMIT 1",
                             [object_id]))
    return rows[0] if rows else None


def versions(ctx: Context, object_id: int) -> list[dict]:
    return list(ctx.db.query("SELECT * FROM archive_versions WHERE object_id = ? ORDER BY version", [object_id]))


def events(ctx: Context, object_id: int) -> list[dict]:
    return list(ctx.db.query("SELECT * FROM archive_events WHERE object_id = ? ORDER BY at, id", [object_id]))


# --------------------------------------------------------------------------- capture


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
        object_id = _new_object(ctx, account_id, source=event.source, external_id=event.external_id,
                                kind=event.kind, parent=event.parent_id, own=event.own, author=event.author,
                                author_id=event.author_id, permalink=event.permalink, created=min(created, now),
                                via=event.via, state="deleted" if event.action == "remove" else "visible",
                                item_id=item_id, text=text, raw=event.raw)
        if event.action in ("remove", "hide", "unhide"):
            kind = {"remove": "deleted", "hide": "hidden", "unhide": "unhidden"}[event.action]
            mark(ctx, object_id, kind, actor="author" if event.action == "remove" else "platform", at=now)
            return object_id, kind
        return object_id, "captured"
    object_id = int(row["id"])
    if item_id is not None and row["item_id"] is None:
        ctx.db.execute("UPDATE archive_objects SET item_id = ? WHERE id = ?", [item_id, object_id])
    if event.parent_id and not row["parent_external_id"]:
        ctx.db.execute("UPDATE archive_objects SET parent_external_id = ? WHERE id = ?", [event.parent_id, object_id])
    if event.action == "add" or event.action == "edit":
        latest = latest_version(ctx, object_id)
        if event.text and (latest is None or latest["text"] != event.text):
            if event.action == "add":
                if row["weeded_at"] is None and latest is not None and not latest["text"] and latest["version"] == 1:
                    # first seen as a bare removal or hide; the content arrived later (backfill): fill version 1
                    ctx.db.execute("UPDATE archive_versions SET text = ?, raw_json = ? WHERE id = ?",
                                   [event.text, event.raw, latest["id"]])
                    media.record(ctx, object_id, event.raw)
                    return object_id, "captured"
                return object_id, "known"  # a repeated add (or one of weeded content) is no new version
            _version(ctx, object_id, (latest["version"] if latest else 0) + 1, event.text, event.raw, now)
            _event(ctx, object_id, "edited", now, "author", via=event.via)
            if row["weeded_at"] is not None:  # new content after weeding: weeded again by its own period
                ctx.db.execute("UPDATE archive_objects SET weeded_at = NULL WHERE id = ?", [object_id])
            return object_id, "edited"
        if event.action == "add" and row["weeded_at"] is None:
            # the same content again (backfill after a webhook): its attachments' links, if the first brought none
            media.record(ctx, object_id, event.raw, only_if_none=True)
        return object_id, "known"
    kind = {"remove": "deleted", "hide": "hidden", "unhide": "unhidden"}[event.action]
    if STATE_OF_EVENT[kind] == row["state"]:
        return object_id, "known"
    mark(ctx, object_id, kind, actor="author" if event.action == "remove" else "platform", at=now)
    return object_id, kind


def capture_item(ctx: Context, item: dict) -> int:
    """The archived object of an item, created from the item when there is none yet (an item taken in before
    the archive existed, or from an intake that is not a platform delivery); links the item. Returns its id."""
    row = find(ctx, item["source"], item["external_id"])
    if row is not None:
        if row["item_id"] is None:
            ctx.db.execute("UPDATE archive_objects SET item_id = ? WHERE id = ?", [item["id"], row["id"]])
        return int(row["id"])
    return _new_object(ctx, item["account_id"], source=item["source"], external_id=item["external_id"],
                       kind=item["kind"], parent="", own=False, author=item["author"], author_id="",
                       permalink=item["permalink"], created=item["received_at"],
                       via="webhook" if item["source"] in PLATFORM_SOURCES else "intake", state="visible",
                       item_id=item["id"], text=item["text"], raw="")


def object_for_item(ctx: Context, item_id: int) -> int | None:
    """The archived object of an existing item (created from the item when missing); None without the item."""
    obj = of_item(ctx, item_id)
    if obj is not None:
        return int(obj["id"])
    rows = list(ctx.db.query("SELECT * FROM items WHERE id = ?", [item_id]))
    return capture_item(ctx, rows[0]) if rows else None


def published(ctx: Context, write: dict, platform_id: str, text: str, permalink: str = "") -> int | None:
    """A reply the municipality published through Uppsikt (the Graph port): a new own object, via "uppsikt",
    whose parent is the citizen's comment, with the colleague who published it as actor. A later webhook
    delivery of the same reply (the page's own comment) finds it and adds nothing."""
    if not platform_id:
        return None
    row = find(ctx, write["source"], platform_id)
    if row is not None:
        return int(row["id"])
    kind = "dm" if write["source"] in ("messenger", "instagram_dm") else "comment"
    raw = json.dumps({"id": platform_id, "message": text, "parent_id": write["object_id"],
                      "permalink_url": permalink}, ensure_ascii=False, separators=(",", ":"))
    object_id = _new_object(ctx, write["account_id"], source=write["source"], external_id=platform_id, kind=kind,
                            parent=write["object_id"], own=True, author=ctx.name_of(write["author"] or write["actor"]),
                            author_id="", permalink=permalink, created=ctx.now_ts(), via="uppsikt",
                            state="visible", item_id=None, text=text, raw=raw, actor=write["actor"],
                            detail={"write": write["id"]})
    return object_id


def platform_write_done(ctx: Context, write: dict) -> None:
    """A hide, unhide or delete done through Uppsikt: the event on the object, with the colleague as actor."""
    kind = WRITE_EVENTS.get(write["kind"])
    if kind is None:
        return
    row = find(ctx, write["source"], write["object_id"])
    object_id = int(row["id"]) if row else (object_for_item(ctx, write["item_id"]) if write["item_id"] else None)
    if object_id is None:
        return
    detail: dict = {"write": write["id"], "via": "uppsikt"}
    if write.get("removal_id"):
        detail["removal"] = write["removal_id"]
    mark(ctx, object_id, kind, actor=write["actor"], **detail)


def removed(ctx: Context, item_id: int, removal: dict, *, secrecy: bool = False) -> None:
    """A removal registered under the removal rules (M1, R2): `removed`, with the ground and who decided."""
    object_id = object_for_item(ctx, item_id)
    if object_id is None:
        return
    mark(ctx, object_id, "removed", actor=removal["decided_by"], at=removal["decided_at"], ground=removal["ground"],
         decided_by=removal["decided_by"], removal=removal["id"], note=removal["note"], secrecy=secrecy)
    if secrecy:
        ctx.db.execute("UPDATE archive_objects SET secrecy = 1 WHERE id = ?", [object_id])


def registered(ctx: Context, item_id: int, reason: str, actor: str, reference: str = "") -> None:
    """An item became a record (marked for the diarium, R1, R3, R6): `registered`, with the reason, the
    diarium reference where one is given, and the secrecy flag (reason "sekretess", R3)."""
    object_id = object_for_item(ctx, item_id)
    if object_id is None:
        return
    secrecy = reason == "sekretess"
    last = ctx.db.execute("SELECT detail FROM archive_events WHERE object_id = ? AND kind = 'registered' "
                          "ORDER BY id DESC LIMIT 1", [object_id]).fetchone()
    detail: dict = {"reason": reason, "secrecy": secrecy}
    if reference:
        detail["reference"] = reference
    if last is not None and json.loads(last[0]) == detail:
        return  # the same registration again (an answered synpunkt marked twice)
    mark(ctx, object_id, "registered", actor=actor, **detail)
    if secrecy:
        ctx.db.execute("UPDATE archive_objects SET secrecy = 1 WHERE id = ?", [object_id])


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


def _new_object(ctx: Context, account_id: str, *, source: str, external_id: str, kind: str, parent: str, own: bool,
                author: str, author_id: str, permalink: str, created: int, via: str, state: str,
                item_id: int | None, text: str, raw: str, actor: str = "platform", detail: dict | None = None) -> int:
    now = ctx.now_ts()
    cur = ctx.db.execute(
        "INSERT INTO archive_objects (account_id, source, external_id, kind, parent_external_id, own, author,"
        " author_id, permalink, created_at, first_seen_at, via, state, item_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [account_id, source, external_id, kind, parent, int(own), author, author_id, permalink, created, now, via,
         state, item_id])
    object_id = int(cur.lastrowid)
    _version(ctx, object_id, 1, text, raw, now)
    _event(ctx, object_id, "captured", now, actor, via=via, **(detail or {}))
    return object_id


def _version(ctx: Context, object_id: int, version: int, text: str, raw: str, at: int) -> None:
    ctx.db.execute("INSERT INTO archive_versions (object_id, version, text, raw_json, captured_at)"
                   " VALUES (?, ?, ?, ?, ?)", [object_id, version, text, raw, at])
    media.record(ctx, object_id, raw)  # the attachments' links, fetched later off the lock (bot/media_worker.py)


def _event(ctx: Context, object_id: int, kind: str, at: int, actor: str, **detail: object) -> None:
    ctx.db.execute("INSERT INTO archive_events (object_id, kind, at, actor, detail) VALUES (?, ?, ?, ?, ?)",
                   [object_id, kind, at, actor, json.dumps(detail, ensure_ascii=False, sort_keys=True)])


# --------------------------------------------------------------------------- legal holds


def may_hold(ctx: Context, account: Account, person: str) -> bool:
    """Records officers (arkivarie), the communications chief and the manager of the account's unit set and
    release legal holds (a hold only keeps more, but releasing it lets weeding go on)."""
    p = ctx.person(person)
    if any(r in p.roles for r in HOLD_ROLES):
        return True
    unit = ctx.settings.units.get(account.unit)
    return unit is not None and unit.manager == person


def holds(ctx: Context, *, active: bool = True) -> list[dict]:
    where = " WHERE released_at IS NULL" if active else ""
    return list(ctx.db.query(f"SELECT * FROM archive_holds{where} ORDER BY id"))


def held_accounts(ctx: Context) -> set[str]:
    return {r[0] for r in ctx.db.execute("SELECT account_id FROM archive_holds WHERE released_at IS NULL "
                                         "AND object_id IS NULL")}


def held_objects(ctx: Context) -> set[int]:
    return {r[0] for r in ctx.db.execute("SELECT object_id FROM archive_holds WHERE released_at IS NULL "
                                         "AND object_id IS NOT NULL")}


def held_items(ctx: Context) -> set[int]:
    """Items whose archived object is under a legal hold (their item is not weeded either)."""
    return {r[0] for r in ctx.db.execute(
        "SELECT o.item_id FROM archive_holds h JOIN archive_objects o ON o.id = h.object_id "
        "WHERE h.released_at IS NULL AND o.item_id IS NOT NULL")}


def set_hold(ctx: Context, actor: str, reason: str, *, account_id: str | None = None, object_id: int | None = None,
             item_id: int | None = None) -> dict:
    """A legal hold on an account, an archived object or an item's object: weeding stops until it is released.
    Refused (and nothing changes) without a reason, for an unknown target, or for someone without the role."""
    reason = " ".join(reason.split())
    with ctx.db.atomic():
        if item_id is not None:
            item = ctx.item(item_id)
            account = ctx.account(item["account_id"])
            if not may_hold(ctx, account, actor):
                raise ctx.refusal("archive.hold_not_allowed", account=ctx.label(account))
            object_id = object_for_item(ctx, item_id)
        elif object_id is not None:
            obj = get(ctx, object_id)
            if obj is None:
                raise ctx.refusal("archive.no_object", id=object_id)
            account = ctx.account(obj["account_id"])
        else:
            account = ctx.account(account_id or "")
        if not may_hold(ctx, account, actor):
            raise ctx.refusal("archive.hold_not_allowed", account=ctx.label(account))
        if not reason:
            raise ctx.refusal("archive.hold_needs_reason")
        now = ctx.now_ts()
        hold_id = ctx.insert("archive_holds", {"account_id": account.id, "object_id": object_id, "reason": reason,
                                               "set_by": actor, "set_at": now})
        if object_id is not None:
            mark(ctx, object_id, "held", actor=actor, at=now, hold=hold_id, reason=reason)
        ctx.audit(actor, "archive.hold", f"account:{account.id}" if object_id is None else f"archive:{object_id}",
                  hold=hold_id, account=account.id, object=object_id, reason=reason)
        return dict(ctx.db["archive_holds"].get(hold_id))


def release_hold(ctx: Context, actor: str, hold_id: int) -> dict:
    """Release a legal hold; weeding of what it covered goes on from the next night."""
    with ctx.db.atomic():
        rows = list(ctx.db.query("SELECT * FROM archive_holds WHERE id = ?", [hold_id]))
        if not rows:
            raise ctx.refusal("archive.no_hold", id=hold_id)
        hold = rows[0]
        account = ctx.accounts.get(hold["account_id"])
        if account is None:  # a closed account: the records officers and the communications chief
            if not any(r in ctx.person(actor).roles for r in HOLD_ROLES):
                raise ctx.refusal("archive.hold_not_allowed", account=hold["account_id"])
        elif not may_hold(ctx, account, actor):
            raise ctx.refusal("archive.hold_not_allowed", account=ctx.label(account))
        if hold["released_at"] is not None:
            raise ctx.refusal("archive.hold_released_already", id=hold_id)
        now = ctx.now_ts()
        ctx.update("archive_holds", hold_id, {"released_by": actor, "released_at": now})
        if hold["object_id"] is not None:
            mark(ctx, hold["object_id"], "released", actor=actor, at=now, hold=hold_id)
        ctx.audit(actor, "archive.release", f"hold:{hold_id}", account=hold["account_id"], object=hold["object_id"])
        return dict(ctx.db["archive_holds"].get(hold_id))


# --------------------------------------------------------------------------- weeding (R5)


def weed(ctx: Context) -> int:
    """Empty the content of archived objects of minor importance older than their account's retention period.
    Returns how many objects were weeded (call inside db.atomic(), after the items' weeding).

    Kept: what is registered (`record`) or was removed under the removal rules; an object whose item still
    exists (the items' weeding keeps records, open and crisis items); direct messages (R6); an own reply to
    something kept (R1: the answer goes with the question); anything under a legal hold, on the object or its
    account. The period counts from the last event in the object's life (an edit, a hide, a deletion), and
    only what a snapshot of the account (R4, table `snapshots`) has already covered is weeded: nothing posted
    after the account's latest snapshot, nothing on an account that has none."""
    now = ctx.now_ts()
    on_hold = held_accounts(ctx)
    held = held_objects(ctx)
    weeded = 0
    account_ids = [r[0] for r in ctx.db.execute("SELECT DISTINCT account_id FROM archive_objects "
                                                "WHERE weeded_at IS NULL")]
    for account_id in account_ids:
        if account_id in on_hold:
            continue
        acc = ctx.accounts.get(account_id)
        days = (acc.policy if acc else ctx.settings.policy).records.retention_days
        snapshot = ctx.db.execute("SELECT MAX(taken_at) FROM snapshots WHERE account_id = ?", [account_id]).fetchone()[0]
        if snapshot is None:
            continue  # no snapshot (R4) of the account yet: nothing may go before one has kept the account's content
        cutoff = min(now - days * 86400, snapshot)
        candidates = list(ctx.db.query(
            "SELECT o.* FROM archive_objects o WHERE o.account_id = ? AND o.weeded_at IS NULL AND o.record = 0 "
            "AND o.kind != 'dm' AND o.created_at < ? "
            "AND NOT EXISTS (SELECT 1 FROM archive_events e WHERE e.object_id = o.id "
            "                AND (e.kind IN ('removed', 'registered') OR (e.at >= ? AND e.kind NOT IN ('held', 'released')))) "
            "AND (o.item_id IS NULL OR NOT EXISTS (SELECT 1 FROM items i WHERE i.id = o.item_id))",
            [account_id, cutoff, cutoff]))
        going = {(o["source"], o["external_id"]) for o in candidates if o["id"] not in held}
        out = []
        for o in candidates:
            if o["id"] in held:
                continue
            if o["own"] and o["parent_external_id"]:
                parent = find(ctx, o["source"], o["parent_external_id"])
                if parent is not None and parent["weeded_at"] is None \
                        and (parent["source"], parent["external_id"]) not in going:
                    continue  # the answer to something kept is kept with it
            out.append(o)
        for o in out:
            ctx.db.execute("UPDATE archive_versions SET text = '', raw_json = '' WHERE object_id = ?", [o["id"]])
            ctx.db.execute("UPDATE archive_objects SET weeded_at = ? WHERE id = ?", [now, o["id"]])
            mark(ctx, o["id"], "weeded", actor="uppsikt", at=now, retention_days=days)
        media.forget(ctx, [int(o["id"]) for o in out])  # their attachments go too (a file a kept object shares stays)
        if out:
            ctx.audit("uppsikt", "archive.weed", f"account:{account_id}", count=len(out), retention_days=days)
        weeded += len(out)
    return weeded


# --------------------------------------------------------------------------- erasure requests (GDPR art. 17)


def _name_fold(value: object) -> object:
    """An author's name as erasure requests match it: spacing collapsed, case folded (bot/core/forget.py)."""
    return " ".join(value.split()).casefold() if isinstance(value, str) else value


def erasable(ctx: Context, name: str, erased_items: set[int]) -> list[int]:
    """The archived objects an erasure request for the author `name` (spacing collapsed, case folded) empties:
    the author's own writing that is no public record to keep: never the municipality's own, never registered
    or removed ones, never direct messages (R6), never under a legal hold, and only where the item it became
    is erased now (or gone already)."""
    on_hold = held_accounts(ctx)
    held = held_objects(ctx)
    ctx.db.register_function(_name_fold, deterministic=True, name="uppsikt_archive_name_fold")
    rows = ctx.db.query(
        "SELECT o.* FROM archive_objects o WHERE uppsikt_archive_name_fold(o.author) = ? AND o.own = 0 AND o.record = 0 "
        "AND o.kind != 'dm' AND NOT EXISTS (SELECT 1 FROM archive_events e WHERE e.object_id = o.id "
        "AND e.kind IN ('removed', 'registered')) ORDER BY o.id", [name])
    out = []
    for o in rows:
        if o["account_id"] in on_hold or o["id"] in held:
            continue
        if o["item_id"] is not None and o["item_id"] not in erased_items and ctx.db.execute(
                "SELECT 1 FROM items WHERE id = ?", [o["item_id"]]).fetchone():
            continue  # its item is kept (a record, open, in a crisis): so is the archived content
        out.append(int(o["id"]))
    return out


def erase(ctx: Context, object_ids: list[int], actor: str) -> None:
    """Empty the objects' every version (text and original JSON) and the author's name and platform id; the row
    and its events stay, with a `weeded` event saying it was an erasure request (call inside db.atomic())."""
    now = ctx.now_ts()
    for object_id in object_ids:
        ctx.db.execute("UPDATE archive_versions SET text = '', raw_json = '' WHERE object_id = ?", [object_id])
        ctx.db.execute("UPDATE archive_objects SET author = '', author_id = '', permalink = '', "
                       "weeded_at = COALESCE(weeded_at, ?) WHERE id = ?", [now, object_id])
        mark(ctx, object_id, "weeded", actor=actor, at=now, reason="erasure")
    media.forget(ctx, list(object_ids))


# --------------------------------------------------------------------------- search (R7)


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _has_index(ctx: Context) -> bool:
    return ctx.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'archive_versions_fts'").fetchone() is not None


def matches(ctx: Context, query: str, *, lo: int | None = None, hi: int | None = None,
            account: str | None = None, skip_kept_items: bool = False) -> list[dict]:
    """Every archived version whose text contains `query` (case-folded like `records.search`, % and _
    literal): one row per (object, version) with the object's fields, `version`, `versions` (how many the
    object has), `text`, `version_id` and `item_kept` (1: the item it became still exists). With
    `skip_kept_items`, the first version of an object whose item still exists is left out (search shows that
    text as the item's hit). `lo`/`hi` bound when the object was posted (epoch seconds)."""
    query = query.strip()
    if not query:
        return []
    ctx.db.register_function(_fold, deterministic=True, name="uppsikt_fold")
    escaped = query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    clauses = ["uppsikt_fold(v.text) LIKE ? ESCAPE '\\'"]
    args: list = [f"%{escaped}%"]
    if fts.usable(query) and _has_index(ctx):  # candidates from the index, each checked with the exact predicate
        clauses.insert(0, "(v.id IN (SELECT rowid FROM archive_versions_fts WHERE archive_versions_fts MATCH ?) "
                          "OR v.id IN (SELECT row_id FROM archive_search_exotic))")
        args.insert(0, fts.match_phrase(query))
    if lo is not None:
        clauses.append("o.created_at >= ?")
        args.append(lo)
    if hi is not None:
        clauses.append("o.created_at < ?")
        args.append(hi)
    if account:
        clauses.append("o.account_id = ?")
        args.append(account)
    if skip_kept_items:
        clauses.append("NOT (v.version = 1 AND o.item_id IS NOT NULL "
                       "AND EXISTS (SELECT 1 FROM items i WHERE i.id = o.item_id))")
    sql = ("SELECT o.*, v.id AS version_id, v.version AS version, v.text AS text, v.captured_at AS version_at, "
           "(SELECT MAX(version) FROM archive_versions w WHERE w.object_id = o.id) AS versions, "
           "(o.item_id IS NOT NULL AND EXISTS (SELECT 1 FROM items i WHERE i.id = o.item_id)) AS item_kept "
           "FROM archive_versions v JOIN archive_objects o ON o.id = v.object_id WHERE " + " AND ".join(clauses) +
           " ORDER BY o.created_at DESC, o.id DESC, v.version DESC")
    return list(ctx.db.query(sql, args))


# --------------------------------------------------------------------------- /arkiv


def _day(ts: int) -> str:
    return from_epoch(ts).strftime("%Y-%m-%d %H:%M")


def describe_hold(ctx: Context, hold: dict) -> str:
    account = ctx.label(hold["account_id"])
    target = (ctx.t("archive.hold_target_account", account=account) if hold["object_id"] is None
              else ctx.t("archive.hold_target_object", object=hold["object_id"], account=account))
    return ctx.t("archive.hold_line", id=hold["id"], target=target, day=_day(hold["set_at"])[:10],
                 person=ctx.name_of(hold["set_by"]), reason=hold["reason"])


def show(ctx: Context, object_id: int) -> str:
    """An archived object with every version and every event, as a records officer reads it."""
    obj = get(ctx, object_id)
    if obj is None:
        raise ctx.refusal("archive.no_object", id=object_id)
    kind = ctx.t(f"archive.kind.{obj['kind']}") if obj["kind"] in ("post", "comment", "dm") else obj["kind"]
    lines = [ctx.t("archive.show_header", kind=kind, id=obj["id"], account=ctx.label(obj["account_id"]),
                   date=_day(obj["created_at"]), author=obj["author"] or "–",
                   state=ctx.t(f"archive.state_sentence.{obj['state']}"))]
    for v in versions(ctx, object_id):
        text = v["text"] if obj["weeded_at"] is None else ctx.t("archive.show_weeded")
        lines.append(ctx.t("archive.show_version", version=v["version"], date=_day(v["captured_at"]), text=text))
    for row in media.of_objects(ctx, [object_id]).get(object_id, []):
        lines.append(media.line(ctx, row))
    for e in events(ctx, object_id):
        actor = e["actor"]
        who = ctx.t(f"archive.actor.{actor}") if actor in ("author", "platform", "uppsikt") else ctx.name_of(actor)
        lines.append(ctx.t("archive.show_event", date=_day(e["at"]), event=ctx.t(f"archive.event.{e['kind']}"),
                           actor=who))
    return "\n".join(lines)


def cmd_arkiv(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    """/arkiv visa NR | lista | stoppa KONTO|ärende=NR|objekt=NR orsak | häv NR"""
    sub = fold(words[0]) if words else "lista"
    rest = words[1:]
    if sub in ("hjalp", "help"):
        return Reply(ctx.t("archive.help"))
    if sub in ("lista", "list"):
        found = holds(ctx)
        if not found:
            return Reply(ctx.t("archive.no_holds"))
        return Reply("\n".join([ctx.t("archive.holds_header"), *(describe_hold(ctx, h) for h in found)]))
    if sub in ("visa", "show"):
        if len(rest) != 1 or not is_number(rest[0]):
            raise ctx.refusal("error.bad_number", what=ctx.t("archive.number"), value=" ".join(rest) or "–")
        return Reply(show(ctx, int(rest[0])))
    if sub in ("stoppa", "stopp", "hold"):
        opts, rest = options(rest, {"arende": "item", "objekt": "object", "item": "item", "object": "object"})
        if len(opts) > 1:
            raise ctx.refusal("archive.bad_target", accounts=", ".join(ctx.accounts))
        for key in ("item", "object"):
            if key in opts and not is_number(opts[key]):
                raise ctx.refusal("error.bad_number", what=ctx.t(f"archive.target_{key}"), value=opts[key])
        if "item" in opts:
            hold = set_hold(ctx, actor, " ".join(rest), item_id=int(opts["item"]))
        elif "object" in opts:
            hold = set_hold(ctx, actor, " ".join(rest), object_id=int(opts["object"]))
        else:
            # the account is always named: a hold is a decision, never taken from the channel by a typo
            account_id, rest = account_arg(ctx, rest, None, "archive.bad_target")
            hold = set_hold(ctx, actor, " ".join(rest), account_id=account_id)
        account = ctx.label(hold["account_id"])
        if hold["object_id"] is None:
            return Reply(ctx.t("archive.held_account", id=hold["id"], account=account, reason=hold["reason"]))
        return Reply(ctx.t("archive.held_object", id=hold["id"], object=hold["object_id"], account=account,
                           reason=hold["reason"]))
    if sub in ("hav", "slapp", "release"):
        if len(rest) != 1 or not is_number(rest[0]):
            raise ctx.refusal("error.bad_number", what=ctx.t("archive.number"), value=" ".join(rest) or "–")
        hold = release_hold(ctx, actor, int(rest[0]))
        return Reply(ctx.t("archive.released", id=hold["id"]))
    raise ctx.refusal("archive.help")


COMMANDS = {"arkiv": cmd_arkiv}


__all__ = ["COMMANDS", "EVENT_KINDS", "capture", "cmd_arkiv", "describe_hold", "capture_item", "erasable", "erase", "events", "find", "get", "held_accounts", "held_items",
           "holds", "latest_version", "mark", "matches", "may_hold", "object_for_item", "of_item", "platform_write_done",
           "published", "registered", "release_hold", "removed", "set_hold", "show", "versions", "weed"]
