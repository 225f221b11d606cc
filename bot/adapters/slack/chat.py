"""The Slack chat port: delivers the outbox's Messages with Slack's Web API.

`SlackChat.send(message)` resolves the target (a channel name or a person's
e-mail) to a conversation id, renders the message as Block Kit
(`bot.adapters.slack.blocks.render`) and posts it; a message with a `card`
key that was posted before is updated in place with ``chat.update``, and a
message with a `thread` key goes into that card's thread when it is in the
same conversation. A bundle (issue 16 point 11: new items folded into one message
while a channel is backed up) is remembered under its own key ("bundle:<id>"),
never under an item's: a bundled item's first update posts the item's own card.
What it learns is kept in the store's m003 tables:
``chat_messages`` (card -> channel, ts), ``chat_users`` (e-mail -> user id,
re-resolved after 30 days) and ``chat_channels`` (name -> id).

Failures become `ChatError`s for the outbox (`Bot.flush`), which owns retrying
and keeps the order per target:

* HTTP 429 (or ``ratelimited``) -> ``retry_after`` from Slack's Retry-After header;
* HTTP 5xx, Slack's internal errors, connection errors -> transient (retried with back-off);
* any other ``ok: false`` (channel_not_found, not_in_channel, is_archived,
  invalid_auth, missing_scope, …) -> ``permanent=True``, logged with what a
  communicator has to do about it. Unknown error codes count as permanent:
  retrying a request Slack has refused would block every later message to
  that target for good.

Before each call a small token bucket per Web API method (per channel for
``chat.postMessage``) is checked; when it is empty `send` raises
``ChatError(retry_after=…)`` instead of sleeping, so a burst never gets the
app throttled and the scheduler thread never blocks.

The `slack_sdk.WebClient` is built by the caller (``app.py``), e.g.
``WebClient(token=..., base_url=...)``. slack_sdk's default retry handlers only
retry connection errors, which is fine; do **not** add its
``RateLimitErrorRetryHandler``: it would sleep inside a delivery and hide
the 429 from the outbox. Tests build the client with ``retry_handlers=[]`` so
the outbox does all the retrying. Tokens are never logged: errors are reported
by method, error code and target only.

Deliveries run outside the bot's entry-point lock (so listeners can acknowledge
while Slack is slow). What this port remembers goes through its `ChatMemory`
(``Bot.memory("slack")``), which takes that lock around its own short SQL only,
never around a Web API call (lock order: this port's own lock, then the bot's).
"""

from __future__ import annotations

import http.client
import logging
import math
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from bot.adapters.slack import PLATFORM
from bot.adapters.slack.blocks import FALLBACK_TEXT_MAX, escape, render, truncate
from bot.facade import ChatError, ChatMemory, Clock
from bot.messages import Message

if TYPE_CHECKING:
    from bot.facade import Bot

log = logging.getLogger("uppsikt.slack")

CHANNEL_ID_RE = re.compile(r"^[CGD][A-Z0-9]+$")
USER_ID_RE = re.compile(r"^[UW][A-Z0-9]+$")
USER_CACHE_SECONDS = 30 * 86400  # re-resolve an e-mail after 30 days
MISS_CACHE_SECONDS = 600  # do not ask Slack again for an unknown channel/e-mail for ten minutes
LIST_PAGE_SIZE = 200
UPLOAD_TIMEOUT = 30  # seconds for one file's bytes to Slack's upload URL

TRANSIENT_ERRORS = frozenset({
    "internal_error", "fatal_error", "service_unavailable", "request_timeout", "timeout", "connection_error",
})
RATE_LIMIT_ERRORS = frozenset({"ratelimited", "rate_limited"})
GONE_CHANNEL_ERRORS = frozenset({"channel_not_found", "is_archived"})
STALE_CARD_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})

