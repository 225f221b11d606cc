"""The router's saved index (issue 17 point 1): loaded at start in a fraction of a second, built off the lock.

The history views of `bot.core.routing.Router` (n-gram profiles, past questions, evidence) are
derived from `history_answers` alone, read in id order. They are saved beside the database file
(`<database>.router`) with the id of the last answer they contain and how many answers up to that id
existed; a start loads them and adds only the answers recorded since (incremental, the same result
as a build from scratch: see `Router.add_history`). The saved index is discarded and rebuilt when it
no longer matches: another list of people (the index is per person, in configuration order), another
precedent window (`routing.PRECEDENT_WINDOW`), answers erased (`records.forget` also deletes the file:
erased answers must not stay in it), or a new format.
The keywords are never saved: they come from the configuration at every start.

A running bot prepares the router in a background thread on its own read-only connection
(`Warmup`), so no entry point waits for a build; until it is ready `items.choose_assignee` gives a
question to the account's responsible person and says so on the card. The CLI (`uppsikt route`) and
an in-memory database load or build it at first use, as before.

The file is written by the bot itself (pickle, atomically through a temporary file), in the folder
that holds the database: whoever may write there may change the database too.
"""

from __future__ import annotations

import logging
import os
import pickle
import sqlite3
import sys
import tempfile
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bot.core import routing
from bot.core.routing import Expert, HistoryAnswer, Router
from bot.settings import Settings

log = logging.getLogger("uppsikt")

FORMAT = 2
"""Bumped whenever the saved views change shape (2: issue 17: bit sets, the precedent window, raw arrays)."""
SUFFIX = ".router"
RESAVE_AFTER = 2000
"""Answers added since the saved index after which a start saves it again."""
_BATCH = 5000


def experts(settings: Settings) -> list[Expert]:
    return [Expert(p.email, p.expertise) for p in settings.people.values()]


def path_for(db_file: Path | None) -> Path | None:
    return None if db_file is None else db_file.with_name(db_file.name + SUFFIX)


@dataclass
class Loaded:
    router: Router
    last_id: int  # the last history_answers id the router contains
    count: int  # how many answers with id <= last_id it was built from
    saved_last_id: int  # last_id of the file on disk (0: none)


def _signature(people: list[Expert]) -> tuple[str, ...]:
    return tuple(e.email.strip().lower() for e in people)


def _read(path: Path, people: list[Expert], conn: sqlite3.Connection) -> Loaded | None:
    try:
        with path.open("rb") as f:
            header = pickle.load(f)
            if (header.get("format") != FORMAT or tuple(header.get("people", ())) != _signature(people)
                    or header.get("window") != routing.PRECEDENT_WINDOW or header.get("machine") != _MACHINE):
                return None
            last_id, count = int(header["last_id"]), int(header["count"])
            # Erased answers (records.forget) or another database: the saved views are not this history's.
            if conn.execute("SELECT COUNT(*) FROM history_answers WHERE id <= ?", [last_id]).fetchone()[0] != count:
                return None
            router = _load(f)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("router: the saved index %s cannot be read (%s); building it again", path, exc)
        return None
    if not isinstance(router, Router):
        return None
    router.use_keywords(people)
    return Loaded(router, last_id, count, last_id)


def catch_up(loaded: Loaded, conn: sqlite3.Connection, cancelled: Callable[[], bool] = lambda: False) -> int:
    """Add the answers recorded after `loaded.last_id`, in id order; how many were read."""
    added = 0
    while not cancelled():
        rows = conn.execute(
            "SELECT id, question, answer, answered_by FROM history_answers WHERE id > ? ORDER BY id LIMIT ?",
            [loaded.last_id, _BATCH],
        ).fetchall()
        if not rows:
            break
        loaded.router.add_history(HistoryAnswer(q, a, by) for _, q, a, by in rows)
        loaded.last_id = rows[-1][0]
        loaded.count += len(rows)
        added += len(rows)
    return added


def _header(loaded: Loaded) -> dict:
    return {"format": FORMAT, "people": _signature_of(loaded.router), "last_id": loaded.last_id,
            "count": loaded.count, "window": routing.PRECEDENT_WINDOW, "machine": _MACHINE}


