"""Requests as Slack sends them, for the Bolt app's tests.

* `signed_headers` signs the exact raw body with
  ``slack_sdk.signature.SignatureVerifier.generate_signature`` (``v0:ts:body``);
  the timestamp comes from the test's clock (the bot's FakeClock), which is
  also the clock the app verifies against.
* `ResponseUrls` is a small HTTP server on 127.0.0.1 standing in for Slack's
  ``response_url`` endpoints (``respond()`` posts there).
* `SlackDriver` builds real payloads (slash commands, events, block actions,
  view submissions, message shortcuts), signs them and sends them through
  ``app.dispatch(BoltRequest(body=raw, headers=...))``, timing each
  acknowledgement.
* `slack` is the pytest fixture factory the test modules import.
* `check_calls_against_the_spec` checks every Web API call the mock received
  against Slack's OpenAPI spec in ../shared/reference.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.app import build_app
from bot.settings import Settings
from tests.conftest import REPO, Harness, local
from tests.slack.mock_web_api import BOT_ID, BOT_USER_ID, TEAM_ID, MockSlackWebAPI

SIGNING_SECRET = "e3b0c44298fc1c149afbf4c8996fb924"
SPEC = REPO.parent / "shared" / "reference" / "slack_web_openapi_v2_without_examples.json"
APP_ID = "A0UPPSIKT"


def signed_headers(body: str, timestamp: int, *, secret: str = SIGNING_SECRET,
                   content_type: str = "application/x-www-form-urlencoded") -> dict[str, list[str]]:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    return {"content-type": [content_type], "x-slack-request-timestamp": [str(timestamp)],
            "x-slack-signature": [signature or ""]}


class ResponseUrls:
    """Collects what the app posts to response_urls: `posts` is a list of (path, JSON body)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with catcher._lock:
                    catcher.posts.append((self.path, json.loads(raw or b"{}")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._ids = itertools.count(1)

    def new(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/commands/{TEAM_ID}/{next(self._ids)}"

    def to(self, url: str) -> list[dict]:
        path = url.split("/", 3)[3]
        with self._lock:
            return [body for p, body in self.posts if p == "/" + path]

    def texts(self) -> list[str]:
        with self._lock:
            return [body.get("text", "") for _, body in self.posts]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(predicate, timeout: float = 30.0) -> Any:
    """Poll until `predicate()` is truthy (listeners run after the acknowledgement in the default mode). The
    bound only guards against a hang: every caller expects the predicate to come true, and on a loaded CI
    machine a listener's work after the acknowledgement took more than 5 s once."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


class SlackDriver:
    """Signed Slack requests against one Bolt app, on the harness's fake clock."""

    def __init__(self, harness: Harness, api: MockSlackWebAPI, urls: ResponseUrls, *,
                 process_before_response: bool = True):
        self.h = harness
        self.api = api
        self.urls = urls
        self.client = WebClient(token=api.token, base_url=api.base_url, retry_handlers=[], timeout=5)
        self.app: App = build_app(harness.bot, token=api.token, signing_secret=SIGNING_SECRET, client=self.client,
                                  process_before_response=process_before_response)
        self.ack_ms: dict[str, list[float]] = {}
        self._seq = itertools.count(1)

    # ------------------------------------------------------------------ plumbing
    @property
    def bot(self):
        return self.h.bot

    def user(self, email: str) -> str:
        return self.api.users[email]

    def channel(self, name: str) -> str:
        return self.api.channels[name.lstrip("#")]

    def now(self) -> int:
        return int(self.h.clock.now().timestamp())

    def send(self, kind: str, body: str, content_type: str = "application/x-www-form-urlencoded",
             headers: dict[str, list[str]] | None = None, timestamp: int | None = None) -> BoltResponse:
        signed = signed_headers(body, self.now() if timestamp is None else timestamp, content_type=content_type)
        start = time.perf_counter()
        resp = self.app.dispatch(BoltRequest(body=body, headers=signed | (headers or {})))
        self.ack_ms.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
        return resp

    def interactive(self, kind: str, payload: dict) -> BoltResponse:
        return self.send(kind, urlencode({"payload": json.dumps(payload)}))

    def ts(self) -> str:
        return f"{self.now()}.{next(self._seq):06d}"

    # ------------------------------------------------------------------ slash commands
    def command(self, email_or_user: str, command: str, text: str = "", channel: str = "kommunikation",
                response_url: str | None = None) -> tuple[BoltResponse, str]:
        user = self.api.users.get(email_or_user, email_or_user)
        url = response_url or self.urls.new()
        body = urlencode({
            "token": "legacy", "team_id": TEAM_ID, "team_domain": "ekby", "channel_id": self.channel(channel),
            "channel_name": channel, "user_id": user, "user_name": user.lower(), "command": command, "text": text,
            "api_app_id": APP_ID, "is_enterprise_install": "false", "response_url": url,
            "trigger_id": f"{next(self._seq)}.trigger",
        })
        return self.send("command", body), url

    def said(self, url: str) -> str:
        """The text the app answered on a response_url (after waiting for it)."""
        posts = wait_for(lambda: self.urls.to(url))
        assert posts, f"nothing was posted to {url}"
        return "\n".join(p.get("text", "") for p in posts)

    # ------------------------------------------------------------------ events
    def event(self, event: dict, *, event_id: str | None = None, retry: int | None = None) -> BoltResponse:
        body = json.dumps({
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event, "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._seq):08d}", "event_time": self.now(),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        })
        headers = {"x-slack-retry-num": [str(retry)], "x-slack-retry-reason": ["http_timeout"]} if retry else None
        return self.send(event["type"], body, "application/json", headers)

    def message(self, channel: str, text: str, *, email: str | None = None, integration: str | None = None,
                event_id: str | None = None, retry: int | None = None, **extra: Any) -> tuple[BoltResponse, str]:
        ts = extra.pop("ts", None) or self.ts()
        event: dict[str, Any] = {"type": "message", "channel": self.channel(channel), "text": text, "ts": ts,
                                 "event_ts": ts, "channel_type": "channel"}
        if integration:
            event |= {"subtype": "bot_message", "bot_id": "B0META", "username": integration}
        else:
            event["user"] = self.user(email or "lena@example.se")
        return self.event(event | extra, event_id=event_id, retry=retry), ts

    def react(self, email: str, channel_id: str, ts: str, emoji: str) -> BoltResponse:
        return self.event({"type": "reaction_added", "user": self.user(email), "reaction": emoji,
                           "item": {"type": "message", "channel": channel_id, "ts": ts},
                           "item_user": BOT_USER_ID, "event_ts": self.ts()})

    def home_opened(self, email: str) -> BoltResponse:
        user = self.user(email)
        return self.event({"type": "app_home_opened", "user": user, "channel": self.api.dm_channel(user),
                           "tab": "home", "event_ts": self.ts()})

    # ------------------------------------------------------------------ interactivity
    def click(self, email: str, action_id: str, value: str = "", *, channel_id: str | None = None,
              message_ts: str | None = None, home: bool = False, state: dict | None = None,
              response_url: str | None = None) -> tuple[BoltResponse, str | None]:
        user = self.user(email)
        payload: dict[str, Any] = {
            "type": "block_actions", "user": {"id": user, "username": email.split("@")[0], "team_id": TEAM_ID},
            "api_app_id": APP_ID, "token": "legacy", "trigger_id": f"{next(self._seq)}.trigger",
            "team": {"id": TEAM_ID, "domain": "ekby"}, "is_enterprise_install": False,
            "state": {"values": state or {}},
            "actions": [{"action_id": action_id, "block_id": "b1", "type": "button", "value": value,
                         "action_ts": self.ts()}],
        }
        url = None
        if home:
            payload |= {"container": {"type": "view", "view_id": "VHOME"},
                        "view": {"id": "VHOME", "type": "home", "blocks": []}}
        else:
            url = response_url or self.urls.new()
            payload |= {"container": {"type": "message", "message_ts": message_ts or "1.1", "channel_id": channel_id,
                                      "is_ephemeral": False},
                        "channel": {"id": channel_id, "name": "x"}, "response_url": url,
                        "message": {"type": "message", "ts": message_ts or "1.1", "bot_id": BOT_ID, "text": ""}}
        return self.interactive("block_actions", payload), url

    def last_view(self) -> dict:
        """The modal most recently opened with views.open."""
        call = self.api.calls_to("views.open")[-1]
        view = call.params["view"]
        return json.loads(view) if isinstance(view, str) else view

    def submit(self, email: str, view: dict, **inputs: str | list[str]) -> BoltResponse:
        """Submit `view` with the given input values by block id (type taken from the view's elements)."""
        state: dict[str, dict] = {}
        for block in view["blocks"]:
            if block["type"] != "input":
                continue
            element = block["element"]
            value = inputs.get(block["block_id"])
            kind = element["type"]
            if kind == "plain_text_input":
                entry = {"type": kind, "value": value if value is not None else element.get("initial_value")}
            elif kind == "static_select":
                option = next((o for o in element["options"] if o["value"] == value), element.get("initial_option"))
                entry = {"type": kind, "selected_option": option}
            else:
                chosen = value if value is not None else [o["value"] for o in element.get("initial_options", [])]
                entry = {"type": kind, "selected_options": [o for o in element["options"] if o["value"] in chosen]}
            state[block["block_id"]] = {element["action_id"]: entry}
        payload = {
            "type": "view_submission", "team": {"id": TEAM_ID, "domain": "ekby"},
            "user": {"id": self.user(email), "team_id": TEAM_ID}, "api_app_id": APP_ID, "token": "legacy",
            "trigger_id": f"{next(self._seq)}.trigger", "is_enterprise_install": False, "response_urls": [],
            "view": {"id": "VMODAL", "team_id": TEAM_ID, "type": "modal", "callback_id": view["callback_id"],
                     "private_metadata": view.get("private_metadata", ""), "blocks": view["blocks"],
                     "state": {"values": state}, "hash": "1.hash", "title": view["title"]},
        }
        return self.interactive("view_submission", payload)

    def shortcut(self, email: str, channel: str, message: dict) -> tuple[BoltResponse, str]:
        url = self.urls.new()
        payload = {
            "type": "message_action", "callback_id": "uppsikt.track_message", "trigger_id": f"{next(self._seq)}.t",
            "response_url": url, "team": {"id": TEAM_ID, "domain": "ekby"}, "api_app_id": APP_ID, "token": "legacy",
            "channel": {"id": self.channel(channel), "name": channel},
            "user": {"id": self.user(email), "name": email.split("@")[0], "team_id": TEAM_ID},
            "message": message, "message_ts": message["ts"], "is_enterprise_install": False,
        }
        return self.interactive("message_action", payload), url

    # ------------------------------------------------------------------ what reached Slack
    def card_of(self, item_id: int) -> tuple[str, str]:
        """(channel id, ts) of an item's card."""
        row = self.bot.db.execute("SELECT channel, ts FROM chat_messages WHERE platform = 'slack' AND card = ?",
                                  [f"item:{item_id}"]).fetchone()
        assert row, f"item {item_id} has no card in Slack"
        return row[0], row[1]

    def ephemerals(self, email: str) -> list[str]:
        return [c.params.get("text", "") for c in self.api.calls_to("chat.postEphemeral")
                if c.params.get("user") == self.user(email)]

    def dms(self, email: str) -> list[dict]:
        return self.api.posted(self.api.dm_channel(self.user(email)))


def check_calls_against_the_spec(slack_api, expect: set[str] = frozenset()) -> None:
    """Every Web API method the bot called exists in Slack's OpenAPI spec and got its required parameters."""
    if not SPEC.is_file():  # CI and developers have ../shared beside the repository
        print(f"\n{SPEC} is missing: Web API calls not checked against the spec")
        return
    spec = json.loads(SPEC.read_text(encoding="utf-8"))["paths"]
    methods = {c.method for c in slack_api.calls}
    assert expect <= methods, expect - methods
    for call in slack_api.calls:
        path = spec.get(f"/{call.method}")
        assert path is not None, f"{call.method} is not a Slack Web API method"
        operation = next(iter(path.values()))
        required = {p["name"] for p in operation.get("parameters", []) if p.get("required") and p["in"] != "header"}
        missing = required - {"token"} - set(call.params)  # the token travels as Authorization: Bearer xoxb-…
        assert not missing, f"{call.method} was called without {missing}"
    print("\nWeb API methods called:", ", ".join(sorted(methods)))


@pytest.fixture
def response_urls() -> Iterator[ResponseUrls]:
    urls = ResponseUrls()
    yield urls
    urls.stop()


@pytest.fixture
def slack(settings: Settings, slack_api: MockSlackWebAPI, response_urls: ResponseUrls, tmp_path):
    """make(start=Monday 7 Dec 2026 09:00, process_before_response=True) -> SlackDriver on a file database."""
    drivers: list[SlackDriver] = []

    def make(start: dt.datetime = local(2026, 12, 7, 9, 0), *, process_before_response: bool = True) -> SlackDriver:
        harness = Harness(settings, start, db=tmp_path / f"uppsikt-{len(drivers)}.db")
        driver = SlackDriver(harness, slack_api, response_urls, process_before_response=process_before_response)
        drivers.append(driver)
        return driver

    return make
