"""Database faults: read-only file or folder at start-up, not a database, disk full mid-run, backup and restore.

What must hold every time: a clear Swedish error (exit code 2 from the CLI,
never a traceback), nothing half-written (each entry point is one
transaction), and a bot that works again once the cause is gone.

* Read-only cases run the CLI as a separate process *without* root's power to
  ignore file permissions: as root (CI) through ``unshare --user`` (a user
  namespace with no mapping keeps the uid but drops CAP_DAC_OVERRIDE), else as
  the current user. Where neither can be arranged the tests say so and skip.
* "Disk full" is SQLite's own SQLITE_FULL, made with ``PRAGMA max_page_count``
  on the bot's connection after the free space in the file is used up; raising
  the limit again is "space freed". "Read-only mid-run" (say, the file system
  remounted read-only) is SQLITE_READONLY, made with ``PRAGMA query_only``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bootstrap import build
from bot.cli import main
from bot.store.db import StoreError, open_db
from tests.conftest import REPO, local

FULL = "SQLITE_FULL"
UNLIMITED = 1_073_741_823
MONDAY = local(2024, 12, 9, 8, 0)
QUESTIONS = [
    "När töms soptunnorna i Norrby?", "Var lämnar jag grovsopor?", "När öppnar simhallen efter renoveringen?",
    "Hur ansöker jag om bygglov för ett attefallshus?", "Vem plogar min gata?", "Hur får jag ett lånekort?",
]


# --------------------------------------------------------------------------- helpers


def db_files(path: Path) -> dict[str, str]:
    """Name -> sha256 of the database file and any -wal/-shm beside it."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.parent.glob(path.name + "*"))}


