"""What the performance fixes of issue 6 must not change (fast tests; the benchmarks beside them only print).

* the workload tie-break counts only the tied colleagues' open items (items.open_workload(ctx, people));
* the oversight tick reads each day's claimed keys and logged checks once and remembers only committed
  facts: a rolled-back tick loses nothing, a check logged after the reminder still stops the escalation;
* Bot.advance skips a second tick at the same moment only when nothing is left due then;
* the outbox reads message texts only for what it sends, in order per target.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core import items, oversight
from bot.messages import Message
from tests.conftest import local

MONDAY = local(2026, 12, 7, 9, 0)
TIE = "Vilka öppettider har sophämtningen i jul?"  # one keyword of Lena's, one of Maria's: equal scores


def test_open_workload_for_some_people_is_the_full_count_restricted(harness):
    h = harness(MONDAY)
    for text in ("Hur funkar sophämtningen?", "När är sophämtningen?", "Vilka öppettider gäller?"):
        h.bot.intake("facebook", text)
    full = items.open_workload(h.ctx)
    assert full == {"maria@example.se": 2, "lena@example.se": 1}
    assert items.open_workload(h.ctx, ["maria@example.se", "per@example.se"]) == {"maria@example.se": 2}
    assert items.open_workload(h.ctx, ["lena@example.se", "lena@example.se"]) == {"lena@example.se": 1}


def test_a_tie_goes_to_the_colleague_with_fewer_open_items(harness):
    h = harness(MONDAY)
    for text in ("Hur funkar sophämtningen?", "När är sophämtningen?"):
        assert h.bot.intake("facebook", text)[0]["assignee"] == "maria@example.se"
    item, _ = h.bot.intake("facebook", TIE)
    assert item["assignee"] == "lena@example.se"
    assert "lika träff, färst öppna ärenden (0)" in item["assigned_reason"]
    for text in ("Vilka öppettider gäller?", "Ändras öppettiderna?"):
        h.bot.intake("facebook", text)
    item, _ = h.bot.intake("facebook", TIE + " Igen?")
    assert item["assignee"] == "maria@example.se"  # Lena has 3 open now, Maria 2
    assert "lika träff, färst öppna ärenden (2)" in item["assigned_reason"]


def test_a_rolled_back_tick_loses_no_prompt(harness, monkeypatch):
    h = harness(local(2026, 12, 7, 8, 0))
    h.run_until(local(2026, 12, 7, 8, 20))
    h.clock.set(local(2026, 12, 7, 8, 30))
    real = h.ctx.set_state

    def broken(key, value):  # the tick's last write, after the prompts (the agenda calls items.tick only
        if key == "last_tick":  # when an item's reminder is due, and none is here)
            raise RuntimeError("the disk is full")
        return real(key, value)

    monkeypatch.setattr(h.ctx, "set_state", broken)
    with pytest.raises(RuntimeError):
        h.bot.tick()  # the prompts were claimed and emitted, then the whole tick rolled back
    assert h.sent("oversight_prompt") == []
    assert h.ctx.db.execute("SELECT COUNT(*) FROM dispatched WHERE key LIKE 'prompt:%'").fetchone()[0] == 0
    monkeypatch.setattr(h.ctx, "set_state", real)
    h.bot.tick()
    assert len(h.sent("oversight_prompt")) == 4
    h.bot.tick()
    assert len(h.sent("oversight_prompt")) == 4


def test_a_check_after_the_reminder_still_stops_the_escalation(harness):
    h = harness(local(2026, 12, 7, 8, 0))
    h.run_until(local(2026, 12, 7, 12, 30))
    assert {m.account for _, m in h.sent("oversight_reminder")} == {"facebook", "instagram", "linkedin", "bibliotek"}
    h.bot.action("lena@example.se", "oversight_done", "facebook")
    h.run_until(local(2026, 12, 7, 16, 0))
    assert {m.account for _, m in h.sent("oversight_escalation")} == {"instagram", "linkedin", "bibliotek"}
    # the next day starts afresh: prompts again, nothing remembered from Monday
    h.run_until(local(2026, 12, 8, 8, 31))
    assert sum(1 for at, _ in h.sent("oversight_prompt") if at.date() == dt.date(2026, 12, 8)) == 4


def test_a_closed_account_is_not_prompted_later_the_same_day(harness):
    h = harness(local(2026, 12, 7, 8, 0))
    h.run_until(local(2026, 12, 7, 8, 0))
    h.ctx.db.execute("UPDATE accounts SET status = 'closed' WHERE id = 'linkedin'")
    h.ctx.forget_accounts()
    h.run_until(local(2026, 12, 7, 8, 31))
    assert {m.account for _, m in h.sent("oversight_prompt")} == {"facebook", "instagram", "bibliotek"}


def test_more_items_due_at_one_moment_than_one_tick_takes_are_all_nudged_at_that_moment(harness):
    h = harness(MONDAY)
    item, _ = h.bot.intake("facebook", "Hur funkar sophämtningen?")
    when = h.ctx.now_ts() + 3600
    row = h.ctx.db.execute("SELECT * FROM items WHERE id = ?", [item["id"]]).fetchone()
    cols = [d[0] for d in h.ctx.db.execute("SELECT * FROM items LIMIT 0").description]
    copies = []
    for n in range(620):
        values = dict(zip(cols, row))
        values.pop("id")
        values |= {"external_id": f"copy{n}", "next_nudge_at": when, "nudge_stage": 0}
        copies.append(values)
    with h.ctx.db.conn:
        h.ctx.db.conn.executemany(
            f"INSERT INTO items ({', '.join(copies[0])}) VALUES ({', '.join('?' * len(copies[0]))})",
            [list(c.values()) for c in copies])
    h.run_until(dt.datetime.fromtimestamp(when, MONDAY.tzinfo))
    assert h.ctx.db.execute("SELECT COUNT(*) FROM items WHERE next_nudge_at <= ?", [when]).fetchone()[0] == 0


def test_a_second_tick_at_the_same_moment_is_skipped_only_when_nothing_is_due(harness, monkeypatch):
    h = harness(MONDAY)
    h.run_until(MONDAY)
    calls = []
    real = type(h.bot).tick

    def counted(bot):
        calls.append(bot.ctx.now())
        return real(bot)

    monkeypatch.setattr(type(h.bot), "tick", counted)
    h.run_until(MONDAY)
    # Nothing is due at this moment (the agenda says so, issue 17 point 3): no tick at all. Before, the first tick
    # was always taken and found nothing.
    assert calls == []
    item, _ = h.bot.intake("facebook", "När öppnar simhallen?", external_id="same-moment")
    calls.clear()
    with h.bot.lock, h.ctx.db.atomic():  # its reminder falls due at this very moment
        h.ctx.db.execute("UPDATE items SET next_nudge_at = ? WHERE id = ?", [h.ctx.now_ts(), item["id"]])
    h.run_until(MONDAY)
    assert calls == [MONDAY]  # the tick is taken; the second would find nothing


class Flaky:
    """A chat port that refuses every message to one target and records the rest."""

    digests = True

    def __init__(self, clock, refuse: str):
        self.clock, self.refuse, self.sent = clock, refuse, []

    def send(self, message: Message) -> None:
        from bot.bootstrap import ChatError

        if message.to == self.refuse:
            raise ChatError("rate limited", retry_after=60)
        self.sent.append(message)


def test_the_outbox_sends_in_order_per_target_past_a_blocked_one(harness):
    h = harness(MONDAY)
    chat = h.bot.chat = Flaky(h.clock, "#konto-instagram")
    with h.ctx.db.atomic():
        for n in range(5):
            for target in ("#konto-instagram", "#konto-facebook"):
                h.ctx.emit(Message(kind="reply", to=target, text=f"{target} {n}"))
    h.bot.flush()
    assert [m.text for m in chat.sent] == [f"#konto-facebook {n}" for n in range(5)]
    pending = h.ctx.db.execute("SELECT target, attempts FROM outbox WHERE status = 'pending' ORDER BY id").fetchall()
    assert pending == [("#konto-instagram", 1)] + [("#konto-instagram", 0)] * 4
    chat.refuse = ""
    h.clock.advance(dt.timedelta(minutes=2))
    h.bot.flush()
    assert [m.text for m in chat.sent][5:] == [f"#konto-instagram {n}" for n in range(5)]


def test_an_erased_pending_message_is_not_sent(harness, monkeypatch):
    h = harness(MONDAY)
    chat = h.bot.chat = Flaky(h.clock, "")
    with h.ctx.db.atomic():
        h.ctx.emit(Message(kind="reply", to="#konto-facebook", text="kvar"))
        h.ctx.emit(Message(kind="reply", to="#konto-facebook", text="raderas"))
    gone = h.ctx.db.execute("SELECT MAX(id) FROM outbox").fetchone()[0]
    real = h.bot.outbox._texts

    def erased_meanwhile(ids):
        h.ctx.db.execute("DELETE FROM outbox WHERE id = ?", [gone])  # `uppsikt forget` between the two reads
        return real(ids)

    monkeypatch.setattr(h.bot.outbox, "_texts", erased_meanwhile)
    assert h.bot.flush() == 1
    assert [m.text for m in chat.sent] == ["kvar"]


def test_oversight_remembers_only_today(harness):
    h = harness(local(2026, 12, 7, 8, 0))
    h.run_until(local(2026, 12, 7, 16, 0))
    today = h.ctx.cache["oversight_today"]
    assert today.day == "2026-12-07" and len(today.settled) == 4
    h.run_until(local(2026, 12, 8, 7, 0))
    assert h.ctx.cache["oversight_today"].day == "2026-12-08"
    assert not h.ctx.cache["oversight_today"].settled
    assert oversight.tick(h.ctx) == []
