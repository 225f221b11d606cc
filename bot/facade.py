"""The Bot facade: the one door every adapter (console, simulator, Slack, Teams, webhooks) uses.

Entry points (`command`, `action`, `react`, `intake`, `request_account`, `platform_delivery`,
`receive_intake`, `tick`, `import_history`; issue 12's `channel_plans`, `channel_checked`, `backfill_delivery`,
`backfill_failed`, driven by `check_channels`) run under the entry-point lock (scheduler and chat
threads share one SQLite connection) and what they caused leaves through the outbox after the
lock is released. Read-only views (`t`, `settings`, `accounts()`, `form`, `dashboard`, …), the
event claims and `memory(platform)` take the lock only for their own reads. The work itself lives
in the core (bot/core/), the outbox (bot/outbox.py), the tick (bot/tick.py) and the history import
(bot/history.py). Adapters import nothing else of Uppsikt but bot.messages and bot.i18n: the names
they need (types, small pure helpers) are re-exported here (`__all__`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from pathlib import Path

import sqlite3

import sqlite_utils

from bot import agenda, history, tick
from bot.chat_memory import ChatMemory
from bot.clock import Clock, FakeClock, from_epoch, to_epoch, to_local
from bot.core import (accounts, backfill, channels, commands, deliveries, departed, events, forms, intake, isolation,
                      items, media, monthly, permissions, reactions, records, router_index, snapshots,
                      stored_accounts)
from bot.core.context import Context, Problem, Refused
from bot.core.dashboard import Dashboard, dashboard
from bot.core.deliveries import INTAKE_MAX_SKEW_SECONDS, DeliveryResult, IntakeError, PlatformEvent
from bot.core.forms import AccountForm, ItemForm
from bot.core.parsing import fold, is_number
from bot.core.platform import MEDIA_TYPES, REFUSALS as MEDIA_REFUSALS, Chunk, Downloaded, GraphError, MediaError
from bot.core.platform import MetaPort, Published, TokenInfo
from bot.core.platform import token_env as platform_token_env
from bot.inbox import Entry as InboxEntry, Inbox
from bot.messages import Message, Reply
from bot.outbox import ChatError, ChatPort, Outbox, RecordingChat
from bot.channel_watch import ChannelWatch
from bot.snapshot_worker import SnapshotWorker
from bot.media_worker import MediaWorker
from bot.platform_writer import PlatformWriter
from bot.paths import TEAMS_DIR
from bot.report.links import ReportLinks, links_from_env
from bot.settings import Account, Person, Secrets, Settings, secrets_from_env
from bot.store import db as store_db
from bot.store.db import StoreError, check_identity
from bot.watch import Watch

log = logging.getLogger("uppsikt")



def serialized(method):
    """Entry points run one at a time (scheduler and chat threads share one SQLite connection);
    what they caused is delivered after the lock is released, so no chat call holds it."""

    @functools.wraps(method)
    def wrapper(self: "Bot", *args, **kwargs):
        with self.lock:
            try:
                result = method(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:
                self.watch.store_failed(exc)  # disk full, read-only: /healthz says so (issue 16)
                raise
        self.deliver()
        return result

    return wrapper


def quietly_delivered(method):
    """`serialized` for deliveries from a platform's webhook: the work is committed before the delivery,
    and a failing chat must not make the platform resend it (the outbox retries on the next tick)."""

    @functools.wraps(method)
    def wrapper(self: "Bot", *args, **kwargs):
        with self.lock:
            result = method(self, *args, **kwargs)
        try:
            self.deliver()
        except Exception:  # noqa: BLE001 - stored already; the scheduler's delivery job retries
            log.exception("webhooks: delivering the outbox failed; the scheduler will retry")
        return result

    return wrapper


class Bot:
    """The one door: every adapter reaches the core through these methods only."""

    def __init__(self, ctx: Context, chat: ChatPort | None = None):
        self.ctx = ctx
        self.lock = threading.RLock()
        self.watch = Watch.for_database(self.database_file())  # what /healthz cannot read from the database
        self.outbox = Outbox(ctx, self.lock, chat, watch=self.watch)
        self._memories: dict[str, ChatMemory] = {}
        self._events_at_work: set[str] = set()
        self.startup_notes: list[str] = []  # said at start-up: colleagues who left the config (departed.settle)
        self._readers = threading.local()  # each thread's read-only connection (see `reader`)
        self._db_file = store_db.file_of(ctx.db)
        self.channel_watch: ChannelWatch | None = None  # issue 12: channel health and backfill (attach_meta)
        self.media_worker: MediaWorker | None = None  # the archive's attachments, fetched off the lock (attach_meta)
        self.inbox = Inbox(ctx.db, self._db_file, ctx.clock, self.lock)  # events stored before their ack (issue 17)

    @property
    def db(self) -> sqlite_utils.Database:
        return self.ctx.db

    @property
    def chat(self) -> ChatPort | None:
        return self.outbox.chat

    @chat.setter
    def chat(self, chat: ChatPort | None) -> None:
        self.outbox.chat = chat

    def attach_meta(self, port: MetaPort) -> None:
        """Issue 11: platform writes (`meta:` outbox targets) go out through this Graph API port."""
        self.outbox.platforms["meta:"] = PlatformWriter(self.ctx, self.lock, port)
        self.channel_watch = ChannelWatch(self, port)  # issue 12: channel health and backfill read through it
        self.media_worker = MediaWorker(self, port)  # the archive's attachments are downloaded through it

    @property
    def wake(self) -> threading.Event | None:
        return self.outbox.wake

    # ------------------------------------------------------------------ what adapters may read
    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def lang(self) -> str:
        return self.ctx.lang

    def t(self, key: str, /, **values: object) -> str:
        """A sentence from the locale catalogue in the municipality's language."""
        return self.ctx.t(key, **values)

    def now(self) -> dt.datetime:
        return self.ctx.now()

    def now_ts(self) -> int:
        return self.ctx.now_ts()

    def person(self, email: str) -> Person:
        """A configured person; Refused (error.unknown_person) when there is none."""
        return self.ctx.person(email)

    def role_holders(self, role: str) -> list[str]:
        return self.ctx.role_holders(role)

    def accounts(self) -> dict[str, Account]:
        """The watched accounts (configured and approved through a request)."""
        with self.lock:
            return dict(self.ctx.accounts)

    def account_by_channel(self, channel: str) -> Account | None:
        with self.lock:
            return self.ctx.account_by_channel(channel)

    def core_channels(self) -> list[str]:
        """Every channel the core posts to: the accounts' channels, the crisis and the communicators' channel."""
        with self.lock:
            muni = self.ctx.settings.municipality
            return [*(a.channel for a in self.ctx.accounts.values()), muni.crisis_channel, muni.communicator_channel]

    def knows_command(self, word: str) -> bool:
        return fold(word) in commands.COMMANDS

    def command_names(self) -> tuple[str, ...]:
        """Every command word the core understands (Tab completion in the console)."""
        return tuple(commands.COMMANDS)

    def item_for_message(self, source: str, external_id: str) -> int | None:
        """The item taken in from the chat message with this external id, if any."""
        with self.lock:
            item = intake.find(self.ctx, source, external_id)
        return int(item["id"]) if item else None

    def database_file(self) -> Path | None:
        """The bot's SQLite file (None for an in-memory database)."""
        with self.lock:
            row = self.db.execute("PRAGMA database_list").fetchone()
        return Path(row[2]) if row and row[2] else None

    def check_store_identity(self, out) -> bool:
        """At a service's start: False (after telling `out` why, in Swedish) when the database is new and empty
        where another one lived before (see bot/store/db.py `check_identity`)."""
        path = self.database_file()
        if path is None:
            return True
        try:
            with self.lock:
                check_identity(self.db, path, self.lang)
        except StoreError as exc:
            out(str(exc))
            return False
        return True

    def memory(self, platform: str) -> ChatMemory:
        """What a chat platform's adapter remembers (cards, ids, conversation references)."""
        memory = self._memories.get(platform)
        if memory is None:
            memory = self._memories[platform] = ChatMemory(self.db, platform, self.ctx.clock, self.lock)
        return memory

    # ------------------------------------------------------------------ forms and dashboards
    def form(self, name: str, value: str) -> ItemForm:
        """The inputs of the form an item button opens (people, grounds, the suggested ground)."""
        with self.lock:
            return forms.item_form(self.ctx, name, value)

    def item_card(self, item_id: str) -> Message | None:
        """An item's card as it stands (the whole card of an item listed in a bundle, issue 16 point 11); None when
        there is no such item."""
        if not is_number(str(item_id).strip()):
            return None
        with self.lock:
            try:
                return items.card(self.ctx, items.get(self.ctx, int(str(item_id).strip())))
            except Refused:
                return None

    def suggested_ground(self, item_id: str) -> str | None:
        with self.lock:
            return forms.suggested_ground(self.ctx, item_id)

    def account_form(self, template: str | None = None, channel: str | None = None) -> AccountForm:
        with self.lock:
            return forms.account_form(self.ctx, template, channel)

    def dashboard(self, email: str | None, **limits: int) -> Dashboard:
        """A person's items, duties, absences and (communicators) the accounts' overview."""
        with self.lock:
            return dashboard(self.ctx, email, **limits)

    # ------------------------------------------------------------------ the full monthly report behind a link
    @property
    def report_links(self) -> ReportLinks | None:
        """Signed links to the full monthly report (bot/report/links.py); None: the post makes none."""
        return self.ctx.report_links  # type: ignore[return-value]

    @report_links.setter
    def report_links(self, links: ReportLinks | None) -> None:
        self.ctx.report_links = links

    def report_page(self, key: str, exp: str, sig: str) -> tuple[int, str]:
        """The full HTML report of month `key` ('2026-11') behind a signed link (issue 14):
        (200, the page), (403, why) for a missing, wrong or expired signature, (404, why) for a month
        that is not one or has not begun, or when this process makes no links. The figures are read
        under the lock; the charts are drawn outside it."""
        links = self.report_links
        if links is None:
            return 404, self.t("monthly.link.not_found")
        if not links.check(key, exp, sig, self.now_ts()):
            return 403, self.t("monthly.link.forbidden")
        try:
            month = monthly.parse_month(self.ctx, key)
        except Refused:
            return 404, self.t("monthly.link.not_found")
        with self.lock:
            if month.first > self.ctx.today():
                return 404, self.t("monthly.link.not_found")
            figures = monthly.month_figures(self.ctx, month)
            reminder = self.settings.policy.oversight.reminder_time
        from bot.report import page  # matplotlib: only when a report is made

        return 200, page.render(figures, self.lang, reminder).html

    # ------------------------------------------------------------------ event claims (Slack and Teams)
    def claim_event(self, event_id: str) -> bool:
        """One rule for both platforms' redeliveries: False when the event's work was committed already
        (it is remembered only after that, see `event_handled`) or is at work in another thread right now.

        A crash between the work and `event_handled` repeats the work on redelivery: intake is
        idempotent on (source, external id), so a citizen's message is stored once and never lost."""
        with self.lock:
            if event_id in self._events_at_work:
                return False
            if events.handled(self.ctx, event_id):
                return False
            self._events_at_work.add(event_id)
            return True

    def event_handled(self, event_id: str) -> None:
        """Remember a claimed event after its work committed; ids older than a day are forgotten."""
        with self.lock:
            try:
                events.remember(self.ctx, event_id)
            finally:
                self._events_at_work.discard(event_id)

    def event_failed(self, event_id: str) -> None:
        """The claimed event's work failed: a redelivery may try again."""
        with self.lock:
            self._events_at_work.discard(event_id)

    def refusal_before_form(self, actor: str, name: str, value: str) -> Reply | None:
        """The refusal `action(actor, name, value)` will give whatever is filled into its form (not allowed to
        give the item away or close it unanswered), or None: a chat asks this before opening the form."""
        if name not in ("reassign", "no_reply") or not is_number(value):
            return None
        with self.lock:
            text = permissions.refusal_before_form(self.ctx, actor.lower(), int(value))
        return Reply(text, ok=False) if text else None

    # ------------------------------------------------------------------ config -> store
    @serialized
    def sync_config(self) -> None:
        """Mirror configured accounts and people into the store (keeping runtime state)."""
        with self.db.atomic():
            stored_accounts.mirror_config(self.ctx)
            self.startup_notes = departed.settle(self.ctx)
            agenda.plan(self.ctx)  # the daily jobs and every account's next oversight step (issue 17)

    # ------------------------------------------------------------------ inputs
    def command(self, actor: str, text: str, channel: str | None = None) -> Reply:
        if commands.read_only(text):  # /sök, /rapport: on a read connection, without the lock (issue 17)
            reader = self.reader()
            if reader is not None:
                return commands.handle(reader, actor, text, channel)
        return self._command(actor, text, channel)

    @serialized
    def _command(self, actor: str, text: str, channel: str | None = None) -> Reply:
        reply = commands.handle(self.ctx, actor, text, channel)
        return reply

    def reader(self) -> Context | None:
        """A context on this thread's read-only connection (WAL: it sees the last commit and waits for no
        writer); None for an in-memory database, which only the main connection can see."""
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            db_file = self._db_file
            if db_file is None:
                return None
            conn = self._readers.conn = store_db.open_reader(db_file)
        return Context(settings=self.ctx.settings, db=sqlite_utils.Database(conn), clock=self.ctx.clock,
                       calendars=self.ctx.calendars)

    @serialized
    def action(self, actor: str, name: str, value: str, **kwargs: str) -> Reply:
        """A button press: `oversight_done` with an account id, or an item action with an item id."""
        try:
            reply = commands.button(self.ctx, actor.lower(), name, value, **kwargs)
        except Refused as exc:
            reply = Reply(str(exc), ok=False, data={"problems": exc.problems} if exc.problems else {})
        return reply

    @serialized
    def intake(self, account_id: str, text: str, **kwargs: object) -> tuple[dict, bool]:
        item, created = intake.receive(self.ctx, account_id, text, **kwargs)
        return item, created

    @serialized
    def request_account(self, actor: str, fields: dict) -> int:
        """A1: a request for a new account; Refused with one problem per field at fault."""
        return accounts.request_account(self.ctx, actor, fields)

    @quietly_delivered
    def platform_delivery(self, obj: str, entry_ids: list[str], events: list[PlatformEvent],
                          ignored: int = 0) -> DeliveryResult:
        """A platform's webhook delivery (additions, edits, removals, unknown pages), all stored or none."""
        result = deliveries.receive_delivery(self.ctx, obj, entry_ids, events, ignored)
        self._media_found()
        return result

    # ------------------------------------------------------------------ channel health and backfill (issue 12)
    def check_channels(self, startup: bool = False) -> dict[str, list[str]]:
        """Check the platform connections that are due (all at `startup`) and take in what webhooks missed;
        account -> problem codes. The Graph API is read outside the lock (bot/channel_watch.py)."""
        if self.channel_watch is None:
            return {}
        return self.channel_watch.run(startup)

    def check_channels_in_background(self) -> threading.Thread | None:
        """The start-up check and backfill in a thread of its own: the start never waits for the Graph API."""
        if self.channel_watch is None:
            return None
        thread = threading.Thread(target=self.check_channels, kwargs={"startup": True}, name="uppsikt-channels",
                                  daemon=True)
        thread.start()
        return thread

    @serialized
    def channel_plans(self, startup: bool, has_token) -> list[channels.Plan]:
        """The accounts whose platform connection is to be checked now."""
        return channels.plans(self.ctx, has_token, startup)

    @serialized
    def channel_checked(self, account_id: str, check: channels.Check, reason: str) -> channels.Outcome:
        """Record what a check found: problems, alarms (once a day each), a repaired connection."""
        with self.db.atomic():
            return channels.checked(self.ctx, self.ctx.account(account_id), check, reason)

    @quietly_delivered
    def backfill_delivery(self, account_id: str, check: channels.Check) -> DeliveryResult:
        """What a check read from the platform, taken in like a webhook delivery (via="backfill"): all or none."""
        result = backfill.deliver(self.ctx, self.ctx.account(account_id), check)
        self._media_found()
        return result

    @serialized
    def backfill_failed(self, account_id: str, since: int, error: str) -> int:
        """A backfill that could not be read or stored is tried again later from `since`; returns when."""
        with self.db.atomic():
            return channels.backfill_failed(self.ctx, account_id, since, error)

    @quietly_delivered
    def receive_intake(self, data: object) -> tuple[dict, bool]:
        """A generic signed intake body -> (item, created); IntakeError or Refused when it is not accepted."""
        return deliveries.receive_intake(self.ctx, data)

    @serialized
    def react(self, actor: str, item_id: int, emoji: str) -> Reply | None:
        """An emoji reaction on an item's card; None when the emoji means nothing to Uppsikt."""
        try:
            reply = reactions.react(self.ctx, actor.lower(), item_id, emoji)
        except Refused as exc:
            reply = Reply(str(exc), ok=False)
        return reply

    # ------------------------------------------------------------------ scheduler
    @serialized
    def tick(self) -> list[Message]:
        """Derive everything due now from the database; safe to call at any time, any number of times."""
        self.watch.clock_seen(self.ctx.now().timestamp())
        out = tick.run(self.ctx)
        self.watch.store_ok()  # the tick wrote (state last_tick): the store is writable again
        return out

    def advance(self, clock: FakeClock, until: dt.datetime) -> None:
        """Move a fake clock to `until`, ticking at every moment something falls due on the way."""
        tick.advance(self, clock, until)

    def next_wakeup(self) -> dt.datetime:
        """The earliest moment at which tick() could have something to do (for the simulator)."""
        return tick.next_wakeup(self.ctx)

    # ------------------------------------------------------------------ automatic snapshots off the lock
    def start_snapshot_worker(self) -> SnapshotWorker | None:
        """Render the daily automatic snapshots in a thread of their own, off the lock (bot/snapshot_worker.py);
        None for an in-memory database (no folder, no automatic snapshots)."""
        if self._db_file is None:
            return None
        running = self.ctx.cache.get(snapshots.WORKER)
        if running is not None:
            return running  # type: ignore[return-value]
        worker = SnapshotWorker(self)
        with self.lock:
            self.ctx.cache[snapshots.WORKER] = worker
        return worker.start()

    def snapshot_folder(self) -> Path | None:
        with self.lock:
            return snapshots.folder(self.ctx)

    def prepare_snapshot(self, account_id: str, reason: str) -> snapshots.Prepared:
        """Read and render an account's snapshot on this thread's read connection, without the lock."""
        reader = self.reader()
        if reader is None:
            raise RuntimeError("automatic snapshots need a database file")
        return snapshots.prepare(reader, reader.account(account_id), reason)

    @serialized
    def snapshot_rendered(self, account_id: str, prep: snapshots.Prepared) -> list[Message]:
        """Register a rendered snapshot and tell the responsible person; when that fails (rolled back and
        reported to the communicators) or the account is no longer watched, the files go and the screenshot
        reminder is sent instead."""
        with self.db.atomic():
            account = self.ctx.accounts.get(account_id)
            if account is None:
                prep.discard()
                return []
            done = isolation.run(self.ctx, f"snapshot:{account_id}", self.ctx.t("duty.unit.snapshots"),
                                 lambda: snapshots.rendered(self.ctx, account, prep), None)
            if done is None:
                prep.discard()
                return records.snapshot_reminder(self.ctx, account)
            return done

    @serialized
    def snapshot_failed(self, account_id: str, exc: BaseException) -> list[Message]:
        """A rendering that failed: reported to the communicators (once a day) and the screenshot reminder."""
        with self.db.atomic():
            account = self.ctx.accounts.get(account_id)
            isolation.report(self.ctx, f"snapshot:{account_id}", self.ctx.t("duty.unit.snapshots"), exc)
            return [] if account is None else records.snapshot_reminder(self.ctx, account)

    # ------------------------------------------------------------------ the archive's attachments off the lock
    def start_media_worker(self) -> MediaWorker | None:
        """Fetch the archive's attachments in a thread of their own, soon after a capture finds links
        (bot/media_worker.py); None without a Meta port (simulator, console: the links stay pending) or a
        database file (no data folder)."""
        if self.media_worker is None or self._db_file is None:
            return None
        return self.media_worker.start()

    def fetch_media(self) -> dict[str, int]:
        """One run of the downloads that are due (the scheduler's job); outcome -> count."""
        if self.media_worker is None or self._db_file is None:
            return {}
        return self.media_worker.run()

    def media_folder(self) -> Path | None:
        with self.lock:
            return media.folder(self.ctx)

    def _media_found(self) -> None:
        """Called under the lock after a capture: wake the media worker when new links were recorded."""
        if self.ctx.cache.pop(media.CACHE_FOUND, False) and self.media_worker is not None:
            self.media_worker.poke()

    @serialized
    def media_due(self, limit: int) -> list[dict]:
        """The attachments whose download is due now."""
        return media.due(self.ctx, limit)

    @serialized
    def media_fetched(self, row_id: int, rel_path: str, got: Downloaded) -> str:
        """Register a stored attachment (its file is in place under the data folder)."""
        with self.db.atomic():
            return media.fetched(self.ctx, row_id, rel_path, got)

    @serialized
    def media_failed(self, row_id: int, kind: str, reason: str) -> str:
        """A download that failed or was refused: tried again later, or failed/refused with the reason."""
        with self.db.atomic():
            return media.failed(self.ctx, row_id, kind, reason)

    # ------------------------------------------------------------------ the router (issue 17 point 1)
    def prepare_router(self) -> router_index.Warmup | None:
        """Load or build the router in a background thread, without the lock: until it is ready a
        question goes to its account's responsible person (the card says so). None for an in-memory
        database (nothing to read from another connection: it is built at the first question)."""
        db_file = store_db.file_of(self.db)
        if db_file is None:
            return None

        def install(loaded: router_index.Loaded, generation: int) -> bool:
            with self.lock:
                if self.ctx.cache.get("router_generation", 0) != generation:
                    return False  # answers were erased meanwhile: build again without them
                router_index.catch_up(loaded, self.db.conn)  # what was recorded while it was prepared
                self.ctx.cache["router"] = loaded.router
                return True

        def start() -> router_index.Warmup:
            warmup = router_index.Warmup(lambda: store_db.open_reader(db_file), self.ctx.settings, db_file,
                                         lambda: int(self.ctx.cache.get("router_generation", 0)), install)
            self.ctx.cache["router_warmup"] = warmup
            return warmup.start()

        with self.lock:
            self.ctx.cache["router_warmer"] = start
            if "router" in self.ctx.cache:
                return None
            return start()

    def save_router(self) -> bool:
        """Save the live router's index (a nightly job), so a restart adds only the day's answers. It is
        pickled under the lock (every recorded answer is in the live router then) straight into the file:
        a copy in memory first would double the router's memory at night (issue 17). False when there is
        nothing to save (no file database, no router yet)."""
        path = router_index.path_for(self._db_file)
        with self.lock:
            live = self.ctx.cache.get("router")
            if path is None or live is None:
                return False
            last_id, count = self.db.execute("SELECT COALESCE(MAX(id), 0), COUNT(*) FROM history_answers").fetchone()
            router_index.save(path, router_index.Loaded(live, last_id, count, 0))  # type: ignore[arg-type]
        return True

    # ------------------------------------------------------------------ outbox
    def deliver(self) -> None:
        """After an entry point: deliver now, or wake the background delivery thread."""
        self.outbox.deliver()

    def deliver_in_background(self) -> threading.Thread:
        return self.outbox.deliver_in_background()

    def flush(self) -> int:
        """Deliver pending outbox messages now (see Outbox.flush)."""
        return self.outbox.flush()

    # ------------------------------------------------------------------ history import
    @serialized
    def import_history(self, path: Path) -> int:
        """Load past answers (question,answer,answered_by,answered_at); all rows or none."""
        return history.load(self.ctx, path)


# What adapters may use besides the Bot: the types its methods take and return, and the small
# pure helpers of the core (adapters import nothing else of Uppsikt but bot.messages and bot.i18n).
__all__ = [
    "INTAKE_MAX_SKEW_SECONDS", "MEDIA_REFUSALS", "MEDIA_TYPES", "Downloaded", "MediaError", "TEAMS_DIR", "Account", "AccountForm", "Bot", "ChatError", "Chunk", "TokenInfo", "ChatMemory", "ChatPort", "Clock", "Dashboard", "DeliveryResult",
    "FakeClock", "GraphError", "Inbox", "InboxEntry", "IntakeError", "MetaPort", "Published", "platform_token_env", "ItemForm", "Message", "Person", "PlatformEvent", "Problem", "RecordingChat",
    "Refused", "Reply", "ReportLinks", "Secrets", "fold", "links_from_env", "from_epoch", "is_number", "secrets_from_env", "serialized", "to_epoch",
    "to_local",
]
