"""Platform deliveries: what a social-media platform tells us about its content, as core decisions.

The intake webhooks (bot/adapters/webhooks.py) check signatures and read the platform's format into
`PlatformEvent`s; everything decided about them is here:

- an addition becomes an item (intake is idempotent on source and external id);
- an edit becomes a new item of its own (both versions are kept and shown), with a note in the first
  version's card thread;
- a removal on the platform is written to the item's history and the audit log, and noted once in
  its card thread (the item stays: it is a public record);
- a page or account no watched account has as external_id is refused, logged, and the communicators
  are alerted once a day;
- the generic signed intake's fields are checked (`validate_intake`) before they become an item.

A whole delivery is one transaction: all of it is stored, or none (the platform resends it).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.clock import to_epoch, to_local
from bot.core import archive, channels, intake, items, platform
from bot.core.context import Context, Refused
from bot.messages import Message

log = logging.getLogger("uppsikt.webhooks")

# A delivery's `object` -> (the platform of its feed and comments, the platform of its direct messages).
SOURCES = {"page": ("facebook", "messenger"), "instagram": ("instagram", "instagram_dm")}
PLATFORM_OF_SOURCE = {"facebook": "facebook", "messenger": "messenger", "instagram": "instagram",
                      "instagram_dm": "instagram"}

INTAKE_FIELDS = ("account", "text", "author", "external_id", "source", "permalink", "kind", "received_at")
INTAKE_REQUIRED = ("account", "text", "external_id")
INTAKE_KINDS = ("comment", "post", "dm")
INTAKE_MAX_SKEW_SECONDS = 300  # replay protection and the latest acceptable received_at
MAX_TEXT_CHARS = 20_000
MAX_SHORT_CHARS = 500
SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,31}$")


@dataclass(frozen=True)
class PlatformEvent:
    """One thing a citizen did on a platform: add, edit or remove."""

    entry_id: str
    action: str  # add | edit | remove | hide | unhide
    source: str  # facebook | instagram | messenger | instagram_dm
    external_id: str
    kind: str = "comment"  # comment | post | dm
    text: str = ""
    author: str = ""
    permalink: str = ""
    created: dt.datetime | None = None
    edit_key: str = ""
    author_id: str = ""  # the platform's id of the citizen (comment `from.id`, message sender PSID): replies, blocks
    # Issue 12 (the archive): action may also be hide | unhide; own content never becomes an item
    own: bool = False  # written by the municipality's page or account itself (its posts and replies)
    parent_id: str = ""  # a comment's post (or parent comment)
    raw: str = ""  # the platform's original JSON of this change, kept in the archive
    via: str = "webhook"  # webhook | backfill


@dataclass
class DeliveryResult:
    """What one delivery led to: counts by outcome and the page ids no watched account has."""

    counts: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    any_known: bool = False


def receive_delivery(ctx: Context, obj: str, entry_ids: list[str], events: list[PlatformEvent],
                     ignored: int = 0) -> DeliveryResult:
    """Store one delivery in one transaction (an exception rolls all of it back)."""
    by_external = {acc.external_id: acc.id for acc in ctx.accounts.values() if acc.external_id}
    result = DeliveryResult(counts={"created": 0, "noted": 0, "duplicate": 0, "ignored": ignored},
                            unknown=sorted({e for e in entry_ids if e not in by_external}),
                            any_known=any(e in by_external for e in entry_ids))
    with ctx.db.atomic():
        for entry_id in result.unknown:
            _unknown_entry(ctx, obj, entry_id)
        for event in events:
            account_id = by_external.get(event.entry_id)
            if account_id is not None:
                result.counts[_apply(ctx, account_id, event)] += 1
        if all(e.via == "webhook" for e in events):  # issue 12: the webhook still brings the account's news
            for account_id in sorted({by_external[e] for e in entry_ids if e in by_external}):
                channels.heard(ctx, account_id)
    return result


def _unknown_entry(ctx: Context, obj: str, entry_id: str) -> None:
    """An entry for a page or account no watched account has as external_id: refused, logged, told once a day."""
    log.warning("Meta webhook: no watched account has external_id %s (object %s); its events are refused. "
                "Set external_id on the right account in the config.", entry_id, obj)
    if ctx.once(f"webhook:unknown:{obj}:{entry_id}:{ctx.today().isoformat()}"):
        ctx.audit("uppsikt", "webhook.unknown_account", f"{obj}:{entry_id}", object=obj, external_id=entry_id)
        platform = ctx.t(f"webhooks.platform.{SOURCES[obj][0]}")
        ctx.emit(Message(kind="webhook_unknown_account", to="#" + ctx.settings.municipality.communicator_channel,
                         text=ctx.t("webhooks.meta.unknown_page_alert", platform=platform, id=entry_id)))


def _apply(ctx: Context, account_id: str, event: PlatformEvent) -> str:
    """Store one event (inside the delivery's transaction). Returns created, noted, duplicate or ignored.

    Everything on a watched account is kept in the archive (issue 12); the municipality's own content and
    hides never become items, so they count as skipped (`ignored`: no item), or as `duplicate` when the
    archive knew them already."""
    try:
        _, archived = archive.capture(ctx, account_id, event)
        if event.own or event.action in ("hide", "unhide"):
            return "ignored" if archived != "known" else "duplicate"
        if event.action == "add":
            outcome = _add(ctx, account_id, event)
        elif event.action == "edit":
            outcome = _edit(ctx, account_id, event)
        else:
            outcome = _remove(ctx, event)
        if event.action != "add":  # an add's item is linked by intake; an older item is linked here
            item = intake.find(ctx, event.source, event.external_id)
            if item is not None:
                archive.capture_item(ctx, item)
        return outcome
    except Refused as exc:  # a core refusal skips this event only (its savepoint is rolled back)
        log.warning("Meta webhook: %s %s %s on account %s refused: %s", event.source, event.action,
                    event.external_id, account_id, exc)
        return "ignored"


def _received(ctx: Context, event: PlatformEvent) -> dt.datetime:
    now = ctx.now()
    return min(event.created, now) if event.created else now


def _platform(ctx: Context, source: str) -> str:
    return ctx.t(f"webhooks.platform.{PLATFORM_OF_SOURCE.get(source, 'facebook')}")


def _add(ctx: Context, account_id: str, event: PlatformEvent) -> str:
    text = event.text or ctx.t("webhooks.no_text", platform=_platform(ctx, event.source))
    _, created = intake.receive(ctx, account_id, text, author=event.author, source=event.source,
                                external_id=event.external_id, permalink=event.permalink, kind=event.kind,
                                received_at=_received(ctx, event))
    platform.remember_author(ctx, event.source, event.external_id, event.author_id)  # issue 11
    return "created" if created else "duplicate"


def _edit(ctx: Context, account_id: str, event: PlatformEvent) -> str:
    """An edit becomes its own item (both versions are kept and shown), with a note on the first version's card."""
    original = intake.find(ctx, event.source, event.external_id)
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
        received_at=_received(ctx, event), archive=False,  # the archive keeps it as the object's next version
    )
    if not created:
        return "duplicate"
    if original is not None:
        account = ctx.account(original["account_id"])
        ctx.emit(Message(kind="item_edited", to="#" + account.channel, account=account.id, item=original["id"],
                         thread=f"item:{original['id']}",
                         text=ctx.t("webhooks.edited_note", platform=_platform(ctx, event.source), new_id=item["id"])))
    return "created"


