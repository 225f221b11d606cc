"""A local stand-in for Meta's Graph API (Pages and Instagram): a real HTTP server on 127.0.0.1.

Built from Meta's documented request and response shapes (issue 11):

- ``POST /{version}/{comment-id}/comments`` ``message=`` -> ``{"id": "<post>_<n>"}`` (a Facebook reply as the Page);
- ``POST /{version}/{ig-comment-id}/replies`` ``message=`` -> ``{"id": "<n>"}`` (an Instagram reply);
- ``GET  /{version}/{comment-id}/comments`` / ``/{ig-comment-id}/replies`` -> ``{"data": [{"id", "message"|"text",
  "from": {"id", "name"}, "permalink_url"}], "paging": {}}``;
- ``GET  /{version}/{object-id}?fields=permalink_url`` -> ``{"id", "permalink_url"}``;
- ``POST /{version}/{comment-id}`` ``is_hidden=true|false`` (Instagram: ``hide=``) -> ``{"success": true}``;
- ``DELETE /{version}/{comment-id}`` -> ``{"success": true}``;
- ``POST /{version}/me/messages`` (Send API; also ``/{page-id}/messages``) -> ``{"recipient_id", "message_id"}``, or error 10 / subcode
  2018278 outside the messaging window (`window_closed`);
- ``POST /{version}/{page-id}/blocked`` ``user=`` -> ``{"<user>": true}``.

Errors are Meta's error object, ``{"error": {"message", "type": "OAuthException", "code", "error_subcode",
"fbtrace_id"}}``: 190 (expired or invalid token, HTTP 400), 10 and 200 (missing permission, HTTP 403),
100 / subcode 33 (unknown or deleted object, HTTP 400), 368 (temporarily blocked), and the rate limits 4, 17,
32 and 613 with their usage headers (``X-App-Usage``, ``X-Business-Use-Case-Usage`` with
``estimated_time_to_regain_access`` in minutes).

Reads for channel health and backfill (issue 12), in the shapes of Meta's reference pages:

- ``GET /{version}/debug_token?input_token=`` -> ``{"data": {"app_id", "type": "PAGE", "application", "expires_at",
  "data_access_expires_at", "is_valid", "issued_at", "profile_id", "scopes", "granular_scopes", "user_id"}}``; an
  expired or unknown token used as the access token is refused with 190 (subcode 463 expired) like every call;
- ``GET /{version}/{page-id}/subscribed_apps`` -> ``{"data": [{"category", "link", "name", "id",
  "subscribed_fields"}]}`` (``unsubscribe(page)`` empties it, as when someone removes the app from the Page);
- ``GET /{version}/{page-id}/feed`` and ``/{ig-user-id}/media`` -> the newest first, ``limit`` per page, with
  ``paging: {"cursors": {"before", "after"}, "next"}`` (no ``next`` on the last page);
- ``GET /{version}/{post-id}/comments`` (``filter=stream``: replies too, with ``parent``; ``order``) and
  ``/{ig-media-id}/comments`` (top-level, their ``replies`` nested), paged the same way.

Faults for the tests: ``fail(path_part, code=..., status=..., times=...)`` scripts Meta errors,
``fail(path_part, status=500)`` a bare 500 after the write was carried out (``accepted=True``) or not,
``stall(path_part, seconds)`` a response that arrives after the client gave up although the write was carried
out (timeout after acceptance), ``expire(token)`` makes a token invalid from now on.

Media (archive attachments): ``serve(name, body, content_type)`` answers ``GET /media/<name>`` (no token, like a
CDN link) with that body; ``status=404`` an expired link, ``length=False`` a body without Content-Length (read
until the connection closes), ``location=`` a redirect. ``media_url(name)`` is the link to put in a payload.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

VERSION = "v21.0"
PAGE_ID = "1000001"
PAGE_TOKEN = "EAAPAGETOKENFORTESTS0000000001"
APP_ID = "700000000000001"  # Uppsikt's Meta app in the mock
ALL_SCOPES = ("pages_show_list", "pages_manage_metadata", "pages_read_engagement", "pages_read_user_content",
              "pages_manage_engagement", "pages_messaging", "instagram_basic", "instagram_manage_comments",
              "instagram_manage_messages")


def graph_time(epoch: float) -> str:
    """Meta's timestamp format: ISO 8601 in UTC with +0000."""
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass(frozen=True)
class Call:
    verb: str
    path: str
    params: dict[str, str]


@dataclass
class MediaFile:
    body: bytes
    content_type: str = "image/jpeg"
    status: int = 200
    length: bool = True  # send Content-Length (else the body ends when the connection closes)
    location: str = ""  # a redirect's target


