"""Writing back to Facebook and Instagram (issue 11): reply, hide, delete and block from the card.

The decisions live here; the Graph API itself is a port (`MetaPort`, implemented by
bot/adapters/meta/graph.py and by the loopback mock in tests). Every platform write is
a row in `platform_writes`, queued in the same transaction that caused it, with an
outbox row whose target is ``meta:<write id>``; the outbox hands that row to the
`PlatformWriter` (bot/platform_writer.py), which calls the port and records the outcome
here (`succeeded`, `failed`). So a write is delivered at least once and never lost;
a reply whose request may have reached Meta (a timeout, a 5xx) is read back before it
is tried again, so it is published once.

Who may do it (docs/security.md): replying and removing on the platform need the same
people as registering a removal (`moderation.may_moderate`: the account's staff and the
communicators); blocking needs the account's administrators (owner, admins) or a
communicator. Every write, queued and done, is in the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.clock import from_epoch, to_epoch
from bot.core import accounts, archive, channels, items
from bot.core.context import Context, Refused
from bot.core.media import MEDIA_TYPES, REFUSALS, Downloaded, MediaError  # the port's download (archive media)
from bot.core.moderation import ground_label, may_moderate
from bot.messages import Action, Message
from bot.settings import Account

META_SOURCES = ("facebook", "instagram", "messenger", "instagram_dm")
COMMENT_SOURCES = ("facebook", "instagram")
DM_SOURCES = ("messenger", "instagram_dm")
TARGET_PREFIX = "meta:"
WRITE_KIND = "platform_write"  # the outbox row of a platform write: delivered to the Meta port, never to a chat
MESSAGING_WINDOW_HOURS = 24  # Meta's standard messaging window after the person's last message
PLACEHOLDERS = ("namn", "konto", "signatur")
ALERT_KINDS = ("token", "permission", "no_token")
WRITE_KINDS = ("reply", "hide", "unhide", "delete", "block")


# --------------------------------------------------------------------------- the port


@dataclass(frozen=True)
class Published:
    """An object on the platform: a reply or message the Page published, as the Graph API returns it."""

    id: str
    text: str = ""
    permalink: str = ""
    from_id: str = ""


class GraphError(Exception):
    """A Graph API call that did not succeed, read from Meta's error object.

    `kind`: token (190), permission (10, 200-299), gone (100: unknown or deleted object), blocked (368),
    window (the messaging window has closed), rate_limit (4, 17, 32, 613, 80001…), transient (5xx,
    timeout, connection), invalid (anything else). `uncertain`: the request may have been carried out
    (a timeout or a 5xx after sending)."""

    def __init__(self, kind: str, message: str = "", *, code: int | None = None, subcode: int | None = None,
                 status: int | None = None, retry_after: float | None = None, uncertain: bool = False):
        super().__init__(message or kind)
        self.kind = kind
        self.code = code
        self.subcode = subcode
        self.status = status
        self.retry_after = retry_after
        self.uncertain = uncertain


@dataclass(frozen=True)
class TokenInfo:
    """What Meta says about an account's page token (`GET /debug_token`, issue 12 channel health)."""

    valid: bool
    app_id: str = ""  # the app the token belongs to: ours, so the subscription check looks for it
    profile_id: str = ""  # the Page of a page token (an Instagram account's linked Page)
    expires_at: int = 0  # epoch seconds; 0: never expires
    scopes: tuple[str, ...] = ()
    error: str = ""  # why it is not valid (Meta's message)


@dataclass(frozen=True)
class Chunk:
    """One page of a Graph API list: the rows as Meta returned them and the `after` cursor of the next page
    ("" when this was the last)."""

    rows: tuple[dict, ...]
    after: str = ""


