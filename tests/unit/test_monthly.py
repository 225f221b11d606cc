"""The month's figures (issue 14) from a simulated month with known checks and reply times; no matplotlib."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from bot.core import crisis, items, moderation, monthly, oversight
from bot.core.context import Refused
from tests.conftest import local
from tests.report_world import LATE_FB, MISSED_FB, november_world

NOV = monthly.Month(2026, 11)


def _at(h, when: dt.datetime) -> None:
    h.clock.set(when)


@pytest.fixture
def november(harness):
    h = harness(local(2026, 11, 3, 7, 0))
    return h, november_world(h)


def test_parse_month_accepts_yyyy_mm_and_refuses_the_rest_in_swedish(harness):
    h = harness(local(2026, 12, 1, 9, 0))
    assert monthly.parse_month(h.ctx, "2026-11") == NOV
    for bad in ("2026-13", "11-2026", "november", "2026-1", ""):
        with pytest.raises(Refused, match="ÅÅÅÅ-MM"):
            monthly.parse_month(h.ctx, bad)
    with pytest.raises(Refused, match="inte börjat"):
        monthly.month_figures(h.ctx, monthly.Month(2027, 1))


def test_oversight_calendar_counts_known_days(november):
    h, _ = november
    cal = {a.account_id: a for a in monthly.oversight_calendar(h.ctx, NOV)}
    fb = cal["facebook"]
    status = {c.day.day: c.status for c in fb.cells}
    assert status[1] == status[2] == "before"  # Monday 2 Nov is a business day, but before Uppsikt watched
    assert status[7] == status[8] == "not_watch_day"
    assert {d for d, s in status.items() if s == "missed"} == MISSED_FB
    assert {d for d, s in status.items() if s == "late"} == LATE_FB
    assert fb.count("on_time") == 20 - 2 - 2 and fb.watch_days == 20 and fb.watched == 18
    assert fb.share_watched == pytest.approx(0.9)
    assert next(c for c in fb.cells if c.day.day == 5).checked_at == "13:15"
    ig, li, lib = cal["instagram"], cal["linkedin"], cal["bibliotek"]
    assert (ig.count("on_time"), ig.count("late"), ig.count("missed")) == (19, 0, 1)
    assert (li.count("on_time"), li.count("late"), li.count("missed")) == (0, 12, 8)
    # Nobody checked the library's account: every business day from the 3rd is missed, none before.
    assert lib.count("missed") == 20 and lib.watched == 0 and lib.count("before") == 2
    assert lib.holiday_watch_days == 0 and lib.share_watched == 0


def test_holiday_watch_days_count_and_are_flagged(harness):
    # Christmas 2026: Thu 24 (julafton) to Sun 27 are days off; the example's limit is 3 days without a check.
    h = harness(local(2026, 12, 1, 7, 0))
    _at(h, local(2026, 12, 26, 10, 0))
    oversight.log_check(h.ctx, "facebook", "lena@example.se", "jul")
    _at(h, local(2027, 1, 1, 12, 0))
    fb = next(a for a in monthly.oversight_calendar(h.ctx, monthly.Month(2026, 12)) if a.account_id == "facebook")
    holiday = [c for c in fb.cells if c.holiday]
    assert [c.day.day for c in holiday] == [d.day for d in (dt.date(2026, 12, 26),)
                                           if oversight.is_watch_day(h.ctx, h.ctx.account("facebook"), d)]
    assert holiday and holiday[0].status == "on_time"
    assert fb.holiday_watch_days == 1
    assert fb.watch_days == len([c for c in fb.cells if c.watch_day])  # the holiday watch day is a watch day
    # The O5 report counts the same watch days.
    o5 = oversight.report(h.ctx, dt.date(2026, 12, 1), dt.date(2026, 12, 31))["facebook"]
    assert len([d for d in o5 if oversight.is_watch_day(h.ctx, h.ctx.account("facebook"), d.day)]) == fb.watch_days


def test_today_unchecked_is_pending_not_missed(harness):
    h = harness(local(2026, 11, 30, 7, 0))
    _at(h, local(2026, 11, 30, 16, 0))
    fb = next(a for a in monthly.oversight_calendar(h.ctx, NOV) if a.account_id == "facebook")
    assert fb.cells[-1].status == "pending" and fb.count("missed") == 0


def test_reply_times_against_deadlines(november):
    h, ids = november
    rep = {r.account_id: r for r in monthly.reply_times(h.ctx, NOV)}
    fb = rep["facebook"]
    assert fb.questions == 4  # a, b, the removed one and c
    fr, fa = fb.first_reply, fb.full_answer
    assert (fr.within, fr.late, fr.overdue, fr.waiting) == (1, 1, 1, 0)
    assert sorted(fr.hours) == [2.0, 72.0]
    assert fr.share_within == pytest.approx(1 / 3)
    assert fr.median_hours == pytest.approx(37.0)
    assert (fa.within, fa.late, fa.overdue) == (2, 0, 1)
    assert sorted(fa.hours) == [25.0, 73.0]
    assert fr.buckets()["1_4h"] == 1 and fr.buckets()["3_7d"] == 1
    assert fb.closed_without_answer == 1  # the removed one
    ig = rep["instagram"]
    assert ig.questions == 1 and ig.first_reply.within == ig.full_answer.within == 1  # answered directly
    assert ig.first_reply.hours == pytest.approx([40 / 60]) and ig.first_reply.buckets()["under_1h"] == 1
    assert rep["linkedin"].questions == 0 and rep["linkedin"].first_reply.share_within is None


def test_open_and_overdue_over_the_month(november):
    h, ids = november
    load = {d.day.day: d for d in monthly.open_overdue_by_day(h.ctx, NOV)}
    assert len(load) == 30
    assert (load[8].open, load[8].overdue) == (0, 0)
    assert (load[9].open, load[9].overdue) == (1, 0)  # a, first reply sent, answer not yet due
    assert (load[11].open, load[11].overdue) == (1, 1)  # b: first reply was due 11 Nov 10:00
    assert (load[13].open, load[13].overdue) == (0, 0)
    assert (load[16].open, load[16].overdue) == (0, 0)  # the removed question was closed the same day
    assert (load[27].open, load[27].overdue) == (1, 0)
    assert (load[30].open, load[30].overdue) == (1, 1)


def test_assignees_removals_crises_and_key_figures(november):
    h, ids = november
    fig = monthly.month_figures(h.ctx, NOV)
    expected: dict[str, list[int]] = {}
    for key, col in (("a", 0), ("b", 0), ("bad", 1), ("c", 2), ("ig", 0)):
        row = expected.setdefault(items.get(h.ctx, ids[key])["assignee"], [0, 0, 0, 0])
        row[col] += 1
        row[3] += key == "c"  # c is open and overdue
    assert {a.email: [a.answered, a.closed, a.open, a.overdue] for a in fig.assignees} == expected
    assert all(a.name == h.ctx.person(a.email).name for a in fig.assignees)
    assert [a.total for a in fig.assignees] == sorted((a.total for a in fig.assignees), reverse=True)
    assert fig.removals == [("personal_attack", 1)]
    assert len(fig.crises) == 1 and fig.crises[0].reason == "Strömavbrott"
    assert fig.crises[0].started == local(2026, 11, 24, 9, 0) and fig.crises[0].ended == local(2026, 11, 24, 17, 0)
    assert fig.watched == 18 + 19 + 12 and fig.watch_days == 4 * 20
    assert fig.missed == 2 + 1 + 8 + 20 and fig.late_checks == 2 + 12
    assert fig.total("first_reply").within == 2 and fig.overdue_at_end == 1 and fig.removed == 1


def test_figures_need_no_matplotlib(november, monkeypatch):
    h, _ = november
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # importing it would fail
    assert monthly.month_figures(h.ctx, NOV).watched == 49
