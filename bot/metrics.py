"""Health and Prometheus metrics for the HTTP modes (``GET /healthz``, ``GET /metrics``).

Everything is derived from the database, so the figures survive a restart and
every process on the same database reports the same thing; nothing here
changes state.

* `health(bot)` -> ``(status, text)``: 200 ``ok``, or 503 with the reason when
  the database cannot be read, the scheduler's last tick (state key
  ``last_tick``) is older than `MAX_TICK_AGE` (or missing), or the bot's
  connection is stuck inside a transaction nobody finishes (then nothing it
  does is committed). It reads through the bot's own connection, holding the
  bot's lock for one small query (and waiting at most `LOCK_TIMEOUT` for it: a
  bot stuck inside an entry point is unhealthy too).
* `render(bot)` -> the Prometheus text exposition format 0.0.4 (no client
  library needed); serve it with `CONTENT_TYPE`.

The metrics (times are the bot's clock, in UTC epoch seconds):

==========================================  =======  ===============================================
``uppsikt_events_total{source,kind}``        counter  items taken in, by source (slack, teams, meta,
                                                      intake, …) and kind (comment, dm, …)
``uppsikt_actions_total{action}``            counter  audit log rows by action (what people and the
                                                      bot did: item.take, crisis.start, …)
``uppsikt_items{status}``                    gauge    items by status (every known status, 0 too)
``uppsikt_items_overdue``                    gauge    open items past their first-reply or
                                                      full-answer deadline
``uppsikt_outbox_pending``                   gauge    messages waiting for delivery
``uppsikt_outbox_failed``                    gauge    messages given up on (permanent chat errors)
``uppsikt_outbox_oldest_pending_seconds``    gauge    age of the oldest waiting message (0 if none):
                                                      the one to alert on during a chat outage
``uppsikt_last_tick_timestamp_seconds``      gauge    when the scheduler last ticked (0 if never)
``uppsikt_crisis_mode``                      gauge    1 while a crisis period is open, else 0
``uppsikt_channel_problem{account,problem,   gauge    1 per problem the last channel check found
severity}``                                           (issue 12; severity alarm or warning)
``uppsikt_channel_last_event_timestamp_      gauge    the last webhook delivery for the account
seconds{account}``
``uppsikt_channel_last_check_timestamp_      gauge    the last channel check that could read Meta
seconds{account}``
``uppsikt_metrics_age_seconds``              gauge    how old these figures are (see caching below)
==========================================  =======  ===============================================

The counters count rows that exist, so an erasure (``uppsikt forget``) can make
them go down; Prometheus treats that like a counter reset.

Cost. Counting a million items takes SQLite over a second, far too long to hold
the bot's lock (every Slack acknowledgement waits for it). For a database file
the counts are therefore read through a separate read-only connection in one
snapshot transaction (WAL lets it read while the bot writes, without blocking
it), and kept for `CACHE_SECONDS`. Only an in-memory database (tests, the
simulator) is read through the bot's connection under its lock.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.items import DONE_STATUSES, OPEN_STATUSES
from bot.core.media import STATUSES as MEDIA_STATUSES

if TYPE_CHECKING:
    from bot.bootstrap import Bot

log = logging.getLogger("uppsikt.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_TICK_AGE = 300  # seconds: the scheduler ticks every minute; five missed ticks is an outage
LOCK_TIMEOUT = 5.0  # seconds to wait for the bot's lock before calling the bot unhealthy
CACHE_SECONDS = 5.0  # /metrics figures are reused for this long (real seconds)
STUCK_SECONDS = 0.5  # a transaction still open this long while /healthz holds the bot's lock has leaked
STUCK_DELIVERY_SECONDS = 900  # the oldest waiting message older than this: delivery is stuck (issue 16)
MAX_ATTEMPTS_HEALTHY = 5  # a message that failed this many times in a row: delivery is stuck
CLOCK_BEHIND_SECONDS = 60  # the last tick this far in the future: the clock went backwards
ITEM_STATUSES = (*OPEN_STATUSES, "noted", *DONE_STATUSES)


# --------------------------------------------------------------------------- /healthz


def health(bot: Bot, max_tick_age: int = MAX_TICK_AGE) -> tuple[int, str]:
    """(200, "ok") or (503, "unhealthy: <reason>[; <reason>…]"); every reason is in docs/operations-health.md."""
    watch = getattr(bot, "watch", None)
    now_seen = bot.ctx.now().timestamp()
    if watch is not None:
        watch.clock_seen(now_seen)
    if not bot.lock.acquire(timeout=LOCK_TIMEOUT):
        return 503, f"unhealthy: the bot has been busy for more than {LOCK_TIMEOUT:g} s"
    try:
        row = bot.db.execute("SELECT value FROM state WHERE key = 'last_tick'").fetchone()
        now = bot.ctx.now_ts()
        stuck = _stuck_in_a_transaction(bot)
        delivery = _delivery_problem(bot.db.conn, now)
        channel = _channel_reasons(bot.db.conn)
    except sqlite3.Error as exc:
        log.error("healthz: the database cannot be read: %s", exc)
        return 503, f"unhealthy: the database cannot be read ({exc})"
    finally:
        bot.lock.release()
    if stuck:
        log.error("healthz: the bot's database connection is stuck inside a transaction; nothing is committed")
        return 503, ("unhealthy: the database connection has stayed inside one transaction for more than "
                     f"{STUCK_SECONDS:g} s: nothing is being committed")
    reasons = list(watch.problems()) if watch is not None else []
    if watch is not None and watch.unmarked and watch.store_error:  # (unmarked for a moment while marking is normal)
        reasons.append(f"{len(watch.unmarked)} message(s) were delivered but cannot be marked sent; delivery is "
                       "paused until the database is writable")
    if delivery:
        reasons.append(delivery)
    reasons += channel
    if row is None:
        reasons.append("the scheduler has not ticked yet")
    else:
        try:
            last = int(row[0])
        except (TypeError, ValueError):
            reasons.append(f"unreadable last tick {row[0]!r}")
        else:
            age = now - last
            if age > max_tick_age:
                reasons.append(f"the last scheduler tick was {age} s ago (limit {max_tick_age} s)")
            elif -age > CLOCK_BEHIND_SECONDS and not any("clock went backwards" in r for r in reasons):
                reasons.append(f"the clock went backwards: the last scheduler tick is {-age} s in the future")
    if reasons:
        return 503, "unhealthy: " + "; ".join(reasons)
    return 200, "ok"


def _delivery_problem(conn: sqlite3.Connection, now: int) -> str | None:
    """Delivery is stuck: the oldest waiting message is older than STUCK_DELIVERY_SECONDS, or one message has
    failed MAX_ATTEMPTS_HEALTHY times in a row."""
    oldest, attempts = conn.execute("SELECT MIN(created_at), MAX(attempts) FROM outbox "
                                    "WHERE status = 'pending'").fetchone()
    if oldest is not None and now - oldest > STUCK_DELIVERY_SECONDS:
        return (f"delivery is stuck: the oldest waiting message was queued {now - oldest} s ago "
                f"(limit {STUCK_DELIVERY_SECONDS} s)")
    if attempts is not None and attempts >= MAX_ATTEMPTS_HEALTHY:
        return f"delivery is stuck: a message has failed {attempts} times in a row"
    parked = conn.execute("SELECT MIN(parked_at), COUNT(*) FROM parked_posts").fetchone()
    if parked[0] is not None and now - parked[0] > STUCK_DELIVERY_SECONDS:
        return (f"{parked[1]} chat post(s) are kept but not taken in: their channel's name has not been readable "
                f"for {now - parked[0]} s")
    waiting = conn.execute("SELECT MIN(received_at), COUNT(*) FROM inbox WHERE processed_at IS NULL").fetchone()
    if waiting[0] is not None and now - waiting[0] > STUCK_DELIVERY_SECONDS:  # issue 17: acknowledged, not yet items
        return (f"{waiting[1]} acknowledged chat event(s) wait in the inbox: the oldest arrived {now - waiting[0]} s "
                "ago")
    return None


def channel_problems(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """(account, problem, severity, detail) of every problem the last channel checks found (issue 12)."""
    out = []
    for account, found in conn.execute("SELECT account_id, problems FROM channel_health ORDER BY account_id"):
        try:
            problems = json.loads(found or "[]")
        except ValueError:
            continue
        out += [(account, str(p.get("code", "")), str(p.get("severity", "")), str(p.get("detail", "")))
                for p in problems if isinstance(p, dict)]
    return out


CHANNEL_REASONS = {
    "token_invalid": "the page token has expired or is invalid",
    "permissions_missing": "the app lacks the permission(s) {detail}",
    "subscription_lost": "the page is no longer subscribed to the app's webhooks",
    "subscription_fields": "the page's webhook subscription lacks the field(s) {detail}",
    "silent": "no webhook for {detail} h while the platform shows newer posts or comments",
    "unreachable": "the Graph API could not be reached for more than a day",
}


def _channel_reasons(conn: sqlite3.Connection) -> list[str]:
    """A broken platform connection (an alarm of the last channel check) as /healthz reasons."""
    return [f"the platform connection of account {account} is broken: "
            + CHANNEL_REASONS.get(code, code).format(detail=detail)
            for account, code, severity, detail in channel_problems(conn) if severity == "alarm"]


def _stuck_in_a_transaction(bot: Bot) -> bool:
    """Whether the bot's connection is inside a transaction nobody is finishing (called with the bot's lock held).

    Every entry point commits or rolls back before it lets go of the lock, so a transaction still open while
    the health check holds the lock has leaked: everything the bot does from then on stays uncommitted, is
    invisible to other processes and is lost at the next restart. A write made without the lock may be open
    for a moment, so it only counts when it stays open for STUCK_SECONDS.
    """
    deadline = time.monotonic() + STUCK_SECONDS
    while bot.db.conn.in_transaction:
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.01)
    return False


# --------------------------------------------------------------------------- /metrics


@dataclass
class Sample:
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass
class Family:
    name: str
    kind: str  # "counter" | "gauge"
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, **labels: object) -> Family:
        self.samples.append(Sample(tuple((k, str(v)) for k, v in labels.items()), float(value)))
        return self


def collect(conn: sqlite3.Connection, now: int) -> list[Family]:
    """Every metric family, read from `conn` (the caller provides the snapshot and any locking)."""
    def one(sql: str, args: Sequence[object] = ()) -> tuple:
        return conn.execute(sql, args).fetchone()

    events = Family("uppsikt_events_total", "counter", "Items taken in, by source and kind.")
    for source, kind, n in conn.execute("SELECT source, kind, COUNT(*) FROM items GROUP BY source, kind "
                                        "ORDER BY source, kind"):
        events.add(n, source=source, kind=kind)
    actions = Family("uppsikt_actions_total", "counter", "Audit log entries, by action.")
    for action, n in conn.execute("SELECT action, COUNT(*) FROM audit GROUP BY action ORDER BY action"):
        actions.add(n, action=action)
    counts = {status: 0 for status in ITEM_STATUSES}
    counts.update({str(s): int(n) for s, n in conn.execute("SELECT status, COUNT(*) FROM items GROUP BY status")})
    items = Family("uppsikt_items", "gauge", "Items by status.")
    for status, n in sorted(counts.items()):
        items.add(n, status=status)
    marks = ",".join("?" * (len(OPEN_STATUSES) - 1))  # the condition of bot.core.items.overdue, counted
    overdue = one("SELECT (SELECT COUNT(*) FROM items WHERE status = 'open' AND first_reply_due < ?) + "
                  f"(SELECT COUNT(*) FROM items WHERE status IN ({marks}) AND full_answer_due < ?)",
                  [now, *OPEN_STATUSES[1:], now])[0]
    outbox = dict(conn.execute("SELECT status, COUNT(*) FROM outbox WHERE status IN ('pending', 'failed') "
                               "GROUP BY status").fetchall())
    oldest = one("SELECT MIN(created_at) FROM outbox WHERE status = 'pending'")[0]
    last_tick = one("SELECT value FROM state WHERE key = 'last_tick'")
    crisis = one("SELECT COUNT(*) FROM crisis_periods WHERE ended_at IS NULL")[0]
    try:
        tick = float(last_tick[0]) if last_tick else 0.0
    except ValueError:
        tick = 0.0
    return [
        events, actions, items,
        Family("uppsikt_items_overdue", "gauge", "Open items past their reply deadline.").add(overdue),
        Family("uppsikt_outbox_pending", "gauge", "Messages waiting for delivery.").add(outbox.get("pending", 0)),
        Family("uppsikt_outbox_failed", "gauge", "Messages given up on after a permanent chat error.")
        .add(outbox.get("failed", 0)),
        Family("uppsikt_outbox_oldest_pending_seconds", "gauge", "Age of the oldest message waiting for delivery.")
        .add(max(0, now - oldest) if oldest is not None else 0),
        Family("uppsikt_last_tick_timestamp_seconds", "gauge", "When the scheduler last ticked (UTC epoch seconds).")
        .add(tick),
        Family("uppsikt_crisis_mode", "gauge", "1 while a crisis period is open, else 0.").add(1 if crisis else 0),
        *_channel_families(conn),
        _media_family(conn),
    ]


def _media_family(conn: sqlite3.Connection) -> Family:
    """The archive's attachments by download status (bot/core/media.py): `failed` and `refused` are links whose
    file the archive does not have; `pending` ones wait for the media worker (or a Meta connection)."""
    counts = {status: 0 for status in MEDIA_STATUSES}
    counts.update({str(s): int(n) for s, n in conn.execute("SELECT status, COUNT(*) FROM archive_media GROUP BY status")})
    family = Family("uppsikt_archive_media", "gauge", "The archive's attachments by download status.")
    for status, n in sorted(counts.items()):
        family.add(n, status=status)
    return family


def _channel_families(conn: sqlite3.Connection) -> list[Family]:
    """Issue 12: what the channel checks found, per account."""
    problems = Family("uppsikt_channel_problem", "gauge",
                      "1 per problem the last channel check found (docs/operations-health.md).")
    for account, code, severity, _ in channel_problems(conn):
        problems.add(1, account=account, problem=code, severity=severity)
    last_event = Family("uppsikt_channel_last_event_timestamp_seconds", "gauge",
                        "The last webhook delivery for the account (UTC epoch seconds).")
    last_check = Family("uppsikt_channel_last_check_timestamp_seconds", "gauge",
                        "The last channel check that could read the Graph API (UTC epoch seconds).")
    for account, event, check in conn.execute("SELECT account_id, last_event_at, last_check FROM channel_health "
                                              "ORDER BY account_id"):
        last_event.add(event or 0, account=account)
        last_check.add(check or 0, account=account)
    return [problems, last_event, last_check]


def exposition(families: Iterable[Family]) -> str:
    """The Prometheus text format 0.0.4."""
    lines: list[str] = []
    for fam in families:
        lines.append(f"# HELP {fam.name} {_escape_help(fam.help)}")
        lines.append(f"# TYPE {fam.name} {fam.kind}")
        for s in fam.samples:
            labels = ",".join(f'{k}="{_escape_label(v)}"' for k, v in s.labels)
            lines.append(f"{fam.name}{{{labels}}} {_number(s.value)}" if labels else f"{fam.name} {_number(s.value)}")
    return "\n".join(lines) + "\n"


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() else repr(value)


class Reader:
    """The figures for one bot: a read-only connection of its own (database file) and a short cache."""

    def __init__(self, bot: Bot, cache_seconds: float | None = None):
        self.bot = weakref.ref(bot)
        self.cache_seconds = CACHE_SECONDS if cache_seconds is None else cache_seconds
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._path = _file_of(bot)
        self._cached: tuple[float, list[Family]] | None = None

    def families(self) -> list[Family]:
        bot = self.bot()
        if bot is None:
            raise RuntimeError("the bot is gone")
        with self._lock:
            started = time.monotonic()
            if self._cached is None or started - self._cached[0] > self.cache_seconds:
                self._cached = (started, self._read(bot))
            at, families = self._cached
            age = Family("uppsikt_metrics_age_seconds", "gauge", "How old these figures are (they are cached briefly).")
            return [*families, age.add(round(time.monotonic() - at, 3))]

    def _read(self, bot: Bot) -> list[Family]:
        now = bot.ctx.now_ts()
        if self._path is None:  # in memory: only the bot's connection sees the data
            if not bot.lock.acquire(timeout=LOCK_TIMEOUT):
                raise TimeoutError(f"the bot has been busy for more than {LOCK_TIMEOUT:g} s")
            try:
                return collect(bot.db.conn, now)
            finally:
                bot.lock.release()
        if self._conn is None:
            self._conn = sqlite3.connect(Path(self._path).as_uri() + "?mode=ro", uri=True, check_same_thread=False,
                                         timeout=10, isolation_level=None)
            self._conn.execute("PRAGMA query_only = 1")
        try:
            self._conn.execute("BEGIN")  # one snapshot for every figure
            try:
                return collect(self._conn, now)
            finally:
                self._conn.execute("COMMIT")
        except sqlite3.Error:
            self.close()  # reopen next time (e.g. the file was replaced by a restore)
            raise

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _file_of(bot: Bot) -> str | None:
    """The bot's database file, or None for an in-memory database."""
    for _, name, path in bot.db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return path or None
    return None


