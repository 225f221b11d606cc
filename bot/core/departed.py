"""Colleagues who left: people the database still names who are no longer in the config.

A person removed from the config file may still hold open items, be named as owner, editor,
administrator or substitute of an account approved through a request (A1, stored in the
database), or appear in an absence (as the absent person or the substitute). None of that may
stop the bot (the duty of oversight goes on for everyone else):

* `find` lists them with what they still hold; `check-config --db` and start-up print it in Swedish;
* `settle` (at start-up) hands their open items to the account's responsible person with the
  reason on the card, and tells the communicators once per person;
* elsewhere they are passed over like someone absent (`staff.stand_in`, `items.choose_assignee`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.core import isolation, items, staff, stored_accounts
from bot.core.context import Context
from bot.messages import Message

log = logging.getLogger("uppsikt")
ROLE_FIELDS = ("owner", "editors", "admins", "substitute")


@dataclass
class Departure:
    email: str
    open_items: list[int] = field(default_factory=list)
    named: list[tuple[str, str]] = field(default_factory=list)  # (catalogue key, account or absence id)


def find(ctx: Context) -> list[Departure]:
    """Everyone the database names who is not in the config, with what they still hold."""
    found: dict[str, Departure] = {}

    def add(email: str | None) -> Departure | None:
        if not email or ctx.knows(email):
            return None
        return found.setdefault(email, Departure(email))

    placeholders = ",".join("?" * len(items.OPEN_STATUSES))
    for item_id, assignee in ctx.db.execute(
        f"SELECT id, assignee FROM items WHERE status IN ({placeholders}) AND assignee IS NOT NULL ORDER BY id",
        list(items.OPEN_STATUSES),
    ):
        if (d := add(assignee)) is not None:
            d.open_items.append(item_id)
    for account_id, doc in stored_accounts.requested_documentation(ctx):
        for key in ROLE_FIELDS:
            value = doc.get(key) or ()
            for email in ([value] if isinstance(value, str) else value):
                if (d := add(str(email).lower())) is not None:
                    d.named.append((f"duty.departed_role.{key}", account_id))
    for row in ctx.db.query(
        "SELECT id, person, substitute FROM absences WHERE removed_at IS NULL AND end_date >= ? ORDER BY id",
        [ctx.today().isoformat()],
    ):
        if (d := add(row["person"])) is not None:
            d.named.append(("duty.departed_role.absent", str(row["id"])))
        if (d := add(row["substitute"])) is not None:
            d.named.append(("duty.departed_role.absence_substitute", str(row["id"])))
    return list(found.values())


def describe(ctx: Context, departures: list[Departure]) -> list[str]:
    """One Swedish (the municipality's language) line per person: what they still hold and what happens."""
    lines = []
    for d in departures:
        held = [ctx.t(key, ref=ref) for key, ref in d.named]
        if d.open_items:
            held.insert(0, ctx.t("duty.departed_items", ids=", ".join(str(i) for i in d.open_items)))
        line = ctx.t("duty.departed_line", email=d.email, held="; ".join(held))
        lines.append(line + (" " + ctx.t("duty.departed_fix") if d.named else ""))
    return lines


def settle(ctx: Context) -> list[str]:
    """Hand departed people's open items to each account's responsible person, with the reason on the
    card; tell the communicators once per person. Call inside db.atomic() (start-up). Each item and
    each notice is its own unit of work: one that fails is reported and never stops the others.

    Returns the lines that say who left and what they held (for the start-up log)."""
    departures = find(ctx)
    lines = describe(ctx, departures)
    for line in lines:
        log.warning("%s", line)
    for d in departures:
        for item_id in d.open_items:
            isolation.run(ctx, f"item:{item_id}", ctx.t("duty.unit.item", id=item_id),
                          lambda item_id=item_id, d=d: _hand_over(ctx, d, item_id), [])
        isolation.run(ctx, f"departed:{d.email}", d.email, lambda d=d: _tell(ctx, d), [])
    return lines


def _hand_over(ctx: Context, d: Departure, item_id: int) -> list[Message]:
    item = items.get(ctx, item_id)
    account = ctx.accounts.get(item["account_id"])
    if account is None:  # a closed account: nothing more is asked of the item
        return []
    to, _ = staff.responsible_for(ctx, account, ctx.today())
    if not ctx.knows(to):
        return []
    reason = ctx.t("duty.departed_moved", person=d.email, to=ctx.person(to).first_name)
    return items.hand_over(ctx, item, to, reason, "departed")


def _tell(ctx: Context, d: Departure) -> list[Message]:
    """The communicators are told once per person who left."""
    if not ctx.once(f"departed:{d.email}"):
        return []
    text = ctx.t("duty.departed_notice", line=describe(ctx, [d])[0])
    out = [Message(kind="departed", to=c, text=text) for c in staff.communicators(ctx, ctx.today())]
    for msg in out:
        ctx.emit(msg)
    ctx.audit("uppsikt", "people.departed", d.email, items=d.open_items, named=d.named)
    return out
