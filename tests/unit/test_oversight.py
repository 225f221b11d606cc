"""Oversight: prompts, logging, reminders, escalation, holiday watch, intensified watch, report (O1–O5)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.core import oversight
from bot.core.context import Refused
from tests.conftest import local

ACCOUNTS = {"facebook", "instagram", "linkedin", "bibliotek"}


def test_prompt_per_account_at_policy_time_on_business_day(harness):
    h = harness(local(2026, 12, 7, 7, 0))  # Monday
    h.run_until(local(2026, 12, 7, 8, 29))
    assert h.sent("oversight_prompt") == []
    h.run_until(local(2026, 12, 7, 8, 31))
    prompts = h.sent("oversight_prompt")
    assert {m.account for _, m in prompts} == ACCOUNTS
    assert all(at == local(2026, 12, 7, 8, 30) for at, _ in prompts)
    fb = next(m for _, m in prompts if m.account == "facebook")
    assert fb.to == "#konto-facebook"
    assert [a.name for a in fb.actions] == ["oversight_done"]
    assert fb.mentions == ("lena@example.se",)
    h.bot.tick()
    assert len(h.sent("oversight_prompt")) == 4  # never twice


def test_check_stops_reminder_and_escalation(harness):
    h = harness(local(2026, 12, 7, 8, 0))
    h.run_until(local(2026, 12, 7, 10, 0))
    reply = h.bot.command("lena@example.se", "/uppsikt klart Två frågor, inga problem", "konto-facebook")
    assert reply.ok, reply.text
    h.run_until(local(2026, 12, 7, 16, 0))
    reminders = h.sent("oversight_reminder")
    assert {m.account for _, m in reminders} == {"instagram", "linkedin", "bibliotek"}
    assert {(m.account, m.to) for _, m in reminders} == {
        ("instagram", "per@example.se"), ("linkedin", "karin@example.se"), ("bibliotek", "ida@example.se")}
    assert all(at == local(2026, 12, 7, 12, 0) for at, _ in reminders)
    escalations = h.sent("oversight_escalation")
    assert {m.account for _, m in escalations} == {"instagram", "linkedin", "bibliotek"}
    assert all(m.to == "lena@example.se" and at == local(2026, 12, 7, 15, 0) for at, m in escalations)
    log = oversight.checks_on(h.ctx, "facebook", dt.date(2026, 12, 7))
    assert [(r["person"], r["note"], r["via"]) for r in log] == [("lena@example.se", "Två frågor, inga problem", "command")]


def test_button_logs_check_and_each_check_is_one_entry(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    assert h.bot.action("per@example.se", "oversight_done", "instagram").ok
    assert h.bot.action("lena@example.se", "oversight_done", "instagram", note="kväll").ok
    log = oversight.checks_on(h.ctx, "instagram", dt.date(2026, 12, 7))
    assert [(r["person"], r["via"]) for r in log] == [("per@example.se", "button"), ("lena@example.se", "button")]


def test_only_designated_people_may_log(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    reply = h.bot.command("omar@example.se", "/uppsikt klart facebook")
    assert not reply.ok and "inte som ansvarig" in reply.text
    assert oversight.checks_on(h.ctx, "facebook", dt.date(2026, 12, 7)) == []


def test_absent_owner_reminder_goes_to_substitute(harness):
    h = harness(local(2026, 12, 4, 9, 0))
    assert h.bot.command("lena@example.se", "/frånvaro 2026-12-07 2026-12-11 ersättare=per@example.se orsak=utbildning").ok
    h.clear()
    h.run_until(local(2026, 12, 7, 12, 30))
    monday = dt.date(2026, 12, 7)
    fb = [m for at, m in h.sent("oversight_reminder") if m.account == "facebook" and at.date() == monday]
    assert [m.to for m in fb] == ["per@example.se"]
    prompt = next(m for at, m in h.sent("oversight_prompt") if m.account == "facebook" and at.date() == monday)
    assert prompt.mentions == ("per@example.se",) and "Per" in prompt.text


def test_no_prompt_on_ordinary_weekend(harness):
    h = harness(local(2026, 12, 12, 0, 0))  # Saturday; Friday->Monday is 3 days, within the example's limit of 3
    h.run_until(local(2026, 12, 13, 23, 0))
    assert h.sent("oversight_prompt") == []


def test_christmas_holiday_watch_days(harness):
    """Julafton..annandag + weekend: Wed 23 -> Mon 28 is 5 days, so the example (limit 3) watches on Sat 26."""
    h = harness(local(2026, 12, 23, 0, 0))
    h.run_until(local(2027, 1, 5, 23, 0))
    days = sorted({at.date() for at, m in h.sent("oversight_prompt") if m.account == "facebook"})
    assert dt.date(2026, 12, 24) not in days and dt.date(2026, 12, 25) not in days
    assert dt.date(2026, 12, 26) in days
    assert dt.date(2027, 1, 2) in days  # Wed 30 Dec -> Mon 4 Jan (nyårsafton, nyårsdagen, weekend)
    holiday = [m for at, m in h.sent("oversight_prompt") if at.date() == dt.date(2026, 12, 26)]
    assert holiday and all("Helgtillsyn" in m.text for m in holiday)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7])
def test_never_more_than_limit_days_between_watch_days_2024_2030(settings, harness, limit):
    """O2: whatever the holidays, consecutive watch days are at most `limit` days apart."""
    acc = settings.accounts["facebook"]
    pol = dataclasses.replace(acc.policy, oversight=dataclasses.replace(acc.policy.oversight, max_days_without_check=limit))
    acc = dataclasses.replace(acc, policy=pol)
    h = harness(local(2024, 1, 1))
    cal = h.ctx.calendar(acc.policy)
    d, last, worst, holiday_watch = dt.date(2024, 1, 1), None, 0, 0
    while d <= dt.date(2030, 12, 31):
        if oversight.is_watch_day(h.ctx, acc, d):
            holiday_watch += not cal.is_business_day(d)
            if last:
                worst = max(worst, (d - last).days)
            last = d
        d += dt.timedelta(days=1)
    assert worst <= limit
    # Holiday watch days are added only where the stretch off is longer than the limit:
    # Swedish holidays never make a week, and every Christmas/Easter exceeds three days.
    assert (holiday_watch == 0) if limit == 7 else (holiday_watch > 0 if limit <= 3 else True)


def test_missed_prompts_are_sent_at_start_up_once(harness, tmp_path):
    db = tmp_path / "u.db"
    harness(local(2026, 12, 4, 18, 0), db=db).bot.tick()  # installed on Friday evening
    h = harness(local(2026, 12, 7, 13, 0), db=db)  # the bot was down all morning
    h.bot.tick()
    assert {m.account for _, m in h.sent("oversight_prompt")} == ACCOUNTS
    assert {m.account for _, m in h.sent("oversight_reminder")} == ACCOUNTS
    h2 = harness(local(2026, 12, 7, 13, 5), db=db)  # restart: nothing repeated
    h2.bot.tick()
    assert h2.sent("oversight_prompt") == [] and h2.sent("oversight_reminder") == []


def test_intensified_watch_every_n_hours_through_the_weekend(harness):
    h = harness(local(2026, 12, 11, 16, 0))  # Friday
    reply = h.bot.command("lena@example.se", "/uppsikt känsligt facebook timmar=3 dagar=2 Inlägg om skolnedläggning")
    assert reply.ok, reply.text
    h.run_until(local(2026, 12, 14, 8, 0))
    times = [at for at, m in h.sent("intensified_prompt") if m.account == "facebook"]
    assert times[0] == local(2026, 12, 11, 19, 0)
    assert local(2026, 12, 12, 1, 0) in times and local(2026, 12, 13, 4, 0) in times  # nights and weekend
    assert times[-1] == local(2026, 12, 13, 16, 0)
    assert len(times) == 16
    assert h.sent("intensified_started")[0][1].to == "#konto-facebook"


def test_intensify_refuses_bad_hours_and_changes_nothing(harness):
    h = harness(local(2026, 12, 11, 16, 0))
    reply = h.bot.command("lena@example.se", "/uppsikt känsligt facebook timmar=tre")
    assert not reply.ok and "heltal" in reply.text
    assert h.ctx.db["accounts"].get("facebook")["next_intensified_at"] is None


def test_prompt_time_is_local_across_dst(harness):
    h = harness(local(2027, 3, 26, 12, 0))  # långfredag; spring switch Sunday 28 March
    h.run_until(local(2027, 3, 30, 9, 0))
    at = min(at for at, m in h.sent("oversight_prompt") if at.date() == dt.date(2027, 3, 30))
    assert (at.hour, at.minute) == (8, 30) and at.utcoffset() == dt.timedelta(hours=2)
    h = harness(local(2026, 10, 23, 12, 0))  # autumn switch Sunday 25 October
    h.run_until(local(2026, 10, 26, 9, 0))
    at = min(at for at, m in h.sent("oversight_prompt") if at.date() == dt.date(2026, 10, 26))
    assert (at.hour, at.minute) == (8, 30) and at.utcoffset() == dt.timedelta(hours=1)


def test_report_lists_watched_and_missed_days(harness):
    h = harness(local(2026, 12, 7, 8, 0))
    h.bot.command("lena@example.se", "/uppsikt klart facebook")
    h.run_until(local(2026, 12, 8, 9, 0))
    h.bot.command("per@example.se", "/uppsikt klart facebook ok")
    h.run_until(local(2026, 12, 9, 17, 0))
    rep = oversight.report(h.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 9))
    fb = {d.day: d for d in rep["facebook"]}
    assert fb[dt.date(2026, 12, 7)].checks[0][0] == "lena@example.se"
    assert fb[dt.date(2026, 12, 8)].checks[0][0] == "per@example.se"
    assert not fb[dt.date(2026, 12, 9)].watched
    text = oversight.render_report(h.ctx, rep)
    assert "2 av 3" in text and "2026-12-09: MISSAD" in text
    with pytest.raises(Refused):
        oversight.report(h.ctx, dt.date(2026, 12, 9), dt.date(2026, 12, 7))


def test_escalation_about_the_communicator_goes_to_the_chief(harness):
    h = harness(local(2026, 12, 7, 8, 0))
    for acc in ("instagram", "linkedin", "bibliotek"):
        h.bot.action(h.ctx.accounts[acc].owner, "oversight_done", acc)
    h.run_until(local(2026, 12, 7, 16, 0))
    esc = h.sent("oversight_escalation")
    assert [(m.account, m.to) for _, m in esc] == [("facebook", "karin@example.se")]  # Lena owns facebook
