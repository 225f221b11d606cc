"""Slack's Events API through the inbox (issue 17 point 5): verify, store, acknowledge; process after, in order.

Which requests take this path (`for_inbox`): Events API ``event_callback`` requests over HTTP whose event is a
``message`` or a ``reaction_added``, the bulk of the traffic and the two kinds that change what the bot
knows. Their answer is an empty 200 whatever the work does, so nothing is lost by answering before it.

Which do not, and keep today's path (Bolt's dispatch, the work committed or acknowledged as before):

* slash commands and interactive payloads (buttons, shortcuts, modal submissions): Slack wants their answer
  within 3 s and some carry it in the answer's body (a modal submission's validation errors) or need to act
  on a short-lived ``trigger_id`` at once (opening a modal); they are acknowledged first already (issue 16)
  and are few;
* ``url_verification`` (the challenge is the answer's body) and the other events (``app_home_opened``
  publishes a view from what the store says now; nothing is lost if it is late or missed);
* Socket Mode: Bolt acknowledges over the socket; there is no HTTP answer to hurry.

The acknowledgement (`accept`, in a worker thread of the HTTP server): the signature is checked exactly as
`ClockedRequestVerification` does (HMAC-SHA256 of ``v0:timestamp:body`` on the bot's clock, one signature
and one timestamp header, at most five minutes old), then the body's shape (`_readable`), then the raw body
is stored (`Bot.inbox.put`): 200 once it is committed, also for a retry of a stored event; 500 when the
store fails (Slack retries). The facade's lock is not taken.

The processing (`InboxWorker`, one daemon thread): each stored body goes through the same Bolt app's
``dispatch`` as before, marked as coming from the inbox (its signature was checked on arrival and may be
older than five minutes by now, after a restart), so the listeners, the event claims and intake's
de-duplication are exactly today's. A row is marked processed once dispatch has answered below 500.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.chat import PLATFORM
from bot.facade import Bot, InboxEntry

log = logging.getLogger("uppsikt.slack")

FROM_INBOX = "uppsikt_from_inbox"  # BoltRequest context key: the body's signature was checked when it arrived
WORK_FAILED = "uppsikt_work_failed"  # BoltContext key: why an event's work failed (listeners/events.py)
INBOX_EVENTS = frozenset({"message", "reaction_added"})
SIGNED_HEADERS = ("x-slack-signature", "x-slack-request-timestamp")
IDLE_SECONDS = 1.0  # the worker looks for due rows at least this often (stepped-over rows fall due by time)
BATCH = 50
# Acknowledgements go first: before each stored event the worker waits until no acknowledgement is in flight, at
# most this long. One process, one GIL: without it the worker's processing (classification, routing, the card)
# took a third of the time an acknowledgement needs at saturation. With it a burst is acknowledged at Bolt's speed
# and processed after; under acknowledgements without a pause the worker still takes at least one event per
# YIELD_SECONDS (plus its own time). "No acknowledgement in flight" means none for QUIET_SECONDS: between two
# requests of a busy connection there is always a moment with none.
YIELD_SECONDS = 0.1
QUIET_SECONDS = 0.005

Headers = Mapping[str, Sequence[str]]


def for_inbox(headers: Headers, raw: bytes) -> dict | None:
    """The parsed body when this request takes the inbox's path, else None (today's path)."""
    content_type = (headers.get("content-type") or [""])[0].lower()
    if not content_type.startswith("application/json") or b'"event_callback"' not in raw:
        return None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None  # today's path answers it (400)
    if not isinstance(body, dict) or body.get("type") != "event_callback" or not isinstance(body.get("event"), dict):
        return None
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id or body["event"].get("type") not in INBOX_EVENTS:
        return None
    return body


class SlackInbox:
    """The inbox's path for Slack's Events API: `accept` at the HTTP edge, `worker` behind it."""

    def __init__(self, bot: Bot, app: App, verifier: SignatureVerifier, readable: Callable[[object], bool]):
        self.bot = bot
        self.app = app
        self.verifier = verifier
        self.readable = readable  # the shape check Bolt's path uses too (app.py `_readable`)
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self.edge_idle = threading.Event()  # set while no acknowledgement is in flight
        self.edge_idle.set()
        self.last_arrival = 0.0  # time.monotonic() of the latest event request
        self.worker = InboxWorker(bot, app, self)

    def arriving(self) -> None:
        """An event request arrived at the HTTP edge (the worker waits while any is in flight)."""
        with self._count_lock:
            self._in_flight += 1
            self.edge_idle.clear()
            self.last_arrival = time.monotonic()

    def answered(self) -> None:
        with self._count_lock:
            self._in_flight -= 1
            if self._in_flight <= 0:
                self._in_flight = 0
                self.edge_idle.set()

    def wait_for_quiet(self, longest: float = YIELD_SECONDS) -> None:
        """Block until no event request has been in flight for QUIET_SECONDS, at most `longest` seconds."""
        deadline = time.monotonic() + longest
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.edge_idle.wait(left):
                return
            quiet_for = time.monotonic() - self.last_arrival
            if quiet_for >= QUIET_SECONDS:
                return
            time.sleep(min(QUIET_SECONDS - quiet_for, max(0.0, deadline - time.monotonic())))

    def signed(self, headers: Headers, body: str) -> bool:
        if any(len(headers.get(h, [])) != 1 for h in SIGNED_HEADERS):
            return False  # none, or more than one (issue 16: the first of two was checked)
        timestamp, signature = headers["x-slack-request-timestamp"][0], headers["x-slack-signature"][0]
        if not re.fullmatch(r"\d{1,12}", timestamp or ""):
            return False
        return self.verifier.is_valid(body=body, timestamp=timestamp, signature=signature)

    def accept(self, headers: Headers, raw: bytes) -> tuple[int, str] | None:
        """(status, body) of the acknowledgement of an event that takes the inbox's path; None for any other
        request (the caller dispatches it through Bolt as before). Runs in a worker thread."""
        parsed = for_inbox(headers, raw)
        if parsed is None:
            return None
        body = raw.decode("utf-8")
        if not self.signed(headers, body):
            log.warning("Slack: a request with an invalid signature (%d characters); answered 401", len(body))
            return 401, ""
        if not self.readable(parsed):
            log.warning("Slack: a signed request that is not shaped like a Slack payload; answered 400")
            return 400, ""
        retry = (headers.get("x-slack-retry-num") or ["0"])[0]
        try:
            stored = self.bot.inbox.put(PLATFORM, parsed["event_id"], body, int(retry) if retry.isdigit() else 0)
        except Exception as exc:  # noqa: BLE001 (disk full, read-only, …: not acknowledged, so Slack retries)
            self.bot.watch.store_failed(exc)
            log.error("Slack: event %s could not be stored (%s); answered 500 so that Slack retries it",
                      parsed["event_id"], exc)
            return 500, ""
        if not stored:
            log.info("Slack: event %s is stored already; acknowledging the retry", parsed["event_id"])
        return 200, ""


class InboxWorker:
    """One thread that processes the stored events in order (`drain`), first those left by an earlier process."""

    def __init__(self, bot: Bot, app: App, edge: SlackInbox | None = None):
        self.bot = bot
        self.app = app
        self.edge = edge  # acknowledgements go first (`SlackInbox.wait_for_quiet`)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.processed = 0

    def start(self) -> threading.Thread:
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="uppsikt-slack-inbox", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.bot.inbox.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        backlog, _ = self.bot.inbox.backlog(PLATFORM)
        if backlog:
            log.info("Slack: %d stored event(s) not yet processed (an earlier process stopped); processing them "
                     "first", backlog)
        while not self._stop.is_set():
            self.bot.inbox.wake.clear()
            try:
                self.drain(self._stop)
                self.bot.inbox.clean()
            except Exception:  # noqa: BLE001 (the rows stay stored; log it and look again)
                log.exception("Slack: processing the inbox failed; trying again")
                self._stop.wait(IDLE_SECONDS)
            self.bot.inbox.wake.wait(IDLE_SECONDS)

    def drain(self, stop: threading.Event | None = None) -> int:
        """Process every due row, oldest first, until `stop` is set; returns how many were processed."""
        stop = stop or threading.Event()
        done = 0
        while not stop.is_set():
            entries = self.bot.inbox.due(PLATFORM, BATCH)
            if not entries:
                return done
            for entry in entries:
                if self.edge is not None:
                    self.edge.wait_for_quiet()  # acknowledgements first
                if stop.is_set():
                    return done
                if not self.process(entry, stop):
                    break  # stepped over, or held: read the due rows again
                done += 1
        return done

    def process(self, entry: InboxEntry, stop: threading.Event | None = None) -> bool:
        """Dispatch one stored event through Bolt; True when it is processed (marked), False when it failed
        (retried in place a few times keeping the order, then stepped over)."""
        while True:
            request = BoltRequest(body=entry.body, headers={"content-type": ["application/json"],
                                                            "x-slack-retry-num": [str(entry.retry_num)]},
                                  context={FROM_INBOX: True})
            try:
                status = self.app.dispatch(request).status
                error = str(request.context.get(WORK_FAILED) or f"HTTP {status}")
            except Exception as exc:  # noqa: BLE001 (`_App.dispatch` answers 400 itself; anything else: retry)
                status, error = 500, f"{type(exc).__name__}: {exc}"
            if status < 500:  # 200, or an answer that will never change (400 unreadable, 404 unhandled)
                self.bot.inbox.done(entry.id)
                self.processed += 1
                return True
            pause = self.bot.inbox.failed(entry, error)
            entry = InboxEntry(entry.id, entry.platform, entry.event_id, entry.body, entry.retry_num,
                               entry.attempts + 1)
            if pause is None:
                log.error("Slack: event %s failed %d times (%s); later events go first, it is tried again later",
                          entry.event_id, entry.attempts, error)
                return False
            log.warning("Slack: event %s failed (%s); trying again in %g s", entry.event_id, error, pause)
            if (stop or threading.Event()).wait(pause):
                return False


__all__ = ["FROM_INBOX", "WORK_FAILED", "INBOX_EVENTS", "InboxWorker", "SlackInbox", "for_inbox"]
