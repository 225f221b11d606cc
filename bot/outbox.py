"""The outbox: every message the core causes is queued in the `outbox` table and leaves from here.

Delivery (deliver now, or wake a background thread), draining in order per target, per-person
digests, backoff on failure and the outbound chat port contract (ChatPort, ChatError).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Protocol

from bot.clock import Clock
from bot.core.context import Context
from bot.messages import Message
from bot.watch import Watch

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


# What a person gets that may be folded into one digest when several wait for them (a backlog after an outage
# or a burst of comments: issue 16 folds the new-item assignments too, so a burst reaches people in minutes)
DIGEST_KINDS = ("nudge", "escalation", "oversight_reminder", "coverage_warning", "two_factor_reminder",
                "snapshot_reminder", "assignment")
MAX_DIGEST_ACTIONS = 10
# One digest message at most this long (characters of the reminders) and this many lines: within Slack's
# 4,000-character notification text and 3 × 3,000-character sections, and Teams' 40 lines and 8,000 characters
DIGEST_MAX_CHARS = 3500
DIGEST_MAX_LINES = 35
MAX_RETRY_DELAY_SECONDS = 3600  # no back-off or Retry-After is longer; a later retry time is a clock step back
PLATFORM_PREFIXES = ("meta:",)  # issue 11: outbox targets that are platform writes, never chat messages


@dataclass
class Outbox:
    """Delivers the queued messages through one chat port; `lock` is the facade's entry-point lock."""

    ctx: Context
    lock: threading.RLock
    chat: ChatPort | None = None
    flush_lock: threading.Lock = field(default_factory=threading.Lock)
    wake: threading.Event | None = None  # set: a background thread delivers (server modes)
    watch: Watch = field(default_factory=Watch)
    # Issue 11: targets with one of these prefixes ("meta:") are delivered by that port (a platform write)
    # instead of the chat port; a target whose port is missing waits.
    platforms: dict[str, ChatPort] = field(default_factory=dict)

    @property
    def db(self):
        return self.ctx.db

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
        if (self.chat is None and not self.platforms) or not self.flush_lock.acquire(blocking=False):
            return 0  # another thread is draining; it will pick these up too
        try:
            delivered = self._drain()
            for _ in range(3):  # a platform write's outcome queues messages of its own (issue 11): deliver them too
                if not self._platform_delivered:
                    break
                delivered += self._drain()
            return delivered
        finally:
            self.flush_lock.release()

    def _drain(self) -> int:
        # Issue 16: a message the chat platform accepted but that could not be marked sent (disk full,
        # read-only) is remembered in memory (`watch.unmarked`) and never posted again; while the marks
        # cannot be written nothing else is delivered either (every post would be another unmarked one).
        if not self._write_pending_marks():
            return 0
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
        self.watch.clock_seen(float(now))
        digests = getattr(self.chat, "digests", False)
        groups: dict[str, list[dict]] = {}
        if digests:
            for row in rows:
                if row["kind"] in DIGEST_KINDS and not row["target"].startswith("#"):
                    groups.setdefault(row["target"], []).append(row)
        blocked: set[str] = set()
        done: set[int] = set()
        delivered = 0
        self._platform_delivered = False
        for row in rows:
            port = self._port(row["target"])
            if port is None:  # no chat port, or a platform write without its platform port: it waits
                continue
            if row["id"] in done or row["target"] in blocked:
                continue
            batch = groups.get(row["target"], [row]) if row["kind"] in DIGEST_KINDS else [row]
            if now < row["next_attempt_at"] and (row["attempts"] == 0
                                                 or row["next_attempt_at"] <= now + MAX_RETRY_DELAY_SECONDS):
                blocked.add(row["target"])
                continue
            # (a retry time beyond the longest back-off means the clock went backwards: due now, issue 16;
            # a first attempt scheduled later on purpose, such as a platform delete at midnight, waits)
            texts = self._texts([r["id"] for r in batch])
            batch = [r for r in batch if r["id"] in texts]  # gone meanwhile (an erasure): not sent
            if not batch:
                continue
            messages = [Message.from_json(texts[r["id"]]) for r in batch]
            if len(messages) == 1:
                parts = [(batch, messages[0])]
            else:  # issue 16: several messages within the platforms' limits, each marked sent on its own
                parts = self._digests(row["target"], batch, messages)
            for part_rows, message in parts:
                outcome = self._send_part(part_rows, message, now, port)
                if outcome is None:  # the database cannot be written: stop delivering
                    return delivered
                if not outcome:
                    blocked.add(row["target"])
                    break
                done.update(r["id"] for r in part_rows)
                delivered += len(part_rows)
                self._platform_delivered = self._platform_delivered or port is not self.chat
        return delivered

    _platform_delivered = False

    def _port(self, target: str) -> ChatPort | None:
        """The port a target is delivered through: a platform's (issue 11) by its prefix, else the chat port."""
        for prefix in PLATFORM_PREFIXES:
            if target.startswith(prefix):
                return self.platforms.get(prefix)
        return self.chat

    def _send_part(self, batch: list[dict], message: Message, now: int, port: ChatPort) -> bool | None:
        """Send one message carrying `batch`'s rows through `port`: True when delivered and marked, False
        when the port failed (recorded for a retry), None when the database cannot be written (delivery stops)."""
        row = batch[0]
        chat = port is self.chat  # /healthz's "chat platform failing" speaks of the chat port only
        try:
            port.send(message)
        except ChatError as exc:
            if chat:
                self.watch.chat_failed(str(exc), float(now))
            attempts = row["attempts"] + 1
            delay = exc.retry_after if exc.retry_after is not None else min(2 ** attempts, 300)
            try:
                with self.lock, self.db.atomic():
                    for r in batch:
                        self.ctx.update("outbox", r["id"], {
                            "attempts": attempts, "error": str(exc)[:500],
                            "status": "failed" if exc.permanent else "pending",
                            "next_attempt_at": now + int(delay),
                        })
            except sqlite3.DatabaseError as db_exc:
                self.watch.store_failed(db_exc)
                log.error("outbox: cannot record a failed delivery (%s); delivery stops until the database "
                          "is writable", db_exc)
                return None
            log.warning("outbox %s to %s failed (attempt %s): %s", row["id"], row["target"], attempts, exc)
            return False
        if chat:
            self.watch.chat_ok()
        with self.watch.lock:
            self.watch.unmarked.update({r["id"]: now for r in batch})  # sent: never again, whatever happens
        return True if self._write_pending_marks() else None

    def _write_pending_marks(self) -> bool:
        """Mark what was sent as sent; False (and /healthz knows why) when the database cannot be written."""
        with self.watch.lock:
            pending = dict(self.watch.unmarked)
        if not pending:
            return True
        try:
            with self.lock, self.db.atomic():
                for outbox_id, sent_at in pending.items():
                    self.db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 "
                                    "WHERE id = ? AND status = 'pending'", [sent_at, outbox_id])
        except sqlite3.DatabaseError as exc:
            first = self.watch.store_error is None
            if not self.watch.store_failed(exc):
                raise
            (log.error if first else log.debug)("outbox: %s message(s) were sent but cannot be marked sent (%s); they are kept in memory "
                      "and not sent again, and delivery stops until the database is writable", len(pending), exc)
            return False
        with self.watch.lock:
            for outbox_id in pending:
                self.watch.unmarked.pop(outbox_id, None)
        self.watch.store_ok()
        return True

    def _texts(self, ids: list[int]) -> dict[int, str]:
        texts: dict[int, str] = {}
        with self.lock:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                texts.update(self.db.execute(
                    f"SELECT id, message FROM outbox WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        return texts

    def _digests(self, target: str, rows: list[dict], messages: list[Message]) -> list[tuple[list[dict], Message]]:
        """A person's reminders as one digest, or, when they do not fit one message (`DIGEST_MAX_CHARS`,
        `DIGEST_MAX_LINES`, one button set of `MAX_DIGEST_ACTIONS`), as several numbered ones."""
        groups: list[list[int]] = [[]]
        size = lines = actions = 0
        for i, m in enumerate(messages):
            m_size, m_lines, m_actions = len(m.text) + 3, m.text.count("\n") + 1, len(m.actions)
            if groups[-1] and (size + m_size > DIGEST_MAX_CHARS or lines + m_lines > DIGEST_MAX_LINES
                               or actions + m_actions > MAX_DIGEST_ACTIONS):
                groups.append([])
                size = lines = actions = 0
            groups[-1].append(i)
            size, lines, actions = size + m_size, lines + m_lines, actions + m_actions
        if len(groups) == 1:
            return [(rows, self._digest(target, messages))]
        total = len(messages)
        return [([rows[i] for i in g], self._digest(target, [messages[i] for i in g], part=(n, len(groups), total)))
                for n, g in enumerate(groups, start=1)]

    def _digest(self, target: str, messages: list[Message], part: tuple[int, int, int] | None = None) -> Message:
        if part is not None and len(messages) == 1:
            m = messages[0]
            return Message(kind=m.kind, to=target, text=m.text, account=m.account, item=m.item, actions=m.actions,
                           fields=m.fields, mentions=m.mentions, thread=m.thread, card=m.card,
                           attachments=m.attachments)
        if part is not None:
            header = self.ctx.t("robust.digest_part", count=part[2], part=part[0], parts=part[1])
            lines = [header] + [f"• {m.text}" for m in messages]
            return Message(kind="digest", to=target, text="\n".join(lines),
                           actions=tuple(a for m in messages for a in m.actions)[:MAX_DIGEST_ACTIONS])
        return self._digest_one(target, messages)

    def _digest_one(self, target: str, messages: list[Message]) -> Message:
        lines = [self.ctx.t("digest.header", count=len(messages))]
        lines += [f"• {m.text}" for m in messages]
        return Message(kind="digest", to=target, text="\n".join(lines),
                       actions=tuple(a for m in messages for a in m.actions)[:MAX_DIGEST_ACTIONS])
