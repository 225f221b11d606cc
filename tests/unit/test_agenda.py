"""Issue 17 point 3 (a year in seconds): the scheduler agenda, its statement budget, and the simulator's
deferred drawing of the monthly report."""

from __future__ import annotations

from bot.core.monthly import Month
from bot.report import post
from tests.conftest import local
from tests.report_world import november_world


def test_deferred_monthly_post_has_the_same_words_and_draws_the_same_files_on_demand(harness):
    h = harness(local(2026, 11, 3, 7, 0))
    november_world(h)
    with h.bot.lock:
        real = post.monthly_message(h.ctx, Month(2026, 11), "#kommunikation")
        post.defer_drawing(h.ctx)
        deferred = post.monthly_message(h.ctx, Month(2026, 11), "#kommunikation")
        later = post.deferred_attachments(h.ctx, "2026-11")
    assert deferred.attachments == ()
    assert (deferred.text, deferred.fields, deferred.to) == (real.text, real.fields, real.to)
    assert [(a.filename, a.mime, a.title, a.alt) for a in later] == \
        [(a.filename, a.mime, a.title, a.alt) for a in real.attachments]
    assert later[1].content() == real.attachments[1].content()  # the full HTML report, byte for byte
    assert later[0].content() == real.attachments[0].content()  # the summary chart, pixel for pixel


# --------------------------------------------------------------------------- the agenda misses nothing

import datetime as dt  # noqa: E402

from bot import simulate  # noqa: E402
from bot.bootstrap import RecordingChat, build  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from tests.conftest import REPO  # noqa: E402

# The Christmas scenario's first week (absences with substitutes moving work at midnight, julafton to annandag
# jul and the weekend after: an O2 holiday watch day) and, on top of it, what the agenda must also keep: an intensified watch with its
# reminders and escalations over a weekend, checks that drop a day's reminder, a crisis that holds the daily
# prompts back and hands them out when it ends, and an item answered late.
EXTRA = [
    (local(2026, 12, 21, 8, 40), "action", {"as": "lena@example.se", "name": "oversight_done", "account": "instagram"}),
    (local(2026, 12, 21, 10, 0), "item", {"account": "linkedin", "author": "Eva", "external_id": "li-1",
                                          "text": "Hur söker jag bygglov för ett uterum?"}),
    (local(2026, 12, 22, 9, 30), "item", {"account": "facebook", "author": "Olle", "external_id": "fb-2",
                                          "text": "När töms soporna i vår gata under jul?"}),
    (local(2026, 12, 22, 11, 0), "action", {"as": "per@example.se", "name": "forwarded", "item": 3}),
    (local(2026, 12, 23, 16, 0), "command", {"as": "per@example.se",
                                             "text": "/uppsikt känsligt facebook timmar=5 dagar=3 Julinlägg"}),
    (local(2026, 12, 28, 7, 50), "command", {"as": "karin@example.se", "text": "/kris på Storm över Ekby"}),
    (local(2026, 12, 28, 13, 20), "command", {"as": "johan@example.se", "text": "/kris av"}),
    (local(2026, 12, 29, 8, 10), "action", {"as": "per@example.se", "name": "oversight_done", "account": "facebook"}),
]
START, END = local(2026, 12, 21, 8, 0), local(2026, 12, 29, 16, 0)


def _events(settings):
    scenario = simulate.load_scenario(REPO / "config" / "scenarios" / "christmas-absences.toml")
    extra = [simulate.Event(at, kind, data, 100 + i) for i, (at, kind, data) in enumerate(EXTRA)]
    return sorted([e for e in (*scenario.events, *extra) if e.at <= END], key=lambda e: (e.at, e.index))


def _play(settings, minute_by_minute: bool):
    clock = FakeClock(START)
    chat = RecordingChat(clock)
    bot = build(settings, clock=clock, chat=chat)
    post.defer_drawing(bot.ctx)
    events = _events(settings)
    if not minute_by_minute:
        for ev in events:
            bot.advance(clock, ev.at)
            simulate.apply(bot, ev)
        bot.advance(clock, END)
        return chat.sent
    # The reference: the old design, everything derived afresh at every minute (and right after an event). Every account's oversight is
    # looked at, every reminder plan recomputed, and the daily jobs (idempotent: keyed per day) run every
    # quarter of an hour, whatever the agenda says.
    at, pending = START, list(events)
    while at <= END:
        clock.set(at)
        with bot.lock:
            bot.db.execute("UPDATE accounts SET next_oversight_at = 0")
            bot.db.execute("UPDATE items SET nudge_plan = NULL")
            if at.minute % 15 == 0:
                bot.db.execute("UPDATE jobs SET next_at = 0")
        bot.tick()
        if pending and pending[0].at == at:
            while pending and pending[0].at == at:
                simulate.apply(bot, pending.pop(0))
            bot.tick()  # what an entry point made due at once goes out at once (as `advance` does)
        at += dt.timedelta(minutes=1)
    return chat.sent


def test_the_agenda_sends_what_a_minute_by_minute_scheduler_sends(settings):
    jumping = _play(settings, minute_by_minute=False)
    minutes = _play(settings, minute_by_minute=True)
    seen = lambda sent: [(at.isoformat(), m.kind, m.to, m.text) for at, m in sent]  # noqa: E731
    kinds = {m.kind for _, m in jumping}
    # The run exercises every kind of scheduled work the agenda keeps.
    assert {"oversight_prompt", "oversight_reminder", "oversight_escalation", "intensified_prompt",
            "intensified_reminder", "intensified_escalation", "nudge", "escalation", "crisis_prompt",
            "two_factor_reminder"} <= kinds, kinds
    assert seen(jumping) == seen(minutes)