class MetaPort(Protocol):
    """The Meta port: one page access token per account (the client looks it up). Writes (issue 11) and the
    reads of channel health and backfill (issue 12)."""

    def has_token(self, account_id: str) -> bool: ...

    def reply(self, account_id: str, source: str, object_id: str, text: str) -> Published: ...

    def page_replies(self, account_id: str, source: str, object_id: str, page_id: str) -> list[Published]: ...

    def send_message(self, account_id: str, source: str, page_id: str, recipient: str, text: str) -> Published: ...

    def hide(self, account_id: str, source: str, object_id: str, hidden: bool) -> None: ...

    def delete(self, account_id: str, source: str, object_id: str) -> None: ...

    def block(self, account_id: str, page_id: str, user_id: str) -> None: ...

    def token_info(self, account_id: str) -> TokenInfo: ...

    def subscribed_apps(self, account_id: str, page_id: str) -> list[dict]: ...

    def posts(self, account_id: str, source: str, owner_id: str, after: str = "") -> Chunk: ...

    def comments(self, account_id: str, source: str, object_id: str, after: str = "") -> Chunk: ...

    def download(self, url: str, into: Path) -> Downloaded:
        """Fetch an attachment's link (https, Meta's media hosts only, size and type limits) into a temporary
        file in the folder `into`; MediaError when it cannot or may not be fetched."""
        ...


# --------------------------------------------------------------------------- reading


def write_of(ctx: Context, write_id: int) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM platform_writes WHERE id = ?", [write_id]))
    return rows[0] if rows else None


def writes_for(ctx: Context, item_id: int) -> list[dict]:
    return list(ctx.db.query("SELECT * FROM platform_writes WHERE item_id = ? ORDER BY id", [item_id]))


def author_id(ctx: Context, item: dict) -> str:
    row = ctx.db.execute("SELECT author_id FROM platform_authors WHERE source = ? AND external_id = ?",
                         [item["source"], item["external_id"]]).fetchone()
    return row[0] if row else ""


def remember_author(ctx: Context, source: str, external_id: str, author: str) -> None:
    """The platform's id of a citizen who wrote something (a comment's `from.id`, a message's sender PSID)."""
    if author and source in META_SOURCES:
        ctx.db.execute("INSERT OR IGNORE INTO platform_authors (source, external_id, author_id) VALUES (?, ?, ?)",
                       [source, external_id, author])


def writes_on(account: Account) -> bool:
    return account.platform in ("facebook", "instagram") and account.policy.platform.write


def can_reply(ctx: Context, account: Account, item: dict) -> bool:
    """Whether the card offers "Svara": a Meta item on an account with write features on."""
    return writes_on(account) and item["source"] in META_SOURCES


def _platform(ctx: Context, source: str) -> str:
    return ctx.t(f"webhooks.platform.{'instagram' if source.startswith('instagram') else source}")


def may_block(ctx: Context, account: Account, person: str) -> bool:
    """M3: the account's administrators (owner, admins) and the communicators decide a block."""
    return person in account.administrators or "communicator" in ctx.person(person).roles


# --------------------------------------------------------------------------- templates


def templates(ctx: Context, account: Account, item: dict | None = None) -> list[tuple[str, str]]:
    """The reply templates of the account's policy (municipality and account), as (title, text); for a removed
    item also the public notice of why, built from the ground's phrase."""
    out = []
    for template in account.policy.platform.templates:
        title, _, text = template.partition(":")
        out.append((title.strip(), text.strip()))
    if item is not None:
        removal = ctx.db.execute("SELECT ground FROM removals WHERE item_id = ?", [item["id"]]).fetchone()
        if removal:
            out.append((ctx.t("graph.template.removal_title"),
                        ctx.t("graph.template.removal_text", ground=ground_label(ctx, removal[0]))))
    return out


def fill(text: str, *, name: str, account: str, signature: str) -> str:
    for key, value in (("namn", name), ("konto", account), ("signatur", signature)):
        text = text.replace("{" + key + "}", value)
    return text.strip()


# --------------------------------------------------------------------------- replying


def _checked_item(ctx: Context, actor: str, item_id: int) -> tuple[dict, Account]:
    item = items.get(ctx, item_id)
    account = ctx.account(item["account_id"])
    if item["source"] not in META_SOURCES:
        raise ctx.refusal("graph.not_meta", id=item_id)
    if not writes_on(account):
        raise ctx.refusal("graph.write_off", account=ctx.label(account))
    if not may_moderate(ctx, account, actor):
        raise ctx.refusal("graph.reply_not_allowed", account=ctx.label(account))
    return item, account


