"""Automatic snapshots (R4, issue 12 point 4): an archived account gets a PDF/A with its original JSON every
six months (Nora: yearly) and at once at a major change, registered as the snapshot, and the responsible
person is told; accounts with nothing archived keep the reminder to take screenshots."""

from __future__ import annotations

import hashlib
import threading
import json
from pathlib import Path


from bot.core import snapshots
from bot.export import pdfa
from bot.settings import DEFAULT_CONFIG, load_settings
from tests.archive import world
from tests.archive.pdfa_markers import font_count, problems
from tests.conftest import Harness, local


def _harness(tmp_path: Path, settings=None, start=None) -> Harness:
    settings = settings or load_settings(DEFAULT_CONFIG)
    return Harness(settings, start or local(2026, 3, 2, 8, 0), db=tmp_path / "data" / "uppsikt.db")


def _day(h: Harness, when) -> list:
    """Tick at `when` and deliver: the messages sent."""
    h.clear()
    h.clock.set(when)
    h.bot.tick()
    h.bot.flush()
    return [m for _, m in h.chat.sent]


def _kinds(sent: list, kind: str) -> dict[str, object]:
    return {m.account: m for m in sent if m.kind == kind}


def test_an_archived_account_gets_a_pdfa_snapshot_with_its_json_instead_of_a_reminder(tmp_path):
    h = _harness(tmp_path)
    ids = world.fill(h)
    assert _kinds(_day(h, local(2026, 9, 1, 9, 0)), "snapshot_done") == {}  # not due yet
    sent = _day(h, local(2026, 9, 2, 9, 0))
    done = _kinds(sent, "snapshot_done")
    assert set(done) == {"facebook"}
    # the accounts with nothing archived (Instagram, LinkedIn and the library here) keep the screenshot reminder
    assert set(_kinds(sent, "snapshot_reminder")) == {"instagram", "linkedin", "bibliotek"}
    snap, = [dict(r) for r in h.ctx.db.query("SELECT * FROM snapshots")]
    assert (snap["account_id"], snap["automatic"], snap["taken_by"]) == ("facebook", 1, "uppsikt")
    assert snap["reference"] == snap["path"] == "snapshots/facebook/facebook-2026-09-02-1.pdf"
    assert snap["objects"] == len(ids) and snap["period_start"] == h.ctx.db.execute(
        "SELECT MIN(created_at) FROM archive_objects").fetchone()[0]
    data_dir = tmp_path / "data"
    pdf, js = data_dir / snap["path"], data_dir / snap["json_path"]
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == snap["sha256"]
    assert hashlib.sha256(js.read_bytes()).hexdigest() == snap["json_sha256"]
    assert problems(pdf) == [] and font_count(pdf) >= 1
    original = json.loads(js.read_text(encoding="utf-8"))
    c1 = next(o for o in original["objects"] if o["external_id"] == "c1")
    assert [v["text"] for v in c1["versions"]] == ["Varför är badet stängt?", "Varför är badet stängt i dag?"]
    assert c1["versions"][0]["raw"] == {"id": "c1", "message": "Varför är badet stängt?"}
    c6 = next(o for o in original["objects"] if o["external_id"] == "c6")
    assert c6["secrecy"] is True and c6["diarium_references"] == ["KS 2026/124"]
    msg = done["facebook"]
    assert msg.to == "lena@example.se"
    assert snap["path"] in msg.text and "2026-03-02" in msg.text and "2026-09-02" in msg.text
    assert "inte ta några skärmbilder" in msg.text and "uppsikt export sip --account facebook" in msg.text
    assert "2027-03-02" in msg.text  # the next one
    assert h.ctx.db["audit"].count_where("action = 'records.snapshot'") == 1
    # exactly once: the next days make none, and nothing is reminded for facebook
    for day in (3, 4):
        sent = _day(h, local(2026, 9, day, 9, 0))
        assert "facebook" not in _kinds(sent, "snapshot_done") | _kinds(sent, "snapshot_reminder")
    # the next snapshot starts where this one ended: only what came since
    h.clock.set(local(2026, 10, 1, 12, 0))
    world.deliver(h, world.event("add", "c8", "När öppnar simskolan?", parent_id="p1", author="Ali",
                                 created=local(2026, 10, 1, 12, 0)))
    _day(h, local(2027, 3, 2, 9, 0))
    second = dict(list(h.ctx.db.query("SELECT * FROM snapshots ORDER BY id DESC LIMIT 1"))[0])
    assert second["period_start"] == snap["period_end"] and second["objects"] == 1
    objects = json.loads((data_dir / second["json_path"]).read_text(encoding="utf-8"))["objects"]
    assert [(o["external_id"], o["in_period"]) for o in objects] == [("p1", False), ("c8", True)]


