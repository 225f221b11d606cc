"""Faults around Slack: the bot killed mid-burst and restarted, a Slack outage in simulated time, a full disk.

Crash (`test_a_killed_bot_loses_nothing_and_repeats_nothing`): tests/crash_bot.py
runs production's ``run()`` (``uppsikt run --http``) as a real process on a
file database, against the local mock Web API (SLACK_API_URL), on a clock the
test writes to a file. The test sends a burst of signed message events from
four threads and SIGKILLs the process mid-burst; restarts it on the same
database and lets Slack's retries arrive (every event that got no 200, plus
some that did, with ``X-Slack-Retry-Num: 1``); moves the clock past the 08:30
prompts; moves it past the first nudges and SIGKILLs the process while the
first reminder is on its way to Slack; restarts it once more. Then every
acknowledged event is an item exactly once, and every prompt, card, reminder
and nudge is in the outbox exactly once and reached Slack exactly once.

The one thing a restart cannot know is whether Slack accepted a message whose
answer never came back (the process died during the call): that message is
sent again. The test finds such messages (posted in the mock, but not marked
sent in the database as it was at the kill) and allows those, and only those,
to be repeated; it prints them. All processes are loopback-only, bounded in
time and killed at teardown.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.adapters.slack.blocks import render
from bot.adapters.slack.chat import RATES, SlackChat
from bot.messages import Message
from tests.conftest import REPO, Harness, local
from tests.slack.conftest import example_channels, example_users, play
from tests.slack.mock_web_api import BOT_USER_ID, TEAM_ID, MockSlackWebAPI
from tests.slack.signing import APP_ID, SIGNING_SECRET, response_urls, signed_headers, slack  # noqa: F401
from tests.slack.test_chat import SCENARIOS, RecordingSlackChat, expected_channel_texts

MONDAY_0820 = local(2026, 12, 7, 8, 20)
BURST = 60
KILL_AFTER_ACKS = 20
DEADLINE = 60.0  # seconds: no single wait in these tests is longer


class ScriptedAPI(MockSlackWebAPI):
    """The mock Web API with a `hook(method, params)` that may answer first (None: answer as usual),
    and `posts`: every chat.postMessage Slack accepted, as {channel, ts, text, blocks}, in order."""

    hook = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.posts: list[dict] = []
        self._posts_lock = threading.Lock()

    def _answer(self, method, params, headers):
        hook = self.hook
        answer = hook(method, params) if hook is not None else None
        if answer is None:
            answer = super()._answer(method, params, headers)
        status, body, _ = answer
        if method == "chat.postMessage" and status == 200 and body.get("ok"):
            with self._posts_lock:
                self.posts.append({"channel": body["channel"], "ts": body["ts"], "text": params.get("text", ""),
                                   "blocks": self._json(params.get("blocks") or [])})
        return answer

    def accepted(self) -> list[dict]:
        with self._posts_lock:
            return list(self.posts)


@pytest.fixture
def api(settings):
    with ScriptedAPI(users=example_users(settings), channels=example_channels(settings)) as mock:
        yield mock


# --------------------------------------------------------------------------- the bot as a process


@dataclass
class Run:
    proc: subprocess.Popen
    stderr: Path
    base: str = ""


@dataclass
class Bots:
    """Starts and kills tests/crash_bot.py processes on one database and one file clock."""

    tmp: Path
    api: ScriptedAPI
    runs: list[Run] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.db = self.tmp / "uppsikt.db"
        self.clock_file = self.tmp / "clock.txt"

    # clock
    def set_clock(self, when: dt.datetime) -> None:
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(str(when.timestamp()), encoding="ascii")
        os.replace(tmp, self.clock_file)

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(float(self.clock_file.read_text(encoding="ascii")), MONDAY_0820.tzinfo)

    def advance(self, delta: dt.timedelta) -> None:
        self.set_clock(self.now() + delta)

    # processes
    @property
    def current(self) -> Run:
        return self.runs[-1]

    def start(self) -> Run:
        stderr = self.tmp / f"bot-{len(self.runs)}.log"
        env = {**os.environ, "SLACK_BOT_TOKEN": self.api.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": self.api.base_url, "UPPSIKT_LOG_LEVEL": "INFO", "UPPSIKT_LOG_FORMAT": "json"}
        with stderr.open("w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "tests.crash_bot", "--db", str(self.db), "--clock",
                                     str(self.clock_file)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err)
        run = Run(proc, stderr)
        self.runs.append(run)
        found = poll(lambda: re.search(r"http://127\.0\.0\.1:(\d+)/slack/events", stderr.read_text())
                     or proc.poll() is not None)
        assert isinstance(found, re.Match), f"the bot did not start:\n{stderr.read_text()}"
        run.base = f"http://127.0.0.1:{found.group(1)}"
        assert get(run.base + "/healthz") == (200, "ok")
        assert "En annan Uppsikt-process" not in stderr.read_text()  # the dead process's scheduler lock is free
        return run

    def kill(self) -> None:
        self.current.proc.send_signal(signal.SIGKILL)
        self.current.proc.wait(timeout=10)

    def shared_connection_race(self) -> str:
        """Signs, in any process's log or the live one's /healthz, that a write on the bot's shared connection
        landed in another thread's transaction (see test_a_delivery_never_writes_into_another_threads_transaction);
        empty when there are none."""
        signs = ("no such savepoint", "cannot start a transaction within a transaction", "no transaction is active",
                 "Exception in thread uppsikt-outbox")
        for run in self.runs:
            text = run.stderr.read_text()
            found = [sign for sign in signs if sign in text]
            if found:
                return f"{run.stderr.name}: {', '.join(found)}"
        if self.runs and self.current.proc.poll() is None and self.current.base:
            health = get(self.current.base + "/healthz")[1]
            if "inside one transaction" in health:
                return f"/healthz: {health}"
        # the silent kind: an INSERT on one thread read the rowid of another thread's INSERT (cursor.lastrowid is
        # the connection's), so one intake went on as a different item: that item is audited as taken in twice
        twice = self.query("SELECT subject FROM audit WHERE action = 'item.intake' GROUP BY subject HAVING COUNT(*) > 1")
        if twice:
            return f"item.intake audited twice for {', '.join(r[0] for r in twice)} (a borrowed lastrowid)"
        return ""

    def errors(self) -> str:
        """The distinct errors the processes logged (for a failure message)."""
        seen: list[str] = []
        for run in self.runs:
            for text in run.stderr.read_text().splitlines():
                if text.startswith("{"):
                    record = json.loads(text)
                    if record["level"] in ("ERROR", "CRITICAL"):
                        text = f"{record['message']} {record.get('exception', '').splitlines()[-1:]}"
                    else:
                        continue
                if text.strip() and text not in seen:
                    seen.append(f"{run.stderr.name}: {text}")
        return "\n".join(seen[-40:])

    def stop_all(self) -> None:
        for run in self.runs:
            if run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait(timeout=10)

    # what the database says (a connection of the test's own, closed at once)
    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def pending(self) -> int:
        """Outbox rows not yet sent, plus stored events not yet processed (they may still add outbox rows)."""
        return (self.query("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0]
                + self.query("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")[0][0])

    def drain(self, step: dt.timedelta = dt.timedelta(seconds=2)) -> None:
        """Move the clock on in small steps until the outbox is empty (rate limits and back-off need time)."""
        deadline = time.monotonic() + DEADLINE
        while self.pending():
            assert time.monotonic() < deadline, (
                f"outbox not drained at {self.now():%H:%M:%S}: " + "; ".join(
                    f"{i} {k} to {t}: {a} attempts, next {dt.datetime.fromtimestamp(n):%H:%M:%S}, {e}"
                    for i, k, t, a, n, e in self.query("SELECT id, kind, target, attempts, next_attempt_at, error "
                                                       "FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 5"))
                + "\n" + "\n".join(x for x in self.current.stderr.read_text().splitlines()
                                    if not x.startswith("{") or '"level": "ERROR"' in x)[-3000:])
            self.advance(step)
            time.sleep(0.05)


@pytest.fixture
def bots(tmp_path, api):
    b = Bots(tmp_path, api)
    b.set_clock(MONDAY_0820)
    yield b
    b.stop_all()


def poll(predicate, timeout: float = DEADLINE, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


# --------------------------------------------------------------------------- Slack's side


@dataclass(frozen=True)
class Event:
    event_id: str
    external_id: str  # "<channel id>:<ts>", what intake dedupes on
    body: str


def message_events(api: MockSlackWebAPI, n: int, start: dt.datetime) -> list[Event]:
    """`n` questions in the four account channels: most from the Meta integration, every fifth from a person."""
    channels = ["konto-facebook", "konto-instagram", "konto-linkedin", "konto-bibliotek"]
    events = []
    for i in range(n):
        channel = api.channels[channels[i % len(channels)]]
        ts = f"{int(start.timestamp())}.{i + 1:06d}"
        event = {"type": "message", "channel": channel, "ts": ts, "event_ts": ts, "channel_type": "channel",
                 "text": f"Fråga {i:03d}: när öppnar återvinningscentralen i Norrby efter jul?"}
        if i % 5 == 4:
            event["user"] = api.users["lena@example.se"]
        else:
            event |= {"subtype": "bot_message", "bot_id": "B0META", "username": "Meta"}
        body = json.dumps({"token": "legacy", "team_id": TEAM_ID, "api_app_id": APP_ID, "type": "event_callback",
                           "event_id": f"Ev{i:08d}", "event_time": int(start.timestamp()), "event": event,
                           "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]})
        events.append(Event(f"Ev{i:08d}", f"{channel}:{ts}", body))
    return events


def deliver(base: str, event: Event, now: dt.datetime, retry: int | None = None) -> int | None:
    """POST one event the way Slack does (signed now); the status, or None when no answer came."""
    headers = {k: v[0] for k, v in signed_headers(event.body, int(now.timestamp()),
                                                  content_type="application/json").items()}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
    req = urllib.request.Request(base + "/slack/events", data=event.body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def outbox(bots: Bots) -> list[dict]:
    return [{"id": i, "kind": k, "target": t, "status": s, "message": Message.from_json(m)}
            for i, k, t, s, m in bots.query("SELECT id, kind, target, status, message FROM outbox ORDER BY id")]


def line(message: Message) -> str:
    """How a message's text shows in Slack, alone or as a line of a digest."""
    return render(Message(kind=message.kind, to=message.to, text=message.text), user_ids={})[0]


