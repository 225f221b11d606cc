"""What keeping the archive's attachments costs (bot/core/media.py, bot/media_worker.py).

    python tests/perf/bench_media.py                     # 2,000 webhook comments, 200 photos of 1 MB
    python tests/perf/bench_media.py --events 5000 --photos 100 --size 5

Prints, on a fresh database file with the example config and the Graph client pointed at the loopback mock:

- capture: the time per webhook comment through `Bot.platform_delivery` (under the lock), without a photo and
  with one (the link found in the raw JSON and recorded as a pending download), so the difference is what
  finding and recording the link adds to intake;
- download: `Bot.fetch_media` over loopback for the photos (off the lock: streamed, hashed, written to a
  temporary file, fsynced, renamed), files per second and MB per second;
- how long another thread waited for the bot's lock meanwhile (a Slack event takes it): the download must
  not make it wait longer than a capture does.

Figures only, never asserted (the tests in tests/archive/test_archive_media.py check the behaviour).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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

from bot.adapters.meta.graph import GraphClient  # noqa: E402
from bot.bootstrap import RecordingChat, build  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.facade import PlatformEvent  # noqa: E402
from bot.settings import DEFAULT_CONFIG, load_settings  # noqa: E402
from tests.meta.mock_graph_api import PAGE_TOKEN, MockGraphAPI  # noqa: E402

FB_PAGE = "100000000000001"
POST = f"{FB_PAGE}_1"


def _event(n: int, url: str = "") -> PlatformEvent:
    value = {"from": {"id": f"9{n}", "name": f"Person {n}"}, "item": "comment", "verb": "add", "post_id": POST,
             "comment_id": f"{POST}_{n}", "parent_id": POST, "message": f"Kommentar nummer {n} om badet"}
    if url:
        value["photo"] = url
    return PlatformEvent(entry_id=FB_PAGE, action="add", source="facebook", external_id=f"{POST}_{n}",
                         text=value["message"], author=value["from"]["name"], parent_id=POST,
                         raw=json.dumps({"field": "feed", "value": value}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--size", type=float, default=1.0, help="MB per photo")
    args = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp, MockGraphAPI(page_id=FB_PAGE, tokens={PAGE_TOKEN: FB_PAGE}) as api:
        clock = FakeClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))
        graph = GraphClient({"facebook": PAGE_TOKEN}, base_url=api.base_url, timeout=10)
        bot = build(load_settings(DEFAULT_CONFIG), clock=clock, db=Path(tmp) / "data" / "uppsikt.db",
                    chat=RecordingChat(clock), graph=graph)
        body = b"\xff\xd8" + b"x" * int(args.size * 1_048_576)
        urls = [api.serve(f"p{n}.jpg", body + str(n).encode()) for n in range(args.photos)]

        def capture(start: int, count: int, with_photo: bool) -> list[float]:
            times = []
            for n in range(start, start + count):
                url = urls[(n - start) % len(urls)] if with_photo and n - start < len(urls) else ""
                t0 = time.perf_counter()
                bot.platform_delivery("page", [FB_PAGE], [_event(n, url)])
                times.append(time.perf_counter() - t0)
            return times

        capture(0, 50, False)  # warm-up
        plain = capture(1000, args.events, False)
        photo = capture(100000, min(args.photos, args.events), True)
        print(f"capture without a photo: median {statistics.median(plain) * 1000:.2f} ms, "
              f"mean {statistics.fmean(plain) * 1000:.2f} ms ({len(plain)} webhook comments)")
        print(f"capture with a photo:    median {statistics.median(photo) * 1000:.2f} ms, "
              f"mean {statistics.fmean(photo) * 1000:.2f} ms ({len(photo)} webhook comments, link recorded)")

        waits: list[float] = []
        done = threading.Event()

        def other_entry_point() -> None:
            while not done.is_set():
                t0 = time.perf_counter()
                with bot.lock:
                    pass
                waits.append(time.perf_counter() - t0)
                time.sleep(0.005)

        watcher = threading.Thread(target=other_entry_point)
        watcher.start()
        t0 = time.perf_counter()
        result: dict[str, int] = {}
        while True:
            got = bot.fetch_media()
            for k, v in got.items():
                result[k] = result.get(k, 0) + v
            if not got:
                break
        elapsed = time.perf_counter() - t0
        done.set()
        watcher.join()
        files = result.get("done", 0)
        print(f"download: {result} in {elapsed:.2f} s: {files / elapsed:.1f} files/s, "
              f"{files * args.size / elapsed:.1f} MB/s over loopback")
        print(f"the bot's lock meanwhile: {len(waits)} takes, max wait {max(waits) * 1000:.2f} ms, "
              f"p99 {sorted(waits)[int(len(waits) * 0.99) - 1] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
