"""The Slack app: slack-bolt wired to the Bot facade, and the two ways to run it.

`build_app(bot, ...)` returns a Bolt `App` with the four listener modules
registered explicitly (commands, events, actions, views) and one error
handler. No business rule lives here: listeners acknowledge, turn Slack's
payload into plain arguments, call one `Bot` method and show the `Reply`.

* **People.** A Slack user is the configured person with that `chat_id`, or
  the person whose e-mail Slack reports (``users.info`` → ``profile.email``,
  cached in ``chat_users``). Anyone else gets an ephemeral refusal in Swedish
  and nothing changes.
* **Channels.** A channel id becomes its name (``chat_channels``, else
  ``conversations.info``) so that ``bot.command(..., channel_name)`` and intake
  find the account of the channel.
* **Signatures.** HTTP requests are checked exactly like Bolt's own
  `RequestVerification` (HMAC-SHA256 of ``v0:timestamp:body``, at most five
  minutes old), but against the bot's injected clock, so tests on a fake clock
  sign with the fake time. Socket Mode requests are not signed (Slack
  authenticates the WebSocket with the app token).
* **Chat port.** The app and the outbox share one `WebClient`: `build_app`
  makes a `SlackChat` on that client the bot's chat port unless it already is.

`mount` serves ``POST /slack/events`` on the one aiohttp application of
bot/server.py (which also serves ``/healthz``, ``/metrics``, the intake webhooks
and, in the same process if wanted, Teams); `connect` checks the token and
builds the app for ``uppsikt run``; `socket_mode` runs Socket Mode. The
environment variable ``SLACK_API_URL`` (default ``https://slack.com/api/``)
points its Web API client elsewhere, e.g. at a local mock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.chat import SlackChat
from bot.adapters.slack.directory import usable
from bot.adapters.slack.inbox import FROM_INBOX, SlackInbox
from bot.adapters.slack.listeners import actions, commands, events, views
from bot.facade import Bot, Clock

log = logging.getLogger("uppsikt.slack")

EVENTS_PATH = "/slack/events"
SIGNED_HEADERS = ("x-slack-signature", "x-slack-request-timestamp")
MAX_BODY_BYTES = 1_000_000


# --------------------------------------------------------------------------- signatures


class _EpochClock:
    """slack_sdk's Clock protocol (`now() -> float`) on top of the bot's clock."""

    def __init__(self, clock: Clock):
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


class ClockedRequestVerification(RequestVerification):
    """Bolt's request verification with the bot's clock; a malformed timestamp is a 401, not a 500."""

    def __init__(self, signing_secret: str, clock: Clock):
        super().__init__(signing_secret)
        self._clock = _EpochClock(clock)

    def _debug_log_error(self, signature, timestamp, body) -> None:
        """Bolt logs the whole body at INFO (citizens' text, megabytes per request); say only that it happened."""
        log.warning("Slack: a request with an invalid signature (timestamp %s, %d characters); answered 401",
                    str(timestamp)[:20], len(body or ""))

    @property
    def verifier(self) -> SignatureVerifier:
        if self._verifier is None:
            self._verifier = SignatureVerifier(signing_secret=self._signing_secret, clock=self._clock)
        return self._verifier

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        timestamp = req.headers.get("x-slack-request-timestamp", ["0"])[0]
        if req.mode != "socket_mode" and not re.fullmatch(r"\d{1,12}", timestamp or ""):
            return self._build_error_response()
        if req.mode != "socket_mode" and any(len(req.headers.get(h, [])) > 1 for h in SIGNED_HEADERS):
            log.warning("Slack: a request with more than one signature or timestamp header; answered 401")
            return self._build_error_response()  # issue 16: the first of two signatures was checked

        def readable() -> BoltResponse:  # signed (or Socket Mode), but is it shaped like a Slack payload?
            if not _readable(req.body):
                log.warning("Slack: a signed request that is not shaped like a Slack payload; answered 400")
                return BoltResponse(status=400, body="")
            return next()

        if req.context.get(FROM_INBOX) is True:  # checked when it arrived (bot/adapters/slack/inbox.py)
            return readable()
        return super().process(req=req, resp=resp, next=readable)


_IDS = ("user", "channel", "team")  # an id, an object with "id", or null (Bolt reads all three)
_OBJECTS = ("container", "message", "state")  # an object or null
_REQUIRED_OBJECTS = ("event", "view")  # an object
_INTERACTIVE = ("block_actions", "view_submission", "view_closed", "message_action", "shortcut", "block_suggestion")


def _readable(body: object) -> bool:
    """The parts of a payload that Bolt and the listeners read unchecked have the shape Slack gives them."""
    if not isinstance(body, dict) or not isinstance(body.get("type", ""), str):
        return False
    if any(key in body and not isinstance(body[key], (dict, str, type(None))) for key in _IDS):
        return False
    if any(key in body and not isinstance(body[key], (dict, type(None))) for key in _OBJECTS):
        return False
    if any(key in body and not isinstance(body[key], dict) for key in _REQUIRED_OBJECTS):
        return False
    user = body.get("user")
    if body.get("type") in _INTERACTIVE and not (isinstance(user, dict) and isinstance(user.get("id"), str)):
        return False
    if "command" in body and not isinstance(body.get("user_id"), str):
        return False
    channel, message = body.get("channel"), body.get("message")
    if body.get("type") == "message_action" and not (
            isinstance(channel, dict) and isinstance(channel.get("id"), str)
            and isinstance(message, dict) and isinstance(message.get("ts"), str)):
        return False
    if "event" in body and not isinstance(body["event"].get("type"), str):
        return False
    actions = body.get("actions", [{"action_id": ""}])
    return isinstance(actions, list) and bool(actions) and all(
        isinstance(a, dict) and isinstance(a.get("action_id"), str) and isinstance(a.get("value", ""), str)
        for a in actions)  # a button's value is always text in Slack's payloads


# --------------------------------------------------------------------------- the app


class _App(App):
    """Bolt's App; a signed body Bolt itself cannot read (e.g. ``"actions": null``) is a 400, not a crash.

    Bolt turns errors into a 500 with the middleware error handler, but on such a body that handler
    fails too and the exception escaped `dispatch` (the HTTP server then dropped the connection).
    `inbox` is the Events API's inbox path (bot/adapters/slack/inbox.py), used by `mount` and `socket_mode`.
    """

    inbox: SlackInbox | None = None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        try:
            return super().dispatch(req)
        except Exception as exc:  # noqa: BLE001
            log.warning("Slack: a request Bolt cannot read (%s); answered 400, nothing done", type(exc).__name__)
            return BoltResponse(status=400, body="")


def build_app(bot: Bot, *, token: str, signing_secret: str, client: WebClient | None = None,
              process_before_response: bool = False) -> App:
    """The Bolt app for `bot`; `client` defaults to ``WebClient(token=token)``."""
    if client is None:
        client = WebClient(token=token)
    elif client.token is None:
        client.token = token
    if not isinstance(bot.chat, SlackChat):
        bot.chat = SlackChat.for_bot(client, bot)
    verification = ClockedRequestVerification(signing_secret, bot.clock)
    app = _App(
        name="uppsikt",
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=False,
        request_verification_enabled=False,
        before_authorize=verification,
        process_before_response=process_before_response,
    )
    app.inbox = SlackInbox(bot, app, verification.verifier, _readable)
    app.error(_error_handler(bot))
    app.use(_ack_first)
    for module in (commands, events, actions, views):
        module.register(app, bot)
    return app


ACK_FIRST = ("block_actions", "message_action", "shortcut")  # interactive payloads answered later, not in the ack


def _ack_first(body: dict, ack: Any, next: Callable[[], None]) -> None:  # noqa: A002
    """Acknowledge slash commands and buttons in the request's own thread, before Bolt queues the listener on
    its five listener workers (issue 16): a busy pool made Slack see "didn't call ack()" while the work still
    ran later, and people retried. The listeners answer through the response_url (`tell`) or the chat port.
    Modal submissions keep their own ack (it carries validation errors); events are acknowledged after
    their work is committed (listeners/events.py)."""
    if "command" in body or body.get("type") in ACK_FIRST:
        ack()
    next()


def _error_handler(bot: Bot) -> Callable[..., None]:
    def on_error(error: Exception, body: dict, respond: Callable[..., Any] | None = None) -> None:
        log.error("Slack request failed (%s): %s", body.get("type") or body.get("command"), error, exc_info=error)
        if usable(respond):
            try:
                respond(text=bot.t("slack.error"), response_type="ephemeral", replace_original=False)
            except Exception as exc:  # the error report itself failed: log it, never loop
                log.warning("Slack: could not report the error to the user: %s", exc)

    return on_error


# --------------------------------------------------------------------------- HTTP mode


def mount(server: web.Application, app: App) -> None:
    """Serve ``POST /slack/events`` on the one aiohttp application (bot/server.py).

    Bolt's own aiohttp adapter drives only an `AsyncApp`; the listeners here are synchronous (they call
    the facade, whose lock guards one SQLite connection), so the request is turned into a `BoltRequest`
    and the synchronous `App.dispatch` runs in a worker thread: the event loop never waits on the
    database or on Slack's Web API."""

    inbox: SlackInbox | None = getattr(app, "inbox", None)
    if inbox is not None:
        async def start_inbox(_: web.Application) -> None:
            inbox.worker.start()  # first the events an earlier process stored but did not process

        async def stop_inbox(_: web.Application) -> None:
            await asyncio.to_thread(inbox.worker.stop)

        server.on_startup.append(start_inbox)
        server.on_cleanup.append(stop_inbox)

    async def events(request: web.Request) -> web.Response:
        declared = (request.headers.get("Content-Length") or "0").strip()
        if not (declared.isascii() and declared.isdigit()):
            return web.Response(status=400, text="bad request")
        if int(declared) > MAX_BODY_BYTES:
            return web.Response(status=413, text="too large")
        raw = await request.read()
        headers = {k.lower(): request.headers.getall(k) for k in set(request.headers.keys())}
        if inbox is not None and b'"event_callback"' in raw:  # issue 17: store, acknowledge, process after
            inbox.arriving()
            try:
                answer = await asyncio.to_thread(inbox.accept, headers, raw)
            finally:
                inbox.answered()
            if answer is not None:
                return web.Response(status=answer[0], text=answer[1])
        try:
            bolt_request = BoltRequest(body=raw.decode("utf-8", errors="replace"), query=request.query_string,
                                       headers=headers)
        except Exception as exc:  # noqa: BLE001 (Bolt parses the body here: bad JSON must not drop the connection)
            log.warning("Slack: a request body Bolt cannot parse (%s); answered 400", type(exc).__name__)
            return web.Response(status=400, text="bad request")
        resp = await asyncio.to_thread(app.dispatch, bolt_request)
        body = resp.body if isinstance(resp.body, str) else json.dumps(resp.body)
        out = web.Response(status=resp.status, body=body.encode("utf-8"))
        for name, values in resp.headers.items():
            if name.lower() == "content-length":
                continue
            for value in values if isinstance(values, (list, tuple)) else [values]:
                out.headers.add(name, str(value))
        return out

    server.router.add_post(EVENTS_PATH, events)


# --------------------------------------------------------------------------- Socket Mode


def connect(bot: Bot, *, bot_token: str, signing_secret: str = "", http: bool = False,
            out: Callable[[str], None] = print) -> App | None:
    """The checked Bolt app for `uppsikt run` (None after telling `out` why it cannot start).

    SLACK_API_URL points the Web API client elsewhere (a local mock in tests, an egress proxy); the bot
    token is sent there, so set it only to an endpoint you trust. Default: https://slack.com/api/."""
    t = bot.t
    if not bot_token:
        out(t("slack.run.no_bot_token"))
        return None
    if http and not signing_secret:
        out(t("slack.run.no_signing_secret"))
        return None
    client = WebClient(token=bot_token, base_url=os.environ.get("SLACK_API_URL", "").strip() or WebClient.BASE_URL)
    try:
        client.auth_test()
    except SlackApiError as exc:
        out(t("slack.run.bad_token", error=exc.response.get("error", "?")))
        return None
    app = build_app(bot, token=bot_token, signing_secret=signing_secret, client=client)
    events.keep_retrying_parked(bot, client)  # posts kept while a channel's name could not be read (issue 16)
    return app


def socket_mode(app: App, app_token: str) -> None:
    """Run Socket Mode until interrupted (no HTTP server needed)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    inbox = getattr(app, "inbox", None)
    if inbox is not None:  # Socket Mode acknowledges over the socket; the worker processes what HTTP mode stored
        inbox.worker.start()
    SocketModeHandler(app, app_token).start()


__all__ = ["EVENTS_PATH", "build_app", "connect", "mount", "socket_mode"]