def posted_copies(row: dict, posts: list[dict], api: MockSlackWebAPI) -> list[dict]:
    """The posts Slack accepted that carry this outbox row (alone, or as a line of a digest)."""
    msg: Message = row["message"]
    if msg.to_channel:
        channel = api.channels[msg.to.lstrip("#")]
        text = render(msg, user_ids=api.users)[0]
        return [p for p in posts if p["channel"] == channel and p["text"] == text]
    dm = api.dm_channel(api.users[msg.to])
    return [p for p in posts if p["channel"] == dm and line(msg) in p["text"]]


# --------------------------------------------------------------------------- crash


def test_a_killed_bot_loses_nothing_and_repeats_nothing(bots, api):
    """Every acknowledged event stored exactly once; no prompt or nudge lost or sent twice across a SIGKILL."""
    try:
        lost = crash_scenario(bots, api)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n\nerrors in the bots' logs:\n{bots.errors()}") from exc
    assert not lost, f"events remembered in events_seen but never stored: {sorted(lost)}"
    assert not bots.shared_connection_race()  # no write landed in another thread's transaction


def crash_scenario(bots: Bots, api: ScriptedAPI) -> set[str]:
    """The crash scenario; returns the events lost in the claim window (see the test)."""
    events = message_events(api, BURST, MONDAY_0820)

    # ------------------------------------------------ 1. a burst, killed after KILL_AFTER_ACKS acknowledgements
    first = bots.start()
    # The inbox's worker is held at the first person's post (it asks Slack who wrote it), so the kill lands while
    # acknowledged events wait in the inbox unprocessed (issue 17): they must become items after the restart.
    asked, let_go_users = threading.Event(), threading.Event()

    def hold_users_info(method: str, params: dict):
        if method == "users.info" and not let_go_users.is_set():
            asked.set()
            let_go_users.wait(DEADLINE)
        return None

    api.hook = hold_users_info
    status: dict[str, int | None] = {}
    acked = threading.Semaphore(0)

    def send(event: Event) -> None:
        status[event.event_id] = code = deliver(first.base, event, bots.now())
        if code == 200:
            acked.release()

    pace = threading.Event()  # set at the kill: the rest of the burst is sent at once (to a dead port)

    def paced() -> None:  # acknowledgements are fast now (issue 17): send at Slack's pace so the kill lands mid-burst
        for event in events:
            pool.submit(send, event)
            pace.wait(0.02)

    with ThreadPoolExecutor(4) as pool:
        sender = threading.Thread(target=paced)
        sender.start()
        try:
            for _ in range(KILL_AFTER_ACKS):
                assert acked.acquire(timeout=DEADLINE)
            assert asked.wait(DEADLINE), "the inbox's worker never reached the first person's post"
        finally:
            bots.kill()  # the rest of the burst meets a dead port at once
            pace.set()
            sender.join(DEADLINE)
    let_go_users.set()
    api.hook = None
    acked_first = {e.event_id for e in events if status[e.event_id] == 200}
    assert KILL_AFTER_ACKS <= len(acked_first) < BURST, "the kill should land mid-burst"
    at_kill = snapshot(bots)
    by_id = {e.event_id: e for e in events}
    # acknowledged = committed (an item, or a stored event in the inbox), even under SIGKILL
    assert {i for i in acked_first if by_id[i].external_id not in at_kill.items} <= at_kill.inbox
    assert at_kill.unprocessed, "the kill should land while acknowledged events wait in the inbox"
    print(f"\nburst 1: {len(acked_first)} of {BURST} acknowledged before the kill, {len(at_kill.unprocessed)} of "
          f"them still unprocessed in the inbox")

    # ------------------------------------------------ 2. restart; Slack retries; the 08:30 prompts fall due
    bots.set_clock(local(2026, 12, 7, 8, 31))
    second = bots.start()
    retried = [e for e in events if status[e.event_id] != 200] + [by_id[i] for i in sorted(acked_first)[:10]]
    answers = [deliver(second.base, e, bots.now(), retry=1) for e in retried]
    assert answers == [200] * len(retried), (answers, second.stderr.read_text()[-3000:])
    bots.drain()
    prompts = [r for r in outbox(bots) if r["kind"] == "oversight_prompt"]
    assert sorted(r["target"] for r in prompts) == ["#konto-bibliotek", "#konto-facebook", "#konto-instagram",
                                                    "#konto-linkedin"]

    # ------------------------------------------------ 3. the first nudges; killed while one is on its way to Slack
    on_its_way, let_go = threading.Event(), threading.Event()

    def hold_the_first_direct_message(method: str, params: dict):
        if method == "chat.postMessage" and str(params.get("channel", "")).startswith("D") and not let_go.is_set():
            on_its_way.set()
            let_go.wait(DEADLINE)
            return 500, {"ok": False, "error": "internal_error"}, {}  # the process died: Slack never got it
        return None

    api.hook = hold_the_first_direct_message
    before_nudges = len(outbox(bots))
    bots.set_clock(local(2026, 12, 7, 12, 55))  # after the 12:00 reminders and the first nudges (12:50)
    assert on_its_way.wait(DEADLINE), "no reminder went out"
    bots.kill()
    let_go.set()
    api.hook = None
    second_kill = snapshot(bots)
    assert len(second_kill.outbox) > before_nudges

    # ------------------------------------------------ 4. restart again: what was queued goes out, nothing twice
    bots.set_clock(local(2026, 12, 7, 12, 56))
    bots.start()
    for e in [by_id[i] for i in sorted(acked_first)[-5:]]:  # late retries of long-acknowledged events
        assert deliver(bots.current.base, e, bots.now(), retry=2) == 200
    bots.drain()
    assert get(bots.current.base + "/healthz") == (200, "ok")

    # ------------------------------------------------ what must hold
    rows = outbox(bots)
    items = {r[0]: r[1] for r in bots.query("SELECT external_id, COUNT(*) FROM items WHERE source = 'slack' "
                                            "GROUP BY external_id")}
    lost_in_claim_window = {e.event_id for e in events if e.event_id in at_kill.seen
                            and e.external_id not in at_kill.items and e.external_id not in items}
    expected = {e.external_id for e in events if e.event_id not in lost_in_claim_window}
    assert set(items) == expected and set(items.values()) == {1}  # every event stored, once
    assert {r["status"] for r in rows} == {"sent"}
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["oversight_prompt"] == 4 and kinds["nudge"] > 0, kinds
    # the scheduler decided each thing once, across three processes and two kills
    twice = [k for k, n in Counter((r["kind"], r["target"], r["message"].text) for r in rows).items() if n > 1]
    assert not twice, [(r["id"], r["kind"], r["target"]) for r in rows
                       if (r["kind"], r["target"], r["message"].text) in twice]
    assert Counter(r["message"].item for r in rows if r["kind"] == "nudge").most_common(1)[0][1] == 1
    cards = Counter(r["message"].item for r in rows if r["kind"] == "item")
    assert cards and cards.most_common(1)[0][1] == 1  # one card per item

    # ... and Slack shows each exactly once, except a message Slack may have taken as the process died
    messages = api.accepted()
    in_flight = {r["id"] for kill in (at_kill, second_kill) for r in rows
                 if r["id"] in kill.outbox and kill.outbox[r["id"]] == "pending"
                 and r["message"].card not in kill.cards and len(posted_copies(r, kill.messages, api)) > 0}
    repeated = []
    for r in rows:
        if r["kind"] == "item_updated":
            continue  # an update edits the card in place
        copies = len(posted_copies(r, messages, api))
        assert copies >= 1, f"outbox {r['id']} ({r['kind']} to {r['target']}) never reached Slack"
        if copies > 1:
            repeated.append(r["id"])
    # At most one Slack message per kill: a digest (issue 16 folds assignments too) carries several rows in one post
    row_by_id = {r["id"]: r for r in rows}
    repeated_posts = {(p["channel"], p["text"]) for i in repeated for p in posted_copies(row_by_id[i], messages, api)}
    assert set(repeated) <= in_flight and len(repeated_posts) <= 2, (repeated, in_flight, len(repeated_posts))
    nudges = [r for r in rows if r["kind"] == "nudge"]
    assert all(len(posted_copies(r, messages, api)) == 1 for r in nudges)  # the nudge held at the kill: once
    print(f"outbox: {dict(kinds)}; Slack: {len(messages)} messages; "
          f"sent again after a kill because Slack may have had them: "
          f"{[(i, next(r['kind'] for r in rows if r['id'] == i)) for i in repeated] or 'none'}")
    for run in bots.runs:
        records = [json.loads(x) for x in run.stderr.read_text().splitlines() if x.startswith("{")]
        assert not [r for r in records if r["level"] == "ERROR" and "tick failed" in r["message"]]
    return lost_in_claim_window


