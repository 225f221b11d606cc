"""Benchmark: the monthly report (issue 14) with many questions in the month.

    python tests/perf/bench_month_report.py [--sizes 1000 10000 50000]

For each size: a fresh in-memory store with the example config, that many
questions received in November 2026 (spread over the accounts, days and
assignees; half answered within a day, a quarter late, a quarter still open,
with their history rows) and a check per account and business day; then, on
1 December 10:00, the time to compute the month's figures (`month_figures`,
pure SQL + Python), to draw the charts and write the HTML (`render`), and the
size of the HTML. Prints the figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.clock import to_epoch  # noqa: E402
from bot.core import monthly  # noqa: E402
from bot.report import page  # noqa: E402
from bot.settings import DEFAULT_CONFIG, load_settings  # noqa: E402
from tests.conftest import Harness, local  # noqa: E402


def build(size: int) -> Harness:
    rnd = random.Random(14)
    h = Harness(load_settings(DEFAULT_CONFIG), local(2026, 11, 1, 7, 0))
    ctx = h.ctx
    accounts = list(ctx.accounts.values())
    people = list(ctx.settings.people)
    start = to_epoch(local(2026, 11, 1, 8, 0))
    items, history = [], []
    for i in range(1, size + 1):
        received = start + rnd.randrange(0, 29 * 86400)
        due = received + 86400
        kind = i % 4
        first = received + rnd.randrange(600, 20 * 3600) if kind in (0, 1) else (
            received + 2 * 86400 if kind == 2 else None)
        answered = first + 3600 if kind in (0, 2) else None
        items.append({
            "id": i, "source": "bench", "external_id": str(i), "account_id": accounts[i % len(accounts)].id,
            "text": "Fråga", "received_at": received, "status": "answered" if answered else (
                "first_reply_sent" if first else "open"), "is_question": 1, "assignee": people[i % len(people)],
            "first_reply_due": due, "first_reply_at": first, "full_answer_due": first + 5 * 86400 if first else None,
            "answered_at": answered, "updated_at": received,
        })
        history.append({"item_id": i, "at": received, "actor": "bench", "action": "intake", "from_status": None,
                        "to_status": "open"})
    with ctx.db.atomic():
        ctx.db["items"].insert_all(items, batch_size=5000)
        ctx.db["item_history"].insert_all(history, batch_size=5000)
        cal = ctx.calendar()
        for day in range(1, 31):
            d = dt.date(2026, 11, day)
            if cal.is_business_day(d):
                for a in accounts:
                    ctx.db["oversight_log"].insert({"account_id": a.id, "day": d.isoformat(), "via": "command",
                                                    "checked_at": to_epoch(local(2026, 11, day, 9, 0)),
                                                    "person": a.owner, "note": ""})
    h.clock.set(local(2026, 12, 1, 10, 0))
    return h


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    args = ap.parse_args()
    print(f"{'questions':>10} {'figures s':>10} {'render s':>9} {'HTML kB':>8}")
    for size in args.sizes:
        h = build(size)
        t0 = time.perf_counter()
        figures = monthly.month_figures(h.ctx, monthly.Month(2026, 11))
        t1 = time.perf_counter()
        rendered = page.render(figures, "sv")
        t2 = time.perf_counter()
        print(f"{size:>10} {t1 - t0:>10.2f} {t2 - t1:>9.2f} {len(rendered.html.encode()) // 1024:>8}")


if __name__ == "__main__":
    main()