def healthy(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    return conn


def make_db(settings, path: Path) -> None:
    """A database with some history, closed cleanly (no -wal/-shm left)."""
    bot = build(settings, clock=_clock(), db=path)
    bot.intake("facebook", QUESTIONS[0], external_id="q0", source="facebook")
    bot.command("lena@example.se", "/uppsikt klart facebook")
    bot.db.close()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def _clock():
    from bot.clock import FakeClock

    return FakeClock(local(2024, 12, 9, 10, 0))


def _without_dac_override(probe: Path) -> list[str] | None:
    """The command prefix that runs a process unable to write a 0444 file; None if it cannot be arranged."""
    prefix = [] if os.geteuid() != 0 else ["unshare", "--user", "--"]
    if prefix and shutil.which("unshare") is None:
        return None
    probe.write_text("x")
    probe.chmod(0o444)
    try:
        result = subprocess.run([*prefix, sys.executable, "-c", f"open({str(probe)!r}, 'a')"],
                                capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        probe.chmod(0o644)
        probe.unlink()
    return prefix if result.returncode != 0 and b"PermissionError" in result.stderr else None


@pytest.fixture
def unprivileged(tmp_path):
    """run(*args) -> CompletedProcess of `python -m bot *args` without the power to ignore permissions."""
    prefix = _without_dac_override(tmp_path / "probe")
    if prefix is None:
        pytest.skip("cannot run a process that respects file permissions here (root without user namespaces)")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                              timeout=120, cwd=REPO)

    return run


def report(db: Path) -> tuple[str, ...]:
    return ("report", "oversight", "--db", str(db), "--from", "2024-12-09", "--to", "2024-12-09", "--json")


def assert_clear_store_error(result: subprocess.CompletedProcess, db_path: Path) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Databasen {db_path} kan inte öppnas eller skrivas" in result.stderr
    assert "Kontrollera sökväg, behörighet och ledigt diskutrymme" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- read-only at start-up


def test_a_read_only_database_file_is_refused_clearly_and_left_untouched(settings, tmp_path, unprivileged):
    path = tmp_path / "data" / "uppsikt.db"
    path.parent.mkdir()
    make_db(settings, path)
    before = db_files(path)
    path.chmod(0o444)
    try:
        for args in (report(path), ("backup", "--db", str(path), str(tmp_path / "copy.db")),
                     ("route", "--db", str(path), "Var lämnar jag grovsopor?")):
            result = unprivileged(*args)
            assert_clear_store_error(result, path)
            assert "Permission denied" in result.stderr
        assert db_files(path) == before  # no byte changed, and no read-only -wal/-shm left to trip the next start
        assert not (tmp_path / "copy.db").exists()
    finally:
        path.chmod(0o644)
    result = unprivileged(*report(path))  # permissions fixed: the same command works, with the history intact
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["facebook"][0]["checks"][0]["person"] == "lena@example.se"
    conn = healthy(path)
    assert conn.execute("SELECT external_id FROM items").fetchall() == [("q0",)]


def test_a_read_only_folder_is_refused_clearly_for_old_and_new_databases(settings, tmp_path, unprivileged):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "uppsikt.db"
    make_db(settings, path)
    before = db_files(path)
    folder.chmod(0o555)
    try:
        result = unprivileged(*report(path))  # WAL needs to create uppsikt.db-wal and -shm beside the file
        assert_clear_store_error(result, path)
        assert str(folder) in result.stderr
        new = folder / "ny.db"
        assert_clear_store_error(unprivileged(*report(new)), new)
        assert sorted(p.name for p in folder.iterdir()) == ["uppsikt.db"]
        assert db_files(path) == before
    finally:
        folder.chmod(0o755)
    assert unprivileged(*report(path)).returncode == 0
    healthy(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path, capsys):
    garbage = tmp_path / "skrap.db"
    garbage.write_bytes(bytes(range(256)) * 40)
    truncated = tmp_path / "avbruten.db"
    truncated.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    for path in (garbage, truncated):
        before = path.read_bytes()
        with pytest.raises(StoreError) as err:
            open_db(path)
        assert f"Databasen {path} kan inte öppnas" in str(err.value)
        with pytest.raises(SystemExit) as exit_:
            main(list(report(path)))
        assert exit_.value.code == 2
        assert f"Databasen {path} kan inte öppnas" in capsys.readouterr().err
        assert path.read_bytes() == before  # never "repaired" into an empty database


# --------------------------------------------------------------------------- disk full mid-run


def fill_up(db) -> None:
    """Make the database file full: no page may be added and no free page is left."""
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    n = 0
    while True:  # use the remaining free pages and page space up with rows nobody reads
        try:
            with db.atomic():
                db.execute("INSERT INTO events_seen (event_id, at) VALUES (?, ?)", [f"filler-{n:08d}" + "x" * 200, 0])
        except sqlite3.OperationalError as exc:
            assert exc.sqlite_errorname == FULL
            break
        n += 1
        assert n < 100_000


def free_space(db) -> None:
    db.execute(f"PRAGMA max_page_count = {UNLIMITED}")


def make_read_only(db) -> None:
    db.execute("PRAGMA query_only = ON")  # what SQLite says when the file system went read-only under the bot


def make_writable(db) -> None:
    db.execute("PRAGMA query_only = OFF")


# fault name -> (cause it, clear it, SQLite's error name, the words in SQLite's message)
FAULTS = {
    "disk full": (fill_up, free_space, FULL, "database or disk is full"),
    "read-only": (make_read_only, make_writable, "SQLITE_READONLY", "attempt to write a readonly database"),
}


def state_of(db) -> dict[str, object]:
    """Every table's rows (small test databases), to compare before and after a failed entry point."""
    tables = [(r[0], r[1] or "") for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                                     "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    # WITHOUT ROWID tables (the search index's own, issue 17) come in primary-key order
    return {t: db.execute(f"SELECT * FROM [{t}]" + ("" if "WITHOUT ROWID" in sql.upper() else " ORDER BY rowid"))
            .fetchall() for t, sql in tables}


def consistent(db) -> None:
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE item_id IS NOT NULL "
                      "AND item_id NOT IN (SELECT id FROM items)").fetchone()[0] == 0  # no message without its item
    assert db.execute("SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM item_history)"
                      ).fetchone()[0] == 0  # no item without its history


def write_history(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["question", "answer", "answered_by", "answered_at"])
        for n in range(rows):
            w.writerow([f"Fråga {n} om sophämtning i Norrby?", "Hämtning sker varannan vecka. " * 20,
                        "maria@example.se", "2024-11-04T10:00"])
    return path


@pytest.mark.parametrize("fault", FAULTS)
def test_a_full_or_read_only_database_mid_run_rolls_every_entry_point_back_and_the_bot_recovers(
        harness, tmp_path, fault):
    cause, clear, code, words = FAULTS[fault]
    h = harness(MONDAY, db=tmp_path / "u.db")
    for n, q in enumerate(QUESTIONS[:4]):
        h.bot.intake("facebook", q, external_id=f"ok{n}", source="facebook")
    h.run_until(local(2024, 12, 9, 8, 45))  # the 08:30 prompts are out
    db = h.bot.db
    cause(db)
    before = state_of(db)

    # an incoming comment: all of it (item, history, card) or nothing
    with pytest.raises(sqlite3.OperationalError) as err:
        h.bot.intake("facebook", QUESTIONS[4] + " " + "Det är mycket snö. " * 200, external_id="full1",
                     source="facebook")
    assert err.value.sqlite_errorname == code and words in str(err.value)
    assert state_of(db) == before
    # the scheduler: nudges due at 13:00 are neither half-claimed nor half-queued
    h.clock.set(local(2024, 12, 9, 13, 30))
    with pytest.raises(sqlite3.OperationalError):
        h.bot.tick()
    assert state_of(db) == before  # last_tick not moved on either: /healthz turns 503 after five minutes
    # an import: all rows or none
    with pytest.raises(sqlite3.OperationalError):
        h.bot.import_history(write_history(tmp_path / "svar.csv", 200))
    assert state_of(db) == before
    consistent(db)
    sent_before = len(h.chat.sent)

    clear(db)
    item, created = h.bot.intake("facebook", QUESTIONS[4], external_id="full1", source="facebook")
    assert created and db.execute("SELECT COUNT(*) FROM items WHERE external_id = 'full1'").fetchone()[0] == 1
    h.bot.tick()  # what fell due while the disk was full is done now, once
    nudges = db.execute("SELECT item_id, COUNT(*) FROM outbox WHERE kind = 'nudge' GROUP BY item_id").fetchall()
    assert nudges and all(n == 1 for _, n in nudges)
    h.bot.tick()
    assert db.execute("SELECT item_id, COUNT(*) FROM outbox WHERE kind = 'nudge' GROUP BY item_id").fetchall() == nudges
    assert h.bot.import_history(tmp_path / "svar.csv") == 200
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0
    assert len(h.chat.sent) > sent_before
    consistent(db)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_full_or_read_only_database_in_a_cli_command_is_a_clear_error_and_imports_nothing(
        settings, tmp_path, monkeypatch, capsys, fault):
    import bot.bootstrap

    cause, _, _, words = FAULTS[fault]
    path = tmp_path / "u.db"
    make_db(settings, path)
    real_open = bot.bootstrap.open_db

    def open_faulty(p, *args, **kwargs):  # the fault strikes after start-up, before the command's writes
        db = real_open(p, *args, **kwargs)
        cause(db)
        return db

    monkeypatch.setattr(bot.bootstrap, "open_db", open_faulty)
    csv_path = write_history(tmp_path / "svar.csv", 200)
    assert main(["import-history", "--db", str(path), str(csv_path)]) == 2
    err = capsys.readouterr().err
    assert f"Databasen {path} kan inte öppnas eller skrivas ({words})" in err
    assert "Traceback" not in err
    monkeypatch.setattr(bot.bootstrap, "open_db", real_open)
    conn = healthy(path)
    assert conn.execute("SELECT COUNT(*) FROM history_answers").fetchone()[0] == 0
    conn.execute("DELETE FROM events_seen WHERE event_id LIKE 'filler-%'")
    conn.commit()
    conn.close()
    assert main(["import-history", "--db", str(path), str(csv_path)]) == 0
    assert "200 svar importerade" in capsys.readouterr().out


def test_programming_errors_are_not_disguised_as_store_errors(tmp_path, monkeypatch):
    """Only the store's own failures (full, read-only, I/O, corrupt, locked) become the Swedish store message."""
    import bot.cli

    def broken(args):
        raise sqlite3.OperationalError("no such column: nonsense")

    monkeypatch.setattr(bot.cli, "cmd_route", broken)
    with pytest.raises(sqlite3.OperationalError):
        main(["route", "--db", str(tmp_path / "u.db"), "x"])


# --------------------------------------------------------------------------- backup -> restore -> CLI


def test_a_cli_backup_of_a_live_database_restores_to_a_working_bot(settings, harness, tmp_path, capsys):
    live = tmp_path / "live" / "uppsikt.db"
    h = harness(MONDAY, db=live)
    for n, q in enumerate(QUESTIONS):
        h.bot.intake("facebook" if n % 2 else "bibliotek", q, external_id=f"b{n}", source="facebook")
    h.bot.intake("facebook", "Hej, jag vill klaga på snöröjningen på Storgatan.", external_id="dm1",
                 source="facebook", kind="dm")
    h.run_until(local(2024, 12, 9, 10, 0))  # the day's prompts are dispatched
    h.bot.command("lena@example.se", "/uppsikt klart facebook")
    assert h.bot.action("maria@example.se", "take", "1").ok
    assert Path(str(live) + "-wal").stat().st_size > 0  # the latest writes are still in the WAL, not the file

    copy = tmp_path / "restore" / "uppsikt.db"
    assert main(["backup", "--db", str(live), str(copy)]) == 0
    assert f"Säkerhetskopia sparad: {copy}" in capsys.readouterr().out
    conn = healthy(copy)
    for table in ("items", "item_history", "outbox", "oversight_log", "dispatched", "audit", "state"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == h.bot.db[table].count, table
    conn.close()

    def cli(*args: str) -> str:
        assert main([*args]) == 0, capsys.readouterr().err
        return capsys.readouterr().out

    db = ("--db", str(copy))
    rep = json.loads(cli("report", "oversight", *db, "--from", "2024-12-09", "--to", "2024-12-09", "--json"))
    assert rep["facebook"][0]["checks"][0]["person"] == "lena@example.se"
    found = json.loads(cli("search", "simhallen", *db, "--json"))
    assert any("simhallen" in json.dumps(r, ensure_ascii=False) for r in found)
    diarium = json.loads(cli("export", "diarium", *db, "--from", "2024-12-01", "--to", "2024-12-31", "--format", "json"))
    assert any("snöröjningen" in json.dumps(r, ensure_ascii=False) for r in diarium)
    assert json.loads(cli("export", "register", *db, "--format", "json"))
    assert json.loads(cli("route", *db, "När töms soptunnorna?", "--json"))["assignee"]
    assert "5 svar importerade" in cli("import-history", *db, str(write_history(tmp_path / "svar.csv", 5)))
    assert "Säkerhetskopia sparad" in cli("backup", *db, str(tmp_path / "again.db"))
    healthy(copy)
    healthy(tmp_path / "again.db")
    # and the restored file runs the bot: dedupe state, items and the scheduler's claims came along
    restored = build(settings, clock=h.clock, db=copy)
    _, created = restored.intake("facebook", QUESTIONS[1], external_id="b1", source="facebook")
    assert not created
    queued = restored.db["outbox"].count
    restored.tick()  # today's prompts were dispatched before the backup: not again
    assert restored.db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'oversight_prompt' AND id > ?",
                               [queued]).fetchone()[0] == 0