@dataclass
class Snapshot:
    items: set[str]
    seen: set[str]
    inbox: set[str]  # event ids stored in the inbox
    unprocessed: set[str]  # … and not yet processed
    outbox: dict[int, str]
    cards: set[str]
    messages: list[dict]


def snapshot(bots: Bots) -> Snapshot:
    """The database as the dead process left it, and what Slack held at that moment."""
    return Snapshot(
        items={r[0] for r in bots.query("SELECT external_id FROM items WHERE source = 'slack'")},
        seen={r[0] for r in bots.query("SELECT event_id FROM events_seen")},
        inbox={r[0] for r in bots.query("SELECT event_id FROM inbox")},
        unprocessed={r[0] for r in bots.query("SELECT event_id FROM inbox WHERE processed_at IS NULL")},
        outbox=dict(bots.query("SELECT id, status FROM outbox")),
        cards={r[0] for r in bots.query("SELECT card FROM chat_messages")},
        messages=bots.api.accepted(),
    )


def test_claim_window(bots, api):
    """A SIGKILL while an event is being handled, before its item is committed. Since the inbox (issue 17) the
    event was acknowledged when it was stored, so Slack will not retry it: the restart processes it from the
    inbox; a retry that comes anyway adds nothing (an event is remembered in events_seen only after its work is
    committed, and the inbox keeps one row per event id)."""
    [event] = message_events(api, 5, MONDAY_0820)[4:]  # a person's post: the listener asks users.info who wrote it
    asked, answered = threading.Event(), threading.Event()

    def slow_users_info(method: str, params: dict):
        if method == "users.info" and not answered.is_set():
            asked.set()
            answered.wait(DEADLINE)
        return None

    bots.start()
    api.hook = slow_users_info
    result: list[int | None] = []
    sender = threading.Thread(target=lambda: result.append(deliver(bots.current.base, event, bots.now())))
    sender.start()
    assert asked.wait(DEADLINE)
    bots.kill()
    answered.set()
    api.hook = None
    sender.join(DEADLINE)
    assert result == [200]  # acknowledged: it was stored in the inbox before the work began
    at_kill = snapshot(bots)
    assert at_kill.seen == set()  # nothing was remembered for an event whose work never committed
    assert at_kill.unprocessed == {event.event_id} and at_kill.items == set()
    bots.start()  # the stored event is processed at start-up, without any retry
    assert poll(lambda: bots.query("SELECT COUNT(*) FROM items WHERE external_id = ?", (event.external_id,))[0][0])
    assert deliver(bots.current.base, event, bots.now(), retry=1) == 200
    assert poll(lambda: not bots.pending())
    assert bots.query("SELECT COUNT(*) FROM items WHERE external_id = ?", (event.external_id,))[0][0] == 1
    assert bots.query("SELECT COUNT(*), COUNT(processed_at) FROM inbox") == [(1, 1)]


