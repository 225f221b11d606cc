"""Absences, substitutes and the coverage warning (A4, O4)."""

from __future__ import annotations

import datetime as dt

from bot.core import staff
from tests.conftest import local


def test_responsible_follows_absence_chain(harness):
    h = harness(local(2026, 12, 1, 9, 0))
    fb = h.ctx.accounts["facebook"]
    assert staff.responsible_for(h.ctx, fb, dt.date(2026, 12, 22)) == ("lena@example.se", "")
    h.bot.command("lena@example.se", "/frånvaro 2026-12-21 2027-01-06 ersättare=karin@example.se orsak=semester")
    who, why = staff.responsible_for(h.ctx, fb, dt.date(2026, 12, 22))
    assert who == "karin@example.se" and "Lena" in why and "Karin" in why
    # Absence without a named substitute: the account's substitute takes over.
    h.bot.command("karin@example.se", "/frånvaro 2026-12-28 2026-12-30")
    assert staff.responsible_for(h.ctx, fb, dt.date(2026, 12, 28))[0] == "per@example.se"
    assert staff.responsible_for(h.ctx, fb, dt.date(2027, 1, 7))[0] == "lena@example.se"


def test_substitute_who_is_away_is_refused(harness):
    h = harness(local(2026, 12, 1, 9, 0))
    assert h.bot.command("per@example.se", "/frånvaro 2026-12-20 2026-12-31").ok
    reply = h.bot.command("lena@example.se", "/frånvaro 2026-12-22 2026-12-23 ersättare=per@example.se")
    assert not reply.ok and "själv frånvarande" in reply.text
    assert len(staff.absences(h.ctx, "lena@example.se")) == 0


def test_only_communicators_and_managers_register_for_others(harness):
    h = harness(local(2026, 12, 1, 9, 0))
    reply = h.bot.command("omar@example.se", "/frånvaro för maria@example.se 2026-12-22 2026-12-23")
    assert not reply.ok and "din egen" in reply.text
    assert staff.absences(h.ctx) == []
    assert h.bot.command("karin@example.se", "/frånvaro för maria@example.se 2026-12-22 2026-12-23").ok


def test_coverage_warning_five_business_days_ahead_once(harness):
    """Ida and Erik (the library's whole staff) are both away 14–18 December."""
    h = harness(local(2026, 12, 1, 9, 0))
    h.bot.command("erik@example.se", "/frånvaro 2026-12-14 2026-12-18")
    h.bot.command("ida@example.se", "/frånvaro 2026-12-14 2026-12-18")
    assert h.sent("coverage_warning") == []  # more than 5 business days ahead
    h.run_until(local(2026, 12, 16, 9, 0))
    warnings = h.sent("coverage_warning")
    assert len(warnings) == 1
    at, msg = warnings[0]
    assert at.date() == dt.date(2026, 12, 7)  # Mon 7 + 5 business days = Mon 14
    assert msg.to == "lena@example.se" and msg.account == "bibliotek" and "2026-12-14" in msg.text


def test_coverage_warning_immediately_when_registered_late(harness):
    h = harness(local(2026, 12, 10, 9, 0))
    h.bot.command("erik@example.se", "/frånvaro 2026-12-14 2026-12-15")
    assert h.sent("coverage_warning") == []
    h.bot.command("ida@example.se", "/frånvaro 2026-12-14 2026-12-15")
    assert len(h.sent("coverage_warning")) == 1


def test_remove_absence(harness):
    h = harness(local(2026, 12, 1, 9, 0))
    h.bot.command("lena@example.se", "/frånvaro 2026-12-21 2026-12-23")
    a = staff.absences(h.ctx, "lena@example.se")[0]
    assert not h.bot.command("omar@example.se", f"/frånvaro ta bort {a.id}").ok
    assert h.bot.command("lena@example.se", f"/frånvaro ta bort {a.id}").ok
    assert staff.absences(h.ctx, "lena@example.se") == []
    assert [r["action"] for r in h.ctx.db.query("SELECT action FROM audit WHERE action LIKE 'absence.%'")] == [
        "absence.add", "absence.remove"]


def test_who_is_away_is_read_once_and_follows_every_change(harness):
    """Issue 17 point 3: the absences are read once into memory, not once per question; the memory follows an
    absence added, one removed, and forgets one whose transaction rolled back."""
    h = harness(local(2026, 12, 1, 9, 0))
    day = dt.date(2026, 12, 22)
    assert staff.is_present(h.ctx, "lena@example.se", day)
    statements: list[str] = []
    h.ctx.db.conn.set_trace_callback(statements.append)
    for _ in range(50):
        staff.is_present(h.ctx, "lena@example.se", day)
        staff.is_present(h.ctx, "karin@example.se", day)
    h.ctx.db.conn.set_trace_callback(None)
    assert statements == []
    assert h.bot.command("lena@example.se", "/frånvaro 2026-12-21 2027-01-06 ersättare=karin@example.se").ok
    assert staff.absence_on(h.ctx, "lena@example.se", day).substitute == "karin@example.se"
    # A second absence over the same day: the one registered last counts (as the query did: ORDER BY id DESC).
    assert h.bot.command("lena@example.se", "/frånvaro 2026-12-22 2026-12-22 ersättare=per@example.se").ok
    assert staff.absence_on(h.ctx, "lena@example.se", day).substitute == "per@example.se"
    last = staff.absence_on(h.ctx, "lena@example.se", day)
    staff.remove_absence(h.ctx, "lena@example.se", last.id)
    assert staff.absence_on(h.ctx, "lena@example.se", day).substitute == "karin@example.se"
    # Added inside a transaction that then fails: the database has no such absence, and neither has the memory.
    try:
        with h.ctx.db.atomic():
            staff.add_absence(h.ctx, "omar@example.se", "omar@example.se", day, day, None)
            assert not staff.is_present(h.ctx, "omar@example.se", day)
            raise RuntimeError("the entry point fails after the absence was written")
    except RuntimeError:
        pass
    assert staff.absences(h.ctx, "omar@example.se") == []
    assert staff.is_present(h.ctx, "omar@example.se", day)
