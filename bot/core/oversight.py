"""Oversight (uppsikt): daily prompts, logging, reminders, escalation, intensified watch (O1–O5).

Which days are watch days is a pure function of the calendar: every business
day (O1), plus, inside a stretch of days off longer than the policy's
``oversight.max_days_without_check``, enough days that no two watch days are
further apart than that (O2). Each prompt, reminder and escalation is claimed
with a dispatch key in the same transaction as its outbox row, so a restart
neither repeats nor loses one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.clock import from_epoch, to_epoch
from bot.core import staff
from bot.core.context import Context, Refused
from bot.messages import Action, Message
from bot.settings import Account, parse_time

VIA = ("command", "button", "console", "reaction")


def is_watch_day(ctx: Context, account: Account, day: dt.date) -> bool:
    cal = ctx.calendar(account.policy)
    if cal.is_business_day(day):
        return True
    limit = account.policy.oversight.max_days_without_check
    prev = cal.previous_business_day(day)
    nxt = cal.next_business_day(day)
    if (nxt - prev).days <= limit:
        return False
    # Watch every `limit` days counted from the last business day; the last such
    # day is then within `limit` days of the next business day as well.
    return (day - prev).days % limit == 0


def checks_on(ctx: Context, account_id: str, day: dt.date) -> list[dict]:
    return list(
        ctx.db.query(
            "SELECT * FROM oversight_log WHERE account_id = ? AND day = ? ORDER BY checked_at",
            [account_id, day.isoformat()],
        )
    )


def may_check(ctx: Context, account: Account, person: str) -> bool:
    """A4/Rättvik §1–4: only the account's designated staff and the communicators."""
    p = ctx.person(person)
    return person in account.staff or any(r in p.roles for r in ("communicator", "crisis_group"))


def log_check(ctx: Context, account_id: str, person: str, note: str = "", via: str = "command") -> dict:
    account = ctx.account(account_id)
    if not may_check(ctx, account, person):
        raise Refused(ctx.t("oversight.not_allowed", account=account.name))
    now = ctx.now()
    row = {
        "account_id": account.id, "day": now.date().isoformat(), "checked_at": to_epoch(now),
        "person": person, "note": note.strip(), "via": via,
    }
    with ctx.db.atomic():
        ctx.db["oversight_log"].insert(row)
        ctx.audit(person, "oversight.check", account.id, note=note, via=via)
    return row


def _prompt(ctx: Context, account: Account, day: dt.date, responsible: str, reason: str, holiday: bool) -> Message:
    key = "oversight.prompt_holiday" if holiday else "oversight.prompt"
    text = ctx.t(key, account=account.name, platform=account.platform, day=day.isoformat())
    if reason:
        text += " " + reason
    return Message(
        kind="oversight_prompt", to="#" + account.channel, account=account.id, text=text,
        actions=(Action("oversight_done", ctx.t("action.oversight_done"), account.id),),
        mentions=(responsible,),
    )


def tick(ctx: Context) -> list[Message]:
    """Due prompts, reminders and escalations for today (call inside db.atomic())."""
    now = ctx.now()
    day = now.date()
    out: list[Message] = []
    for account in ctx.accounts.values():
        out += _intensified(ctx, account, now)
        if not is_watch_day(ctx, account, day):
            continue
        pol = account.policy.oversight
        holiday = not ctx.calendar(account.policy).is_business_day(day)
        base = f"{account.id}:{day.isoformat()}"
        responsible, reason = staff.responsible_for(ctx, account, day)
        if now.time() >= parse_time(pol.prompt_time) and ctx.once(f"prompt:{base}"):
            out.append(_prompt(ctx, account, day, responsible, reason, holiday))
        if now.time() < parse_time(pol.reminder_time) or checks_on(ctx, account.id, day):
            continue
        if ctx.once(f"reminder:{base}"):
            out.append(
                Message(
                    kind="oversight_reminder", to=responsible, account=account.id,
                    text=ctx.t("oversight.reminder", account=account.name, time=pol.reminder_time),
                    actions=(Action("oversight_done", ctx.t("action.oversight_done"), account.id),),
                )
            )
        if now.time() >= parse_time(pol.escalation_time) and ctx.once(f"escalation:{base}"):
            who = ctx.person(responsible).name
            for c in staff.communicators(ctx, day, exclude=responsible):
                out.append(
                    Message(
                        kind="oversight_escalation", to=c, account=account.id,
                        text=ctx.t("oversight.escalation", account=account.name, person=who, time=pol.escalation_time),
                    )
                )
    for m in out:
        ctx.emit(m)
    return out


# --------------------------------------------------------------------------- intensified (O3)