INVITE = "invite the bot there (type /invite @Uppsikt in the channel)"
REINSTALL = "reinstall the Slack app and put the new bot token in SLACK_BOT_TOKEN"
HINTS = {
    "channel_not_found": "The channel {target} does not exist or the bot cannot see it: create it, or " + INVITE + ".",
    "not_in_channel": "The bot is not a member of {target}: " + INVITE + ".",
    "is_archived": "The channel {target} is archived: unarchive it, or point the account at another channel "
                   "in the config.",
    "invalid_auth": "Slack rejected the bot token: " + REINSTALL + ".",
    "not_authed": "No bot token was sent: set SLACK_BOT_TOKEN.",
    "token_revoked": "The bot token was revoked: " + REINSTALL + ".",
    "token_expired": "The bot token has expired: " + REINSTALL + ".",
    "account_inactive": "The bot user or its token is deactivated: " + REINSTALL + ".",
    "missing_scope": "The app lacks the OAuth scope {needed}: add it (config/slack-manifest.yml) and reinstall "
                     "the app.",
    "users_not_found": "No Slack user has the e-mail {target}: check the e-mail in the config against the person's "
                       "Slack profile, or set chat_id to their Slack user id.",
    "user_not_found": "Slack does not know the user {target}: check chat_id in the config.",
    "cannot_dm_bot": "{target} is a bot user; the bot cannot send it direct messages.",
    "user_disabled": "The Slack user {target} is deactivated: give their duties to someone else.",
    "restricted_action": "A workspace admin has restricted posting in {target}: ask the admin to allow the bot.",
    "invalid_blocks": "Slack refused the message layout (a bug in Uppsikt's Block Kit rendering): report it.",
    "msg_too_long": "The message to {target} was too long for Slack (a bug in Uppsikt's rendering): report it.",
}


class SlackCallError(ChatError):
    """A failed Web API call: `code` is Slack's error code (or ratelimited/connection_error)."""

    def __init__(self, message: str, *, method: str, code: str, retry_after: float | None = None,
                 permanent: bool = False):
        super().__init__(message, retry_after=retry_after, permanent=permanent)
        self.method = method
        self.code = code


# --------------------------------------------------------------------------- rate limits


@dataclass(frozen=True)
class Rate:
    """A token bucket: `burst` calls at once, refilled at `per_second`."""

    per_second: float
    burst: float


PER_MINUTE = 1 / 60
RATES: dict[str, Rate] = {
    "chat.postMessage": Rate(1.0, 3),  # special tier: about one per second per channel, short bursts allowed
    "chat.update": Rate(50 * PER_MINUTE, 10),  # tier 3
    "conversations.open": Rate(50 * PER_MINUTE, 10),  # tier 3
    "users.lookupByEmail": Rate(100 * PER_MINUTE, 20),  # tier 4
    "users.info": Rate(100 * PER_MINUTE, 20),  # tier 4
    "conversations.list": Rate(20 * PER_MINUTE, 10),  # tier 2
    "files.getUploadURLExternal": Rate(100 * PER_MINUTE, 20),  # tier 4
    "files.completeUploadExternal": Rate(100 * PER_MINUTE, 20),  # tier 4
}
PER_CHANNEL = frozenset({"chat.postMessage"})


class SteadyTime:
    """Seconds that only move forward, for measuring intervals (issue 16 point 7).

    The injected clock's ``monotonic()`` when it has one (`SystemClock`: time.monotonic); otherwise the
    clock's wall time with every backwards step ignored: time goes on from the new reading, so a step back
    of a day costs nothing instead of freezing the rate limits for a day."""

    def __init__(self, clock: Clock, monotonic: Callable[[], float] | None = None):
        self.clock = clock
        self.monotonic = monotonic or getattr(clock, "monotonic", None)
        self._wall: float | None = None
        self._steady = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        if self.monotonic is not None:
            return float(self.monotonic())
        wall = self.clock.now().timestamp()
        with self._lock:
            if self._wall is None:
                self._steady = wall
            elif wall > self._wall:
                self._steady += wall - self._wall
            self._wall = wall
            return self._steady


