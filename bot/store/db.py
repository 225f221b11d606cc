"""Opening the SQLite database: WAL, foreign keys, migrations applied."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils
from sqlite_utils.utils import dedupe_keys

from bot.i18n import t
from bot.store.migrations import migrations

log = logging.getLogger("uppsikt.store")


class StoreError(Exception):
    """The database cannot be opened or written; the message says why, in the language asked for."""


ALLOW_NEW_ENV = "UPPSIKT_ALLOW_NEW_DATABASE"
MARKER_SUFFIX = ".uppsikt-id"


def marker_of(path: Path) -> Path:
    """The file beside the database that remembers which database lived there (issue 16)."""
    return path.with_name(path.name + MARKER_SUFFIX)


class Store(sqlite_utils.Database):
    """sqlite-utils' Database with two changes.

    - `query` runs a plain SELECT directly (issue 17 point 3): sqlite-utils guards every `query` with a
      SAVEPOINT and its RELEASE, in case the statement turns out to write (INSERT ... RETURNING): two
      statements more for each read, a fifth of all the statements a simulated year ran. A SELECT does not
      write, so it needs no guard; anything else goes through sqlite-utils.
    - The outermost `atomic()` begins with BEGIN IMMEDIATE (issue 17 point 5): the inbox (bot/inbox.py)
      commits on its own connection while the main one works, so a deferred transaction that read first and
      then writes would fail at once with "database is locked" when the inbox committed in between (SQLite
      cannot upgrade a stale read snapshot; the busy timeout does not apply). An IMMEDIATE transaction takes
      the write lock when it begins, waiting for it under the busy timeout instead. Entry points are
      serialised by the facade's lock already, so nothing else on this connection waits longer."""

    def query(self, sql: str, params=None):  # type: ignore[override]
        if not sql.lstrip()[:6].upper() == "SELECT":
            return super().query(sql, params)
        if self._tracer:
            self._tracer(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = [d[0] for d in cursor.description]
        if len(set(keys)) != len(keys):  # a join naming a column twice: "id", "id_2" as sqlite-utils does
            keys = dedupe_keys(keys)
        return (dict(zip(keys, row)) for row in cursor)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Called after any rollback through atomic() (a transaction or a savepoint): what was derived from the
        # database in memory (Context.derived: the absences, the accounts) may name rows that are gone now.
        self.rollback_hooks: list[Callable[[], None]] = []

    def _rolled_back(self) -> None:
        for hook in self.rollback_hooks:
            hook()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        if self.conn.in_transaction:  # nested: sqlite_utils' savepoint
            try:
                with super().atomic():
                    yield self
            except BaseException:
                self._rolled_back()
                raise
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            self._rolled_back()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.rollback()
                self._rolled_back()
                raise


def open_db(path: str | Path | None = None, lang: str = "sv") -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database; ``None`` means in-memory.

    A StoreError is written in `lang` (Swedish by default).
    """
    db: sqlite_utils.Database | None = None
    try:
        if path is None or str(path) == ":memory:":
            db = Store(memory=True)
        else:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            problem = _unwritable(path)
            if problem is not None:  # said before SQLite leaves read-only -wal/-shm files behind
                raise StoreError(t("store.cannot_open", lang, path=path, error=problem))
            db = Store(sqlite3.connect(str(path), check_same_thread=False, timeout=30))
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        migrations.apply(db)
        db.execute("BEGIN IMMEDIATE")  # a database SQLite opened read-only fails here, not in the first entry point
        db.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:  # read-only, disk full, locked, not a database at all, …
        if db is not None:
            db.close()
        raise StoreError(t("store.cannot_open", lang, path=path, error=exc)) from exc
    except OSError as exc:
        raise StoreError(t("store.cannot_create_folder", lang, error=exc)) from exc
    return db


def file_of(db: sqlite_utils.Database) -> Path | None:
    """The database's file; None for an in-memory database."""
    row = db.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


def open_reader(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to the bot's database file (issue 17 point 4).

    Under WAL a reader sees the last committed state and never waits for the writer, so searches,
    exports and the router's build run on their own connection without the entry-point lock."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA query_only=ON")
    return conn


def check_identity(db: sqlite_utils.Database, path: Path, lang: str = "sv", allow_new: bool | None = None) -> None:
    """At the start of a service (`uppsikt run`): give the database an identity (state key ``store_id``) and
    remember it in a marker file beside it (`marker_of`). Raise StoreError when the marker says a database
    lived here but this one is new and empty (the file was deleted or truncated, and opening it made a fresh
    one), unless `allow_new` (default: the environment variable UPPSIKT_ALLOW_NEW_DATABASE=1): a lost
    database must not turn into an empty bot without a word (issue 16)."""
    if allow_new is None:
        allow_new = os.environ.get(ALLOW_NEW_ENV, "").strip().lower() in ("1", "yes", "true", "ja")
    marker = marker_of(path)
    try:
        known = marker.read_text(encoding="ascii").strip() if marker.exists() else ""
    except (OSError, UnicodeDecodeError):
        known = ""
    row = db.execute("SELECT value FROM state WHERE key = 'store_id'").fetchone()
    if row is None and known and not allow_new:
        used = db.execute("SELECT (SELECT COUNT(*) FROM items) + (SELECT COUNT(*) FROM audit)").fetchone()[0]
        if not used:
            raise StoreError(t("robust.store_empty_replaces", lang, path=path, marker=marker))
    store_id = row[0] if row else uuid.uuid4().hex
    if row is None:
        with db.conn:
            db.execute("INSERT OR IGNORE INTO state (key, value) VALUES ('store_id', ?)", [store_id])
    if known == store_id:
        return
    if known:
        log.warning(t("robust.store_other_database", lang, path=path, marker=marker))
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(store_id + "\n", encoding="ascii")
    os.replace(tmp, marker)


def _unwritable(path: Path) -> OSError | None:
    """Why the database file (or, for its -wal and -shm files, its folder) cannot be written; None if it can."""
    if path.exists():
        try:
            os.close(os.open(path, os.O_RDWR))
        except OSError as exc:
            return exc
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path.parent))
    return None


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


# SQLite's primary result codes that mean the store itself failed (as opposed to a bug in a statement).
STORE_FAILURES = frozenset({
    "SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CANTOPEN",
    "SQLITE_PERM", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOLFS", "SQLITE_PROTOCOL",
})


def is_store_failure(exc: BaseException) -> bool:
    """True for a sqlite3 error caused by the disk or the file (full, read-only, I/O, corrupt, locked, …)."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    return isinstance(exc, sqlite3.DatabaseError) and any(
        name == code or name.startswith(code + "_") for code in STORE_FAILURES)
