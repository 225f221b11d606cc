"""Benchmark: a backfill after an outage, through the loopback mock Graph API (issue 12).

    python tests/perf/bench_backfill.py [--posts 20] [--comments 50] [--runs 2]

An outage leaves `--posts` posts with `--comments` comments each unseen; the start-up check reads them back
(the feed and every post's comments, a page of 50 at a time with Meta's `after` cursors, over HTTP on
127.0.0.1) and takes them in through the delivery door in one transaction. Prints, per run, the Graph calls,
the seconds of the whole check, and the comments taken in per second; then that a second check takes in
nothing (exactly once). A real SQLite file in a temporary folder, the example config.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bot.clock import to_epoch  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.conftest import DEFAULT_CONFIG, local  # noqa: E402
from tests.meta.conftest import FB_PAGE, IG_ACCOUNT, MetaWorld, writing_settings  # noqa: E402
from tests.meta.mock_graph_api import PAGE_TOKEN, MockGraphAPI  # noqa: E402


def run(posts: int, comments: int) -> tuple[int, float, int]:
    settings = writing_settings(load_settings(DEFAULT_CONFIG))
    with tempfile.TemporaryDirectory() as tmp, \
            MockGraphAPI(page_id=FB_PAGE, tokens={PAGE_TOKEN: FB_PAGE}, ig_id=IG_ACCOUNT) as api:
        world = MetaWorld(settings, api, local(2026, 12, 7, 8, 0), timeout=30.0)
        from bot.bootstrap import build

        world.bot = build(settings, clock=world.clock, db=Path(tmp) / "uppsikt.db", chat=world.chat, graph=world.graph)
        world.bot.check_channels(startup=True)
        start = to_epoch(local(2026, 12, 7, 9, 0))
        for p in range(posts):
            api.add_post(f"B{p}", f"Inlägg {p}", start + p * 60)
            for c in range(comments):
                api.add_comment(f"B{p}_{c}", f"Fråga {c} om inlägg {p}", f"3{p:03d}{c:04d}", "Invånare",
                                post=f"B{p}", created=start + p * 60 + c)
        world.clock.set(local(2026, 12, 7, 11, 0))
        calls = len(api.calls)
        began = time.perf_counter()
        world.bot.check_channels(startup=True)
        seconds = time.perf_counter() - began
        calls = len(api.calls) - calls
        taken = world.ctx.db.execute("SELECT COUNT(*) FROM items WHERE external_id LIKE 'B%'").fetchone()[0]
        world.clock.set(local(2026, 12, 7, 11, 30))
        world.bot.check_channels(startup=True)
        again = world.ctx.db.execute("SELECT COUNT(*) FROM items WHERE external_id LIKE 'B%'").fetchone()[0]
        assert again == taken == posts * comments, (taken, again)
        return calls, seconds, taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--comments", type=int, default=50)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    for n in range(1, args.runs + 1):
        calls, seconds, taken = run(args.posts, args.comments)
        print(f"run {n}: {taken} comments on {args.posts} posts taken in: {calls} Graph calls, {seconds:.2f} s, "
              f"{taken / seconds:.0f} comments/s; a second check took in 0 (exactly once)")


if __name__ == "__main__":
    main()
