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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.bootstrap import Bot
from bot.clock import from_epoch, to_epoch, to_local
from bot.core import intake, items
from bot.core.context import Context, Refused
from bot.core.parsing import is_number
from bot.messages import Message
from bot.settings import Secrets

log = logging.getLogger("uppsikt.webhooks")

META_PATH = "/webhooks/meta"
INTAKE_PATH = "/webhooks/intake"
PATHS = (META_PATH, INTAKE_PATH)
MAX_BODY_BYTES = 1_000_000
INTAKE_MAX_SKEW_SECONDS = 300  # replay protection: the timestamp must be within five minutes of the bot's clock
MAX_TEXT_CHARS = 20_000
MAX_SHORT_CHARS = 500

TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"

FEED_ITEMS = {"comment": "comment", "post": "post", "status": "post", "photo": "post", "video": "post"}
COMMENT_FIELDS = ("comments", "live_comments")
SOURCES = {"page": ("facebook", "messenger"), "instagram": ("instagram", "instagram_dm")}
PLATFORM_OF_SOURCE = {"facebook": "facebook", "messenger": "messenger", "instagram": "instagram",
                      "instagram_dm": "instagram"}

INTAKE_FIELDS = ("account", "text", "author", "external_id", "source", "permalink", "kind", "received_at")
INTAKE_REQUIRED = ("account", "text", "external_id")
INTAKE_KINDS = ("comment", "post", "dm")
SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,31}$")


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
    ctx = bot.ctx
    method = method.upper()
    hdrs = {str(k).lower(): _first(v) for k, v in headers.items()}
    params = {str(k): _first(v) for k, v in query.items()}
    if route == META_PATH:
        if method == "GET":
            return _meta_handshake(ctx, secrets, params)
        if method != "POST":
            return _text(405, ctx.t("webhooks.method_not_allowed", method=method, allowed="GET, POST"))
        if len(body) > MAX_BODY_BYTES:
            return _text(413, ctx.t("webhooks.too_large", max=MAX_BODY_BYTES))
        return _meta_post(bot, secrets, hdrs, body)
    if method != "POST":
        return _json(405, _error(ctx.t("webhooks.method_not_allowed", method=method, allowed="POST")))
    if len(body) > MAX_BODY_BYTES:
        return _json(413, _error(ctx.t("webhooks.too_large", max=MAX_BODY_BYTES)))
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


def _flush(bot: Bot) -> None:
    """Deliver what the intake queued (or wake the delivery thread in server modes). The items are
    committed already; the outbox retries on the next tick."""
    try:
        bot.deliver()
    except Exception:  # noqa: BLE001 - the delivery is stored; a chat failure must not make Meta resend it
        log.exception("webhooks: delivering the outbox failed; the scheduler will retry")


# --------------------------------------------------------------------------- Meta: handshake


def _meta_handshake(ctx: Context, secrets: Secrets, params: Mapping[str, str]) -> HttpResponse:
    if not secrets.meta_verify_token:
        log.error("Meta webhook handshake refused: META_VERIFY_TOKEN is not set")
        return _text(403, ctx.t("webhooks.meta.not_configured", name="META_VERIFY_TOKEN"))
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        token.encode("utf-8"), secrets.meta_verify_token.encode("utf-8")
    ):
        log.warning("Meta webhook handshake refused: wrong hub.mode or hub.verify_token")
        return _text(403, ctx.t("webhooks.meta.handshake_refused"))
    log.info("Meta webhook handshake accepted")
    return HttpResponse(200, params.get("hub.challenge", "").encode("utf-8"), TEXT)


# --------------------------------------------------------------------------- Meta: parsing (pure)


class BadPayload(ValueError):
    """The JSON is not shaped like a Meta webhook delivery; `where` is the JSON path at fault."""

    def __init__(self, where: str):
        super().__init__(where)
        self.where = where