def intensify(ctx: Context, account_id: str, actor: str, reason: str, hours: int | None = None, days: int | None = None) -> dt.datetime:
    """Check the account every `hours` for `days`, evenings and weekends included."""
    account = ctx.account(account_id)
    pol = account.policy.oversight
    every = hours or pol.intensified_every_hours
    if every < 1 or every > 24:
        raise Refused(ctx.t("oversight.bad_hours"))
    now = ctx.now_ts()
    until = now + (days or pol.intensified_days) * 86400
    row = ctx.db["accounts"].get(account.id)
    if row["intensified_until"] and row["intensified_until"] > until:
        until = row["intensified_until"]
    with ctx.db.atomic():
        ctx.update("accounts", 
            account.id,
            {"intensified_until": until, "intensified_every_hours": every, "next_intensified_at": now + every * 3600},
        )
        ctx.audit(actor, "oversight.intensify", account.id, reason=reason, every_hours=every, until=from_epoch(until))
        ctx.emit(
            Message(
                kind="intensified_started", to="#" + account.channel, account=account.id,
                text=ctx.t("oversight.intensified_started", account=account.name, hours=every,
                           until=from_epoch(until).strftime("%Y-%m-%d %H:%M"), reason=reason),
            )
        )
    return from_epoch(until)


def _intensified(ctx: Context, account: Account, now: dt.datetime) -> list[Message]:
    row = ctx.db.execute(
        "SELECT intensified_until, intensified_every_hours, next_intensified_at FROM accounts WHERE id = ?", [account.id]
    ).fetchone()
    if row is None or row[2] is None:
        return []
    until, every, next_at = row
    ts = to_epoch(now)
    if next_at > ts:
        return []
    if next_at > until:
        ctx.update("accounts", account.id, {"next_intensified_at": None})
        return []
    # Skip slots missed while the bot was down: one prompt now, the next on schedule.
    while next_at <= ts:
        next_at += every * 3600
    ctx.update("accounts", account.id, {"next_intensified_at": next_at if next_at <= until else None})
    responsible, _ = staff.responsible_for(ctx, account, now.date())
    return [
        Message(
            kind="intensified_prompt", to="#" + account.channel, account=account.id,
            text=ctx.t("oversight.intensified_prompt", account=account.name, hours=every,
                       until=from_epoch(until).strftime("%Y-%m-%d %H:%M")),
            actions=(Action("oversight_done", ctx.t("action.oversight_done"), account.id),),
            mentions=(responsible,),
        )
    ]


# --------------------------------------------------------------------------- report (O5)


@dataclass(frozen=True)
class DayStatus:
    day: dt.date
    business_day: bool
    checks: tuple[tuple[str, str, str], ...]  # (person, HH:MM, note)

    @property
    def watched(self) -> bool:
        return bool(self.checks)


def report(ctx: Context, start: dt.date, end: dt.date) -> dict[str, list[DayStatus]]:
    """Per account: every watch day in [start, end] (business days and O2 holiday
    watch days) with who checked, or nothing if missed. Only days up to today count."""
    if end < start:
        raise Refused(ctx.t("report.end_before_start"))
    last = min(end, ctx.today())
    logs: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for r in ctx.db.query(
        "SELECT account_id, day, person, checked_at, note FROM oversight_log WHERE day BETWEEN ? AND ? ORDER BY checked_at",
        [start.isoformat(), last.isoformat()],
    ):
        logs.setdefault((r["account_id"], r["day"]), []).append(
            (r["person"], from_epoch(r["checked_at"]).strftime("%H:%M"), r["note"])
        )
    out: dict[str, list[DayStatus]] = {}
    for account in ctx.accounts.values():
        cal = ctx.calendar(account.policy)
        days: list[DayStatus] = []
        d = start
        while d <= last:
            checks = tuple(logs.get((account.id, d.isoformat()), ()))
            if is_watch_day(ctx, account, d) or checks:
                days.append(DayStatus(d, cal.is_business_day(d), checks))
            d += dt.timedelta(days=1)
        out[account.id] = days
    return out


def render_report(ctx: Context, rep: dict[str, list[DayStatus]]) -> str:
    lines: list[str] = []
    for account_id, days in rep.items():
        account = ctx.account(account_id)
        missed = [d for d in days if not d.watched]
        lines.append(ctx.t("report.account_header", account=account.name, watched=len(days) - len(missed), total=len(days)))
        for d in days:
            if d.watched:
                who = ", ".join(f"{ctx.person(p).name} {hm}" + (f" ({note})" if note else "") for p, hm, note in d.checks)
                lines.append(ctx.t("report.day_watched", day=d.day.isoformat(), who=who))
            else:
                lines.append(ctx.t("report.day_missed", day=d.day.isoformat()))
    return "\n".join(lines)


def report_json(rep: dict[str, list[DayStatus]]) -> dict:
    return {
        acc: [
            {
                "day": d.day.isoformat(), "business_day": d.business_day, "watched": d.watched,
                "checks": [{"person": p, "time": hm, "note": n} for p, hm, n in d.checks],
            }
            for d in days
        ]
        for acc, days in rep.items()
    }
