"""Automatic snapshots (R4, issue 12 point 4).

An account whose content Uppsikt archives (a platform connection: Facebook, Instagram) needs no
screenshots: every ``snapshots.interval_months`` (six; Nora twelve) and at once when a major change is
marked, Uppsikt renders the account's posts with their comment threads for the period since the last
snapshot to PDF/A-2b (bot/export/pdfa.py) with the original JSON beside it, stores both under the data
folder (``<data>/snapshots/<account>/``, beside the database: bot/paths.py), registers them as the
account's snapshot (table ``snapshots``, reference = the PDF's path, with its SHA-256) and tells the
responsible person (or their stand-in) where the files are.

An account with nothing archived (e.g. LinkedIn, which has no platform connection) keeps the reminder to
take screenshots (bot/core/records.py `snapshot_reminders`), and so does every account when the database
has no folder (in memory). If rendering fails, the account's unit is rolled back, the communicators are
told (bot/core/isolation.py) and the reminder goes out instead: a snapshot is never silently skipped.

The period of a snapshot is exact: from the end of the previous automatic snapshot (else from the first
archived object) to the moment it is made, by when each object was posted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from bot.calendar import add_months
from bot.clock import from_epoch, to_epoch
from bot.core import isolation, staff
from bot.core.context import Context
from bot.messages import Message
from bot.settings import Account

SUBFOLDER = "snapshots"


def last_snapshot(ctx: Context, account_id: str) -> dict | None:
    rows = list(ctx.db.query(
        "SELECT * FROM snapshots WHERE account_id = ? ORDER BY taken_at DESC, id DESC LIMIT 1", [account_id]
    ))
    return rows[0] if rows else None


def created_at(ctx: Context, account_id: str) -> int | None:
    row = ctx.db.execute("SELECT created_at FROM accounts WHERE id = ?", [account_id]).fetchone()
    return row[0] if row else None


def next_snapshot_due(ctx: Context, account: Account) -> dt.date:
    """interval_months after the last snapshot (automatic or logged by hand), or after the account was added."""
    last = last_snapshot(ctx, account.id)
    base_ts = last["taken_at"] if last else created_at(ctx, account.id)
    base = from_epoch(base_ts).date() if base_ts else ctx.today()
    return add_months(base, account.policy.snapshots.interval_months)


def pending_changes(ctx: Context, account_id: str) -> list[dict]:
    return list(ctx.db.query(
        "SELECT * FROM major_changes WHERE account_id = ? AND snapshot_id IS NULL ORDER BY marked_at, id", [account_id]
    ))


def folder(ctx: Context) -> Path | None:
    """``snapshots/`` in the data folder (the database's folder); None for a database in memory."""
    for _, name, file in ctx.db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file).resolve().parent / SUBFOLDER if file else None
    return None


def automatic(ctx: Context, account: Account) -> bool:
    """Uppsikt makes this account's snapshots itself: it has archived content and a folder to keep them in."""
    from bot.export import archive_view

    return folder(ctx) is not None and archive_view.has_archive(ctx, account.id)


def _last_automatic(ctx: Context, account_id: str) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM snapshots WHERE account_id = ? AND automatic = 1 "
                             "ORDER BY taken_at DESC, id DESC LIMIT 1", [account_id]))
    return rows[0] if rows else None


def _period_start(ctx: Context, account: Account) -> int:
    from bot.export import archive_view

    last = _last_automatic(ctx, account.id)
    if last is not None and last["period_end"] is not None:
        return int(last["period_end"])
    first = archive_view.first_created(ctx, account.id)
    return int(first) if first is not None else ctx.now_ts()


@dataclass
class Prepared:
    """A snapshot rendered but not yet registered (`prepare`): its files wait under temporary names."""

    account_id: str
    reason: str
    last_automatic: int  # the id of the account's last automatic snapshot when it was read (0: none)
    lo: int
    hi: int
    made: dt.datetime
    count: int
    changes: list[dict]  # the major changes pending when it was read: this snapshot resolves them
    pdf_part: Path
    json_part: Path
    sha256: str
    json_sha256: str

    def discard(self) -> None:
        for p in (self.pdf_part, self.json_part):
            p.unlink(missing_ok=True)


