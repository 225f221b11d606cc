"""Benchmark: what one event costs the outbox, and what one wake-up costs, against the backlog waiting in it.

    python tests/perf/bench_outbox.py [--sizes 10 1000 4000 30000] [--events 300] [--code CHECKOUT]

Issue 17 point 2: every event wakes the delivery thread; when the wake-up reads the whole pending queue,
its cost grows with the backlog that Slack's rate limit (about one message a second per channel) holds
back, and a burst becomes quadratic. For each size N this builds a fresh SQLite file (the real schema,
`bot.bootstrap.build`, the example config), queues N messages for targets the chat port refuses with a
retry time (as `SlackChat`'s token buckets do while a channel is at its limit: the four account channels'
cards and direct messages to eight people, 70 / 30), lets one wake-up find every one of those targets
blocked, and then measures, on a fake clock that does not move (so nothing becomes due):

* **event**: one message queued in a transaction of its own under the bot's lock (as an entry point does)
  for a target that can send, and the wake-up that delivers it (`Bot.flush`, which the delivery thread
  runs after every entry point): median, p90 and mean over `--events`; SQL statements of that wake-up;
* **idle wake-up**: a wake-up with nothing new and every waiting target blocked (the 5-second
  delivery job, or an event that queued nothing): median and mean;

and prints the ratio of each to its value at the smallest size measured in the same run (flat: about 1).
`--code` measures another checkout's `bot/` (for example the lead's main, for the figures before the change);
the default is the checkout this file is in. The machine, Python, SQLite and the load average are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHANNELS = ("#konto-facebook", "#konto-instagram", "#konto-linkedin", "#konto-bibliotek")
TEXT = ("Ny kommentar på Facebook från Invånare {i}: När öppnar återvinningscentralen i Norrby efter jul? "
        "Och var kan jag lämna grovsopor, julgranen och gamla möbler? Vi har inte fått något besked.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_outbox")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 4000, 30000])
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[2])
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.code.resolve()))

    from bot.bootstrap import build
    from bot.clock import FakeClock
    from bot.messages import Action, Message
    from bot.outbox import ChatError
    from bot.settings import DEFAULT_CONFIG, load_settings

    import logging

    import bot

    logging.getLogger("uppsikt").setLevel(logging.ERROR)  # the refusals of the waiting targets are expected

    settings = load_settings(DEFAULT_CONFIG)
    people = sorted(settings.people)[:8]

    class Limited:
        """A chat port at its rate limit for the waiting targets; everything else is delivered."""

        digests = True

        def __init__(self, blocked: set[str]):
            self.blocked, self.sent = blocked, 0

        def send(self, message: Message) -> None:
            if message.to in self.blocked:
                raise ChatError("chat.postMessage: Uppsikt's own rate limit; retry in 600s", retry_after=600)
            self.sent += 1

    print(f"bench_outbox: code {Path(bot.__file__).parent}; {platform.machine()} {platform.processor() or ''} "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
          f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="uppsikt-bench-outbox-") as tmp:
            clock = FakeClock(dt.datetime(2027, 3, 15, 10, 0))
            targets = set(CHANNELS) | set(people)
            chat = Limited(targets)
            b = build(settings, clock=clock, db=Path(tmp) / "uppsikt.db", chat=chat)
            b.flush()
            now = b.ctx.now_ts()
            waiting = []
            for i in range(size):
                if i % 10 < 7:
                    m = Message(kind="item", to=CHANNELS[i % 4], text=TEXT.format(i=i), account="facebook", item=i,
                                actions=(Action("take", "Jag tar den", str(i)), Action("answered", "Besvarad", str(i))),
                                fields=(("Konto", "Facebook"), ("Svara senast", "måndag 16:00")), card=f"item:{i}")
                else:
                    m = Message(kind="assignment", to=people[i % len(people)], text=TEXT.format(i=i), item=i,
                                actions=(Action("take", "Jag tar den", str(i)),))
                waiting.append((now, m.kind, m.to, m.account, m.item, m.to_json(), "pending"))
            with b.lock, b.db.conn:
                b.db.conn.executemany("INSERT INTO outbox (created_at, kind, target, account_id, item_id, message, "
                                      "status) VALUES (?, ?, ?, ?, ?, ?, ?)", waiting)
            b.flush()  # every waiting target is tried once and refused: blocked from now on
            statements = [0]
            b.db.conn.set_trace_callback(lambda sql: statements.__setitem__(0, statements[0] + 1))

            def event(n: int) -> tuple[float, float, int]:
                start = time.perf_counter()
                with b.lock, b.db.atomic():
                    b.ctx.emit(Message(kind="reply", to="#kommunikation", text=f"Svar {n}: " + TEXT.format(i=n)))
                queued = time.perf_counter()
                statements[0] = 0
                b.flush()
                return time.perf_counter() - start, time.perf_counter() - queued, statements[0]

            for n in range(20):  # warm-up
                event(n)
            sent_before = chat.sent
            timings = [event(n) for n in range(args.events)]
            assert chat.sent - sent_before == args.events, "every event's message is delivered by its wake-up"
            pending = b.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
            assert pending == size, (pending, size)
            idle = []
            idle_statements = 0
            for _ in range(max(20, args.events // 3)):
                statements[0] = 0
                start = time.perf_counter()
                b.flush()
                idle.append(time.perf_counter() - start)
                idle_statements = statements[0]
            b.db.conn.set_trace_callback(None)
            total = [t[0] for t in timings]
            wake = [t[1] for t in timings]
            results.append({
                "size": size, "event_median": statistics.median(total), "event_p90": quantile(total, 0.9),
                "event_mean": statistics.fmean(total), "wake_median": statistics.median(wake),
                "wake_statements": statistics.median(t[2] for t in timings),
                "idle_median": statistics.median(idle), "idle_mean": statistics.fmean(idle),
                "idle_statements": idle_statements,
            })
            b.db.close()
    base = results[0]
    print(f"\n{'waiting':>8} | {'event (queue + wake) median':>27} | {'p90':>8} | {'mean':>8} | {'wake alone':>10} | "
          f"{'SQL/wake':>8} | {'idle wake median':>16} | {'mean':>8} | {'SQL':>4} | ratio event / idle")
    for r in results:
        print(f"{r['size']:>8,} | {r['event_median'] * 1e3:>24.3f} ms | {r['event_p90'] * 1e3:>5.3f} ms | "
              f"{r['event_mean'] * 1e3:>5.3f} ms | {r['wake_median'] * 1e3:>7.3f} ms | {r['wake_statements']:>8.0f} | "
              f"{r['idle_median'] * 1e3:>13.3f} ms | {r['idle_mean'] * 1e3:>5.3f} ms | {r['idle_statements']:>4} | "
              f"{r['event_median'] / base['event_median']:.2f} / {r['idle_median'] / base['idle_median']:.2f}")
    print(f"(ratios against {base['size']:,} waiting, measured in the same run); load average at end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


if __name__ == "__main__":
    raise SystemExit(main())
