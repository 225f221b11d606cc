"""The search index (issue 17 point 4): SQLite FTS5 with the trigram tokenizer over items and removals.

`records.search` keeps its meaning exactly: a row matches when the query, case-folded (Python's
`str.casefold`, so also å, ä and ö), is a substring of a searched column, case-folded, with % and _
literal. The index only finds the candidates fast; every candidate is checked with that predicate.

A trigram index finds every substring of three characters or more, folding case one character to one
character. Where that folding and `casefold` could differ (ß -> ss, ligatures, İ, Greek, Cyrillic,
letters with case added to Unicode later: `EXOTIC`), the index cannot be trusted: a query with such a
character, or shorter than three characters, scans as before, and rows that contain one are listed in
`search_exotic` (kept by triggers) and are always candidates. Swedish text has none of them.

The FTS tables use the tables themselves as content (`content=items`), kept in sync by triggers that
fire only when a searched column changes, so the hot paths (deadlines, reminders) pay nothing.
"""

from __future__ import annotations

import sys

TABLES = {"items": ("text", "author", "answer"), "removals": ("text", "author", "note")}
MIN_QUERY = 3  # the trigram tokenizer's shortest substring


def _is_exotic(cp: int) -> bool:
    c = chr(cp)
    folded = c.casefold()
    if cp < 0x250:  # Latin-1 and Latin Extended-A/B: one-to-one simple folding except these
        return len(folded) != 1 or folded != c.lower()
    return folded != c or c.lower() != c or c.upper() != c


def computed_ranges() -> tuple[tuple[int, int], ...]:
    """The exotic characters of this Python's Unicode as ranges (gaps of up to 32 merged above U+024F)."""
    ranges: list[list[int]] = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF or not _is_exotic(cp):
            continue
        gap = 1 if cp < 0x250 else 32
        if ranges and cp - ranges[-1][1] <= gap:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return tuple((a, b) for a, b in ranges)


EXOTIC = (
    (0xB5, 0xB5), (0xDF, 0xDF), (0x130, 0x130), (0x149, 0x149), (0x17F, 0x17F), (0x1F0, 0x1F0), (0x250, 0x29E),
    (0x345, 0x345), (0x370, 0x587), (0x10A0, 0x10FF), (0x13A0, 0x13FD), (0x1C80, 0x1CBF), (0x1D79, 0x1D8E),
    (0x1E00, 0x1FFC), (0x2126, 0x2184), (0x24B6, 0x24E9), (0x2C00, 0x2D2D), (0xA640, 0xA69B), (0xA722, 0xA7F6),
    (0xAB53, 0xABBF), (0xFB00, 0xFB17), (0xFF21, 0xFF5A), (0x10400, 0x1044F), (0x104B0, 0x104FB),
    (0x10570, 0x105BC), (0x10C80, 0x10CF2), (0x118A0, 0x118DF), (0x16E40, 0x16E7F), (0x1E900, 0x1E943),
)
"""`computed_ranges()` under Python 3.13 (Unicode 15.1), written out: computing it takes half a second.
A test checks that this Python's exotic characters all fall inside."""


def exotic_ranges() -> tuple[tuple[int, int], ...]:
    return EXOTIC


def exotic_glob() -> str:
    """A GLOB pattern matching text with an exotic character."""
    parts = "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in exotic_ranges())
    return f"*[{parts}]*"


def has_exotic(text: str) -> bool:
    ranges = exotic_ranges()
    return any(a <= ord(ch) <= b for ch in text for a, b in ranges if ord(ch) >= 0xB5)


def usable(query: str) -> bool:
    """Whether the index can answer this (already stripped) query. A NUL cannot travel inside an FTS5
    query string (SQLite ends the string there: "unterminated string"), so such a query is scanned."""
    return len(query.casefold()) >= MIN_QUERY and "\x00" not in query and not has_exotic(query)


def match_phrase(query: str) -> str:
    """The query as one FTS5 phrase (a substring for the trigram tokenizer)."""
    return '"' + query.replace('"', '""') + '"'


