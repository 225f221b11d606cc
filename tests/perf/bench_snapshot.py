"""How long an automatic snapshot (R4) and an archival package take for a busy account (issue 12).

    python tests/perf/bench_snapshot.py                  # 200, 1,000 and 3,000 posts, comments and replies
    python tests/perf/bench_snapshot.py --objects 5000

For each size, in a fresh database file: that many archived objects on the Facebook account (one post in
twenty, the rest comments under them, a third of the comments edited once, every object with its
original JSON), then `snapshots.take` (render to PDF/A and register: today this runs in the daily job under
the bot's lock) and `sip.write` (the CLI, on a read connection) are timed, with the PDF's pages and size.
Only prints; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "perf"))

from bench_router import machine  # noqa: E402

from bot.bootstrap import build  # noqa: E402
from bot.clock import FakeClock, STOCKHOLM, to_epoch  # noqa: E402
from bot.core import snapshots  # noqa: E402
from bot.export import sip  # noqa: E402
from bot.settings import DEFAULT_CONFIG, load_settings  # noqa: E402

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=STOCKHOLM)
WORDS = ("badet", "öppettider", "snöröjning", "bygglov", "skolan", "biblioteket", "soptunnan", "vägen", "parken")


def fill(bot, n: int) -> None:
    db = bot.ctx.db
    base = to_epoch(START)
    with db.atomic():
        post = ""
        for i in range(n):
            kind = "post" if i % 20 == 0 else "comment"
            ext = f"o{i}"
            if kind == "post":
                post = ext
            at = base + i * 600
            text = f"{'Inlägg' if kind == 'post' else 'Fråga'} {i} om {WORDS[i % len(WORDS)]}: " + \
                "Varför är det så här, och när blir det bättre? " * (1 + i % 3)
            cur = db.execute(
                "INSERT INTO archive_objects (account_id, source, external_id, kind, parent_external_id, own, author,"
                " author_id, permalink, created_at, first_seen_at, via, state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                ["facebook", "facebook", ext, kind, "" if kind == "post" else post, int(kind == "post"),
                 f"Person {i % 97}", str(2000 + i % 97), f"https://facebook.example/{ext}", at, at, "webhook",
                 "visible"])
            oid = cur.lastrowid
            raw = json.dumps({"id": ext, "message": text, "from": {"id": str(2000 + i % 97)}}, ensure_ascii=False)
            db.execute("INSERT INTO archive_versions (object_id, version, text, raw_json, captured_at) "
                       "VALUES (?,?,?,?,?)", [oid, 1, text, raw, at])
            db.execute("INSERT INTO archive_events (object_id, kind, at, actor, detail) VALUES (?,?,?,?,?)",
                       [oid, "captured", at, "platform", "{}"])
            if kind == "comment" and i % 3 == 0:
                db.execute("INSERT INTO archive_versions (object_id, version, text, raw_json, captured_at) "
                           "VALUES (?,?,?,?,?)", [oid, 2, text + " (ändrad)", raw, at + 60])
                db.execute("INSERT INTO archive_events (object_id, kind, at, actor, detail) VALUES (?,?,?,?,?)",
                           [oid, "edited", at + 60, "author", "{}"])


def run(n: int) -> None:
    import pikepdf

    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(START)
        bot = build(load_settings(DEFAULT_CONFIG), clock=clock, db=Path(tmp) / "uppsikt.db")
        fill(bot, n)
        clock.set(START + dt.timedelta(days=183))
        t = time.perf_counter()
        with bot.ctx.db.atomic():
            snap = snapshots.take(bot.ctx, bot.ctx.account("facebook"), reason="bench")
        took = time.perf_counter() - t
        pdf = Path(tmp) / snap["path"]
        pages = len(pikepdf.open(pdf).pages)
        print(f"{n:>6} objects: snapshot {took:6.2f} s ({pages} pages, {pdf.stat().st_size / 1e6:.2f} MB)", end="")
        t = time.perf_counter()
        sip.write(bot.ctx, "facebook", START.date(), (START + dt.timedelta(days=182)).date(), Path(tmp) / "paket")
        print(f"; SIP {time.perf_counter() - t:6.2f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, action="append")
    args = ap.parse_args()
    print(machine())
    import weasyprint  # noqa: F401  (import time is not the rendering's)

    for n in args.objects or [200, 1000, 3000]:
        run(n)


if __name__ == "__main__":
    main()
