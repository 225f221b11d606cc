"""Public records (allmänna handlingar): diarium, export, snapshots, register, weeding, search.

Rules R1–R7, A2, A3, A6.

* **Diarium (R1, R3, R6)**: an item is marked for the diarium with a reason
  (``synpunkt``, ``ärendehandläggning``, ``sekretess``, ``direktmeddelande``);
  synpunkter are marked automatically when answered if the policy says so.
* **Export (R1–R3, R6)**: one row per record in a period for the registrar:
  removal records by the day they were decided, marked items by the day they
  were received (Europe/Stockholm).
* **Snapshots (R4)**: a reminder per account every ``snapshots.interval_months``
  after the last logged snapshot, and at once when a major change is marked.
* **Register (A3)**: the A2 documentation of every watched account, as data or
  as a standalone accessible HTML page for the municipality's website.
* **Inactive accounts (A6)**: re-activate or close, with a farewell post.
* **Weeding (R5)**: items of minor importance older than ``records.retention_days``
  are deleted; records (diarium, removals) and open items are never weeded.
* **Search (R7)**: find items and removal records by text, author or answer.

Nothing here imports ``items`` so that ``items`` can call ``auto_mark``.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json

from bot.calendar import add_months  # noqa: F401  (tests and callers use records.add_months)
from bot.clock import from_epoch, to_epoch
from bot.core import archive, isolation, media, snapshots, staff
from bot.core.context import Context, Refused
from bot.core.permissions import HANDLER_ROLES, may_handle
from bot.core.snapshots import created_at, last_snapshot, next_snapshot_due, pending_changes
from bot.core.parsing import account_arg, fold, is_number, options, parse_date
from bot.i18n import catalogue
from bot.messages import Message, Reply
from bot.settings import EMAIL_RE, Account, Policy
from bot.store import fts

# The canonical reasons stored in items.diarium_reason, and the spellings accepted for them.
REASONS = ("synpunkt", "ärendehandläggning", "sekretess", "direktmeddelande")
DEFAULT_REASON = "ärendehandläggning"
REASON_ALIASES = {
    "synpunkt": "synpunkt", "synpunkter": "synpunkt", "forslag": "synpunkt",
    "arendehandlaggning": "ärendehandläggning", "arende": "ärendehandläggning", "handlaggning": "ärendehandläggning",
    "sekretess": "sekretess", "konfidentiell": "sekretess",
    "direktmeddelande": "direktmeddelande", "dm": "direktmeddelande", "meddelande": "direktmeddelande",
}
RECORD_TYPES = ("removed_post", "synpunkt", "confidential", "direct_message", "case")
EXPORT_FIELDS = (
    "record_type", "record_label", "item_id", "removal_id", "received_at", "answered_at", "decided_at",
    "account_id", "account_name", "platform", "author", "text", "permalink", "answer", "answered_by",
    "ground", "ground_label", "note", "decided_by", "diarium_reason", "status",
)
REGISTER_FIELDS = (
    "id", "platform", "platform_label", "name", "url", "unit", "unit_name", "purpose", "audience", "content",
    "update_frequency", "contact", "owner_name", "owner_title",
)
WEEDABLE_STATUSES = ("answered", "closed", "noted")
SEARCH_CHAT_LIMIT = 20
EXCERPT_CHARS = 160


# --------------------------------------------------------------------------- helpers


def _iso(ts: int | None) -> str:
    """ISO 8601 Stockholm time with offset, e.g. 2026-12-07T10:00:00+01:00."""
    return from_epoch(ts).isoformat(timespec="seconds") if ts else ""


def _label(ctx: Context, key: str, fallback: str) -> str:
    """A catalogue label that may not exist (e.g. a ground id from an older policy)."""
    return ctx.t(key) if key in catalogue(ctx.lang) else fallback


def _who(ctx: Context, email: str | None) -> str:
    if not email:
        return ""
    p = ctx.settings.person(email)
    return f"{p.name} ({p.email})" if p else email


def _policy_of(ctx: Context, account_id: str) -> Policy:
    """The account's effective policy; closed accounts fall back to the municipality's."""
    acc = ctx.accounts.get(account_id)
    return acc.policy if acc else ctx.settings.policy


def _account_info(ctx: Context, account_id: str) -> tuple[str, str]:
    """(name, platform) also for accounts that have been closed since."""
    acc = ctx.accounts.get(account_id)
    if acc:
        return acc.name, acc.platform
    row = ctx.db.execute("SELECT name, platform FROM accounts WHERE id = ?", [account_id]).fetchone()
    return (row[0], row[1]) if row else (account_id, "")


def _tag_ids(item: dict) -> set[str]:
    return {t["id"] for t in json.loads(item["tags"] or "[]")}


def _period(ctx: Context, start: dt.date, end: dt.date) -> tuple[int, int]:
    """[start 00:00, end+1 00:00) Stockholm as epoch seconds."""
    if end < start:
        raise ctx.refusal("records.end_before_start", start=start.isoformat(), end=end.isoformat())
    cal = ctx.calendar()
    return to_epoch(cal.local_midnight(start)), to_epoch(cal.local_midnight(end + dt.timedelta(days=1)))


# --------------------------------------------------------------------------- diarium marking (R1, R3, R6)


def parse_reason(ctx: Context, word: str) -> str:
    reason = REASON_ALIASES.get(fold(word.strip()))
    if reason is None:
        raise ctx.refusal("records.unknown_reason", reason=word, known=", ".join(REASONS))
    return reason


def mark_for_diarium(ctx: Context, item_id: int, reason: str, actor: str) -> dict:
    """Mark an item for registration in the diarium. Returns the updated item."""
    reason = parse_reason(ctx, reason or DEFAULT_REASON)
    with ctx.db.atomic():
        item = ctx.item(item_id)
        before = item["diarium_reason"] if item["diarium"] else None
        ctx.db["items"].update(item_id, {"diarium": 1, "diarium_reason": reason, "updated_at": ctx.now_ts()})
        ctx.audit(actor, "records.diarium", f"item:{item_id}", reason=reason, before=before)
        archive.registered(ctx, item_id, reason, actor)  # issue 12: the archived object is a record now
        return ctx.item(item_id)


def auto_mark(ctx: Context, item: dict) -> bool:
    """R1: a synpunkt is registered with its answer when the policy says so.

    Call when an item is answered (also harmless on other states). An item that
    is already marked keeps its reason (a manual 'sekretess' wins). Returns True
    if the item was marked now.
    """
    if item["diarium"] or "synpunkt" not in _tag_ids(item):
        return False
    if not _policy_of(ctx, item["account_id"]).records.register_synpunkter:
        return False
    mark_for_diarium(ctx, item["id"], "synpunkt", "uppsikt")
    return True


def _should_be_registered(policy: Policy, kind: str, tags_json: str | None) -> bool:
    """An item that is, or should have been, marked for the diarium even if nobody marked it: a direct
    message (R6), confidential data (R3), a synpunkt where the policy registers them (R1). Never weeded."""
    tags = {t["id"] for t in json.loads(tags_json or "[]")}
    return kind == "dm" or "confidential" in tags or ("synpunkt" in tags and policy.records.register_synpunkter)


# --------------------------------------------------------------------------- export (R1, R2, R3, R6)


def _item_record_type(item: dict) -> str:
    if item["diarium_reason"] == "sekretess":
        return "confidential"
    if item["kind"] == "dm":
        return "direct_message"
    if item["diarium_reason"] == "synpunkt":
        return "synpunkt"
    return "case"


def export_diarium(ctx: Context, start: dt.date, end: dt.date) -> list[dict]:
    """Every record in [start, end] for the registrar, in time order.

    Removal records (R2; confidential ones, R3) count by the day the removal was
    decided; items marked for the diarium (synpunkter with their answers, cases,
    confidential data, direct messages) by the day they were received, and so does
    every synpunkt the policy registers that is not marked yet (one still waiting
    for its answer: R1 registers it whether or not it is answered). An item that
    has a removal record appears once, as that record.
    """
    lo, hi = _period(ctx, start, end)
    rows: list[tuple[int, int, dict]] = []
    for r in ctx.db.query(
        "SELECT r.*, i.answer AS i_answer, i.answered_by AS i_answered_by, i.answered_at AS i_answered_at, "
        "i.diarium_reason AS i_reason, i.status AS i_status FROM removals r LEFT JOIN items i ON i.id = r.item_id "
        "WHERE r.decided_at >= ? AND r.decided_at < ? ORDER BY r.decided_at, r.id",
        [lo, hi],
    ):
        confidential = bool(r["confidential"]) or r["i_reason"] == "sekretess"
        kind = "confidential" if confidential else "removed_post"
        name, platform = _account_info(ctx, r["account_id"])
        rows.append((r["decided_at"], 0, {
            "record_type": kind, "item_id": r["item_id"], "removal_id": r["id"],
            "received_at": _iso(r["posted_at"]), "answered_at": _iso(r["i_answered_at"]),
            "decided_at": _iso(r["decided_at"]), "account_id": r["account_id"], "account_name": name,
            "platform": platform, "author": r["author"], "text": r["text"], "permalink": r["permalink"],
            "answer": r["i_answer"] or "", "answered_by": _who(ctx, r["i_answered_by"]),
            "ground": r["ground"], "ground_label": _label(ctx, f"ground.{r['ground']}", r["ground"]),
            "note": r["note"], "decided_by": _who(ctx, r["decided_by"]),
            "diarium_reason": r["i_reason"] or ("sekretess" if confidential else ""), "status": r["i_status"] or "",
        }))
    unmarked_synpunkter = [  # R1: registered whether or not anybody has answered or marked them yet
        dict(i) | {"diarium_reason": "synpunkt"} for i in ctx.db.query(
            "SELECT * FROM items WHERE diarium = 0 AND received_at >= ? AND received_at < ? AND tags LIKE ? "
            "AND id NOT IN (SELECT item_id FROM removals) ORDER BY received_at, id",
            [lo, hi, '%"synpunkt"%'],
        )
        if "synpunkt" in _tag_ids(i) and _policy_of(ctx, i["account_id"]).records.register_synpunkter
    ]
    marked = ctx.db.query(
        "SELECT * FROM items WHERE diarium = 1 AND received_at >= ? AND received_at < ? "
        "AND id NOT IN (SELECT item_id FROM removals) ORDER BY received_at, id",
        [lo, hi],
    )
    for i in [*marked, *unmarked_synpunkter]:
        name, platform = _account_info(ctx, i["account_id"])
        rows.append((i["received_at"], 1, {
            "record_type": _item_record_type(i), "item_id": i["id"], "removal_id": None,
            "received_at": _iso(i["received_at"]), "answered_at": _iso(i["answered_at"]), "decided_at": "",
            "account_id": i["account_id"], "account_name": name, "platform": platform, "author": i["author"],
            "text": i["text"], "permalink": i["permalink"], "answer": i["answer"],
            "answered_by": _who(ctx, i["answered_by"]), "ground": "", "ground_label": "",
            "note": i["closed_reason"], "decided_by": "", "diarium_reason": i["diarium_reason"], "status": i["status"],
        }))
    rows.sort(key=lambda r: (r[0], r[1], r[2]["item_id"]))
    out = []
    for _, _, row in rows:
        row["record_label"] = ctx.t(f"records.type.{row['record_type']}")
        out.append({k: row[k] for k in EXPORT_FIELDS})
    return out


def export_csv(ctx: Context, rows: list[dict], delimiter: str = ";") -> str:
    """CSV text starting with a UTF-8 BOM, headings in the municipality's language.

    The default separator is ';' because Excel with Swedish regional settings
    splits on semicolons when a .csv file is opened by double-click (its list
    separator is ';' since ',' is the decimal comma), and the BOM makes it read
    UTF-8 (å, ä, ö) instead of the ANSI code page. Times are written as
    ÅÅÅÅ-MM-DD tt:mm in Stockholm time, which it reads as dates.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([ctx.t(f"records.field.{f}") for f in EXPORT_FIELDS])
    for row in rows:
        writer.writerow(["" if row[f] is None else _csv_value(ctx, f, row[f]) for f in EXPORT_FIELDS])
    return "\ufeff" + buf.getvalue()


