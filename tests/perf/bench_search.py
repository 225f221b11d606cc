"""`/sök` with years of items kept, and whether a search stalls other entry points (issue 17 points 4 and 6).

    python tests/perf/bench_search.py                        # 20k, 100k and 500k items kept
    python tests/perf/bench_search.py --items 100000
    python tests/perf/bench_search.py --items 100000 --archive   # the archive filled too (issue 12)

For each size, in a fresh database file (the real schema, triggers included): that many items
bulk-inserted (realistic text: the citizens' comments of tests/data/*.jsonl and the questions of
SweFAQ, with authors), then `/sök` for words that occur rarely, often and never, timed

- through the index (today's code), and
- as the scan it replaced, in the same run: the same function with the index switched off (every row's
  text, author and answer folded in Python and matched with LIKE) — the baseline of the ratio.

Then the stall: while a thread runs twenty searches through `Bot.command("/sök ...")`, the main thread
measures how long `Bot.claim_event` (an entry point taking the bot's lock, as every Slack event does)
waits, with the search on its own read connection (today) and under the lock (as before).

With `--archive` (issue 12) every item also has its archived object and first version (the same text),
every twentieth an edited second version, and one own post per fifty items: the search then also reads
the archive's index (archive_versions_fts), so the figures show what the archive adds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "perf"))

from bench_router import machine  # noqa: E402

from bot.bootstrap import build  # noqa: E402
from bot.clock import FakeClock, to_epoch  # noqa: E402
from bot.core import commands, records  # noqa: E402
from bot.settings import DEFAULT_CONFIG, load_settings  # noqa: E402
from bot.store import fts  # noqa: E402
from tests.conftest import local  # noqa: E402

QUERIES = ["ekvägen", "återvinningscentral", "bygglov", "snöröjning", "förskola", "Anna Berg", "xyzzy saknas"]


def corpus() -> list[str]:
    texts = []
    for name in ("labelled_comments.jsonl", "eval_comments.jsonl"):
        texts += [json.loads(line)["text"] for line in (REPO / "tests" / "data" / name).read_text().splitlines() if line]
    swefaq = Path("/work/shared/data/swefaq_dev.jsonl")
    if swefaq.is_file():
        texts += [json.loads(line)["question"] for line in swefaq.read_text().splitlines() if line]
    return texts


def fill(bot, n: int, seed: int = 3, archive: bool = False) -> None:
    rng = random.Random(seed)
    texts = corpus()
    first, last = ["Anna", "Bo", "Åsa", "Erik", "Fatima", "Jonas", "Karin", "Omar"], ["Berg", "Ölund", "Lind", "Ali"]
    accounts = list(bot.ctx.accounts)
    start = to_epoch(local(2022, 1, 1))
    rows = []
    for i in range(n):
        text = rng.choice(texts)
        if rng.random() < 0.02:
            text += " Det gäller Ekvägen."
        rows.append(("bench", str(i), rng.choice(accounts), f"{rng.choice(first)} {rng.choice(last)}", text,
                     start + i * 60, "closed", start, rng.choice(["", "Tack, vi har svarat i tråden."])))
    with bot.db.atomic():
        bot.db.conn.executemany(
            "INSERT INTO items (source, external_id, account_id, author, text, received_at, status, updated_at, answer) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        if archive:
            objects, versions = [], []
            for i, r in enumerate(rows, start=1):
                objects.append((i, r[2], "bench", r[1], "comment", 0, r[3], r[5], r[5], i))
                versions.append((i, 1, r[4], r[5]))
                if i % 20 == 0:
                    versions.append((i, 2, r[4] + " (ändrad i efterhand)", r[5] + 600))
            for j in range(n // 50):
                oid = n + j + 1
                objects.append((oid, accounts[j % len(accounts)], "bench", f"own{j}", "post", 1, "Ekby kommun",
                                start + j * 3000, start + j * 3000, None))
                versions.append((oid, 1, rng.choice(texts), start + j * 3000))
            bot.db.conn.executemany(
                "INSERT INTO archive_objects (id, account_id, source, external_id, kind, own, author, created_at, "
                "first_seen_at, item_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", objects)
            bot.db.conn.executemany(
                "INSERT INTO archive_versions (object_id, version, text, captured_at) VALUES (?, ?, ?, ?)", versions)


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return 1000 * best


def stall(bot, off_lock: bool) -> tuple[float, float]:
    """Median and max ms that claim_event waits while another thread searches."""
    original = commands.read_only
    if not off_lock:
        commands.read_only = lambda text: False
    waits: list[float] = []
    stop = threading.Event()

    def searcher() -> None:
        for i in range(20):
            bot.command("lena@example.se", f"/sök {QUERIES[i % 3]}")
        stop.set()

    worker = threading.Thread(target=searcher)
    worker.start()
    i = 0
    while not stop.is_set():
        t = time.perf_counter()
        bot.claim_event(f"e{i}")
        waits.append(1000 * (time.perf_counter() - t))
        bot.event_failed(f"e{i}")
        i += 1
        time.sleep(0.005)
    worker.join()
    commands.read_only = original
    return statistics.median(waits), max(waits)


def run(n: int, archive: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(DEFAULT_CONFIG)
        bot = build(settings, clock=FakeClock(local(2027, 1, 10, 10)), db=Path(tmp) / "uppsikt.db")
        t = time.perf_counter()
        fill(bot, n, archive=archive)
        filled = time.perf_counter() - t
        size = (Path(tmp) / "uppsikt.db").stat().st_size / 2**20
        ctx = bot.reader()
        kept = " and the archive" if archive else ""
        line = [f"{n:8,d} items{kept} (insert {filled:5.1f}s, file {size:4.0f}MB):"]
        ratios = []
        for q in QUERIES:
            hits = len(records.search(ctx, q))
            indexed = timed(lambda: records.search(ctx, q))
            saved = fts.usable
            fts.usable = lambda text: False
            scan = timed(lambda: records.search(ctx, q), repeat=1)
            fts.usable = saved
            ratios.append(indexed / scan)
            line.append(f"  {q!r}: {hits} hits, index {indexed:7.1f} ms, scan {scan:7.1f} ms, ratio {indexed / scan:.3f}")
        print("\n".join(line))
        off = stall(bot, off_lock=True)
        on = stall(bot, off_lock=False)
        print(f"  claim_event wait while searching: off the lock median {off[0]:.2f} / max {off[1]:.1f} ms; "
              f"under the lock (before) median {on[0]:.2f} / max {on[1]:.1f} ms", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, nargs="+", default=[20_000, 100_000, 500_000])
    parser.add_argument("--archive", action="store_true", help="fill the archive too (issue 12)")
    args = parser.parse_args(argv)
    print(machine())
    for n in args.items:
        run(n, archive=args.archive)
    print(machine())


if __name__ == "__main__":
    main()
