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
from bot.core import channels, isolation, staff
from bot.core.context import Context, Refused
from bot.core.watchdays import is_watch_day
from bot.messages import Action, Message
from bot.settings import Account, parse_time

VIA = ("command", "button", "console", "reaction")


def installed_at(ctx: Context) -> int:
    """When Uppsikt was installed (first started on this database), recorded in the `state` table.

    Recorded the first time it is asked for: a database that already has accounts (an older install)
    counts from its earliest account, a new one from now.
    """
    value = ctx.get_state("installed_at")
    if value is None:
        first = ctx.db.execute("SELECT MIN(created_at) FROM accounts").fetchone()[0]
        value = str(first if first is not None else ctx.now_ts())
        ctx.set_state("installed_at", value)
    return int(value)


def watched_since(ctx: Context) -> dict[str, int]:
    """Per account, since when Uppsikt watches it (epoch seconds): when the account came into the
    database (first start, or its approval), never before the install."""
    since = installed_at(ctx)
    rows = dict(ctx.db.execute("SELECT id, created_at FROM accounts").fetchall())
    return {a: max(since, rows.get(a) or since) for a in ctx.accounts}


def counts(ctx: Context, account: Account, day: dt.date, installed: int, since: int) -> bool:
    """O5: whether a watch day counts in the report. Not before the account was watched by Uppsikt,
    and not the install day when Uppsikt was installed after that day's prompt time (its prompt
    was never sent: a calm first start). An account approved later is prompted the day it is approved."""
    if day < from_epoch(since).date():
        return False
    at = ctx.calendar(account.policy).at(day, _time_of(account.policy.oversight.prompt_time))
    return to_epoch(at) >= installed or day > from_epoch(installed).date()


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
        raise ctx.refusal("oversight.not_allowed", account=ctx.label(account))
    now = ctx.now()
    row = {
        "account_id": account.id, "day": now.date().isoformat(), "checked_at": to_epoch(now),
        "person": person, "note": note.strip(), "via": via,
    }
    with ctx.db.atomic():
        ctx.insert("oversight_log", row)
        # The agenda: today's reminder and escalation are not needed any more (nothing held back due now).
        ctx.db.execute("UPDATE accounts SET next_oversight_at = ? WHERE id = ? AND next_oversight_at > ?",
                       [next_step(ctx, account, now, checked=True), account.id, row["checked_at"]])
        # O3: a check answers every intensified slot of the account that is due and still open.
        ctx.db.execute(
            "UPDATE intensified_slots SET checked_at = ?, checked_by = ?, next_at = NULL "
            "WHERE account_id = ? AND checked_at IS NULL AND due_at <= ? AND due_at + every_hours * 3600 > ?",
            [row["checked_at"], person, account.id, row["checked_at"], row["checked_at"]])
        ctx.audit(person, "oversight.check", account.id, note=note, via=via)
    return row


def _prompt(ctx: Context, account: Account, day: dt.date, responsible: str, reason: str, holiday: bool) -> Message:
    key = "oversight.prompt_holiday" if holiday else "oversight.prompt"
    text = ctx.t(key, account=account.name, platform=ctx.platform_label(account), day=day.isoformat())
    if reason:
        text += " " + reason
    broken = channels.prompt_note(ctx, account)  # issue 12: the account's intake is broken
    if broken:
        text += "\n" + broken
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
    installed: int = 0
    claimed: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)
    settled: set[str] = field(default_factory=set)


def _today(ctx: Context, day: dt.date) -> _Today:
    accounts = ctx.accounts
    prev = ctx.cache.get("oversight_today")
    if isinstance(prev, _Today) and prev.day == day.isoformat() and prev.accounts is accounts:
        return prev
    today = _Today(day.isoformat(), accounts, [a for a in accounts.values() if is_watch_day(ctx, a, day)],
                   installed_at(ctx))
    if isinstance(prev, _Today) and prev.day == today.day:  # the accounts changed today: the facts still hold
        today.claimed, today.checked, today.settled = prev.claimed, prev.checked, prev.settled
    ctx.cache["oversight_today"] = today
    return today


def start_day(ctx: Context) -> None:
    """The day's first tick (the daily jobs after midnight): yesterday's remembered facts are dropped and
    today's watch days computed, whether or not an oversight step is due yet."""
    _today(ctx, ctx.today())


