"""The archive keeps the attachments, not only their links (the gap left by issue 12).

Meta's media links (fbcdn.net, cdninstagram.com) expire within days, so a package exported months later would
point at dead links. When an object or a new version is captured (bot/core/archive.py), `links` finds the media
links in its original JSON and `record` keeps one row per object and link in `archive_media` (migration
m017_archive_media), `pending`. A server's media worker (bot/media_worker.py) fetches the due rows through the
Meta port (`MetaPort.download`: https, Meta's media hosts only, size and type limits) outside the bot's lock,
writes each file content-addressed under the data folder (`archive-media/<account>/<sha256>.<ext>`, atomically)
and registers it here (`fetched`). A failure is tried again with a growing wait (`RETRY_SECONDS`) and is
`failed` with its reason after `MAX_ATTEMPTS`; a link the port refuses (another host, an internal address, too
large, not an image or film) is `refused` at once with the reason, never dropped. The simulator and the console
have no Meta port: their rows stay `pending`, and every export says so.

Weeding (R5) and erasure requests empty an object's content; `forget` marks its media `weeded` and deletes the
file unless another kept row shares it (content-addressed). The SIP (bot/export/sip.py), the release export and
`/arkiv visa` read `of_objects`.

Links found where Meta puts them: a Facebook comment's `attachment.media.image.src` (Graph) and `photo`
(feed webhook), a post's `full_picture`, `attachments.data[].media.image.src` and `subattachments`, a photo
post's webhook `link` and `photos`, a video's `media.source`, an Instagram medium's `media_url` and
`thumbnail_url` (and its carousel `children`), and a message attachment's `payload.url` (image, video).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.core.context import Context

# What a download may bring, and why one is refused. The reasons start the
# error text kept with a refused row (English: it is data for the records officer's package, like Meta's errors).
MEDIA_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
               "video/mp4": ".mp4"}
REFUSALS = {
    "https": "refused: not https",
    "host": "refused: not one of Meta's media hosts",
    "address": "refused: the host has an internal address",
    "size": "refused: larger than the limit",
    "type": "refused: not an image or an mp4 film",
    "redirect": "refused: too many redirects",
}


@dataclass(frozen=True)
class Downloaded:
    """A medium the port fetched: a temporary file in the folder it was asked to write to (the caller moves it
    into place), its SHA-256 (hex), MIME type (one of MEDIA_TYPES) and size in bytes."""

    path: Path
    sha256: str
    mime: str
    size: int


class MediaError(Exception):
    """A download that did not succeed. `kind`: refused (the link or the answer breaks a limit: never tried
    again), gone (403/404/410: an expired link; tried again a few times, it may be a passing fault) or
    transient (network, timeout, 5xx)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


SUBFOLDER = "archive-media"
MAX_ATTEMPTS = 5
RETRY_SECONDS = (300, 1800, 7200, 21600)  # after the 1st..4th failure: 5 min, 30 min, 2 h, 6 h (8.6 h in all)
STATUSES = ("pending", "done", "failed", "refused", "weeded")
BATCH = 50  # rows one run of the worker takes
MAX_LINKS = 50  # links kept per version (a carousel has at most 20 children)
MAX_URL = 4096
_MARKERS = ('"photo', '"src"', '"full_picture"', '"media_url"', '"thumbnail_url"', '"payload"', '"source"')
_MEDIA_KEYS = ("full_picture", "media_url", "thumbnail_url")
_MESSAGE_TYPES = ("image", "video")
CACHE_FOUND = "media_found"  # ctx.cache: new rows were recorded in this entry point (the worker is woken)


# --------------------------------------------------------------------------- finding the links


def links(raw: str) -> list[str]:
    """The media links in an original JSON (as the archive keeps it), in document order, each once."""
    if not raw or not any(m in raw for m in _MARKERS):
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    found: list[str] = []
    _walk(data, found, 0)
    out: list[str] = []
    for url in found:
        if url not in out and len(out) < MAX_LINKS:
            out.append(url)
    return out


def _url(value: object) -> str | None:
    if isinstance(value, str) and value.startswith(("http://", "https://", "ftp://")) and len(value) <= MAX_URL:
        return value
    return None


