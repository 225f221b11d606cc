"""Benchmark: a simulated year of the example municipality (or a scaled-up one).

Prints wall time, CPU time (steadier than wall time on a shared machine), the
number of scheduler ticks, messages sent and the process's peak resident memory. Usage:
    python tests/perf/simulate_year.py [--accounts N] [--questions-per-day Q] [--year 2027] [--profile FILE]
                                       [--count-sql]

With --count-sql every SQL statement the bot runs is counted (sqlite3's trace callback: a little slower) and
the statements per tick, per scenario event and per idle tick are printed.

Goal (issue 6): a year of a 50-account municipality in under 10 s.

Every business day each account receives Q questions at staggered times; a third
are answered the same day, a third forwarded and answered later, the rest left
to be nudged and escalated. Oversight is logged on most days.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import os
import platform
import sqlite3
import sys
import time
import resource
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot import simulate  # noqa: E402
from bot.bootstrap import Bot  # noqa: E402
from bot.calendar import BusinessCalendar  # noqa: E402
from bot.settings import DEFAULT_CONFIG, load_settings  # noqa: E402

QUESTIONS = [
    "När töms soporna i vår gata?",
    "Hur ansöker jag om bygglov för ett garage?",
    "Finns det lediga förskoleplatser i centrum?",
    "När öppnar simhallen igen?",
    "Hur förnyar jag mitt lånekort på biblioteket?",
    "Vem ansvarar för snöröjningen på cykelvägen?",
]


def scaled_settings(n_accounts: int):
    settings = load_settings(DEFAULT_CONFIG)
    base = list(settings.accounts.values())
    accounts = {}
    for i in range(n_accounts):
        a = base[i % len(base)]
        aid = a.id if i < len(base) else f"{a.id}-{i}"
        accounts[aid] = dataclasses.replace(a, id=aid, channel=f"{a.channel}-{i}" if i >= len(base) else a.channel)
    return dataclasses.replace(settings, accounts=accounts)


def build_scenario(settings, year: int, per_day: int) -> simulate.Scenario:
    cal = BusinessCalendar(settings.municipality.extra_days_off)
    start = dt.datetime(year, 1, 1, 0, 0)
    scenario = {"start": start, "end": dt.datetime(year, 12, 31, 23, 0), "event": []}
    item_no = 0
    for day in cal.business_days(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        arrivals = []
        for k, (aid, acc) in enumerate(settings.accounts.items()):
            if (day.toordinal() + k) % 5:
                scenario["event"].append({"at": dt.datetime.combine(day, dt.time(9, 5 + k % 50)),
                                          "action": {"as": acc.owner, "name": "oversight_done", "account": aid}})
            for q in range(per_day):
                arrivals.append((dt.datetime.combine(day, dt.time(10 + q % 6, (7 * k) % 60)), k, aid))
        # Numbered in order of arrival, so that item_no is the id the bot gives the item and the
        # actions below act on the item they mean.
        for at, _, aid in sorted(arrivals):
            item_no += 1
            scenario["event"].append({"at": at, "item": {"account": aid, "author": f"Invånare {item_no}",
                                                         "text": QUESTIONS[item_no % len(QUESTIONS)],
                                                         "external_id": f"y{item_no}"}})
            if item_no % 3 == 0:
                scenario["event"].append({"at": at + dt.timedelta(hours=2), "action": {
                    "as": "lena@example.se", "name": "answered", "item": item_no, "answer": "Svar."}})
            elif item_no % 3 == 1:
                scenario["event"].append({"at": at + dt.timedelta(minutes=30), "action": {
                    "as": "lena@example.se", "name": "forwarded", "item": item_no}})
    return simulate.parse_scenario(scenario, "year")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=0, help="0 = the example's accounts")
    ap.add_argument("--questions-per-day", type=int, default=1)
    ap.add_argument("--year", type=int, default=2027)
    ap.add_argument("--profile", metavar="FILE", help="write a cProfile of the run to FILE (slower)")
    ap.add_argument("--count-sql", action="store_true", help="count the SQL statements run (slower)")
    args = ap.parse_args()
    settings = scaled_settings(args.accounts) if args.accounts else load_settings(DEFAULT_CONFIG)
    scenario = build_scenario(settings, args.year, args.questions_per_day)
    ticks = idle_ticks = statements = tick_statements = idle_statements = 0
    tick = Bot.tick
    build = simulate.build

    def counting_build(*a, **kw):
        bot = build(*a, **kw)
        if args.count_sql:
            def trace(_sql: str) -> None:
                nonlocal statements
                statements += 1
            bot.db.conn.set_trace_callback(trace)
        return bot

    def counted(self):
        nonlocal ticks, idle_ticks, tick_statements, idle_statements
        ticks += 1
        before = statements
        out = tick(self)
        tick_statements += statements - before
        if not out:
            idle_ticks += 1
            idle_statements += statements - before
        return out

    Bot.tick = counted
    simulate.build = counting_build
    profiler = cProfile.Profile() if args.profile else None
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    records, bot = simulate.run(settings, scenario)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    Bot.tick = tick
    simulate.build = build
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    kinds: dict[str, int] = {}
    for r in records:
        kinds[r.message.kind] = kinds.get(r.message.kind, 0) + 1
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
          f"load average at the start {load_start}, at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"simulated year {args.year}: {len(settings.accounts)} accounts, {len(scenario.events)} events, "
          f"{bot.db['items'].count} items")
    print(f"wall time: {wall:.2f} s (CPU {cpu:.2f} s), {ticks} scheduler ticks")
    print(f"messages sent: {len(records)}  " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print(f"peak resident memory of the process: {peak_kb / 1024:.1f} MB")
    if args.count_sql:
        events = len(scenario.events)
        print(f"SQL statements: {statements:,} in all, {statements / events:.1f} per scenario event; "
              f"ticks {tick_statements:,} ({tick_statements / max(ticks, 1):.1f} per tick); "
              f"{idle_ticks:,} ticks sent nothing ({idle_statements / max(idle_ticks, 1):.2f} statements each); "
              f"outside ticks (entry points, delivery) {statements - tick_statements:,} "
              f"({(statements - tick_statements) / events:.1f} per event)")


if __name__ == "__main__":
    main()
