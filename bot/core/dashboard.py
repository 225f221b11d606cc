"""A person's dashboard: what Slack's App Home (and its Teams counterpart) shows, as data.

Open items assigned to them (earliest deadline first), today's oversight duties, their absences,
the crisis status and, for communicators, an overview of every account. Adapters render it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.core import crisis, items, oversight, records, staff
from bot.core.context import Context


@dataclass(frozen=True)
class DueItem:
    id: int
    account: str  # the account's name
    status: str
    text: str
    due_at: int | None  # first reply due while open, full answer due after
    overdue: bool


@dataclass(frozen=True)
class Duty:
    account_id: str
    account: str
    platform: str
    stand_in: str  # why this person stands in today ("" when it is their own account)
    done_by: str | None  # the name of who logged today's check, None when not yet done
    done_at: int | None


@dataclass(frozen=True)
class Absence:
    start: object
    end: object
    substitute: str | None  # the substitute's name
    reason: str


@dataclass(frozen=True)
class AccountStatus:
    account_id: str
    account: str
    watched_by: str | None  # who logged today's check
    responsible: str | None  # who should have, on a watch day without a check
    overdue: int
    snapshot_due: str | None
    snapshot_overdue: bool


@dataclass
class Dashboard:
    known: bool  # False: not a configured person (the view explains that instead)
    first_name: str = ""
    now: dt.datetime | None = None
    crisis: str = ""
    items: list[DueItem] = field(default_factory=list)
    duties: list[Duty] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)
    overview: list[AccountStatus] | None = None  # communicators only
    accounts_total: int = 0


def my_items(ctx: Context, email: str) -> list[dict]:
    """Open items assigned to `email`, earliest deadline first (items without a deadline last)."""
    marks = ",".join("?" * len(items.OPEN_STATUSES))
    return list(ctx.db.query(
        f"SELECT * FROM items WHERE assignee = ? AND status IN ({marks}) "
        "ORDER BY COALESCE(CASE status WHEN 'open' THEN first_reply_due ELSE full_answer_due END, 1e18), id",
        [email, *items.OPEN_STATUSES],
    ))


def dashboard(ctx: Context, email: str | None, *, max_items: int | None = None,
              max_accounts: int | None = None) -> Dashboard:
    person = ctx.settings.person(email) if email else None
    if person is None:
        return Dashboard(known=False)
    now_ts, day = ctx.now_ts(), ctx.today()
    board = Dashboard(known=True, first_name=person.first_name, now=ctx.now(), crisis=crisis.status_text(ctx))
    rows = my_items(ctx, person.email)
    board.accounts_total = len(ctx.accounts)
    for item in rows:
        due = item["first_reply_due"] if item["status"] == "open" else item["full_answer_due"]
        account = ctx.accounts.get(item["account_id"])
        board.items.append(DueItem(item["id"], account.name if account else item["account_id"], item["status"],
                                   item["text"], due, bool(due and due < now_ts)))
    for acc in ctx.accounts.values():
        who, why = staff.responsible_for(ctx, acc, day)
        if who == person.email and oversight.is_watch_day(ctx, acc, day):
            checks = oversight.checks_on(ctx, acc.id, day)
            last = checks[-1] if checks else None
            board.duties.append(Duty(acc.id, acc.name, acc.platform, why or "",
                                     ctx.person(last["person"]).name if last else None,
                                     last["checked_at"] if last else None))
    for a in staff.absences(ctx, person.email, on_or_after=day):
        board.absences.append(Absence(a.start, a.end, ctx.person(a.substitute).name if a.substitute else None,
                                      a.reason))
    if person.has_role("communicator"):
        board.overview = _overview(ctx, day, max_accounts)
    return board


def _overview(ctx: Context, day: dt.date, limit: int | None) -> list[AccountStatus]:
    late: dict[str, int] = {}
    for item in items.overdue(ctx):
        late[item["account_id"]] = late.get(item["account_id"], 0) + 1
    snapshots = {s["account_id"]: s for s in records.snapshot_status(ctx)}
    out = []
    for acc in list(ctx.accounts.values())[:limit]:
        checks = oversight.checks_on(ctx, acc.id, day)
        watched = responsible = None
        if checks:
            watched = ctx.person(checks[-1]["person"]).name
        elif oversight.is_watch_day(ctx, acc, day):
            responsible = ctx.person(staff.responsible_for(ctx, acc, day)[0]).name
        snap = snapshots.get(acc.id)
        out.append(AccountStatus(acc.id, acc.name, watched, responsible, late.get(acc.id, 0),
                                 snap["next_due"] if snap else None, bool(snap and snap["overdue"])))
    return out


__all__ = ["Absence", "AccountStatus", "Dashboard", "DueItem", "Duty", "dashboard", "my_items"]
