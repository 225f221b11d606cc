"""Items: intake, dedupe, routing with availability, deadlines, nudges, escalation, actions (Q1–Q4, Q6)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import from_epoch
from bot.core import items
from bot.core.context import Refused
from tests.conftest import local

Q = "Hej! När öppnar återvinningscentralen efter jul?"


def test_question_becomes_tracked_item_assigned_to_who_knows_most(harness):
    h = harness(local(2026, 12, 7, 10, 0))  # Monday
    item, created = h.bot.intake("facebook", Q, author="Kalle", source="facebook", external_id="c1")
    assert created and item["status"] == "open" and item["is_question"] == 1
    assert item["assignee"] == "maria@example.se"
    assert "återvinningscentral" in item["assigned_reason"]
    # Lekeberg: first reply within one business day, same time of day.
    assert from_epoch(item["first_reply_due"]) == local(2026, 12, 8, 10, 0)
    card = h.sent("item")[0][1]
    assert card.to == "#konto-facebook" and card.card == f"item:{item['id']}"
    assert {a.name for a in card.actions} >= {"take", "reassign", "first_reply_sent", "forwarded", "answered", "no_reply"}
    assignment = h.sent("assignment")[0][1]
    assert assignment.to == "maria@example.se"
    assert "/Maria, avfallssamordnare, Samhällsbyggnadsförvaltningen" in assignment.text  # Q4


def test_duplicate_delivery_is_ignored(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    first, created1 = h.bot.intake("facebook", Q, source="facebook", external_id="c1")
    again, created2 = h.bot.intake("facebook", Q, source="facebook", external_id="c1")
    assert created1 and not created2 and again["id"] == first["id"]
    assert h.ctx.db["items"].count == 1 and len(h.sent("assignment")) == 1


def test_not_a_question_is_noted_without_deadline(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "Fin bild på torget 😍", source="facebook", external_id="c2")
    assert item["status"] == "noted" and item["assignee"] is None and item["first_reply_due"] is None
    assert h.sent("assignment") == []
    taken = h.bot.action("ida@example.se", "take", str(item["id"]))
    assert taken.ok
    row = items.get(h.ctx, item["id"])
    assert row["status"] == "open" and row["assignee"] == "ida@example.se" and row["first_reply_due"]


def test_per_account_deadline_override_and_after_hours_start(harness):
    h = harness(local(2026, 12, 11, 18, 30))  # Friday evening, after office hours
    item, _ = h.bot.intake("bibliotek", "Hur förnyar jag mitt lånekort?", external_id="b1", source="facebook")
    # Counts from Monday 08:00; the library answers within two business days.
    assert from_epoch(item["first_reply_due"]) == local(2026, 12, 16, 8, 0)


def test_absent_expert_goes_to_their_substitute(harness):
    h = harness(local(2026, 12, 4, 9, 0))
    assert h.bot.command("lena@example.se", "/frånvaro för maria@example.se 2026-12-07 2026-12-11 ersättare=gustav@example.se").ok
    h.clock.set(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", Q, external_id="c1", source="facebook")
    assert item["assignee"] == "gustav@example.se"
    assert "Maria" in item["assigned_reason"] and "ersättare" in item["assigned_reason"]


def test_absent_expert_without_substitute_goes_to_next_best_present(harness):
    h = harness(local(2026, 12, 4, 9, 0))
    assert h.bot.command("omar@example.se", "/frånvaro 2026-12-07 2026-12-11").ok
    h.clock.set(local(2026, 12, 7, 10, 0))
    ranking = items.router(h.ctx).rank("Behöver jag bygglov för ett attefallshus?")
    assert ranking[0].email == "omar@example.se"
    item, _ = h.bot.intake("facebook", "Behöver jag bygglov för ett attefallshus?", external_id="c9", source="facebook")
    assert item["assignee"] != "omar@example.se"
    assert "Omar är frånvarande" in item["assigned_reason"] or item["assignee"] == "lena@example.se"


def test_nudges_then_escalations_on_schedule(harness):
    h = harness(local(2026, 12, 7, 10, 0))  # Monday 10:00, due Tuesday 10:00
    item, _ = h.bot.intake("facebook", Q, external_id="c1", source="facebook")
    h.run_until(local(2026, 12, 10, 12, 0))
    nudges = [(at, m.to) for at, m in h.sent("nudge") if m.item == item["id"]]
    # Half the office time (9 h) -> Monday 14:30; two office hours before -> Tuesday 08:00.
    assert nudges == [(local(2026, 12, 7, 14, 30), "maria@example.se"), (local(2026, 12, 8, 8, 0), "maria@example.se")]
    esc = [(at, m.to) for at, m in h.sent("escalation") if m.item == item["id"]]
    assert esc == [(local(2026, 12, 8, 10, 0), "lena@example.se"),  # account owner at the deadline
                   (local(2026, 12, 9, 10, 0), "lena@example.se")]  # communicator one business day later
    assert all(m.thread == f"item:{item['id']}" for _, m in h.sent("nudge"))


def test_escalation_skips_holidays(harness):
    h = harness(local(2026, 12, 23, 10, 0))  # Wednesday before julafton
    item, _ = h.bot.intake("facebook", Q, external_id="c1", source="facebook")
    assert from_epoch(item["first_reply_due"]) == local(2026, 12, 28, 10, 0)
    h.run_until(local(2026, 12, 30, 12, 0))
    esc = [at for at, m in h.sent("escalation") if m.item == item["id"]]
    assert esc == [local(2026, 12, 28, 10, 0), local(2026, 12, 29, 10, 0)]


def test_forwarded_starts_full_answer_clock_and_answer_stops_nudges(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", Q, external_id="c1", source="facebook")
    h.clock.set(local(2026, 12, 7, 11, 0))
    reply = h.bot.action("maria@example.se", "forwarded", str(item["id"]), to="gustav@example.se")
    assert reply.ok, reply.text
    row = items.get(h.ctx, item["id"])
    assert row["status"] == "forwarded" and row["assignee"] == "gustav@example.se"
    # Five business days from the question (10:00), not from the forward (Q2, Lekeberg 6.2; issue 10 point 7).
    assert from_epoch(row["full_answer_due"]) == local(2026, 12, 14, 10, 0)
    assert h.sent("assignment")[-1][1].to == "gustav@example.se"
    h.run_until(local(2026, 12, 9, 9, 0))
    assert not [m for _, m in h.sent("escalation") if m.item == item["id"]]
    h.clock.set(local(2026, 12, 9, 10, 0))
    assert h.bot.action("gustav@example.se", "answered", str(item["id"]), answer="Den öppnar 28 december.").ok
    row = items.get(h.ctx, item["id"])
    assert row["status"] == "answered" and row["answered_by"] == "gustav@example.se" and row["next_nudge_at"] is None
    before = len(h.chat.sent)
    h.run_until(local(2026, 12, 20, 12, 0))
    assert not [m for _, m in h.chat.sent[before:] if m.item == item["id"] and m.kind in ("nudge", "escalation")]
    history = list(h.ctx.db.query("SELECT * FROM item_history WHERE item_id = ? ORDER BY id", [item["id"]]))
    assert [r["action"] for r in history] == ["intake", "forwarded", "answered"]


def test_answers_teach_the_router(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    text = "Var hittar jag blanketten för parkeringstillstånd för rörelsehindrade?"
    before = items.router(h.ctx).rank(text)
    assert not before or before[0].email != "sara@example.se"
    item, _ = h.bot.intake("facebook", text, external_id="p1", source="facebook")
    h.bot.action("sara@example.se", "reassign", str(item["id"]), to="sara@example.se", reason="Färdtjänst och tillstånd")
    h.bot.action("sara@example.se", "answered", str(item["id"]), answer="Blanketten för parkeringstillstånd finns på webben.")
    after = items.router(h.ctx).rank("Hur söker jag parkeringstillstånd för rörelsehindrade?")
    assert after[0].email == "sara@example.se"


@pytest.mark.parametrize(
    "name,kwargs,needle",
    [
        ("no_reply", {}, "varför inget svar"),
        ("reassign", {"to": "omar@example.se"}, "orsak"),
        ("reassign", {"reason": "x"}, "vem ärendet ska till"),
        ("reassign", {"to": "nobody@example.se", "reason": "x"}, "hittar ingen person"),
        ("explode", {}, "Okänd åtgärd"),
    ],
)
def test_bad_actions_are_refused_and_change_nothing(harness, name, kwargs, needle):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", Q, external_id="c1", source="facebook")
    before = items.get(h.ctx, item["id"])
    reply = h.bot.action("maria@example.se", name, str(item["id"]), **kwargs)
    assert not reply.ok and needle in reply.text
    assert items.get(h.ctx, item["id"]) == before


def test_closed_without_reply_records_reason_and_is_final(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "@Anna håller med dig! Vad tycker du om det nya torget?", external_id="c3", source="facebook")
    if item["status"] == "noted":
        h.bot.action("lena@example.se", "take", str(item["id"]))
    assert h.bot.action("lena@example.se", "no_reply", str(item["id"]), reason="Samtal mellan invånare").ok
    row = items.get(h.ctx, item["id"])
    assert row["status"] == "closed" and row["closed_reason"] == "Samtal mellan invånare"
    again = h.bot.action("lena@example.se", "answered", str(item["id"]))
    assert not again.ok and "redan" in again.text
    updates = [m for _, m in h.sent("item_updated") if m.item == item["id"]]
    assert updates[-1].actions == () and updates[-1].card == f"item:{item['id']}"


def test_tick_is_restart_safe(harness, tmp_path):
    db = tmp_path / "u.db"
    h = harness(local(2026, 12, 7, 10, 0), db=db)
    item, _ = h.bot.intake("facebook", Q, external_id="c1", source="facebook")
    h.run_until(local(2026, 12, 7, 15, 0))
    assert len([m for _, m in h.sent("nudge") if m.item == item["id"]]) == 1
    h2 = harness(local(2026, 12, 8, 11, 0), db=db)  # restarted after being down through the deadline
    h2.bot.tick()
    late = [m for _, m in h2.chat.sent if m.item == item["id"] and m.kind in ("nudge", "escalation")]
    assert [m.kind for m in late] == ["escalation"]  # only the latest due stage, not a burst
    h2.bot.tick()
    assert len([m for _, m in h2.chat.sent if m.item == item["id"]]) == len(late)


def test_crisis_mode_uses_crisis_first_reply_hours(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    with h.ctx.db.atomic():
        h.ctx.set_state("crisis_since", str(h.ctx.now_ts()))
    item, _ = h.bot.intake("facebook", Q, external_id="c1", source="facebook")
    assert from_epoch(item["first_reply_due"]) == local(2026, 12, 7, 12, 0)


def test_empty_text_refused(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    with pytest.raises(Refused):
        h.bot.intake("facebook", "   ")
    with pytest.raises(Refused):
        h.bot.intake("nosuch", "Hej?")
    assert h.ctx.db["items"].count == 0


def test_overdue_lists_items_past_deadline(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", Q, external_id="c1", source="facebook")
    assert items.overdue(h.ctx) == []
    h.clock.set(local(2026, 12, 8, 10, 1))
    assert [r["id"] for r in items.overdue(h.ctx)] == [item["id"]]
    assert dt.timedelta(0) < from_epoch(h.ctx.now_ts()) - from_epoch(item["first_reply_due"])


def test_tick_survives_an_account_closed_under_an_open_item(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("linkedin", "Hur söker jag jobb som lärare hos er?", external_id="l1", source="linkedin")
    with h.ctx.db.atomic():
        h.ctx.update("accounts", "linkedin", {"status": "closed"})
    h.ctx.forget_accounts()
    h.run_until(local(2026, 12, 8, 12, 0))
    assert "linkedin" not in {m.account for _, m in h.sent("oversight_prompt")}
    assert {"facebook", "instagram", "bibliotek"} <= {m.account for _, m in h.sent("oversight_prompt")}
    assert items.get(h.ctx, item["id"])["next_nudge_at"] is None