CSV_DATE_FIELDS = ("received_at", "answered_at", "decided_at")


def _csv_value(ctx: Context, field: str, value: object) -> object:
    """The CSV is read by people (the registrar, in Excel): statuses and platforms in their language,
    not the codes (`answered` → "besvarad"), and times as ÅÅÅÅ-MM-DD tt:mm (Stockholm), which Excel with
    Swedish settings reads as dates. The JSON export keeps the codes and ISO 8601 with the offset."""
    if field in CSV_DATE_FIELDS and value:
        return dt.datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")
    if field == "status" and value:
        key = f"status.{value}"
        return ctx.t(key) if key in catalogue(ctx.lang) else value
    if field == "platform" and value:
        return ctx.platform_name(str(value))
    return value


def export_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------- snapshots (R4)


# last_snapshot, next_snapshot_due and pending_changes live in bot/core/snapshots.py (issue 12: the automatic
# snapshots need them, and records calls snapshots at a major change, never the other way round).


def _last_text(ctx: Context, account: Account) -> str:
    last = last_snapshot(ctx, account.id)
    if last:
        return ctx.t("records.snapshot_last", day=from_epoch(last["taken_at"]).date().isoformat(),
                     reference=last["reference"])
    created = created_at(ctx, account.id)
    day = from_epoch(created).date().isoformat() if created else "–"
    return ctx.t("records.snapshot_never", day=day)


