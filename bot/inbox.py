"""The inbox (issue 17 point 5): a chat platform's raw, signature-verified events, stored before they are
acknowledged and processed after, in arrival order, exactly once.

Why: acknowledging only after the work was committed (classify, route, deadlines, the card in the outbox,
all under the facade's lock) made Slack's event path reach 0.11-0.18 of a bare Bolt app's throughput, and a
tick or a search holding the lock delayed every acknowledgement. Now an event's acknowledgement costs one
small INSERT on the inbox's own connection (never the facade's lock); a worker processes the rows after.

The rules:

* **Durable before the acknowledgement.** `put` commits the row before the HTTP answer is sent. The inbox's
  connection runs with ``synchronous=NORMAL`` under WAL (`SYNCHRONOUS`, see there and docs/performance.md).
* **Exactly once, idempotent with retries.** One row per (platform, event id): a platform's retry of a
  stored event (Slack's ``X-Slack-Retry-Num``) inserts nothing and is acknowledged. Processing is the
  platform's ordinary event path: the event claim (`Bot.claim_event`, remembered after the work committed)
  and intake's own de-duplication on (source, external id) make a repeat after a crash harmless. A row is
  marked processed after its work committed; a crash in between repeats the (idempotent) work, never loses it.
* **In order.** The worker takes the oldest unprocessed row first (`id` is the arrival order). A row whose
  processing fails is tried again in place a few times (`HOLD_ATTEMPTS`, a passing fault: the disk, a lock);
  after that it is stepped over and tried again later with a growing pause, so one event that always fails
  cannot stop every later one. It is kept until it succeeds: nothing acknowledged is dropped.
* **Crash recovery.** At start-up the worker first processes every unprocessed row.
* **Clean-up.** A processed row loses its body at once (the item holds the text) and is deleted after
  `RETENTION_SECONDS` (a day: Slack retries an event for about an hour, the event claims are kept a day too).

All SQL here runs on the inbox's own connection under its own small lock (for an in-memory database, which
only the main connection can see: on the main connection under the facade's lock).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.clock import Clock

RETENTION_SECONDS = 86400  # a processed row's event id is remembered this long (Slack retries for about an hour)
HOLD_ATTEMPTS = 3  # a failing row is retried in place (keeping the order) this many times, then stepped over
HOLD_PAUSES = (0.5, 1.0)  # seconds before the second and the third in-place attempt
STEP_OVER_PAUSE = 60  # then: tried again after 60 s, 120 s, … at most MAX_PAUSE
MAX_PAUSE = 3600
CLEAN_EVERY = 600  # seconds (bot clock) between two clean-ups of processed rows

# The synchronous level of the inbox's connection. WAL with NORMAL: a commit is written to the WAL file
# (the operating system's page cache) without an fsync, so an acknowledged event survives the process being
# killed (SIGKILL, the OOM killer, a deploy: what tests/slack/test_faults_crash.py does), but the last
# commits before a power cut or a kernel crash may be lost. FULL would fsync the WAL at every commit: one
# fsync per acknowledgement. We keep NORMAL because (1) every other table (the items, the outbox, the audit
# log) is committed with NORMAL already, so FULL on the inbox alone would not make an acknowledged event's
# item survive a power cut any better than today's path; (2) the acknowledgement then costs no disk flush,
# which is what lets it keep up with Bolt; (3) a machine that loses power loses the process's memory too,
# and the platform is told nothing either way. UPPSIKT_INBOX_SYNCHRONOUS=FULL (read in `Inbox.__init__`)
# makes each acknowledgement fsync for a municipality that wants power-cut durability at that cost.
SYNCHRONOUS = "NORMAL"
SYNCHRONOUS_ENV = "UPPSIKT_INBOX_SYNCHRONOUS"
SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


@dataclass(frozen=True)
class Entry:
    """One stored event."""

    id: int
    platform: str
    event_id: str
    body: str
    retry_num: int
    attempts: int


class Inbox:
    """The inbox table on its own connection (see the module's docstring)."""

    def __init__(self, db: sqlite_utils.Database, db_file: Path | None, clock: Clock, main_lock: threading.RLock,
                 synchronous: str | None = None):
        self.clock = clock
        self.wake = threading.Event()  # set when a new row is stored (the worker waits on it)
        self._file = db_file
        self._main = db
        wanted = (synchronous or os.environ.get(SYNCHRONOUS_ENV, "") or SYNCHRONOUS).strip().upper()
        self._synchronous = wanted if wanted in SYNCHRONOUS_LEVELS else SYNCHRONOUS
        self._conn: sqlite3.Connection | None = None
        self._lock: threading.RLock | threading.Lock = main_lock if db_file is None else threading.Lock()
        self._last_clean = 0

    # ------------------------------------------------------------------ the connection
    def _connection(self) -> sqlite3.Connection:
        if self._file is None:
            return self._main.conn
        if self._conn is None:
            conn = sqlite3.connect(str(self._file), check_same_thread=False, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            if self._synchronous == "FULL":  # per connection; the file is in WAL mode
                conn.execute("PRAGMA synchronous=FULL")
            elif self._synchronous == "EXTRA":
                conn.execute("PRAGMA synchronous=EXTRA")
            else:
                conn.execute("PRAGMA synchronous=NORMAL")
            # No checkpoint on the acknowledgement's path: a checkpoint copies the WAL into the database and
            # syncs it (also with NORMAL); the main connection's commits run them (its wal_autocheckpoint).
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._conn = conn
        return self._conn

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _write(self, sql: str, args: list) -> int:
        with self._lock:
            conn = self._connection()
            if self._file is None:  # the main connection: one statement, committed at once
                with self._main.atomic():
                    return conn.execute(sql, args).rowcount
            return conn.execute(sql, args).rowcount  # autocommit: one statement, one transaction

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ------------------------------------------------------------------ the acknowledgement's side
    def put(self, platform: str, event_id: str, body: str, retry_num: int = 0) -> bool:
        """Store an event (committed when this returns); False when it is stored already (a retry).
        A failing store raises sqlite3.Error: the caller must not acknowledge then."""
        stored = self._write("INSERT OR IGNORE INTO inbox (platform, event_id, body, received_at, retry_num) "
                             "VALUES (?, ?, ?, ?, ?)", [platform, event_id, body, self._now(), retry_num]) == 1
        if stored:
            self.wake.set()
        return stored

    # ------------------------------------------------------------------ the worker's side
    def due(self, platform: str, limit: int = 50) -> list[Entry]:
        """The oldest unprocessed rows that may be tried now, in arrival order."""
        with self._lock:
            rows = self._connection().execute(
                "SELECT id, platform, event_id, body, retry_num, attempts FROM inbox "
                "WHERE platform = ? AND processed_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                [platform, self._now(), limit]).fetchall()
        return [Entry(*row) for row in rows]

    def done(self, entry_id: int) -> None:
        """The row's work committed: mark it processed and drop its body (the item holds the text)."""
        self._write("UPDATE inbox SET processed_at = ?, body = '', last_error = '' WHERE id = ?",
                    [self._now(), entry_id])

    def failed(self, entry: Entry, error: str) -> float | None:
        """Count a failed attempt. Returns the pause (seconds) before trying the same row again in place, keeping
        the order; None from HOLD_ATTEMPTS failures on: the row is stepped over and falls due again after a
        growing pause, so that later rows are not held up by it."""
        attempts = entry.attempts + 1
        pause = 0
        if attempts >= HOLD_ATTEMPTS:
            pause = min(STEP_OVER_PAUSE * 2 ** (attempts - HOLD_ATTEMPTS), MAX_PAUSE)
        self._write("UPDATE inbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
                    [attempts, error[:500], self._now() + pause if pause else 0, entry.id])
        return None if pause else HOLD_PAUSES[attempts - 1]

    def clean(self, force: bool = False) -> int:
        """Delete rows processed more than RETENTION_SECONDS ago (at most every CLEAN_EVERY seconds)."""
        now = self._now()
        if not force and now - self._last_clean < CLEAN_EVERY:
            return 0
        self._last_clean = now
        return self._write("DELETE FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?",
                           [now - RETENTION_SECONDS])

    # ------------------------------------------------------------------ what /metrics and tests read
    def backlog(self, platform: str | None = None) -> tuple[int, int | None]:
        """(unprocessed rows, when the oldest of them arrived)."""
        with self._lock:
            count, oldest = self._connection().execute(
                "SELECT COUNT(*), MIN(received_at) FROM inbox WHERE processed_at IS NULL AND platform = ?", [platform]
            ).fetchone() if platform else self._connection().execute(
                "SELECT COUNT(*), MIN(received_at) FROM inbox WHERE processed_at IS NULL").fetchone()
        return int(count), oldest


__all__ = ["Entry", "Inbox", "RETENTION_SECONDS", "SYNCHRONOUS"]
