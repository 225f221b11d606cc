"""Benchmark: Slack message events through the real HTTP path, against a bare Bolt app in the same run.

    python tests/perf/bench_event_path.py [--events 2000] [--rate 100] [--connections 8] [--rounds 4]
                                          [--threads 8] [--author integration|person] [--history 1000]
                                          [--saturation-events N] [--max-seconds 120] [--only uppsikt|bare]
                                          [--no-delivery]

Four processes, all on 127.0.0.1 only:

* this one, the load generator (Slack): signed ``event_callback`` requests
  (``v0:timestamp:body`` HMAC-SHA256, the signing secret below) over keep-alive
  HTTP/1.1 connections;
* the two servers under test, each in a child process, both running for the whole
  run: Uppsikt as ``uppsikt run --http`` runs it (``build_app`` + ``serve_http`` + the
  outbox delivery thread + the inbox's worker, a real SQLite file in a temporary folder,
  the example config), and a bare Bolt ``App`` on the same server class with Bolt's own
  request verification and a ``message`` listener that does nothing;
* the local mock of Slack's Web API (tests/slack/mock_web_api.py), in its own
  child process because Slack's servers are not in the bot's process either.

Each server gets a short warm-up, then:

1. fixed offered load, open loop, ``--events`` events (Uppsikt, then bare Bolt): event *i*
   is due at ``t0 + i / rate``; a few client threads send each event at its time whatever
   the earlier responses did, and its latency is counted from when it was due (so a slow
   server cannot hide its queue: no coordinated omission). Prints p50/p90/p99/max;
2. saturation, closed loop: ``--connections`` clients send back to back, in ``--rounds``
   rounds per server that alternate between the two (the shared machine's load drifts;
   each pair of rounds is measured within seconds of each other); prints events/s.

Since issue 17 Uppsikt acknowledges an event once it is stored in its inbox and makes the
item after (bot/adapters/slack/inbox.py). After each of its phases the benchmark waits until
the inbox is empty (so bare Bolt never shares the CPU with Uppsikt's worker) and prints how
long that took: the rate at which items are made, not only acknowledgements. Every phase is
bounded by ``--max-seconds``. For Uppsikt it also checks that every acknowledged event is an
item in the database, and prints the outbox (cards and assignments wait there for Slack's
~1 message/s/channel limit; delivery is not part of the acknowledgement). Ends with the
throughput ratio Uppsikt / bare Bolt (all rounds, and per round). Goals (issue 6, issue 17):
ratio >= 0.8, p99 < 100 ms at 100 events/s.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing as mp
import os
import resource
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SIGNING_SECRET = "e3b0c44298fc1c149afbf4c8996fb924"
APP_ID = "A0UPPSIKT"
TEAM_ID = "T0EKBY"
QUESTIONS = [
    "När töms soporna i vår gata?",
    "Hur ansöker jag om bygglov för ett garage?",
    "Finns det lediga förskoleplatser i centrum?",
    "När öppnar simhallen igen efter renoveringen?",
    "Hur förnyar jag mitt lånekort på biblioteket?",
    "Vem ansvarar för snöröjningen på cykelvägen?",
]
REMARKS = ["Tack för informationen!", "Fin bild från torget idag."]
ANSWERS = [
    ("När töms soporna?", "Hushållsavfallet hämtas varannan vecka, se tömningsschemat.", "per@example.se"),
    ("Hur söker jag bygglov?", "Ansök via e-tjänsten på kommunens webbplats.", "lena@example.se"),
    ("Finns det förskoleplats?", "Ansök om förskoleplats fyra månader i förväg.", "lena@example.se"),
    ("När öppnar badhuset?", "Simhallen öppnar igen i mars enligt plan.", "per@example.se"),
]


# --------------------------------------------------------------------------- child processes


def _mock_process(users: dict[str, str], channels: dict[str, str], conn) -> None:
    from tests.slack.mock_web_api import MockSlackWebAPI

    api = MockSlackWebAPI(users=users, channels=channels).start()
    conn.send((api.base_url, api.token))
    conn.recv()  # stop
    conn.send(len(api.calls))
    api.stop()


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _server_process(kind: str, db_path: str, api_url: str, token: str, history: int, conn,
                    delivery: bool = True) -> None:
    import logging

    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.adapters.slack.app import build_app
    from bot.server import serve_http, serve_in_thread

    logging.basicConfig(level=logging.CRITICAL)  # the outbox logs every rate-limited retry
    thread_errors: list[str] = []

    def on_thread_error(hook_args) -> None:  # a background thread that dies is a finding: report it
        thread_errors.append(f"{hook_args.thread.name if hook_args.thread else '?'}: "
                             f"{hook_args.exc_type.__name__}: {hook_args.exc_value}")

    threading.excepthook = on_thread_error
    client = WebClient(token=token, base_url=api_url, timeout=10)
    bot = None
    if kind == "uppsikt":
        from bot.bootstrap import build
        from bot.core import items
        from bot.core.routing import HistoryAnswer
        from bot.settings import DEFAULT_CONFIG, load_settings

        bot = build(load_settings(DEFAULT_CONFIG), db=db_path)
        if history:
            now = bot.ctx.now_ts()
            answers = [HistoryAnswer(f"{q} ({i})", a, who) for i in range(history)
                       for q, a, who in [ANSWERS[i % len(ANSWERS)]]]
            with bot.lock, bot.db.atomic():
                items.add_history(bot.ctx, answers, [now - 86400] * len(answers), "import")
        app = build_app(bot, token=token, signing_secret=SIGNING_SECRET, client=client)
        if delivery:
            bot.deliver_in_background()  # as `uppsikt run` does: listeners do not wait for Slack
        else:  # --no-delivery: the outbox fills but nothing delivers it (a wake-up nobody waits for)
            bot.outbox.wake = threading.Event()
    else:
        app = App(client=client, signing_secret=SIGNING_SECRET, token_verification_enabled=False)

        @app.event("message")
        def nothing() -> None:
            """The bare app's listener does nothing (Bolt acknowledges events itself)."""

    server = serve_http(app, "127.0.0.1", 0, bot=bot)
    serve_in_thread(server)
    conn.send(server.server_address[1])
    while True:
        msg = conn.recv()
        if msg == "cpu":
            alive = any(t.name == "uppsikt-outbox" for t in threading.enumerate())
            conn.send((_cpu_seconds(), alive, list(thread_errors)))
        elif msg == "stop":
            server.shutdown()
            server.server_close()
            conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            return


