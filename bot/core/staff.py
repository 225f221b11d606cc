"""People, absences and substitutes (rules A4, O4).

At any moment the bot knows who is responsible for every account and item:
the named person, or when they are away their substitute, falling back along
the account's staff and finally to the communicators.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.context import Context, Refused
from bot.core.watchdays import is_watch_day
from bot.messages import Message
from bot.settings import Account

COVERAGE_WARNING_BUSINESS_DAYS = 5


@dataclass(frozen=True)
class Absence:
    id: int
    person: str
    start: dt.date
    end: dt.date
    substitute: str | None
    reason: str
    notes: tuple[str, ...] = ()  # said to whoever registered it (e.g. the account is left without a stand-in)


def absence_row(r: dict) -> Absence:
    return _row(r)


def _row(r: dict) -> Absence:
    return Absence(
        r["id"], r["person"], dt.date.fromisoformat(r["start_date"]), dt.date.fromisoformat(r["end_date"]),
        r["substitute"], r["reason"],
    )


def absences(ctx: Context, person: str | None = None, on_or_after: dt.date | None = None) -> list[Absence]:
    where, args = ["removed_at IS NULL"], []
    if person:
        where.append("person = ?")
        args.append(person)
    if on_or_after:
        where.append("end_date >= ?")
        args.append(on_or_after.isoformat())
    rows = ctx.db.query(f"SELECT * FROM absences WHERE {' AND '.join(where)} ORDER BY start_date, id", args)
    return [_row(r) for r in rows]


ABSENCE_INDEX = "absence_index"  # ctx.cache key: every registered absence by person (see _absence_index)


def _absence_index(ctx: Context) -> dict[str, tuple[Absence, ...]]:
    """Every absence not removed, by person, the newest registration first: one read, kept in `ctx.cache` until
    an absence is added or removed here or a transaction rolls back (`Context.derived`). Who is away is asked
    for every person an item, a reminder, an escalation or the coverage check may go to: a simulated year of
    50 accounts asked it 197,781 times, one SELECT each (issue 17 point 3). Absences are written only by this
    module, through the bot's one connection, so nothing else can make the index stale."""
    index = ctx.cache.get(ABSENCE_INDEX)
    if index is None:
        grouped: dict[str, list[Absence]] = {}
        for r in ctx.db.query("SELECT * FROM absences WHERE removed_at IS NULL ORDER BY id DESC"):
            grouped.setdefault(r["person"], []).append(_row(r))
        index = ctx.cache[ABSENCE_INDEX] = {p: tuple(rows) for p, rows in grouped.items()}
    return index  # type: ignore[return-value]


def _absences_changed(ctx: Context) -> None:
    ctx.cache.pop(ABSENCE_INDEX, None)


def absence_on(ctx: Context, person: str, day: dt.date) -> Absence | None:
    """The absence covering `day` for `person`; of several, the one registered last."""
    for a in _absence_index(ctx).get(person, ()):
        if a.start <= day <= a.end:
            return a
    return None


def is_present(ctx: Context, person: str, day: dt.date) -> bool:
    return absence_on(ctx, person, day) is None


def add_absence(
    ctx: Context, actor: str, person: str, start: dt.date, end: dt.date, substitute: str | None, reason: str = ""
) -> Absence:
    """Register an absence. Anyone may register their own; communicators and managers for others."""
    ctx.person(actor)
    ctx.person(person)
    if person != actor and not _may_manage_others(ctx, actor):
        raise ctx.refusal("absence.not_allowed_for_other")
    if end < start:
        raise ctx.refusal("absence.end_before_start", start=start, end=end)
    if substitute:
        ctx.person(substitute)
        if substitute == person:
            raise ctx.refusal("absence.self_substitute")
        clash = absences_overlapping(ctx, substitute, start, end)
        if clash:
            raise ctx.refusal("absence.substitute_away", substitute=substitute, start=clash.start, end=clash.end)
    with ctx.db.atomic():
        table = ctx.db["absences"]
        table.insert(
            {
                "person": person, "start_date": start.isoformat(), "end_date": end.isoformat(),
                "substitute": substitute or None, "reason": reason, "created_by": actor, "created_at": ctx.now_ts(),
            }
        )
        absence_id = table.last_pk
        ctx.audit(actor, "absence.add", person, start=start, end=end, substitute=substitute, reason=reason)
        absence = _row(ctx.db["absences"].get(absence_id))
        _absences_changed(ctx)
        check_coverage(ctx)
    return absence


def absences_overlapping(ctx: Context, person: str, start: dt.date, end: dt.date) -> Absence | None:
    for r in ctx.db.query(
        "SELECT * FROM absences WHERE person = ? AND removed_at IS NULL AND start_date <= ? AND end_date >= ? LIMIT 1",
        [person, end.isoformat(), start.isoformat()],
    ):
        return _row(r)
    return None


def remove_absence(ctx: Context, actor: str, absence_id: int) -> Absence:
    rows = list(ctx.db.query("SELECT * FROM absences WHERE id = ? AND removed_at IS NULL", [absence_id]))
    if not rows:
        raise ctx.refusal("absence.not_found", id=absence_id)
    absence = _row(rows[0])
    if absence.person != actor and not _may_remove_for(ctx, actor, absence.person):
        raise ctx.refusal("absence.not_allowed_for_other")
    with ctx.db.atomic():
        ctx.db["absences"].update(absence_id, {"removed_at": ctx.now_ts()})
        _absences_changed(ctx)
        ctx.audit(actor, "absence.remove", absence.person, id=absence_id)
    return absence


def _may_manage_others(ctx: Context, actor: str) -> bool:
    p = ctx.person(actor)
    return any(r in p.roles for r in ("communicator", "communications_chief", "manager"))


