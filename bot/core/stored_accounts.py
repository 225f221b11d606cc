"""Accounts approved through a request (A1): built from the store's documentation rows.

`Context.accounts` reads them (with the configured ones); the lifecycle itself is bot/core/accounts.py.
Kept apart so that context.py needs no function-level import of accounts.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.settings import Account

if TYPE_CHECKING:
    from bot.core.context import Context

log = logging.getLogger("uppsikt.accounts")


def requested_documentation(ctx: Context) -> Iterator[tuple[str, dict]]:
    """(account id, documentation) of every account approved through a request (A1) that is not in the
    config file, oldest first. A row without a request (e.g. an account since removed from the config
    file) is not an approved request and is left out."""
    for row in ctx.db.query("SELECT id, documentation FROM accounts WHERE status = 'approved' ORDER BY created_at, id"):
        if row["id"] in ctx.settings.accounts:
            continue
        try:
            doc = json.loads(row["documentation"] or "{}")
        except json.JSONDecodeError:
            log.warning("account %s: documentation is not JSON; not watched", row["id"])
            continue
        if doc.get("request_id"):
            yield row["id"], doc


def stored_accounts(ctx: Context) -> dict[str, Account]:
    """Accounts approved through a request (A1) that are not in the config file, built from their
    documentation; the policy is the municipality's."""
    return {account_id: _account_from_doc(ctx, account_id, doc) for account_id, doc in requested_documentation(ctx)}


def _account_from_doc(ctx: Context, account_id: str, doc: dict) -> Account:
    return Account(
        id=account_id,
        platform=doc.get("platform", ""),
        name=doc.get("name", account_id),
        url=doc.get("url", ""),
        unit=doc.get("unit", ""),
        channel=doc.get("channel", ""),
        owner=doc.get("owner", ""),
        editors=tuple(doc.get("editors", ())),
        substitute=doc.get("substitute", ""),
        admins=tuple(doc.get("admins", ())),
        purpose=doc.get("purpose", ""),
        audience=doc.get("audience", ""),
        content=doc.get("content", ""),
        update_frequency=doc.get("update_frequency", ""),
        contact=doc.get("contact", ""),
        policy=ctx.settings.policy,
    )


def mirror_config(ctx: Context) -> None:
    """Mirror the configured accounts and people into the store (keeping runtime state), at start-up."""
    now = ctx.now_ts()
    with ctx.db.atomic():
        for acc in ctx.settings.accounts.values():
            row = {"id": acc.id, "platform": acc.platform, "name": acc.name, "channel": acc.channel,
                   "unit": acc.unit, "owner": acc.owner}
            if ctx.db["accounts"].count_where("id = ?", [acc.id]):
                ctx.db["accounts"].update(acc.id, row)
            else:
                ctx.db["accounts"].insert(row | {"status": "approved", "created_at": now, "last_activity_at": now})
        for p in ctx.settings.people.values():
            ctx.db["people"].upsert(
                {"email": p.email, "name": p.name, "title": p.title, "unit": p.unit,
                 "roles": json.dumps(list(p.roles)), "chat_id": p.chat_id},
                pk="email",
            )