def schema_sql() -> str:
    """The index, its triggers and its first filling (run by a migration)."""
    glob = exotic_glob().replace("'", "''")
    out = ["CREATE TABLE IF NOT EXISTS search_exotic (tbl TEXT NOT NULL, row_id INTEGER NOT NULL, "
           "PRIMARY KEY (tbl, row_id)) WITHOUT ROWID;"]
    for table, cols in TABLES.items():
        fts = f"{table}_fts"
        col_list = ", ".join(cols)
        new = ", ".join(f"new.{c}" for c in cols)
        old = ", ".join(f"old.{c}" for c in cols)
        exotic = " OR ".join(f"new.{c} GLOB '{glob}'" for c in cols)
        exotic_fill = " OR ".join(f"{c} GLOB '{glob}'" for c in cols)
        out.append(f"""
        CREATE VIRTUAL TABLE {fts} USING fts5({col_list}, content='{table}', content_rowid='id', tokenize='trigram');
        INSERT INTO {fts}({fts}) VALUES ('rebuild');
        INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT '{table}', id FROM {table} WHERE {exotic_fill};
        CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, {col_list}) VALUES (new.id, {new});
            INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT '{table}', new.id WHERE {exotic};
        END;
        CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old.id, {old});
            DELETE FROM search_exotic WHERE tbl = '{table}' AND row_id = old.id;
        END;
        CREATE TRIGGER {fts}_update AFTER UPDATE OF {col_list} ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old.id, {old});
            INSERT INTO {fts}(rowid, {col_list}) VALUES (new.id, {new});
            DELETE FROM search_exotic WHERE tbl = '{table}' AND row_id = old.id;
            INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT '{table}', new.id WHERE {exotic};
        END;""")
    return "\n".join(out)


# --------------------------------------------------------------------------- the archive (issue 12, R7)

ARCHIVE_TABLE = "archive_versions"  # every version of every archived post, comment and message: its `text`


def archive_schema_sql() -> str:
    """The archive's index: FTS5 trigram over archive_versions.text, kept in sync by triggers, with the rows
    that hold an exotic character listed in `archive_search_exotic` (always candidates, as for items).
    A separate list from `search_exotic`, so the items' and removals' index keeps its meaning unchanged."""
    glob = exotic_glob().replace("'", "''")
    t, fts = ARCHIVE_TABLE, f"{ARCHIVE_TABLE}_fts"
    return f"""CREATE TABLE IF NOT EXISTS archive_search_exotic (row_id INTEGER PRIMARY KEY);
        CREATE VIRTUAL TABLE {fts} USING fts5(text, content='{t}', content_rowid='id', tokenize='trigram');
        INSERT INTO {fts}({fts}) VALUES ('rebuild');
        INSERT OR IGNORE INTO archive_search_exotic (row_id) SELECT id FROM {t} WHERE text GLOB '{glob}';
        CREATE TRIGGER {fts}_insert AFTER INSERT ON {t} BEGIN
            INSERT INTO {fts}(rowid, text) VALUES (new.id, new.text);
            INSERT OR IGNORE INTO archive_search_exotic (row_id) SELECT new.id WHERE new.text GLOB '{glob}';
        END;
        CREATE TRIGGER {fts}_delete AFTER DELETE ON {t} BEGIN
            INSERT INTO {fts}({fts}, rowid, text) VALUES ('delete', old.id, old.text);
            DELETE FROM archive_search_exotic WHERE row_id = old.id;
        END;
        CREATE TRIGGER {fts}_update AFTER UPDATE OF text ON {t} BEGIN
            INSERT INTO {fts}({fts}, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO {fts}(rowid, text) VALUES (new.id, new.text);
            DELETE FROM archive_search_exotic WHERE row_id = old.id;
            INSERT OR IGNORE INTO archive_search_exotic (row_id) SELECT new.id WHERE new.text GLOB '{glob}';
        END;
"""