def test_a_delivery_never_writes_into_another_threads_transaction(settings, api, tmp_path):
    """Deliveries run outside the bot's lock, but SlackChat's own SQL takes it: its write waits for another
    thread's open transaction instead of landing in it (and being lost with its rollback)."""
    h = Harness(settings, local(2026, 12, 7, 9, 0), db=tmp_path / "u.db")
    h.bot.chat = SlackChat.for_bot(WebClient(token=api.token, base_url=api.base_url, retry_handlers=[], timeout=5),
                                   h.bot)
    with h.bot.db.atomic():
        h.ctx.emit(Message(kind="item", to="#konto-facebook", text="Ärende 1: När öppnar simhallen?", item=1,
                           card="item:1"))
    posting, answered = threading.Event(), threading.Event()

    def slack_thinks(method: str, params: dict):
        if method == "chat.postMessage":
            posting.set()
            answered.wait(DEADLINE)
        return None

    api.hook = slack_thinks
    flusher = threading.Thread(target=h.bot.flush)  # the outbox thread, as in HTTP mode
    flusher.start()
    assert posting.wait(DEADLINE)

    def card_remembered() -> int:
        return h.bot.db.execute("SELECT COUNT(*) FROM chat_messages WHERE card = 'item:1'").fetchone()[0]

    with h.bot.lock:  # meanwhile an entry point (an intake, a tick) has its transaction open, and then fails
        try:
            with h.bot.db.atomic():
                h.bot.db.execute("INSERT INTO state (key, value) VALUES ('probe', '1')")
                answered.set()
                time.sleep(0.5)  # Slack has answered; the delivery now wants to remember the card
                assert card_remembered() == 0  # … and waits for the lock instead of writing into this transaction
                raise RuntimeError("the entry point fails: its transaction rolls back")
        except RuntimeError:
            pass
    flusher.join(DEADLINE)
    assert h.bot.db.execute("SELECT status FROM outbox").fetchall() == [("sent",)]
    assert not h.bot.db.conn.in_transaction
    assert card_remembered() == 1  # else the card's next update posts a second card instead of editing it