@dataclass(frozen=True)
class MetaEvent:
    """One thing a citizen did, read from a delivery: add, edit or remove."""

    entry_id: str
    action: str  # add | edit | remove
    source: str  # facebook | instagram | messenger | instagram_dm
    external_id: str
    kind: str = "comment"  # comment | post | dm
    text: str = ""
    author: str = ""
    permalink: str = ""
    created: dt.datetime | None = None
    edit_key: str = ""


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

    Known but uninteresting events (likes, reactions, hides, delivery and read receipts,
    echoes of the page's own messages, the page's own posts and replies) are counted as
    ignored. Unknown `object` values give a delivery without events.
    """
    data = _obj(payload, "$")
    obj = data.get("object")
    if not isinstance(obj, str) or not obj:
        raise BadPayload("object")
    delivery = MetaDelivery(object=obj)
    entries = _arr(data.get("entry"), "entry")
    if obj not in SOURCES:
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


def _change_event(obj: str, entry_id: str, entry: dict, field_name: str, value: dict) -> MetaEvent | None:
    sender = value.get("from") if isinstance(value.get("from"), dict) else {}
    sender_id = _str(sender.get("id"))
    if sender_id and sender_id == entry_id:  # the page's or account's own post or reply
        return None
    if obj == "page" and field_name == "feed":
        kind = FEED_ITEMS.get(_str(value.get("item")))
        verb = _str(value.get("verb"))
        action = {"add": "add", "edited": "edit", "edit": "edit", "remove": "remove"}.get(verb)
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
        return MetaEvent(
            entry_id=entry_id, action=action, source="facebook", external_id=external_id, kind=kind, text=text,
            author=_str(sender.get("name")) or sender_id, permalink=permalink,
            created=_when(value.get("created_time")), edit_key=_text_hash(text) if action == "edit" else "",
        )
    if obj == "instagram" and field_name in COMMENT_FIELDS:
        external_id = _str(value.get("id"))
        if not external_id:
            log.warning("Meta webhook: an Instagram comment on account %s has no id; ignored", entry_id)
            return None
        return MetaEvent(
            entry_id=entry_id, action="add", source="instagram", external_id=external_id, kind="comment",
            text=_str(value.get("text")), author=_str(sender.get("username")) or sender_id,
            created=_when(value.get("timestamp")) or _when(entry.get("time")),
        )
    return None


def _messaging_event(obj: str, entry_id: str, event: dict) -> MetaEvent | None:
    source = SOURCES[obj][1]
    sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
    sender_id = _str(sender.get("id"))
    author = _str(sender.get("name")) or _str(sender.get("username")) or sender_id
    created = _when(event.get("timestamp"))
    if sender_id and sender_id == entry_id:  # sent by the page itself
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
    message = event.get("message")
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
                     text=_str(message.get("text")), author=author, created=created)


# --------------------------------------------------------------------------- Meta: delivery


def _meta_post(bot: Bot, secrets: Secrets, headers: Mapping[str, str], body: bytes) -> HttpResponse:
    ctx = bot.ctx
    if not secrets.meta_app_secret:
        log.error("Meta webhook refused: META_APP_SECRET is not set, so no signature can be checked")
        return _text(503, ctx.t("webhooks.meta.not_configured", name="META_APP_SECRET"))
    given = headers.get("x-hub-signature-256", "")
    if not given or not _same(sign_meta(secrets.meta_app_secret, body), given):
        log.warning("Meta webhook refused: %s X-Hub-Signature-256 (%d bytes); nothing stored",
                    "bad" if given else "missing", len(body))
        return _text(401, ctx.t("webhooks.meta.bad_signature"))
    try:
        delivery = parse_meta(json.loads(body.decode("utf-8")))
    except UnicodeDecodeError:
        return _text(400, ctx.t("webhooks.bad_encoding"))
    except json.JSONDecodeError as exc:
        log.warning("Meta webhook: signed body is not JSON (line %s, column %s); nothing stored", exc.lineno, exc.colno)
        return _text(400, ctx.t("webhooks.meta.bad_json", line=exc.lineno, column=exc.colno))
    except BadPayload as exc:
        log.warning("Meta webhook: signed body is not a Meta delivery (%s); nothing stored", exc.where)
        return _text(400, ctx.t("webhooks.meta.bad_payload", where=exc.where))
    if delivery.object not in SOURCES:
        log.warning("Meta webhook: object %r is not handled (only page and instagram); acknowledged, nothing stored",
                    delivery.object[:40])
        return _text(200, ctx.t("webhooks.meta.received", created=0, noted=0, duplicates=0, ignored=delivery.ignored))

    with bot.lock:
        by_external = {acc.external_id: acc.id for acc in ctx.accounts.values() if acc.external_id}
        unknown = sorted({e for e in delivery.entry_ids if e not in by_external})
        counts = {"created": 0, "noted": 0, "duplicate": 0, "ignored": delivery.ignored}
        try:
            with ctx.db.atomic():
                for entry_id in unknown:
                    _unknown_entry(ctx, delivery.object, entry_id)
                for event in delivery.events:
                    account_id = by_external.get(event.entry_id)
                    if account_id is not None:
                        counts[_apply(ctx, account_id, event)] += 1
        except Exception:  # noqa: BLE001 - roll back the whole delivery; Meta resends it
            log.exception("Meta webhook: storing a delivery failed; nothing stored, Meta will resend it")
            return _text(500, ctx.t("webhooks.internal_error"))
        _flush(bot)
    if unknown and not any(e in by_external for e in delivery.entry_ids):
        return _text(422, ctx.t("webhooks.meta.unknown_page", ids=", ".join(unknown)))
    log.info("Meta webhook: %s delivery stored: %s", delivery.object, counts)
    return _text(200, ctx.t("webhooks.meta.received", created=counts["created"], noted=counts["noted"],
                            duplicates=counts["duplicate"], ignored=counts["ignored"]))


def _unknown_entry(ctx: Context, obj: str, entry_id: str) -> None:
    """An entry for a page or account no watched account has as external_id: refused, logged, told once a day."""
    log.warning("Meta webhook: no watched account has external_id %s (object %s); its events are refused. "
                "Set external_id on the right account in the config.", entry_id, obj)
    if ctx.once(f"webhook:unknown:{obj}:{entry_id}:{ctx.today().isoformat()}"):
        ctx.audit("uppsikt", "webhook.unknown_account", f"{obj}:{entry_id}", object=obj, external_id=entry_id)
        platform = ctx.t(f"webhooks.platform.{SOURCES[obj][0]}")
        ctx.emit(Message(kind="webhook_unknown_account", to="#" + ctx.settings.municipality.communicator_channel,
                         text=ctx.t("webhooks.meta.unknown_page_alert", platform=platform, id=entry_id)))


def _apply(ctx: Context, account_id: str, event: MetaEvent) -> str:
    """Store one event (inside the delivery's transaction). Returns created, noted, duplicate or ignored."""
    try:
        if event.action == "add":
            return _add(ctx, account_id, event)
        if event.action == "edit":
            return _edit(ctx, account_id, event)
        return _remove(ctx, event)
    except Refused as exc:  # a core refusal skips this event only (its savepoint is rolled back)
        log.warning("Meta webhook: %s %s %s on account %s refused: %s", event.source, event.action,
                    event.external_id, account_id, exc)
        return "ignored"


def _received(ctx: Context, event: MetaEvent) -> dt.datetime:
    now = ctx.now()
    return min(event.created, now) if event.created else now


def _platform(ctx: Context, source: str) -> str:
    return ctx.t(f"webhooks.platform.{PLATFORM_OF_SOURCE.get(source, 'facebook')}")


def _add(ctx: Context, account_id: str, event: MetaEvent) -> str:
    text = event.text or ctx.t("webhooks.no_text", platform=_platform(ctx, event.source))
    _, created = intake.receive(ctx, account_id, text, author=event.author, source=event.source,
                                external_id=event.external_id, permalink=event.permalink, kind=event.kind,
                                received_at=_received(ctx, event))
    return "created" if created else "duplicate"


def _find(ctx: Context, source: str, external_id: str) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM items WHERE source = ? AND external_id = ?", [source, external_id]))
    return rows[0] if rows else None


def _edit(ctx: Context, account_id: str, event: MetaEvent) -> str:
    """An edit becomes its own item (both versions are kept and shown), with a note on the first version's card."""
    original = _find(ctx, event.source, event.external_id)
    if not event.text or (original is not None and original["text"] == event.text):
        return "ignored"
    if original is not None:
        text = ctx.t("webhooks.edited_text", id=original["id"], text=event.text)
    else:
        text = ctx.t("webhooks.edited_text_new", text=event.text)
    item, created = intake.receive(
        ctx, account_id, text, author=event.author or (original or {}).get("author", ""), source=event.source,
        external_id=f"{event.external_id}:edit:{event.edit_key}",
        permalink=event.permalink or (original or {}).get("permalink", ""), kind=event.kind,
        received_at=_received(ctx, event),
    )
    if not created:
        return "duplicate"
    if original is not None:
        account = ctx.account(original["account_id"])
        ctx.emit(Message(kind="item_edited", to="#" + account.channel, account=account.id, item=original["id"],
                         thread=f"item:{original['id']}",
                         text=ctx.t("webhooks.edited_note", platform=_platform(ctx, event.source), new_id=item["id"])))
    return "created"


def _remove(ctx: Context, event: MetaEvent) -> str:
    """Deleted on the platform: the item stays (it is a public record); its card's thread gets a note once."""
    item = _find(ctx, event.source, event.external_id)
    if item is None:
        log.info("Meta webhook: %s %s was removed on the platform but was never received; nothing to note",
                 event.source, event.external_id)
        return "ignored"
    if not ctx.once(f"webhook:removed:{event.source}:{event.external_id}"):
        return "duplicate"
    when = _received(ctx, event) if event.created else ctx.now()
    items.record_history(ctx, item["id"], "uppsikt", "removed_on_platform", item["status"], item["status"],
                         item["assignee"], event.source)
    ctx.audit("uppsikt", "webhook.removed_on_platform", f"item:{item['id']}", source=event.source,
              external_id=event.external_id, at=to_epoch(when))
    text = ctx.t("webhooks.removed_note", platform=_platform(ctx, event.source), time=when.strftime("%Y-%m-%d %H:%M"))
    if ctx.db.execute("SELECT 1 FROM removals WHERE item_id = ?", [item["id"]]).fetchone():
        text += " " + ctx.t("webhooks.removed_note_registered")
    elif item["status"] in items.OPEN_STATUSES:
        text += " " + ctx.t("webhooks.removed_note_open", action=ctx.t("action.no_reply"))
    account = ctx.account(item["account_id"])
    ctx.emit(Message(kind="item_removed_on_platform", to="#" + account.channel, account=account.id,
                     item=item["id"], thread=f"item:{item['id']}", text=text))
    return "noted"


# --------------------------------------------------------------------------- generic signed intake


def _intake_post(bot: Bot, secrets: Secrets, headers: Mapping[str, str], body: bytes) -> HttpResponse:
    ctx = bot.ctx
    if not secrets.intake_secret:
        log.error("Intake webhook refused: INTAKE_SECRET is not set")
        return _json(503, _error(ctx.t("webhooks.intake.not_configured")))
    stamp = headers.get("x-uppsikt-timestamp", "").strip()
    given = headers.get("x-uppsikt-signature", "")
    if not stamp or not given:
        log.warning("Intake webhook refused: missing X-Uppsikt-Timestamp or X-Uppsikt-Signature")
        return _json(401, _error(ctx.t("webhooks.intake.missing_headers")))
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return _json(401, _error(ctx.t("webhooks.intake.bad_timestamp")))
    if not _same(sign_intake(secrets.intake_secret, stamp, body), given):
        log.warning("Intake webhook refused: bad X-Uppsikt-Signature (%d bytes); nothing stored", len(body))
        return _json(401, _error(ctx.t("webhooks.intake.bad_signature")))
    skew = ctx.now_ts() - int(stamp)
    if abs(skew) > INTAKE_MAX_SKEW_SECONDS:
        log.warning("Intake webhook refused: timestamp %s seconds from the bot's clock", skew)
        return _json(401, _error(ctx.t("webhooks.intake.stale", seconds=abs(skew), max=INTAKE_MAX_SKEW_SECONDS)))
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return _json(400, _error(ctx.t("webhooks.bad_encoding")))
    except json.JSONDecodeError as exc:
        return _json(400, _error(ctx.t("webhooks.intake.bad_json", line=exc.lineno, column=exc.colno)))
    try:
        fields = validate_intake(ctx, data)
    except IntakeError as exc:
        return _json(400, _error(exc.text, exc.field))
    with bot.lock:
        try:
            item, created = intake.receive(ctx, fields.pop("account"), fields.pop("text"), **fields)
        except Refused as exc:
            return _json(400, _error(str(exc)))
        except Exception:  # noqa: BLE001
            log.exception("Intake webhook: storing the item failed; nothing stored")
            return _json(500, _error(ctx.t("webhooks.internal_error")))
        _flush(bot)
    log.info("Intake webhook: item %s (%s) on %s", item["id"], "new" if created else "already known", item["account_id"])
    return _json(200, {"item": item["id"], "created": created})


class IntakeError(ValueError):
    def __init__(self, text: str, field: str | None = None):
        super().__init__(text)
        self.text = text
        self.field = field


def validate_intake(ctx: Context, data: object) -> dict:
    """Check a generic intake body; returns the arguments for `intake.receive` or raises IntakeError."""
    if not isinstance(data, dict):
        raise IntakeError(ctx.t("webhooks.intake.not_object"))
    for key in data:
        if key not in INTAKE_FIELDS:
            raise IntakeError(ctx.t("webhooks.intake.unknown_field", field=key, known=", ".join(INTAKE_FIELDS)), key)
    values: dict[str, str] = {}
    for key in INTAKE_FIELDS:
        value = data.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise IntakeError(ctx.t("webhooks.intake.not_text", field=key), key)
        value = value.strip()
        limit = MAX_TEXT_CHARS if key == "text" else MAX_SHORT_CHARS
        if len(value) > limit:
            raise IntakeError(ctx.t("webhooks.intake.too_long", field=key, length=len(value), max=limit), key)
        if key in INTAKE_REQUIRED and not value:
            raise IntakeError(ctx.t("webhooks.intake.missing", field=key), key)
        values[key] = value
    if values["account"] not in ctx.accounts:
        raise IntakeError(ctx.t("webhooks.intake.unknown_account", value=values["account"],
                                known=", ".join(ctx.accounts)), "account")
    source = values["source"] or "intake"
    if not SOURCE_RE.match(source):
        raise IntakeError(ctx.t("webhooks.intake.bad_source", value=source), "source")
    kind = values["kind"] or "comment"
    if kind not in INTAKE_KINDS:
        raise IntakeError(ctx.t("webhooks.intake.bad_kind", value=kind, known=", ".join(INTAKE_KINDS)), "kind")
    permalink = values["permalink"]
    if permalink and (urlsplit(permalink).scheme not in ("http", "https") or not urlsplit(permalink).netloc):
        raise IntakeError(ctx.t("webhooks.intake.bad_permalink"), "permalink")
    received = None
    if values["received_at"]:
        try:
            received = dt.datetime.fromisoformat(values["received_at"])
        except ValueError:
            received = None
        if received is None or received.tzinfo is None:
            raise IntakeError(ctx.t("webhooks.intake.bad_time", value=values["received_at"]), "received_at")
        try:
            received = to_local(received)
        except OverflowError:  # year 1 or 9999 at the edge of a time zone
            raise IntakeError(ctx.t("webhooks.intake.bad_time", value=values["received_at"]), "received_at") from None
        if to_epoch(received) > ctx.now_ts() + INTAKE_MAX_SKEW_SECONDS:
            raise IntakeError(ctx.t("webhooks.intake.future_time", value=values["received_at"]), "received_at")
        received = min(received, ctx.now())
    return {
        "account": values["account"], "text": values["text"], "author": values["author"], "source": source,
        "external_id": values["external_id"], "permalink": permalink, "kind": kind, "received_at": received,
    }


__all__ = [
    "HttpResponse", "INTAKE_PATH", "META_PATH", "MetaEvent", "PATHS", "handle", "parse_meta", "sign_intake",
    "sign_meta", "validate_intake",
]
