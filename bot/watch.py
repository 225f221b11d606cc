"""What the running process knows about its own health that the database cannot say (issue 16).

`/healthz` (bot/metrics.py) reads the database; some failures cannot be read from it, or make it lie:

* **the database file** was deleted, replaced (another inode), or truncated while the process runs: the
  process keeps writing to its open file descriptor and every query still succeeds. `StoreIdentity`
  remembers the file's device, inode and size at start and compares them with the path on every check;
* **the disk is full or read-only**: a write failed with SQLITE_FULL / SQLITE_READONLY / SQLITE_IOERR
  (recorded by the outbox and the facade through `store_failed`, cleared by the next write that
  succeeds), or the file system says so (`os.statvfs`: read-only flag, less than `MIN_FREE_BYTES` free);
* **messages sent but not marked sent** (the outbox could not write "sent"): kept here, in memory, so they
  are never posted again while the process lives (see bot/outbox.py);
* **the chat platform cannot be reached**: consecutive delivery failures (`chat_failed`, `chat_ok`);
* **the clock went backwards**: a wall-clock reading earlier than one already seen (`clock_seen`).

Everything is in-memory and per process; `problems()` lists the current reasons in English (for
operators: /healthz, /metrics and the log are English, the runbook in docs/operations-health.md explains
each reason).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

MIN_FREE_BYTES = 1_000_000  # less than this free beside the database counts as a full disk
CHAT_FAILURES_BROKEN = 3  # consecutive failed deliveries …
CHAT_BROKEN_SECONDS = 120  # … over at least this long (bot clock) mean the platform connection is broken
CLOCK_TOLERANCE_SECONDS = 5  # a step back smaller than this is jitter, not a clock problem
SQLITE_HEADER = b"SQLite format 3\x00"


def store_failure_kind(exc: BaseException) -> str | None:
    """"disk full", "read-only", "I/O error" for a sqlite3 error caused by the disk; None otherwise."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return "disk full"
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text or "query_only" in text:
        return "read-only"
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return "I/O error"
    return None


@dataclass
class StoreIdentity:
    """The database file as it was when the process opened it."""

    path: Path
    device: int
    inode: int
    size: int

    @classmethod
    def of(cls, path: Path) -> StoreIdentity | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return cls(path, st.st_dev, st.st_ino, st.st_size)

    def problem(self) -> str | None:
        """Why the file at the path is no longer the one this process writes to; None if it still is."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return f"the database file {self.path} is gone (deleted or moved while the bot runs)"
        except OSError as exc:
            return f"the database file {self.path} cannot be read ({exc})"
        if (st.st_dev, st.st_ino) != (self.device, self.inode):
            return f"the database file {self.path} was replaced by another file while the bot runs"
        if st.st_size < self.size:
            return (f"the database file {self.path} was truncated while the bot runs "
                    f"({st.st_size} bytes, was {self.size})")
        try:
            with open(self.path, "rb") as f:
                head = f.read(len(SQLITE_HEADER))
        except OSError as exc:
            return f"the database file {self.path} cannot be read ({exc})"
        if head != SQLITE_HEADER:
            return f"the database file {self.path} is no longer an SQLite database (overwritten?)"
        self.size = st.st_size  # SQLite only grows the file (no VACUUM while running): remember the high mark
        return None


@dataclass
class Watch:
    """One process's view of its own health (see the module docstring); thread-safe."""

    identity: StoreIdentity | None = None
    store_error: str | None = None  # "disk full: …" while writes fail
    chat_failures: int = 0
    chat_error: str = ""
    chat_failing_since: float | None = None
    chat_last_failure: float | None = None
    clock_high: float | None = None  # the latest wall-clock reading seen (epoch seconds)
    clock_back_by: float = 0.0  # how far the clock was behind clock_high at the last reading
    unmarked: dict[int, int] = field(default_factory=dict)  # outbox id -> when it was sent, not yet marked sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_database(cls, path: Path | None) -> Watch:
        return cls(identity=StoreIdentity.of(path) if path is not None else None)

    # ------------------------------------------------------------------ the store
    def store_failed(self, exc: BaseException) -> bool:
        """Record a write that failed because of the disk; True if it was such a failure."""
        kind = store_failure_kind(exc)
        if kind is not None:
            with self.lock:
                self.store_error = f"{kind}: {exc}"
        return kind is not None

    def store_ok(self) -> None:
        with self.lock:
            self.store_error = None

    def store_problem(self) -> str | None:
        """The database file gone, replaced or truncated, or the disk full or read-only; None when fine."""
        if self.identity is not None:
            problem = self.identity.problem()
            if problem:
                return problem
        with self.lock:
            error = self.store_error
        if error:
            return f"the database cannot be written ({error})"
        if self.identity is not None:
            try:
                fs = os.statvfs(self.identity.path.parent)
            except OSError:
                return None
            if fs.f_flag & os.ST_RDONLY:
                return f"the file system of {self.identity.path} is read-only"
            if fs.f_bavail * fs.f_frsize < MIN_FREE_BYTES:
                return f"the disk of {self.identity.path} is full ({fs.f_bavail * fs.f_frsize} bytes free)"
        return None

    # ------------------------------------------------------------------ the chat platform
    def chat_ok(self) -> None:
        with self.lock:
            self.chat_failures, self.chat_error, self.chat_failing_since = 0, "", None

    def chat_failed(self, error: str, now: float) -> None:
        with self.lock:
            self.chat_failures += 1
            self.chat_error = error[:300]
            self.chat_last_failure = now
            if self.chat_failing_since is None:
                self.chat_failing_since = now

    def chat_problem(self) -> str | None:
        with self.lock:
            since, last = self.chat_failing_since, self.chat_last_failure
            if (since is not None and last is not None and self.chat_failures >= CHAT_FAILURES_BROKEN
                    and last - since >= CHAT_BROKEN_SECONDS):
                return (f"the chat platform connection is broken: {self.chat_failures} deliveries in a row "
                        f"failed over {last - since:.0f} s (last: {self.chat_error})")
        return None

    # ------------------------------------------------------------------ the clock
    def clock_seen(self, epoch: float) -> None:
        with self.lock:
            if self.clock_high is None or epoch >= self.clock_high:
                self.clock_high, self.clock_back_by = epoch, 0.0
            else:
                self.clock_back_by = self.clock_high - epoch

    def clock_problem(self) -> str | None:
        with self.lock:
            back = self.clock_back_by
        if back > CLOCK_TOLERANCE_SECONDS:
            return (f"the clock went backwards by {back:.0f} s (NTP step or VM restore); due times are "
                    "computed from it, the Slack rate limiter is not affected")
        return None

    def problems(self) -> list[str]:
        return [p for p in (self.store_problem(), self.chat_problem(), self.clock_problem()) if p]


__all__ = ["CHAT_BROKEN_SECONDS", "CHAT_FAILURES_BROKEN", "StoreIdentity", "Watch", "store_failure_kind"]