def compose(ctx: Context, actor: str, item_id: int, text: str, template: str = "", author: str = "") -> dict:
    """What would be published: the typed text (or the chosen template) with the author's signature (Q4),
    and the klarspråk feedback on it (Q8). Refused when the reply cannot be sent."""
    item, account = _checked_item(ctx, actor, item_id)
    removed = ctx.db.execute("SELECT 1 FROM removals WHERE item_id = ?", [item_id]).fetchone() is not None
    if item["status"] in items.DONE_STATUSES and not removed:  # a removed comment may get the public notice why
        raise ctx.refusal("graph.already_done", id=item_id, status=ctx.t(f"status.{item['status']}"))
    if removed and ctx.db.execute("SELECT 1 FROM platform_writes WHERE item_id = ? AND kind = 'reply' "
                                  "AND status = 'done'", [item_id]).fetchone():
        raise ctx.refusal("graph.already_done", id=item_id, status=ctx.t(f"status.{item['status']}"))
    if item["flag"]:
        raise ctx.refusal("graph.flagged", id=item_id)
    pending = ctx.db.execute("SELECT id FROM platform_writes WHERE item_id = ? AND kind = 'reply' "
                             "AND status IN ('queued', 'waiting')", [item_id]).fetchone()
    if pending:
        raise ctx.refusal("graph.reply_pending", id=item_id, write=pending[0])
    if item["source"] in DM_SOURCES:
        opened = item["received_at"] + MESSAGING_WINDOW_HOURS * 3600
        if ctx.now_ts() > opened:
            raise ctx.refusal("graph.window_closed", "answer", platform=_platform(ctx, item["source"]),
                              at=from_epoch(opened).strftime("%Y-%m-%d %H:%M"))
        if not author_id(ctx, item):
            raise ctx.refusal("graph.no_recipient", id=item_id)
    writer = ctx.person(items._answer_author(ctx, account, item, actor, author))
    signature = items.signature(writer, ctx)
    chosen = dict(templates(ctx, account, item))
    if template and template not in chosen:
        raise ctx.refusal("graph.unknown_template", "template", template=template, known=", ".join(chosen) or "–")
    body = text.strip() or chosen.get(template, "")
    if not body:
        raise ctx.refusal("graph.empty_reply", "answer")
    body = fill(body, name=(item["author"] or "").split(" ")[0], account=account.name, signature=signature)
    final = body if signature in body else f"{body}\n{signature}"
    return {"item": item, "account": account, "text": final, "signature": signature, "author": writer.email,
            "feedback": accounts.reply_check(ctx, body)}


def reply(ctx: Context, actor: str, item_id: int, text: str = "", template: str = "", author: str = "",
          confirm: str = ""):
    """The "Svara" form: without `confirm` a preview (the text with its signature and the klarspråk feedback);
    with it, the reply is queued for the Page to publish. Returns (sentence, data)."""
    composed = compose(ctx, actor, item_id, text, template, author)
    item, account = composed["item"], composed["account"]
    platform = _platform(ctx, item["source"])
    preview = ctx.t("graph.preview", platform=platform, text=composed["text"], signature=composed["signature"])
    if composed["feedback"]:
        preview += "\n" + composed["feedback"]
    data = {"preview": composed["text"], "feedback": composed["feedback"], "signature": composed["signature"],
            "text": text, "template": template}
    if not confirm:
        return preview, data
    with ctx.db.atomic():
        write_id = queue(ctx, actor, item, account, "reply", item["external_id"], text=composed["text"],
                         author=composed["author"])
    return ctx.t("graph.reply_queued", id=item_id, platform=platform), data | {"write": write_id}


def queue(ctx: Context, actor: str, item: dict | None, account: Account, kind: str, object_id: str, *,
          text: str = "", author: str = "", removal: int | None = None, at: int | None = None,
          source: str | None = None) -> int:
    """One platform write and its outbox row, in the caller's transaction (the outbox delivers it at `at`)."""
    now = ctx.now_ts()
    write_id = ctx.insert("platform_writes", {
        "item_id": item["id"] if item else None, "account_id": account.id, "kind": kind,
        "source": source or (item["source"] if item else account.platform), "object_id": object_id,
        "text": text, "author": author or None, "actor": actor, "status": "queued", "created_at": now,
        "not_before": at or now, "removal_id": removal,
    })
    message = Message(kind=WRITE_KIND, to=f"{TARGET_PREFIX}{write_id}", account=account.id,
                      item=item["id"] if item else None, text=kind, fields=(("write", str(write_id)),))
    ctx.insert("outbox", {"created_at": now, "kind": message.kind, "target": message.to, "account_id": account.id,
                          "item_id": message.item, "message": message.to_json(), "status": "pending",
                          "next_attempt_at": at or 0})
    ctx.audit(actor, f"platform.{kind}.queued", f"item:{item['id']}" if item else f"account:{account.id}",
              write=write_id, account=account.id, object=object_id)
    if item is not None:
        items.record_history(ctx, item["id"], actor, f"platform_{kind}", item["status"], item["status"],
                             item["assignee"], "")
    return write_id


