"""The monthly report page and files (issue 14): self-contained, accessible, Swedish by default; CLI and CSV."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

import pytest

from bot.cli import main
from bot.core import monthly, oversight, records
from bot.report import page
from tests.conftest import local
from tests.report_world import november_world

NOV = monthly.Month(2026, 11)
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def rendered(settings):
    from tests.conftest import Harness

    h = Harness(settings, local(2026, 11, 3, 7, 0))
    november_world(h)
    return page.render_month(h.ctx, NOV), page.render_month(h.ctx, NOV, "en")


def test_page_is_well_formed_self_contained_and_swedish(rendered):
    sv, _ = rendered
    root = ET.fromstring(sv.html.split("\n", 1)[1])  # after the doctype
    assert root.get("lang") == "sv"
    assert [h.text for h in root.iter(f"{XHTML}h1")] == ["Tillsynen i Ekby kommun, november 2026"]
    h2 = [h.text for h in root.iter(f"{XHTML}h2")]
    assert h2 == ["Det viktigaste", "Bevakning per konto och dag", "Svarstider mot tidsfristerna",
                  "Öppna och försenade frågor under månaden", "Frågor per handläggare",
                  "Borttagna inlägg och krisperioder"]
    assert "<script" not in sv.html and not re.search(r'(src|href)="(https?:)?//', sv.html)
    imgs = list(root.iter(f"{XHTML}img"))
    assert len(imgs) == 7
    for img in imgs:
        assert img.get("src").startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(img.get("src").split(",", 1)[1]).lstrip().startswith(b"<?xml")
        assert len(img.get("alt")) > 40
    # Every chart section has a table with the numbers.
    for section in root.iter(f"{XHTML}section"):
        assert list(section.iter(f"{XHTML}img")) and (list(section.iter(f"{XHTML}table"))
                                                        or list(section.iter(f"{XHTML}ul")))


def test_text_alternatives_and_tables_state_the_figures(rendered):
    sv, _ = rendered
    cal = sv.charts["calendar"].alt
    assert "Ekby kommun (Facebook): 16 i tid, 2 sent, 2 missade av 20 vaktdagar" in cal
    assert "Ekby kommun (LinkedIn): 0 i tid, 12 sent, 8 missade av 20 vaktdagar" in cal
    assert "Första svar: 2 inom, 1 efter, 1 försenade" in sv.charts["replies"].alt
    assert "Bevakade vaktdagar: 49 av 80 (61 %)" in sv.html
    assert "Första svar inom tidsfristen: 2 av 4 (50 %)" in sv.html
    assert "Strömavbrott" in sv.html and "personangrepp" in sv.html
    assert 'data-label="Missade"' in sv.html  # stacked rows on a phone keep their headings


def test_english_is_available(rendered):
    _, en = rendered
    assert '<html lang="en"' in en.html and "Oversight in Ekby kommun, November 2026" in en.html
    assert "Watch days watched: 49 of 80" in en.html


def test_charts_are_png_and_svg(rendered, tmp_path):
    sv, _ = rendered
    assert set(sv.charts) == {"summary", "calendar", "replies", "distribution", "load", "assignees", "removals"}
    path = page.write(sv, tmp_path)
    assert path.name == "rapport-2026-11.html"
    for name in sv.charts:
        assert (tmp_path / f"2026-11-{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert b"<svg" in (tmp_path / f"2026-11-{name}.svg").read_bytes()[:2000]


def test_cli_report_month_writes_files_and_refuses_bad_month(settings, tmp_path, capsys, monkeypatch):
    from tests.conftest import Harness

    db = tmp_path / "u.db"
    h = Harness(settings, local(2026, 11, 3, 7, 0), db=str(db))
    november_world(h)
    h.bot.db.conn.close()
    monkeypatch.setattr("bot.clock.SystemClock.now", lambda self: local(2026, 12, 1, 10, 0))
    out = tmp_path / "rapport"
    assert main(["report", "month", "--db", str(db), "--month", "2026-11", "--out", str(out)]) == 0
    assert "november 2026" in capsys.readouterr().out
    html = (out / "rapport-2026-11.html").read_text(encoding="utf-8")
    assert "Bevakade vaktdagar: 49 av 80" in html
    assert len(list(out.glob("*.png"))) == len(list(out.glob("*.svg"))) == 7
    bad = tmp_path / "bad"
    for month in ("2026-13", "nov", "2027-01"):
        assert main(["report", "month", "--db", str(db), "--month", month, "--out", str(bad)]) == 2
        assert "ÅÅÅÅ-MM" in capsys.readouterr().err or month == "2027-01"
        assert not bad.exists()
    assert main(["report", "month", "--db", str(db), "--month", "2026-11", "--lang", "de", "--out", str(bad)]) == 2
    assert "sv eller en" in capsys.readouterr().err and not bad.exists()


def test_oversight_report_as_csv_for_swedish_excel(harness, tmp_path, capsys):
    h = harness(local(2026, 12, 7, 9, 0))
    oversight.log_check(h.ctx, "facebook", "lena@example.se", "Lugnt; inga frågor")
    rep = oversight.report(h.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 7))
    text = monthly.oversight_csv(h.ctx, rep)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == ["Konto", "Dag", "Arbetsdag", "Bevakad", "Vem", "Tid", "Anteckning"]
    fb = next(r for r in rows if r[0] == "Ekby kommun (Facebook)")
    assert fb == ["Ekby kommun (Facebook)", "2026-12-07", "ja", "ja", "Lena Berg", "09:00", "Lugnt; inga frågor"]
    assert len(rows) == 1 + sum(len(days) for days in rep.values())  # one row per account and reported day
    # The same through the CLI, into a file, with the oversight report's other formats unchanged.
    db = tmp_path / "u.db"
    h2 = harness(local(2026, 12, 1, 7, 0), db=str(db))  # installed before the day's prompt: the day counts
    oversight.log_check(h2.ctx, "facebook", "lena@example.se", "")
    out = tmp_path / "o5.csv"
    args = ["report", "oversight", "--db", str(db), "--from", "2026-12-01", "--to", "2026-12-03"]
    assert main([*args, "--format", "csv", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") and b";2026-12-01;ja;nej;" in out.read_bytes()
    assert main([*args, "--format", "xlsx"]) == 2 and "csv" in capsys.readouterr().err


def test_diarium_csv_times_are_dates_swedish_excel_reads(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "Kan jag få bygglov för ett garage?", author="Kalle", external_id="d1",
                           source="test")
    records.mark_for_diarium(h.ctx, item["id"], "ärendehandläggning", "lena@example.se")
    rows = records.export_diarium(h.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 7))
    assert rows[0]["received_at"] == "2026-12-07T10:00:00+01:00"  # JSON keeps ISO 8601 with the offset
    parsed = list(csv.reader(io.StringIO(records.export_csv(h.ctx, rows)[1:]), delimiter=";"))
    col = records.EXPORT_FIELDS.index("received_at")
    assert parsed[1][col] == "2026-12-07 10:00"
    assert parsed[1][records.EXPORT_FIELDS.index("answered_at")] == ""


def test_no_category_depends_on_colour_alone():
    """Every category has its own pattern (or symbol), so the charts survive colour blindness and black-and-white
    print; the colours are Okabe–Ito's."""
    from bot.i18n import catalogue
    from bot.report.charts import DEADLINE_STYLE, OKABE_ITO, STATUS_STYLE

    sv = catalogue("sv")
    shown = ("on_time", "late", "missed", "not_watch_day", "before")
    marks = {(STATUS_STYLE[s][0], STATUS_STYLE[s][1], sv[f"monthly.code.{s}"]) for s in shown}
    assert len({(hatch, code) for _, hatch, code in marks}) == len(shown)
    assert len({hatch for hatch, _ in DEADLINE_STYLE.values()}) == len(DEADLINE_STYLE)
    used = {c for c, _, _ in STATUS_STYLE.values()} | {c for c, _ in DEADLINE_STYLE.values()}
    assert used - {"#FFFFFF", "#E8E8E8"} <= set(OKABE_ITO.values())