# --------------------------------------------------------------------------- the load generator


@dataclass
class Phase:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    late_ms: list[float] = field(default_factory=list)  # how late the client itself sent (open loop)
    elapsed: float = 0.0
    cpu: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, latency_ms: float, late_ms: float | None = None) -> None:
        with self.lock:
            self.sent += 1
            if late_ms is not None:
                self.late_ms.append(late_ms)
            if status == 200:
                self.ok += 1
                self.latencies_ms.append(latency_ms)
            else:
                self.errors += 1


def run_workers(phase: Phase, worker, count: int, max_seconds: float, start: float) -> Phase:
    """Run `count` client threads to completion (bounded in time) and stamp the phase's duration."""
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + 60)
    phase.elapsed = time.perf_counter() - start
    return phase


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


class Events:
    """Signed Slack event bodies for message events in the account channels."""

    def __init__(self, channels: list[str], author: str, users: list[str]):
        from slack_sdk.signature import SignatureVerifier

        self.channels = channels
        self.author = author
        self.users = users
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self.seq = itertools.count(1)
        self.run = f"{os.getpid()}{int(time.time())}"

    def next(self) -> tuple[bytes, dict[str, str]]:
        n = next(self.seq)
        now = time.time()
        ts = f"{int(now)}.{n:06d}"
        text = (QUESTIONS[n % len(QUESTIONS)] if n % 3 else REMARKS[n % len(REMARKS)]) + f" #{n}"
        event = {"type": "message", "channel": self.channels[n % len(self.channels)], "text": text, "ts": ts,
                 "event_ts": ts, "channel_type": "channel"}
        if self.author == "person":
            event["user"] = self.users[n % len(self.users)]
        else:
            event |= {"subtype": "bot_message", "bot_id": "B0META", "username": "Meta"}
        body = json.dumps({
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event, "type": "event_callback",
            "event_id": f"Ev{self.run}{n:08d}", "event_time": int(now),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "U0UPPSIKT", "is_bot": True}],
        }, ensure_ascii=False)
        stamp = str(int(now))
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=body) or ""}
        return body.encode("utf-8"), headers


