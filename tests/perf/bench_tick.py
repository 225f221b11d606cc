"""Benchmark: the scheduler tick and next_wakeup() with many open items, and the memory they cost.

    python tests/perf/bench_tick.py [--sizes 1000 100000 1000000] [--repeat 15] [--due-minutes 1]

For each size a fresh child process builds a SQLite file in a temporary folder
(the real schema, via open_db) and bulk-inserts that many open items with
``executemany``: the example config's accounts and people, realistic text and
tags, statuses open / first reply sent / forwarded, deadlines spread over the
next month, ``next_nudge_at`` spread evenly from one month ahead down to
``--due-minutes`` minutes ago (so the first tick finds the items of the last
minute(s) due, as the minute scheduler would).

Then, on a fake clock at 10:00 on a Monday (after one warm-up tick on the
Friday before, when nothing was due yet):

* the first tick of the day: the daily jobs (coverage, records: snapshots,
  inactive accounts, weeding; two-factor reminders) plus the items due;
* ``--repeat`` ordinary ticks, the clock one minute further each time (each
  finds the items whose reminder fell due in that minute): median and max;
* ``next_wakeup()`` (median of ``--repeat``);
* ``bot.intake()`` of a new question (median of ``--repeat``): the store work
  an incoming Slack message does before it is acknowledged, at this size;
* the child's peak resident memory (``ru_maxrss``) with the items stored.

No delivery is timed: the bot has no chat port here (the outbox is drained by
its own thread in server modes). Goals (issue 6): tick < 100 ms at 1M items;
peak memory < 300 MB with 1M items stored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

START = dt.datetime(2027, 3, 15, 10, 0)  # a Monday, no holiday
MONTH = 30 * 86400
TEXTS = [
    "När töms soporna i vår gata? Det har inte hämtats på två veckor.",
    "Hur ansöker jag om bygglov för ett garage på tomten?",
    "Finns det lediga förskoleplatser i centrum till hösten?",
    "När öppnar simhallen igen efter renoveringen?",
    "Varför är gatlyktorna på Storgatan släckta sedan i fredags?",
    "Vem ansvarar för snöröjningen på cykelvägen vid skolan?",
]
TAGS = json.dumps([{"id": "question", "explanation": "Frågetecken i texten"}], ensure_ascii=False)
COLUMNS = ("source", "external_id", "account_id", "kind", "author", "text", "permalink", "received_at", "status",
           "is_question", "tags", "assignee", "assigned_reason", "first_reply_due", "full_answer_due",
           "first_reply_at", "next_nudge_at", "nudge_stage", "updated_at")


def rows(n: int, now: int, accounts: list[str], people: list[str], due_minutes: int, seed: int = 1):
    """n open items; next_nudge_at evenly spread over [now - due_minutes, now + a month)."""
    rng = random.Random(seed)
    low = now - 60 * due_minutes
    span = now + MONTH - low
    for i in range(n):
        nudge = low + (i * span) // n
        status = ("open", "open", "first_reply_sent", "forwarded")[i % 4]
        received = now - rng.randrange(0, 20 * 86400)
        due = max(nudge + rng.randrange(3600, 5 * 86400), received + 86400)
        if status == "open":
            first_reply_due, full_answer_due, first_reply_at = due, None, None
        else:
            first_reply_at = received + 3600
            first_reply_due, full_answer_due = received + 2 * 86400, due
        yield ("bench", f"b{i}", accounts[i % len(accounts)], "comment", f"Invånare {i}", TEXTS[i % len(TEXTS)],
               f"https://example.com/p/{i}", received, status, 1, TAGS, people[i % len(people)],
               "Nyckelord: sophämtning", first_reply_due, full_answer_due, first_reply_at, nudge, 0, received)


def measure(size: int, repeat: int, due_minutes: int, conn) -> None:
    from bot.bootstrap import build
    from bot.clock import FakeClock, to_epoch
    from bot.settings import DEFAULT_CONFIG, load_settings
    from bot.store.db import open_db

    settings = load_settings(DEFAULT_CONFIG)
    clock = FakeClock(START - dt.timedelta(days=3))
    with tempfile.TemporaryDirectory(prefix="uppsikt-tick-") as tmp:
        path = Path(tmp) / "tick.db"
        db = open_db(path)
        bot = build(settings, clock=clock, db=db, chat=None)  # no chat port: delivery is not timed
        now = to_epoch(START)
        accounts = sorted(settings.accounts)
        people = sorted(settings.people)
        t0 = time.perf_counter()
        placeholders = ", ".join("?" * len(COLUMNS))
        with db.conn:
            db.conn.executemany(f"INSERT INTO items ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                                rows(size, now, accounts, people, due_minutes))
        db.execute("ANALYZE")
        insert_s = time.perf_counter() - t0
        file_mb = path.stat().st_size / 2**20

        def due_now() -> int:
            return db.execute("SELECT COUNT(*) FROM items WHERE next_nudge_at <= ?", [to_epoch(clock.now())]).fetchone()[0]

        def outbox() -> int:
            return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

        bot.tick()  # Friday: a first tick warms imports, texts and caches
        db.execute("DELETE FROM outbox")
        clock.set(START)
        first_due = due_now()
        t0 = time.perf_counter()
        bot.tick()
        first_ms = (time.perf_counter() - t0) * 1000
        sent_first = outbox()
        ticks, dues = [], []
        for _ in range(repeat):
            clock.advance(dt.timedelta(minutes=1))
            dues.append(due_now())
            t0 = time.perf_counter()
            bot.tick()
            ticks.append((time.perf_counter() - t0) * 1000)
        wakeups = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            bot.next_wakeup()
            wakeups.append((time.perf_counter() - t0) * 1000)
        intakes = []  # the event path's store work with this many open items (routing, workload, deadlines)
        for k in range(repeat):
            t0 = time.perf_counter()
            bot.intake(accounts[k % len(accounts)], TEXTS[k % len(TEXTS)], author="Bench", source="bench-intake",
                       external_id=f"i{k}")
            intakes.append((time.perf_counter() - t0) * 1000)
        conn.send({
            "size": size, "insert_s": insert_s, "file_mb": file_mb, "first_due": first_due, "first_ms": first_ms,
            "first_messages": sent_first, "tick_median": statistics.median(ticks), "tick_max": max(ticks),
            "due_per_tick": statistics.median(dues), "messages": outbox() - sent_first,
            "wakeup_median": statistics.median(wakeups), "wakeup_max": max(wakeups),
            "intake_median": statistics.median(intakes),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        })
        db.conn.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=15, help="ordinary ticks (one simulated minute apart)")
    ap.add_argument("--due-minutes", type=int, default=1,
                    help="minutes of reminders already due at the first tick (1 = the scheduler's last minute)")
    args = ap.parse_args(argv)
    ctx = mp.get_context("spawn")
    print(f"{'items':>9} {'insert':>8} {'file':>7} | {'first tick (daily jobs)':>28} | "
          f"{'ordinary tick median / max':>27} {'due/tick':>8} | {'next_wakeup':>11} | {'peak RSS':>8}")
    for size in args.sizes:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=measure, args=(size, args.repeat, args.due_minutes, child), daemon=True)
        proc.start()
        while not parent.poll(1):
            if not proc.is_alive():
                raise SystemExit(f"the child for {size:,} items died (exit code {proc.exitcode})")
        r = parent.recv()
        proc.join()
        print(f"{r['size']:>9,} {r['insert_s']:>7.1f}s {r['file_mb']:>5.0f}MB | "
              f"{r['first_ms']:>8.1f} ms ({r['first_due']:>4} due, {r['first_messages']:>4} msgs) | "
              f"{r['tick_median']:>10.2f} / {r['tick_max']:>7.2f} ms {r['due_per_tick']:>8.0f} | "
              f"{r['wakeup_median']:>8.3f} ms | {r['intake_median']:>5.1f} ms | {r['rss_mb']:>6.0f}MB")
    print("goals: tick < 100 ms at 1,000,000 items; peak RSS < 300 MB with 1,000,000 items stored")


if __name__ == "__main__":
    main()