def prepare(ctx: Context, account: Account, reason: str) -> Prepared:
    """Read the account's period and render it (WeasyPrint: seconds to a minute for a busy account) into files
    under temporary names. Reads only, so `ctx` may be a read connection's (`Bot.reader`): the daily snapshots
    are rendered off the bot's lock by bot/snapshot_worker.py and registered after under it (`register`)."""
    from bot.export import archive_view, pdfa, rendering

    base = folder(ctx)
    if base is None:
        raise RuntimeError("automatic snapshots need a database file (its folder keeps them)")
    now = ctx.now()
    last = _last_automatic(ctx, account.id)
    lo, hi = _period_start(ctx, account), ctx.now_ts() + 1
    entries = archive_view.threads(ctx, account.id, lo, hi)
    count = archive_view.count(entries)
    changes = pending_changes(ctx, account.id)
    part = base / account.id / f".{account.id}-{now.date().isoformat()}-{uuid.uuid4().hex}"
    pdf_part, json_part = part.with_name(part.name + ".pdf.part"), part.with_name(part.name + ".json.part")
    start, end = from_epoch(lo).date(), now.date()
    try:
        html = rendering.snapshot_html(ctx, account, entries, start, end, made=now, reason=reason, count=count)
        sha = pdfa.render(html, pdf_part, created=now)
        data = json.dumps({"account": account.id, "name": account.name, "platform": account.platform,
                           "period_start": from_epoch(lo).isoformat(), "period_end": from_epoch(hi).isoformat(),
                           "made": now.isoformat(), "objects": archive_view.original_json(entries)},
                          ensure_ascii=False, indent=2) + "\n"
        json_part.write_text(data, encoding="utf-8")
    except BaseException:
        for p in (pdf_part, json_part):
            p.unlink(missing_ok=True)
        raise
    return Prepared(account.id, reason, int(last["id"]) if last else 0, lo, hi, now, count, changes, pdf_part,
                    json_part, sha, hashlib.sha256(data.encode("utf-8")).hexdigest())


def register(ctx: Context, account: Account, prep: Prepared, actor: str = "uppsikt") -> dict | None:
    """Register a prepared snapshot (call inside db.atomic()): its row, its files under their final names, the
    major changes it resolves, the audit. None (and the files discarded) when another automatic snapshot of the
    account was registered since it was read: that one covers the period."""
    last = _last_automatic(ctx, account.id)
    if (int(last["id"]) if last else 0) != prep.last_automatic:
        prep.discard()
        return None
    base = folder(ctx)
    assert base is not None
    table = ctx.db["snapshots"]
    table.insert({"account_id": account.id, "taken_at": to_epoch(prep.made), "taken_by": actor, "reference": "",
                  "reason": "; ".join(c["description"] for c in prep.changes) or prep.reason, "automatic": 1,
                  "period_start": prep.lo, "period_end": prep.hi, "objects": prep.count})
    snap_id = int(table.last_pk)
    stem = f"{account.id}-{prep.made.date().isoformat()}-{snap_id}"
    rel_pdf = Path(SUBFOLDER) / account.id / f"{stem}.pdf"
    rel_json = Path(SUBFOLDER) / account.id / f"{stem}.json"
    pdf_path, json_path = base.parent / rel_pdf, base.parent / rel_json
    try:
        os.replace(prep.pdf_part, pdf_path)
        os.replace(prep.json_part, json_path)
        ctx.db.execute("UPDATE snapshots SET reference = ?, path = ?, sha256 = ?, json_path = ?, json_sha256 = ? "
                       "WHERE id = ?", [rel_pdf.as_posix(), rel_pdf.as_posix(), prep.sha256, rel_json.as_posix(),
                                        prep.json_sha256, snap_id])
        ids = [c["id"] for c in prep.changes]
        if ids:
            ctx.db.execute(f"UPDATE major_changes SET snapshot_id = ? WHERE id IN ({','.join('?' * len(ids))}) "
                           "AND snapshot_id IS NULL", [snap_id, *ids])
        ctx.audit(actor, "records.snapshot", account.id, snapshot=snap_id, reference=rel_pdf.as_posix(),
                  sha256=prep.sha256, objects=prep.count, automatic=True, changes=ids)
    except BaseException:
        for p in (pdf_path, json_path):
            p.unlink(missing_ok=True)
        prep.discard()
        raise
    row = dict(ctx.db["snapshots"].get(snap_id))
    row["resolved"] = len(prep.changes)
    row["start"], row["end"] = from_epoch(prep.lo).date(), prep.made.date()
    return row


