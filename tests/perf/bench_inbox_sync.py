"""Benchmark: what one inbox INSERT (an acknowledgement's only write) costs with synchronous=NORMAL and FULL.

    python tests/perf/bench_inbox_sync.py [--events 1000] [--folder PATH]

Stores `--events` Slack-sized event bodies one by one through `bot.inbox.Inbox.put` (its own connection,
WAL, one autocommitted INSERT each) in a fresh database in `--folder` (default: the system's temporary
folder; pass a folder on the disk the bot's database lives on), once per synchronous level, and prints
p50/p99/mean per acknowledgement and the machine's load. NORMAL writes the WAL without an fsync; FULL
fsyncs it at every commit. See bot/inbox.py `SYNCHRONOUS` and docs/performance.md section 5.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv: list[str] | None = None) -> None:
    from bot.clock import SystemClock
    from bot.inbox import Inbox
    from bot.store.db import open_db

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--folder", default=tempfile.gettempdir())
    args = ap.parse_args(argv)
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {args.events} inserts per level in {args.folder}")
    body = '{"type": "event_callback", "event": {"type": "message", "text": "' + "x" * 400 + '"}}'
    for level in ("NORMAL", "FULL"):
        with tempfile.TemporaryDirectory(dir=args.folder) as folder:
            path = Path(folder) / "inbox.db"
            db = open_db(path)
            inbox = Inbox(db, path, SystemClock(), threading.RLock(), synchronous=level)
            times = []
            for i in range(args.events):
                t0 = time.perf_counter()
                inbox.put("slack", f"Ev{i:08d}", body)
                times.append((time.perf_counter() - t0) * 1000)
            inbox.close()
            db.close()
        times.sort()
        print(f"synchronous={level:6}: p50 {times[len(times) // 2]:.3f} ms, p99 {times[int(len(times) * 0.99)]:.3f} ms, "
              f"mean {sum(times) / len(times):.3f} ms per acknowledgement "
              f"(at most {1000 / (sum(times) / len(times)):.0f} acknowledgements/s one after the other)")


if __name__ == "__main__":
    main()