class Client:
    """One keep-alive connection; reconnects after an error."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request("POST", "/slack/events", body, headers)
                resp = self.conn.getresponse()
                resp.read()
                return resp.status
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        return 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def open_loop(port: int, events: Events, n: int, rate: float, threads: int, max_seconds: float) -> Phase:
    phase = Phase()
    index = itertools.count()
    start = time.perf_counter() + 0.05
    deadline = start + max_seconds

    def worker() -> None:
        client = Client(port)
        try:
            while True:
                i = next(index)
                due = start + i / rate
                if i >= n or due > deadline:
                    return
                body, headers = events.next()
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                sent_at = time.perf_counter()
                try:
                    status = client.post(body, headers)
                except (OSError, http.client.HTTPException):
                    status = 0
                done = time.perf_counter()
                phase.record(status, (done - due) * 1000, late_ms=max(0.0, sent_at - due) * 1000)
        finally:
            client.close()

    return run_workers(phase, worker, threads, max_seconds, start)


def closed_loop(port: int, events: Events, n: int, connections: int, max_seconds: float) -> Phase:
    phase = Phase()
    index = itertools.count()
    start = time.perf_counter()
    deadline = start + max_seconds

    def worker() -> None:
        client = Client(port)
        try:
            while next(index) < n and time.perf_counter() < deadline:
                body, headers = events.next()
                t0 = time.perf_counter()
                try:
                    status = client.post(body, headers)
                except (OSError, http.client.HTTPException):
                    status = 0
                phase.record(status, (time.perf_counter() - t0) * 1000)
        finally:
            client.close()

    return run_workers(phase, worker, connections, max_seconds, start)


# --------------------------------------------------------------------------- orchestration


def store_counts(db_path: Path) -> tuple[int, dict[str, int]]:
    """(items from Slack, outbox rows by status and the inbox's unprocessed rows as "inbox")."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        items = con.execute("SELECT COUNT(*) FROM items WHERE source = 'slack'").fetchone()[0]
        outbox = dict(con.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        outbox["inbox"] = con.execute("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
    finally:
        con.close()
    return items, outbox


def wait_for_inbox(db_path: Path, max_seconds: float) -> tuple[float, int]:
    """Wait (bounded) until the inbox's worker has processed every stored event: (seconds waited, rows left)."""
    start = time.perf_counter()
    while True:
        left = store_counts(db_path)[1]["inbox"]
        if not left or time.perf_counter() - start > max_seconds:
            return time.perf_counter() - start, left
        time.sleep(0.2)


class Server:
    """A server under test in its own process (see `_server_process`)."""

    def __init__(self, kind: str, args, ctx, api_url: str, token: str, channels: list[str], users: list[str],
                 tmp: Path):
        self.kind, self.args = kind, args
        self.db_path = tmp / f"{kind}.db"
        self.parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_server_process, name=f"bench-{kind}", daemon=True,
                                args=(kind, str(self.db_path), api_url, token, args.history, child,
                                      not args.no_delivery))
        self.proc.start()
        if not self.parent.poll(120):
            self.proc.kill()
            raise SystemExit(f"the {kind} server did not start")
        self.port = self.parent.recv()
        self.events = Events(channels, args.author, users)
        self.result: dict = {"kind": kind, "acked": 0, "rounds": []}

    def cpu(self) -> float:
        self.parent.send("cpu")
        seconds, alive, errors = self.parent.recv()
        self.result["outbox_alive"], self.result["thread_errors"] = alive, errors
        return seconds

    def drained(self) -> tuple[float, int]:
        """Uppsikt: wait until its inbox's worker has processed every stored event (bare Bolt: nothing to wait for)."""
        return wait_for_inbox(self.db_path, self.args.max_seconds) if self.kind == "uppsikt" else (0.0, 0)

    def warm_up(self) -> None:
        closed_loop(self.port, self.events, self.args.warmup, 2, self.args.max_seconds)  # caches, router, connections
        self.result["acked"] += self.args.warmup
        self.drained()  # the warm-up's events are acknowledged before they are processed: let them finish

    def fixed(self) -> None:
        c0 = self.cpu()
        fixed = open_loop(self.port, self.events, self.args.events, self.args.rate, self.args.threads,
                          self.args.max_seconds)
        fixed.cpu = self.cpu() - c0
        self.result["acked"] += fixed.ok
        self.result["fixed"] = fixed
        if self.kind == "uppsikt":
            self.result["after_fixed"] = store_counts(self.db_path)
            self.drained()

    def saturate(self, n: int) -> Phase:
        c0 = self.cpu()
        sat = closed_loop(self.port, self.events, n, self.args.connections, self.args.max_seconds)
        sat.cpu = self.cpu() - c0
        self.result["acked"] += sat.ok
        self.result["rounds"].append(sat)
        if self.kind == "uppsikt":  # what the acknowledgements left to do, and how long the worker took for it
            self.result["after_sat"] = store_counts(self.db_path)
            backlog = self.result["after_sat"][1]["inbox"]
            waited, left = self.drained()
            self.result.setdefault("drains", []).append((backlog, waited, left, sat))
            self.result["after_drain"] = store_counts(self.db_path)
        return sat

    def stop(self) -> None:
        self.parent.send("stop")
        self.result["rss_mb"] = self.parent.recv() if self.parent.poll(30) else float("nan")
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
        sat = Phase()
        for r in self.result["rounds"]:
            sat.sent, sat.ok, sat.errors = sat.sent + r.sent, sat.ok + r.ok, sat.errors + r.errors
            sat.elapsed, sat.cpu = sat.elapsed + r.elapsed, sat.cpu + r.cpu
            sat.latencies_ms += r.latencies_ms
        self.result["sat"] = sat


def run_servers(kinds: list[str], args, ctx, api_url: str, token: str, channels: list[str], users: list[str],
                tmp: Path) -> list[dict]:
    """Both servers side by side: warm-up and the fixed load one after the other, then saturation in
    `--rounds` rounds that alternate between them (the machine's load drifts; each round's pair is measured
    within seconds). Uppsikt's inbox is drained after each of its phases, so bare Bolt never shares the CPU
    with Uppsikt's worker."""
    servers = [Server(kind, args, ctx, api_url, token, channels, users, tmp) for kind in kinds]
    try:
        for server in servers:
            server.warm_up()
        for server in servers:
            server.fixed()
        per_round = max(1, (args.saturation_events or min(args.events, 2000)) // args.rounds)
        for i in range(args.rounds):
            for server in servers if i % 2 == 0 else servers[::-1]:
                server.saturate(per_round)
    finally:
        for server in servers:
            server.stop()
    return [server.result for server in servers]


def report(r: dict, args) -> None:
    fixed, sat = r["fixed"], r["sat"]
    name = "Uppsikt" if r["kind"] == "uppsikt" else "bare Bolt"
    offered = fixed.sent / fixed.elapsed if fixed.elapsed else 0
    print(f"\n== {name} ==")
    print(f"fixed load {args.rate:g}/s offered ({offered:.1f}/s achieved), {fixed.ok} acked, {fixed.errors} errors: "
          f"ack latency p50 {pct(fixed.latencies_ms, 50):.1f} ms, p90 {pct(fixed.latencies_ms, 90):.1f} ms, "
          f"p99 {pct(fixed.latencies_ms, 99):.1f} ms, max {max(fixed.latencies_ms, default=float('nan')):.1f} ms "
          f"(client sent late by > 5 ms: {sum(1 for x in fixed.late_ms if x > 5)}); "
          f"server CPU {1000 * fixed.cpu / max(fixed.ok, 1):.2f} ms/event")
    print(f"saturation, {args.connections} connections: {sat.ok} acked, {sat.errors} errors in {sat.elapsed:.2f} s = "
          f"{sat.ok / sat.elapsed:.0f} events/s (latency p50 {pct(sat.latencies_ms, 50):.1f} ms, "
          f"p99 {pct(sat.latencies_ms, 99):.1f} ms); server CPU {1000 * sat.cpu / max(sat.ok, 1):.2f} ms/event")
    if r["kind"] == "uppsikt":
        for label, key in (("after the fixed load", "after_fixed"), ("after saturation", "after_sat"),
                           ("after the inbox drained", "after_drain")):
            items, outbox = r[key]
            print(f"store {label}: {items} items from Slack; outbox " + ", ".join(f"{k}={v}" for k, v in
                                                                                sorted(outbox.items())))
        for backlog, waited, left, sat in r["drains"]:
            print(f"saturation round: {sat.ok / sat.elapsed:.0f} acks/s; {backlog} of the {sat.ok} acknowledged "
                  f"events not yet processed at its end, processed in {waited:.1f} s more ({left} left): "
                  f"items made at {(sat.ok - left) / (sat.elapsed + waited):.0f} events/s")
        items, _ = r["after_drain"]
        print(f"every acknowledged event stored: {'yes' if items == r['acked'] else 'NO'} "
              f"({items} items, {r['acked']} acknowledged)")
        print(f"outbox delivery thread alive at the end: {'yes' if r.get('outbox_alive') else 'NO'}")
    for error in r.get("thread_errors", []):
        print(f"a background thread died: {error}")
    print(f"server peak RSS: {r['rss_mb']:.0f} MB")


def profile(args, users: dict[str, str], channel_ids: dict[str, str], account_channels: list[str]) -> None:
    """Where an acknowledgement's time goes: the same app, events handed to ``app.dispatch`` in this
    thread under cProfile (no HTTP; the outbox thread delivers meanwhile and is not profiled)."""
    import cProfile
    import pstats

    from slack_bolt import BoltRequest
    from tests.slack.mock_web_api import MockSlackWebAPI

    with MockSlackWebAPI(users=users, channels=channel_ids) as api, \
            tempfile.TemporaryDirectory(prefix="uppsikt-bench-") as tmp:
        parent, child = mp.Pipe()
        # the server function, in a thread: it serves HTTP too, but we only use its app through dispatch
        from bot import server as slack_app

        apps: list = []
        real_serve = slack_app.serve_http

        def capture(app, *a, **kw):
            apps.append(app)
            return real_serve(app, *a, **kw)

        slack_app.serve_http = capture
        thread = threading.Thread(target=_server_process, daemon=True,
                                  args=("uppsikt", str(Path(tmp) / "p.db"), api.base_url, api.token, args.history, child))
        thread.start()
        parent.recv()
        slack_app.serve_http = real_serve
        app = apps[0]
        events = Events(account_channels, args.author, [users[e] for e in sorted(users)])

        def dispatch(n: int) -> None:
            for _ in range(n):
                body, headers = events.next()
                resp = app.dispatch(BoltRequest(body=body.decode("utf-8"),
                                                headers={k.lower(): [v] for k, v in headers.items()}))
                assert resp.status == 200, resp.status

        dispatch(args.warmup)
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        dispatch(args.profile)
        prof.disable()
        wall = time.perf_counter() - t0
        print(f"{args.profile} events dispatched in-process: {1000 * wall / args.profile:.2f} ms/event under cProfile")
        stats = pstats.Stats(prof)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        parent.send("stop")


def ack_only(args, users: dict[str, str], channel_ids: dict[str, str], account_channels: list[str]) -> None:
    """The acknowledgement alone, in-process and without HTTP: Uppsikt's `SlackInbox.accept` (JSON, signature,
    shape, the inbox INSERT) against bare Bolt's `App.dispatch` of the same signed events, in interleaved blocks
    of 100 (the machine's load drifts), the worker not running."""
    from slack_bolt import App, BoltRequest
    from slack_sdk import WebClient

    from bot.adapters.slack.app import build_app
    from bot.bootstrap import build
    from bot.settings import DEFAULT_CONFIG, load_settings
    from tests.slack.mock_web_api import MockSlackWebAPI

    with MockSlackWebAPI(users=users, channels=channel_ids) as api, \
            tempfile.TemporaryDirectory(prefix="uppsikt-bench-") as tmp:
        client = WebClient(token=api.token, base_url=api.base_url)
        bot = build(load_settings(DEFAULT_CONFIG), db=str(Path(tmp) / "ack.db"))
        app = build_app(bot, token=api.token, signing_secret=SIGNING_SECRET, client=client)
        bare = App(client=client, signing_secret=SIGNING_SECRET, token_verification_enabled=False)

        @bare.event("message")
        def nothing() -> None:
            """Bolt acknowledges events itself."""

        events = Events(account_channels, args.author, [users[e] for e in sorted(users)])

        def block(n: int) -> list[tuple[dict, bytes]]:
            out = []
            for _ in range(n):
                body, headers = events.next()
                out.append(({k.lower(): [v] for k, v in headers.items()}, body))
            return out

        for headers, body in block(100):  # warm-up: Bolt's auth.test, the inbox's connection
            bare.dispatch(BoltRequest(body=body.decode(), headers=headers))
            app.inbox.accept(headers, body)
        ours, theirs = [], []
        for _ in range(max(1, args.ack_only // 100)):
            a, b = block(100), block(100)
            t0 = time.perf_counter()
            for headers, body in a:
                app.inbox.accept(headers, body)
            t1 = time.perf_counter()
            for headers, body in b:
                bare.dispatch(BoltRequest(body=body.decode(), headers=headers))
            ours.append((t1 - t0) * 10)
            theirs.append((time.perf_counter() - t1) * 10)
        print(f"load {os.getloadavg()[0]:.1f}; per event over {len(ours)} interleaved blocks of 100: Uppsikt's "
              f"acknowledgement (SlackInbox.accept) min {min(ours):.3f} / median {pct(ours, 50):.3f} ms; bare Bolt's "
              f"App.dispatch min {min(theirs):.3f} / median {pct(theirs, 50):.3f} ms; ratio of medians "
              f"{pct(theirs, 50) / pct(ours, 50):.2f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=2000, help="events per phase (default 2000)")
    ap.add_argument("--rate", type=float, default=100.0, help="offered load of the fixed phase, events/s")
    ap.add_argument("--threads", type=int, default=8, help="client threads of the fixed-load phase")
    ap.add_argument("--connections", type=int, default=8, help="concurrent clients at saturation")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--no-delivery", action="store_true",
                    help="Uppsikt without the outbox's delivery thread: isolates the event path from the outbox, "
                         "whose cost per wake-up grows with its backlog (issue 17 point 2)")
    ap.add_argument("--rounds", type=int, default=4, help="saturation rounds per server, alternating (default 4)")
    ap.add_argument("--saturation-events", type=int, default=0,
                    help="events of the saturation phase, over all rounds (default: --events, at most 2000)")
    ap.add_argument("--author", choices=("integration", "person"), default="integration",
                    help="integration: posts of an integration (bot_message, e.g. Meta); person: a Slack user's "
                         "posts (one users.info call per event)")
    ap.add_argument("--history", type=int, default=1000, help="past answers the router knows")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="time limit of each phase")
    ap.add_argument("--only", choices=("uppsikt", "bare"), help="run one server only")
    ap.add_argument("--ack-only", type=int, metavar="N",
                    help="instead: N acknowledgements in-process without HTTP, Uppsikt's against bare Bolt's")
    ap.add_argument("--profile", type=int, metavar="N",
                    help="instead: profile N events through Uppsikt's app.dispatch in-process (cProfile)")
    args = ap.parse_args(argv)

    from bot.settings import DEFAULT_CONFIG, load_settings
    from tests.slack.conftest import example_channels, example_users

    settings = load_settings(DEFAULT_CONFIG)
    users, channel_ids = example_users(settings), example_channels(settings)
    account_channels = [channel_ids[a.channel] for a in settings.accounts.values()]
    person_ids = [users[e] for e in sorted(users)]
    if args.profile:
        profile(args, users, channel_ids, account_channels)
        return
    if args.ack_only:
        ack_only(args, users, channel_ids, account_channels)
        return
    ctx = mp.get_context("spawn")
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {args.events} events per phase, "
          f"author={args.author}, {len(account_channels)} account channels, history={args.history}")
    mock_parent, mock_child = ctx.Pipe()
    mock = ctx.Process(target=_mock_process, args=(users, channel_ids, mock_child), name="bench-mock", daemon=True)
    mock.start()
    api_url, token = mock_parent.recv()
    results: list[dict] = []
    try:
        with tempfile.TemporaryDirectory(prefix="uppsikt-bench-") as tmp:
            kinds = [k for k in ("uppsikt", "bare") if not args.only or k == args.only]
            results = run_servers(kinds, args, ctx, api_url, token, account_channels, person_ids, Path(tmp))
            for r in results:
                report(r, args)
    finally:
        mock_parent.send("stop")
        calls = mock_parent.recv() if mock_parent.poll(10) else "?"
        mock.join(10)
        if mock.is_alive():
            mock.kill()
    print(f"\nmock Web API calls: {calls}")
    if len(results) == 2:
        up, bare = results
        ratio = (up["sat"].ok / up["sat"].elapsed) / (bare["sat"].ok / bare["sat"].elapsed)
        pairs = [(u.ok / u.elapsed) / (b.ok / b.elapsed) for u, b in zip(up["rounds"], bare["rounds"])]
        print("per-round ratios (rounds alternate which server goes first): " + ", ".join(f"{x:.2f}" for x in pairs)
              + f"; median {sorted(pairs)[len(pairs) // 2]:.2f}")
        p99 = pct(up["fixed"].latencies_ms, 99)
        print(f"throughput ratio Uppsikt / bare Bolt: {ratio:.2f} (goal >= 0.8: {'met' if ratio >= 0.8 else 'MISSED'})")
        print(f"Uppsikt p99 at {args.rate:g} events/s: {p99:.1f} ms (goal < 100 ms: {'met' if p99 < 100 else 'MISSED'})")


if __name__ == "__main__":
    main()
