"""Issue 17 point 4: the FTS5 search index gives exactly the scan's results; reads run off the lock."""

from __future__ import annotations

import threading

import pytest

from bot.core import records
from bot.store import fts
from tests.conftest import local

TEXTS = [
    ("Snöröjningen på Ekvägen är dålig", "Åsa Ölund"),
    ("Jag är 100% nöjd med ÅTERVINNINGEN", "Bo"),
    ("Filen heter rapport_2026", ""),
    ("Vi bor på Großstraße 5 och undrar om soporna", "Jürgen"),  # ß: casefold gives "ss"
    ("Καλημέρα, πότε öppnar biblioteket?", "Νίκος"),  # Greek: its own folding
    ("Tack för ﬁn service 🎉🎉", "Kim"),  # a ligature and emojis
    ("Sökväg C:\\temp och \"citat\" här", "Eva"),
    ("KELVIN-skalan: 300 \u212a är varmt", "Per"),  # the Kelvin sign folds to k
]
QUERIES = ["ekvägen", "ÅSA ÖLUND", "100%", "rapport_", "%", "_", "strasse", "grossstrasse", "STRASSE 5",
           "καλημέρα", "ΝΊΚΟΣ", "fin service", "ﬁn", "🎉", "c:\\temp", '"citat"', "300 k", "kelvin", "ab",
           "åter", "vinning", "ö", "nöjd med å", "här", "saknas helt"]


def _intake(h, i: int, text: str, author: str) -> dict:
    item, _ = h.bot.intake("facebook", text, author=author, source="facebook", external_id=f"s{i}",
                           permalink=f"https://facebook.example/s{i}")
    return item


@pytest.fixture
def filled(harness, tmp_path):
    h = harness(local(2026, 12, 7, 10, 0), db=tmp_path / "uppsikt.db")
    made = [_intake(h, i, text, author) for i, (text, author) in enumerate(TEXTS)]
    with h.ctx.db.atomic():
        h.ctx.db["removals"].insert({
            "item_id": made[0]["id"], "account_id": "facebook", "author": "Straßen-Troll", "text": "Du är dum",
            "posted_at": made[0]["received_at"], "ground": "personal_attack", "note": "Anmäld, ÅTERKOMMER",
            "decided_by": "lena@example.se", "decided_at": h.ctx.now_ts(),
        })
    return h


def _ids(results: list[dict]) -> list[tuple[str, int]]:
    return [(r["record_type"], r["id"]) for r in results]


@pytest.mark.parametrize("query", QUERIES)
def test_the_index_gives_exactly_the_scans_results(filled, query, monkeypatch):
    indexed = records.search(filled.ctx, query)
    monkeypatch.setattr(fts, "usable", lambda q: False)
    assert indexed == records.search(filled.ctx, query)