# --------------------------------------------------------------------------- a tick costs only its due work

from bot import agenda, tick  # noqa: E402


SEEN: list[str] = []


def _statements(h, fn) -> tuple[int, object]:
    seen = SEEN
    seen.clear()
    h.bot.db.conn.set_trace_callback(seen.append)
    try:
        with h.bot.lock:
            result = fn()
    finally:
        h.bot.db.conn.set_trace_callback(None)
    return len(seen), result


def test_a_tick_with_nothing_due_runs_at_most_four_statements_however_many_items_and_accounts(harness):
    h = harness(local(2026, 12, 7, 7, 0))  # Monday
    for k in range(60):  # open questions, their reminders days ahead
        h.bot.intake(("facebook", "instagram", "linkedin", "bibliotek")[k % 4], f"Hur söker jag bygglov nr {k}?",
                     author="A", external_id=f"q{k}")
    h.run_until(local(2026, 12, 7, 16, 0))
    assert h.sent("oversight_prompt") and h.sent("oversight_escalation")  # the day's round happened
    assert tick.next_wakeup(h.ctx) > local(2026, 12, 7, 16, 1)  # nothing due in the next minute
    h.clock.set(local(2026, 12, 7, 16, 1))
    count, out = _statements(h, lambda: tick.run(h.ctx))
    # The scheduler's heartbeat (state last_tick, for /healthz): one row written in its own transaction (BEGIN,
    # INSERT, COMMIT), whatever the number of items and accounts. The agenda was read by next_wakeup above and
    # nothing was written since, so the tick does not read it again.
    assert out == [] and count <= 4, (count, SEEN)
    assert [s.split()[0] for s in SEEN] == ["BEGIN", "INSERT", "COMMIT"]
    count, out = _statements(h, lambda: tick.run(h.ctx))  # the clock has not moved, nothing was written
    assert out == [] and count == 0
    h.bot.command("per@example.se", "/uppsikt klart instagram")  # a write: the next tick looks (one read)
    count, out = _statements(h, lambda: tick.run(h.ctx))
    assert out == [] and count == 1


def test_the_wake_up_and_the_tick_at_that_moment_read_the_agenda_once(harness):
    """Issue 17 point 3: the scheduler asks when to wake and then, at that moment, what is due; nothing is written
    in between, so the agenda is read once. Any write in between (here a check logged) makes the tick read it
    again, and a due time written by that write is seen."""
    h = harness(local(2026, 12, 7, 7, 0))
    h.run_until(local(2026, 12, 7, 9, 0))
    reads = lambda: sum(1 for s in SEEN if s.startswith("SELECT (SELECT MIN(next_nudge_at)"))  # noqa: E731
    count, wake = _statements(h, lambda: tick.next_wakeup(h.ctx))
    assert reads() == 1
    h.clock.set(wake)
    count, out = _statements(h, lambda: tick.run(h.ctx))
    assert reads() == 0 and out  # the reminders of 12:00, found without reading the agenda again
    h.bot.intake("facebook", "Hur söker jag bygglov?", author="A", external_id="w1")  # a write: an item due later
    count, out = _statements(h, lambda: agenda.earliest(h.ctx))
    assert reads() == 1 and "items" in out


def test_next_wakeup_answers_from_the_agenda(harness):
    h = harness(local(2026, 12, 7, 7, 0))  # Monday, before the 08:30 prompts
    assert h.bot.next_wakeup() == local(2026, 12, 7, 7, 0) + dt.timedelta(seconds=1)  # a new database: everything is due at once
    h.bot.tick()  # the first tick: the daily jobs ran, each account's first step is planned
    assert h.bot.next_wakeup() == local(2026, 12, 7, 8, 0)  # the office opens: the two-factor reminders' job
    h.run_until(local(2026, 12, 7, 8, 30))
    assert h.bot.next_wakeup() == local(2026, 12, 7, 12, 0)  # the reminders of the accounts not checked
    for account in ("facebook", "instagram", "linkedin", "bibliotek"):
        owner = h.ctx.account(account).owner
        assert h.bot.action(owner, "oversight_done", account).ok
    # Every account checked: no reminder or escalation is left today; the next is midnight's daily jobs.
    assert h.bot.next_wakeup() == local(2026, 12, 8, 0, 0)
    assert dict(agenda.describe(h.ctx))["oversight"] == local(2026, 12, 8, 8, 30)
    h.run_until(local(2026, 12, 7, 23, 59))
    assert not h.sent("oversight_reminder") and not h.sent("oversight_escalation")


def test_message_json_is_the_same_as_dataclasses_asdict_gives():
    import dataclasses
    import json

    from bot.messages import Action, Attachment, Message

    full = Message(kind="nudge", to="#c", text='Åäö "citat"', account="facebook", item=3,
                   actions=(Action("take", "Ta", "1"), Action("open_report", "Öppna", url="https://x.example/r")),
                   fields=(("Status", "Öppen"), ("Ansvarig", "Per")), mentions=("per@example.se",),
                   thread="item:3", card="item:3",
                   attachments=(Attachment.of("a.png", "image/png", b"\x89PNG", title="T", alt="A"),))
    for m in (full, Message(kind="k", to="lena@example.se", text="t")):
        assert m.to_json() == json.dumps(dataclasses.asdict(m), ensure_ascii=False)
        assert Message.from_json(m.to_json()) == m
