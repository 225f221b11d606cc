"""Opening the SQLite database: WAL, foreign keys, migrations applied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from bot.i18n import t
from bot.store.migrations import migrations


class StoreError(Exception):
    """The database cannot be opened or written; the message says why, in the language asked for."""


def open_db(path: str | Path | None = None, lang: str = "sv") -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database; ``None`` means in-memory.

    A StoreError is written in `lang` (Swedish by default).
    """
    try:
        if path is None or str(path) == ":memory:":
            db = sqlite_utils.Database(memory=True)
        else:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False, timeout=30))
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        migrations.apply(db)
    except sqlite3.OperationalError as exc:
        raise StoreError(t("store.cannot_open", lang, path=path, error=exc)) from exc
    except OSError as exc:
        raise StoreError(t("store.cannot_create_folder", lang, error=exc)) from exc
    return db


def backup(db: sqlite_utils.Database, target: str | Path) -> Path:
    """Online backup with SQLite's backup API: consistent even while the bot runs."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    dest = sqlite3.connect(str(target))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    return target