def _may_remove_for(ctx: Context, actor: str, person: str) -> bool:
    """Removing an absence takes cover away (O4), so a manager may do it only for the people of a unit they
    manage (issue 16); communicators and the communications chief for anyone, as before."""
    p = ctx.person(actor)
    if any(r in p.roles for r in ("communicator", "communications_chief")):
        return True
    if "manager" not in p.roles:
        return False
    unit = ctx.settings.units.get(ctx.person(person).unit) if ctx.settings.person(person) is not None else None
    return unit is not None and unit.manager == actor


def is_available(ctx: Context, person: str | None, day: dt.date) -> bool:
    """In the config and not absent on `day`: someone a message or an item may go to."""
    return ctx.knows(person) and is_present(ctx, person, day)  # type: ignore[arg-type]


def stand_in(ctx: Context, person: str, day: dt.date, account: Account | None = None) -> tuple[str, str]:
    """Who acts for `person` on `day`, with a readable reason (O4).

    The person if present; else the substitute named in their absence; else the
    account's substitute; else any present member of the account's staff; else a
    present communicator; else the communications chief. Someone who is no longer in
    the config is passed over like someone absent. If nobody is present the person
    stays (and the coverage warning has already told the communicator).
    """
    known = ctx.knows(person)
    absence = absence_on(ctx, person, day) if known else None
    if known and absence is None:
        return person, ""
    name = ctx.person(person).first_name if known else person
    candidates: list[str] = []
    if absence is not None and absence.substitute:
        candidates.append(absence.substitute)
    if account is not None:
        candidates += [account.substitute, *account.staff]
    candidates += ctx.role_holders("communicator")
    candidates += ctx.role_holders("communications_chief")
    for c in dict.fromkeys(c for c in candidates if c and c != person):
        if is_available(ctx, c, day):
            key = "staff.stands_in" if known else "duty.departed_stands_in"
            return c, ctx.t(key, person=name, substitute=ctx.person(c).first_name)
    return person, ctx.t("staff.nobody_present", person=name)


def responsible_for(ctx: Context, account: Account, day: dt.date) -> tuple[str, str]:
    """The person responsible for the account's oversight on `day` (A4, O4)."""
    return stand_in(ctx, account.owner, day, account)


def on_duty(ctx: Context, role: str, day: dt.date) -> list[str]:
    """The holders of `role` who are present on `day` (the crisis group on duty, K1)."""
    return [e for e in ctx.role_holders(role) if is_present(ctx, e, day)]


def communicators_with_reasons(ctx: Context, day: dt.date, exclude: str | None = None) -> list[tuple[str, str]]:
    """Who receives escalations, each with why (empty when it is the communicator themself).

    The communicators, or the next present person for one who is away that day (an
    escalation never goes to someone absent). An escalation about `exclude` (the person
    responsible) is not sent to that same person; if that leaves nobody, it goes to the
    communications chief (or their stand-in).
    """
    def chain(people: list[str], skip: str | None) -> list[tuple[str, str]]:
        out: dict[str, str] = {}
        for c in people:
            who, why = stand_in(ctx, c, day)
            if who != skip and is_available(ctx, who, day):
                out.setdefault(who, why)
        return list(out.items())

    communicators_, chiefs = ctx.role_holders("communicator"), ctx.role_holders("communications_chief")
    out = chain(communicators_, exclude) or chain(chiefs, exclude)
    if not out:  # the only one present is the person it is about: better them than someone away
        out = chain(communicators_, None) or chain(chiefs, None)
    if not out:  # everyone away: the communicators still get it rather than nobody
        out = [(c, "") for c in communicators_ if c != exclude]
    return out


def communicators(ctx: Context, day: dt.date, exclude: str | None = None) -> list[str]:
    """Who receives escalations: the communicators (or their stand-ins), see communicators_with_reasons."""
    return [c for c, _ in communicators_with_reasons(ctx, day, exclude)]


def covered(ctx: Context, account: Account, day: dt.date) -> bool:
    """Someone can watch the account on `day`: a present member of its staff, or the present
    substitute named in the absence of one of them."""
    for p in account.staff:
        if is_available(ctx, p, day):
            return True
        absence = absence_on(ctx, p, day)
        if absence and absence.substitute and is_available(ctx, absence.substitute, day):
            return True
    return False


def check_coverage(ctx: Context) -> list[Message]:
    """Warn the communicators 5 business days ahead of any watch day (business days and the O2
    holiday watch days) on which an account would have nobody present. One warning per account
    and period."""
    today = ctx.today()
    cal = ctx.calendar()
    horizon = cal.add_business_days(today, COVERAGE_WARNING_BUSINESS_DAYS)
    sent: list[Message] = []
    for acc in ctx.accounts.values():
        days = [today + dt.timedelta(days=i) for i in range((horizon - today).days + 1)]
        days = [d for d in days if is_watch_day(ctx, acc, d)]
        uncovered = [d for d in days if not covered(ctx, acc, d)]
        if not uncovered:
            continue
        first = uncovered[0]
        # Key the warning on where the uncovered period really starts, so a
        # period that is already under way is not warned about again each day.
        start = first
        for _ in range(366):
            prev = start - dt.timedelta(days=1)
            while not is_watch_day(ctx, acc, prev):
                prev -= dt.timedelta(days=1)
            if covered(ctx, acc, prev):
                break
            start = prev
        if not ctx.once(f"coverage:{acc.id}:{start.isoformat()}"):
            continue
        for c in communicators(ctx, today):
            msg = Message(
                kind="coverage_warning", to=c, account=acc.id,
                text=ctx.t("staff.coverage_warning", account=ctx.label(acc), day=first.isoformat()),
            )
            ctx.emit(msg)
            sent.append(msg)
    return sent