_readers: dict[int, Reader] = {}
_readers_lock = threading.Lock()


def reader(bot: Bot) -> Reader:
    """The Reader for `bot` (one per bot, dropped with it)."""
    with _readers_lock:
        found = _readers.get(id(bot))
        if found is None or found.bot() is not bot:
            found = _readers[id(bot)] = Reader(bot)
            weakref.finalize(bot, _forget, id(bot), found)
        return found


def _forget(key: int, found: Reader) -> None:
    with _readers_lock:
        if _readers.get(key) is found:
            del _readers[key]
    found.close()


HEALTH_REASONS = ("database_file", "database_unwritable", "unmarked_sent", "chat_platform", "clock_backwards",
                  "delivery_stuck", "parked_posts", "channel_broken")


def health_families(bot: Bot) -> list[Family]:
    """The /healthz signals as gauges (read fresh on every scrape, not cached): one sample per reason, 1 while
    it holds; and the counts behind them."""
    watch = getattr(bot, "watch", None)
    now = bot.ctx.now_ts()
    problems = dict.fromkeys(HEALTH_REASONS, 0)
    unmarked = parked = waiting = 0
    attempts = 0
    if watch is not None:
        watch.clock_seen(float(now))
        store = watch.store_problem()
        if store:
            problems["database_file" if "database file" in store or "file system" in store or "disk of" in store
                     else "database_unwritable"] = 1
        unmarked = len(watch.unmarked)
        problems["unmarked_sent"] = 1 if unmarked and watch.store_error else 0
        problems["chat_platform"] = 1 if watch.chat_problem() else 0
        problems["clock_backwards"] = 1 if watch.clock_problem() else 0
    if bot.lock.acquire(timeout=LOCK_TIMEOUT):
        try:
            problems["delivery_stuck"] = 1 if _delivery_problem(bot.db.conn, now) else 0
            attempts = bot.db.execute("SELECT COALESCE(MAX(attempts), 0) FROM outbox WHERE status = 'pending'"
                                      ).fetchone()[0]
            parked = bot.db.execute("SELECT COUNT(*) FROM parked_posts").fetchone()[0]
            problems["channel_broken"] = 1 if _channel_reasons(bot.db.conn) else 0
            waiting = bot.db.execute("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
        except sqlite3.Error:
            problems["database_unwritable"] = 1
        finally:
            bot.lock.release()
    problems["parked_posts"] = 1 if parked else 0
    family = Family("uppsikt_health_problem", "gauge", "1 while a /healthz reason holds (docs/operations-health.md).")
    for reason, value in problems.items():
        family.add(value, reason=reason)
    return [
        family,
        Family("uppsikt_outbox_unmarked_sent", "gauge", "Messages delivered but not yet marked sent (disk full, "
               "read-only).").add(unmarked),
        Family("uppsikt_outbox_max_attempts", "gauge", "The most failed attempts of one waiting message.").add(attempts),
        Family("uppsikt_parked_posts", "gauge", "Chat posts kept until their channel's name can be read.").add(parked),
        Family("uppsikt_inbox_pending", "gauge", "Acknowledged chat events stored in the inbox, not yet processed.")
        .add(waiting),
    ]


def render(bot: Bot) -> str:
    """The /metrics body for `bot`."""
    return exposition([*reader(bot).families(), *health_families(bot)])


def parse(text: str) -> dict[str, float]:
    """A small parser for tests and tools: ``'name{a="b"}'`` (labels as written) -> value."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


__all__ = ["CONTENT_TYPE", "MAX_TICK_AGE", "collect", "exposition", "health", "parse", "reader", "render"]
