"""The platform side of the outbox: delivers `meta:<write id>` rows through the Meta port (issue 11).

The outbox (bot/outbox.py) hands every row whose target starts with ``meta:`` to `PlatformWriter.send`
instead of the chat port. The writer calls the Graph API outside the entry-point lock and records the
outcome in one transaction under it (bot/core/platform.py `succeeded`, `failed`). A transient failure
(timeout, 5xx, rate limit) raises ChatError so the outbox retries it with its backoff or Meta's wait;
everything else is an outcome of its own and the outbox row is done.

Exactly one reply per click: before a reply is sent the write is marked `uncertain`; a definite answer
from Meta clears it. A reply that is still uncertain when it is tried again (the request timed out after
Meta accepted it, a 5xx, a crash mid-request) is first read back: a reply by the Page with the same text
on the comment counts as delivered. A direct message cannot be read back that way, so an uncertain one is
not sent again by itself: it waits and the person who wrote it is asked to check before sending it again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.core import platform
from bot.core.context import Context
from bot.core.platform import GraphError, MetaPort, Published
from bot.messages import Message
from bot.outbox import ChatError

log = logging.getLogger("uppsikt.meta")

DEFAULT_RATE_LIMIT_WAIT = 300.0  # seconds, when Meta names no time to regain access


@dataclass
class PlatformWriter:
    ctx: Context
    lock: threading.RLock
    port: MetaPort

    def send(self, message: Message) -> None:
        write_id = int(dict(message.fields)["write"])
        with self.lock:
            write = platform.write_of(self.ctx, write_id)
        if write is None or write["status"] != "queued":
            return  # cancelled (an undo), resent under another row, or done already
        with self.lock:
            account = self.ctx.accounts.get(write["account_id"])
        if account is None:
            return
        if not self.port.has_token(account.id):
            self._failed(write, GraphError("no_token", "no page access token configured"))
            return
        try:
            published = self._perform(write, account.external_id)
        except GraphError as exc:
            self._handle(write, exc)
            return
        with self.lock, self.ctx.db.atomic():
            platform.succeeded(self.ctx, platform.write_of(self.ctx, write_id), published)
        log.info("meta: write %s (%s) done on account %s", write_id, write["kind"], account.id)

    def _perform(self, write: dict, page_id: str) -> Published | None:
        kind, source, obj = write["kind"], write["source"], write["object_id"]
        account_id = write["account_id"]
        if kind == "reply":
            if write["uncertain"]:
                if source in platform.DM_SOURCES:  # cannot be read back: never send twice, ask the person
                    raise GraphError("uncertain", "a direct message may have been sent; not sent again by itself")
                for reply in self.port.page_replies(account_id, source, obj, page_id):
                    if reply.text.strip() == write["text"].strip() and (not reply.from_id or reply.from_id == page_id):
                        log.info("meta: write %s was published before its request timed out (%s)", write["id"], reply.id)
                        return reply
            with self.lock, self.ctx.db.atomic():
                platform.uncertain(self.ctx, write, True)
            if source in platform.DM_SOURCES:
                with self.lock:
                    item = self.ctx.item(write["item_id"])
                    recipient = platform.author_id(self.ctx, item)
                return self.port.send_message(account_id, source, page_id, recipient, write["text"])
            return self.port.reply(account_id, source, obj, write["text"])
        if kind in ("hide", "unhide"):
            self.port.hide(account_id, source, obj, kind == "hide")
        elif kind == "delete":
            self.port.delete(account_id, source, obj)
        elif kind == "block":
            self.port.block(account_id, page_id, obj)
        else:
            raise GraphError("invalid", f"unknown write kind {kind!r}")
        return None

    def _handle(self, write: dict, exc: GraphError) -> None:
        with self.lock:
            current = platform.write_of(self.ctx, write["id"])
        if exc.kind == "transient":
            with self.lock, self.ctx.db.atomic():
                self.ctx.update("platform_writes", write["id"], {
                    "uncertain": int(exc.uncertain or bool(current["uncertain"])), "error": str(exc)[:500]})
            raise ChatError(f"Graph API: {exc}", retry_after=exc.retry_after)
        if exc.kind == "rate_limit":
            wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RATE_LIMIT_WAIT
            with self.lock, self.ctx.db.atomic():
                platform.delayed(self.ctx, current, exc, wait)
            raise ChatError(f"Graph API rate limit: {exc}", retry_after=wait)
        self._failed(current, exc)

    def _failed(self, write: dict, exc: GraphError) -> None:
        log.warning("meta: write %s (%s) on account %s failed: %s (code %s/%s)", write["id"], write["kind"],
                    write["account_id"], exc.kind, exc.code, exc.subcode)
        with self.lock, self.ctx.db.atomic():
            platform.failed(self.ctx, platform.write_of(self.ctx, write["id"]), exc)


__all__ = ["PlatformWriter"]