class RateLimiter:
    """Per-method token buckets measured on a monotonic clock (`SteadyTime`); `take` raises instead of sleeping."""

    def __init__(self, clock: Clock, rates: Mapping[str, Rate] = RATES, monotonic: Callable[[], float] | None = None):
        self.clock = clock
        self.steady = SteadyTime(clock, monotonic)
        self.rates = dict(rates)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # (method, key) -> (tokens, at)
        self._held: dict[tuple[str, str], float] = {}  # (method, key) -> not before (after a 429)

    def _now(self) -> float:
        return self.steady()

    def take(self, method: str, key: str = "") -> None:
        now = self._now()
        held = self._held.get((method, key), 0.0)
        if now < held:
            raise self._limited(method, held - now)
        rate = self.rates.get(method)
        if rate is None:
            return
        tokens, at = self._buckets.get((method, key), (rate.burst, now))
        tokens = min(rate.burst, tokens + (now - at) * rate.per_second)
        if tokens < 1:
            self._buckets[(method, key)] = (tokens, now)
            raise self._limited(method, (1 - tokens) / rate.per_second)
        self._buckets[(method, key)] = (tokens - 1, now)

    def hold(self, method: str, key: str, seconds: float) -> None:
        """Slack said 429: no call to this method (and key) before `seconds` from now."""
        self._held[(method, key)] = self._now() + seconds

    @staticmethod
    def _limited(method: str, wait: float) -> SlackCallError:
        seconds = max(1, math.ceil(wait))
        return SlackCallError(f"{method}: Uppsikt's own rate limit; retry in {seconds}s", method=method,
                              code="ratelimited", retry_after=seconds)


# --------------------------------------------------------------------------- the port