def test_a_major_change_on_an_archived_account_makes_the_snapshot_at_once(tmp_path):
    h = _harness(tmp_path)
    world.fill(h)
    h.clock.set(local(2026, 4, 10, 9, 0))
    reply = h.bot.command("per@example.se", "/snapshot ändring facebook Nytt namn och ny profilbild")
    assert reply.ok and "en ny ögonblicksbild är gjord" in reply.text and "Lena Berg har fått veta" in reply.text
    h.bot.flush()
    assert h.sent("snapshot_reminder") == []
    (_, msg), = h.sent("snapshot_done")
    assert msg.to == "lena@example.se" and "Nytt namn och ny profilbild" in msg.text
    snap = dict(list(h.ctx.db.query("SELECT * FROM snapshots"))[0])
    assert snap["automatic"] == 1 and snap["reason"] == "Nytt namn och ny profilbild"
    assert list(h.ctx.db["major_changes"].rows)[0]["snapshot_id"] == snap["id"]
    assert problems(tmp_path / "data" / snap["path"]) == []
    # a change on LinkedIn (nothing archived) still asks for screenshots
    reply = h.bot.command("karin@example.se", "/snapshot ändring linkedin Ny logga")
    assert reply.ok and "har fått en påminnelse" in reply.text


def test_a_failed_rendering_is_rolled_back_reported_and_the_reminder_goes_out(tmp_path, monkeypatch):
    h = _harness(tmp_path)
    world.fill(h)

    def broken(*args, **kwargs):
        raise OSError("disken är full")

    monkeypatch.setattr(pdfa, "render", broken)
    sent = _day(h, local(2026, 9, 2, 9, 0))
    assert "facebook" in _kinds(sent, "snapshot_reminder") and _kinds(sent, "snapshot_done") == {}
    assert [m for m in sent if m.kind == "tick_failure" and "ögonblicksbilderna" in m.text]
    assert h.ctx.db["snapshots"].count == 0
    assert not any((tmp_path / "data" / snapshots.SUBFOLDER).rglob("*.*"))


def test_nora_makes_its_automatic_snapshot_yearly(tmp_path):
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace('policy = "lekeberg"', 'policy = "nora"', 1)
    (tmp_path / "nora.toml").write_text(text, encoding="utf-8")
    settings = load_settings(tmp_path / "nora.toml")
    assert settings.policy.snapshots.interval_months == 12
    h = _harness(tmp_path, settings)
    world.fill(h)
    assert _kinds(_day(h, local(2026, 9, 2, 9, 0)), "snapshot_done") == {}
    assert _kinds(_day(h, local(2027, 3, 1, 9, 0)), "snapshot_done") == {}
    assert set(_kinds(_day(h, local(2027, 3, 2, 9, 0)), "snapshot_done")) == {"facebook"}


def test_a_database_in_memory_has_no_folder_so_the_reminder_stays(harness):
    h = harness(local(2026, 3, 2, 8, 0))
    world.fill(h)
    assert snapshots.folder(h.ctx) is None
    assert not snapshots.automatic(h.ctx, h.ctx.account("facebook"))
    sent = _day(h, local(2026, 9, 2, 9, 0))
    assert "facebook" in _kinds(sent, "snapshot_reminder")


def test_the_marker_check_refuses_a_pdf_that_is_not_pdfa(tmp_path):
    """The conformance check can fail: the same page written as a plain PDF lacks the markers."""
    import weasyprint

    html = "<html><head><title>x</title></head><body><p>Hej</p></body></html>"
    plain = tmp_path / "plain.pdf"
    weasyprint.HTML(string=html).write_pdf(plain)
    found = problems(plain)
    assert any("pdfaid:part" in p for p in found) and any("OutputIntent" in p for p in found)
    good = tmp_path / "good.pdf"
    pdfa.render(html, good, created=local(2026, 3, 2, 9, 0))
    assert problems(good) == []