def resend(ctx: Context, actor: str, write_id: int) -> str:
    """A write that waits (a token or permission problem, a closed window, a temporary block) is sent again."""
    with ctx.db.atomic():
        write = write_of(ctx, write_id)
        if write is None:
            raise ctx.refusal("graph.no_write", write=write_id)
        account = ctx.account(write["account_id"])
        if actor != write["actor"] and not may_moderate(ctx, account, actor):
            raise ctx.refusal("graph.reply_not_allowed", account=ctx.label(account))
        if write["status"] != "waiting":
            raise ctx.refusal("graph.not_waiting", write=write_id, status=write["status"])
        ctx.update("platform_writes", write_id, {"status": "queued", "error": "", "problem": None})
        message = Message(kind=WRITE_KIND, to=f"{TARGET_PREFIX}{write_id}", account=account.id,
                          item=write["item_id"], text=write["kind"], fields=(("write", str(write_id)),))
        ctx.emit(message)
        ctx.audit(actor, f"platform.{write['kind']}.resend", f"write:{write_id}", account=account.id)
    return ctx.t("graph.resent", write=write_id)


# --------------------------------------------------------------------------- removal on the platform


def next_midnight(ctx: Context) -> int:
    tomorrow = ctx.today() + dt.timedelta(days=1)
    return to_epoch(dt.datetime.combine(tomorrow, dt.time(0, 0), tzinfo=ctx.now().tzinfo))


def after_removal(ctx: Context, actor: str, item_id: int, removal: dict) -> str:
    """A registered removal (M1) hides the comment at once; with the policy's `removal = "delete"` it is deleted
    at midnight unless undone the same day. The full record is kept either way. Returns a sentence ("" when the
    account does not write to the platform)."""
    item = items.get(ctx, item_id)
    account = ctx.account(item["account_id"])
    if not writes_on(account) or item["source"] not in COMMENT_SOURCES:
        return ""
    with ctx.db.atomic():
        queue(ctx, actor, item, account, "hide", item["external_id"], removal=removal["id"])
        if account.policy.platform.removal == "delete":
            queue(ctx, actor, item, account, "delete", item["external_id"], removal=removal["id"],
                  at=next_midnight(ctx))
            return ctx.t("graph.hide_then_delete", platform=_platform(ctx, item["source"]))
    return ctx.t("graph.hide_queued", platform=_platform(ctx, item["source"]))


def undo(ctx: Context, actor: str, item_id: int) -> str:
    """Undo a removal on the platform the same day: the comment is shown again and a pending delete is cancelled.
    The removal record is kept (it is a public record); the undo is in its history and the audit log."""
    with ctx.db.atomic():
        item = items.get(ctx, item_id)
        account = ctx.account(item["account_id"])
        if not may_moderate(ctx, account, actor):
            raise ctx.refusal("moderation.not_allowed", account=ctx.label(account))
        hides = [w for w in writes_for(ctx, item_id) if w["kind"] == "hide" and w["status"] != "cancelled"]
        if not hides:
            raise ctx.refusal("graph.nothing_to_undo", id=item_id)
        hide = hides[-1]
        if from_epoch(hide["created_at"]).date() != ctx.today():
            raise ctx.refusal("graph.undo_too_late", id=item_id)
        if any(w["kind"] == "delete" and w["status"] == "done" for w in writes_for(ctx, item_id)):
            raise ctx.refusal("graph.undo_deleted", id=item_id)
        for w in writes_for(ctx, item_id):
            if w["kind"] in ("delete", "hide") and w["status"] in ("queued", "waiting"):
                ctx.update("platform_writes", w["id"], {"status": "cancelled", "done_at": ctx.now_ts()})
        if hide["status"] == "done":
            queue(ctx, actor, item, account, "unhide", item["external_id"], removal=hide["removal_id"])
        ctx.audit(actor, "platform.undo", f"item:{item_id}", hide=hide["id"])
    return ctx.t("graph.undone", id=item_id, platform=_platform(ctx, item["source"]))


