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
import functools
from dataclasses import dataclass, field

from bot.clock import from_epoch, to_epoch
from bot.core import isolation, staff
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
    if person in account.staff or any(r in p.roles for r in ("communicator", "crisis_group")):
        return True
    return is_named_substitute(ctx, account, person, ctx.today())


def is_named_substitute(ctx: Context, account: Account, person: str, day: dt.date) -> bool:
    """O4: the substitute named in the absence of one of the account's staff takes over, also when
    they are not on the account's staff themselves."""
    return any((a := staff.absence_on(ctx, s, day)) is not None and a.substitute == person for s in account.staff)


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


@functools.lru_cache(maxsize=256)
def _time_of(hm: str) -> dt.time:
    return parse_time(hm)


def _claimed(ctx: Context, keys: list[str]) -> set[str]:
    """Which of these dispatch keys were claimed already (one query instead of one INSERT each)."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        found.update(r[0] for r in ctx.db.execute(
            f"SELECT key FROM dispatched WHERE key IN ({','.join('?' * len(chunk))})", chunk))
    return found


@dataclass
class _Today:
    """What one day's ticks keep: the watch days of the configured accounts, and facts that can
    only stay true (dispatch keys claimed, accounts checked, accounts with nothing left to do).

    Facts are filled only from what a tick reads before it writes anything, so from committed
    ticks, never from a claim the current transaction could still roll back.
    """

    day: str
    accounts: dict
    watched: list[Account]
    claimed: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)
    settled: set[str] = field(default_factory=set)


def _today(ctx: Context, day: dt.date) -> _Today:
    accounts = ctx.accounts
    prev = ctx.cache.get("oversight_today")
    if isinstance(prev, _Today) and prev.day == day.isoformat() and prev.accounts is accounts:
        return prev
    today = _Today(day.isoformat(), accounts, [a for a in accounts.values() if is_watch_day(ctx, a, day)])
    if isinstance(prev, _Today) and prev.day == today.day:  # the accounts changed today: the facts still hold
        today.claimed, today.checked, today.settled = prev.claimed, prev.checked, prev.settled
    ctx.cache["oversight_today"] = today
    return today


def tick(ctx: Context) -> list[Message]:
    """Due prompts, reminders and escalations for today (call inside db.atomic()).

    The scheduler calls this every minute (the simulator at every moment something
    falls due), so a tick with nothing to do must cost little whatever the number of
    accounts: the intensified watches due, today's dispatch keys already claimed and
    the accounts already checked today are each read with one query (and what is read
    is remembered for the rest of the day: a claimed key or a logged check stays so),
    and the responsible person is looked up only for a message that is actually sent.
    """
    now = ctx.now()
    ts = to_epoch(now)
    day = now.date()
    clock_time = now.time()
    iso = day.isoformat()
    out: list[Message] = []
    intensified = {r[0] for r in ctx.db.execute(
        "SELECT id FROM accounts WHERE next_intensified_at IS NOT NULL AND next_intensified_at <= ?", [ts])}
    today = _today(ctx, day)
    claimed, checked = today.claimed, today.checked
    keys: list[str] = []
    unchecked: list[str] = []
    active: list[Account] = []
    for account in today.watched:
        if account.id in today.settled:
            continue
        pol = account.policy.oversight
        prompt_due = clock_time >= _time_of(pol.prompt_time)
        later_due = clock_time >= _time_of(pol.reminder_time)
        if not (prompt_due or later_due):
            continue
        active.append(account)
        if prompt_due and f"prompt:{account.id}:{iso}" not in claimed:
            keys.append(f"prompt:{account.id}:{iso}")
        if not later_due or account.id in checked:
            continue
        later = [f"reminder:{account.id}:{iso}"]
        if clock_time >= _time_of(pol.escalation_time):
            later.append(f"escalation:{account.id}:{iso}")
        later = [k for k in later if k not in claimed]
        if later:
            keys += later
            unchecked.append(account.id)
    if keys:
        claimed |= _claimed(ctx, keys)
    if unchecked:
        checked.update(r[0] for r in ctx.db.execute(
            f"SELECT DISTINCT account_id FROM oversight_log WHERE day = ? AND account_id IN ({','.join('?' * len(unchecked))})",
            [iso, *unchecked]))
    todo = set()
    for account in active:
        later = (f"reminder:{account.id}:{iso}", f"escalation:{account.id}:{iso}")
        if f"prompt:{account.id}:{iso}" in claimed and (account.id in checked or all(k in claimed for k in later)):
            today.settled.add(account.id)  # nothing more today, whatever the time
        else:
            todo.add(account.id)
    for account in ctx.accounts.values():
        if account.id not in todo and account.id not in intensified:
            continue
        # Each account is its own unit of work: a failure rolls back and is reported for it alone.
        sent = isolation.run(
            ctx, f"oversight:{account.id}", ctx.t("duty.unit.oversight", account=account.name),
            lambda account=account: _account_tick(ctx, account, now, account.id in intensified,
                                                  account.id in todo, claimed, checked), None)
        if sent is None:
            if account.id in intensified:  # tried again in an hour, not at every tick (nor every simulated second)
                ctx.update("accounts", account.id, {"next_intensified_at": ts + isolation.RETRY_SECONDS})
            continue
        out += sent
    return out


def _account_tick(ctx: Context, account: Account, now: dt.datetime, intensified: bool, todo: bool,
                  claimed: set[str], checked: set[str]) -> list[Message]:
    """One account's prompt, reminder, escalation and intensified prompt now due (emitted here)."""
    day, clock_time, iso = now.date(), now.time(), now.date().isoformat()
    out: list[Message] = []
    if intensified:
        out += _intensified(ctx, account, now)
    if todo and not paused_by_crisis(ctx):
        out += _daily_messages(ctx, account, day, clock_time, iso, claimed, checked)
    for m in out:
        ctx.emit(m)
    return out


