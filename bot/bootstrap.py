"""The one composition root: build(settings, clock=, db=, chat=) -> Bot.

The Bot is the facade every adapter (console, simulator, Slack, Teams) drives:
commands, actions, intake and the scheduler tick all go through it, and every
message it causes leaves through the outbox.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import functools
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import sqlite_utils

from bot.clock import Clock, FakeClock, SystemClock, from_epoch, to_epoch, to_local
from bot.core import accounts, commands, crisis, intake, items, moderation, oversight, reactions, records, staff
from bot.core.context import Context, Refused
from bot.core.parsing import is_number
from bot.core.routing import HistoryAnswer
from bot.messages import Message, Reply
from bot.settings import EMAIL_RE, Settings, parse_time
from bot.store.db import open_db

log = logging.getLogger("uppsikt")


class ChatPort(Protocol):
    def send(self, message: Message) -> None:
        """Deliver one message; raise ChatError on failure (the outbox retries)."""
        ...


class ChatError(Exception):
    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


@dataclass
class RecordingChat:
    """A chat port that keeps what was sent (tests, simulator)."""

    clock: Clock
    sent: list[tuple[dt.datetime, Message]] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.sent.append((self.clock.now(), message))


DIGEST_KINDS = ("nudge", "escalation", "oversight_reminder", "coverage_warning", "two_factor_reminder",
                "snapshot_reminder")
MAX_DIGEST_ACTIONS = 10


def serialized(method):
    """Entry points run one at a time (scheduler and chat threads share one SQLite connection);
    what they caused is delivered after the lock is released, so no chat call holds it."""

    @functools.wraps(method)
    def wrapper(self: "Bot", *args, **kwargs):
        with self.lock:
            result = method(self, *args, **kwargs)
        self.deliver()
        return result

    return wrapper


@dataclass
class Bot:
    ctx: Context
    chat: ChatPort | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    flush_lock: threading.Lock = field(default_factory=threading.Lock)
    wake: threading.Event | None = None  # set: a background thread delivers (server modes)

    @property
    def db(self) -> sqlite_utils.Database:
        return self.ctx.db

    # ------------------------------------------------------------------ config -> store
    @serialized
    def sync_config(self) -> None:
        """Mirror configured accounts and people into the store (keeping runtime state)."""
        now = self.ctx.now_ts()
        with self.db.atomic():
            for acc in self.ctx.settings.accounts.values():
                row = {"id": acc.id, "platform": acc.platform, "name": acc.name, "channel": acc.channel,
                       "unit": acc.unit, "owner": acc.owner}
                if self.db["accounts"].count_where("id = ?", [acc.id]):
                    self.db["accounts"].update(acc.id, row)
                else:
                    self.db["accounts"].insert(row | {"status": "approved", "created_at": now, "last_activity_at": now})
            for p in self.ctx.settings.people.values():
                self.db["people"].upsert(
                    {"email": p.email, "name": p.name, "title": p.title, "unit": p.unit,
                     "roles": json.dumps(list(p.roles)), "chat_id": p.chat_id},
                    pk="email",
                )

    # ------------------------------------------------------------------ inputs
    @serialized
    def command(self, actor: str, text: str, channel: str | None = None) -> Reply:
        reply = commands.handle(self.ctx, actor, text, channel)
        return reply

    @serialized
    def action(self, actor: str, name: str, value: str, **kwargs: str) -> Reply:
        """A button press: `oversight_done` with an account id, or an item action with an item id."""
        try:
            self.ctx.person(actor.lower())
            if name in accounts.ACTION_NAMES:
                reply = accounts.do_action(self.ctx, actor.lower(), name, value, kwargs.get("reason", ""))
            elif name == "oversight_done":
                oversight.log_check(self.ctx, value, actor.lower(), kwargs.get("note", ""), via=kwargs.get("via", "button"))
                reply = Reply(self.ctx.t("oversight.logged", account=self.ctx.label(value),
                                         time=self.ctx.now().strftime("%H:%M")), public=True)
            else:
                if not is_number(str(value)):
                    raise Refused(self.ctx.t("error.bad_number", what=self.ctx.t("word.item_id"), value=value))
                reply = commands.item_action(self.ctx, actor.lower(), int(value), name, **kwargs)
        except Refused as exc:
            reply = Reply(str(exc), ok=False)
        return reply

    @serialized
    def intake(self, account_id: str, text: str, **kwargs: object) -> tuple[dict, bool]:
        item, created = intake.receive(self.ctx, account_id, text, **kwargs)
        return item, created

    @serialized
    def react(self, actor: str, item_id: int, emoji: str) -> Reply | None:
        """An emoji reaction on an item's card; None when the emoji means nothing to Uppsikt."""
        try:
            reply = reactions.react(self.ctx, actor.lower(), item_id, emoji)
        except Refused as exc:
            reply = Reply(str(exc), ok=False)
        return reply

    # ------------------------------------------------------------------ scheduler
    @serialized
    def tick(self) -> list[Message]:
        """Derive everything due now from the database; safe to call at any time, any number of times."""
        with self.db.atomic():
            out = oversight.tick(self.ctx)
            out += crisis.tick(self.ctx)
            out += items.tick(self.ctx)
            if self.ctx.once(f"daily:{self.ctx.today().isoformat()}"):
                out += staff.check_coverage(self.ctx)
                out += records.daily(self.ctx)
                out += monthly_report_due(self.ctx)
            out += accounts.daily(self.ctx)  # once a day itself, in office hours (a calm first start)
            self.ctx.set_state("last_tick", str(self.ctx.now_ts()))
        return out

    def advance(self, clock: FakeClock, until: dt.datetime) -> None:
        """Move a fake clock to `until`, ticking at every moment something falls due on the way
        (simulator, console with --start, tests): exactly what the minute scheduler would do."""
        self.tick()
        while (wake := self.next_wakeup()) <= until:
            clock.set(wake)
            self.tick()
        if clock.now() == to_local(until) and not self._due_now():
            return  # ticked at this very moment already, nothing changed since and nothing left over
        clock.set(until)
        self.tick()

    def _due_now(self) -> bool:
        """Work a second tick at the same moment would find: items beyond one tick's batch, or an
        outbox retry due now (the only things one tick can leave due at its own moment)."""
        now = self.ctx.now_ts()
        with self.lock:
            return bool(
                self.db.execute("SELECT 1 FROM items WHERE next_nudge_at <= ? LIMIT 1", [now]).fetchone()
                or self.db.execute("SELECT 1 FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1",
                                   [now]).fetchone()
            )

    def next_wakeup(self) -> dt.datetime:
        """The earliest moment at which tick() could have something to do (for the simulator)."""
        now = self.ctx.now()
        candidates = [self.ctx.calendar().local_midnight(now.date() + dt.timedelta(days=1))]
        times = self._oversight_times()
        for day in (now.date(), now.date() + dt.timedelta(days=1)):
            later = [at for at in (self.ctx.calendar().at(day, t) for t in times) if at > now]
            if later:
                candidates.append(min(later))
                break
        for sql in (
            "SELECT MIN(next_nudge_at) FROM items WHERE next_nudge_at IS NOT NULL",
            "SELECT MIN(next_intensified_at) FROM accounts WHERE next_intensified_at IS NOT NULL",
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'",
            "SELECT MIN(next_prompt_at) FROM crisis_periods WHERE ended_at IS NULL",
            "SELECT MIN(next_at) FROM intensified_slots WHERE next_at IS NOT NULL",  # O3 reminders, escalations
        ):
            ts = self.db.execute(sql).fetchone()[0]
            if ts is not None:
                candidates.append(from_epoch(max(ts, to_epoch(now) + 1)))
        return min(candidates)

    def _oversight_times(self) -> set[dt.time]:
        """The accounts' prompt, reminder and escalation times (kept until the set of accounts changes)."""
        accounts = self.ctx.accounts
        cached = self.ctx.cache.get("oversight_times")
        if cached is None or cached[0] is not accounts:  # type: ignore[index]
            times = {parse_time(hm) for acc in accounts.values()
                     for hm in (acc.policy.oversight.prompt_time, acc.policy.oversight.reminder_time,
                                acc.policy.oversight.escalation_time)}
            cached = self.ctx.cache["oversight_times"] = (accounts, times)
        return cached[1]  # type: ignore[index,return-value]

    # ------------------------------------------------------------------ outbox
    def deliver(self) -> None:
        """After an entry point: deliver now (console, simulator, tests), or wake the delivery
        thread so a chat listener can acknowledge without waiting on the chat platform."""
        if self.wake is None:
            self.flush()
        else:
            self.wake.set()

    def deliver_in_background(self) -> threading.Thread:
        self.wake = threading.Event()
        wake = self.wake

        def loop() -> None:
            while True:
                wake.wait()
                wake.clear()
                try:
                    self.flush()
                except Exception:  # keep delivering: the outbox keeps what failed, the 5 s job retries
                    log.exception("outbox: delivery failed; retrying on the next wake-up")

        thread = threading.Thread(target=loop, name="uppsikt-outbox", daemon=True)
        thread.start()
        return thread

    def flush(self) -> int:
        """Deliver pending outbox messages in order, per target stopping at the first failure.

        A chat port with ``digests = True`` gets a person's pending reminders as one
        digest message instead of one message per item. Transient failures are
        retried for as long as it takes (backing off, or after ``retry_after``);
        only a permanent failure gives up on a message.
        """
        if self.chat is None or not self.flush_lock.acquire(blocking=False):
            return 0  # another thread is draining; it will pick these up too
        try:
            return self._drain()
        finally:
            self.flush_lock.release()

    def _drain(self) -> int:
        # The texts are read only for what is sent now: while Slack's rate limits hold a backlog
        # back, every wake-up reads the whole queue, and most of it waits behind a blocked target.
        with self.lock:
            now = self.ctx.now_ts()
            rows = [
                {"id": i, "kind": k, "target": t, "attempts": a, "next_attempt_at": n}
                for i, k, t, a, n in self.db.execute(
                    "SELECT id, kind, target, attempts, next_attempt_at FROM outbox WHERE status = 'pending' ORDER BY id"
                )
            ]
        digests = getattr(self.chat, "digests", False)
        groups: dict[str, list[dict]] = {}
        if digests:
            for row in rows:
                if row["kind"] in DIGEST_KINDS and not row["target"].startswith("#"):
                    groups.setdefault(row["target"], []).append(row)
        blocked: set[str] = set()
        done: set[int] = set()
        delivered = 0
        for row in rows:
            if row["id"] in done or row["target"] in blocked:
                continue
            batch = groups.get(row["target"], [row]) if row["kind"] in DIGEST_KINDS else [row]
            if row["next_attempt_at"] > now:
                blocked.add(row["target"])
                continue
            texts = self._texts([r["id"] for r in batch])
            batch = [r for r in batch if r["id"] in texts]  # gone meanwhile (an erasure): not sent
            if not batch:
                continue
            messages = [Message.from_json(texts[r["id"]]) for r in batch]
            message = messages[0] if len(messages) == 1 else self._digest(row["target"], messages)
            try:
                self.chat.send(message)
            except ChatError as exc:
                attempts = row["attempts"] + 1
                delay = exc.retry_after if exc.retry_after is not None else min(2 ** attempts, 300)
                with self.lock, self.db.atomic():
                    for r in batch:
                        self.ctx.update("outbox", r["id"], {
                            "attempts": attempts, "error": str(exc)[:500],
                            "status": "failed" if exc.permanent else "pending", "next_attempt_at": now + int(delay),
                        })
                log.warning("outbox %s to %s failed (attempt %s): %s", row["id"], row["target"], attempts, exc)
                blocked.add(row["target"])
                continue
            with self.lock, self.db.atomic():
                for r in batch:
                    self.ctx.update("outbox", r["id"], {"status": "sent", "sent_at": now, "attempts": r["attempts"] + 1})
            done.update(r["id"] for r in batch)
            delivered += len(batch)
        return delivered

    def _texts(self, ids: list[int]) -> dict[int, str]:
        texts: dict[int, str] = {}
        with self.lock:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                texts.update(self.db.execute(
                    f"SELECT id, message FROM outbox WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        return texts

    def _digest(self, target: str, messages: list[Message]) -> Message:
        lines = [self.ctx.t("digest.header", count=len(messages))]
        lines += [f"• {m.text}" for m in messages]
        return Message(kind="digest", to=target, text="\n".join(lines),
                       actions=tuple(a for m in messages for a in m.actions)[:MAX_DIGEST_ACTIONS])

    # ------------------------------------------------------------------ history import
    @serialized
    def import_history(self, path: Path) -> int:
        """Load past answers (question,answer,answered_by,answered_at); all rows or none."""
        rows, problems = parse_history_csv(self.ctx, path)
        if problems:
            raise Refused("\n".join(problems))
        with self.db.atomic():
            items.add_history(self.ctx, [r[0] for r in rows], [r[1] for r in rows], "import")
            self.ctx.audit("uppsikt", "history.import", str(path), rows=len(rows))
        return len(rows)


def parse_history_csv(ctx: Context, path: Path) -> tuple[list[tuple[HistoryAnswer, int]], list[str]]:
    problems: list[str] = []
    rows: list[tuple[HistoryAnswer, int]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [ctx.t("history.unreadable", path=path, error=exc)]
    reader = csv.DictReader(io.StringIO(text))
    expected = ["question", "answer", "answered_by", "answered_at"]
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != expected:
        return [], [ctx.t("history.bad_header", path=path, found=",".join(reader.fieldnames or []), expected=",".join(expected))]
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            problems.append(ctx.t("history.bad_columns", path=path, line=line))
            continue
        email = row["answered_by"].strip().lower()
        answer = row["answer"].strip()
        if not answer:
            problems.append(ctx.t("history.empty_answer", path=path, line=line))
        if not EMAIL_RE.match(email) or ctx.settings.person(email) is None:
            problems.append(ctx.t("history.unknown_person", path=path, line=line, email=row["answered_by"]))
        try:
            when = dt.datetime.fromisoformat(row["answered_at"].strip())
        except ValueError:
            problems.append(ctx.t("history.bad_time", path=path, line=line, value=row["answered_at"]))
            continue
        rows.append((HistoryAnswer(row["question"].strip(), answer, email), to_epoch(when)))
    if not rows and not problems:
        problems.append(ctx.t("history.no_rows", path=path))
    return rows, problems


def monthly_report_due(ctx: Context) -> list[Message]:
    """Issue 14: last month's report to the communicators' channel on the month's first business day.
    Kept apart from the rest of the daily job; the report package loads matplotlib only when it posts."""
    from bot.report.post import monthly_post_due

    return monthly_post_due(ctx)


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    db: sqlite_utils.Database | str | Path | None = None,
    chat: ChatPort | None = None,
) -> Bot:
    """Wire the bot. `db` is a Database, a path, or None for in-memory."""
    if not isinstance(db, sqlite_utils.Database):
        db = open_db(db)
    ctx = Context(settings=settings, db=db, clock=clock or SystemClock())
    bot = Bot(ctx=ctx, chat=chat)
    bot.sync_config()
    return bot


__all__ = ["Bot", "ChatError", "ChatPort", "RecordingChat", "build", "from_epoch"]