def snapshot_reminders(ctx: Context) -> list[Message]:
    """One reminder per account and due date (call inside db.atomic()). An account whose automatic snapshot is
    being rendered off the lock is left to the worker: it reminds only if the rendering fails."""
    busy = snapshots.in_flight(ctx)
    out: list[Message] = []
    for account in ctx.accounts.values():
        if account.id not in busy:
            out += snapshot_reminder(ctx, account)
    return out


def snapshot_reminder(ctx: Context, account: Account) -> list[Message]:
    """The account's reminder to take screenshots, once per due date, when its snapshot is due."""
    today = ctx.today()
    due = next_snapshot_due(ctx, account)
    if today < due or not ctx.once(f"snapshot:{account.id}:{due.isoformat()}"):
        return []
    to, why = staff.responsible_for(ctx, account, today)
    text = ctx.t("records.snapshot_reminder", account=account.name, platform=ctx.platform_label(account), id=account.id,
                 months=account.policy.snapshots.interval_months, last=_last_text(ctx, account))
    msg = Message(kind="snapshot_reminder", to=to, account=account.id, text=text + (f" {why}" if why else ""))
    ctx.emit(msg)
    return [msg]


def _may_edit(ctx: Context, account: Account, person: str) -> bool:
    """The account's staff and the communicators (A4)."""
    p = ctx.person(person)
    return person in account.staff or "communicator" in p.roles or "communications_chief" in p.roles


def mark_major_change(ctx: Context, account_id: str, actor: str, description: str) -> Message:
    """R4: a major change (name, purpose, look) calls for a snapshot now."""
    account = ctx.account(account_id)
    if not _may_edit(ctx, account, actor):
        raise ctx.refusal("records.not_allowed", account=ctx.label(account))
    description = description.strip()
    if not description:
        raise ctx.refusal("records.change_needs_description", id=account.id)
    to, why = staff.responsible_for(ctx, account, ctx.today())
    with ctx.db.atomic():
        table = ctx.db["major_changes"]
        table.insert({"account_id": account.id, "marked_at": ctx.now_ts(), "marked_by": actor,
                      "description": description, "snapshot_id": None})
        ctx.audit(actor, "records.major_change", account.id, change=table.last_pk, description=description)
        # Issue 12: an account Uppsikt archives gets its snapshot now, no screenshots; if that fails (rolled
        # back and reported to the communicators), the reminder below goes out as before.
        done = isolation.run(ctx, f"snapshot:{account.id}", ctx.t("duty.unit.snapshots"),
                             lambda: snapshots.after_change(ctx, account, actor, description), None)
        if done is not None:
            return done
        text = ctx.t("records.change_reminder", account=ctx.label(account), id=account.id, description=description,
                     person=ctx.person(actor).name)
        msg = Message(kind="snapshot_reminder", to=to, account=account.id, text=text + (f" {why}" if why else ""))
        ctx.emit(msg)
    return msg


