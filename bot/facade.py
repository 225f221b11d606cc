"""The Bot facade: the one door every adapter (console, simulator, Slack, Teams, webhooks) uses.

Entry points only: each runs under the entry-point lock (scheduler and chat threads share one
SQLite connection) and what it caused leaves through the outbox after the lock is released.
The work itself lives in the core (bot/core/), the outbox (bot/outbox.py), the tick
(bot/tick.py) and the history import (bot/history.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from pathlib import Path

import sqlite_utils

from bot import history, tick
from bot.clock import FakeClock
from bot.core import accounts, commands, departed, intake, oversight, reactions
from bot.core.context import Context, Refused
from bot.core.parsing import is_number
from bot.messages import Message, Reply
from bot.outbox import ChatError, ChatPort, Outbox, RecordingChat


def serialized(method):
    """Entry points run one at a time (scheduler and chat threads share one SQLite connection);
    what they caused is delivered after the lock is released, so no chat call holds it."""

    @functools.wraps(method)
    def wrapper(self: "Bot", *args, **kwargs):
        with self.lock:
            result = method(self, *args, **kwargs)
        self.deliver()
        return result

    return wrapper


class Bot:
    def __init__(self, ctx: Context, chat: ChatPort | None = None):
        self.ctx = ctx
        self.lock = threading.RLock()
        self.outbox = Outbox(ctx, self.lock, chat)
        self.startup_notes: list[str] = []  # said at start-up: colleagues who left the config (departed.settle)

    @property
    def db(self) -> sqlite_utils.Database:
        return self.ctx.db

    @property
    def chat(self) -> ChatPort | None:
        return self.outbox.chat

    @chat.setter
    def chat(self, chat: ChatPort | None) -> None:
        self.outbox.chat = chat

    @property
    def wake(self) -> threading.Event | None:
        return self.outbox.wake

    # ------------------------------------------------------------------ config -> store
    @serialized
    def sync_config(self) -> None:
        """Mirror configured accounts and people into the store (keeping runtime state)."""
        now = self.ctx.now_ts()
        with self.db.atomic():
            for acc in self.ctx.settings.accounts.values():
                row = {"id": acc.id, "platform": acc.platform, "name": acc.name, "channel": acc.channel,
                       "unit": acc.unit, "owner": acc.owner}
                if self.db["accounts"].count_where("id = ?", [acc.id]):
                    self.db["accounts"].update(acc.id, row)
                else:
                    self.db["accounts"].insert(row | {"status": "approved", "created_at": now, "last_activity_at": now})
            for p in self.ctx.settings.people.values():
                self.db["people"].upsert(
                    {"email": p.email, "name": p.name, "title": p.title, "unit": p.unit,
                     "roles": json.dumps(list(p.roles)), "chat_id": p.chat_id},
                    pk="email",
                )
            self.startup_notes = departed.settle(self.ctx)

    # ------------------------------------------------------------------ inputs
    @serialized
    def command(self, actor: str, text: str, channel: str | None = None) -> Reply:
        reply = commands.handle(self.ctx, actor, text, channel)
        return reply

    @serialized
    def action(self, actor: str, name: str, value: str, **kwargs: str) -> Reply:
        """A button press: `oversight_done` with an account id, or an item action with an item id."""
        try:
            self.ctx.person(actor.lower())
            if name in accounts.ACTION_NAMES:
                reply = accounts.do_action(self.ctx, actor.lower(), name, value, kwargs.get("reason", ""))
            elif name == "oversight_done":
                oversight.log_check(self.ctx, value, actor.lower(), kwargs.get("note", ""), via=kwargs.get("via", "button"))
                reply = Reply(self.ctx.t("oversight.logged", account=self.ctx.account(value).name,
                                         time=self.ctx.now().strftime("%H:%M")), public=True)
            else:
                if not is_number(str(value)):
                    raise Refused(self.ctx.t("error.bad_number", what=self.ctx.t("word.item_id"), value=value))
                reply = commands.item_action(self.ctx, actor.lower(), int(value), name, **kwargs)
        except Refused as exc:
            reply = Reply(str(exc), ok=False)
        return reply

    @serialized
    def intake(self, account_id: str, text: str, **kwargs: object) -> tuple[dict, bool]:
        item, created = intake.receive(self.ctx, account_id, text, **kwargs)
        return item, created

    @serialized
    def react(self, actor: str, item_id: int, emoji: str) -> Reply | None:
        """An emoji reaction on an item's card; None when the emoji means nothing to Uppsikt."""
        try:
            reply = reactions.react(self.ctx, actor.lower(), item_id, emoji)
        except Refused as exc:
            reply = Reply(str(exc), ok=False)
        return reply

    # ------------------------------------------------------------------ scheduler
    @serialized
    def tick(self) -> list[Message]:
        """Derive everything due now from the database; safe to call at any time, any number of times."""
        return tick.run(self.ctx)

    def advance(self, clock: FakeClock, until: dt.datetime) -> None:
        """Move a fake clock to `until`, ticking at every moment something falls due on the way."""
        tick.advance(self, clock, until)

    def next_wakeup(self) -> dt.datetime:
        """The earliest moment at which tick() could have something to do (for the simulator)."""
        return tick.next_wakeup(self.ctx)

    # ------------------------------------------------------------------ outbox
    def deliver(self) -> None:
        """After an entry point: deliver now, or wake the background delivery thread."""
        self.outbox.deliver()

    def deliver_in_background(self) -> threading.Thread:
        return self.outbox.deliver_in_background()

    def flush(self) -> int:
        """Deliver pending outbox messages now (see Outbox.flush)."""
        return self.outbox.flush()

    # ------------------------------------------------------------------ history import
    @serialized
    def import_history(self, path: Path) -> int:
        """Load past answers (question,answer,answered_by,answered_at); all rows or none."""
        return history.load(self.ctx, path)


__all__ = ["Bot", "ChatError", "ChatPort", "Message", "RecordingChat", "Reply", "serialized"]
