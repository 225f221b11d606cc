"""Intake webhooks: Meta (Facebook Page feed, Instagram comments, Messenger and Instagram
direct messages) and a generic HMAC-signed JSON format for Power Automate, Zapier and Make.

Framework-neutral: the host HTTP server (the Slack adapter's ``http.server``, the Teams
adapter's aiohttp app) hands every request to :func:`handle` and sends back the
:class:`HttpResponse`; ``None`` means "not a webhook path" (route elsewhere or 404).
The format, the signatures and every decision are documented in ``docs/intake.md``.

- ``GET  /webhooks/meta``   Meta's subscription handshake (``hub.verify_token``).
- ``POST /webhooks/meta``   ``X-Hub-Signature-256`` over the raw body with the app secret;
  a whole delivery is one transaction and is answered 200 only after it is committed.
- ``POST /webhooks/intake`` ``X-Uppsikt-Signature`` over ``"<timestamp>.<body>"`` with
  INTAKE_SECRET, ``X-Uppsikt-Timestamp`` at most five minutes from the bot's clock.

Secrets and citizens' texts are never logged: log lines name ids and sizes only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.facade import (
    INTAKE_MAX_SKEW_SECONDS,
    Bot,
    IntakeError,
    PlatformEvent,
    Refused,
    Secrets,
    from_epoch,
    is_number,
    to_local,
)

log = logging.getLogger("uppsikt.webhooks")

META_PATH = "/webhooks/meta"
INTAKE_PATH = "/webhooks/intake"
PATHS = (META_PATH, INTAKE_PATH)
MAX_BODY_BYTES = 1_000_000

TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"

FEED_ITEMS = {"comment": "comment", "post": "post", "status": "post", "photo": "post", "video": "post"}
# Feed verbs read (Graph API webhooks reference, Page `feed`): others (block, mute, follow, update...) are skipped.
FEED_VERBS = {"add": "add", "edited": "edit", "edit": "edit", "remove": "remove", "delete": "remove",
              "hide": "hide", "unhide": "unhide"}
COMMENT_FIELDS = ("comments", "live_comments")
OBJECTS = ("page", "instagram")  # the delivery objects read (Facebook Pages and Instagram accounts)
DM_SOURCES = {"page": "messenger", "instagram": "instagram_dm"}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = TEXT


# --------------------------------------------------------------------------- signatures


def sign_meta(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends: ``sha256=`` + HMAC-SHA256(app secret, raw body)."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def sign_intake(secret: str, timestamp: str | int, body: bytes) -> str:
    """The ``X-Uppsikt-Signature`` value: ``sha256=`` + HMAC-SHA256(secret, "<timestamp>." + raw body)."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison; the hex digest is compared case-insensitively."""
    given = given.strip()
    if given[:7].lower() == "sha256=":
        given = "sha256=" + given[7:].lower()
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


# --------------------------------------------------------------------------- entry point


def handle(
    bot: Bot,
    secrets: Secrets,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
) -> HttpResponse | None:
    """Serve one request to a webhook path; None when `path` is not one of PATHS.

    `query` holds the decoded query parameters, `headers` the request headers (any case;
    a list value counts by its first element), `body` the raw request body bytes.
    """
    route = urlsplit(path).path.rstrip("/") or "/"
    if route not in PATHS:
        return None
    method = method.upper()
    hdrs = {str(k).lower(): _first(v) for k, v in headers.items()}
    params = {str(k): _first(v) for k, v in query.items()}
    if route == META_PATH:
        if method == "GET":
            return _meta_handshake(bot, secrets, params)
        if method != "POST":
            return _text(405, bot.t("webhooks.method_not_allowed", method=method, allowed="GET, POST"))
        if len(body) > MAX_BODY_BYTES:
            return _text(413, bot.t("webhooks.too_large", max=MAX_BODY_BYTES))
        return _meta_post(bot, secrets, hdrs, body)
    if method != "POST":
        return _json(405, _error(bot.t("webhooks.method_not_allowed", method=method, allowed="POST")))
    if len(body) > MAX_BODY_BYTES:
        return _json(413, _error(bot.t("webhooks.too_large", max=MAX_BODY_BYTES)))
    return _intake_post(bot, secrets, hdrs, body)


def _first(value: object) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def _text(status: int, text: str) -> HttpResponse:
    return HttpResponse(status, text.encode("utf-8"), TEXT)


def _json(status: int, data: dict) -> HttpResponse:
    return HttpResponse(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), JSON)


def _error(text: str, field: str | None = None) -> dict:
    return {"error": text, "field": field}


# --------------------------------------------------------------------------- Meta: handshake


