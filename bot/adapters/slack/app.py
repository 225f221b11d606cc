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

`serve_http` is a small `http.server` front for ``POST /slack/events``,
``GET /healthz`` and, given the bot, ``GET /metrics`` (Prometheus; both in
`bot.metrics`); `run` is what ``uppsikt run`` calls in Slack mode: Socket
Mode by default, HTTP with ``--http``. The environment variable
``SLACK_API_URL`` (default ``https://slack.com/api/``) points its Web API
client elsewhere, e.g. at a local mock. Exactly one process runs the scheduler:
it holds an exclusive lock on ``<database>.scheduler.lock``; a second process
on the same database only answers Slack.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.adapters import webhooks
from bot.adapters.slack.chat import SlackChat
from bot.adapters.slack.directory import Directory, plain_text, tell, usable
from bot.adapters.slack.listeners import actions, commands, events, views
from bot.facade import Bot, Clock, Secrets, secrets_from_env

log = logging.getLogger("uppsikt.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"  # Prometheus text format, see bot/metrics.py
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

    @property
    def verifier(self) -> SignatureVerifier:
        if self._verifier is None:
            self._verifier = SignatureVerifier(signing_secret=self._signing_secret, clock=self._clock)
        return self._verifier

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        timestamp = req.headers.get("x-slack-request-timestamp", ["0"])[0]
        if req.mode != "socket_mode" and not re.fullmatch(r"\d{1,12}", timestamp or ""):
            return self._build_error_response()

        def readable() -> BoltResponse:  # signed (or Socket Mode), but is it shaped like a Slack payload?
            if not _readable(req.body):
                log.warning("Slack: a signed request that is not shaped like a Slack payload; answered 400")
                return BoltResponse(status=400, body="")
            return next()

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
        isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)


# --------------------------------------------------------------------------- the app


class _App(App):
    """Bolt's App; a signed body Bolt itself cannot read (e.g. ``"actions": null``) is a 400, not a crash.

    Bolt turns errors into a 500 with the middleware error handler, but on such a body that handler
    fails too and the exception escaped `dispatch` (the HTTP server then dropped the connection).
    """

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
    app = _App(
        name="uppsikt",
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=False,
        request_verification_enabled=False,
        before_authorize=ClockedRequestVerification(signing_secret, bot.clock),
        process_before_response=process_before_response,
    )
    app.error(_error_handler(bot))
    for module in (commands, events, actions, views):
        module.register(app, bot)
    return app


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


class _Handler(BaseHTTPRequestHandler):
    server: "SlackHTTPServer"
    server_version = "Uppsikt"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        from bot import metrics

        path, bot, text = urlsplit(self.path).path, self.server.bot, {"Content-Type": ["text/plain; charset=utf-8"]}
        if path == HEALTH_PATH:  # 503 with the reason when the database is unreadable or the scheduler stopped
            self._send(*(metrics.health(bot) if bot is not None else (200, "ok")), text)
        elif path == METRICS_PATH and bot is not None:
            try:
                body = metrics.render(bot)
            except Exception as exc:  # noqa: BLE001 (a scrape must never take the server down)
                log.error("metrics: cannot read the figures: %s", exc)
                self._send(503, f"metrics unavailable: {exc}", text)
                return
            self._send(200, body, {"Content-Type": [metrics.CONTENT_TYPE]})
        elif not self._webhook(b""):
            self._send(404, "not found", text)

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not (declared.isascii() and declared.isdigit()):
            self._send(400, "bad request", {"Content-Type": ["text/plain; charset=utf-8"]})
            return
        length = int(declared)
        if length > MAX_BODY_BYTES:
            self._send(413, "too large", {"Content-Type": ["text/plain; charset=utf-8"]})
            return
        raw = self.rfile.read(length)
        if parts.path != EVENTS_PATH:
            if not self._webhook(raw):
                self._send(404, "not found", {"Content-Type": ["text/plain; charset=utf-8"]})
            return
        headers = {k.lower(): self.headers.get_all(k) or [] for k in set(self.headers.keys())}
        body = raw.decode("utf-8", errors="replace")
        try:
            request = BoltRequest(body=body, query=parts.query, headers=headers)
        except Exception as exc:  # noqa: BLE001 (Bolt parses the body here: bad JSON must not drop the connection)
            log.warning("Slack: a request body Bolt cannot parse (%s); answered 400", type(exc).__name__)
            self._send(400, "bad request", {"Content-Type": ["text/plain; charset=utf-8"]})
            return
        resp = self.server.app.dispatch(request)
        self._send(resp.status, resp.body if isinstance(resp.body, str) else json.dumps(resp.body), resp.headers)

    def _webhook(self, raw: bytes) -> bool:
        """Meta and generic intake webhooks are served by the same process (bot/adapters/webhooks.py)."""
        if self.server.bot is None:
            return False
        parts = urlsplit(self.path)
        resp = webhooks.handle(self.server.bot, self.server.secrets, self.command, parts.path, dict(parse_qsl(parts.query)),
                               {k: v for k, v in self.headers.items()}, raw)
        if resp is None:
            return False
        self._send(resp.status, resp.body, {"Content-Type": [resp.content_type]})
        return True

    def _send(self, status: int, body: str | bytes, headers: dict[str, Any]) -> None:
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        for name, values in headers.items():
            if name.lower() == "content-length":
                continue
            for value in values if isinstance(values, (list, tuple)) else [values]:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("http %s - " + format, self.address_string(), *args)


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: App, host: str, port: int, bot: Bot | None = None, secrets: Secrets | None = None):
        self.app = app
        self.bot = bot
        self.secrets = secrets or Secrets()
        super().__init__((host, port), _Handler)


