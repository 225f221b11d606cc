"""The one composition root: build(settings, clock=, db=, chat=) -> Bot.

The Bot (bot/facade.py) is the facade every adapter drives; the outbox (bot/outbox.py), the tick
(bot/tick.py) and the history import (bot/history.py) live in their own modules. The names once
defined here are re-exported so `from bot.bootstrap import Bot, ChatError, ...` keeps working.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from bot.clock import Clock, SystemClock, from_epoch
from bot.core.context import Context
from bot.core.platform import MetaPort
from bot.facade import Bot
from bot.history import parse_history_csv
from bot.outbox import DIGEST_KINDS, MAX_DIGEST_ACTIONS, ChatError, ChatPort, RecordingChat
from bot.settings import Settings
from bot.store.db import open_db


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    db: sqlite_utils.Database | str | Path | None = None,
    chat: ChatPort | None = None,
    graph: MetaPort | None = None,
) -> Bot:
    """Wire the bot. `db` is a Database, a path, or None for in-memory."""
    if not isinstance(db, sqlite_utils.Database):
        db = open_db(db)
    ctx = Context(settings=settings, db=db, clock=clock or SystemClock())
    bot = Bot(ctx=ctx, chat=chat)
    if graph is not None:  # issue 11: replies, hides, deletes and blocks on Facebook and Instagram
        bot.attach_meta(graph)
    bot.sync_config()
    return bot


__all__ = ["Bot", "ChatError", "ChatPort", "DIGEST_KINDS", "MAX_DIGEST_ACTIONS", "RecordingChat", "build",
           "from_epoch", "parse_history_csv"]
