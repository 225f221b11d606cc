"""Erasure requests (GDPR art. 17): `uppsikt forget --author NAME`.

A citizen asks the municipality to erase what they wrote. Uppsikt erases what
the law lets it erase and keeps what it must keep, and says which and why:

* **Erased** – the author's items of minor importance (answered, closed without
  reply, or noted; R5 would weed them anyway): the item, its history rows, every
  chat message in the outbox that quotes it (delivered or not), and the routing
  history answers learnt from it (``history_answers`` rows whose question is the
  item's text). The same deletion as weeding (``records.delete_items``).
* **Kept as public records** (allmänna handlingar, Tryckfrihetsförordningen;
  art. 17(3)(b) and (e): a legal obligation, archives in the public interest):
  items marked for the diarium (R1 synpunkter and case handling, R3 confidential
  data, R6 direct messages), removed posts and their removal records (R2), and
  crisis items (kept like weeding keeps them: the crisis group's documentation, K1).
* **Kept under a legal hold** (issue 12, art. 17(3)(e)) – items whose account or archived object is held.
* **The archive** (issue 12) – the author's archived posts and comments that are erased with their item (or
  never were one) are emptied: every version's text and original JSON, and the name; the events stay.
* **Kept for now** – questions still waiting for an answer: the municipality
  must still answer or close them (Q1, Q6). Answer or close them, then run the
  request again.

The name is matched exactly (case and spacing ignored), never as a part of a
longer name. Other people's posts that mention the name are counted, not
touched: they are the other writers' posts (review them with ``/sök``).
The audit log records the request with item ids and counts, never the name or
the texts. Cards Uppsikt has already posted in Slack or Teams are not
Uppsikt's to delete; the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.context import Context, Refused
from bot.core import archive, items
from bot.core.items import OPEN_STATUSES
from bot.core.records import delete_items

# Why an item is kept, in the order the report lists them.
KEEP_REASONS = ("diarium", "removed", "crisis", "open")
FOLD = "uppsikt_forget_fold"


@dataclass
class Report:
    author: str
    erased: list[int] = field(default_factory=list)
    kept: dict[str, list[int]] = field(default_factory=lambda: {r: [] for r in KEEP_REASONS})
    removal_records: int = 0
    history_answers: int = 0
    messages: int = 0
    mentions: int = 0
    dry_run: bool = False
    held: list[int] = field(default_factory=list)  # kept under a legal hold (issue 12)
    archived: int = 0  # archived posts and comments emptied (issue 12: every version)

    @property
    def kept_count(self) -> int:
        return sum(len(v) for v in self.kept.values()) + len(self.held)

    def render(self, ctx: Context) -> str:
        t = ctx.t
        lines = [t("forget.header_dry_run" if self.dry_run else "forget.header", author=self.author)]
        if not self.erased and not self.kept_count and not self.removal_records:
            lines.append(t("forget.nothing"))
        else:
            key = "forget.would_erase" if self.dry_run else "forget.erased"
            lines.append(t(key, items=len(self.erased), messages=self.messages, history=self.history_answers))
            if self.kept_count or self.removal_records:
                lines.append(t("forget.kept", count=self.kept_count))
                for reason in KEEP_REASONS:
                    if self.kept[reason]:
                        ids = ", ".join(str(i) for i in self.kept[reason])
                        lines.append(t(f"forget.kept_{reason}", count=len(self.kept[reason]), ids=ids,
                                       removals=self.removal_records))
                if self.held:
                    lines.append(t("archive.forget.kept_held", count=len(self.held),
                                   ids=", ".join(str(i) for i in self.held)))
        if self.archived:
            key = "archive.forget.would_erase" if self.dry_run else "archive.forget.erased"
            lines.append(t(key, count=self.archived))
        if self.mentions:
            lines.append(t("forget.mentions", count=self.mentions))
        lines.append(t("forget.chat_platform"))
        return "\n".join(lines)


def _normalise(name: str) -> str:
    return " ".join(name.split()).casefold()


def _fold(value: object) -> object:
    return " ".join(value.split()).casefold() if isinstance(value, str) else value


def _reason(item: dict, removed: set[int]) -> str | None:
    """Why the item must be kept, or None when it may be erased."""
    if item["diarium"]:
        return "diarium"
    if item["id"] in removed:
        return "removed"
    if item["crisis"]:
        return "crisis"
    if item["status"] in OPEN_STATUSES:
        return "open"
    return None


def forget(ctx: Context, author: str, actor: str, *, dry_run: bool = False) -> Report:
    """Handle an erasure request for everything `author` wrote; returns what was erased and kept, and why."""
    name = _normalise(author)
    if not name:
        raise ctx.refusal("forget.no_name")
    ctx.db.register_function(_fold, deterministic=True, name=FOLD)
    report = Report(author=" ".join(author.split()), dry_run=dry_run)
    with ctx.db.atomic():
        rows = list(ctx.db.query(f"SELECT * FROM items WHERE {FOLD}(author) = ? ORDER BY id", [name]))
        removed = {r[0] for r in ctx.db.execute(f"SELECT item_id FROM removals WHERE {FOLD}(author) = ?", [name])}
        on_hold, held = archive.held_accounts(ctx), archive.held_items(ctx)
        report.removal_records = ctx.db.execute(
            f"SELECT COUNT(*) FROM removals WHERE {FOLD}(author) = ?", [name]).fetchone()[0]
        for item in rows:
            reason = _reason(item, removed)
            if reason is None and (item["account_id"] in on_hold or item["id"] in held):
                report.held.append(item["id"])  # a legal hold (issue 12): art. 17(3)(e), legal claims
            elif reason is None:
                report.erased.append(item["id"])
            else:
                report.kept[reason].append(item["id"])
        ids = report.erased
        erased = set(ids)
        archived = archive.erasable(ctx, name, erased)  # issue 12: the archive's versions too
        report.archived = len(archived)
        texts = list(dict.fromkeys(item["text"] for item in rows if item["id"] in erased))
        if ids:
            ph = ",".join("?" * len(ids))
            report.messages = ctx.db.execute(f"SELECT COUNT(*) FROM outbox WHERE item_id IN ({ph})", ids).fetchone()[0]
        for i in range(0, len(texts), 500):
            chunk = texts[i:i + 500]
            ph = ",".join("?" * len(chunk))
            report.history_answers += ctx.db.execute(
                f"SELECT COUNT(*) FROM history_answers WHERE question IN ({ph})", chunk).fetchone()[0]
        report.mentions = ctx.db.execute(
            f"SELECT COUNT(*) FROM items WHERE {FOLD}(author) != ? AND instr({FOLD}(text), ?) > 0",
            [name, name]).fetchone()[0]
        if dry_run:
            return report
        delete_items(ctx, ids, pending_messages=True)
        archive.erase(ctx, archived, actor)
        for i in range(0, len(texts), 500):
            chunk = texts[i:i + 500]
            ctx.db.execute(f"DELETE FROM history_answers WHERE question IN ({','.join('?' * len(chunk))})", chunk)
        ctx.audit(actor, "records.forget", "", erased=ids, kept={r: v for r, v in report.kept.items() if v},
                  removal_records=report.removal_records, history_answers=report.history_answers,
                  messages=report.messages, mentions=report.mentions, held=report.held, archived=archived)
    if texts:
        items.forget_router(ctx)  # the router learnt from the erased answers: rebuilt without them
    return report
