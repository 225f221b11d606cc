"""A local stand-in for Slack's Web API: a real HTTP server on 127.0.0.1.

Point a `slack_sdk.WebClient` (or a Bolt `App(client=...)`) at it with
``WebClient(token=api.token, base_url=api.base_url)``. It answers
``GET|POST /api/<method>`` with form, query-string or JSON parameters, the way
Slack does, and requires ``Authorization: Bearer xoxb-…`` (``not_authed``
without it, ``invalid_auth`` for another token).

Stable API (used by tests/slack/test_chat.py and the Bolt app's tests):

``MockSlackWebAPI(users=None, channels=None, *, token=TOKEN, page_size=2)``
    ``start()`` / ``stop()`` (or use it as a context manager).
``.base_url``           "http://127.0.0.1:<port>/api/"
``.token``              the bot token it accepts
``.users``              e-mail -> user id (users.lookupByEmail, users.info, conversations.open)
``.channels``           channel name -> channel id (conversations.list/info; posting needs an id)
``.calls``              every request, in order: `Call(method, params, headers, at, verb)`
``.calls_to(method)``   the calls to one method
``.messages``           (channel, ts) -> posted message dict (text, blocks, thread_ts, user, ts, reactions)
``.posted(channel)``    messages in a channel (or DM) in posting order
``.views``              view id -> view (views.open/update/publish); ``.home[user_id]`` the published home
``.dm_channel(user_id)``the DM channel id conversations.open returns for a user
``.fail(method, status=500, times=1, retry_after=None, error=None)``
    the next `times` calls to `method` fail: HTTP 500; HTTP 429 with a
    Retry-After header; or, with ``error="ratelimited"`` (or any code) and
    ``status=200``, an ``{"ok": false, "error": ...}`` answer.
``.respond(method, body, status=200, headers=None)``
    script one exact answer for the next call to `method` (queued after earlier ones).
``.add_reaction(channel, ts, name, user)``  for reactions.get
``.uploads``            file id -> {"filename", "length", "alt_txt", "data" (bytes or None), "title", "channel"}
``.shared(channel)``    the files shared in a channel by files.completeUploadExternal, in order
    The upload flow: files.getUploadURLExternal answers an ``upload_url`` on this server
    (``http://127.0.0.1:<port>/upload/<file id>``, no token needed, like Slack's); a POST there stores
    the bytes (its length must match); files.completeUploadExternal shares uploaded files in
    ``channel_id`` with the ``initial_comment`` (``file_not_found``/``invalid_arguments`` otherwise).

Unknown methods answer ``{"ok": false, "error": "unknown_method"}`` (HTTP 404).
Nothing but loopback is used; `stop()` shuts the server and its thread down.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "xoxb-1111-2222-mocktoken"
BOT_USER_ID = "U0UPPSIKT"
BOT_ID = "B0UPPSIKT"
TEAM_ID = "T0EKBY"
TS_BASE = 1_765_000_000


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived
    verb: str = "POST"


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class SlackError(Exception):
    """Raised by a handler to answer ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, status: int = 200, **extra: Any):
        super().__init__(code)
        self.code = code
        self.status = status
        self.extra = extra