def test_the_daily_snapshot_renders_off_the_lock_and_is_registered_after(tmp_path, monkeypatch):
    """A server renders the daily snapshots in a worker thread on a read connection: the tick hands the account
    over and returns at once (here the rendering waits until the tick has returned: rendered under the tick,
    it would wait forever), other entry points go on meanwhile, and the snapshot is registered and told after,
    exactly as when rendered in the tick. No reminder goes out for the account while it renders."""
    h = _harness(tmp_path)
    ids = world.fill(h)
    worker = h.bot.start_snapshot_worker()
    assert worker is not None and h.bot.start_snapshot_worker() is worker
    ticked, real = threading.Event(), pdfa.render
    during: list[bool] = []

    def after_the_tick(html, path, created):
        assert ticked.wait(30), "the tick waited for the rendering"
        during.append(h.bot.command("lena@example.se", "/uppsikt status").ok)  # an entry point meanwhile
        return real(html, path, created=created)

    monkeypatch.setattr(pdfa, "render", after_the_tick)
    sent = _day(h, local(2026, 9, 2, 9, 0))
    ticked.set()
    assert _kinds(sent, "snapshot_done") == {} and "facebook" not in _kinds(sent, "snapshot_reminder")
    assert set(_kinds(sent, "snapshot_reminder")) == {"instagram", "linkedin", "bibliotek"}
    assert worker.wait_idle(120)
    h.bot.flush()
    assert during == [True]
    (_, msg), = h.sent("snapshot_done")
    snap, = [dict(r) for r in h.ctx.db.query("SELECT * FROM snapshots")]
    assert snap["path"] == "snapshots/facebook/facebook-2026-09-02-1.pdf" and snap["objects"] == len(ids)
    data_dir = tmp_path / "data"
    assert hashlib.sha256((data_dir / snap["path"]).read_bytes()).hexdigest() == snap["sha256"]
    assert hashlib.sha256((data_dir / snap["json_path"]).read_bytes()).hexdigest() == snap["json_sha256"]
    assert problems(data_dir / snap["path"]) == []
    assert msg.to == "lena@example.se" and snap["path"] in msg.text
    assert sorted(p.name for p in (data_dir / snapshots.SUBFOLDER).rglob("*")) == [
        "facebook", "facebook-2026-09-02-1.json", "facebook-2026-09-02-1.pdf"]  # no temporary file left
    for day in (3, 4):  # exactly once
        sent = _day(h, local(2026, 9, day, 9, 0))
        assert worker.wait_idle(60)
        assert "facebook" not in _kinds(sent, "snapshot_done") | _kinds(sent, "snapshot_reminder")
    assert h.ctx.db["snapshots"].count == 1


def test_a_rendering_that_fails_off_the_lock_is_reported_and_the_reminder_goes_out(tmp_path, monkeypatch):
    h = _harness(tmp_path)
    world.fill(h)
    worker = h.bot.start_snapshot_worker()

    def broken(*args, **kwargs):
        raise OSError("disken är full")

    monkeypatch.setattr(pdfa, "render", broken)
    _day(h, local(2026, 9, 2, 9, 0))
    assert worker.wait_idle(60)
    h.bot.flush()
    assert [m for _, m in h.sent("snapshot_reminder") if m.account == "facebook"]
    assert [m for _, m in h.chat.sent if m.kind == "tick_failure" and "ögonblicksbilderna" in m.text]
    assert h.sent("snapshot_done") == [] and h.ctx.db["snapshots"].count == 0
    assert not any((tmp_path / "data" / snapshots.SUBFOLDER).rglob("*.*"))
    # the next day it is tried again (still due), and not reminded twice for the same due date
    monkeypatch.undo()
    h.clear()
    _day(h, local(2026, 9, 3, 9, 0))
    assert worker.wait_idle(120)
    h.bot.flush()
    assert len(h.sent("snapshot_done")) == 1 and h.sent("snapshot_reminder") == []


def test_a_stopped_rendering_leaves_no_file_behind_at_the_next_start(tmp_path):
    from bot.snapshot_worker import remove_unfinished

    folder = tmp_path / "snapshots" / "facebook"
    folder.mkdir(parents=True)
    (folder / ".facebook-2026-09-02-abc.pdf.part").write_bytes(b"%PDF-")
    (folder / "facebook-2026-03-02-1.pdf").write_bytes(b"%PDF-")
    assert remove_unfinished(tmp_path / "snapshots") == 1
    assert [p.name for p in folder.iterdir()] == ["facebook-2026-03-02-1.pdf"]


def test_the_worker_survives_a_snapshot_it_cannot_finish(tmp_path, monkeypatch):
    """A rendering that fails while the database cannot take the report either (disk full) is logged, and the
    worker goes on with the next account instead of dying with its thread."""
    import sqlite3

    h = _harness(tmp_path)
    world.fill(h)
    worker = h.bot.start_snapshot_worker()
    calls: list[str] = []

    def prepare(account_id, reason):
        calls.append(account_id)
        raise OSError("disken är full")

    def failed(account_id, exc):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(h.bot, "prepare_snapshot", prepare)
    monkeypatch.setattr(h.bot, "snapshot_failed", failed)
    worker.request("facebook", "test")
    assert worker.wait_idle(30)
    worker.request("instagram", "test")
    assert worker.wait_idle(30)
    assert calls == ["facebook", "instagram"] and worker.in_flight() == frozenset()