def tick(ctx: Context, slots: bool = True) -> list[Message]:
    """Due prompts, reminders and escalations (call inside db.atomic()).

    The agenda (bot/agenda.py) calls this only when an account's next oversight step or intensified prompt
    is due (or, with `slots`, an intensified check's reminder), and only the accounts whose step is due are
    looked at: today's dispatch keys already claimed and the accounts already checked today are each read
    with one query, the responsible person is looked up only for a message actually sent, and each due
    account's next step is stored (`next_step`) for the agenda.
    """
    now = ctx.now()
    ts = to_epoch(now)
    day = now.date()
    clock_time = now.time()
    iso = day.isoformat()
    out: list[Message] = []
    steps: set[str] = set()
    intensified: set[str] = set()
    for aid, step_at, intensified_at in ctx.db.execute(
            "SELECT id, next_oversight_at, next_intensified_at FROM accounts "
            "WHERE next_oversight_at <= ? OR next_intensified_at <= ?", [ts, ts]):
        if step_at is not None and step_at <= ts:
            steps.add(aid)
        if intensified_at is not None and intensified_at <= ts:
            intensified.add(aid)
    today = _today(ctx, day)
    claimed, checked = today.claimed, today.checked
    keys: list[str] = []
    unchecked: list[str] = []
    active: list[Account] = []
    for account in today.watched:
        if account.id not in steps or account.id in today.settled:
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
    failed: set[str] = set()
    paused = bool(todo) and paused_by_crisis(ctx)  # read once per tick, not once per account
    for account in ctx.accounts.values():
        if (account.id not in todo or paused) and account.id not in intensified:
            continue
        # Each account is its own unit of work: a failure rolls back and is reported for it alone.
        sent = isolation.run(
            ctx, f"oversight:{account.id}", ctx.t("duty.unit.oversight", account=ctx.label(account)),
            lambda account=account: _account_tick(ctx, account, now, account.id in intensified,
                                                  account.id in todo and not paused, claimed, checked,
                                                  today.installed), None)
        if sent is None:
            failed.add(account.id)
            if account.id in intensified:  # tried again in an hour, not at every tick (nor every simulated second)
                ctx.update("accounts", account.id, {"next_intensified_at": ts + isolation.RETRY_SECONDS})
            continue
        out += sent
    if steps:
        _plan_steps(ctx, steps, now, checked, failed & todo, today.settled)
    followups = _slot_followups(ctx, now) if slots else []  # O3: intensified checks not logged
    for m in followups:
        ctx.emit(m)
    return out + followups


def next_step(ctx: Context, account: Account, now: dt.datetime, checked: bool = False) -> int:
    """The agenda's time for the account's next oversight step after `now` (epoch seconds): today's prompt,
    reminder or escalation still to come (only the prompt when the account was checked today), else the
    first step of its next watch day (O1, O2)."""
    pol = account.policy.oversight
    cal = ctx.calendar(account.policy)
    times = [_time_of(pol.prompt_time), _time_of(pol.reminder_time), _time_of(pol.escalation_time)]
    ts = to_epoch(now)
    day = now.date()
    if is_watch_day(ctx, account, day):
        later = [at for at in (to_epoch(cal.at(day, t)) for t in (times[:1] if checked else times)) if at > ts]
        if later:
            return min(later)
    for _ in range(400):  # O2: never more than max_days_without_check days apart
        day += dt.timedelta(days=1)
        if is_watch_day(ctx, account, day):
            return min(to_epoch(cal.at(day, t)) for t in times)
    return ts + 86400


def _plan_steps(ctx: Context, due: set[str], now: dt.datetime, checked: set[str], failed: set[str],
                settled: set[str]) -> None:
    """Store the next step of each account whose step was due (an account whose step failed is tried again
    an hour later; one no longer watched has none). An account whose next step is on a later day has nothing
    more to do today (`settled`)."""
    ts = to_epoch(now)
    tomorrow = to_epoch(ctx.calendar().local_midnight(now.date() + dt.timedelta(days=1)))
    rows = []
    for aid in sorted(due):
        account = ctx.accounts.get(aid)
        if account is None:
            rows.append((None, aid))
        elif aid in failed:
            rows.append((ts + isolation.RETRY_SECONDS, aid))
        else:
            step = next_step(ctx, account, now, aid in checked)
            if step >= tomorrow:
                settled.add(aid)
            rows.append((step, aid))
    ctx.db.conn.executemany("UPDATE accounts SET next_oversight_at = ? WHERE id = ?", rows)