class MockSlackWebAPI:
    def __init__(self, users: dict[str, str] | None = None, channels: dict[str, str] | None = None, *,
                 token: str = TOKEN, page_size: int = 2):
        self.token = token
        self.users: dict[str, str] = dict(users or {})
        self.channels: dict[str, str] = dict(channels or {})
        self.page_size = page_size
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home: dict[str, dict[str, Any]] = {}
        self._dms: dict[str, str] = {}
        self._script: dict[str, deque[Scripted]] = {}
        self._seq = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.open": self._conversations_open,
            "conversations.list": self._conversations_list,
            "conversations.info": self._conversations_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "reactions.get": self._reactions_get,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }
        self.uploads: dict[str, dict[str, Any]] = {}
        self.files_shared: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> MockSlackWebAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                api._handle(self, "POST")

            def do_GET(self) -> None:  # noqa: N802
                api._handle(self, "GET")

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mock-slack-web-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> MockSlackWebAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the mock first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    # ------------------------------------------------------------------ test helpers
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def fail(self, method: str, status: int = 500, times: int = 1, retry_after: float | None = None,
             error: str | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        code = error or ("ratelimited" if status == 429 else "internal_error")
        for _ in range(times):
            self.respond(method, {"ok": False, "error": code}, status=status, headers=headers)

    def respond(self, method: str, body: dict[str, Any], status: int = 200,
                headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._script.setdefault(method, deque()).append(Scripted(status, body, dict(headers or {})))

    def posted(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return sorted((m for (ch, _), m in self.messages.items() if ch == channel), key=lambda m: float(m["ts"]))

    def dm_channel(self, user_id: str) -> str:
        return self._dms.setdefault(user_id, "D" + user_id.lstrip("UW"))

    def add_reaction(self, channel: str, ts: str, name: str, user: str) -> None:
        with self._lock:
            reactions = self.messages[(channel, ts)].setdefault("reactions", [])
            entry = next((r for r in reactions if r["name"] == name), None)
            if entry is None:
                reactions.append({"name": name, "users": [user], "count": 1})
            elif user not in entry["users"]:
                entry["users"].append(user)
                entry["count"] += 1

    # ------------------------------------------------------------------ HTTP
    def _handle(self, req: BaseHTTPRequestHandler, verb: str) -> None:
        url = urlsplit(req.path)
        if url.path.startswith("/upload/"):
            return self._upload(req, url.path.removeprefix("/upload/"))
        method = url.path.removeprefix("/api/")
        params: dict[str, Any] = dict(parse_qsl(url.query))
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        ctype = req.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            params.update(json.loads(raw.decode("utf-8")))
        elif raw:
            params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        headers = {k: v for k, v in req.headers.items()}
        with self._lock:
            self.calls.append(Call(method, params, headers, time.monotonic(), verb))
        status, body, extra_headers = self._answer(method, params, headers)
        payload = json.dumps(body).encode("utf-8")
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(payload)))
        for name, value in extra_headers.items():
            req.send_header(name, value)
        req.end_headers()
        req.wfile.write(payload)

    def _answer(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict, dict]:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.startswith("Bearer xoxb-"):
            return 200, {"ok": False, "error": "not_authed"}, {}
        if auth.removeprefix("Bearer ") != self.token:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        with self._lock:
            queue = self._script.get(method)
            scripted = queue.popleft() if queue else None
        if scripted is not None:
            return scripted.status, scripted.body, scripted.headers
        handler = self.handlers.get(method)
        if handler is None:
            return 404, {"ok": False, "error": "unknown_method"}, {}
        try:
            with self._lock:
                return 200, {"ok": True, **handler(params)}, {}
        except SlackError as exc:
            return exc.status, {"ok": False, "error": exc.code, **exc.extra}, {}

    def _upload(self, req: BaseHTTPRequestHandler, file_id: str) -> None:
        """Slack's upload URL: takes the raw bytes (or a multipart form) of a file announced before."""
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        with self._lock:
            self.calls.append(Call("upload", {"file_id": file_id, "length": len(raw)},
                                   {k: v for k, v in req.headers.items()}, time.monotonic(), req.command))
            scripted = (self._script.get("upload") or deque()).popleft() if self._script.get("upload") else None
            entry = self.uploads.get(file_id)
            if scripted is not None:
                status, body = scripted.status, f"error {scripted.status}".encode()
            elif entry is None or req.command != "POST":
                status, body = 404, b"unknown upload"
            elif len(raw) != entry["length"]:
                status, body = 400, b"length mismatch"
            else:
                entry["data"] = raw
                status, body = 200, b"OK - " + str(len(raw)).encode()
        req.send_response(status)
        req.send_header("Content-Type", "text/plain")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    def shared(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [f for f in self.files_shared if f["channel"] == channel]

    # ------------------------------------------------------------------ state helpers (under self._lock)
    def _next_ts(self) -> str:
        self._seq += 1
        return f"{TS_BASE + self._seq}.{self._seq:06d}"

    def _known_channel(self, channel: str | None) -> str:
        if not channel:
            raise SlackError("channel_not_found")
        if channel in self.channels.values() or channel in self._dms.values():
            return channel
        if channel in self.users.values():  # posting to a user id posts in the DM with that user
            return self.dm_channel(channel)
        raise SlackError("channel_not_found")

    def _user(self, user_id: str) -> dict[str, Any]:
        email = next((e for e, u in self.users.items() if u == user_id), None)
        if email is None:
            raise SlackError("user_not_found")
        name = email.split("@")[0]
        return {"id": user_id, "team_id": TEAM_ID, "name": name, "real_name": name.title(), "deleted": False,
                "is_bot": False, "tz": "Europe/Stockholm", "profile": {"email": email, "real_name": name.title(),
                                                                      "display_name": name}}

    def _channel(self, name: str, channel_id: str) -> dict[str, Any]:
        return {"id": channel_id, "name": name, "is_channel": True, "is_private": False, "is_archived": False,
                "is_member": True, "is_im": False}

    @staticmethod
    def _json(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    # ------------------------------------------------------------------ methods
    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://ekby.slack.com/", "team": "Ekby kommun", "user": "uppsikt", "team_id": TEAM_ID,
                "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise SlackError("no_text")
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts,
                   "text": params.get("text", ""), "blocks": self._json(params.get("blocks") or [])}
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return message

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._known_channel(params.get("channel"))
        ts = self._next_ts()
        message = self._message(params, ts)
        thread_ts = params.get("thread_ts")
        if thread_ts and (channel, thread_ts) not in self.messages:
            raise SlackError("thread_not_found")
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._known_channel(params.get("channel"))
        key = (channel, str(params.get("ts", "")))
        if key not in self.messages:
            raise SlackError("message_not_found")
        old = self.messages[key]
        message = self._message(params, key[1]) | {k: old[k] for k in ("thread_ts", "reactions") if k in old}
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        self.messages[key] = message
        return {"channel": channel, "ts": key[1], "text": message["text"], "message": message}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self._known_channel(params.get("channel"))
        if params.get("user") not in self.users.values():
            raise SlackError("user_not_in_channel")
        self._message(params, "0")
        return {"message_ts": self._next_ts()}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if len(users) != 1:
            raise SlackError("users_list_not_supplied" if not users else "not_enough_users")
        self._user(users[0])
        return {"no_op": users[0] in self._dms, "already_open": users[0] in self._dms,
                "channel": {"id": self.dm_channel(users[0])}}

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        rows = sorted(self.channels.items(), key=lambda kv: kv[1])
        start = int(params.get("cursor") or 0)
        size = min(int(params.get("limit") or 100), self.page_size)
        page = rows[start:start + size]
        nxt = str(start + size) if start + size < len(rows) else ""
        return {"channels": [self._channel(n, c) for n, c in page], "response_metadata": {"next_cursor": nxt}}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        for name, channel_id in self.channels.items():
            if channel_id == channel:
                return {"channel": self._channel(name, channel_id)}
        for user_id, dm in self._dms.items():
            if dm == channel:
                return {"channel": {"id": dm, "is_im": True, "user": user_id, "is_channel": False}}
        raise SlackError("channel_not_found")

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email", "")).lower()
        if not email:
            raise SlackError("invalid_arguments")
        if email not in self.users:
            raise SlackError("users_not_found")
        return {"user": self._user(self.users[email])}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"user": self._user(str(params.get("user", "")))}

    def _store_view(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        view = dict(self._json(view) or {})
        if not view.get("type"):
            raise SlackError("invalid_arguments")
        self._seq += 1
        view_id = view_id or f"V{self._seq:08d}"
        stored = view | {"id": view_id, "team_id": TEAM_ID, "hash": f"{self._seq}.hash"}
        self.views[view_id] = stored
        return stored

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if not user_id or "view" not in params:
            raise SlackError("invalid_arguments")
        self._user(str(user_id))
        view = self._store_view(params["view"])
        self.home[str(user_id)] = view
        return {"view": view}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id") or "view" not in params:
            raise SlackError("invalid_arguments")
        return {"view": self._store_view(params["view"])}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id:
            external = params.get("external_id")
            view_id = next((k for k, v in self.views.items() if external and v.get("external_id") == external), None)
        if not view_id or view_id not in self.views or "view" not in params:
            raise SlackError("not_found")
        return {"view": self._store_view(params["view"], view_id)}

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename, length = params.get("filename"), str(params.get("length", ""))
        if not filename or not length.isdigit() or int(length) == 0:
            raise SlackError("invalid_arguments")
        if len(str(params.get("alt_txt") or "")) > 1000:
            raise SlackError("alt_txt_too_large")
        self._seq += 1
        file_id = f"F{self._seq:08d}"
        self.uploads[file_id] = {"filename": filename, "length": int(length), "alt_txt": params.get("alt_txt"),
                                 "data": None, "title": None, "channel": None}
        host, port = self._server.server_address[:2] if self._server else ("127.0.0.1", 0)
        return {"upload_url": f"http://{host}:{port}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        files = self._json(params.get("files"))
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackError("invalid_arguments")
        channel = self._known_channel(params["channel_id"]) if params.get("channel_id") else None
        out = []
        for f in files:
            entry = self.uploads.get(f["id"])
            if entry is None or entry["data"] is None:
                raise SlackError("file_not_found")
        for f in files:
            entry = self.uploads[f["id"]]
            entry["title"], entry["channel"] = f.get("title") or entry["filename"], channel
            if channel:
                self.files_shared.append({"channel": channel, "id": f["id"], "title": entry["title"],
                                          "filename": entry["filename"], "data": entry["data"],
                                          "alt_txt": entry["alt_txt"], "comment": params.get("initial_comment", "")})
            out.append({"id": f["id"], "title": entry["title"], "name": entry["filename"]})
        return {"files": out}

    def _reactions_get(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (self._known_channel(params.get("channel")), str(params.get("timestamp", "")))
        if key not in self.messages:
            raise SlackError("message_not_found")
        return {"type": "message", "channel": key[0], "message": self.messages[key]}


__all__ = ["BOT_ID", "BOT_USER_ID", "Call", "MockSlackWebAPI", "TEAM_ID", "TOKEN"]