class SlackChat:
    """ChatPort for Slack; see the module docstring."""

    digests = True  # the outbox sends a person's reminders as one `digest` message
    bundles = True  # while a channel is backed up by the rate limit, its new items may come as one `bundle` message
    bundle_menus = True  # … whose items each get a menu of their card's actions (blocks.render_bundle)

    def __init__(self, client: WebClient, memory: ChatMemory | Any, clock: Clock, *,
                 people: Mapping[str, str] | None = None, rates: Mapping[str, Rate] = RATES,
                 monotonic: Callable[[], float] | None = None):
        """`memory` is the bot's `Bot.memory("slack")`; a bare store (tests) gets a memory of its own."""
        self.client = client
        self.memory = memory if isinstance(memory, ChatMemory) else ChatMemory(memory, PLATFORM, clock)
        self.clock = clock
        # Person.chat_id by e-mail; only values shaped like Slack user ids are used.
        self.people = {email.lower(): uid for email, uid in (people or {}).items() if uid and USER_ID_RE.match(uid)}
        self.limiter = RateLimiter(clock, rates, monotonic)  # intervals on a monotonic clock (issue 16)
        self._dm: dict[str, str] = {}  # user id -> DM channel id
        self._misses: dict[str, float] = {}  # "channel:x" / "user:x" -> until
        self._list_cursor = ""  # where an interrupted conversations.list resumes
        self._lock = threading.RLock()

    @classmethod
    def for_bot(cls, client: WebClient, bot: Bot, **kwargs: Any) -> SlackChat:
        """A SlackChat on the bot's store and clock, with configured `chat_id`s."""
        people = {p.email: p.chat_id for p in bot.settings.people.values() if p.chat_id}
        return cls(client, bot.memory(PLATFORM), bot.clock, people=people, **kwargs)

    # ------------------------------------------------------------------ ChatPort
    def send(self, message: Message) -> None:
        with self._lock:
            try:
                self._send(message)
            except SlackCallError as exc:
                if exc.permanent:
                    log.error("Slack: giving up on a %s message to %s: %s", message.kind, message.to, exc)
                raise

    def _send(self, message: Message) -> None:
        channel = self._target(message.to)
        if message.attachments:
            return self._send_files(message, channel)  # issue 14: files go through the upload flow
        mentions = {email: uid for email in message.mentions if (uid := self._mention_id(email))}
        text, blocks = render(message, user_ids=mentions)
        try:
            self._deliver(message, channel, text, blocks)
        except SlackCallError as exc:
            # A cached channel id may be stale (channel deleted, or renamed and the name reused): resolve once more.
            if exc.code not in GONE_CHANNEL_ERRORS or not self._forget_channel(message.to):
                raise
            try:
                fresh = self._target(message.to)
            except SlackCallError:
                raise exc from None  # keep Slack's own reason (e.g. is_archived) in the log
            if fresh == channel:
                raise
            self._deliver(message, fresh, text, blocks)

    # ------------------------------------------------------------------ files (issue 14)
    def _send_files(self, message: Message, channel: str) -> None:
        """Share a message's attachments in the channel with Slack's upload flow: for each file
        ``files.getUploadURLExternal`` and a POST of its bytes to the URL Slack gives, then one
        ``files.completeUploadExternal`` that shares them all with the text (and key figures) as the comment,
        followed by the message's links (the signed link to the full report) as ``<url|label>``.
        ``files.upload`` is not used: Slack retired it for new apps in 2024 and for all in November 2025.
        Needs the ``files:write`` scope."""
        files = []
        for att in message.attachments:
            data = att.content()
            resp = self._call("files.getUploadURLExternal", lambda: self.client.files_getUploadURLExternal(
                filename=att.filename, length=len(data), alt_txt=att.alt[:1000] or None), target=message.to)
            self._upload(str(resp["upload_url"]), att.filename, att.mime, data, message.to)
            files.append({"id": str(resp["file_id"]), "title": att.title or att.filename})
        links = "".join(f"\n<{escape(a.url)}|{escape(a.label)}>" for a in message.actions if a.url)
        comment = truncate(escape(message.text + "".join(f"\n• {label}: {value}" for label, value in message.fields)),
                           FALLBACK_TEXT_MAX - len(links)) + links
        self._call("files.completeUploadExternal", lambda: self.client.files_completeUploadExternal(
            files=files, channel_id=channel, initial_comment=comment), target=message.to)

    def _upload(self, url: str, filename: str, mime: str, data: bytes, target: str) -> None:
        """POST the bytes to the upload URL (Slack's file service, not a Web API method: no token)."""
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": mime or "application/octet-stream"})
        try:
            with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT) as resp:  # noqa: S310 (Slack's URL)
                resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                retry = retry_after_seconds(dict(exc.headers or {})) if exc.code == 429 else None
                raise SlackCallError(f"file upload of {filename}: HTTP {exc.code}", method="files.upload_url",
                                     code="ratelimited" if exc.code == 429 else f"http_{exc.code}",
                                     retry_after=retry) from exc
            raise SlackCallError(f"file upload of {filename} to {target}: HTTP {exc.code}", method="files.upload_url",
                                 code=f"http_{exc.code}", permanent=True) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise SlackCallError(f"file upload of {filename}: could not reach Slack ({type(exc).__name__})",
                                 method="files.upload_url", code="connection_error") from exc

    def _mention_id(self, email: str) -> str | None:
        """A mention that Slack refuses to resolve (e.g. missing users:read.email) becomes the plain e-mail."""
        try:
            return self.user_id(email)
        except SlackCallError as exc:
            if not exc.permanent:
                raise  # try again later rather than lose the notification
            log.error("Slack: cannot mention %s: %s", email, exc)
            return None

    def _deliver(self, message: Message, channel: str, text: str, blocks: list[dict]) -> None:
        if message.card and self._update_card(message.card, channel, text, blocks, message.to):
            return
        thread_ts = self._thread_ts(message.thread, channel)
        ts = self._post(channel, text, blocks, thread_ts, message.to)
        if message.card:
            self.memory.remember_card(message.card, channel, ts)

    def _target(self, to: str) -> str:
        if "@" in to and not to.startswith("#"):
            return self.dm_channel(to)
        return self.channel_id(to)

    # ------------------------------------------------------------------ posting
    def _post(self, channel: str, text: str, blocks: list[dict], thread_ts: str | None, target: str) -> str:
        resp = self._call("chat.postMessage", lambda: self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
        ), key=channel, target=target)
        return str(resp["ts"])

    def _update_card(self, card: str, channel: str, text: str, blocks: list[dict], target: str) -> bool:
        """Update the card's earlier message; False when there is none (in this channel) to update."""
        ref = self.card_ref(card)
        if ref is None or ref[0] != channel:
            return False
        try:
            self._call("chat.update", lambda: self.client.chat_update(
                channel=channel, ts=ref[1], text=text, blocks=blocks), target=target)
        except SlackCallError as exc:
            if exc.code not in STALE_CARD_ERRORS:
                raise
            log.info("Slack: card %s is gone from %s (%s); posting it again", card, target, exc.code)
            self.memory.forget_card(card)
            return False
        return True

    def _thread_ts(self, thread: str | None, channel: str) -> str | None:
        ref = self.card_ref(thread) if thread else None
        return ref[1] if ref and ref[0] == channel else None

    # ------------------------------------------------------------------ cards
    def card_ref(self, card: str) -> tuple[str, str] | None:
        """(channel id, ts) where the card was posted, if it was."""
        return self.memory.card_ref(card)

    def card_at(self, channel: str, ts: str) -> str | None:
        """The card key of the message at (channel, ts), e.g. for a reaction event; None if not a card."""
        return self.memory.card_at(channel, ts)

    # ------------------------------------------------------------------ channels
    def channel_id(self, name: str) -> str:
        """A channel name ("#konto-facebook" or "konto-facebook") or id -> the channel id.

        Raises a permanent ChatError when the bot cannot see such a channel.
        """
        with self._lock:
            name = name.lstrip("#")
            if CHANNEL_ID_RE.match(name):
                return name
            key = name.lower()
            known = self.memory.channel_id(key)
            if known:
                return known
            if not self._missed(f"channel:{key}"):
                found = self._list_channels()
                if key in found:
                    return found[key]
                self._miss(f"channel:{key}")
            target = f"#{name}"
            raise SlackCallError(f"conversations.list: channel_not_found. {hint('channel_not_found', target)}",
                                 method="conversations.list", code="channel_not_found", permanent=True)

    def _forget_channel(self, to: str) -> bool:
        """Drop a cached name -> id mapping; False when `to` is not a cached channel name."""
        name = to.lstrip("#").lower()
        if "@" in to or CHANNEL_ID_RE.match(to.lstrip("#")):
            return False
        return self.memory.forget_channel(name)

    def _list_channels(self) -> dict[str, str]:
        """Page through the channels the bot can see, caching name -> id page by page.

        When a rate limit interrupts the listing, the next attempt resumes at the
        page it stopped at (earlier pages are in the cache already), so a large
        workspace is listed completely in the end.
        """
        found: dict[str, str] = {}
        while True:
            try:
                resp = self._call("conversations.list", lambda: self.client.conversations_list(
                    types="public_channel,private_channel", exclude_archived=True, limit=LIST_PAGE_SIZE,
                    cursor=self._list_cursor or None), target="conversations.list")
            except SlackCallError as exc:
                if exc.code != "invalid_cursor":
                    raise
                self._list_cursor = ""  # an expired cursor: start over on the next attempt
                raise SlackCallError("conversations.list: cursor expired; listing again", method=exc.method,
                                     code=exc.code) from exc
            page = {str(c["name"]).lower(): str(c["id"]) for c in resp.get("channels", [])}
            self._cache_channels(page)
            found.update(page)
            self._list_cursor = (resp.get("response_metadata") or {}).get("next_cursor") or ""
            if not self._list_cursor:
                return found

    def _cache_channels(self, channels: Mapping[str, str]) -> None:
        self.memory.remember_channels(dict(channels))

    # ------------------------------------------------------------------ people
    def user_id(self, email: str) -> str | None:
        """A person's Slack user id: configured chat_id, cache (30 days) or users.lookupByEmail; None if unknown."""
        with self._lock:
            email = email.lower()
            if email in self.people:
                return self.people[email]
            now = self.clock.now().timestamp()
            row = self.memory.user(email)
            if row and now - row[1] < USER_CACHE_SECONDS:
                return str(row[0])
            if self._missed(f"user:{email}"):
                return None
            try:
                resp = self._call("users.lookupByEmail", lambda: self.client.users_lookupByEmail(email=email),
                                  target=email)
            except SlackCallError as exc:
                return self._lookup_failed(email, exc, str(row[0]) if row else None)
            user_id = str(resp["user"]["id"])
            self._cache_user(email, user_id)
            return user_id

    def _lookup_failed(self, email: str, exc: SlackCallError, cached: str | None) -> str | None:
        if exc.code == "users_not_found":
            log.warning("Slack: %s", hint("users_not_found", email))
            self._miss(f"user:{email}")
            self.memory.forget_user(email)
            return None
        if cached is not None and not exc.permanent:
            return cached  # a month-old id beats no message at all while Slack is unavailable
        raise exc

    def _cache_user(self, email: str, user_id: str) -> None:
        self.memory.remember_user(email, user_id)

    def email_for(self, user_id: str) -> str | None:
        """The e-mail of a Slack user (for incoming events): config, cache, then users.info (users:read.email)."""
        with self._lock:
            for email, uid in self.people.items():
                if uid == user_id:
                    return email
            known = self.memory.email_of(user_id)
            if known:
                return known
            resp = self._call("users.info", lambda: self.client.users_info(user=user_id), target=user_id)
            email = ((resp.get("user") or {}).get("profile") or {}).get("email")
            if not email:
                return None
            self._cache_user(email, user_id)
            return email.lower()

    def dm_channel(self, email: str) -> str:
        """The direct-message channel with a person; a permanent ChatError if they are not in Slack."""
        with self._lock:
            user_id = self.user_id(email)
            if user_id is None:
                raise SlackCallError(f"users.lookupByEmail: users_not_found. {hint('users_not_found', email)}",
                                     method="users.lookupByEmail", code="users_not_found", permanent=True)
            if user_id not in self._dm:
                resp = self._call("conversations.open", lambda: self.client.conversations_open(users=user_id),
                                  target=email)
                self._dm[user_id] = str(resp["channel"]["id"])
            return self._dm[user_id]

    # ------------------------------------------------------------------ negative cache
    def _missed(self, key: str) -> bool:
        return self._misses.get(key, float("-inf")) > self.limiter.steady()

    def _miss(self, key: str) -> None:
        self._misses[key] = self.limiter.steady() + MISS_CACHE_SECONDS

    # ------------------------------------------------------------------ the one place that calls Slack
    def _call(self, method: str, request: Callable[[], SlackResponse], *, key: str = "",
              target: str) -> SlackResponse:
        """Run one Web API request (`method` names it for the rate limits and the log), mapping failures."""
        self.limiter.take(method, key)
        try:
            return request()
        except SlackApiError as exc:
            error = api_error(method, exc, target)
            if error.retry_after is not None:
                self.limiter.hold(method, key, error.retry_after)
            raise error from exc
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, dropped connections
            raise SlackCallError(f"{method}: could not reach Slack ({type(exc).__name__})", method=method,
                                 code="connection_error") from exc
        except SlackClientError as exc:  # a request slack_sdk refuses to build: retrying will not help
            raise SlackCallError(f"{method}: {exc}", method=method, code="client_error", permanent=True) from exc


