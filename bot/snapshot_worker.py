"""Automatic snapshots rendered off the lock (issue 12 point 4; the open item of docs/performance.md §6).

The daily job (bot/core/snapshots.py `due`) runs inside the scheduler's tick, under the bot's lock. Rendering
an account's half-year of posts and comments to PDF/A takes WeasyPrint seconds for a quiet account and about
a minute for a thousand comments, and every chat event, command and button would wait that long. So a server
runs this worker: the job only hands it the due accounts; the worker's thread reads and renders each on its
own read connection (`Bot.reader`, WAL: the last commit, no lock), and then registers the files and tells the
responsible person under the lock in one short transaction (`Bot.snapshot_rendered`). A rendering that fails
is reported to the communicators and the screenshot reminder goes out (`Bot.snapshot_failed`), as before.

Nothing is lost if the process stops meanwhile: no snapshot is registered, so the account is still due and
the next day's job hands it over again; the temporary files of an unfinished rendering are removed at start.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.facade import Bot

log = logging.getLogger("uppsikt.snapshots")


class SnapshotWorker:
    def __init__(self, bot: Bot):
        self.bot = bot
        self._queue: deque[tuple[str, str]] = deque()
        self._busy: set[str] = set()  # queued or rendering
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ called by the daily job (under the lock)
    def request(self, account_id: str, reason: str) -> None:
        """Render `account_id`'s snapshot soon; a request for an account already queued or rendering is dropped."""
        with self._cond:
            if account_id in self._busy:
                return
            self._busy.add(account_id)
            self._queue.append((account_id, reason))
            self._cond.notify()

    def in_flight(self) -> frozenset[str]:
        with self._cond:
            return frozenset(self._busy)

    # ------------------------------------------------------------------ the thread
    def start(self) -> SnapshotWorker:
        remove_unfinished(self.bot.snapshot_folder())
        self._thread = threading.Thread(target=self._loop, name="uppsikt-snapshots", daemon=True)
        self._thread.start()
        return self

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is queued or rendering (tests); False when `timeout` seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy, timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue))
                account_id, reason = self._queue.popleft()
            try:
                self.run_one(account_id, reason)
            except Exception:  # noqa: BLE001 - e.g. the database cannot be written: the next day's job asks again
                log.exception("snapshots: the snapshot of %s could not be finished; it is asked for again tomorrow",
                              account_id)
            finally:
                with self._cond:
                    self._busy.discard(account_id)
                    self._cond.notify_all()

    def run_one(self, account_id: str, reason: str) -> None:
        try:
            prep = self.bot.prepare_snapshot(account_id, reason)
        except Exception as exc:  # noqa: BLE001 - reported to the communicators and reminded: never silent
            log.exception("snapshots: rendering the snapshot of %s failed", account_id)
            self.bot.snapshot_failed(account_id, exc)
            return
        try:
            self.bot.snapshot_rendered(account_id, prep)
        except Exception as exc:  # noqa: BLE001 - the same: rolled back, reported, reminded
            log.exception("snapshots: registering the snapshot of %s failed", account_id)
            prep.discard()
            self.bot.snapshot_failed(account_id, exc)


def remove_unfinished(folder: Path | None, pattern: str = "*/.*.part") -> int:
    """Remove the temporary files a stopped process left in `folder` (renderings: `.*.part` in the account
    folders; bot/media_worker.py passes its downloads' pattern)."""
    if folder is None or not folder.is_dir():
        return 0
    removed = 0
    for part in folder.glob(pattern):
        part.unlink(missing_ok=True)
        removed += 1
    return removed


__all__ = ["SnapshotWorker", "remove_unfinished"]