def _meta_handshake(bot: Bot, secrets: Secrets, params: Mapping[str, str]) -> HttpResponse:
    if not secrets.meta_verify_token:
        log.error("Meta webhook handshake refused: META_VERIFY_TOKEN is not set")
        return _text(403, bot.t("webhooks.meta.not_configured", name="META_VERIFY_TOKEN"))
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        token.encode("utf-8"), secrets.meta_verify_token.encode("utf-8")
    ):
        log.warning("Meta webhook handshake refused: wrong hub.mode or hub.verify_token")
        return _text(403, bot.t("webhooks.meta.handshake_refused"))
    log.info("Meta webhook handshake accepted")
    return HttpResponse(200, params.get("hub.challenge", "").encode("utf-8"), TEXT)


# --------------------------------------------------------------------------- Meta: parsing (pure)


class BadPayload(ValueError):
    """The JSON is not shaped like a Meta webhook delivery; `where` is the JSON path at fault."""

    def __init__(self, where: str):
        super().__init__(where)
        self.where = where


MetaEvent = PlatformEvent  # one thing a citizen did, read from a delivery: add, edit or remove


@dataclass
class MetaDelivery:
    object: str
    entry_ids: list[str] = field(default_factory=list)
    events: list[MetaEvent] = field(default_factory=list)
    ignored: int = 0