def _walk(node: object, found: list[str], depth: int) -> None:
    if depth > 12:
        return
    if isinstance(node, list):
        for child in node:
            _walk(child, found, depth + 1)
        return
    if not isinstance(node, dict):
        return
    for key in _MEDIA_KEYS:
        if url := _url(node.get(key)):
            found.append(url)
    photo = node.get("photo")
    if url := _url(photo):  # the feed webhook of a comment with a photo
        found.append(url)
    if node.get("item") == "photo" and (url := _url(node.get("link"))):  # the feed webhook of a photo post
        found.append(url)
    for value in node.get("photos") or [] if isinstance(node.get("photos"), list) else []:
        if url := _url(value):
            found.append(url)
    image = node.get("image")
    if isinstance(image, dict) and (url := _url(image.get("src"))):  # attachment.media.image.src
        found.append(url)
    media = node.get("media")
    if isinstance(media, dict) and (url := _url(media.get("source"))):  # a video attachment's file
        found.append(url)
    payload = node.get("payload")
    if node.get("type") in _MESSAGE_TYPES and isinstance(payload, dict) and (url := _url(payload.get("url"))):
        found.append(url)
    for key, value in node.items():
        if isinstance(value, (dict, list)) and key not in ("image",):
            _walk(value, found, depth + 1)


# --------------------------------------------------------------------------- recording (under the lock)


def record(ctx: Context, object_id: int, raw: str, *, only_if_none: bool = False) -> int:
    """Keep the media links of a captured version as pending downloads (once per object and link); returns how
    many are new. `only_if_none`: only when the object has no attachment yet (the same content delivered again,
    e.g. by backfill, whose links are signed anew each time: the same picture would be fetched twice)."""
    new = 0
    now = ctx.now_ts()
    found = links(raw)
    if found and only_if_none and ctx.db.execute("SELECT 1 FROM archive_media WHERE object_id = ? LIMIT 1",
                                                 [object_id]).fetchone():
        return 0
    for url in found:
        cur = ctx.db.execute(
            "INSERT OR IGNORE INTO archive_media (object_id, account_id, url, found_at) "
            "SELECT id, account_id, ?, ? FROM archive_objects WHERE id = ?", [url, now, object_id])
        new += cur.rowcount or 0
    if new:
        ctx.cache[CACHE_FOUND] = True
    return new


def due(ctx: Context, limit: int = BATCH) -> list[dict]:
    """The pending downloads whose time has come, the longest waiting first."""
    return [dict(r) for r in ctx.db.query(
        "SELECT * FROM archive_media WHERE status = 'pending' AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at, id LIMIT ?", [ctx.now_ts(), limit])]


def get(ctx: Context, row_id: int) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM archive_media WHERE id = ?", [row_id]))
    return dict(rows[0]) if rows else None


def fetched(ctx: Context, row_id: int, rel_path: str, got: Downloaded) -> str:
    """A stored file (its path relative to the data folder); returns the row's outcome (`done`, or `retry`
    when the file is not there any more, e.g. weeded away meanwhile)."""
    row = get(ctx, row_id)
    base = data_folder(ctx)
    if row is None or row["status"] != "pending":  # weeded or erased while it was fetched: the file goes too
        if base is not None and not ctx.db.execute("SELECT 1 FROM archive_media WHERE path = ? LIMIT 1",
                                                   [rel_path]).fetchone():
            _delete(base, rel_path)
        return "gone"
    if base is None or not (base / rel_path).is_file():
        return failed(ctx, row_id, "transient", "the stored file was not found after the download")
    ctx.db.execute("UPDATE archive_media SET status = 'done', attempts = attempts + 1, error = '', path = ?, "
                   "sha256 = ?, mime = ?, size = ?, fetched_at = ?, next_attempt_at = 0 WHERE id = ?",
                   [rel_path, got.sha256, got.mime, got.size, ctx.now_ts(), row_id])
    return "done"


def failed(ctx: Context, row_id: int, kind: str, reason: str) -> str:
    """A download that did not succeed: `refused` is final; anything else waits and is tried again, and is
    `failed` after MAX_ATTEMPTS. Returns refused, retry or failed."""
    row = get(ctx, row_id)
    if row is None or row["status"] != "pending":
        return "gone"
    attempts = row["attempts"] + 1
    if kind == "refused":
        status, outcome, wait = "refused", "refused", 0
    elif attempts >= MAX_ATTEMPTS:
        status, outcome, wait = "failed", "failed", 0
    else:
        status, outcome, wait = "pending", "retry", RETRY_SECONDS[min(attempts, len(RETRY_SECONDS)) - 1]
    ctx.db.execute("UPDATE archive_media SET status = ?, attempts = ?, error = ?, next_attempt_at = ? WHERE id = ?",
                   [status, attempts, reason[:500], ctx.now_ts() + wait if wait else 0, row_id])
    return outcome


