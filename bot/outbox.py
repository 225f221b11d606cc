"""The outbox: every message the core causes is queued in the `outbox` table and leaves from here.

Delivery (deliver now, or wake a background thread), draining in order per target, per-person
digests, backoff on failure, the clean-up of sent rows and the outbound chat port contract
(ChatPort, ChatError).

A wake-up costs what it delivers, not what waits (issue 17 point 2): the outbox keeps a queue per target in
memory, with the time until which a target waits (Slack's rate limit, a Retry-After, a back-off), and reads
only the rows queued since the last wake-up (their targets) and the first rows of the targets that may send
now. The database stays the truth: a restart, or the full look at the waiting targets every minute, rebuilds
what memory holds.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import sqlite3
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Protocol

from bot.clock import Clock, to_epoch
from bot.core.context import Context
from bot.messages import SHOW_CARD, Action, Attachment, BundleEntry, Message
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
    marks_in_batches = True  # in-process: nothing it shows outlives the process, so a wake-up marks once at its end

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
# Issue 16 point 11: folding a burst within Slack's one message a second per conversation.
# While a channel is backed up by its rate limit (the port said "retry after") and more than BUNDLE_THRESHOLD new
# items' cards wait for it (a minute of Slack's limit), the new items go as bundles: one message listing up to
# BUNDLE_MAX_ITEMS of them (within DIGEST_MAX_CHARS and DIGEST_MAX_LINES), for a port that shows them (`bundles`).
BUNDLE_THRESHOLD = 60
BUNDLE_MAX_ITEMS = DIGEST_MAX_LINES - 1  # and the header line
BUNDLE_WORDS = 48  # characters of the citizen's text a bundle line quotes (cut at a word)
# While more than DIGEST_WINDOW reminders wait for one person, a digest is compact: the item numbers by kind
# (COMPACT_PER_LINE on a line), up to COMPACT_WINDOW reminders read per round; every number is listed.
COMPACT_WINDOW = 1200
COMPACT_PER_LINE = 25
MAX_RETRY_DELAY_SECONDS = 3600  # no back-off or Retry-After is longer; a later retry time is a clock step back
PLATFORM_PREFIXES = ("meta:",)  # issue 11: outbox targets that are platform writes, never chat messages


# Issue 17 point 2: the queue per target. A wake-up reads the rows added since the last one (by id), the first
# rows of each target that may send now, and nothing of a target that waits (rate limit, Retry-After, back-off);
# a full look at which targets have waiting rows (one index seek per target) is taken at the first wake-up and
# then every RESYNC_SECONDS, so a row the look by id could miss (an id reused after the newest rows were erased)
# is found within a minute.
RESYNC_SECONDS = 60.0
PAGE_ROWS = 16  # a target's waiting rows read at once (a channel sends about one a second under Slack's limit)
DIGEST_WINDOW = 120  # a person's waiting reminders read for one round of digests (at least 12 parts)
MEMO_LIMIT = 5000  # messages kept as the core made them, so the outbox need not decode their JSON again
CLEANUP_BATCH = 2000  # sent rows deleted per transaction; the lock is free between two
CLEANUP_BATCHES_PER_WAKE = 5  # a wake-up deletes at most this many batches; the next ones go on until the day's done
MARK_BATCH = 500  # an in-process port's delivered rows are marked sent at the end of a wake-up, or this many at once

_PENDING_TARGETS = (  # every target with a waiting row: a skip-scan of idx_outbox_target, one seek per target
    "WITH RECURSIVE t(target) AS ("
    " SELECT (SELECT MIN(target) FROM outbox WHERE status = 'pending')"
    " UNION ALL SELECT (SELECT MIN(target) FROM outbox WHERE status = 'pending' AND target > t.target)"
    " FROM t WHERE t.target IS NOT NULL) SELECT target FROM t WHERE target IS NOT NULL")
_KINDS = ",".join("?" * len(DIGEST_KINDS))


IDLE = "outbox_idle"  # ctx.cache: the connection's total_changes when the in-process outbox last found nothing waiting


def idle(ctx: Context) -> bool:
    """The in-process outbox found nothing waiting and nothing was written since (`Outbox._drain_in_process`): the
    scheduler need not look for a retry (bot/tick.py)."""
    return ctx.cache.get(IDLE) == ctx.db.conn.total_changes


class MessageMemo:
    """The messages the core queued in this process, by outbox id, kept with the JSON text they were stored as
    (`Context.emit` fills it): the outbox sends the very object when the row it reads carries the same text, and
    decodes the JSON only otherwise (a restart, a row written elsewhere, an id reused after a rollback)."""

    def __init__(self, limit: int = MEMO_LIMIT):
        self.limit = limit
        self._items: dict[int, tuple[str, Message]] = {}
        self._lock = threading.Lock()

    def remember(self, outbox_id: int, text: str, message: Message) -> None:
        if not _canonical(message):
            return
        with self._lock:
            if len(self._items) < self.limit:  # beyond it (a burst) the later ones are decoded when they go
                self._items[outbox_id] = (text, message)

    def message(self, outbox_id: int, text: str) -> Message:
        with self._lock:
            kept = self._items.get(outbox_id)
        if kept is not None and kept[0] == text:
            return kept[1]
        return Message.from_json(text)

    def kept(self, outbox_id: int) -> Message | None:
        """The message queued as `outbox_id` in this process, if kept (only the rows of committed transactions:
        `clear` runs when one rolls back)."""
        with self._lock:
            kept = self._items.get(outbox_id)
        return None if kept is None else kept[1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def forget(self, ids: list[int]) -> None:
        with self._lock:
            for outbox_id in ids:
                self._items.pop(outbox_id, None)

    def ids(self) -> list[int]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        return len(self._items)


def _canonical(m: Message) -> bool:
    """True when `m` is exactly what `Message.from_json(m.to_json())` gives (tuples, not lists)."""
    return (type(m.actions) is tuple and type(m.fields) is tuple and type(m.mentions) is tuple
            and type(m.attachments) is tuple and all(type(f) is tuple for f in m.fields)
            and all(type(a) is Action for a in m.actions) and all(type(a) is Attachment for a in m.attachments)
            and type(m.entries) is tuple)


@dataclass
class _Block:
    until: float  # steady seconds (`Outbox._steady`)
    head: int  # the target's first waiting row when it was blocked


@dataclass
class _Queue:
    """One target's waiting rows during one wake-up: read a page at a time, in id order."""

    target: str
    rows: deque = field(default_factory=deque)
    last: int = 0  # the last id read
    done: set = field(default_factory=set)  # ids delivered in this wake-up (also beyond the page: a digest's rows)
    more: int | None = None  # a digest round's total when more reminders wait than DIGEST_WINDOW
    compact: bool = False  # that round is compact (item numbers by kind): rows carry "item"


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
    memo: MessageMemo = field(default_factory=MessageMemo)
    # The queue per target (issue 17 point 2), in memory, touched only by the one thread that drains (flush_lock):
    _ready: dict[str, None] = field(default_factory=dict, init=False, repr=False)  # may send now (ordered set)
    _blocks: dict[str, _Block] = field(default_factory=dict, init=False, repr=False)  # wait until a steady time
    _heap: list[tuple[float, str]] = field(default_factory=list, init=False, repr=False)  # the blocks by time
    _released: dict[str, int] = field(default_factory=dict, init=False, repr=False)  # target -> head whose wait ended
    # Targets backed up by a rate limit (a send answered "retry after") since their queue was last empty: only these
    # may have their new items' cards folded into bundles (issue 16 point 11); an in-process port never is.
    _limited: set[str] = field(default_factory=set, init=False, repr=False)
    _watermark: int | None = field(default=None, init=False, repr=False)  # the newest outbox id looked at
    _watermark_row: tuple | None = field(default=None, init=False, repr=False)  # (kind, target, created_at) of it
    _cleaned_on: dt.date | None = field(default=None, init=False, repr=False)  # the day the clean-up finished
    _synced_at: float = field(default=0.0, init=False, repr=False)
    _steady_clock: object = field(default=None, init=False, repr=False)
    _steady_wall: float | None = field(default=None, init=False, repr=False)
    _steady_value: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.ctx.cache["outbox_memo"] = self.memo  # Context.emit keeps what it queues (bot/core/context.py)

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
                wake.clear()  # every event until here is served by this one wake-up (wake-ups combine)
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

    def waiting(self) -> dict[str, float]:
        """The targets that wait, and for how many more seconds (for tests and the benchmark)."""
        steady = self._steady()
        return {t: max(0.0, b.until - steady) for t, b in self._blocks.items()}

    # ------------------------------------------------------------------ one wake-up
    def _drain(self) -> int:
        # Issue 16: a message the chat platform accepted but that could not be marked sent (disk full,
        # read-only) is remembered in memory (`watch.unmarked`) and never posted again; while the marks
        # cannot be written nothing else is delivered either (every post would be another unmarked one).
        if not self._write_pending_marks():
            return 0
        if self._cleaned_on != self.ctx.today():
            self._clean_up()
        fast = self._drain_in_process()
        if fast is not None:
            return fast
        with self.lock:
            moment = self.ctx.clock.now()
            now, wall = to_epoch(moment), moment.timestamp()
            steady = self._steady(wall)
            # The steady time at which the wall clock's current whole second began: a wait ends on the second the
            # database's retry time names (`next_attempt_at`, whole seconds), not a fraction of a second after it
            # (the simulator and the soak test move the clock on only when the database says nothing is due).
            second = steady - (wall - now)
            self._discover(steady)
        self.watch.clock_seen(float(now))
        self._release(steady)
        self._platform_delivered = self._marked = False
        # The targets that may send now, merged by their first row's id: across targets the messages leave in
        # the order they were queued (as one queue sorted by id did), within a target strictly in order.
        queues: dict[str, _Queue] = {}
        heap: list[tuple[int, str]] = []
        for target in list(self._ready):
            if self._port(target) is None:  # no chat port, or a platform write without its platform port: it waits
                continue
            q = _Queue(target)
            if self._advance(q):
                queues[target] = q
                heap.append((q.rows[0]["id"], target))
            else:
                self._ready.pop(target, None)  # nothing waits for it any more
                self._limited.discard(target)
        heapq.heapify(heap)
        delivered = 0
        try:
            while heap:
                _, target = heapq.heappop(heap)
                q = queues[target]
                row = q.rows.popleft()
                if not self._due(target, row, now):
                    self._block(target, row["id"], second + (row["next_attempt_at"] - now))
                    continue
                outcome = self._deliver_row(q, row, now, second)
                if outcome is None:  # the database cannot be written: stop delivering
                    return delivered
                sent, ok = outcome
                delivered += sent
                if not ok:
                    continue  # failed: its next rows wait (for its back-off, or the next wake-up after a permanent failure)
                if self._advance(q):
                    heapq.heappush(heap, (q.rows[0]["id"], target))
                else:
                    self._ready.pop(target, None)
                    self._limited.discard(target)  # caught up: its next cards go one by one again
            return delivered
        finally:
            if self.watch.unmarked:
                self._write_pending_marks()

    _platform_delivered = False

    def _drain_in_process(self) -> int | None:
        """The wake-up of an in-process port that cannot fail (`RecordingChat`: the simulator, the console, the
        scenario tests), when nothing waited after the last wake-up: ONE statement reads the rows queued since
        then, and when this process queued every one of them (the memo holds each, as `Context.emit` stored it)
        they are sent in id order and marked sent in one transaction. None when any of that does not hold (the
        full wake-up below then runs, as for Slack and Teams). Issue 17 point 3: a simulated year drained
        107,690 times, eight statements and a transaction per message; this is two statements and one
        transaction per wake-up. The first row read is the last one seen: a row deleted there and its id given
        again (an erasure) is noticed as in `_discover`."""
        chat = self.chat
        if (type(chat) is not RecordingChat or set(vars(chat)) != {"clock", "sent"}  # a plain one: no test's stand-in
                or self._ready or self._blocks or self.watch.unmarked or self._watermark is None
                or self._watermark_row is None):
            return None
        with self.lock:
            moment = self.ctx.clock.now()
            now = to_epoch(moment)
            steady = self._steady(moment.timestamp())
            seen = self._watermark
            if seen is None:
                return None  # a clock swap forgot the queues
            if not 0 <= steady - self._synced_at < RESYNC_SECONDS:
                # The periodic full look of `_discover`, for a port that had nothing waiting: is anything waiting
                # at or before the last row seen (a row the look by id cannot find)? One seek of idx_outbox_pending.
                if self.db.execute("SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND id <= ?)",
                                   [seen]).fetchone()[0]:
                    return None
                self._synced_at = steady
            rows = self.db.execute(
                "SELECT id, kind, target, created_at, status, attempts, next_attempt_at FROM outbox WHERE id >= ? "
                "ORDER BY id LIMIT ?", [seen, MARK_BATCH + 1]).fetchall()
        if (not rows or rows[0][0] != seen or tuple(rows[0][1:4]) != self._watermark_row or rows[0][4] == "pending"
                or len(rows) > MARK_BATCH):
            return None
        new = rows[1:]
        if not new:
            self.watch.clock_seen(float(now))
            self.ctx.cache[IDLE] = self.db.conn.total_changes
            return 0
        messages = []
        for outbox_id, kind, target, _, status, attempts, next_at in new:
            message = self.memo.kept(outbox_id)
            if (message is None or status != "pending" or attempts or next_at > now or message.kind != kind
                    or message.to != target or target.startswith(PLATFORM_PREFIXES)):
                return None
            messages.append(message)
        self.watch.clock_seen(float(now))
        # As in the full wake-up, the first message's mark proves the database writable before the others go: when
        # it cannot be written, that one message is kept in memory (`watch.unmarked`, never sent again) and the
        # others wait for the full wake-up once the database takes writes again.
        sent = 0
        for batch in (new[:1], new[1:]):
            if not batch:
                break
            for row in batch:
                chat.send(messages[sent])
                sent += 1
            ids = [r[0] for r in batch]
            with self.watch.lock:
                self.watch.unmarked.update({i: now for i in ids})  # sent: never again, whatever happens
            self.memo.forget(ids)
            self._watermark, self._watermark_row = batch[-1][0], tuple(batch[-1][1:4])
            if not self._write_pending_marks():
                break
        else:  # everything queued was sent and marked: the scheduler need not look for a retry (bot/tick.py)
            self.ctx.cache[IDLE] = self.db.conn.total_changes
        return sent

    def _deliver_row(self, q: _Queue, row: dict, now: int, second: float) -> tuple[int, bool] | None:
        """Send `row` (with a person's other reminders as digests): (rows delivered, no part failed), or None when
        the database cannot be written. A failure blocks the target (`_block`), a permanent one for this wake-up."""
        target = q.target
        port = self._port(target)
        assert port is not None
        bundling = False
        q.compact = False
        if row["kind"] in DIGEST_KINDS and not target.startswith("#") and getattr(self.chat, "digests", False):
            batch = self._digest_rows(q, row)
        elif (row["kind"] == "item" and target.startswith("#") and target in self._limited
              and getattr(port, "bundles", False)):
            batch = self._bundle_rows(q, row)
            bundling = len(batch) > 1
        else:
            batch = [row]
        if q.compact:  # only the item-less reminders' texts are read; the rest are listed by number
            texts = self._texts([r["id"] for r in batch if r["item"] is None])
            kept = self._existing([r["id"] for r in batch if r["item"] is not None])
            batch = [r for r in batch if r["id"] in (texts if r["item"] is None else kept)]
            if not batch:
                return 0, True
            parts = self._compact_digests(target, batch, {r["id"]: self.memo.message(r["id"], texts[r["id"]])
                                                          for r in batch if r["item"] is None}, q.more or len(batch))
            return self._send_parts(q, parts, now, port, second)
        texts = self._texts([r["id"] for r in batch])
        batch = [r for r in batch if r["id"] in texts]  # gone meanwhile (an erasure): not sent
        if not batch:
            return 0, True
        messages = [self.memo.message(r["id"], texts[r["id"]]) for r in batch]
        if bundling and len(messages) > 1:
            parts = self._bundle(target, batch, messages, menus=getattr(port, "bundle_menus", False))
        elif len(messages) == 1:
            parts = [(batch, messages[0])]
        else:  # issue 16: several messages within the platforms' limits, each marked sent on its own
            parts = self._digests(target, batch, messages, total=q.more)
        return self._send_parts(q, parts, now, port, second)

    def _send_parts(self, q: _Queue, parts: list[tuple[list[dict], Message]], now: int, port: ChatPort,
                    second: float) -> tuple[int, bool] | None:
        target = q.target
        delivered = 0
        for part_rows, message in parts:
            outcome = self._send_part(part_rows, message, now, port, second)
            if outcome is None:
                return None
            if not outcome:
                return delivered, False
            q.done.update(r["id"] for r in part_rows)
            delivered += len(part_rows)
            self._platform_delivered = self._platform_delivered or port is not self.chat
        self._released.pop(target, None)
        return delivered, True

    def _advance(self, q: _Queue) -> bool:
        """Put the target's next waiting row (not delivered in this wake-up) first in `q`; False when none waits."""
        while True:
            while q.rows and q.rows[0]["id"] in q.done:
                q.rows.popleft()
            if q.rows:
                return True
            with self.lock:
                page = self.db.execute(
                    "SELECT id, kind, attempts, next_attempt_at FROM outbox "
                    "WHERE status = 'pending' AND target = ? AND id > ? ORDER BY id LIMIT ?",
                    [q.target, q.last, PAGE_ROWS]).fetchall()
            if not page:
                return False
            q.last = page[-1][0]
            q.rows.extend({"id": i, "kind": k, "target": q.target, "attempts": a, "next_attempt_at": n}
                          for i, k, a, n in page)

    def _digest_rows(self, q: _Queue, row: dict) -> list[dict]:
        """The person's waiting reminders from `row` on (`DIGEST_KINDS`, in order), at most DIGEST_WINDOW of them;
        `q.more` is their total when more wait (a burst), else None. When more wait than DIGEST_WINDOW while the
        person's conversation is backed up by its rate limit, the round is compact (`q.compact`): up to
        COMPACT_WINDOW of them, each with its item's number (issue 16 point 11)."""
        query = (f"SELECT id, kind, attempts, next_attempt_at, json_extract(message, '$.item') FROM outbox "
                 f"WHERE status = 'pending' AND target = ? AND kind IN ({_KINDS}) AND id >= ? ORDER BY id LIMIT ?")
        with self.lock:
            rows = self.db.execute(query, [q.target, *DIGEST_KINDS, row["id"], DIGEST_WINDOW + 1]).fetchall()
            q.more = None
            window = DIGEST_WINDOW
            if len(rows) > DIGEST_WINDOW and q.target in self._limited:  # backed up by its rate limit: compact
                q.compact, window = True, COMPACT_WINDOW
                rows = self.db.execute(query, [q.target, *DIGEST_KINDS, row["id"], COMPACT_WINDOW + 1]).fetchall()
                q.more = len(rows)
            if len(rows) > window:
                rows = rows[:window]
                q.more = self.db.execute(
                    f"SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND target = ? AND kind IN ({_KINDS}) "
                    f"AND id >= ?", [q.target, *DIGEST_KINDS, row["id"]]).fetchone()[0]
        found = [{"id": i, "kind": k, "target": q.target, "attempts": a, "next_attempt_at": n,
                  "item": item if isinstance(item, int) else None}
                 for i, k, a, n, item in rows if i not in q.done]
        first = next((r for r in found if r["id"] == row["id"]), None)
        return [first or {**row, "item": None}] + [r for r in found if r["id"] != row["id"]]

    def _bundle_rows(self, q: _Queue, row: dict) -> list[dict]:
        """`row` (a new item's card) and the new items' cards right behind it, when more than BUNDLE_THRESHOLD wait
        for the channel (issue 16 point 11); only a run of new cards is taken, so the channel's order is kept."""
        with self.lock:
            waiting = self.db.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE status = 'pending' AND target = ? AND id >= ? "
                "AND kind = 'item' LIMIT ?)", [q.target, row["id"], BUNDLE_THRESHOLD + 1]).fetchone()[0]
            if waiting <= BUNDLE_THRESHOLD:
                return [row]
            rows = self.db.execute(
                "SELECT id, kind, attempts, next_attempt_at FROM outbox WHERE status = 'pending' AND target = ? "
                "AND id > ? ORDER BY id LIMIT ?", [q.target, row["id"], BUNDLE_MAX_ITEMS]).fetchall()
        batch = [row]
        for i, k, a, n in rows:
            if i in q.done:
                continue
            if k != "item" or len(batch) >= BUNDLE_MAX_ITEMS:
                break
            batch.append({"id": i, "kind": k, "target": q.target, "attempts": a, "next_attempt_at": n})
        return batch

    # ------------------------------------------------------------------ which targets may send
    def _discover(self, steady: float) -> None:
        """Learn the targets of the rows queued since the last wake-up (call under the lock)."""
        top = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0]
        seen = self._watermark
        if seen is not None and (top < seen or self._row_at(seen) != self._watermark_row):
            self._watermark = None  # the newest rows looked at were deleted (an erasure): their ids may be given again
        if self._watermark is None or not 0 <= steady - self._synced_at < RESYNC_SECONDS:
            for (target,) in self.db.execute(_PENDING_TARGETS).fetchall():
                self._wants(target)
            self._synced_at = steady
        elif top > self._watermark:
            for (target,) in self.db.execute("SELECT DISTINCT target FROM outbox WHERE id > ? AND id <= ? "
                                             "AND +status = 'pending'",  # by id: `+` keeps the status index out
                                             [self._watermark, top]).fetchall():
                self._wants(target)
        if top != seen or self._watermark is None:
            self._watermark_row = self._row_at(top)
        self._watermark = top

    def _row_at(self, outbox_id: int) -> tuple | None:
        return self.db.execute("SELECT kind, target, created_at FROM outbox WHERE id = ?", [outbox_id]).fetchone()

    def _wants(self, target: str) -> None:
        if target not in self._blocks:
            self._ready[target] = None

    def _due(self, target: str, row: dict, now: int) -> bool:
        """May `row`, the first waiting row of its target, be sent now?

        A first attempt scheduled later on purpose (a platform delete at midnight) waits for its time. A retry is
        due at its time, or when this process's own wait for it (measured on steady time) has passed, or when its
        time lies further ahead than the longest back-off: the wall clock went backwards (issue 16 point 7)."""
        due_at = row["next_attempt_at"]
        if now >= due_at:
            return True
        if row["attempts"] == 0:
            return False
        return due_at > now + MAX_RETRY_DELAY_SECONDS or self._released.get(target) == row["id"]

    def _block(self, target: str, head: int, until: float) -> None:
        self._blocks[target] = _Block(until, head)
        heapq.heappush(self._heap, (until, target))
        self._ready.pop(target, None)
        self._released.pop(target, None)

    def _release(self, steady: float) -> None:
        """The targets whose wait has passed may send again."""
        while self._heap and self._heap[0][0] <= steady:
            until, target = heapq.heappop(self._heap)
            block = self._blocks.get(target)
            if block is None or block.until != until:
                continue  # replaced by a later block
            del self._blocks[target]
            self._released[target] = block.head
            self._ready[target] = None

    def _steady(self, wall: float | None = None) -> float:
        """Seconds that only move forward: the clock's monotonic() (SystemClock, FakeClock), else its wall time
        with every backwards step ignored; the in-memory waits are measured on it, so a clock stepped back
        does not hold delivery back for as long as the step (issue 16 point 7)."""
        clock = self.ctx.clock
        if clock is not self._steady_clock:  # another clock (a test swaps it): forget the waits measured on the old
            self._steady_clock, self._steady_wall = clock, None
            for target in self._blocks:
                self._ready[target] = None
            self._blocks.clear()
            self._heap.clear()
            self._watermark = None
        monotonic = getattr(clock, "monotonic", None)
        if monotonic is not None:
            return float(monotonic())
        if wall is None:
            wall = clock.now().timestamp()
        if self._steady_wall is None:
            self._steady_value = wall
        elif wall > self._steady_wall:
            self._steady_value += wall - self._steady_wall
        self._steady_wall = wall
        return self._steady_value

    def _port(self, target: str) -> ChatPort | None:
        """The port a target is delivered through: a platform's (issue 11) by its prefix, else the chat port."""
        for prefix in PLATFORM_PREFIXES:
            if target.startswith(prefix):
                return self.platforms.get(prefix)
        return self.chat

    # ------------------------------------------------------------------ the clean-up of sent rows
    def _clean_up(self) -> int:
        """Delete the rows sent more than `municipality.sent_messages_days` ago (issue 17: three quarters of the
        database's growth were sent outbox rows), once a day, in batches of CLEANUP_BATCH rows, each in its own
        transaction, so no entry point waits long for the lock. Waiting and failed rows are never deleted."""
        days = self.ctx.settings.municipality.sent_messages_days
        deleted = 0
        try:
            for _ in range(CLEANUP_BATCHES_PER_WAKE):
                with self.lock, self.db.atomic():
                    cutoff = self.ctx.now_ts() - days * 86400
                    count = self.db.execute(
                        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox INDEXED BY idx_outbox_sent WHERE status = 'sent' "
                        "AND sent_at < ? "
                        "LIMIT ?)", [cutoff, CLEANUP_BATCH]).rowcount
                deleted += count
                if count < CLEANUP_BATCH:
                    self._cleaned_on = self.ctx.today()
                    break
        except sqlite3.DatabaseError as exc:
            if not self.watch.store_failed(exc):
                raise
            log.warning("outbox: the sent messages older than %s days cannot be deleted now (%s)", days, exc)
        self._forget_gone()
        if deleted:
            self._watermark = None  # the newest rows may have gone: look at every waiting target again
            log.info("outbox: deleted %s messages sent more than %s days ago", deleted, days)
        return deleted

    def _forget_gone(self) -> None:
        """Drop the kept messages whose rows no longer wait (rolled back, erased): the memo stays for what waits."""
        kept = self.memo.ids()
        waiting = {r[0] for r in self._rows_of("id", kept, "AND status = 'pending'")}
        self.memo.forget([i for i in kept if i not in waiting])

    # ------------------------------------------------------------------ sending and marking
    def _send_part(self, batch: list[dict], message: Message, now: int, port: ChatPort, second: float) -> bool | None:
        """Send one message carrying `batch`'s rows through `port`: True when delivered (and marked, or to be
        marked at the end of the wake-up), False when the port failed (recorded for a retry, the target blocked),
        None when the database cannot be written (delivery stops)."""
        row = batch[0]
        ids = [r["id"] for r in batch]
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
                    self.db.execute(
                        f"UPDATE outbox SET attempts = ?, error = ?, status = ?, next_attempt_at = ? "
                        f"WHERE id IN ({','.join('?' * len(ids))})",
                        [attempts, str(exc)[:500], "failed" if exc.permanent else "pending", now + int(delay), *ids])
            except sqlite3.DatabaseError as db_exc:
                self.watch.store_failed(db_exc)
                log.error("outbox: cannot record a failed delivery (%s); delivery stops until the database "
                          "is writable", db_exc)
                return None
            if not exc.permanent:
                self._block(row["target"], row["id"], second + max(0, int(delay)))  # as next_attempt_at says
                if exc.retry_after is not None:
                    self._limited.add(row["target"])  # backed up by a rate limit: its new cards may be bundled
            log.warning("outbox %s to %s failed (attempt %s): %s", row["id"], row["target"], attempts, exc)
            return False
        if chat:
            self.watch.chat_ok()
        with self.watch.lock:
            self.watch.unmarked.update({i: now for i in ids})  # sent: never again, whatever happens
            unmarked = len(self.watch.unmarked)
        self.memo.forget(ids)
        if getattr(port, "marks_in_batches", False) and unmarked < MARK_BATCH and self._marked:
            return True  # an in-process port: the wake-up marks the rest of what it delivers in one transaction
        if not self._write_pending_marks():
            return None
        self._marked = True  # the database took this wake-up's first marks: it is writable
        return True

    _marked = False

    def _write_pending_marks(self) -> bool:
        """Mark what was sent as sent; False (and /healthz knows why) when the database cannot be written."""
        with self.watch.lock:
            pending = dict(self.watch.unmarked)
        if not pending:
            return True
        by_time: dict[int, list[int]] = {}
        for outbox_id, sent_at in pending.items():
            by_time.setdefault(sent_at, []).append(outbox_id)
        try:
            with self.lock, self.db.atomic():
                for sent_at, ids in by_time.items():
                    for i in range(0, len(ids), 500):
                        chunk = ids[i:i + 500]
                        self.db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 "
                                        f"WHERE id IN ({','.join('?' * len(chunk))}) AND status = 'pending'",
                                        [sent_at, *chunk])
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

    def _rows_of(self, columns: str, ids: list[int], where: str = "") -> list[tuple]:
        """`columns` of the outbox rows with these ids (that still exist), read 500 ids a statement under the lock."""
        rows: list[tuple] = []
        with self.lock:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                rows += self.db.execute(f"SELECT {columns} FROM outbox WHERE id IN ({','.join('?' * len(chunk))}) "
                                        f"{where}", chunk).fetchall()
        return rows

    def _texts(self, ids: list[int]) -> dict[int, str]:
        return dict(self._rows_of("id, message", ids))

    def _existing(self, ids: list[int]) -> set[int]:
        return {r[0] for r in self._rows_of("id", ids)}

    # ------------------------------------------------------------------ folding a burst (issue 16 point 11)
    def _bundle(self, target: str, rows: list[dict], messages: list[Message],
                menus: bool = False) -> list[tuple[list[dict], Message]]:
        """New items' cards as one bundle: a header and a line per item (number, account where the channel has
        several, author, first words, deadline), as many as fit DIGEST_MAX_CHARS and BUNDLE_MAX_ITEMS; the rest
        wait for the next message. Each entry keeps its card's buttons. A bundle of one is the card itself. `menus`:
        the port shows each entry's actions (Slack's overflow menus), and the header says so."""
        accounts = {m.account for m in messages}
        account = next(iter(accounts)) if len(accounts) == 1 else None
        size = len(self._bundle_header(len(messages), account, menus)) + 1
        show = self.ctx.t("fold.bundle.show_card")
        taken: list[dict] = []
        entries: list[BundleEntry] = []
        for r, m in zip(rows, messages):
            if m.item is None or m.kind != "item":
                break  # not a new item's card (cannot happen for rows of kind `item`): it goes on its own
            line = self._bundle_line(m, with_account=account is None)
            if taken and (size + len(line) + 1 > DIGEST_MAX_CHARS or len(taken) >= BUNDLE_MAX_ITEMS):
                break
            taken.append(r)
            entries.append(BundleEntry(m.item, line, (*m.actions, Action(SHOW_CARD, show, str(m.item)))))
            size += len(line) + 1
        if len(taken) <= 1:
            return [(rows[:1], messages[0])]
        accounts = {m.account for m in messages[:len(taken)]}
        account = next(iter(accounts)) if len(accounts) == 1 else None
        text = "\n".join([self._bundle_header(len(taken), account, menus)] + [e.text for e in entries])
        return [(taken, Message(kind="bundle", to=target, text=text, account=account, entries=tuple(entries),
                                card=f"bundle:{taken[0]['id']}"))]

    def _bundle_header(self, count: int, account: str | None, menus: bool) -> str:
        header = (self.ctx.t("fold.bundle.header_channel", count=count) if account is None
                  else self.ctx.t("fold.bundle.header", count=count, account=self.ctx.label(account)))
        return header + " " + self.ctx.t("fold.bundle.hint_menu" if menus else "fold.bundle.hint_command")

    def _bundle_line(self, m: Message, with_account: bool) -> str:
        t = self.ctx.t
        fields = dict(m.fields)
        label = self.ctx.label(m.account) if m.account else ""
        prefix = t("card.title", id=m.item, account=label, text="")
        words = first_words(m.text[len(prefix):] if m.text.startswith(prefix) else m.text, BUNDLE_WORDS)
        parts = [t("fold.bundle.number", id=m.item)]
        if with_account and label:
            parts.append(label)
        parts.append(t("fold.bundle.words", author=fields.get(t("card.author")) or "–", words=words))
        due = fields.get(t("card.first_reply_due"))
        if due and due != "–":
            parts.append(t("fold.bundle.due", due=due))
        return " · ".join(parts)

    def _compact_digests(self, target: str, rows: list[dict], texts: dict[int, Message],
                         total: int) -> list[tuple[list[dict], Message]]:
        """A person's reminders in a burst, compact: the item numbers under their kind ("Nya frågor till dig: #12,
        #13, …"), a reminder without an item as its text; parts within DIGEST_MAX_CHARS and DIGEST_MAX_LINES, every
        reminder read listed in one of them (issue 16 point 11). No buttons: each item's stay on its card."""
        reserve = len(self.ctx.t("fold.compact.header", count=total, shown=99999)) + 1
        groups: list[list[dict]] = [[]]
        size, lines, counts = reserve, 1, Counter()
        for r in rows:
            if r["item"] is not None:
                label = self.ctx.t(f"fold.compact.kind.{r['kind']}")
                new_line = counts[r["kind"]] % COMPACT_PER_LINE == 0
                cost, more_lines = len(str(r["item"])) + 3 + (len(label) + 3 if new_line else 0), int(new_line)
            else:
                text = texts[r["id"]].text
                cost, more_lines = len(text) + 3, text.count("\n") + 1
            if groups[-1] and (size + cost > DIGEST_MAX_CHARS or lines + more_lines > DIGEST_MAX_LINES):
                groups.append([])
                size, lines, counts = reserve, 1, Counter()
                if r["item"] is not None:  # it opens a line of its own in the new part
                    cost, more_lines = len(str(r["item"])) + 3 + len(label) + 3, 1
            groups[-1].append(r)
            size, lines = size + cost, lines + more_lines
            if r["item"] is not None:
                counts[r["kind"]] += 1
        parts = []
        for group in groups:
            by_kind: dict[str, list[int]] = {}
            plain = []
            for r in group:
                if r["item"] is None:
                    plain.append(f"• {texts[r['id']].text}")
                else:
                    by_kind.setdefault(r["kind"], []).append(r["item"])
            out = [self.ctx.t("fold.compact.header", count=total, shown=len(group))]
            for kind, numbers in by_kind.items():
                label = self.ctx.t(f"fold.compact.kind.{kind}")
                for i in range(0, len(numbers), COMPACT_PER_LINE):
                    out.append(f"{label}: " + ", ".join(f"#{n}" for n in numbers[i:i + COMPACT_PER_LINE]))
            parts.append((group, Message(kind="digest", to=target, text="\n".join(out + plain))))
        return parts

    def _digests(self, target: str, rows: list[dict], messages: list[Message],
                 total: int | None = None) -> list[tuple[list[dict], Message]]:
        """A person's reminders as one digest, or, when they do not fit one message (`DIGEST_MAX_CHARS`,
        `DIGEST_MAX_LINES`, one button set of `MAX_DIGEST_ACTIONS`), as several numbered ones. `total`: more
        reminders wait than were read (`DIGEST_WINDOW`), this many in all; the parts say that more follow.

        In such a burst the buttons no longer bound a part (an assignment has three, so ten buttons would carry
        three assignments a message, at Slack's one message a second): a part is as long as its text may be and
        keeps the first ten buttons; every item's buttons stay on its card (issue 16 point 11)."""
        buttons_bind = total is None
        groups: list[list[int]] = [[]]
        size = lines = actions = 0
        for i, m in enumerate(messages):
            m_size, m_lines, m_actions = len(m.text) + 3, m.text.count("\n") + 1, len(m.actions)
            if groups[-1] and (size + m_size > DIGEST_MAX_CHARS or lines + m_lines > DIGEST_MAX_LINES
                               or (buttons_bind and actions + m_actions > MAX_DIGEST_ACTIONS)):
                groups.append([])
                size = lines = actions = 0
            groups[-1].append(i)
            size, lines, actions = size + m_size, lines + m_lines, actions + m_actions
        if len(groups) == 1 and total is None:
            return [(rows, self._digest(target, messages))]
        count = len(messages) if total is None else total
        return [([rows[i] for i in g], self._digest(target, [messages[i] for i in g], part=(n, len(groups), count),
                                                    more=total is not None))
                for n, g in enumerate(groups, start=1)]

    def _digest(self, target: str, messages: list[Message], part: tuple[int, int, int] | None = None,
                more: bool = False) -> Message:
        if part is not None and len(messages) == 1:
            m = messages[0]
            return Message(kind=m.kind, to=target, text=m.text, account=m.account, item=m.item, actions=m.actions,
                           fields=m.fields, mentions=m.mentions, thread=m.thread, card=m.card,
                           attachments=m.attachments)
        if part is not None:
            header = (self.ctx.t("outbox.digest_part_more", count=part[2], part=part[0]) if more
                      else self.ctx.t("robust.digest_part", count=part[2], part=part[0], parts=part[1]))
            lines = [header] + [f"• {m.text}" for m in messages]
            return Message(kind="digest", to=target, text="\n".join(lines),
                           actions=tuple(a for m in messages for a in m.actions)[:MAX_DIGEST_ACTIONS])
        return self._digest_one(target, messages)

    def _digest_one(self, target: str, messages: list[Message]) -> Message:
        lines = [self.ctx.t("digest.header", count=len(messages))]
        lines += [f"• {m.text}" for m in messages]
        return Message(kind="digest", to=target, text="\n".join(lines),
                       actions=tuple(a for m in messages for a in m.actions)[:MAX_DIGEST_ACTIONS])


def first_words(text: str, limit: int) -> str:
    """The first words of `text` on one line, at most `limit` characters, ending in "…" when cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit - 1]
    space = cut.rfind(" ") if flat[limit - 1] != " " else len(cut)  # not inside a word
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"