def test_the_index_is_used_for_ordinary_queries_and_not_for_short_or_exotic_ones(filled):
    assert fts.usable("ekvägen") and fts.usable("100%")
    assert not fts.usable("ab") and not fts.usable("straße") and not fts.usable("καλημέρα")
    db = filled.ctx.db
    hits = [r[0] for r in db.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH ?", [fts.match_phrase("EKVÄGEN")])]
    assert hits == [1]
    exotic = sorted(tuple(r) for r in db.execute("SELECT tbl, row_id FROM search_exotic"))
    assert exotic == [("items", 4), ("items", 5), ("items", 6), ("items", 8), ("removals", 1)]


def test_triggers_keep_the_index_in_step(filled):
    h = filled
    assert _ids(records.search(h.ctx, "ljudböcker")) == []
    h.bot.action("ida@example.se", "take", "2")
    h.bot.action("ida@example.se", "answered", "2", answer="Ja, ljudböcker finns i appen.")
    assert _ids(records.search(h.ctx, "ljudböcker")) == [("item", 2)]
    with h.ctx.db.atomic():
        h.ctx.db.execute("UPDATE items SET text = 'Helt ny text om Ekvägen' WHERE id = 4")
    assert _ids(records.search(h.ctx, "strasse")) == [("removed_post", 1)]  # the item no longer, the removal still
    assert ("items", 4) not in {tuple(r) for r in h.ctx.db.execute("SELECT tbl, row_id FROM search_exotic")}
    assert _ids(records.search(h.ctx, "ekvägen")) == [("item", 4), ("item", 1)]
    with h.ctx.db.atomic():
        records.delete_items(h.ctx, [4])
    assert _ids(records.search(h.ctx, "ekvägen")) == [("item", 1)]
    assert h.ctx.db.execute("SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH ?",
                            [fts.match_phrase("helt ny")]).fetchone()[0] == 0


def test_the_migration_fills_the_index_for_rows_already_stored(tmp_path):
    from bot.store.db import open_db
    from bot.store.migrations import migrations

    path = tmp_path / "old.db"
    db = open_db(path)
    db.executescript("""
        DROP TRIGGER items_fts_insert; DROP TRIGGER items_fts_delete; DROP TRIGGER items_fts_update;
        DROP TRIGGER removals_fts_insert; DROP TRIGGER removals_fts_delete; DROP TRIGGER removals_fts_update;
        DROP TABLE items_fts; DROP TABLE removals_fts; DROP TABLE search_exotic;
    """)
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_search_index'")
    db.execute("INSERT INTO accounts (id, platform, name, channel, created_at) VALUES ('fb', 'facebook', 'Ekby', '#fb', 0)")
    db.execute("INSERT INTO items (source, external_id, account_id, text, received_at, status, updated_at) "
               "VALUES ('x', '1', 'fb', 'Gammal fråga om Ekvägen, Straße', 0, 'noted', 0)")
    db.conn.commit()
    migrations.apply(db)
    assert db.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH ?", [fts.match_phrase("ekvägen")]).fetchall() == [(1,)]
    assert db.execute("SELECT tbl, row_id FROM search_exotic").fetchall() == [("items", 1)]


def test_exotic_characters_of_this_python_are_all_covered():
    covered = fts.EXOTIC
    for a, b in fts.computed_ranges():
        assert any(lo <= a and b <= hi for lo, hi in covered), (hex(a), hex(b))


def test_search_runs_on_a_read_connection_without_the_lock(filled):
    h = filled
    expected = h.bot.command("lena@example.se", "/sök ekvägen")
    assert expected.ok and "Åsa Ölund" in expected.text
    done: list = []
    with h.bot.lock:  # another entry point holds the lock: the search does not wait for it
        worker = threading.Thread(target=lambda: done.append(h.bot.command("lena@example.se", "/sök ekvägen")))
        worker.start()
        worker.join(10)
        assert done and done[0].text == expected.text


def test_a_read_connection_cannot_write(filled):
    reader = filled.bot.reader()
    with pytest.raises(Exception, match="readonly|query_only|read-only|attempt to write"):
        reader.db.execute("DELETE FROM items")
    assert filled.ctx.db["items"].count == len(TEXTS)


def test_in_memory_databases_search_under_the_lock(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    assert h.bot.reader() is None
    _intake(h, 0, *TEXTS[0])
    assert "Åsa Ölund" in h.bot.command("lena@example.se", "/sök ekvägen").text


def test_the_migration_runs_the_index_schema_of_fts_py():
    from bot.store.migrations import M008_SEARCH_INDEX

    assert M008_SEARCH_INDEX.strip() == fts.schema_sql().strip()


def test_a_query_with_a_nul_is_scanned_not_sent_to_the_index(filled):
    """Found by the property test of /sök: SQLite ends an FTS5 query string at a NUL ("unterminated
    string"), so such a query never reaches the index and is answered by the scan."""
    assert not fts.usable("ekv\x00gen") and not fts.usable("\x00\x00\x00")
    assert records.search(filled.ctx, "ekv\x00gen") == []
    reply = filled.bot.command("lena@example.se", "/sök \x00")
    assert "Något gick fel" not in reply.text