# --------------------------------------------------------------------------- files


def data_folder(ctx: Context) -> Path | None:
    """The database's folder (the data folder); None for a database in memory."""
    for _, name, file in ctx.db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file).resolve().parent if file else None
    return None


def folder(ctx: Context) -> Path | None:
    """``archive-media/`` in the data folder; None for a database in memory."""
    base = data_folder(ctx)
    return None if base is None else base / SUBFOLDER


def account_folder(account_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", account_id).strip(".") or "_"


def extension(mime: str) -> str:
    return MEDIA_TYPES.get(mime, ".bin")


def forget(ctx: Context, object_ids: list[int]) -> int:
    """Weeding or an erasure request emptied these objects: their media are `weeded` (a pending one is never
    fetched) and each file no kept row shares any more is deleted. Returns how many files were deleted."""
    if not object_ids:
        return 0
    marks = ",".join("?" * len(object_ids))
    paths = {r[0] for r in ctx.db.execute(
        f"SELECT DISTINCT path FROM archive_media WHERE object_id IN ({marks}) AND path != ''", object_ids)}
    ctx.db.execute(f"UPDATE archive_media SET status = 'weeded', path = '', next_attempt_at = 0 "
                   f"WHERE object_id IN ({marks})", object_ids)
    base = data_folder(ctx)
    deleted = 0
    for path in sorted(paths):
        if ctx.db.execute("SELECT 1 FROM archive_media WHERE path = ? LIMIT 1", [path]).fetchone():
            continue  # the same picture under an object that is kept
        if base is not None and _delete(base, path):
            deleted += 1
    return deleted


def _delete(base: Path, rel_path: str) -> bool:
    """Delete a stored attachment (only ever inside the data folder's archive-media/)."""
    target = (base / rel_path).resolve()
    if target.is_relative_to((base / SUBFOLDER).resolve()) and target.is_file():
        target.unlink()
        return True
    return False


# --------------------------------------------------------------------------- reading (exports, /arkiv visa)


def of_objects(ctx: Context, object_ids: list[int]) -> dict[int, list[dict]]:
    """Every media row of these objects, by object id, in the order they were found."""
    out: dict[int, list[dict]] = {}
    ids = list(object_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for r in ctx.db.query(f"SELECT * FROM archive_media WHERE object_id IN ({marks}) ORDER BY id", chunk):
            out.setdefault(int(r["object_id"]), []).append(dict(r))
    return out


def describe(row: dict) -> dict:
    """A media row as the exports list it: the link, the status, and the stored file or the reason it is not."""
    return {"url": row["url"], "status": row["status"], "file": row["path"], "sha256": row["sha256"],
            "mime": row["mime"], "size": row["size"], "reason": row["error"] if row["status"] != "done" else ""}


def line(ctx: Context, row: dict, *, name_only: bool = False) -> str:
    """One sentence for `/arkiv visa` and the snapshot PDF (`name_only`: the file's name, which is also its name
    in a package's data/media/): the stored file, or why there is none."""
    if row["status"] == "done":
        file = Path(row["path"]).name if name_only else row["path"]
        return ctx.t("media.show_done", file=file, mime=row["mime"], size=_size(row["size"] or 0))
    return ctx.t(f"media.show_{row['status']}", url=row["url"], reason=reason(ctx, row["error"]),
                 attempts=row["attempts"])


def reason(ctx: Context, error: str | None) -> str:
    """Why a link was not fetched, for people: a refusal in the reader's language with its detail (the stored
    reason, in `REFUSALS`' words, stays as it is for the exports and the log); any other reason as stored."""
    if not error:
        return "–"
    for key, text in REFUSALS.items():
        if error.startswith(text):
            detail = error[len(text):].strip()
            return ctx.t(f"media.refusal.{key}") + (f" {detail}" if detail else "")
    return error


def _size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, round(size / 1024))} kB"


__all__ = ["MEDIA_TYPES", "Downloaded", "MediaError", "BATCH", "MAX_ATTEMPTS", "REFUSALS", "RETRY_SECONDS", "STATUSES", "SUBFOLDER", "account_folder",
           "data_folder", "describe", "due", "extension", "failed", "fetched", "folder", "forget", "get", "line",
           "links", "of_objects", "reason", "record"]
