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
  every list is read a page at a time with Meta's ``after`` cursor. Posts, comments and Instagram media are read
  with their attachments' fields (``full_picture``, ``attachments``, ``attachment``, ``media_url``,
  ``thumbnail_url``, ``children``), so the archive finds their media links (bot/core/media.py).

Attachments (`download`, the archive's media, docs/security.md): a link from a payload comes from outside, so
it is fetched only over https from Meta's media hosts (`MEDIA_HOST_SUFFIXES`: fbcdn.net, cdninstagram.com,
fbsbx.com and their subdomains), never from a host that resolves to an internal address (loopback, private,
link-local, reserved: the connection goes to the address that was checked, so a second DNS answer cannot
change it), with redirects checked the same way (at most `MEDIA_REDIRECTS`), a content type of
`MEDIA_TYPES`, a size limit (`media_max_bytes`, 25 MB by default; streamed and stopped when exceeded) and
timeouts. The configured Graph origin (`base_url`) is the one other origin allowed: the loopback mock in tests.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import json
import logging
import os
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.facade import (MEDIA_REFUSALS, MEDIA_TYPES, Chunk, Downloaded, GraphError, MediaError, Published, TokenInfo,
                        platform_token_env)

log = logging.getLogger("uppsikt.meta")

GRAPH_API_VERSION = "v21.0"
GRAPH_HOST = "https://graph.facebook.com"
TIMEOUT_SECONDS = 20.0
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008, 80014})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
WINDOW_SUBCODES = frozenset({2018278, 2018108, 2534022})  # outside the allowed messaging window
TOKEN_CODES = frozenset({102, 190})
PAGE_SIZE = 50  # rows asked for per page of a list (Meta caps most lists at 100)
FB_POST_FIELDS = ("id,message,created_time,updated_time,from,permalink_url,full_picture,"
                  "attachments{media,media_type,type,subattachments}")
FB_COMMENT_FIELDS = "id,message,created_time,from,parent{id},permalink_url,attachment{media,type}"
IG_MEDIA_FIELDS = ("id,caption,timestamp,permalink,username,comments_count,media_type,media_url,thumbnail_url,"
                   "children{media_type,media_url,thumbnail_url}")
MEDIA_HOST_SUFFIXES = ("fbcdn.net", "cdninstagram.com", "fbsbx.com")
MEDIA_MAX_BYTES = 25 * 1024 * 1024
MEDIA_TIMEOUT_SECONDS = 30.0  # to connect and between two reads
MEDIA_TOTAL_SECONDS = 300.0  # a whole download
MEDIA_REDIRECTS = 3
MEDIA_CHUNK = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
IG_REPLY_FIELDS = "id,text,timestamp,username,from"
IG_COMMENT_FIELDS = f"id,text,timestamp,username,from,replies.limit(100){{{IG_REPLY_FIELDS}}}"