def take(ctx: Context, account: Account, *, reason: str, actor: str = "uppsikt") -> dict:
    """Render, store and register one snapshot of `account` now (call inside db.atomic()). Returns its row.

    Pending major changes are resolved by it. The files are removed again if anything fails after they
    were written, so a rolled-back snapshot leaves nothing behind."""
    prep = prepare(ctx, account, reason)
    row = register(ctx, account, prep, actor)
    assert row is not None  # read and registered in one transaction: nothing came between
    return row


def _tell(ctx: Context, account: Account, snap: dict, prefix: str = "") -> Message:
    to, why = staff.responsible_for(ctx, account, ctx.today())
    text = ctx.t("snapshots.done", account=ctx.label(account), platform=ctx.platform_label(account), id=account.id,
                 count=snap["objects"], start=snap["start"].isoformat(), end=snap["end"].isoformat(),
                 path=snap["path"], sha=snap["sha256"][:16], next=next_snapshot_due(ctx, account).isoformat())
    msg = Message(kind="snapshot_done", to=to, account=account.id,
                  text=" ".join(x for x in (prefix, text, why) if x))
    ctx.emit(msg)
    return msg


WORKER = "snapshot_worker"  # ctx.cache: bot/snapshot_worker.py's SnapshotWorker, when the bot runs one


def in_flight(ctx: Context) -> frozenset[str]:
    """The accounts whose snapshot is being rendered off the lock right now (their reminder waits for it)."""
    worker = ctx.cache.get(WORKER)
    return worker.in_flight() if worker is not None else frozenset()  # type: ignore[attr-defined]


def due(ctx: Context) -> list[Message]:
    """Once a day: every automatic account whose snapshot is due (interval or a pending major change) gets
    one, each in its own savepoint (call inside db.atomic()).

    When the bot runs a snapshot worker (a server: `Bot.start_snapshot_worker`), the job only hands the due
    accounts to it: the rendering takes seconds to minutes for a busy account and runs off the lock, on a read
    connection; the worker registers each snapshot under the lock and tells the responsible person, or, when
    the rendering fails, reports it and sends the screenshot reminder (`Bot.snapshot_rendered`,
    `Bot.snapshot_failed`). Without a worker (the simulator, the command line, tests) it renders here."""
    today = ctx.today()
    out: list[Message] = []
    worker = ctx.cache.get(WORKER)
    for account in ctx.accounts.values():
        if not automatic(ctx, account):
            continue
        if today < next_snapshot_due(ctx, account) and not pending_changes(ctx, account.id):
            continue
        reason = ctx.t("snapshots.reason_interval", months=account.policy.snapshots.interval_months)
        if worker is not None:
            worker.request(account.id, reason)  # type: ignore[attr-defined]
            continue

        def work(account: Account = account, reason: str = reason) -> list[Message]:
            return [_tell(ctx, account, take(ctx, account, reason=reason))]

        out += isolation.run(ctx, f"snapshot:{account.id}", ctx.t("duty.unit.snapshots"), work, [])
    return out


def rendered(ctx: Context, account: Account, prep: Prepared) -> list[Message]:
    """The worker's second phase (call inside db.atomic()): register what it rendered and tell the responsible
    person; nothing when another snapshot came first."""
    row = register(ctx, account, prep)
    return [] if row is None else [_tell(ctx, account, row)]


def after_change(ctx: Context, account: Account, actor: str, description: str) -> Message | None:
    """R4 at a major change: an automatic account's snapshot is made at once; None when the account needs
    screenshots (the caller reminds then). Call inside db.atomic(), after the change is recorded."""
    if not automatic(ctx, account):
        return None
    snap = take(ctx, account, reason=ctx.t("snapshots.reason_change", description=description), actor="uppsikt")
    prefix = ctx.t("snapshots.done_after_change", account=ctx.label(account), description=description,
                   person=ctx.person(actor).name)
    return _tell(ctx, account, snap, prefix)


__all__ = ["SUBFOLDER", "WORKER", "Prepared", "after_change", "automatic", "created_at", "due", "folder", "in_flight",
           "last_snapshot", "next_snapshot_due", "pending_changes", "prepare", "register", "rendered", "take"]