# The index's arrays (postings, components) are written after the pickled structure as raw bytes and read
# back into their arrays with `array.fromfile`. Pickled inline, each array's bytes would stay referenced
# by the unpickler's memo until the end of the load: twice the index's memory at its peak, and a heap
# left fragmented afterwards (at 100k answers: 250 MB after a load instead of about 150 MB; issue 17).
_MACHINE = (sys.byteorder, array("I").itemsize, array("d").itemsize)


class _Pickler(pickle.Pickler):
    def __init__(self, f: BinaryIO) -> None:
        super().__init__(f, protocol=pickle.HIGHEST_PROTOCOL)
        self.arrays: list[array] = []

    def persistent_id(self, obj: object) -> tuple[str, str, int] | None:
        if type(obj) is array:
            self.arrays.append(obj)
            return ("array", obj.typecode, len(obj))
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: BinaryIO) -> None:
        super().__init__(f)
        self.arrays: list[tuple[array, int]] = []

    def persistent_load(self, pid: object) -> array:
        if not (isinstance(pid, tuple) and len(pid) == 3 and pid[0] == "array" and pid[1] in ("I", "d")):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        filled = array(pid[1])
        self.arrays.append((filled, int(pid[2])))
        return filled


def _dump(router: Router, f: BinaryIO) -> None:
    pickler = _Pickler(f)
    pickler.dump(router)
    for filled in pickler.arrays:
        f.write(filled)  # type: ignore[arg-type]  # an array is a bytes-like object


def _load(f: BinaryIO) -> object:
    unpickler = _Unpickler(f)
    router = unpickler.load()
    for filled, n in unpickler.arrays:
        filled.fromfile(f, n)  # EOFError when the file was cut short
    if f.read(1):
        raise ValueError("data after the end of the index")
    return router


def save(path: Path, loaded: Loaded) -> None:
    """Save the index atomically (a temporary file renamed over the old one), pickled straight into the
    file: no copy of the whole index in memory."""
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(_header(loaded), f, protocol=pickle.HIGHEST_PROTOCOL)
            _dump(loaded.router, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    loaded.saved_last_id = loaded.last_id


def _signature_of(router: Router) -> tuple[str, ...]:
    return tuple(e.strip().lower() for e in router.emails())


def discard(db_file: Path | None) -> None:
    """Delete the saved index (the history lost answers: it must be built again without them)."""
    path = path_for(db_file)
    if path is not None:
        path.unlink(missing_ok=True)


def load_or_build(conn: sqlite3.Connection, settings: Settings, db_file: Path | None,
                  cancelled: Callable[[], bool] = lambda: False) -> Loaded:
    """The saved index plus the answers recorded since, or a build from the whole history; saved
    again when it was built or had fallen behind by RESAVE_AFTER answers (not for in-memory databases)."""
    people = experts(settings)
    path = path_for(db_file)
    loaded = _read(path, people, conn) if path is not None else None
    if loaded is None:
        loaded = Loaded(Router(people), 0, 0, 0)
    catch_up(loaded, conn, cancelled)
    if path is not None and not cancelled() and loaded.last_id - loaded.saved_last_id >= (
            1 if loaded.saved_last_id == 0 else RESAVE_AFTER):
        try:
            save(path, loaded)
        except OSError as exc:  # a read-only folder: the bot routes all the same, it only loads slower next time
            log.warning("router: cannot save the index to %s (%s)", path, exc)
    return loaded


class Warmup:
    """Prepares the router in a background thread without the bot's lock.

    `install` is called under the lock with the result; it adds what was recorded meanwhile and puts
    the router in place. A history erased meanwhile (`generation` moved on) makes it start over."""

    def __init__(self, open_reader: Callable[[], sqlite3.Connection], settings: Settings, db_file: Path | None,
                 generation: Callable[[], int], install: Callable[[Loaded, int], bool]) -> None:
        self._open_reader = open_reader
        self._settings = settings
        self._db_file = db_file
        self._generation = generation
        self._install = install
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="uppsikt-router", daemon=True)

    def start(self) -> Warmup:
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            conn = self._open_reader()
            try:
                while True:
                    generation = self._generation()
                    loaded = load_or_build(conn, self._settings, self._db_file,
                                           cancelled=lambda: self._generation() != generation)
                    if self._install(loaded, generation):
                        return
            finally:
                conn.close()
        except Exception as exc:  # noqa: BLE001 - logged and kept: routing then builds it at the next question
            self.error = exc
            log.exception("router: preparing the index failed; it is built at the next question")
        finally:
            self.done.set()