@dataclass
class Fault:
    part: str
    status: int = 400
    code: int | None = None
    subcode: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    accepted: bool = False  # carry the write out before answering with the error
    stall: float = 0.0  # seconds to wait before answering (after carrying the write out)
    times: int = 1


class MockGraphAPI:
    def __init__(self, *, page_id: str = PAGE_ID, tokens: dict[str, str] | None = None, ig_id: str = "",
                 ig_username: str = "ekbykommun"):
        self.page_id = page_id
        self.ig_id = ig_id  # the Instagram professional account linked to the Page, if any
        self.ig_username = ig_username
        self.tokens = dict(tokens or {PAGE_TOKEN: page_id})
        self.expired: set[str] = set()
        self.expires_at: dict[str, int] = {}  # token -> epoch seconds (absent: never expires)
        self.scopes: dict[str, list[str]] = {}  # token -> granted permissions (absent: ALL_SCOPES)
        self.subscriptions: dict[str, list[str]] = {page_id: ["feed", "messages"]}  # page -> our app's fields
        self.posts: dict[str, dict[str, Any]] = {}  # id -> {"owner", "message", "created", "updated", "from", "comments"}
        self.calls: list[Call] = []
        self.comments: dict[str, dict[str, Any]] = {}  # id -> {"message", "from", "hidden", "replies": [ids]}
        self.deleted: set[str] = set()
        self.blocked: list[str] = []
        self.messages: list[dict[str, Any]] = []
        self.window_closed: set[str] = set()  # recipients outside the messaging window
        self.faults: deque[Fault] = deque()
        self.holds: dict[str, threading.Event] = {}  # path part -> answered only once the event is set
        self.media: dict[str, MediaFile] = {}  # name -> what GET /media/<name> answers (archive attachments)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ set-up
    def add_comment(self, comment_id: str, message: str, author_id: str = "2000001", name: str = "Anna Andersson",
                    *, post: str = "", created: float | None = None, parent: str = "",
                    attachment: dict[str, Any] | None = None) -> None:
        """A comment; with `post` it is on that post (a reply with `parent`), `created` in epoch seconds;
        `attachment` is Graph's attachment object (a photo: ``{"type": "photo", "media": {"image": {"src"}}}``)."""
        self.comments[comment_id] = {"message": message, "from": {"id": author_id, "name": name}, "hidden": False,
                                     "replies": [], "post": post, "parent": parent, "attachment": attachment,
                                     "created": created if created is not None else time.time()}
        if post:
            self.posts[post]["comments"].append(comment_id)
            self.posts[post]["updated"] = max(self.posts[post]["updated"], self.comments[comment_id]["created"])
        if parent and parent in self.comments:
            self.comments[parent]["replies"].append(comment_id)

    def add_post(self, post_id: str, message: str, created: float, *, owner: str = "", author_id: str = "",
                 name: str = "Ekby kommun", picture: str = "") -> None:
        """A post on the Page's feed (or, with owner=ig_id, a medium of the Instagram account); `picture` is its
        image link (Facebook `full_picture`, Instagram `media_url`)."""
        owner = owner or self.page_id
        self.posts[post_id] = {"owner": owner, "message": message, "created": created, "updated": created,
                               "from": {"id": author_id or owner, "name": name}, "comments": [], "picture": picture}

    def unsubscribe(self, page_id: str | None = None) -> None:
        """Someone removed the app from the Page (or its webhooks): subscribed_apps no longer lists it."""
        self.subscriptions.pop(page_id or self.page_id, None)

    def subscribe(self, page_id: str | None = None, fields: tuple[str, ...] = ("feed", "messages")) -> None:
        self.subscriptions[page_id or self.page_id] = list(fields)

    def replies(self, comment_id: str) -> list[dict[str, Any]]:
        return [self.comments[r] | {"id": r} for r in self.comments.get(comment_id, {}).get("replies", [])]

    def fail(self, part: str, *, status: int = 400, code: int | None = None, subcode: int | None = None,
             headers: dict[str, str] | None = None, accepted: bool = False, times: int = 1) -> None:
        self.faults.append(Fault(part, status, code, subcode, dict(headers or {}), accepted, 0.0, times))

    def stall(self, part: str, seconds: float, times: int = 1) -> None:
        """The write is carried out, but the answer comes after `seconds` (the client has timed out by then)."""
        self.faults.append(Fault(part, 200, accepted=True, stall=seconds, times=times))

    def hold(self, part: str) -> threading.Event:
        """Requests whose path contains `part` are answered only after the returned event is set (at most 30 s)."""
        self.holds[part] = threading.Event()
        return self.holds[part]

    def serve(self, name: str, body: bytes = b"", content_type: str = "image/jpeg", *, status: int = 200,
              length: bool = True, location: str = "") -> str:
        """A file on the mock's CDN; returns its link."""
        self.media[name] = MediaFile(body, content_type, status, length, location)
        return self.media_url(name)

    def media_url(self, name: str) -> str:
        return f"{self.base_url}/media/{name}"

    def expire(self, token: str = PAGE_TOKEN) -> None:
        self.expired.add(token)

    def calls_to(self, verb: str, part: str) -> list[Call]:
        return [c for c in self.calls if c.verb == verb and part in c.path]

    # ------------------------------------------------------------------ server
    def start(self) -> MockGraphAPI:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                mock._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                mock._handle(self, "POST")

            def do_DELETE(self) -> None:  # noqa: N802
                mock._handle(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> MockGraphAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------------ answering
    def _handle(self, req: BaseHTTPRequestHandler, verb: str) -> None:
        url = urlsplit(req.path)
        params = dict(parse_qsl(url.query))
        length = int(req.headers.get("Content-Length") or 0)
        if length:
            params |= dict(parse_qsl(req.rfile.read(length).decode("utf-8")))
        path = url.path
        if path.startswith("/media/"):
            self._media(req, verb, path)
            return
        for part, released in list(self.holds.items()):
            if part in path:
                released.wait(30)
        with self._lock:
            self.calls.append(Call(verb, path, {k: v for k, v in params.items() if k != "access_token"}))
            fault = self._fault(path)
            status, body, headers = self._answer(verb, path, params, fault)
        if fault is not None and fault.stall:
            time.sleep(fault.stall)
        data = json.dumps(body).encode("utf-8")
        try:
            req.send_response(status)
            req.send_header("Content-Type", "application/json; charset=UTF-8")
            req.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                req.send_header(name, value)
            req.end_headers()
            req.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def _media(self, req: BaseHTTPRequestHandler, verb: str, path: str) -> None:
        with self._lock:
            self.calls.append(Call(verb, path, {}))
            media = self.media.get(path.removeprefix("/media/"))
        for part, released in list(self.holds.items()):  # recorded first: a test sees the request arrive
            if part in path:
                released.wait(30)
        if media is None:
            media = MediaFile(b"<html>URL signature expired</html>", "text/html", 403)
        try:
            req.send_response(media.status)
            req.send_header("Content-Type", media.content_type)
            if media.location:
                req.send_header("Location", media.location)
            if media.length:
                req.send_header("Content-Length", str(len(media.body)))
            req.end_headers()
            req.wfile.write(media.body)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading (a refused body)
            pass

    def _fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.part in path:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def error(code: int, message: str, subcode: int | None = None, kind: str = "OAuthException") -> dict:
        error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AmockTrace"}
        if subcode is not None:
            error["error_subcode"] = subcode
        return {"error": error}

    def _answer(self, verb: str, path: str, params: dict[str, str], fault: Fault | None) -> tuple[int, dict, dict]:
        parts = path.strip("/").split("/")
        if not parts or parts[0] != VERSION:
            return 400, self.error(2635, f"Unknown or unsupported API version {parts[0] if parts else ''}"), {}
        token = params.get("access_token", "")
        if token not in self.tokens:
            return 400, self.error(190, "Invalid OAuth access token - Cannot parse access token"), {}
        if token in self.expired:
            return 400, self.error(190, "Error validating access token: Session has expired", 463), {}
        if fault is not None and not fault.accepted and not fault.stall:
            return self._fault_answer(fault)
        if verb == "GET" and len(parts) >= 2:
            read = self._read(parts[1:], params, token)
            if read is not None:
                return read
        result = self._do(verb, parts[1:], params)
        if fault is not None and fault.accepted and not fault.stall:
            return self._fault_answer(fault)
        return result

    def _fault_answer(self, fault: Fault) -> tuple[int, dict, dict]:
        if fault.code is None:  # a bare server error, in Meta's shape
            return fault.status, {"error": {"message": "An unexpected error has occurred. Please retry your request "
                                                       "later.", "type": "OAuthException", "code": 2,
                                            "is_transient": True, "fbtrace_id": "AmockTrace"}}, fault.headers
        messages = {190: "Error validating access token", 10: "Application does not have permission for this action",
                    200: "Permissions error", 100: "Unsupported post request. Object does not exist",
                    368: "The action attempted has been deemed abusive or is otherwise disallowed",
                    4: "Application request limit reached", 17: "User request limit reached",
                    32: "Page request limit reached", 613: "Calls to this api have exceeded the rate limit."}
        return fault.status, self.error(fault.code, messages.get(fault.code, "Error"), fault.subcode), fault.headers

    # ------------------------------------------------------------------ reads (issue 12)
    def _read(self, parts: list[str], params: dict[str, str], token: str) -> tuple[int, dict, dict] | None:
        obj = parts[0]
        edge = parts[1] if len(parts) > 1 else ""
        if obj == "debug_token":
            page = self.tokens.get(params.get("input_token", ""), "")
            if not page:
                return 200, {"data": {"is_valid": False, "error": {"code": 190, "message": "Invalid OAuth access "
                                                                   "token - Cannot parse access token"},
                                      "scopes": []}}, {}
            scopes = list(self.scopes.get(params["input_token"], ALL_SCOPES))
            return 200, {"data": {
                "app_id": APP_ID, "type": "PAGE", "application": "Uppsikt", "is_valid": True,
                "expires_at": self.expires_at.get(params["input_token"], 0), "data_access_expires_at": 0,
                "issued_at": 1700000000, "profile_id": page, "user_id": "3000001", "scopes": scopes,
                "granular_scopes": [{"scope": s} for s in scopes]}}, {}
        if edge == "subscribed_apps" and obj in (self.page_id,):
            fields = self.subscriptions.get(obj)
            data = [] if fields is None else [{"category": "Business", "link": "https://uppsikt.example/",
                                               "name": "Uppsikt", "id": APP_ID, "subscribed_fields": fields}]
            return 200, {"data": data}, {}
        if edge in ("feed", "media") and obj in (self.page_id, self.ig_id) and obj:
            if self._missing_scope(token, "pages_read_engagement"):
                return 403, self.error(10, "(#10) Requires pages_read_engagement permission"), {}
            rows = [self._post_row(pid, p) for pid, p in sorted(self.posts.items(), key=lambda kv: -kv[1]["created"])
                    if p["owner"] == obj]
            return self._page(rows, params)
        if edge == "comments" and obj in self.posts:
            post = self.posts[obj]
            ids = [c for c in post["comments"] if c not in self.deleted]
            if post["owner"] == self.ig_id and self.ig_id:  # Instagram: top level, replies nested
                top = [c for c in ids if not self.comments[c]["parent"]]
                rows = [self._ig_comment(c) | {"replies": {"data": [self._ig_comment(r) for r in
                                                                      self.comments[c]["replies"]
                                                                      if r not in self.deleted]}} for c in top]
                rows.sort(key=lambda r: r["timestamp"], reverse=True)
                return self._page(rows, params)
            if params.get("filter") != "stream":
                ids = [c for c in ids if not self.comments[c]["parent"]]
            rows = [self._fb_comment(c) for c in ids]
            rows.sort(key=lambda r: r["created_time"], reverse=params.get("order") == "reverse_chronological")
            return self._page(rows, params)
        return None

    def _missing_scope(self, token: str, scope: str) -> bool:
        return scope not in self.scopes.get(token, ALL_SCOPES)

    def _post_row(self, post_id: str, post: dict[str, Any]) -> dict[str, Any]:
        if post["owner"] == self.ig_id and self.ig_id:
            row = {"id": post_id, "caption": post["message"], "timestamp": graph_time(post["created"]),
                   "permalink": f"https://www.instagram.com/p/{post_id}/", "username": self.ig_username,
                   "comments_count": len(post["comments"])}
            if post.get("picture"):
                row |= {"media_type": "IMAGE", "media_url": post["picture"]}
            return row
        row = {"id": post_id, "message": post["message"], "created_time": graph_time(post["created"]),
               "updated_time": graph_time(post["updated"]), "from": post["from"],
               "permalink_url": f"https://www.facebook.com/{post_id}"}
        if post.get("picture"):
            row["full_picture"] = post["picture"]
        return row

    def _fb_comment(self, comment_id: str) -> dict[str, Any]:
        c = self.comments[comment_id]
        row = {"id": comment_id, "message": c["message"], "created_time": graph_time(c["created"]), "from": c["from"],
               "permalink_url": f"https://www.facebook.com/{comment_id}"}
        if c["parent"]:
            row["parent"] = {"id": c["parent"]}
        if c.get("attachment"):
            row["attachment"] = c["attachment"]
        return row

    def _ig_comment(self, comment_id: str) -> dict[str, Any]:
        c = self.comments[comment_id]
        return {"id": comment_id, "text": c["message"], "timestamp": graph_time(c["created"]),
                "username": c["from"]["name"], "from": {"id": c["from"]["id"], "username": c["from"]["name"]}}

    def _page(self, rows: list[dict[str, Any]], params: dict[str, str]) -> tuple[int, dict, dict]:
        """One page of a list with Meta's cursor paging (opaque cursors; `next` only when more follow)."""
        limit = max(1, min(100, int(params.get("limit") or 25)))
        start = int(params["after"][1:]) if params.get("after", "").startswith("c") else 0
        chunk = rows[start:start + limit]
        paging: dict[str, Any] = {"cursors": {"before": f"c{start}", "after": f"c{start + len(chunk)}"}}
        if start + limit < len(rows):
            paging["next"] = f"https://graph.facebook.com/{VERSION}/next?after=c{start + len(chunk)}"
        return 200, {"data": chunk, "paging": paging}, {}

    def _gone(self) -> tuple[int, dict, dict]:
        return 400, self.error(100, "Unsupported post request. Object with ID does not exist, cannot be loaded due "
                                    "to missing permissions, or does not support this operation", 33), {}

    def _do(self, verb: str, parts: list[str], params: dict[str, str]) -> tuple[int, dict, dict]:
        obj = parts[0] if parts else ""
        edge = parts[1] if len(parts) > 1 else ""
        if obj in (self.page_id, "me") and edge == "messages" and verb == "POST":  # /me: the token's Page
            recipient = json.loads(params.get("recipient", "{}")).get("id", "")
            if recipient in self.window_closed:
                return 400, self.error(10, "This message is sent outside of allowed window.", 2018278), {}
            message_id = f"m_{next(self._ids)}"
            self.messages.append({"recipient": recipient, "message": json.loads(params.get("message", "{}")),
                                  "messaging_type": params.get("messaging_type"), "id": message_id})
            return 200, {"recipient_id": recipient, "message_id": message_id}, {}
        if obj == self.page_id and edge == "blocked" and verb == "POST":
            user = params.get("user", "")
            self.blocked.append(user)
            return 200, {user: True}, {}
        if obj in self.deleted or obj not in self.comments:
            return self._gone()
        comment = self.comments[obj]
        if edge in ("comments", "replies") and verb == "POST":
            reply_id = f"{obj}_{next(self._ids)}" if edge == "comments" else str(900000 + next(self._ids))
            self.comments[reply_id] = {"message": params.get("message", ""), "from": {"id": self.page_id,
                                       "name": "Ekby kommun"}, "hidden": False, "replies": [],
                                       "permalink_url": f"https://www.facebook.com/{reply_id}"}
            comment["replies"].append(reply_id)
            return 200, {"id": reply_id}, {}
        if edge in ("comments", "replies") and verb == "GET":
            rows = []
            for r in comment["replies"]:
                if r in self.deleted:
                    continue
                c = self.comments[r]
                row: dict[str, Any] = {"id": r, "from": c["from"]}
                if edge == "comments":
                    row |= {"message": c["message"], "permalink_url": c.get("permalink_url", "")}
                else:
                    row |= {"text": c["message"], "username": "ekbykommun"}
                rows.append(row)
            return 200, {"data": rows, "paging": {}}, {}
        if not edge and verb == "GET":
            return 200, {"id": obj, "permalink_url": comment.get("permalink_url", f"https://www.facebook.com/{obj}")}, {}
        if not edge and verb == "POST":
            flag = params.get("is_hidden", params.get("hide"))
            if flag not in ("true", "false"):
                return 400, self.error(100, "(#100) Param is_hidden must be a boolean"), {}
            comment["hidden"] = flag == "true"
            return 200, {"success": True}, {}
        if not edge and verb == "DELETE":
            self.deleted.add(obj)
            return 200, {"success": True}, {}
        return 400, self.error(100, f"Unknown path components: /{edge}"), {}


def buc_headers(minutes: int, page_id: str = PAGE_ID, code_type: str = "pages") -> dict[str, str]:
    """The usage headers Meta sends with a Business Use Case rate limit (page tokens)."""
    usage = {page_id: [{"type": code_type, "call_count": 100, "total_cputime": 12, "total_time": 14,
                        "estimated_time_to_regain_access": minutes}]}
    return {"X-Business-Use-Case-Usage": json.dumps(usage), "X-App-Usage": json.dumps(
        {"call_count": 100, "total_cputime": 10, "total_time": 12})}
