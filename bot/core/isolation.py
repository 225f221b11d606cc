"""Units of work that fail alone: one account's or one item's tick work in its own SAVEPOINT.

A failure in one unit (a bug, a person who left the config, a bad stored value) rolls back that
unit only: the others' messages and state changes stand. The failure is logged, written to the
audit log, and reported to the communicators once per unit and day. A failure of the store itself
(disk full, read-only, corrupt) is not one unit's problem and still fails the whole tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from bot.core import staff
from bot.core.context import Context
from bot.messages import Message
from bot.store.db import is_store_failure

log = logging.getLogger("uppsikt")
T = TypeVar("T")
RETRY_SECONDS = 3600  # work with its own schedule that failed is tried again an hour later, not at every tick


def run(ctx: Context, unit: str, label: str, work: Callable[[], T], default: T) -> T:
    """Run `work` in a savepoint; on failure roll back only it, report, and return `default`.

    `unit` is a stable key (``item:12``, ``oversight:facebook``); `label` is what people read.
    Call inside db.atomic() (the tick's transaction).
    """
    try:
        with ctx.db.atomic():
            return work()
    except Exception as exc:
        if is_store_failure(exc):
            raise
        log.exception("tick: %s failed; the other accounts and items go on", unit)
        report(ctx, unit, label, exc)
        return default


def report(ctx: Context, unit: str, label: str, exc: BaseException) -> None:
    """Audit the failure and tell the communicators once per unit and day (in its own savepoint)."""
    error = f"{type(exc).__name__}: {exc}"[:300]
    try:
        with ctx.db.atomic():
            ctx.audit("uppsikt", "tick.failure", unit, error=error)
            if not ctx.once(f"failure:{unit}:{ctx.today().isoformat()}"):
                return
            for to in staff.communicators(ctx, ctx.today()):
                ctx.emit(Message(kind="tick_failure", to=to,
                                 text=ctx.t("duty.tick_failure", unit=label, error=error)))
    except Exception as failure:
        if is_store_failure(failure):
            raise
        log.exception("tick: could not report the failure of %s", unit)