def log_snapshot(ctx: Context, account_id: str, actor: str, reference: str) -> dict:
    """A snapshot was taken and saved at `reference`; resolves pending major changes."""
    account = ctx.account(account_id)
    if not _may_edit(ctx, account, actor):
        raise ctx.refusal("records.not_allowed", account=ctx.label(account))
    reference = reference.strip()
    if not reference:
        raise ctx.refusal("records.snapshot_needs_reference", id=account.id)
    with ctx.db.atomic():
        pending = pending_changes(ctx, account.id)
        table = ctx.db["snapshots"]
        table.insert({"account_id": account.id, "taken_at": ctx.now_ts(), "taken_by": actor, "reference": reference,
                      "reason": "; ".join(c["description"] for c in pending)})
        snap_id = table.last_pk
        ctx.db.execute("UPDATE major_changes SET snapshot_id = ? WHERE account_id = ? AND snapshot_id IS NULL",
                       [snap_id, account.id])
        ctx.audit(actor, "records.snapshot", account.id, snapshot=snap_id, reference=reference,
                  changes=[c["id"] for c in pending])
        row = dict(ctx.db["snapshots"].get(snap_id))
    row["resolved"] = len(pending)
    return row


def snapshot_status(ctx: Context) -> list[dict]:
    today = ctx.today()
    out = []
    for account in ctx.accounts.values():
        last = last_snapshot(ctx, account.id)
        due = next_snapshot_due(ctx, account)
        out.append({
            "account_id": account.id, "account_name": account.name,
            "last": from_epoch(last["taken_at"]).date().isoformat() if last else None,
            "reference": last["reference"] if last else None,
            "next_due": due.isoformat(), "overdue": due <= today,
            "interval_months": account.policy.snapshots.interval_months,
            "pending_changes": [c["description"] for c in pending_changes(ctx, account.id)],
        })
    return out


# --------------------------------------------------------------------------- register (A2, A3)


def register(ctx: Context) -> list[dict]:
    """The A2 documentation of every watched account, for publication (A3).

    Staff appear by name and title only; the contact is what the account's
    documentation says (usually a functional mailbox).
    """
    out = []
    for a in ctx.accounts.values():
        unit = ctx.settings.units.get(a.unit)
        owner = ctx.settings.person(a.owner)
        out.append({
            "id": a.id, "platform": a.platform, "platform_label": _label(ctx, f"records.platform.{a.platform}", a.platform),
            "name": a.name, "url": a.url, "unit": a.unit, "unit_name": unit.name if unit else a.unit,
            "purpose": a.purpose, "audience": a.audience, "content": a.content, "update_frequency": a.update_frequency,
            "contact": a.contact, "owner_name": owner.name if owner else "", "owner_title": owner.title if owner else "",
        })
    return out


def _e(text: str) -> str:
    return html.escape(text or "–", quote=True)


def _link(url: str, text: str) -> str:
    if url.lower().startswith(("https://", "http://")):
        return f'<a href="{html.escape(url, quote=True)}">{_e(text)}</a>'
    return _e(text)


def _contact(contact: str) -> str:
    if EMAIL_RE.match(contact or ""):
        return f'<a href="mailto:{html.escape(contact, quote=True)}">{_e(contact)}</a>'
    if (contact or "").lower().startswith(("https://", "http://")):
        return _link(contact, contact)
    return _e(contact)


def register_html(ctx: Context, rows: list[dict] | None = None, *, fragment: bool = False) -> str:
    """The accounts as an accessible, responsive table: a complete standalone page (also well-formed XML),
    or with `fragment` a ``<section>`` with its own scoped style and no ``<html>``/``<head>``, for pasting
    into the municipality's CMS.

    Every column is visible at desktop width (the cells wrap, nothing hides behind a scrollbar); on a
    narrow screen each account becomes a card of "heading: value" lines (`bot.htmlkit`)."""
    from bot.htmlkit import BASE_CSS, TABLE_CSS, page, table

    rows = register(ctx) if rows is None else rows
    muni = ctx.settings.municipality.name
    title = ctx.t("records.register.title", municipality=muni)
    cols = ("account", "platform", "unit", "purpose", "audience", "content", "frequency", "responsible", "contact")
    headings = [ctx.t(f"records.register.col_{c}") for c in cols]
    body = []
    for r in rows:
        responsible = ", ".join(x for x in (r["owner_name"], r["owner_title"]) if x)
        body.append([
            _link(r["url"], r["name"]),
            *(_e(r[k]) for k in ("platform_label", "unit_name", "purpose", "audience", "content", "update_frequency")),
            _e(responsible), _contact(r["contact"]),
        ])
    grid = table(ctx.t("records.register.caption", municipality=muni, count=len(rows)), headings, body,
                 table_id="register-table")
    intro = f"<p>{_e(ctx.t('records.register.intro', municipality=muni))}</p>\n"
    updated = f"<p>{_e(ctx.t('records.register.updated', day=ctx.today().isoformat()))}</p>\n"
    if fragment:
        lang = html.escape(ctx.lang, quote=True)
        return (
            f'<section class="uppsikt-register" lang="{lang}" aria-labelledby="uppsikt-register-title">\n'
            f"<style>{TABLE_CSS}.uppsikt-register a{{color:#0645ad}}"
            ".uppsikt-register a:focus{outline:3px solid #1a1a1a;outline-offset:2px}</style>\n"
            f'<h2 id="uppsikt-register-title">{_e(title)}</h2>\n{intro}{grid}\n{updated}</section>\n'
        )
    return page(ctx.lang, title, BASE_CSS + TABLE_CSS, f"<h1>{_e(title)}</h1>\n{intro}{grid}\n{updated}")


