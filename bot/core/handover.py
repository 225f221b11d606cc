"""Absence moves the work (O4): open items, today's prompts and the warning when an account is left
without a stand-in.

* Registering an absence that covers today moves the person's open items to their stand-in at
  once, with a note on the card, and hands today's oversight prompt (already posted, not yet done)
  to the stand-in. An absence registered in advance does the same on its first day (the daily tick).
* An account's own substitute who registers an absence is told, and the communicators are warned,
  when on some watch day of that absence nobody but the owner could stand in for the account.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.clock import to_epoch
from bot.core import items, oversight, staff
from bot.core.context import Context
from bot.messages import Action, Message
from bot.settings import Account

MAX_DAYS_CHECKED = 400  # an absence longer than a year is checked for its first 400 days


def add_absence(ctx: Context, actor: str, person: str, start: dt.date, end: dt.date, substitute: str | None,
                reason: str = "") -> staff.Absence:
    """Register an absence (staff.add_absence) and, in the same transaction, move the work to the
    stand-in (O4); the returned absence carries the notes to show the one who registered it."""
    with ctx.db.atomic():
        absence = staff.add_absence(ctx, actor, person, start, end, substitute, reason)
        notes = on_absence_added(ctx, absence)
    return dataclasses.replace(absence, notes=tuple(notes))


def on_absence_added(ctx: Context, absence: staff.Absence) -> list[str]:
    """Call inside the transaction that registered the absence; returns notes for the one who registered it."""
    if absence.start <= ctx.today() <= absence.end:
        move_work(ctx, absence)
    return stand_in_gaps(ctx, absence)


def daily(ctx: Context) -> list[Message]:
    """Absences registered in advance move the work on their first day (call once a day inside db.atomic())."""
    today = ctx.today().isoformat()
    out: list[Message] = []
    for row in ctx.db.query(
        "SELECT * FROM absences WHERE removed_at IS NULL AND start_date <= ? AND end_date >= ? ORDER BY id",
        [today, today],
    ):
        out += move_work(ctx, staff.absence_row(row))
    return out


def move_work(ctx: Context, absence: staff.Absence) -> list[Message]:
    """Hand the absent person's open items and today's prompts to their stand-in (once per absence)."""
    if not ctx.knows(absence.person) or not ctx.once(f"absence_moved:{absence.id}"):
        return []
    today = ctx.today()
    person = ctx.person(absence.person)
    out: list[Message] = []
    placeholders = ",".join("?" * len(items.OPEN_STATUSES))
    rows = list(ctx.db.query(
        f"SELECT * FROM items WHERE assignee = ? AND status IN ({placeholders}) ORDER BY id",
        [absence.person, *items.OPEN_STATUSES],
    ))
    for item in rows:
        account = ctx.accounts.get(item["account_id"])
        if account is None:
            continue
        to, _ = staff.stand_in(ctx, absence.person, today, account)
        if to == absence.person:  # nobody present to take it: the coverage warning says so
            continue
        reason = ctx.t("duty.absence_moved", person=person.first_name, substitute=ctx.person(to).first_name,
                       end=absence.end.isoformat())
        out += items.hand_over(ctx, item, to, reason, "absence")
    for account in ctx.accounts.values():
        if _prompted_today(ctx, account, absence.person, today) and not oversight.checks_on(ctx, account.id, today):
            to, why = staff.responsible_for(ctx, account, today)
            if to == absence.person:
                continue
            msg = Message(
                kind="oversight_handover", to=to, account=account.id, mentions=(to,),
                text=ctx.t("duty.prompt_moved", account=account.name, person=person.first_name,
                           substitute=ctx.person(to).first_name),
                actions=(Action("oversight_done", ctx.t("action.oversight_done"), account.id),),
            )
            ctx.emit(msg)
            out.append(msg)
    ctx.audit("uppsikt", "absence.handover", absence.person, absence=absence.id, items=len(rows))
    return out


def _prompted_today(ctx: Context, account: Account, person: str, day: dt.date) -> bool:
    """Today's oversight prompt for the account was posted naming `person`."""
    midnight = to_epoch(ctx.calendar().local_midnight(day))
    for (raw,) in ctx.db.execute(
        "SELECT message FROM outbox WHERE account_id = ? AND kind IN ('oversight_prompt', 'intensified_prompt') "
        "AND created_at >= ? ORDER BY id",
        [account.id, midnight],
    ):
        if person in Message.from_json(raw).mentions:
            return True
    return False


def has_stand_in(ctx: Context, account: Account, day: dt.date) -> bool:
    """Someone other than the owner can stand in for the account on `day`: a present member of its
    staff, or the substitute named in the absence of one of them (the owner included)."""
    candidates = [p for p in account.staff if p != account.owner]
    for p in account.staff:
        absence = staff.absence_on(ctx, p, day)
        if absence and absence.substitute and absence.substitute != account.owner:
            candidates.append(absence.substitute)
    return any(staff.is_available(ctx, c, day) for c in candidates)


def stand_in_gaps(ctx: Context, absence: staff.Absence) -> list[str]:
    """The account's own substitute is away: tell them and warn the communicators about the watch days
    on which the account has nobody to stand in (once per absence and account)."""
    notes: list[str] = []
    for account in ctx.accounts.values():
        if account.substitute != absence.person:
            continue
        days: list[dt.date] = []
        d = max(absence.start, ctx.today())
        last = min(absence.end, d + dt.timedelta(days=MAX_DAYS_CHECKED))
        while d <= last:
            if oversight.is_watch_day(ctx, account, d) and not has_stand_in(ctx, account, d):
                days.append(d)
            d += dt.timedelta(days=1)
        if not days:
            continue
        values = dict(account=account.name, platform=account.platform, start=days[0].isoformat(),
                      end=days[-1].isoformat(), person=ctx.name_of(absence.person))
        note = ctx.t("duty.no_stand_in", **values)
        notes.append(note)
        if ctx.once(f"no_stand_in:{absence.id}:{account.id}"):
            ctx.emit(Message(kind="no_stand_in", to=absence.person, account=account.id, text=note))
            for c in staff.communicators(ctx, ctx.today(), exclude=absence.person):
                ctx.emit(Message(kind="no_stand_in", to=c, account=account.id,
                                 text=ctx.t("duty.no_stand_in_warning", **values)))
    return notes
