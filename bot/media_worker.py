"""The archive's attachments fetched off the lock (bot/core/media.py).

Capture (under the bot's lock) only records an attachment's link as a pending download. This worker asks the
Bot for the due rows (`Bot.media_due`, a short read under the lock), fetches each through the Meta port
(`MetaPort.download`, bot/adapters/meta/graph.py: https, Meta's media hosts only, size and type limits,
timeouts) with no lock held, moves the file into place under the data folder, content-addressed and atomically
(`archive-media/<account>/<sha256>.<ext>`: a temporary file in the same folder, fsynced, then renamed), and
registers the outcome in one short transaction (`Bot.media_fetched`, `Bot.media_failed`). One run at a time.

A server runs it from the scheduler (bot/jobs.py, every few minutes: retries fall due there) and soon after a
capture that found links (`poke`, from the Bot's platform deliveries and backfill) in a thread of its own. A
process that stops mid-download leaves at most a temporary `.media-*.part` file, removed at the next start; the
row is still pending and is fetched again.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from bot import snapshot_worker
from bot.core import media
from bot.core.media import MediaError

if TYPE_CHECKING:
    from bot.core.platform import MetaPort
    from bot.facade import Bot

log = logging.getLogger("uppsikt.media")


class MediaWorker:
    def __init__(self, bot: Bot, port: MetaPort):
        self.bot = bot
        self.port = port
        self._running = threading.Lock()
        self._cond = threading.Condition()
        self._wanted = False
        self._busy = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ one run (scheduler, tests)
    def run(self, limit: int = media.BATCH) -> dict[str, int]:
        """Fetch the due downloads (at most `limit`); outcome -> count ({} when another run is under way or
        there is no data folder)."""
        if not self._running.acquire(blocking=False):
            return {}
        try:
            folder = self.bot.media_folder()
            if folder is None:
                return {}
            counts: Counter[str] = Counter()
            for job in self.bot.media_due(limit):
                counts[self._one(job, folder)] += 1
            if counts:
                log.info("archive media: %s", dict(counts))
            return dict(counts)
        finally:
            self._running.release()

    def _one(self, job: dict, folder: Path) -> str:
        into = folder / media.account_folder(job["account_id"])
        try:
            got = self.port.download(job["url"], into)
        except MediaError as exc:
            log.info("archive media: %s %s: %s", job["id"], exc.kind, exc)
            return self.bot.media_failed(job["id"], exc.kind, str(exc))
        except OSError as exc:  # the data folder (disk full, permissions): tried again later
            log.warning("archive media: %s could not be written: %s", job["id"], exc)
            return self.bot.media_failed(job["id"], "transient", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - recorded on the row (failed after its attempts): one odd link
            log.exception("archive media: %s: unexpected error", job["id"])  # never stops the others' downloads
            return self.bot.media_failed(job["id"], "transient", f"{type(exc).__name__}: {exc}")
        final = into / f"{got.sha256}{media.extension(got.mime)}"
        try:
            if final.is_file():
                got.path.unlink()  # the same content is stored already (content-addressed)
            else:
                os.replace(got.path, final)
        except OSError as exc:
            got.path.unlink(missing_ok=True)
            return self.bot.media_failed(job["id"], "transient", f"{type(exc).__name__}: {exc}")
        return self.bot.media_fetched(job["id"], final.relative_to(folder.parent).as_posix(), got)

    # ------------------------------------------------------------------ the thread (server modes)
    def start(self) -> MediaWorker:
        if self._thread is not None:
            return self
        folder = self.bot.media_folder()
        remove_unfinished(folder)
        self._thread = threading.Thread(target=self._loop, name="uppsikt-media", daemon=True)
        self._thread.start()
        self.poke()  # what is due at start-up
        return self

    def poke(self) -> None:
        """Fetch soon (a capture found links); nothing when the thread is not running."""
        if self._thread is None:
            return
        with self._cond:
            self._wanted = True
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is wanted or running (tests); False when `timeout` seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._wanted and not self._busy, timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._wanted)
                self._wanted, self._busy = False, True
            try:
                while sum(self.run().values()) >= media.BATCH:
                    pass  # a full batch: more may be due
            except Exception:  # noqa: BLE001 - logged; the scheduler's run tries again
                log.exception("archive media: a run failed")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


def remove_unfinished(folder: Path | None) -> int:
    """Remove the temporary files of downloads a stopped process left (`.media-*.part` in the account folders)."""
    return snapshot_worker.remove_unfinished(folder, "*/.media-*.part")


__all__ = ["MediaWorker", "remove_unfinished"]