# --------------------------------------------------------------------------- inactive accounts (A6)


def last_activity(ctx: Context, account_id: str) -> int | None:
    """Latest of: the account's recorded activity (intake), its newest item, an oversight note, its creation."""
    row = ctx.db.execute(
        "SELECT MAX(x) FROM ("
        " SELECT last_activity_at AS x FROM accounts WHERE id = ?"
        " UNION ALL SELECT created_at FROM accounts WHERE id = ?"
        " UNION ALL SELECT MAX(received_at) FROM items WHERE account_id = ?"
        " UNION ALL SELECT MAX(checked_at) FROM oversight_log WHERE account_id = ? AND note != '')",
        [account_id, account_id, account_id, account_id],
    ).fetchone()
    return row[0] if row else None


def inactive_reminders(ctx: Context) -> list[Message]:
    """A6: tell the owner and the communicators once per inactive period (call inside db.atomic())."""
    now = ctx.now_ts()
    today = ctx.today()
    out: list[Message] = []
    for account in ctx.accounts.values():
        last = last_activity(ctx, account.id)
        limit = account.policy.accounts.inactive_days
        if last is None or now - last <= limit * 86400:
            continue
        if not ctx.once(f"inactive:{account.id}:{last}"):
            continue
        owner, _ = staff.responsible_for(ctx, account, today)
        text = ctx.t("records.inactive", account=account.name, platform=ctx.platform_label(account),
                     day=from_epoch(last).date().isoformat(), days=(now - last) // 86400, limit=limit,
                     owner=ctx.name_of(account.owner))
        for to in [owner, *staff.communicators(ctx, today, exclude=owner)]:
            msg = Message(kind="inactive_account", to=to, account=account.id, text=text)
            ctx.emit(msg)
            out.append(msg)
        ctx.audit("uppsikt", "records.inactive", account.id, last_activity=_iso(last), days=(now - last) // 86400)
    return out


# --------------------------------------------------------------------------- weeding (R5)


def delete_items(ctx: Context, ids: list[int], *, pending_messages: bool = False) -> None:
    """Delete items with their history rows and the chat messages that quote them (call inside db.atomic()).

    Messages still waiting in the outbox are kept unless `pending_messages` (weeding lets a last card
    update go out; an erasure request does not)."""
    pending = "" if pending_messages else " AND status != 'pending'"
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        ph = ",".join("?" * len(chunk))
        ctx.db.execute(f"DELETE FROM item_history WHERE item_id IN ({ph})", chunk)
        ctx.db.execute(f"DELETE FROM outbox WHERE item_id IN ({ph}){pending}", chunk)
        # issue 11: the platform writes (a reply's text) and the citizen's platform id go with the item
        ctx.db.execute(f"DELETE FROM platform_writes WHERE item_id IN ({ph})", chunk)
        ctx.db.execute(f"DELETE FROM platform_authors WHERE (source, external_id) IN "
                       f"(SELECT source, external_id FROM items WHERE id IN ({ph}))", chunk)
        # issue 12: the archived object stays (weeded by its own plan) but no longer names the item, whose id
        # SQLite may give to a new item
        ctx.db.execute(f"UPDATE archive_objects SET item_id = NULL WHERE item_id IN ({ph})", chunk)
        ctx.db.execute(f"DELETE FROM items WHERE id IN ({ph})", chunk)


def weed(ctx: Context) -> int:
    """Delete items of minor importance older than the retention period. Returns how many.

    Only done or noted items (answered, closed, noted) are weeded; never items
    marked for the diarium, never items with a removal record, never open ones,
    never items under a legal hold (on their account or their archived object).
    Their history rows and delivered chat messages (which quote the text) go too;
    the audit log keeps only ids. Then the archive is weeded by the same plan
    (`archive.weed`, issue 12).
    """
    now = ctx.now_ts()
    status_ph = ",".join("?" * len(WEEDABLE_STATUSES))
    per_account: dict[str, int] = {}
    weeded: list[int] = []
    with ctx.db.atomic():
        on_hold = archive.held_accounts(ctx)
        held = archive.held_items(ctx)
        account_ids = [r[0] for r in ctx.db.execute("SELECT DISTINCT account_id FROM items")]
        for account_id in account_ids:
            if account_id in on_hold:  # a legal hold on the account stops weeding (R5)
                continue
            cutoff = now - _policy_of(ctx, account_id).records.retention_days * 86400
            # `+diarium` keeps SQLite on the (account_id, received_at) index rather than idx_items_diarium.
            policy = _policy_of(ctx, account_id)
            ids = []
            for item_id, kind, tags in ctx.db.execute(
                f"SELECT id, kind, tags FROM items WHERE account_id = ? AND received_at < ? AND status IN ({status_ph}) "
                "AND +diarium = 0 AND crisis = 0 AND id NOT IN (SELECT item_id FROM removals)",
                [account_id, cutoff, *WEEDABLE_STATUSES],
            ):
                if _should_be_registered(policy, kind, tags):  # R1, R3, R6: a record, not of minor importance
                    continue
                if item_id in held:  # a legal hold on its archived object
                    continue
                ids.append(item_id)
            weeded += ids
            if ids:
                per_account[account_id] = len(ids)
        delete_items(ctx, weeded)
        total = sum(per_account.values())
        if total:
            ctx.audit("uppsikt", "records.weed", "items", count=total, per_account=per_account)
        archive.weed(ctx)
    return total


# --------------------------------------------------------------------------- daily


def daily(ctx: Context) -> list[Message]:
    """Snapshot reminders, inactive-account reminders and weeding (call once a day inside db.atomic())."""
    out = snapshot_reminders(ctx)
    out += inactive_reminders(ctx)
    weed(ctx)
    return out


# --------------------------------------------------------------------------- search (R7)


def _sql_fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _like_pattern(query: str) -> str:
    escaped = query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _excerpt(text: str, query: str) -> str:
    text = " ".join((text or "").split())
    if len(text) <= EXCERPT_CHARS:
        return text
    pos = max(text.casefold().find(query.casefold()), 0)
    start = max(0, min(pos - EXCERPT_CHARS // 3, len(text) - EXCERPT_CHARS))
    piece = text[start:start + EXCERPT_CHARS]
    return ("…" if start > 0 else "") + piece + ("…" if start + EXCERPT_CHARS < len(text) else "")


def _has_search_index(ctx: Context) -> bool:
    return ctx.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'items_fts'").fetchone() is not None


def search(
    ctx: Context, query: str, start: dt.date | None = None, end: dt.date | None = None, account: str | None = None,
) -> list[dict]:
    """Items (text, author, answer), removal records (text, author, note) and the archive (issue 12: every
    version of every post, comment and message, the municipality's own, edited and removed ones included),
    newest first.

    Case-insensitive also for å, ä and ö; % and _ in the query are literal.
    Dates are when the post was received (Stockholm). An archived version is a hit of its own (record_type
    "archive", with its kind, state, own, version and versions) unless it is the first version of an item that
    is still kept, which is the item's hit: that hit then says the archived state (`state`; the label says
    "dold" or "borttagen" when it is not visible on the platform any more).
    """
    query = query.strip()
    if not query:
        raise ctx.refusal("records.empty_query")
    if account is not None and account not in ctx.accounts and not ctx.db["accounts"].count_where("id = ?", [account]):
        raise ctx.refusal("error.unknown_account", account=account, known=", ".join(ctx.accounts))
    lo = to_epoch(ctx.calendar().local_midnight(start)) if start else None
    hi = to_epoch(ctx.calendar().local_midnight(end + dt.timedelta(days=1))) if end else None
    if start and end and end < start:
        raise ctx.refusal("records.end_before_start", start=start.isoformat(), end=end.isoformat())
    ctx.db.register_function(_sql_fold, deterministic=True, name="uppsikt_fold")
    pattern = _like_pattern(query)

    indexed = fts.usable(query) and _has_search_index(ctx)

    def where(time_col: str, text_cols: tuple[str, ...], table: str) -> tuple[str, list]:
        # The index offers candidates; each is checked with the exact predicate (bot/store/fts.py).
        clauses: list[str] = []
        args: list = []
        if indexed:
            clauses.append(f"(id IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?) "
                           f"OR id IN (SELECT row_id FROM search_exotic WHERE tbl = '{table}'))")
            args.append(fts.match_phrase(query))
        clauses.append("(" + " OR ".join(f"uppsikt_fold({c}) LIKE ? ESCAPE '\\'" for c in text_cols) + ")")
        args += [pattern] * len(text_cols)
        if lo is not None:
            clauses.append(f"{time_col} >= ?")
            args.append(lo)
        if hi is not None:
            clauses.append(f"{time_col} < ?")
            args.append(hi)
        if account:
            clauses.append("account_id = ?")
            args.append(account)
        return " AND ".join(clauses), args

    out: list[tuple[int, dict]] = []
    sql, args = where("received_at", ("text", "author", "answer"), "items")
    for i in ctx.db.query(f"SELECT * FROM items WHERE {sql}", args):
        kind = _item_record_type(i) if i["diarium"] else "item"
        out.append((i["received_at"], {
            "record_type": kind, "record_label": ctx.t(f"records.type.{kind}"), "id": i["id"], "item_id": i["id"],
            "date": _iso(i["received_at"]), "account_id": i["account_id"],
            "account_name": _account_info(ctx, i["account_id"])[0], "author": i["author"],
            "excerpt": _excerpt(i["text"], query), "status": i["status"],
        }))
    len_items = len(out)
    sql, args = where("posted_at", ("text", "author", "note"), "removals")
    for r in ctx.db.query(f"SELECT * FROM removals WHERE {sql}", args):
        kind = "confidential" if r["confidential"] else "removed_post"
        out.append((r["posted_at"], {
            "record_type": kind, "record_label": ctx.t(f"records.type.{kind}"), "id": r["id"], "item_id": r["item_id"],
            "date": _iso(r["posted_at"]), "account_id": r["account_id"],
            "account_name": _account_info(ctx, r["account_id"])[0], "author": r["author"],
            "excerpt": _excerpt(r["text"], query), "status": "removed",
        }))
    _item_states(ctx, [row for _, row in out[:len_items]])
    out += _archive_hits(ctx, query, lo, hi, account)
    out.sort(key=lambda x: (x[0], x[1]["id"]), reverse=True)
    return [row for _, row in out]


def _item_states(ctx: Context, hits: list[dict]) -> None:
    """Each item hit gets its archived object's state (visible, hidden, deleted) where it has one."""
    ids = [h["item_id"] for h in hits]
    states: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        ph = ",".join("?" * len(chunk))
        for item_id, state in ctx.db.execute(f"SELECT item_id, state FROM archive_objects WHERE item_id IN ({ph})",
                                             chunk):
            states[item_id] = state
    for h in hits:
        state = states.get(h["item_id"])
        if state is None:
            continue
        h["state"] = state
        if state != "visible":
            h["record_label"] = ctx.t("archive.item_label", label=h["record_label"],
                                      state=ctx.t(f"archive.state.{state}"))


def _archive_hits(ctx: Context, query: str, lo: int | None, hi: int | None, account: str | None) -> list[tuple[int, dict]]:
    out: list[tuple[int, dict]] = []
    # the first version of an item still kept is the item's own hit (the text as it was taken in)
    for row in archive.matches(ctx, query, lo=lo, hi=hi, account=account, skip_kept_items=True):
        kind = row["kind"] if row["kind"] in ("post", "comment", "dm") else "comment"
        state = ctx.t(f"archive.state.{row['state']}")
        key = f"archive.search_type_own.{kind}" if row["own"] else f"archive.search_type.{kind}"
        out.append((row["created_at"], {
            "record_type": "archive", "record_label": ctx.t(key, state=state, version=row["version"],
                                                             versions=row["versions"]),
            "id": row["id"], "item_id": row["item_id"], "date": _iso(row["created_at"]),
            "account_id": row["account_id"], "account_name": _account_info(ctx, row["account_id"])[0],
            "author": row["author"], "excerpt": _excerpt(row["text"], query), "status": row["state"],
            "kind": row["kind"], "state": row["state"], "own": bool(row["own"]), "version": row["version"],
            "versions": row["versions"], "object_id": row["id"], "source": row["source"],
            "external_id": row["external_id"],
        }))
    return out


RELEASE_FIELDS = (
    "record_type", "record_label", "id", "item_id", "object_id", "version", "versions", "kind", "state", "own",
    "date", "account_id", "account_name", "author", "text", "answer", "permalink", "ground", "decided_by", "events",
    "media",
)


def release_rows(ctx: Context, results: list[dict]) -> list[dict]:
    """A release request (utlämnande, R7): exactly the hits of `search`, in its order, each with its whole text
    instead of the excerpt: an item with its answer, a removal record with its ground and who decided, an
    archived version with the object's events (captured, edited, hidden, deleted, removed, registered...)."""
    out = []
    for r in results:
        row = {f: None for f in RELEASE_FIELDS} | {k: r.get(k) for k in RELEASE_FIELDS if k in r}
        row["events"] = []
        if r["record_type"] == "archive":
            version = ctx.db.execute("SELECT text FROM archive_versions WHERE object_id = ? AND version = ?",
                                     [r["object_id"], r["version"]]).fetchone()
            obj = archive.get(ctx, r["object_id"]) or {}
            row |= {"text": version[0] if version else "", "permalink": obj.get("permalink", "")}
            row["events"] = [{"kind": e["kind"], "at": _iso(e["at"]), "actor": e["actor"],
                              "detail": json.loads(e["detail"] or "{}")} for e in archive.events(ctx, r["object_id"])]
        elif r["status"] == "removed":  # a removal record
            rem = ctx.db["removals"].get(r["id"])
            row |= {"text": rem["text"], "permalink": rem["permalink"], "ground": rem["ground"],
                    "decided_by": _who(ctx, rem["decided_by"]), "state": "removed"}
        else:
            item = ctx.db["items"].get(r["id"])
            row |= {"text": item["text"], "answer": item["answer"] or "", "permalink": item["permalink"],
                    "kind": item["kind"]}
        row["media"] = _release_media(ctx, r)
        out.append(row)
    return out


def _release_media(ctx: Context, hit: dict) -> list[dict]:
    """The attachments of a hit's archived object (bot/core/media.py): each stored file with its path in the data
    folder and SHA-256, or the link and why it is not stored (weeded, failed, refused, not fetched yet)."""
    if hit["record_type"] == "archive":
        object_id = hit["object_id"]
    else:
        item_id = hit.get("item_id")
        obj = archive.of_item(ctx, item_id) if item_id else None
        object_id = obj["id"] if obj else None
    if object_id is None:
        return []
    return [media.describe(m) for m in media.of_objects(ctx, [object_id]).get(object_id, [])]


def release_csv(ctx: Context, rows: list[dict], delimiter: str = ";") -> str:
    """The release rows as CSV for Excel (UTF-8 with BOM, semicolons); events as one line each in their cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([ctx.t(f"archive.field.{f}") for f in RELEASE_FIELDS])
    for row in rows:
        cells = []
        for f in RELEASE_FIELDS:
            value = row[f]
            if f == "events":
                value = "\n".join(f"{e['at'][:16].replace('T', ' ')} {e['kind']} ({e['actor']})" for e in value)
            elif f == "media":
                value = "\n".join(f"{m['status']}: {m['file'] or m['url']}" + (f" ({m['reason']})" if m["reason"] else "")
                                   for m in value)
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return "\ufeff" + buf.getvalue()


def render_search(ctx: Context, query: str, results: list[dict], limit: int | None = None) -> str:
    if not results:
        return ctx.t("records.search_none", query=query)
    shown = results if limit is None else results[:limit]
    lines = [ctx.t("records.search_header", count=len(results), query=query)]
    lines += [
        ctx.t("records.search_line", type=r["record_label"], id=r["id"], date=r["date"][:16].replace("T", " "),
              account=r["account_name"], author=r["author"] or "–", excerpt=r["excerpt"])
        for r in shown
    ]
    if len(shown) < len(results):
        lines.append(ctx.t("records.search_more", shown=len(shown)))
    return "\n".join(lines)


# --------------------------------------------------------------------------- commands


def _may_change_mark(ctx: Context, item: dict, actor: str) -> bool:
    account = ctx.accounts.get(item["account_id"])
    if account is None:  # a closed account: the communicators
        return any(r in ctx.person(actor).roles for r in HANDLER_ROLES)
    return may_handle(ctx, account, item, actor)


def cmd_diarium(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    """/diarium NUMMER [orsak]"""
    if not words or fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("records.help.diarium"))
    if not is_number(words[0]):
        raise ctx.refusal("error.bad_number", what=ctx.t("word.item_id"), value=words[0])
    if len(words) > 2:
        raise ctx.refusal("records.help.diarium")
    reason = parse_reason(ctx, words[1] if len(words) > 1 else DEFAULT_REASON)
    item = ctx.item(int(words[0]))
    if item["diarium"] and item["diarium_reason"] != reason and not _may_change_mark(ctx, item, actor):
        # Marking keeps more on record; changing a mark (e.g. sekretess -> synpunkt, R3) is a decision.
        raise ctx.refusal("records.remark_not_allowed", id=item["id"], reason=item["diarium_reason"])
    item = mark_for_diarium(ctx, item["id"], reason, actor)
    return Reply(ctx.t("records.marked", id=item["id"], reason=item["diarium_reason"]))


def cmd_snapshot(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    """/snapshot klar KONTO REFERENS… | ändring KONTO beskrivning | status"""
    sub = fold(words[0]) if words else "status"
    rest = words[1:]
    if sub in ("hjalp", "help"):
        return Reply(ctx.t("records.help.snapshot"))
    if sub == "status":
        lines = [ctx.t("records.status_header")]
        for s in snapshot_status(ctx):
            lines.append(ctx.t(
                "records.status_line", account=s["account_name"], id=s["account_id"],
                last=f"{s['last']} ({s['reference']})" if s["last"] else ctx.t("records.status_never"),
                next=s["next_due"], months=s["interval_months"],
            ) + (ctx.t("records.status_overdue") if s["overdue"] else "")
              + (ctx.t("records.status_pending", count=len(s["pending_changes"])) if s["pending_changes"] else ""))
        return Reply("\n".join(lines))
    if sub in ("klar", "klart", "tagen", "done"):
        account_id, rest = account_arg(ctx, rest, channel, "records.usage_snapshot_done")
        snap = log_snapshot(ctx, account_id, actor, " ".join(rest))
        account = ctx.account(account_id)
        text = ctx.t("records.snapshot_logged", account=ctx.label(account), reference=snap["reference"],
                     next=next_snapshot_due(ctx, account).isoformat())
        if snap["resolved"]:
            text += " " + ctx.t("records.snapshot_resolved", count=snap["resolved"])
        return Reply(text, public=True)
    if sub in ("andring", "forandring", "change"):
        account_id, rest = account_arg(ctx, rest, channel, "records.usage_snapshot_change")
        msg = mark_major_change(ctx, account_id, actor, " ".join(rest))
        key = "snapshots.change_taken" if msg.kind == "snapshot_done" else "records.change_logged"
        return Reply(ctx.t(key, account=ctx.label(account_id), person=ctx.person(msg.to).name), public=True)
    raise ctx.refusal("records.help.snapshot")


def cmd_sok(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    """/sök [konto=ID] [från=DATUM] [till=DATUM] text"""
    if len(words) == 1 and fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("records.help.sok"))
    if not words:
        raise ctx.refusal("records.help.sok")
    opts, rest = options(words, {"konto": "account", "fran": "from", "till": "to"})
    start = parse_date(ctx, opts["from"], ctx.t("word.from")) if "from" in opts else None
    end = parse_date(ctx, opts["to"], ctx.t("word.to")) if "to" in opts else None
    account = opts["account"].lower() if "account" in opts else None
    query = " ".join(rest)
    if len(query) > SEARCH_QUERY_MAX:  # issue 16: 100,000 characters gave "Något gick fel"
        raise ctx.refusal("robust.search_too_long", length=len(query), max=SEARCH_QUERY_MAX)
    results = search(ctx, query, start, end, account)
    return Reply(render_search(ctx, query, results, SEARCH_CHAT_LIMIT), data={"results": results})


SEARCH_QUERY_MAX = 500  # characters of search text

COMMANDS = {"diarium": cmd_diarium, "snapshot": cmd_snapshot, "sok": cmd_sok}
