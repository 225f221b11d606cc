"""A small Meta Graph API client: the Meta port (bot/core/platform.py `MetaPort`) for Pages and Instagram.

Built on the standard library's urllib: the core is synchronous, the project's HTTP library (aiohttp) is
async, and `requests` is only a transitive dependency of the Teams authentication library; a dozen calls
need no more than urllib (timeouts, form bodies, headers). No SDK: Meta's Python SDK for the Graph API is
unmaintained. One pinned API version (`GRAPH_API_VERSION`, `META_GRAPH_VERSION` overrides it).

Page access tokens come from the environment, one per account: ``META_PAGE_TOKEN_<ACCOUNT ID>`` (upper case,
anything but letters and digits as ``_``). A token is sent in the request body or the query string and is
never logged (bot/logs.py masks every ``META_PAGE_TOKEN_*`` value and anything shaped like a Meta token).

Calls (docs/meta-write.md lists the permissions each needs):

- reply to a comment: ``POST /{comment-id}/comments`` (Facebook) and ``POST /{ig-comment-id}/replies`` (Instagram);
- read the Page's replies back: ``GET /{comment-id}/comments?fields=id,message,from,permalink_url`` and
  ``GET /{ig-comment-id}/replies?fields=id,text,from,username``;
- direct messages: ``POST /me/messages`` with the page token (Send API, ``messaging_type=RESPONSE``);
- hide: ``POST /{comment-id}`` ``is_hidden=true|false`` (Instagram: ``hide=true|false``);
- delete: ``DELETE /{comment-id}``; block: ``POST /{page-id}/blocked`` ``user=<id>``.

Reads for channel health and backfill (issue 12, docs/operations-health.md):

- the token: ``GET /debug_token?input_token=<token>`` (is_valid, expires_at, scopes, app_id, profile_id);
- the webhook subscription: ``GET /{page-id}/subscribed_apps`` (the apps and their ``subscribed_fields``);
- recent posts: ``GET /{page-id}/feed`` (Facebook) and ``GET /{ig-user-id}/media`` (Instagram), newest first;
- their comments and replies: ``GET /{post-id}/comments?filter=stream&order=reverse_chronological`` (Facebook:
  replies too, with ``parent``) and ``GET /{ig-media-id}/comments`` with the ``replies`` field expanded (Instagram);
  every list is read a page at a time with Meta's ``after`` cursor.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from bot.facade import Chunk, GraphError, Published, TokenInfo, platform_token_env

log = logging.getLogger("uppsikt.meta")

GRAPH_API_VERSION = "v21.0"
GRAPH_HOST = "https://graph.facebook.com"
TIMEOUT_SECONDS = 20.0
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008, 80014})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
WINDOW_SUBCODES = frozenset({2018278, 2018108, 2534022})  # outside the allowed messaging window
TOKEN_CODES = frozenset({102, 190})
PAGE_SIZE = 50  # rows asked for per page of a list (Meta caps most lists at 100)
FB_POST_FIELDS = "id,message,created_time,updated_time,from,permalink_url"
FB_COMMENT_FIELDS = "id,message,created_time,from,parent{id},permalink_url"
IG_MEDIA_FIELDS = "id,caption,timestamp,permalink,username,comments_count"
IG_REPLY_FIELDS = "id,text,timestamp,username,from"
IG_COMMENT_FIELDS = f"id,text,timestamp,username,from,replies.limit(100){{{IG_REPLY_FIELDS}}}"


class GraphClient:
    """The Meta port over HTTPS. `base_url` points at the mock in tests; `tokens` maps account id -> page token."""

    def __init__(self, tokens: Mapping[str, str], *, base_url: str = GRAPH_HOST, version: str = GRAPH_API_VERSION,
                 timeout: float = TIMEOUT_SECONDS):
        self._tokens = {k: v for k, v in tokens.items() if v}
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.timeout = timeout

    def __repr__(self) -> str:  # never print tokens
        return f"GraphClient({self.base_url}/{self.version}, accounts={sorted(self._tokens)})"

    @classmethod
    def from_env(cls, account_ids: list[str], env: Mapping[str, str] | None = None) -> "GraphClient":
        env = os.environ if env is None else env
        tokens = {a: env.get(platform_token_env(a), "").strip() for a in account_ids}
        return cls(tokens, version=env.get("META_GRAPH_VERSION", "").strip() or GRAPH_API_VERSION)

    # ------------------------------------------------------------------ the port
    def has_token(self, account_id: str) -> bool:
        return bool(self._tokens.get(account_id))

    def reply(self, account_id: str, source: str, object_id: str, text: str) -> Published:
        edge = "replies" if source == "instagram" else "comments"
        data = self._call(account_id, "POST", f"/{object_id}/{edge}", {"message": text})
        reply_id = str(data.get("id", ""))
        permalink = ""
        if source == "facebook":
            try:
                permalink = str(self._call(account_id, "GET", f"/{reply_id}", {"fields": "permalink_url"})
                                .get("permalink_url", ""))
            except GraphError as exc:  # published already: a missing link is no failure
                log.info("meta: no permalink for reply %s (%s)", reply_id, exc.kind)
        return Published(reply_id, text, permalink)

    def page_replies(self, account_id: str, source: str, object_id: str, page_id: str) -> list[Published]:
        if source == "instagram":
            data = self._call(account_id, "GET", f"/{object_id}/replies", {"fields": "id,text,from,username"})
            rows = data.get("data") or []
            return [Published(str(r.get("id", "")), str(r.get("text", "")), "",
                              str((r.get("from") or {}).get("id", ""))) for r in rows]
        data = self._call(account_id, "GET", f"/{object_id}/comments",
                          {"fields": "id,message,from,permalink_url", "filter": "stream", "limit": "100"})
        return [Published(str(r.get("id", "")), str(r.get("message", "")), str(r.get("permalink_url", "")),
                          str((r.get("from") or {}).get("id", ""))) for r in data.get("data") or []
                if str((r.get("from") or {}).get("id", "")) == page_id]

    def send_message(self, account_id: str, source: str, page_id: str, recipient: str, text: str) -> Published:
        # /me is the Page of the page token: the Facebook Page for Messenger, and the Page linked to the
        # Instagram account for Instagram Direct (an Instagram account's own id is not a Page id).
        data = self._call(account_id, "POST", "/me/messages", {
            "recipient": json.dumps({"id": recipient}), "messaging_type": "RESPONSE",
            "message": json.dumps({"text": text}, ensure_ascii=False)})
        return Published(str(data.get("message_id", "")), text)

    def hide(self, account_id: str, source: str, object_id: str, hidden: bool) -> None:
        field = "hide" if source == "instagram" else "is_hidden"
        self._call(account_id, "POST", f"/{object_id}", {field: "true" if hidden else "false"})

    def delete(self, account_id: str, source: str, object_id: str) -> None:
        self._call(account_id, "DELETE", f"/{object_id}", {})

    def block(self, account_id: str, page_id: str, user_id: str) -> None:
        self._call(account_id, "POST", f"/{page_id}/blocked", {"user": user_id})

    # ------------------------------------------------------------------ reads (issue 12: channel health, backfill)
    def token_info(self, account_id: str) -> TokenInfo:
        """The account's page token as Meta sees it. A token Meta refuses outright (190) raises GraphError."""
        token = self._tokens.get(account_id, "")
        data = self._call(account_id, "GET", "/debug_token", {"input_token": token}).get("data") or {}
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        scopes = data.get("scopes") if isinstance(data.get("scopes"), list) else []
        expires = data.get("expires_at")
        return TokenInfo(valid=bool(data.get("is_valid")), app_id=str(data.get("app_id", "")),
                         profile_id=str(data.get("profile_id", "")),
                         expires_at=int(expires) if isinstance(expires, (int, float)) else 0,
                         scopes=tuple(str(s) for s in scopes), error=str(error.get("message", ""))[:200])

    def subscribed_apps(self, account_id: str, page_id: str) -> list[dict]:
        data = self._call(account_id, "GET", f"/{page_id}/subscribed_apps", {})
        return [r for r in data.get("data") or [] if isinstance(r, dict)]

    def posts(self, account_id: str, source: str, owner_id: str, after: str = "") -> Chunk:
        if source == "instagram":
            return self._chunk(account_id, f"/{owner_id}/media", {"fields": IG_MEDIA_FIELDS}, after)
        return self._chunk(account_id, f"/{owner_id}/feed", {"fields": FB_POST_FIELDS}, after)

    def comments(self, account_id: str, source: str, object_id: str, after: str = "") -> Chunk:
        if source == "instagram":  # top-level comments with their replies (one page of up to 100 each)
            return self._chunk(account_id, f"/{object_id}/comments", {"fields": IG_COMMENT_FIELDS}, after)
        return self._chunk(account_id, f"/{object_id}/comments", {
            "fields": FB_COMMENT_FIELDS, "filter": "stream", "order": "reverse_chronological"}, after)

    def _chunk(self, account_id: str, path: str, params: dict[str, str], after: str) -> Chunk:
        params = {**params, "limit": str(PAGE_SIZE)}
        if after:
            params["after"] = after
        data = self._call(account_id, "GET", path, params)
        paging = data.get("paging") if isinstance(data.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        # Meta: the `next` link is absent on the last page even though `cursors.after` may be there.
        nxt = str(cursors.get("after", "")) if paging.get("next") else ""
        return Chunk(tuple(r for r in data.get("data") or [] if isinstance(r, dict)), nxt)

    # ------------------------------------------------------------------ HTTP
    def _call(self, account_id: str, method: str, path: str, params: dict[str, str]) -> dict:
        token = self._tokens.get(account_id, "")
        fields = {**params, "access_token": token}
        url = f"{self.base_url}/{self.version}{path}"
        body = None
        if method == "GET":
            url += "?" + urllib.parse.urlencode(fields)
        else:
            body = urllib.parse.urlencode(fields).encode("utf-8")
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        sending = method != "GET"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (https or loopback)
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise error_from(exc.code, exc.read(), exc.headers, sending) from None
        except (TimeoutError, socket.timeout) as exc:
            raise GraphError("transient", f"timeout after {self.timeout} s on {method} {path}",
                             uncertain=sending) from exc
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            timed_out = isinstance(reason, (TimeoutError, socket.timeout))
            raise GraphError("transient", f"{method} {path}: {type(reason).__name__}",
                             uncertain=sending and timed_out) from exc
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise GraphError("transient", f"{method} {path}: not JSON", uncertain=sending) from None
        return data if isinstance(data, dict) else {"data": data}


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds until access is regained, from Meta's usage headers (`X-Business-Use-Case-Usage`'s
    `estimated_time_to_regain_access`, in minutes) or a plain `Retry-After`."""
    if not headers:
        return None
    waits: list[float] = []
    for name in ("X-Business-Use-Case-Usage", "X-Ad-Account-Usage"):
        value = headers.get(name)
        if not value:
            continue
        try:
            usage = json.loads(value)
        except ValueError:
            continue
        entries = [e for v in usage.values() for e in (v if isinstance(v, list) else [v])] \
            if isinstance(usage, dict) else []
        for entry in entries:
            minutes = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else None
            if isinstance(minutes, (int, float)) and minutes > 0:
                waits.append(float(minutes) * 60)
    if headers.get("Retry-After", "").strip().isdigit():
        waits.append(float(headers["Retry-After"].strip()))
    return max(waits) if waits else None


def error_from(status: int, body: bytes, headers: Mapping[str, str] | None, sending: bool) -> GraphError:
    """Meta's error object (`error.code`, `error.error_subcode`, `error.message`) as a GraphError."""
    try:
        error = json.loads(body or b"{}").get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
    message = f"HTTP {status} code {code} subcode {subcode}: {str(error.get('message', ''))[:200]}"
    values = {"code": code, "subcode": subcode, "status": status}
    if code in RATE_LIMIT_CODES or status == 429:
        return GraphError("rate_limit", message, retry_after=retry_after(headers), **values)
    if code in TOKEN_CODES:
        return GraphError("token", message, **values)
    if code == 10 and subcode in WINDOW_SUBCODES or code == 10 and "window" in str(error.get("message", "")):
        return GraphError("window", message, **values)
    if code in PERMISSION_CODES:
        return GraphError("permission", message, **values)
    if code == 100 and (subcode == 33 or status == 404 or "does not exist" in str(error.get("message", ""))):
        return GraphError("gone", message, **values)
    if code == 368:
        return GraphError("blocked", message, **values)
    if status >= 500 or code in (1, 2) or error.get("is_transient"):
        return GraphError("transient", message, uncertain=sending, **values)
    if code == 100:
        return GraphError("gone", message, **values)
    return GraphError("invalid", message, **values)


__all__ = ["GRAPH_API_VERSION", "GraphClient", "error_from", "retry_after"]