# --------------------------------------------------------------------------- Slack outage in simulated time


@dataclass
class Outage:
    """Time-windowed failures for every Web API method: (start, end, status, retry_after)."""

    clock: object
    windows: list[tuple[dt.datetime, dt.datetime, int, int | None]]
    calls: list[tuple[str, str, dt.datetime, int, int | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, method: str, params: dict):
        now = self.clock.now()
        key = str(params.get("channel", "")) if method == "chat.postMessage" else ""
        for start, end, status, retry_after in self.windows:
            if start <= now < end:
                with self.lock:
                    self.calls.append((method, key, now, status, retry_after))
                headers = {"Retry-After": str(retry_after)} if retry_after else {}
                error = "ratelimited" if status == 429 else "service_unavailable"
                return status, {"ok": False, "error": error}, headers
        with self.lock:
            self.calls.append((method, key, now, 200, None))
        return None


def test_a_long_outage_then_rate_limiting_is_ridden_out_in_order_within_the_limits(settings, api):
    """Monday 07:00–10:30 every call gets HTTP 500, 10:30–12:00 HTTP 429 with Retry-After: 120; Wednesday
    09:00–09:20 another 500 spell. The ordinary week plays on throughout."""
    h = Harness(settings, local(2026, 12, 7, 7, 0))
    client = WebClient(token=api.token, base_url=api.base_url, retry_handlers=[], timeout=5)
    chat = RecordingSlackChat.for_bot(client, h.bot)
    h.bot.chat = chat
    windows = [(local(2026, 12, 7, 7, 0), local(2026, 12, 7, 10, 30), 500, None),
               (local(2026, 12, 7, 10, 30), local(2026, 12, 7, 12, 0), 429, 120),
               (local(2026, 12, 9, 9, 0), local(2026, 12, 9, 9, 20), 500, None)]
    outage = Outage(h.clock, windows)
    api.hook = outage
    play(h, SCENARIOS / "ordinary-week.toml")

    # everything delivered, nothing given up on
    assert {r["status"] for r in h.bot.db.query("SELECT status FROM outbox")} == {"sent"}
    failures = [c for c in outage.calls if c[3] != 200]
    assert {c[3] for c in failures} == {500, 429} and len(failures) > 10
    # in order and once per channel, the cards updated in place …
    for target, texts in expected_channel_texts(h, api.users).items():
        assert [m["text"] for m in api.posted(api.channels[target.lstrip("#")])] == texts, target
    # … and per person, in the order the outbox delivered them
    delivered: dict[str, list[str]] = defaultdict(list)
    for message in chat.delivered:
        if not message.to_channel:
            delivered[message.to].append(render(message, user_ids=api.users)[0])
    for email, texts in delivered.items():
        assert [m["text"] for m in api.posted(api.dm_channel(api.users[email]))] == texts, email
    # what was due during the outage went out soon after it: the morning's by 12:06
    sent_at = dict(h.bot.db.execute("SELECT id, sent_at FROM outbox").fetchall())
    morning = [i for i, created in h.bot.db.execute("SELECT id, created_at FROM outbox") if
               created < local(2026, 12, 7, 12, 0).timestamp()]
    assert morning and max(sent_at[i] for i in morning) <= local(2026, 12, 7, 12, 6).timestamp()

    # within the limits: no call before its Retry-After, and Slack's per-channel rate for chat.postMessage
    held: dict[tuple[str, str], dt.datetime] = {}
    for method, key, at, code, retry_after in outage.calls:
        until = held.get((method, key))
        assert until is None or at >= until, f"{method} {key} at {at:%H:%M:%S}, held until {until:%H:%M:%S}"
        if code == 429:
            held[(method, key)] = at + dt.timedelta(seconds=retry_after)
    rate = RATES["chat.postMessage"]
    per_channel: dict[str, list[float]] = defaultdict(list)
    for method, key, at, _, _ in outage.calls:
        if method == "chat.postMessage":
            per_channel[key].append(at.timestamp())
    for key, times in per_channel.items():
        for i in range(len(times)):
            for j in range(i + 1, len(times)):
                assert j - i + 1 <= rate.burst + (times[j] - times[i]) * rate.per_second, key
    # and the back-off kept the outage quiet: after 2, 4, … 256 s, one try per waiting target per five minutes
    spell = (local(2026, 12, 7, 7, 0), local(2026, 12, 7, 10, 30))
    during = sum(1 for _, _, at, code, _ in outage.calls if code == 500 and spell[0] <= at < spell[1])
    waiting = h.bot.db.execute("SELECT COUNT(DISTINCT target) FROM outbox WHERE created_at < ?",
                               [int(spell[1].timestamp())]).fetchone()[0]
    per_target = during / waiting
    assert per_target <= (spell[1] - spell[0]).total_seconds() / 300 + 10, (during, waiting)
    print(f"\noutage: {len(failures)} failed calls ({dict(Counter(c[3] for c in failures))}), "
          f"{len(outage.calls) - len(failures)} good ones; {per_target:.0f} tries per waiting target in the "
          f"3.5 h of HTTP 500; max attempts for one message "
          f"{h.bot.db.execute('SELECT MAX(attempts) FROM outbox').fetchone()[0]}")


# --------------------------------------------------------------------------- disk full under a Slack event


def fill_every_page(db, now: int) -> None:
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    for n in range(100_000):  # claims older than a day are pruned by the next event, so these are "now"
        try:
            with db.atomic():
                db.execute("INSERT INTO events_seen (event_id, at) VALUES (?, ?)", [f"fill-{n:08d}" + "x" * 200, now])
        except sqlite3.OperationalError as exc:
            assert exc.sqlite_errorname == "SQLITE_FULL"
            return
    raise AssertionError("the database never filled up")


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
def test_a_failing_database_fails_the_event_so_slack_retries_it_and_the_retry_is_stored_once(slack, fault):
    s = slack()
    db = s.bot.db
    if fault == "disk full":
        fill_every_page(db, s.now())
    else:
        db.execute("PRAGMA query_only = ON")
    items, outbox_rows = db["items"].count, db["outbox"].count
    text = "När öppnar återvinningscentralen efter jul? " + "Jag undrar verkligen. " * 100
    resp, ts = s.message("konto-facebook", text, integration="Meta", event_id="EvFULL")
    assert resp.status == 500  # not acknowledged: Slack retries
    assert (db["items"].count, db["outbox"].count) == (items, outbox_rows)
    assert db.execute("SELECT COUNT(*) FROM events_seen WHERE event_id = 'EvFULL'").fetchone()[0] == 0
    db.execute("PRAGMA max_page_count = 1073741823")  # space freed …
    db.execute("PRAGMA query_only = OFF")  # … or the file system writable again
    for retry in (1, 2):
        resp, _ = s.message("konto-facebook", text, integration="Meta", event_id="EvFULL", retry=retry, ts=ts)
        assert resp.status == 200
    assert db.execute("SELECT COUNT(*) FROM items WHERE source = 'slack'").fetchone()[0] == 1
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