def hint(code: str, target: str, needed: str = "") -> str:
    """What a communicator should do about a Slack error code."""
    return HINTS.get(code, "Slack refused the request; see the error code.").format(
        target=target, needed=needed or "listed in the error")


def api_error(method: str, exc: SlackApiError, target: str) -> SlackCallError:
    """Classify a SlackApiError: rate limited, transient or permanent."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or f"http_{status}")
    if status == 429 or code in RATE_LIMIT_ERRORS:
        retry_after = retry_after_seconds(response.headers)
        return SlackCallError(f"{method}: rate limited by Slack (HTTP {status}); retry after {retry_after}s",
                              method=method, code="ratelimited", retry_after=retry_after)
    if status >= 500 or code in TRANSIENT_ERRORS:
        return SlackCallError(f"{method}: Slack is unavailable (HTTP {status}, {code})", method=method, code=code)
    return SlackCallError(f"{method}: {code}. {hint(code, target, str(data.get('needed') or ''))}",
                          method=method, code=code, permanent=True)


def retry_after_seconds(headers: Mapping[str, Any] | None) -> int | None:
    """Slack's Retry-After header in whole seconds (at least 1), or None when absent or unreadable."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, (list, tuple)) else value
            try:
                return max(1, math.ceil(float(raw)))
            except (TypeError, ValueError):
                return None
    return None


__all__ = ["PLATFORM", "RATES", "Rate", "RateLimiter", "SlackCallError", "SlackChat", "api_error", "hint"]