def _obj(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise BadPayload(where)
    return value


def _arr(value: object, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload(where)
    return value


def _str(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):  # JSON's Infinity/NaN: no id, no text
        return ""
    if isinstance(value, (int, float)):
        return str(int(value))
    return value.strip() if isinstance(value, str) else ""


def _when(value: object) -> dt.datetime | None:
    """Epoch seconds, epoch milliseconds (messaging) or an ISO 8601 string (older Graph versions)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and is_number(value.strip()):
        value = int(value.strip())
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 100_000_000_000 else value
        try:
            return from_epoch(seconds)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            try:
                when = dt.datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M:%S%z")
            except ValueError:
                return None
        try:
            return to_local(when) if when.tzinfo else None
        except OverflowError:  # e.g. year 1 with a positive offset has no Stockholm time
            return None
    return None


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def parse_meta(payload: object) -> MetaDelivery:
    """Read a decoded delivery into events; raises BadPayload when its shape is wrong.

    Known but uninteresting events (likes, reactions, delivery and read receipts) are counted
    as ignored. The page's own posts, replies and messages (echoes) and hides and unhides are
    events (`own`, action hide/unhide) for the archive; they never become items. Unknown
    `object` values give a delivery without events.
    """
    data = _obj(payload, "$")
    obj = data.get("object")
    if not isinstance(obj, str) or not obj:
        raise BadPayload("object")
    delivery = MetaDelivery(object=obj)
    entries = _arr(data.get("entry"), "entry")
    if obj not in OBJECTS:
        delivery.ignored = len(entries)
        return delivery
    for i, raw in enumerate(entries):
        entry = _obj(raw, f"entry[{i}]")
        entry_id = _str(entry.get("id"))
        if not entry_id:
            raise BadPayload(f"entry[{i}].id")
        delivery.entry_ids.append(entry_id)
        changes = _arr(entry.get("changes"), f"entry[{i}].changes")
        if "field" in entry and "value" in entry:  # some documented Instagram examples put the change on the entry
            changes = [*changes, {"field": entry["field"], "value": entry["value"]}]
        for j, raw_change in enumerate(changes):
            change = _obj(raw_change, f"entry[{i}].changes[{j}]")
            value = _obj(change.get("value", {}), f"entry[{i}].changes[{j}].value")
            event = _change_event(obj, entry_id, entry, _str(change.get("field")), value)
            _collect(delivery, event)
        for j, raw_msg in enumerate(_arr(entry.get("messaging"), f"entry[{i}].messaging")):
            _collect(delivery, _messaging_event(obj, entry_id, _obj(raw_msg, f"entry[{i}].messaging[{j}]")))
    return delivery


def _collect(delivery: MetaDelivery, event: MetaEvent | None) -> None:
    if event is None:
        delivery.ignored += 1
    else:
        delivery.events.append(event)


def _raw(field_name: str, value: dict) -> str:
    """The change as Meta sent it, compact: kept in the archive beside the text (issue 12)."""
    return json.dumps({"field": field_name, "value": value}, ensure_ascii=False, separators=(",", ":"))


def _change_event(obj: str, entry_id: str, entry: dict, field_name: str, value: dict) -> MetaEvent | None:
    """One feed or comments change. The page's or account's own posts and replies (`from.id` is the entry's id)
    and hides and unhides become events too, for the archive (issue 12): `own` content and hides never
    become items (bot/core/deliveries.py)."""
    sender = value.get("from") if isinstance(value.get("from"), dict) else {}
    sender_id = _str(sender.get("id"))
    own = bool(sender_id) and sender_id == entry_id  # the page's or account's own post or reply
    if obj == "page" and field_name == "feed":
        kind = FEED_ITEMS.get(_str(value.get("item")))
        verb = _str(value.get("verb"))
        action = FEED_VERBS.get(verb)
        if kind is None or action is None:
            return None
        external_id = _str(value.get("comment_id")) if kind == "comment" else _str(value.get("post_id"))
        if not external_id:
            log.warning("Meta webhook: a feed %s/%s event on page %s has no id; ignored", kind, verb, entry_id)
            return None
        post = value.get("post") if isinstance(value.get("post"), dict) else {}
        post_id = _str(value.get("post_id"))
        permalink = _str(value.get("permalink_url")) or _str(post.get("permalink_url"))
        if not permalink and post_id:
            permalink = f"https://www.facebook.com/{post_id}"
        text = _str(value.get("message"))
        parent = (_str(value.get("parent_id")) or post_id) if kind == "comment" else ""
        return MetaEvent(
            entry_id=entry_id, action=action, source="facebook", external_id=external_id, kind=kind, text=text,
            author=_str(sender.get("name")) or sender_id, permalink=permalink, author_id=sender_id,
            created=_when(value.get("created_time")), edit_key=_text_hash(text) if action == "edit" else "",
            own=own, parent_id=parent if parent != external_id else "", raw=_raw(field_name, value),
        )
    if obj == "instagram" and field_name in COMMENT_FIELDS:
        external_id = _str(value.get("id"))
        if not external_id:
            log.warning("Meta webhook: an Instagram comment on account %s has no id; ignored", entry_id)
            return None
        media = value.get("media") if isinstance(value.get("media"), dict) else {}
        return MetaEvent(
            entry_id=entry_id, action="add", source="instagram", external_id=external_id, kind="comment",
            text=_str(value.get("text")), author=_str(sender.get("username")) or sender_id, author_id=sender_id,
            created=_when(value.get("timestamp")) or _when(entry.get("time")),
            own=own, parent_id=_str(value.get("parent_id")) or _str(media.get("id")), raw=_raw(field_name, value),
        )
    return None


def _messaging_event(obj: str, entry_id: str, event: dict) -> MetaEvent | None:
    source = DM_SOURCES[obj]
    sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
    sender_id = _str(sender.get("id"))
    author = _str(sender.get("name")) or _str(sender.get("username")) or sender_id
    created = _when(event.get("timestamp"))
    message = event.get("message")
    if isinstance(message, dict) and message.get("is_echo") and _str(message.get("mid")) and _str(message.get("text")):
        # the page's or account's own message (R6: "to or from staff"): archived, never an item (issue 12)
        return MetaEvent(entry_id=entry_id, action="add", source=source, external_id=_str(message.get("mid")),
                         kind="dm", text=_str(message.get("text")), author=author, created=created,
                         author_id=sender_id, own=True,
                         raw=json.dumps(event, ensure_ascii=False, separators=(",", ":")))
    if sender_id and sender_id == entry_id:  # sent by the page itself (and no echo with text)
        return None
    edit = event.get("message_edit")
    if isinstance(edit, dict):
        mid = _str(edit.get("mid"))
        if not mid:
            return None
        text = _str(edit.get("text"))
        key = _str(edit.get("num_edit")) or _text_hash(text)
        return MetaEvent(entry_id=entry_id, action="edit", source=source, external_id=mid, kind="dm", text=text,
                         author=author, created=created, edit_key=key)
    if not isinstance(message, dict) or message.get("is_echo"):
        return None
    mid = _str(message.get("mid"))
    if not mid:
        log.warning("Meta webhook: a message to %s has no mid; ignored", entry_id)
        return None
    if message.get("is_deleted"):  # Instagram: the sender unsent the message
        return MetaEvent(entry_id=entry_id, action="remove", source=source, external_id=mid, kind="dm",
                         author=author, created=created)
    return MetaEvent(entry_id=entry_id, action="add", source=source, external_id=mid, kind="dm",
                     text=_str(message.get("text")), author=author, created=created, author_id=sender_id,
                     raw=json.dumps(event, ensure_ascii=False, separators=(",", ":")))  # with its attachments' links


# --------------------------------------------------------------------------- Meta: delivery


def _meta_post(bot: Bot, secrets: Secrets, headers: Mapping[str, str], body: bytes) -> HttpResponse:
    if not secrets.meta_app_secret:
        log.error("Meta webhook refused: META_APP_SECRET is not set, so no signature can be checked")
        return _text(503, bot.t("webhooks.meta.not_configured", name="META_APP_SECRET"))
    given = headers.get("x-hub-signature-256", "")
    if not given or not _same(sign_meta(secrets.meta_app_secret, body), given):
        log.warning("Meta webhook refused: %s X-Hub-Signature-256 (%d bytes); nothing stored",
                    "bad" if given else "missing", len(body))
        return _text(401, bot.t("webhooks.meta.bad_signature"))
    try:
        delivery = parse_meta(json.loads(body.decode("utf-8")))
    except UnicodeDecodeError:
        return _text(400, bot.t("webhooks.bad_encoding"))
    except RecursionError:  # issue 16: a signed body nested 100,000 deep
        log.warning("Meta webhook: signed body nested too deep to read (%d bytes); nothing stored", len(body))
        return _text(400, bot.t("robust.json_too_deep"))
    except json.JSONDecodeError as exc:
        log.warning("Meta webhook: signed body is not JSON (line %s, column %s); nothing stored", exc.lineno, exc.colno)
        return _text(400, bot.t("webhooks.meta.bad_json", line=exc.lineno, column=exc.colno))
    except BadPayload as exc:
        log.warning("Meta webhook: signed body is not a Meta delivery (%s); nothing stored", exc.where)
        return _text(400, bot.t("webhooks.meta.bad_payload", where=exc.where))
    if delivery.object not in OBJECTS:
        log.warning("Meta webhook: object %r is not handled (only page and instagram); acknowledged, nothing stored",
                    delivery.object[:40])
        return _text(200, bot.t("webhooks.meta.received", created=0, noted=0, duplicates=0, ignored=delivery.ignored))

    try:
        result = bot.platform_delivery(delivery.object, delivery.entry_ids, delivery.events, delivery.ignored)
    except Exception:  # noqa: BLE001 - the whole delivery was rolled back; Meta resends it
        log.exception("Meta webhook: storing a delivery failed; nothing stored, Meta will resend it")
        return _text(500, bot.t("webhooks.internal_error"))
    counts = result.counts
    if result.unknown and not result.any_known:
        return _text(422, bot.t("webhooks.meta.unknown_page", ids=", ".join(result.unknown)))
    log.info("Meta webhook: %s delivery stored: %s", delivery.object, counts)
    return _text(200, bot.t("webhooks.meta.received", created=counts["created"], noted=counts["noted"],
                            duplicates=counts["duplicate"], ignored=counts["ignored"]))


# --------------------------------------------------------------------------- generic signed intake


def _intake_post(bot: Bot, secrets: Secrets, headers: Mapping[str, str], body: bytes) -> HttpResponse:
    if not secrets.intake_secret:
        log.error("Intake webhook refused: INTAKE_SECRET is not set")
        return _json(503, _error(bot.t("webhooks.intake.not_configured")))
    stamp = headers.get("x-uppsikt-timestamp", "").strip()
    given = headers.get("x-uppsikt-signature", "")
    if not stamp or not given:
        log.warning("Intake webhook refused: missing X-Uppsikt-Timestamp or X-Uppsikt-Signature")
        return _json(401, _error(bot.t("webhooks.intake.missing_headers")))
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return _json(401, _error(bot.t("webhooks.intake.bad_timestamp")))
    if not _same(sign_intake(secrets.intake_secret, stamp, body), given):
        log.warning("Intake webhook refused: bad X-Uppsikt-Signature (%d bytes); nothing stored", len(body))
        return _json(401, _error(bot.t("webhooks.intake.bad_signature")))
    skew = bot.now_ts() - int(stamp)
    if abs(skew) > INTAKE_MAX_SKEW_SECONDS:
        log.warning("Intake webhook refused: timestamp %s seconds from the bot's clock", skew)
        return _json(401, _error(bot.t("webhooks.intake.stale", seconds=abs(skew), max=INTAKE_MAX_SKEW_SECONDS)))
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return _json(400, _error(bot.t("webhooks.bad_encoding")))
    except RecursionError:  # issue 16: a signed body nested 100,000 deep
        log.warning("Intake webhook: signed body nested too deep to read (%d bytes); nothing stored", len(body))
        return _json(400, _error(bot.t("robust.json_too_deep")))
    except json.JSONDecodeError as exc:
        return _json(400, _error(bot.t("webhooks.intake.bad_json", line=exc.lineno, column=exc.colno)))
    try:
        item, created = bot.receive_intake(data)
    except IntakeError as exc:
        return _json(400, _error(exc.text, exc.field))
    except Refused as exc:
        return _json(400, _error(str(exc)))
    except Exception:  # noqa: BLE001
        log.exception("Intake webhook: storing the item failed; nothing stored")
        return _json(500, _error(bot.t("webhooks.internal_error")))
    log.info("Intake webhook: item %s (%s) on %s", item["id"], "new" if created else "already known", item["account_id"])
    return _json(200, {"item": item["id"], "created": created})


__all__ = [
    "HttpResponse", "INTAKE_PATH", "META_PATH", "MetaEvent", "PATHS", "handle", "parse_meta", "sign_intake",
    "sign_meta",
]
