"""The console (embedded default), the CLI commands and the scheduler wiring."""

from __future__ import annotations

import io
import json

from apscheduler.triggers.cron import CronTrigger

from bot import jobs
from bot.adapters.console import Console, ConsoleChat
from bot.cli import main
from bot.settings import DEFAULT_CONFIG
from tests.conftest import Harness, local


def console_session(settings, lines: str, start=local(2026, 12, 7, 8, 0)):
    h = Harness(settings, start)
    out = io.StringIO()
    h.bot.chat = ConsoleChat(h.clock, out)
    Console(h.bot, h.clock, out).loop(io.StringIO(lines), interactive=False)
    return h, out.getvalue()


def test_console_runs_the_same_core(settings):
    h, out = console_session(settings, "\n".join([
        "/som per@example.se",
        "/uppsikt klart instagram Inga nya kommentarer",
        "post facebook av=Kalle När öppnar återvinningscentralen efter jul?",
        "knapp take 1",
        "/ärende 1 svarat Den öppnar 28 december.",
        "reagera 1 thumbsup",
        "vänta 1h",
        "avsluta",
    ]))
    assert "Du är nu Per Holm" in out
    assert "Tillsynen av ekbykommun är loggad" in out
    assert "#konto-facebook · nytt ärende" in out and "[Jag tar den]  → knapp ta 1" in out  # Swedish (issue 10)
    assert "Ärende 1 är besvarat" in out
    assert "betyder inget för Uppsikt" in out
    assert "Klockan är nu 2026-12-07 09:00" in out
    assert "#konto-facebook · dagens tillsyn" in out  # 08:30 came during `vänta 1h`
    assert h.ctx.db["items"].get(1)["status"] == "answered"


def test_console_bad_input_is_explained(settings):
    _, out = console_session(settings, "/som nobody@example.se\nblah\npost facebook\nknapp take\n")
    assert "hittar ingen person" in out and "Jag förstår inte" in out
    assert "Skriv: post KONTO" in out and "Skriv: knapp NAMN VÄRDE" in out


def test_route_json_changes_nothing(tmp_path, capsys):
    db = tmp_path / "u.db"
    assert main(["route", "Hur söker jag bygglov för en altan?", "--json", "--db", str(db)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["assignee"] == "omar@example.se"
    assert data["ranking"][0]["person"] == "omar@example.se" and data["ranking"][0]["reasons"]
    assert isinstance(data["ranking"][0]["score"], float)
    from bot.store.db import open_db

    assert open_db(db)["items"].count == 0


def test_import_history_all_or_nothing(tmp_path, capsys):
    db = tmp_path / "u.db"
    good = tmp_path / "good.csv"
    good.write_text("question,answer,answered_by,answered_at\n"
                    "Hur söker jag parkeringstillstånd?,Du söker i e-tjänsten.,sara@example.se,2026-03-14T10:30\n"
                    ",Svar utan fråga om parkeringstillstånd.,sara@example.se,2026-03-15T10:30\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer,answered_by,answered_at\n"
                   "Fråga,Svar,sara@example.se,2026-03-14T10:30\n"
                   "Fråga,,okand@example.se,igår\n", encoding="utf-8")
    assert main(["import-history", str(bad), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "rad 3" in err and "okand@example.se" in err and "svaret är tomt" in err and "Inget importerades" in err
    from bot.store.db import open_db

    assert open_db(db)["history_answers"].count == 0
    assert main(["import-history", str(good), "--db", str(db)]) == 0
    assert "2 svar importerade" in capsys.readouterr().out
    assert main(["route", "Var söker man parkeringstillstånd?", "--json", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["assignee"] == "sara@example.se"


def test_report_and_backup_cli(tmp_path, capsys, harness):
    db = tmp_path / "u.db"
    harness(local(2026, 11, 1, 12, 0), db=db).bot.tick()  # installed before the reported days (O5 counts from then)
    assert main(["report", "oversight", "--from", "2026-11-02", "--to", "2026-11-03", "--json", "--db", str(db)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"facebook", "instagram", "linkedin", "bibliotek"}
    assert data["facebook"][0] == {"day": "2026-11-02", "business_day": True, "watched": False, "checks": []}
    assert main(["backup", str(tmp_path / "b" / "copy.db"), "--db", str(db)]) == 0
    assert (tmp_path / "b" / "copy.db").is_file()


def test_scheduler_has_a_handful_of_jobs_in_stockholm(settings, tmp_path):
    h = Harness(settings, local(2026, 12, 7, 0, 0))
    scheduler = jobs.build_scheduler(h.bot, tmp_path)
    ids = {j.id for j in scheduler.get_jobs()}
    assert ids == {"tick", "flush", "backup"}
    tick = next(j for j in scheduler.get_jobs() if j.id == "tick")
    assert isinstance(tick.trigger, CronTrigger) and str(tick.trigger.timezone) == "Europe/Stockholm"
    for day in range(9):
        h.clock.set(local(2026, 12, 7 + day, 2, 30))
        jobs.nightly_backup(h.bot, tmp_path)
    assert len(list(tmp_path.glob("uppsikt-*.db"))) == jobs.BACKUPS_KEPT


def test_check_config_default_path(capsys):
    assert main(["check-config"]) == 0
    assert DEFAULT_CONFIG.name in capsys.readouterr().out


def test_console_refuses_numbers_that_are_not_plain_digits(settings):
    _, out = console_session(settings, "reagera ² sos\nreagera 99999999999999999999999 sos\n")
    assert out.count("» Skriv: reagera ÄRENDE EMOJI") == 2  # a usage hint, not a crash