def replan(ctx: Context) -> None:
    """Every account's next step is due now: what was held back is looked at again (the end of a crisis,
    which paused the daily prompts, K1). Call inside db.atomic()."""
    ctx.db.execute("UPDATE accounts SET next_oversight_at = ? WHERE next_oversight_at IS NOT NULL", [ctx.now_ts()])


def _account_tick(ctx: Context, account: Account, now: dt.datetime, intensified: bool, todo: bool,
                  claimed: set[str], checked: set[str], installed: int) -> list[Message]:
    """One account's prompt, reminder, escalation and intensified prompt now due (emitted here)."""
    day, clock_time, iso = now.date(), now.time(), now.date().isoformat()
    out: list[Message] = []
    if intensified:
        out += _intensified(ctx, account, now)
    if todo:  # not while crisis mode pauses the daily prompts (the caller asks, K1)
        out += _daily_messages(ctx, account, day, clock_time, iso, claimed, checked, installed)
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
                    claimed: set[str], checked: set[str], installed: int) -> list[Message]:
    out: list[Message] = []
    pol = account.policy.oversight
    base = f"{account.id}:{iso}"
    who: tuple[str, str] | None = None

    def before_install(hm: str) -> bool:
        """Fell due before Uppsikt was installed: claimed, never sent (a calm first start). When the day's
        prompt did, the whole day's round (its reminder and escalation too) belongs to before Uppsikt."""
        cal = ctx.calendar(account.policy)
        return min(to_epoch(cal.at(day, _time_of(hm))), to_epoch(cal.at(day, _time_of(pol.prompt_time)))) < installed

    if (clock_time >= _time_of(pol.prompt_time) and f"prompt:{base}" not in claimed
            and ctx.once(f"prompt:{base}") and not before_install(pol.prompt_time)):
        who = staff.responsible_for(ctx, account, day)
        holiday = not ctx.calendar(account.policy).is_business_day(day)
        out.append(_prompt(ctx, account, day, who[0], who[1], holiday))
    if clock_time < _time_of(pol.reminder_time) or account.id in checked:
        return out
    remind = f"reminder:{base}" not in claimed
    escalate = clock_time >= _time_of(pol.escalation_time) and f"escalation:{base}" not in claimed
    if remind and before_install(pol.reminder_time):
        ctx.once(f"reminder:{base}")
        remind = False
    if escalate and before_install(pol.escalation_time):
        ctx.once(f"escalation:{base}")
        escalate = False
    if not (remind or escalate):
        return out
    responsible, why = who or staff.responsible_for(ctx, account, day)
    if remind and ctx.once(f"reminder:{base}"):
        text = ctx.t("oversight.reminder", account=ctx.label(account), time=pol.reminder_time)
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
            text = ctx.t("oversight.escalation", account=ctx.label(account), person=name, time=pol.escalation_time)
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
        raise ctx.refusal("oversight.intensify_not_allowed", account=ctx.label(account))
    pol = account.policy.oversight
    every = hours or pol.intensified_every_hours
    if every < 1 or every > 24:
        raise ctx.refusal("oversight.bad_hours")
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
                text=ctx.t("oversight.intensified_started", account=ctx.label(account), hours=every,
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
    # The slot is kept until it is checked: reminded, then escalated, then reported as missed (O3, O5).
    ctx.db.execute("UPDATE intensified_slots SET next_at = NULL WHERE account_id = ? AND next_at IS NOT NULL",
                   [account.id])  # an earlier slot still open is missed now; this one takes over
    reminder_at, _ = _slot_times(ts, every)
    ctx.db.execute("INSERT OR IGNORE INTO intensified_slots (account_id, due_at, every_hours, next_at) "
                   "VALUES (?, ?, ?, ?)", [account.id, ts, every, reminder_at])
    responsible, _ = staff.responsible_for(ctx, account, now.date())
    return [
        Message(
            kind="intensified_prompt", to="#" + account.channel, account=account.id,
            text=ctx.t("oversight.intensified_prompt", account=ctx.label(account), hours=every,
                       until=from_epoch(until).strftime("%Y-%m-%d %H:%M")),
            actions=(Action("oversight_done", ctx.t("action.oversight_done"), account.id),),
            mentions=(responsible,),
        )
    ]


def _slot_times(due_at: int, every_hours: int) -> tuple[int, int]:
    """An intensified check not logged a third of the interval after it was asked for is reminded
    about; two thirds after, the communicators are told (before the next check is due)."""
    third = every_hours * 3600 // 3
    return due_at + third, due_at + 2 * third


def _slot_followups(ctx: Context, now: dt.datetime) -> list[Message]:
    """O3: reminders and escalations for intensified checks not logged (call inside db.atomic())."""
    ts = to_epoch(now)
    out: list[Message] = []
    rows = ctx.db.execute(
        "SELECT id, account_id, due_at, every_hours, reminded_at FROM intensified_slots "
        "WHERE next_at IS NOT NULL AND next_at <= ? AND checked_at IS NULL ORDER BY next_at", [ts]).fetchall()
    for slot_id, account_id, due_at, every, reminded_at in rows:
        account = ctx.accounts.get(account_id)
        if account is None:  # closed meanwhile
            ctx.update("intensified_slots", slot_id, {"next_at": None})
            continue
        reminder_at, escalation_at = _slot_times(due_at, every)
        asked = from_epoch(due_at).strftime("%H:%M")
        responsible, _ = staff.responsible_for(ctx, account, now.date())
        label = ctx.label(account)
        if ts >= escalation_at:  # only the latest stage that is due, also after a restart
            name = ctx.name_of(responsible)
            for c in staff.communicators(ctx, now.date(), exclude=responsible):
                out.append(Message(
                    kind="intensified_escalation", to=c, account=account.id,
                    text=ctx.t("oversight.intensified_escalation", account=label, asked=asked, person=name),
                ))
            ctx.update("intensified_slots", slot_id, {"escalated_at": ts, "next_at": None,
                                                      "reminded_at": reminded_at or ts})
        elif reminded_at is None:
            out.append(Message(
                kind="intensified_reminder", to=responsible, account=account.id,
                text=ctx.t("oversight.intensified_reminder", account=label, asked=asked),
                actions=(Action("oversight_done", ctx.t("action.oversight_done"), account.id),),
            ))
            ctx.update("intensified_slots", slot_id, {"reminded_at": ts, "next_at": escalation_at})
        else:
            ctx.update("intensified_slots", slot_id, {"next_at": escalation_at})
    return out


# --------------------------------------------------------------------------- report (O5)


@dataclass(frozen=True)
class DayStatus:
    day: dt.date
    business_day: bool
    checks: tuple[tuple[str, str, str], ...]  # (person, HH:MM, note)

    @property
    def watched(self) -> bool:
        return bool(self.checks)


class Report(dict):
    """Per account id: its watch days (a list of DayStatus). Also, per account: since when Uppsikt
    watches it (`since`), its intensified checks (`intensified`, O3) and its late first replies
    (`late`, Q2) in the period."""

    since: dict[str, dt.date]
    intensified: dict[str, list[dict]]
    late: dict[str, list[dict]]


def report(ctx: Context, start: dt.date, end: dt.date) -> Report:
    """Per account: every watch day in [start, end] (business days and O2 holiday
    watch days) with who checked, or nothing if missed. Only days up to today count, and only
    days since the account was watched by Uppsikt (never days before the install)."""
    if end < start:
        raise ctx.refusal("report.end_before_start")
    last = min(end, ctx.today())
    logs: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for r in ctx.db.query(
        "SELECT account_id, day, person, checked_at, note FROM oversight_log WHERE day BETWEEN ? AND ? ORDER BY checked_at",
        [start.isoformat(), last.isoformat()],
    ):
        logs.setdefault((r["account_id"], r["day"]), []).append(
            (r["person"], from_epoch(r["checked_at"]).strftime("%H:%M"), r["note"])
        )
    installed = installed_at(ctx)
    since = watched_since(ctx)
    out = Report()
    out.since, out.intensified, out.late = {}, {}, {}
    lo = to_epoch(ctx.calendar().local_midnight(start))
    hi = to_epoch(ctx.calendar().local_midnight(end + dt.timedelta(days=1)))
    for account in ctx.accounts.values():
        cal = ctx.calendar(account.policy)
        days: list[DayStatus] = []
        d = start
        while d <= last:
            checks = tuple(logs.get((account.id, d.isoformat()), ()))
            if checks or (is_watch_day(ctx, account, d) and counts(ctx, account, d, installed, since[account.id])):
                days.append(DayStatus(d, cal.is_business_day(d), checks))
            d += dt.timedelta(days=1)
        out[account.id] = days
        first = from_epoch(since[account.id]).date()
        if first > start:
            out.since[account.id] = first
        out.intensified[account.id] = [
            {"due_at": r[0], "every_hours": r[1], "checked_at": r[2], "checked_by": r[3], "reminded_at": r[4],
             "escalated_at": r[5], "open": r[6] is not None}
            for r in ctx.db.execute(
                "SELECT due_at, every_hours, checked_at, checked_by, reminded_at, escalated_at, next_at "
                "FROM intensified_slots WHERE account_id = ? AND due_at >= ? AND due_at < ? AND due_at <= ? ORDER BY due_at",
                [account.id, lo, hi, ctx.now_ts()])
        ]
        out.late[account.id] = [
            {"id": r[0], "first_reply_at": r[1], "first_reply_due": r[2]}
            for r in ctx.db.execute(
                "SELECT id, first_reply_at, first_reply_due FROM items WHERE account_id = ? AND first_reply_late = 1 "
                "AND first_reply_at >= ? AND first_reply_at < ? ORDER BY first_reply_at", [account.id, lo, hi])
        ]
    return out


def _missed_slot(slot: dict) -> bool:
    """An intensified check is missed when nobody logged a check in its interval (and the interval is over
    or it has been escalated)."""
    return slot["checked_at"] is None and not (slot["open"] and slot["escalated_at"] is None)


def render_report(ctx: Context, rep: dict[str, list[DayStatus]]) -> str:
    lines: list[str] = []
    since = getattr(rep, "since", {})
    intensified = getattr(rep, "intensified", {})
    late = getattr(rep, "late", {})
    for account_id, days in rep.items():
        account = ctx.account(account_id)
        missed = [d for d in days if not d.watched]
        lines.append(ctx.t("report.account_header", account=ctx.label(account), watched=len(days) - len(missed),
                           total=len(days), count=len(days)))
        if account_id in since:
            lines.append(ctx.t("report.since", day=since[account_id].isoformat()))
        for d in days:
            holiday = "" if d.business_day else ctx.t("report.holiday")
            if d.watched:
                who = ", ".join(f"{ctx.name_of(p)} {hm}" + (f" ({note})" if note else "") for p, hm, note in d.checks)
                lines.append(ctx.t("report.day_watched", day=d.day.isoformat() + holiday, who=who))
            else:
                lines.append(ctx.t("report.day_missed", day=d.day.isoformat() + holiday))
        slots = intensified.get(account_id, [])
        if slots:
            lines.append(ctx.t("report.intensified_header", done=sum(1 for s in slots if s["checked_at"]),
                               total=len(slots)))
            for slot in slots:
                if _missed_slot(slot):
                    fmt = lambda ts: from_epoch(ts).strftime("%Y-%m-%d %H:%M") if ts else ctx.t("report.intensified_not_yet")  # noqa: E731
                    lines.append(ctx.t("report.intensified_missed", at=fmt(slot["due_at"]),
                                       reminded=fmt(slot["reminded_at"]), escalated=fmt(slot["escalated_at"])))
        if late.get(account_id):
            lines.append(ctx.t("report.late_header"))
            for item in late[account_id]:
                lines.append(ctx.t("report.late_line", id=item["id"],
                                   at=from_epoch(item["first_reply_at"]).strftime("%Y-%m-%d %H:%M"),
                                   due=from_epoch(item["first_reply_due"]).strftime("%Y-%m-%d %H:%M")))
    return "\n".join(lines)


def report_json(rep: dict[str, list[DayStatus]]) -> dict:
    since = getattr(rep, "since", {})
    intensified = getattr(rep, "intensified", {})
    late = getattr(rep, "late", {})

    def iso(ts: int | None) -> str | None:
        return from_epoch(ts).isoformat() if ts else None

    out: dict = {
        acc: [
            {
                "day": d.day.isoformat(), "business_day": d.business_day, "watched": d.watched,
                "checks": [{"person": p, "time": hm, "note": n} for p, hm, n in d.checks],
            }
            for d in days
        ]
        for acc, days in rep.items()
    }
    if any(intensified.values()) or any(late.values()) or since:  # only when there is something to add
        out["_details"] = {
            acc: {
                "watched_since": since[acc].isoformat() if acc in since else None,
                "intensified_checks": [
                    {"due_at": iso(s["due_at"]), "checked_at": iso(s["checked_at"]), "checked_by": s["checked_by"],
                     "reminded_at": iso(s["reminded_at"]), "escalated_at": iso(s["escalated_at"]),
                     "missed": _missed_slot(s)}
                    for s in intensified.get(acc, [])
                ],
                "late_first_replies": [
                    {"item": i["id"], "first_reply_at": iso(i["first_reply_at"]), "due": iso(i["first_reply_due"])}
                    for i in late.get(acc, [])
                ],
            }
            for acc in rep
        }
    return out
