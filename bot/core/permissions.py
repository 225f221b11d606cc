"""Who may decide for others, and whether crisis mode is on (K1): read by items and records alike.

Kept apart from items.py so that records.py (which items.py imports) needs no function-level import.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.settings import Account

HANDLER_ROLES = ("communicator", "communications_chief")


def crisis_active(ctx: Context) -> bool:
    return ctx.get_state("crisis_since") is not None


def may_handle(ctx: Context, account: Account, item: dict, person: str) -> bool:
    """Who may give an item away or close it without a reply (A4, Rättvik §1–4: only designated people
    write for the municipality): the account's staff, the communicators and the communications chief, the
    person the item is assigned to, and the crisis group for crisis items or while crisis mode is on (K1)."""
    p = ctx.person(person)
    if person in account.staff or person == item["assignee"] or any(r in p.roles for r in HANDLER_ROLES):
        return True
    return "crisis_group" in p.roles and (bool(item["crisis"]) or crisis_active(ctx))


__all__ = ["HANDLER_ROLES", "crisis_active", "may_handle"]