# --------------------------------------------------------------------------- blocking (M3)


def block(ctx: Context, actor: str, item_id: int) -> str:
    """A person with the right role confirms the block the bot recommended: the author is blocked on the Page.
    Instagram has no block endpoint: say so and offer to hide."""
    with ctx.db.atomic():
        item = items.get(ctx, item_id)
        account = ctx.account(item["account_id"])
        if not writes_on(account) or item["source"] not in META_SOURCES:
            raise ctx.refusal("graph.write_off", account=ctx.label(account))
        if not may_block(ctx, account, actor):
            raise ctx.refusal("graph.block_not_allowed", account=ctx.label(account))
        if item["source"].startswith("instagram"):
            raise ctx.refusal("graph.block_instagram", id=item_id)
        user = author_id(ctx, item)
        if not user:
            raise ctx.refusal("graph.no_recipient", id=item_id)
        if ctx.db.execute("SELECT 1 FROM platform_writes WHERE kind = 'block' AND account_id = ? AND object_id = ? "
                          "AND status IN ('queued', 'done')", [account.id, user]).fetchone():
            raise ctx.refusal("graph.already_blocked", author=item["author"] or user)
        queue(ctx, actor, item, account, "block", user)
    return ctx.t("graph.block_queued", author=item["author"] or user, account=ctx.label(account))


# --------------------------------------------------------------------------- outcomes (the writer calls these)


def _tell(ctx: Context, write: dict, key: str, *, resend: bool = False, **values: object) -> None:
    actions = (Action("platform_resend", ctx.t("graph.action.resend"), str(write["id"])),) if resend else ()
    ctx.emit(Message(kind="platform_result", to=write["actor"], account=write["account_id"], item=write["item_id"],
                     text=ctx.t(key, id=write["item_id"] or "–", write=write["id"], **values), actions=actions))


def succeeded(ctx: Context, write: dict, published: Published | None) -> None:
    """Record a write the platform carried out (call inside db.atomic())."""
    now = ctx.now_ts()
    ctx.update("platform_writes", write["id"], {
        "status": "done", "done_at": now, "uncertain": 0, "error": "", "problem": None,
        "platform_id": published.id if published else None, "permalink": published.permalink if published else None})
    ctx.db.execute("DELETE FROM dispatched WHERE key LIKE ?", [f"graph:alert:%:{write['account_id']}"])
    ctx.audit(write["actor"], f"platform.{write['kind']}", f"item:{write['item_id']}", write=write["id"],
              account=write["account_id"], object=write["object_id"],
              platform_id=published.id if published else None)
    if write["kind"] == "reply" and published is not None:  # issue 12: the municipality's reply is archived
        archive.published(ctx, write, published.id, published.text or write["text"], published.permalink)
    else:  # a hide, unhide or delete done through Uppsikt, with the colleague as actor
        archive.platform_write_done(ctx, write)
    item = items.get(ctx, write["item_id"]) if write["item_id"] else None
    if item is None:
        return
    platform = _platform(ctx, write["source"])
    account = ctx.account(write["account_id"])
    if write["kind"] == "reply":
        items.record_history(ctx, item["id"], write["actor"], "platform_reply_published", item["status"],
                             item["status"], item["assignee"], published.id if published else "")
        if item["status"] not in items.DONE_STATUSES:  # R1: the published answer is the record, with the question
            items.act(ctx, write["actor"], item["id"], "answered", answer=write["text"], author=write["author"] or "")
        link = (published.permalink if published else "") or "–"
        ctx.emit(Message(kind="platform_published", to="#" + account.channel, account=account.id, item=item["id"],
                         thread=f"item:{item['id']}",
                         text=ctx.t("graph.published_note", platform=platform, person=ctx.person(write["actor"]).name,
                                    link=link)))
        _tell(ctx, write, "graph.published", platform=platform, link=link)
        return
    items.record_history(ctx, item["id"], write["actor"], f"platform_{write['kind']}_done", item["status"],
                         item["status"], item["assignee"], "")
    actions: tuple[Action, ...] = ()
    if write["kind"] == "hide":  # undo the same day; or tell the author why, from the ground's public phrase
        actions = (Action("platform_undo", ctx.t("graph.action.undo"), str(item["id"])),
                   Action("reply", ctx.t("graph.action.notice"), str(item["id"])))
    ctx.emit(Message(kind="platform_done", to="#" + account.channel, account=account.id, item=item["id"],
                     thread=f"item:{item['id']}", actions=actions,
                     text=ctx.t(f"graph.done.{write['kind']}", platform=platform,
                                person=ctx.person(write["actor"]).name, author=item["author"] or "–")))


