"""Scheduler wiring: APScheduler 3 in Europe/Stockholm with a handful of jobs.

The jobs hold no state of their own: the tick asks the database what is due
(prompts, reminders, nudges, escalations, crisis prompts, daily record keeping)
and marks it sent in the same transaction as the outbox entry, so a restart
neither loses nor repeats anything, and work missed while the bot was down is
done by the first tick at start-up. Exactly one process may run the scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout

from bot.bootstrap import Bot
from bot.clock import STOCKHOLM
from bot.store.db import backup

log = logging.getLogger("uppsikt.jobs")
BACKUPS_KEPT = 7
FLUSH_SECONDS = 5
CHANNELS_MINUTES = 10  # issue 12: the core says what is due (the daily channel check from 06:30, retries)
MEDIA_MINUTES = 5  # the archive's attachments: retries fall due here (bot/core/media.py RETRY_SECONDS)


def nightly_backup(bot: Bot, folder: Path) -> Path:
    """An online backup per night; the oldest beyond BACKUPS_KEPT are removed."""
    target = folder / f"uppsikt-{bot.ctx.today().isoformat()}.db"
    with bot.lock:
        backup(bot.db, target)
    for old in sorted(folder.glob("uppsikt-*.db"))[:-BACKUPS_KEPT]:
        old.unlink()
    log.info("backup written to %s", target)
    # The router's saved index follows the day's recorded answers, so a restart adds few (issue 17).
    try:
        bot.save_router()
    except OSError as exc:
        log.warning("the router's index could not be saved (%s); a start adds the answers since the last save", exc)
    return target


def build_scheduler(bot: Bot, backup_folder: Path | None = None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=STOCKHOLM, job_defaults={"coalesce": True, "max_instances": 1,
                                                                     "misfire_grace_time": 300})
    scheduler.add_job(bot.tick, CronTrigger(second=0, timezone=STOCKHOLM), id="tick", name="tick every minute")
    # Retries after a 429 or an outage are due within seconds, not at the next minute.
    scheduler.add_job(bot.flush, IntervalTrigger(seconds=FLUSH_SECONDS, timezone=STOCKHOLM), id="flush",
                      name="deliver due outbox messages")
    if bot.channel_watch is not None:  # a Meta connection (page tokens): the channels' health (issue 12)
        scheduler.add_job(bot.check_channels, IntervalTrigger(minutes=CHANNELS_MINUTES, timezone=STOCKHOLM),
                          id="channels", name="daily channel health check and backfill retries")
    if bot.media_worker is not None:  # a Meta connection: the archive's attachments are fetched off the lock
        scheduler.add_job(bot.fetch_media, IntervalTrigger(minutes=MEDIA_MINUTES, timezone=STOCKHOLM), id="media",
                          name="fetch the archive's attachments (and retry the failed ones)")
    if backup_folder is not None:
        scheduler.add_job(nightly_backup, CronTrigger(hour=2, minute=30, timezone=STOCKHOLM), args=(bot, backup_folder),
                          id="backup", name="nightly backup")
    return scheduler


def start(bot: Bot, backup_folder: Path | None = None) -> BackgroundScheduler:
    """Catch up at start-up, then run the jobs in the background."""
    bot.start_snapshot_worker()  # the daily snapshots render off the lock (bot/snapshot_worker.py)
    bot.start_media_worker()  # the archive's attachments are fetched off the lock soon after capture
    bot.tick()
    bot.check_channels_in_background()  # issue 12: token, subscription, backfill after downtime; never waited for
    scheduler = build_scheduler(bot, backup_folder)
    scheduler.start()
    next_tick = scheduler.get_job("tick").next_run_time
    log.info("scheduler started; next tick %s", next_tick.isoformat() if isinstance(next_tick, dt.datetime) else next_tick)
    return scheduler


class SchedulerLock:
    """A held scheduler lock; `close()` releases it (the operating system does when the process ends)."""

    def __init__(self, lock: FileLock):
        self._lock = lock

    @property
    def path(self) -> Path:
        return Path(self._lock.lock_file)

    def close(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)


def lock_path(db_path: Path) -> Path:
    """The lock file beside the database: held by the one process that serves it."""
    return db_path.with_name(db_path.name + ".scheduler.lock")


def scheduler_lock(db_path: Path) -> SchedulerLock | None:
    """Claim the right to run the scheduler for this database (a non-blocking lock on
    ``<database>.scheduler.lock`` next to it, held for the life of the process); None when another process
    already runs it. `filelock` takes an OS lock on an open file (flock on Linux and macOS, msvcrt.locking on
    Windows), so a crashed process leaves no stale lock, and two opens in one process exclude each other."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=0, thread_local=False, is_singleton=False)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        return None
    return SchedulerLock(lock)
