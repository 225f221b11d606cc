"""`uppsikt run --http` on a clock the test controls: the process tests/slack/test_faults_crash.py kills.

    python -m tests.crash_bot --db PATH --clock PATH [--config PATH] [--host 127.0.0.1] [--port 0]

It runs production's own `bot.adapters.slack.app.run` (auth.test against
SLACK_API_URL, the Bolt app, the outbox's delivery thread, the scheduler lock,
APScheduler with its catch-up tick, the HTTP server with /slack/events,
/healthz and /metrics) on the bot `bot.bootstrap.build` makes from a database
file. Two things differ, both so that a test can drive simulated time:

* the clock is the epoch-seconds number in the file ``--clock`` (the test
  rewrites it atomically), so prompts, nudges, deadlines, Slack signatures and
  rate limits all follow simulated time;
* a ticker thread calls ``bot.tick()`` whenever that clock has moved (the real
  scheduler ticks once a real minute, which a test cannot wait for); a tick is
  idempotent and safe at any moment, and it wakes the outbox, so retries that
  fell due are delivered too.

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, UPPSIKT_LOG_FORMAT, UPPSIKT_LOG_LEVEL.
Stops on SIGINT (exit code 0), or is killed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import threading
import time
from pathlib import Path

from bot import logs
from bot.clock import STOCKHOLM
from bot.settings import DEFAULT_CONFIG, load_settings, secrets_from_env

log = logging.getLogger("uppsikt.crash_bot")


class FileClock:
    """Now is whatever the test last wrote to the file (epoch seconds)."""

    def __init__(self, path: Path):
        self.path = path

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(float(self.path.read_text(encoding="ascii")), STOCKHOLM)


def ticker(bot, clock: FileClock) -> None:
    last = None
    while True:
        time.sleep(0.02)
        if bot.wake is None:  # run() has not started the delivery thread yet (it ticks once itself)
            continue
        now = clock.now()
        if now == last:
            continue
        try:
            bot.tick()
        except Exception:  # noqa: BLE001 (like APScheduler: log it, tick again next time)
            log.exception("tick failed")
        last = now


def disk_faults(bot) -> None:
    """SIGUSR1: the disk is full (the database may not grow beyond its pages now); SIGUSR2: space again.
    The soak test (tests/perf/soak.py) injects a full disk this way; a thread does the work under the bot's lock."""
    import signal

    wanted: list[bool] = []
    changed = threading.Event()

    def apply() -> None:
        while True:
            changed.wait()
            changed.clear()
            while wanted:
                full = wanted.pop(0)
                with bot.lock:
                    pages = bot.db.execute("PRAGMA page_count").fetchone()[0]
                    bot.db.execute(f"PRAGMA max_page_count = {pages if full else 1073741823}")
                log.warning("crash_bot: the disk is %s", "full" if full else "free again")

    def on_signal(signum, frame) -> None:
        wanted.append(signum == signal.SIGUSR1)
        changed.set()

    threading.Thread(target=apply, name="crash-bot-disk", daemon=True).start()
    signal.signal(signal.SIGUSR1, on_signal)
    signal.signal(signal.SIGUSR2, on_signal)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="crash_bot")
    ap.add_argument("--db", required=True)
    ap.add_argument("--clock", required=True)
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    logs.configure()

    from bot.server import run_slack as run
    from bot.bootstrap import build

    clock = FileClock(Path(args.clock))
    bot = build(load_settings(args.config), clock=clock, db=args.db)
    disk_faults(bot)
    threading.Thread(target=ticker, args=(bot, clock), name="crash-bot-ticker", daemon=True).start()
    secrets = secrets_from_env()
    return run(bot, bot_token=secrets.slack_bot_token, signing_secret=secrets.slack_signing_secret, http=True,
               host=args.host, port=args.port, db_path=Path(args.db), backup_folder=None,
               out=lambda text: print(text, file=sys.stderr, flush=True))


if __name__ == "__main__":
    raise SystemExit(main())
