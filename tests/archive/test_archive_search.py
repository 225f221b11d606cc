"""Issue 12 point 6: the archive's FTS5 index (m011) gives exactly the scan's results and stays in step."""

from __future__ import annotations

import pytest

from bot.core import archive, records
from bot.facade import PlatformEvent
from bot.store import fts
from tests.conftest import local

FB_PAGE = "100000000000001"
TEXTS = [  # (external id, text, own)
    ("p1", "Snöröjningen på Ekvägen börjar i natt.", True),
    ("p2", "Vi bor på Großstraße 5 och undrar om soporna", False),  # ß: casefold gives "ss"
    ("p3", "Καλημέρα, πότε öppnar biblioteket?", False),
    ("p4", "Jag är 100% nöjd med ÅTERVINNINGEN", True),
    ("p5", "Filen heter rapport_2026", False),
    ("p6", "Tack för ﬁn service 🎉", True),
]
QUERIES = ["ekvägen", "EKVÄGEN", "strasse", "großstraße", "καλημέρα", "100%", "rapport_", "%", "_", "fin service",
           "ﬁn", "🎉", "åter", "ö", "ab", "saknas helt"]


@pytest.fixture
def filled(harness, tmp_path):
    h = harness(local(2026, 12, 7, 10, 0), db=tmp_path / "uppsikt.db")
    events = [PlatformEvent(entry_id=FB_PAGE, action="add", source="facebook", external_id=ext, kind="post",
                            text=text, own=own, author="Ekby kommun" if own else "Anna")
              for ext, text, own in TEXTS]
    h.bot.platform_delivery("page", [FB_PAGE], events)
    return h


def _hits(h, query: str) -> list[tuple[str, int, int]]:
    return [(r["external_id"], r["version"], r["versions"]) for r in archive.matches(h.ctx, query)]


@pytest.mark.parametrize("query", QUERIES)
def test_the_archive_index_gives_exactly_the_scans_results(filled, query, monkeypatch):
    indexed = records.search(filled.ctx, query)
    monkeypatch.setattr(fts, "usable", lambda q: False)
    assert indexed == records.search(filled.ctx, query)


def test_case_folding_finds_swedish_and_exotic_text(filled):
    assert _hits(filled, "EKVÄGEN") == [("p1", 1, 1)]
    assert _hits(filled, "strasse") == [("p2", 1, 1)]  # through archive_search_exotic
    assert _hits(filled, "100%") == [("p4", 1, 1)] and _hits(filled, "%") == [("p4", 1, 1)]
    exotic = sorted(r[0] for r in filled.ctx.db.execute("SELECT row_id FROM archive_search_exotic"))
    ids = {ext: archive.find(filled.ctx, "facebook", ext)["id"] for ext, _, _ in TEXTS}
    versions = {ext: archive.versions(filled.ctx, ids[ext])[0]["id"] for ext in ids}
    assert exotic == sorted(versions[e] for e in ("p2", "p3", "p6"))


def test_triggers_keep_the_index_in_step_with_edits_and_weeding(filled):
    h = filled
    h.bot.platform_delivery("page", [FB_PAGE], [PlatformEvent(
        entry_id=FB_PAGE, action="edit", source="facebook", external_id="p1", kind="post", own=True,
        text="Snöröjningen på Ekvägen börjar i morgon.")])
    assert _hits(h, "ekvägen") == [("p1", 2, 2), ("p1", 1, 2)]
    assert _hits(h, "i natt") == [("p1", 1, 2)]  # the earlier text of the edited post
    obj = archive.find(h.ctx, "facebook", "p1")
    h.clock.set(local(2027, 6, 1, 10, 0))
    assert h.bot.command("lena@example.se", "/snapshot klar facebook Platina KS 2027/1").ok  # R4 kept it first
    with h.ctx.db.atomic():
        records.weed(h.ctx)  # the items first (open questions stay), then the archive
    kept = {r[0] for r in h.ctx.db.execute("SELECT external_id FROM archive_objects WHERE weeded_at IS NULL")}
    open_items = {r[0] for r in h.ctx.db.execute("SELECT external_id FROM items")}
    assert kept == open_items == {"p2", "p3"}  # two questions are still open: their content is kept
    assert _hits(h, "ekvägen") == [] and _hits(h, "strasse") == [("p2", 1, 1)]
    assert h.ctx.db.execute("SELECT COUNT(*) FROM archive_versions_fts WHERE archive_versions_fts MATCH ?",
                            [fts.match_phrase("ekvägen")]).fetchone()[0] == 0
    assert h.ctx.db.execute("SELECT COUNT(*) FROM archive_search_exotic").fetchone()[0] == 2  # p2, p3; not p6
    assert [e["kind"] for e in archive.events(h.ctx, obj["id"])] == ["captured", "edited", "weeded"]


def test_the_migration_fills_the_index_for_versions_already_stored(tmp_path):
    from bot.store.db import open_db
    from bot.store.migrations import migrations

    db = open_db(tmp_path / "old.db")
    db.executescript("""
        DROP TRIGGER archive_versions_fts_insert; DROP TRIGGER archive_versions_fts_delete;
        DROP TRIGGER archive_versions_fts_update; DROP TABLE archive_versions_fts; DROP TABLE archive_search_exotic;
        ALTER TABLE archive_objects DROP COLUMN secrecy;
    """)
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm014_archive_search_and_secrecy'")
    db.execute("INSERT INTO archive_objects (account_id, source, external_id, kind, created_at, first_seen_at) "
               "VALUES ('facebook', 'facebook', 'x1', 'comment', 0, 0)")
    db.execute("INSERT INTO archive_versions (object_id, version, text, captured_at) "
               "VALUES (1, 1, 'Gammal kommentar om Ekvägen, Straße', 0)")
    db.conn.commit()
    migrations.apply(db)
    assert db.execute("SELECT rowid FROM archive_versions_fts WHERE archive_versions_fts MATCH ?",
                      [fts.match_phrase("ekvägen")]).fetchall() == [(1,)]
    assert db.execute("SELECT row_id FROM archive_search_exotic").fetchall() == [(1,)]
    assert db.execute("SELECT secrecy FROM archive_objects").fetchall() == [(0,)]


def test_the_migration_runs_the_archive_index_schema_of_fts_py():
    from bot.store.migrations import M014_ARCHIVE_SEARCH

    assert M014_ARCHIVE_SEARCH.strip() == fts.archive_schema_sql().strip()