class GraphClient:
    """The Meta port over HTTPS. `base_url` points at the mock in tests; `tokens` maps account id -> page token."""

    def __init__(self, tokens: Mapping[str, str], *, base_url: str = GRAPH_HOST, version: str = GRAPH_API_VERSION,
                 timeout: float = TIMEOUT_SECONDS, media_hosts: tuple[str, ...] = MEDIA_HOST_SUFFIXES,
                 media_max_bytes: int = MEDIA_MAX_BYTES, media_timeout: float = MEDIA_TIMEOUT_SECONDS,
                 resolve: Callable[[str], list[str]] | None = None, media_proxy: str | None = None,
                 media_context: ssl.SSLContext | None = None):
        self._tokens = {k: v for k, v in tokens.items() if v}
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.timeout = timeout
        self.media_hosts = tuple(h.lower().strip(".") for h in media_hosts)
        self.media_max_bytes = media_max_bytes
        self.media_timeout = media_timeout
        self._resolve = resolve or _resolve
        # An egress proxy for the media hosts: this one, else the environment's (HTTPS_PROXY and NO_PROXY, as the
        # Graph calls through urllib use it). Municipal networks often allow the Internet only through one.
        self._media_proxy = media_proxy
        self._media_context = media_context
        base = urllib.parse.urlsplit(self.base_url)
        self._origin = (base.scheme, (base.hostname or "").lower(), base.port or DEFAULT_PORTS.get(base.scheme))

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

    # ------------------------------------------------------------------ attachments (the archive's media)
    def download(self, url: str, into: Path) -> Downloaded:
        deadline = time.monotonic() + MEDIA_TOTAL_SECONDS
        for _ in range(MEDIA_REDIRECTS + 1):
            conn, path = self._media_connection(url)
            try:
                conn.request("GET", path, headers={"Accept": ", ".join(MEDIA_TYPES), "User-Agent": "Uppsikt-archive"})
                resp = conn.getresponse()
                if resp.status in (301, 302, 303, 307, 308):
                    location = resp.getheader("Location", "")
                    if not location:
                        raise MediaError("transient", f"HTTP {resp.status} without a Location")
                    url = urllib.parse.urljoin(url, location)
                    continue
                if resp.status != 200:
                    kind = "gone" if resp.status in (403, 404, 410) else "transient"
                    raise MediaError(kind, f"HTTP {resp.status} from {urllib.parse.urlsplit(url).hostname}")
                mime = (resp.getheader("Content-Type", "") or "").split(";")[0].strip().lower()
                if mime not in MEDIA_TYPES:
                    raise MediaError("refused", f"{MEDIA_REFUSALS['type']} ({mime or 'no Content-Type'})")
                length = (resp.getheader("Content-Length", "") or "").strip()
                if length.isdigit() and int(length) > self.media_max_bytes:
                    raise MediaError("refused", f"{MEDIA_REFUSALS['size']} ({int(length)} > {self.media_max_bytes} bytes)")
                return self._stream(resp, into, mime, deadline)
            except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
                raise MediaError("transient", f"{type(exc).__name__}: {exc}"[:300]) from exc
            finally:
                conn.close()
        raise MediaError("refused", f"{MEDIA_REFUSALS['redirect']} (more than {MEDIA_REDIRECTS})")

    def _media_connection(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        """A connection for `url` if the link may be fetched (MediaError `refused` otherwise), and the path to ask."""
        try:
            parts = urllib.parse.urlsplit(url)
            host, port = (parts.hostname or "").lower().rstrip("."), parts.port
        except ValueError:
            raise MediaError("refused", f"{MEDIA_REFUSALS['host']} (not a valid link)") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        port = port or DEFAULT_PORTS.get(parts.scheme)
        if (parts.scheme, host, port) == self._origin:  # the configured Graph origin (the loopback mock in tests)
            cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            return cls(host, port, timeout=self.media_timeout), path
        if parts.scheme != "https":
            raise MediaError("refused", f"{MEDIA_REFUSALS['https']} ({parts.scheme or 'no scheme'})")
        if parts.username or parts.password or not host or not any(
                host == suffix or host.endswith("." + suffix) for suffix in self.media_hosts):
            raise MediaError("refused", f"{MEDIA_REFUSALS['host']} ({host or 'no host'})")
        proxy = self._proxy_for(host)
        if proxy is not None:
            # Through the proxy (CONNECT): the proxy resolves the name, so no address is checked here; the host is
            # on Meta's list, and the certificate is checked for it end to end.
            return _proxied_https(proxy, host, port or 443, self.media_timeout, self._media_context), path
        try:
            addresses = self._resolve(host)
        except OSError as exc:
            raise MediaError("transient", f"DNS {host}: {exc}") from exc
        if not addresses:
            raise MediaError("transient", f"DNS {host}: no address")
        for address in addresses:
            try:
                ip = ipaddress.ip_address(address.split("%")[0])
            except ValueError:
                raise MediaError("refused", f"{MEDIA_REFUSALS['address']} ({host} -> {address})") from None
            if not ip.is_global or ip.is_multicast:
                raise MediaError("refused", f"{MEDIA_REFUSALS['address']} ({host} -> {address})")
        return _PinnedHTTPS(host, addresses[0], port or 443, self.media_timeout, self._media_context), path

    def _proxy_for(self, host: str) -> urllib.parse.SplitResult | None:
        """The proxy to reach `host` through: `media_proxy` ("" for none), else the environment's."""
        proxy = self._media_proxy
        if proxy == "":
            return None
        if proxy is None:
            proxy = urllib.request.getproxies().get("https")
            if not proxy or urllib.request.proxy_bypass(host):
                return None
        if "://" not in proxy:
            proxy = "http://" + proxy
        parts = urllib.parse.urlsplit(proxy)
        if parts.scheme != "http" or not parts.hostname:
            raise MediaError("transient", f"the proxy {parts.scheme}://{parts.hostname or ''} is not an http:// proxy")
        return parts

    def _stream(self, resp: http.client.HTTPResponse, into: Path, mime: str, deadline: float) -> Downloaded:
        """The body into a temporary file in `into`, hashed as it comes, stopped at the size limit."""
        into.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".media-", suffix=".part", dir=into)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := resp.read(MEDIA_CHUNK):
                    size += len(chunk)
                    if size > self.media_max_bytes:
                        raise MediaError("refused", f"{MEDIA_REFUSALS['size']} (more than {self.media_max_bytes} bytes)")
                    if time.monotonic() > deadline:
                        raise MediaError("transient", f"the download took more than {MEDIA_TOTAL_SECONDS:.0f} s")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise MediaError("transient", "an empty body")
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Downloaded(Path(name), digest.hexdigest(), mime, size)

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


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the address that was checked (not a second DNS answer), with the certificate checked for the
    host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext | None = None):
        super().__init__(host, port, timeout=timeout, context=context or ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _proxied_https(proxy: urllib.parse.SplitResult, host: str, port: int, timeout: float,
                   context: ssl.SSLContext | None) -> http.client.HTTPSConnection:
    """HTTPS to `host` through an http:// proxy's CONNECT tunnel (with its Basic credentials when it has them)."""
    conn = http.client.HTTPSConnection(proxy.hostname, proxy.port or 8080, timeout=timeout,
                                       context=context or ssl.create_default_context())
    headers = {}
    if proxy.username:
        user = urllib.parse.unquote(proxy.username)
        password = urllib.parse.unquote(proxy.password or "")
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    conn.set_tunnel(host, port, headers=headers)
    return conn


def _resolve(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)]


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