def serve_http(app: App, host: str = "0.0.0.0", port: int = 3000, *, bot: Bot | None = None,
               secrets: Secrets | None = None) -> SlackHTTPServer:
    """A threaded HTTP server for POST /slack/events, GET /healthz and, given the bot and its
    secrets, the intake webhooks /webhooks/meta and /webhooks/intake (call serve_forever on it)."""
    return SlackHTTPServer(app, host, port, bot, secrets)


# --------------------------------------------------------------------------- running


def run(bot: Bot, *, bot_token: str, app_token: str = "", signing_secret: str = "", http: bool = False,
        host: str = "0.0.0.0", port: int = 3000, db_path: Path, backup_folder: Path | None = None,
        out: Callable[[str], None] = print) -> int:
    """Run the bot in Slack until interrupted: Socket Mode, or HTTP with `http`. Returns the exit code."""
    from bot import jobs

    t = bot.t
    if not bot_token:
        out(t("slack.run.no_bot_token"))
        return 2
    if http and not signing_secret:
        out(t("slack.run.no_signing_secret"))
        return 2
    # SLACK_API_URL points the Web API client elsewhere (a local mock in tests, an egress proxy); the bot
    # token is sent there, so set it only to an endpoint you trust. Default: https://slack.com/api/.
    client = WebClient(token=bot_token, base_url=os.environ.get("SLACK_API_URL", "").strip() or WebClient.BASE_URL)
    try:
        client.auth_test()
    except SlackApiError as exc:
        out(t("slack.run.bad_token", error=exc.response.get("error", "?")))
        return 2
    app = build_app(bot, token=bot_token, signing_secret=signing_secret, client=client)
    bot.deliver_in_background()  # listeners acknowledge as soon as their work is committed
    lock = jobs.scheduler_lock(db_path)
    scheduler = jobs.start(bot, backup_folder) if lock is not None else None
    if lock is None:
        out(t("slack.run.second_scheduler"))
    server: SlackHTTPServer | None = None
    stop_on_signals()
    try:
        if http:
            server = serve_http(app, host, port, bot=bot, secrets=secrets_from_env())
            out(t("slack.run.http", host=host, port=server.server_address[1]))
            server.serve_forever()
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            out(t("slack.run.socket_mode"))
            SocketModeHandler(app, app_token).start()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.server_close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if lock is not None:
            lock.close()
    return 0


def stop_on_signals() -> None:
    """Ctrl+C (SIGINT) and a platform's stop (SIGTERM) end the server cleanly, even when the process was
    started with SIGINT ignored (as background jobs of a non-interactive shell are)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def serve_in_thread(server: SlackHTTPServer) -> threading.Thread:
    """Serve in a daemon thread (tests, embedding); stop with server.shutdown()."""
    thread = threading.Thread(target=server.serve_forever, name="uppsikt-http", daemon=True)
    thread.start()
    return thread


__all__ = ["Directory", "build_app", "plain_text", "run", "serve_http", "serve_in_thread", "tell"]
