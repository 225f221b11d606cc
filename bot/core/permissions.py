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
    if person in account.staff or any(r in p.roles for r in HANDLER_ROLES):
        return True
    if "crisis_group" in p.roles and (bool(item["crisis"]) or crisis_active(ctx)):
        return True
    return person == item["assignee"] and not assigned_by_themselves(ctx, item["id"], person)


def assigned_by_themselves(ctx: Context, item_id: int, person: str) -> bool:
    """True when the item's latest assignment to `person` was their own doing (they took it, or forwarded it
    to themselves): taking is open to everyone configured (Q3), so it must not bring the right to give the
    item away, close it without a reply or change its diarium mark (issue 16 point 5)."""
    rows = ctx.db.execute("SELECT actor, action, assignee FROM item_history WHERE item_id = ? ORDER BY id DESC",
                          [item_id]).fetchall()
    giver = None
    for actor, action, assignee in rows:  # newest first: back to the row that made `person` the assignee
        if assignee != person:
            break
        giver = (actor, action)
    return giver is not None and giver[0] == person and giver[1] in ("take", "forwarded")


def refusal_before_form(ctx: Context, actor: str, item_id: int) -> str | None:
    """Why `actor` will be refused giving item `item_id` away or closing it without a reply (None: they may,
    or the item does not exist, which the action itself then says)."""
    row = ctx.db.execute("SELECT * FROM items WHERE id = ?", [item_id])
    found = row.fetchone()
    if found is None or ctx.settings.person(actor) is None:
        return None
    item = dict(zip([c[0] for c in row.description], found))
    account = ctx.accounts.get(item["account_id"])
    if account is None or may_handle(ctx, account, item, actor):
        return None
    return ctx.t("item.not_allowed", account=ctx.label(account), id=item_id)


__all__ = ["HANDLER_ROLES", "assigned_by_themselves", "crisis_active", "may_handle", "refusal_before_form"]