def paused_by_crisis(ctx: Context) -> bool:
    """K1 (policy choice, docs/policies.md): while crisis mode is on, the crisis prompts replace the
    ordinary daily prompt, reminder and escalation and the intensified prompts (O3). The daily ones
    are not claimed, so what is still due when the crisis ends (an account nobody checked today) is
    sent then; the intensified schedule runs on, silent, until the crisis ends."""
    return ctx.get_state("crisis_since") is not None


def _daily_messages(ctx: Context, account: Account, day: dt.date, clock_time: dt.time, iso: str,
                    claimed: set[str], checked: set[str]) -> list[Message]:
    out: list[Message] = []
    pol = account.policy.oversight
    base = f"{account.id}:{iso}"
    who: tuple[str, str] | None = None
    if (clock_time >= _time_of(pol.prompt_time) and f"prompt:{base}" not in claimed
            and ctx.once(f"prompt:{base}")):
        who = staff.responsible_for(ctx, account, day)
        holiday = not ctx.calendar(account.policy).is_business_day(day)
        out.append(_prompt(ctx, account, day, who[0], who[1], holiday))
    if clock_time < _time_of(pol.reminder_time) or account.id in checked:
        return out
    remind = f"reminder:{base}" not in claimed
    escalate = clock_time >= _time_of(pol.escalation_time) and f"escalation:{base}" not in claimed
    if not (remind or escalate):
        return out
    responsible, why = who or staff.responsible_for(ctx, account, day)
    if remind and ctx.once(f"reminder:{base}"):
        text = ctx.t("oversight.reminder", account=account.name, time=pol.reminder_time)
        out.append(
            Message(
                kind="oversight_reminder", to=responsible, account=account.id,
                text=text + (f" {why}" if why else ""),
                actions=(Action("oversight_done", ctx.t("action.oversight_done"), account.id),),
            )
        )
    if escalate and ctx.once(f"escalation:{base}"):
        name = ctx.name_of(responsible)
        for c, c_why in staff.communicators_with_reasons(ctx, day, exclude=responsible):
            text = ctx.t("oversight.escalation", account=account.name, person=name, time=pol.escalation_time)
            out.append(
                Message(
                    kind="oversight_escalation", to=c, account=account.id,
                    text=text + (f" {c_why}" if c_why else ""),
                )
            )
    return out


# --------------------------------------------------------------------------- intensified (O3)


def intensify(ctx: Context, account_id: str, actor: str, reason: str, hours: int | None = None, days: int | None = None) -> dt.datetime:
    """Check the account every `hours` for `days`, evenings and weekends included."""
    account = ctx.account(account_id)
    if not may_check(ctx, account, actor):
        raise Refused(ctx.t("oversight.intensify_not_allowed", account=account.name))
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
    if paused_by_crisis(ctx):  # K1: the crisis prompts (every crisis.oversight_every_hours) take this slot
        return []
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
                who = ", ".join(f"{ctx.name_of(p)} {hm}" + (f" ({note})" if note else "") for p, hm, note in d.checks)
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
