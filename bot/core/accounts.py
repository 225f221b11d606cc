"""Account lifecycle (A1, A2, A5, A7): requests, approvals, two-factor attestations, information text."""

from __future__ import annotations

from bot.core.context import Context
from bot.settings import Account


def stored_accounts(ctx: Context) -> dict[str, Account]:
    """Accounts approved through a request (not in the config file). Filled in by the lifecycle work."""
    return {}
