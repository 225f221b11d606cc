"""Issue 17 point 2: an outbox that does not grow with its backlog.

A queue per target with an in-memory wait per target (rate limit, Retry-After, back-off), so a wake-up reads
only what may be sent now; the message the core made is sent without decoding its JSON again; delivered rows
are marked in batches; sent rows are deleted after `municipality.sent_messages_days`, never a waiting or
failed one. The guarantees of before (order per target, digests, nothing sent twice, delivery stops while the
database cannot be written, clock steps) are kept: see also test_robust_*.py, test_outbox_jump.py and
tests/perf/test_perf_changes.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest

from bot import outbox as outbox_module
from bot.bootstrap import build
from bot.clock import FakeClock
from bot.messages import Action, Message
from bot.outbox import DIGEST_WINDOW, ChatError, RecordingChat
from bot.settings import DEFAULT_CONFIG, check_config
from tests.conftest import Harness, local
from tests.clocks import SteppedClock

MONDAY = local(2026, 12, 7, 9, 0)
PERSON = "lena@example.se"


class Limited:
    """A chat port at its rate limit for some targets (as SlackChat's token buckets say); records the rest."""

    digests = True

    def __init__(self, refuse: set[str], retry_after: float = 600):
        self.refuse, self.retry_after, self.sent = set(refuse), retry_after, []

    def send(self, message: Message) -> None:
        if message.to in self.refuse:
            raise ChatError("chat.postMessage: Uppsikt's own rate limit", retry_after=self.retry_after)
        self.sent.append(message)


def card(i: int, to: str = "#konto-instagram") -> Message:
    return Message(kind="item", to=to, text=f"Ärende {i}: När öppnar återvinningscentralen efter jul?", item=i,
                   account="instagram", actions=(Action("take", "Jag tar den", str(i)),), card=f"item:{i}")


def queue_directly(h: Harness, messages: list[Message]) -> None:
    """Rows written by SQL alone (as a restart finds them): the outbox learns of them from the table."""
    now = h.bot.now_ts()
    with h.bot.lock, h.bot.db.conn:
        h.bot.db.conn.executemany(
            "INSERT INTO outbox (created_at, kind, target, account_id, item_id, message, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending')", [(now, m.kind, m.to, m.account, m.item, m.to_json()) for m in messages])


class Steps:
    """Counts SQLite virtual-machine steps: the work of every statement, including the rows it scans."""

    def __init__(self, conn):
        self.conn, self.count = conn, 0

    def __enter__(self):
        def step() -> int:
            self.count += 1
            return 0

        self.conn.set_progress_handler(step, 1)
        return self

    def __exit__(self, *exc) -> None:
        self.conn.set_progress_handler(None, 1)


def work_per_wake_up(settings, waiting: int) -> tuple[int, int]:
    """VM steps of (an event's wake-up that delivers its one message, a wake-up with nothing new), with `waiting`
    rows queued for a target that must wait."""
    h = Harness(settings, MONDAY)
    chat = h.bot.chat = Limited({"#konto-instagram"})
    h.bot.flush()
    queue_directly(h, [card(i) for i in range(waiting)])
    h.bot.flush()  # tried once, refused: it waits for 600 s
    assert chat.sent == [] and "#konto-instagram" in h.bot.outbox.waiting()
    with h.bot.lock, h.bot.db.atomic():
        h.bot.ctx.emit(Message(kind="reply", to="#konto-facebook", text="Svar på ärende 1"))
    with Steps(h.bot.db.conn) as event:
        assert h.bot.flush() == 1
    with Steps(h.bot.db.conn) as idle:
        assert h.bot.flush() == 0
    assert [m.text for m in chat.sent] == ["Svar på ärende 1"]
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == waiting
    return event.count, idle.count


def test_a_wake_up_costs_as_much_with_5000_rows_waiting_for_a_blocked_target_as_with_10(settings):
    few = work_per_wake_up(settings, 10)
    many = work_per_wake_up(settings, 5000)
    # Before issue 17 point 2 every wake-up read the whole waiting queue: thousands of steps more at 5,000
    assert many[0] <= few[0] * 1.1 + 20, (few, many)
    assert many[1] <= few[1] * 1.1 + 20, (few, many)


def test_a_blocked_target_is_tried_again_when_its_wait_ends_and_sends_in_order(settings):
    h = Harness(settings, MONDAY)
    chat = h.bot.chat = Limited({"#konto-instagram"}, retry_after=30)
    h.bot.flush()
    queue_directly(h, [card(i) for i in range(40)])
    h.bot.flush()
    assert chat.sent == []
    h.clock.advance(dt.timedelta(seconds=29))
    chat.refuse.clear()
    h.bot.flush()
    assert chat.sent == []  # 29 s of its 30: it still waits, and nobody asked the chat platform
    h.clock.advance(dt.timedelta(seconds=1))
    assert h.bot.flush() == 40
    assert [m.item for m in chat.sent] == list(range(40))


@pytest.mark.parametrize("step", [dt.timedelta(minutes=10), dt.timedelta(days=1)], ids=["10 minutes", "a day"])
@pytest.mark.parametrize("monotonic", [True, False], ids=["injected monotonic", "wall clock only"])
def test_a_wait_in_memory_lasts_its_time_across_a_clock_stepped_back(settings, monotonic, step):
    clock = SteppedClock(MONDAY, monotonic)
    chat = Limited({"#konto-facebook"}, retry_after=60)
    bot = build(settings, clock=clock, db=None, chat=chat)
    bot.flush()
    with bot.lock:
        bot.ctx.emit(Message(kind="oversight_prompt", to="#konto-facebook", text="Dags för tillsyn"))
    bot.flush()  # Retry-After 60 s
    chat.refuse.clear()
    clock.at -= step  # NTP steps the wall clock back
    bot.flush()
    clock.tick(30)
    bot.flush()
    assert chat.sent == []  # 30 s of its 60: it waits, whatever the wall clock says
    clock.tick(31)
    bot.flush()
    # Before: a step back shorter than the longest back-off (an hour) held the message back for as long as the step
    assert [m.text for m in chat.sent] == ["Dags för tillsyn"]


def test_many_events_are_served_by_one_wake_up(settings, tmp_path):
    h = Harness(settings, MONDAY, db=tmp_path / "uppsikt.db")
    h.bot.flush()
    first_send, let_go = threading.Event(), threading.Event()
    sent: list[str] = []

    class Slow:
        def send(self, message: Message) -> None:
            first_send.set()
            assert let_go.wait(10)
            sent.append(message.text)

    h.bot.chat = Slow()
    wake_ups = []
    real = h.bot.outbox.flush
    h.bot.outbox.flush = lambda: wake_ups.append(1) or real()
    h.bot.deliver_in_background()
    with h.bot.lock:
        h.bot.ctx.emit(Message(kind="reply", to="#konto-facebook", text="0"))
    h.bot.deliver()
    assert first_send.wait(10)
    for n in range(1, 51):  # 50 events while the delivery thread waits on the chat platform
        with h.bot.lock:
            h.bot.ctx.emit(Message(kind="reply", to="#konto-facebook", text=str(n)))
        h.bot.deliver()
    let_go.set()
    for _ in range(500):
        if len(sent) == 51 and not h.bot.wake.is_set():
            break
        threading.Event().wait(0.02)
    assert sent == [str(n) for n in range(51)]
    assert len(wake_ups) <= 3, len(wake_ups)


def test_the_message_the_core_queued_is_sent_without_decoding_it_again(settings, monkeypatch):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    h.clear()
    decoded = []
    real = Message.from_json.__func__
    monkeypatch.setattr(Message, "from_json", classmethod(lambda cls, text: decoded.append(text) or real(cls, text)))
    with h.bot.lock, h.bot.db.atomic():
        for i in range(5):
            h.bot.ctx.emit(card(i, "#konto-facebook"))
    h.bot.flush()
    assert [m.item for _, m in h.chat.sent] == list(range(5)) and decoded == []


def test_a_row_that_took_the_id_of_a_rolled_back_message_is_sent_as_stored(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    h.clear()
    with h.bot.lock, h.bot.db.atomic():
        try:
            with h.bot.db.atomic():  # a unit of the tick that fails (bot/core/isolation.py) rolls back its messages
                h.bot.ctx.emit(Message(kind="reply", to="#konto-facebook", text="tillbakarullad"))
                raise RuntimeError("the unit failed")
        except RuntimeError:
            pass
        # the next row gets the same id, written without Context.emit (as a platform write's row is)
        h.bot.ctx.insert("outbox", {"created_at": h.bot.now_ts(), "kind": "reply", "target": "#konto-facebook",
                                    "message": Message(kind="reply", to="#konto-facebook", text="kvar").to_json()})
    h.bot.flush()
    assert [m.text for _, m in h.chat.sent] == ["kvar"]


def test_a_row_given_the_id_of_an_erased_one_is_found(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    with h.bot.lock, h.bot.db.atomic():
        h.bot.ctx.emit(Message(kind="reply", to="#konto-facebook", text="först"))
        h.bot.ctx.emit(Message(kind="reply", to="#konto-instagram", text="raderas sedan"))
    h.bot.flush()
    h.clear()
    with h.bot.lock, h.bot.db.atomic():  # `uppsikt forget` erases the newest row, and a new one takes its id
        newest = h.bot.db.execute("SELECT MAX(id) FROM outbox").fetchone()[0]
        h.bot.db.execute("DELETE FROM outbox WHERE id = ?", [newest])
        h.bot.ctx.emit(Message(kind="reply", to="#konto-linkedin", text="ny"))
    assert h.bot.db.execute("SELECT MAX(id) FROM outbox").fetchone()[0] == newest
    h.bot.flush()
    assert [m.text for _, m in h.chat.sent] == ["ny"]


def test_an_in_process_port_gets_its_rows_marked_in_one_transaction(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    with h.bot.lock, h.bot.db.atomic():
        for i in range(60):
            h.bot.ctx.emit(card(i, ("#konto-facebook", "#konto-instagram", "#kommunikation")[i % 3]))
    marks = []
    h.bot.db.conn.set_trace_callback(lambda sql: marks.append(sql) if sql.startswith("UPDATE outbox SET status = 'sent'")
                                     else None)
    try:
        assert h.bot.flush() == 60
    finally:
        h.bot.db.conn.set_trace_callback(None)
    assert 1 <= len(marks) <= 2, len(marks)  # the wake-up's first (is the database writable?), then the rest at once
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0


def test_a_burst_of_assignments_to_one_person_reaches_them_whole_in_digests(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = Limited(set())
    count = DIGEST_WINDOW * 2 + 17
    texts = [f"Nytt ärende {i} till dig: När öppnar återvinningscentralen efter jul? #{i}" for i in range(count)]
    with h.bot.lock, h.bot.db.atomic():
        for i, text in enumerate(texts):
            h.bot.ctx.emit(Message(kind="assignment", to=PERSON, text=text, item=i,
                                   actions=(Action("take", "Jag tar den", str(i)),)))
    assert h.bot.flush() == count
    everything = "\n".join(m.text for m in chat.sent)
    assert all(everything.count(f"{t}\n") + everything.endswith(t) == 1 for t in texts)
    assert all(len(m.text) <= 4000 for m in chat.sent)
    first = chat.sent[0].text.splitlines()[0]
    assert first == f"Du har {count} påminnelser från Uppsikt (del 1, fler kommer):", first
    assert len(chat.sent) < count // 5  # folded: at most ten buttons a message, so at least five a message


def old_and_new_rows(h: Harness) -> dict[str, int]:
    now = h.bot.now_ts()
    day = 86400
    rows = {"sent 31 days ago": ("sent", now - 31 * day), "sent 29 days ago": ("sent", now - 29 * day),
            "waiting for 100 days": ("pending", None), "failed 100 days ago": ("failed", None)}
    ids = {}
    with h.bot.lock, h.bot.db.atomic():
        for name, (status, sent_at) in rows.items():
            ids[name] = h.bot.ctx.insert("outbox", {
                "created_at": now - 100 * day, "kind": "reply", "target": "#konto-facebook", "status": status,
                "sent_at": sent_at, "attempts": 1, "message": Message(kind="reply", to="#konto-facebook",
                                                                    text=name).to_json(),
                "next_attempt_at": now + 10**6 if status == "pending" else 0})  # waiting on purpose, far ahead
    return ids


def test_sent_rows_are_deleted_after_the_retention_and_no_other_row(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    ids = old_and_new_rows(h)
    h.clock.advance(dt.timedelta(days=1))  # the clean-up runs once a day
    h.bot.flush()
    left = {i for (i,) in h.bot.db.execute("SELECT id FROM outbox")}
    assert ids["sent 31 days ago"] not in left
    assert {ids["sent 29 days ago"], ids["waiting for 100 days"], ids["failed 100 days ago"]} <= left
    # once a day: a row that turns 30 days old later that day stays until the next day's clean-up
    h.clock.advance(dt.timedelta(hours=1))
    with h.bot.lock, h.bot.db.atomic():
        h.bot.db.execute("UPDATE outbox SET sent_at = ? WHERE id = ?",
                         [h.bot.now_ts() - 40 * 86400, ids["sent 29 days ago"]])
    h.bot.flush()
    assert h.bot.db.execute("SELECT 1 FROM outbox WHERE id = ?", [ids["sent 29 days ago"]]).fetchone()
    h.clock.advance(dt.timedelta(days=1))
    h.bot.flush()
    assert not h.bot.db.execute("SELECT 1 FROM outbox WHERE id = ?", [ids["sent 29 days ago"]]).fetchone()


def test_the_retention_is_the_configured_one_and_the_clean_up_goes_in_batches(settings, monkeypatch):
    monkeypatch.setattr(outbox_module, "CLEANUP_BATCH", 10)
    monkeypatch.setattr(outbox_module, "CLEANUP_BATCHES_PER_WAKE", 2)
    settings = dataclasses.replace(settings, municipality=dataclasses.replace(settings.municipality,
                                                                              sent_messages_days=7))
    h = Harness(settings, MONDAY)
    h.bot.flush()
    now = h.bot.now_ts()
    with h.bot.lock, h.bot.db.conn:
        h.bot.db.conn.executemany(
            "INSERT INTO outbox (created_at, kind, target, message, status, sent_at) VALUES (?, 'reply', ?, '{}', 'sent', ?)",
            [(now, "#konto-facebook", now - (8 if i < 45 else 3) * 86400) for i in range(50)])
    statements = []
    h.bot.db.conn.set_trace_callback(lambda sql: statements.append(sql) if sql.startswith("DELETE FROM outbox") else None)
    left = []
    try:
        for _ in range(4):
            h.clock.advance(dt.timedelta(days=1) if not left else dt.timedelta(minutes=1))
            h.bot.flush()
            left.append(h.bot.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    finally:
        h.bot.db.conn.set_trace_callback(None)
    # 45 rows older than 7 days, 10 a transaction, two transactions a wake-up, then done for the day
    assert left == [30, 10, 5, 5], left
    assert len(statements) == 5


def test_sent_messages_days_is_checked(tmp_path):
    base = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert "sent_messages_days = 30" in base
    for value, wrong in (("0", "måste vara minst 1"), ('"30 dagar"', "fel typ"), ("100000", "får vara högst 36500")):
        path = tmp_path / "k.toml"
        path.write_text(base.replace("sent_messages_days = 30", f"sent_messages_days = {value}"), encoding="utf-8")
        settings, problems = check_config(path)
        assert settings is None and [p.key for p in problems] == ["municipality.sent_messages_days"], problems
        assert wrong in problems[0].message
    path.write_text(base.replace("sent_messages_days = 30", "sent_messages_days = 90"), encoding="utf-8")
    settings, problems = check_config(path)
    assert problems == [] and settings.municipality.sent_messages_days == 90
    path.write_text(base.replace("sent_messages_days = 30", ""), encoding="utf-8")
    assert check_config(path)[0].municipality.sent_messages_days == 30


def test_recording_chat_marks_in_batches():
    assert RecordingChat.marks_in_batches is True


def test_the_kept_messages_of_rows_that_never_were_are_dropped_once_a_day(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    with h.bot.lock, h.bot.db.atomic():
        try:
            with h.bot.db.atomic():
                for i in range(3):
                    h.bot.ctx.emit(card(i, "#konto-facebook"))
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        h.bot.ctx.emit(card(9, "#konto-instagram"))
    h.bot.outbox.chat = None  # nothing is delivered meanwhile: the kept message of the waiting row stays
    # The rollback dropped what the rolled-back part had kept (Context.forget_derived, issue 17 point 3): only
    # the waiting row's message is kept (before, the two others were kept for nothing until the daily drop).
    assert len(h.bot.outbox.memo) == 1
    h.bot.outbox.chat = h.chat
    h.clock.advance(dt.timedelta(days=1))
    h.bot.chat = Limited({"#konto-instagram"})
    h.bot.flush()
    assert h.bot.outbox.memo.ids() == [h.bot.db.execute("SELECT MAX(id) FROM outbox").fetchone()[0]]


def test_a_wait_ends_on_the_second_the_database_names(settings):
    """The tick, the simulator and the soak test read `next_attempt_at` (whole seconds) to know when the outbox can
    go on: the wait in memory must end then too, not a fraction of a second later (a clock that moves on only when
    the database says nothing is due would never reach that fraction)."""
    clock = FakeClock(MONDAY + dt.timedelta(seconds=0.95))
    chat = Limited({"#konto-facebook"}, retry_after=1)
    bot = build(settings, clock=clock, db=None, chat=chat)
    bot.flush()
    with bot.lock:
        bot.ctx.emit(Message(kind="oversight_prompt", to="#konto-facebook", text="Dags för tillsyn"))
    bot.flush()
    chat.refuse.clear()
    clock.advance(dt.timedelta(seconds=0.87))  # 09:00:01.82: the row's retry time, 09:00:01, has come
    due = bot.db.execute("SELECT next_attempt_at <= ? FROM outbox WHERE status = 'pending'", [bot.now_ts()]).fetchone()
    assert due == (1,)
    bot.flush()
    assert [m.text for m in chat.sent] == ["Dags för tillsyn"]


def test_in_a_burst_a_persons_digest_is_bound_by_its_text_not_its_buttons(settings):
    """Issue 16 point 11: an assignment has three buttons, so ten buttons a message carried three assignments
    a message; with thousands waiting for one person that was the burst's bound (5,016 digests in the soak)."""
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = Limited(set())
    count = DIGEST_WINDOW * 3
    texts = [f"Nytt ärende {i} till dig: När öppnar återvinningscentralen? #{i}" for i in range(count)]
    with h.bot.lock, h.bot.db.atomic():
        for i, text in enumerate(texts):
            h.bot.ctx.emit(Message(kind="assignment", to=PERSON, text=text, item=i, actions=tuple(
                Action(n, n, str(i)) for n in ("first_reply_sent", "forwarded", "answered"))))
    assert h.bot.flush() == count
    # while more than DIGEST_WINDOW wait, at least ten a message; the last window three a message (buttons);
    # before: a message per three all along (120 messages)
    assert len(chat.sent) <= (count - DIGEST_WINDOW) // 10 + DIGEST_WINDOW // 3, len(chat.sent)
    assert all(len(m.actions) <= 10 and len(m.text) <= 4000 for m in chat.sent)
    everything = "\n".join(m.text for m in chat.sent)
    assert all(everything.count(f"{t}\n") + everything.endswith(t) == 1 for t in texts)
    # a few reminders (no burst) keep every button: a part per three
    with h.bot.lock, h.bot.db.atomic():
        for i in range(9):
            h.bot.ctx.emit(Message(kind="assignment", to=PERSON, text=f"Ärende {i}", item=i, actions=tuple(
                Action(n, n, str(i)) for n in ("first_reply_sent", "forwarded", "answered"))))
    chat.sent.clear()
    h.bot.flush()
    assert len(chat.sent) == 3 and all(len(m.actions) == 9 for m in chat.sent)