def _remove(ctx: Context, event: PlatformEvent) -> str:
    """Deleted on the platform: the item stays (it is a public record); its card's thread gets a note once."""
    item = intake.find(ctx, event.source, event.external_id)
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


# --------------------------------------------------------------------------- the generic signed intake


class IntakeError(Refused):
    """A generic intake body the core does not accept; `field` names the JSON field at fault (or None)."""

    def __init__(self, ctx: Context, key: str, where: str | None = None, **values: object):
        super().__init__(ctx.t(key, **values), problems=(ctx.problem(key, where, **values),))
        self.text = str(self)


def validate_intake(ctx: Context, data: object) -> dict:
    """Check a generic intake body; returns the arguments for `intake.receive` or raises IntakeError."""
    if not isinstance(data, dict):
        raise IntakeError(ctx, "webhooks.intake.not_object")
    for key in data:
        if key not in INTAKE_FIELDS:
            raise IntakeError(ctx, "webhooks.intake.unknown_field", key, field=key, known=", ".join(INTAKE_FIELDS))
    values: dict[str, str] = {}
    for key in INTAKE_FIELDS:
        value = data.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise IntakeError(ctx, "webhooks.intake.not_text", key, field=key)
        value = value.strip()
        limit = MAX_TEXT_CHARS if key == "text" else MAX_SHORT_CHARS
        if len(value) > limit:
            raise IntakeError(ctx, "webhooks.intake.too_long", key, field=key, length=len(value), max=limit)
        if key in INTAKE_REQUIRED and not value:
            raise IntakeError(ctx, "webhooks.intake.missing", key, field=key)
        values[key] = value
    if values["account"] not in ctx.accounts:
        raise IntakeError(ctx, "webhooks.intake.unknown_account", "account", value=values["account"],
                          known=", ".join(ctx.accounts))
    source = values["source"] or "intake"
    if not SOURCE_RE.match(source):
        raise IntakeError(ctx, "webhooks.intake.bad_source", "source", value=source)
    kind = values["kind"] or "comment"
    if kind not in INTAKE_KINDS:
        raise IntakeError(ctx, "webhooks.intake.bad_kind", "kind", value=kind, known=", ".join(INTAKE_KINDS))
    permalink = values["permalink"]
    if permalink and (urlsplit(permalink).scheme not in ("http", "https") or not urlsplit(permalink).netloc):
        raise IntakeError(ctx, "webhooks.intake.bad_permalink", "permalink")
    received = None
    if values["received_at"]:
        try:
            received = dt.datetime.fromisoformat(values["received_at"])
        except ValueError:
            received = None
        if received is None or received.tzinfo is None:
            raise IntakeError(ctx, "webhooks.intake.bad_time", "received_at", value=values["received_at"])
        try:
            received = to_local(received)
        except OverflowError:  # year 1 or 9999 at the edge of a time zone
            raise IntakeError(ctx, "webhooks.intake.bad_time", "received_at", value=values["received_at"]) from None
        if to_epoch(received) > ctx.now_ts() + INTAKE_MAX_SKEW_SECONDS:
            raise IntakeError(ctx, "webhooks.intake.future_time", "received_at", value=values["received_at"])
        received = min(received, ctx.now())
    return {
        "account": values["account"], "text": values["text"], "author": values["author"], "source": source,
        "external_id": values["external_id"], "permalink": permalink, "kind": kind, "received_at": received,
    }


def receive_intake(ctx: Context, data: object) -> tuple[dict, bool]:
    """A generic intake body -> (item, created); raises IntakeError or Refused."""
    fields = validate_intake(ctx, data)
    return intake.receive(ctx, fields.pop("account"), fields.pop("text"), **fields)


__all__ = ["DeliveryResult", "IntakeError", "PlatformEvent", "receive_delivery", "receive_intake", "validate_intake"]
