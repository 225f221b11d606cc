"""Whole simulated weeks through the simulator: the shipped scenarios and the hard calendar weeks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot import simulate
from bot.cli import main
from tests.conftest import REPO

SCENARIOS = REPO / "config" / "scenarios"


def run(settings, name: str):
    records, bot = simulate.run(settings, simulate.load_scenario(SCENARIOS / name))
    return [(r.at, r.message) for r in records], simulate.state(bot)


def kinds(records, kind):
    return [(at, m) for at, m in records if m.kind == kind]


def test_every_shipped_scenario_runs_without_refusals(settings):
    names = sorted(p.name for p in SCENARIOS.glob("*.toml"))
    assert len(names) >= 6
    for name in names:
        records, _ = run(settings, name)
        assert not kinds(records, "refused"), (name, [m.text for _, m in kinds(records, "refused")])


def test_ordinary_week(settings):
    records, state = run(settings, "ordinary-week.toml")
    prompt_days = {at.date() for at, m in kinds(records, "oversight_prompt")}
    assert prompt_days == {dt.date(2026, 12, d) for d in range(7, 12)}
    statuses = {i["id"]: i["status"] for i in state["items"]}
    assert statuses == {1: "answered", 2: "answered", 3: "answered", 4: "noted"}
    # Item 3 arrived on Tuesday 09:00 and was forwarded at 14:00: the full answer is due five business
    # days after the question arrived (Q2, Lekeberg 6.2), not after the forward.
    assert state["items"][2]["full_answer_due"] == "2026-12-15T09:00:00+01:00"
    # Facebook was checked by button on Monday: no reminder for it that day.
    monday = dt.date(2026, 12, 7)
    assert not [m for at, m in kinds(records, "oversight_reminder") if m.account == "facebook" and at.date() == monday]


def test_christmas_with_absences(settings):
    records, state = run(settings, "christmas-absences.toml")
    fb_days = sorted({at.date() for at, m in kinds(records, "oversight_prompt") if m.account == "facebook"})
    for holiday in (dt.date(2026, 12, 24), dt.date(2026, 12, 25), dt.date(2026, 12, 31), dt.date(2027, 1, 1),
                    dt.date(2027, 1, 6)):
        assert holiday not in fb_days
    gaps = [(b - a).days for a, b in zip(fb_days, fb_days[1:])]
    assert max(gaps) <= 3  # O2 with the example's limit: never more than three days without oversight
    # Lena is away 22 Dec – 6 Jan: her substitute Per gets Facebook's reminders; Per took the question.
    assert {m.to for at, m in kinds(records, "oversight_reminder")
            if m.account == "facebook" and dt.date(2026, 12, 22) <= at.date() <= dt.date(2027, 1, 6)} == {"per@example.se"}
    first = state["items"][0]
    assert first["status"] == "answered" and first["assignee"] == "per@example.se"
    assert first["first_reply_due"] == "2026-12-28T14:00:00+01:00"  # julafton to söndag are not business days
    second = state["items"][1]
    assert second["first_reply_due"] == "2027-01-04T11:00:00+01:00"  # nyårsafton, nyårsdagen, weekend


def test_sensitive_post(settings):
    records, _ = run(settings, "sensitive-post.toml")
    times = [at for at, m in kinds(records, "intensified_prompt")]
    assert times[0].hour == 18 and times[0].date() == dt.date(2026, 12, 11)
    assert any(at.weekday() == 5 and at.hour < 6 for at in times)  # Saturday night


def test_crisis_day(settings):
    records, state = run(settings, "crisis-day.toml")
    assert kinds(records, "crisis_alert")[0][1].to == "#krisgruppen"
    assert len(kinds(records, "crisis_notice")) == 4
    prompts = sorted({at for at, _ in kinds(records, "crisis_prompt")})
    assert all((b - a) == dt.timedelta(hours=2) for a, b in zip(prompts, prompts[1:]))
    summary = [m for _, m in kinds(records, "all_clear") if m.to == "#krisgruppen"][0]
    assert "Ärenden under krisen: 2" in summary.text and "Per Holm (1)" in summary.text
    assert state["items"][1]["first_reply_due"] == "2027-03-09T21:05:00+01:00"  # crisis: two hours


def test_repeat_offender(settings):
    records, _ = run(settings, "repeat-offender.toml")
    assert len(kinds(records, "removal_registered")) == 2
    [(_, block)] = kinds(records, "block_recommended")
    assert block.to == "lena@example.se" and "Sture Troll" in block.text


def test_personnummer(settings):
    records, state = run(settings, "personnummer.toml")
    alerts = kinds(records, "confidential_alert")
    assert len(alerts) == 1 and alerts[0][1].item == 1  # the wrong check digit is left alone
    assert state["items"][0]["status"] == "closed"


@pytest.mark.parametrize(
    "start,end,off",
    [
        ("2027-03-24T07:00:00", "2027-03-31T18:00:00",  # Easter 2027 and the spring DST switch (28 March)
         {"2027-03-26", "2027-03-29"}),
        ("2027-06-21T07:00:00", "2027-06-28T18:00:00", {"2027-06-25"}),  # midsommarafton
        ("2026-10-21T07:00:00", "2026-10-28T18:00:00", set()),  # autumn DST switch (25 October)
        ("2027-05-03T07:00:00", "2027-05-10T18:00:00", {"2027-05-06", "2027-05-07"}),  # Kristi himmelsfärd + klämdag
    ],
)
def test_hard_weeks(settings, tmp_path, start, end, off):
    scen = tmp_path / "week.toml"
    scen.write_text(
        f'start = {start}\nend = {end}\n'
        f'[[event]]\nat = {start[:10]}T09:00:00\n'
        'item = { account = "facebook", author = "A", text = "Hur ansöker jag om bygglov för en carport?", external_id = "w1" }\n',
        encoding="utf-8",
    )
    records, bot = simulate.run(settings, simulate.load_scenario(scen))
    prompts = [(r.at, r.message) for r in records if r.message.kind == "oversight_prompt" and r.message.account == "facebook"]
    days = {at.date().isoformat() for at, _ in prompts}
    assert not days & off
    for at, _ in prompts:
        assert (at.hour, at.minute) == (8, 30)  # local wall time on both sides of a DST switch
    item = simulate.state(bot)["items"][0]
    due = dt.datetime.fromisoformat(item["first_reply_due"])
    assert due.date().isoformat() not in off and due.weekday() < 5 and (due.hour, due.minute) == (9, 0)


def test_cli_json_lines(tmp_path, capsys):
    assert main(["simulate", "--scenario", str(SCENARIOS / "ordinary-week.toml"), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1]["kind"] == "state"
    first = lines[0]
    assert set(first) == {"at", "kind", "to", "account", "item", "text"}
    assert dt.datetime.fromisoformat(first["at"]).utcoffset() is not None


@pytest.mark.parametrize(
    "body,needle",
    [
        ("start = 2026-12-01T08:00:00\n", "start och end krävs"),
        ("start = 2026-12-02T08:00:00\nend = 2026-12-01T08:00:00\n", "end måste vara efter start"),
        ("start = 2026-12-01T08:00:00\nend = 2026-12-02T08:00:00\n[[event]]\nat = 2026-12-01T09:00:00\n"
         "item = { account = \"facebook\" }\n", "saknar text"),
        ("start = 2026-12-01T08:00:00\nend = 2026-12-02T08:00:00\n[[event]]\nat = 2027-12-01T09:00:00\n"
         "command = { as = \"a@b.se\", text = \"/kris\" }\n", "utanför start–end"),
        ("start = 2026-12-01T08:00:00\nend = 2026-12-02T08:00:00\n[[event]]\nat = 2026-12-01T09:00:00\n"
         "dance = { as = \"a@b.se\" }\n", "exakt en av"),
        ("start = [broken", "ogiltig TOML"),
    ],
)
def test_bad_scenarios_get_clear_errors(tmp_path, capsys, body, needle):
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    assert main(["simulate", "--scenario", str(path)]) == 2
    assert needle in capsys.readouterr().err


def test_absence_handover(settings):
    """Issue 10 point 5: registering an absence moves the work at once, and the reason is on the card."""
    records, state = run(settings, "absence-handover.toml")
    item = state["items"][0]
    assert item["assignee"] == "omar@example.se" and item["status"] == "answered"
    moved = [m for at, m in kinds(records, "item_updated") if m.item == 1 and (at.date(), at.hour) == (dt.date(2026, 12, 7), 9)]
    assert moved and any("Maria är frånvarande" in value for _, value in moved[-1].fields)
    assert {m.to for _, m in kinds(records, "nudge")} == {"omar@example.se"}  # never to Maria, who is away
    [(at, handed)] = kinds(records, "oversight_handover")
    assert handed.to == "karin@example.se" and handed.account == "facebook" and at.hour == 10
    told = {(m.to, m.account) for _, m in kinds(records, "no_stand_in")}
    assert ("erik@example.se", "bibliotek") in told and ("karin@example.se", "bibliotek") in told
    assert [m for _, m in kinds(records, "coverage_warning") if m.account == "bibliotek"]