def uncertain(ctx: Context, write: dict, value: bool) -> None:
    ctx.update("platform_writes", write["id"], {"uncertain": int(value), "attempts": write["attempts"] + 1})


def delayed(ctx: Context, write: dict, error: GraphError, retry_after: float) -> None:
    """A rate limit: the write waits and goes by itself; the person who pressed is told once."""
    ctx.update("platform_writes", write["id"], {"error": str(error)[:500], "uncertain": 0})
    if ctx.once(f"graph:rate:{write['id']}"):
        _tell(ctx, write, "graph.failure.rate_limit", platform=_platform(ctx, write["source"]),
              minutes=max(1, round(retry_after / 60)))


def failed(ctx: Context, write: dict, error: GraphError) -> None:
    """A write the platform refused (call inside db.atomic()): the person who pressed is told what happened and
    what to do; token and permission problems are told to the communicators once; the write waits (and can be
    sent again) unless it can never succeed."""
    kind = error.kind
    platform = _platform(ctx, write["source"])
    account = ctx.account(write["account_id"])
    status = "waiting"
    if kind == "gone":
        status = "done" if write["kind"] == "delete" else "failed"
    if kind == "gone" and write["kind"] == "delete":  # deleted already (by its author): the goal is reached
        succeeded(ctx, write, None)
        return
    if kind == "invalid":
        status = "failed"
    ctx.update("platform_writes", write["id"], {"status": status, "problem": kind, "error": str(error)[:500],
                                               "uncertain": int(error.uncertain), "done_at": ctx.now_ts()})
    ctx.audit("uppsikt", f"platform.{write['kind']}.failed", f"item:{write['item_id']}", write=write["id"],
              account=account.id, problem=kind, code=error.code, subcode=error.subcode)
    key = f"graph.failure.{kind if kind in FAILURE_KINDS else 'invalid'}"
    what = ctx.t(f"graph.what.{write['kind']}")
    _tell(ctx, write, key, resend=status == "waiting", platform=platform, what=what, account=ctx.label(account),
          text=write["text"] or "–")
    if kind in ALERT_KINDS and ctx.once(f"graph:alert:{kind}:{account.id}"):
        ctx.emit(Message(kind="platform_alert", to="#" + ctx.settings.municipality.communicator_channel,
                         account=account.id,
                         text=ctx.t(f"graph.alert.{kind}", platform=platform, account=ctx.label(account),
                                    env=token_env(account.id))))
    if write["item_id"]:
        item = items.get(ctx, write["item_id"])
        items.record_history(ctx, item["id"], "uppsikt", f"platform_{write['kind']}_failed", item["status"],
                             item["status"], item["assignee"], kind)


FAILURE_KINDS = ("token", "permission", "gone", "blocked", "window", "rate_limit", "invalid", "uncertain",
                 "no_token")


def token_env(account_id: str) -> str:
    """The environment variable that holds the account's page access token."""
    return channels.token_env(account_id)


def missing_tokens(accounts_: dict[str, Account], env: dict[str, str]) -> list[Account]:
    """Accounts with write features on but no page token in the environment (check-config)."""
    return [a for a in accounts_.values() if writes_on(a) and not env.get(token_env(a.id), "").strip()]


__all__ = ["Chunk", "Downloaded", "GraphError", "MEDIA_TYPES", "MediaError", "REFUSALS", "MetaPort", "Published", "TokenInfo", "TARGET_PREFIX", "after_removal", "block", "can_reply", "compose",
           "failed", "missing_tokens", "queue", "reply", "resend", "succeeded", "templates", "token_env", "undo"]
