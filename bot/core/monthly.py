"""The month's compliance figures (issue 14), computed from the store; no plotting here.

Everything is a pure function of the database, the configuration, the calendar
and the injected clock, so the figures can be tested without matplotlib
(`bot.report` draws and writes them).

Oversight per account and day (the calendar), in the reading of the O5 report:

* a **watch day** is what `oversight.is_watch_day` says (business days, O1, and
  the O2 holiday watch days); holiday watch days count like any other watch day
  and are flagged ``holiday`` so the calendar can mark them;
* ``on_time``: checked that day before the policy's reminder time (no reminder
  was needed); ``late``: checked that day, at or after the reminder time;
  ``missed``: a watch day without a check;
* ``not_watch_day``: not a watch day (a check on such a day is kept as ``checked``
  but is neither required nor counted);
* ``before``: the account was not yet watched by Uppsikt that day (before the
  day it was added); never counted as missed;
* ``pending``: today, not yet checked (not missed until the day is over);
  ``future``: after today.

Reply times against the deadlines (Q1, Q2), per account, for the questions
received in the month: time to first reply (first reply or answer) and to the
full answer, both from receipt; *within* means at or before the item's stored
deadline. A question answered directly, with no separate first reply, has no
full-answer deadline of its own and counts as answered within it. Items still
waiting whose deadline has passed count as *overdue*, those whose deadline has
not come yet as *waiting* (left out of the share).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from bot.clock import from_epoch, to_epoch
from bot.core import oversight
from bot.core.context import Context, Refused
from bot.i18n import catalogue
from bot.settings import parse_time

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
DAY_STATUSES = ("on_time", "late", "missed", "not_watch_day", "before", "pending", "future")
OPEN_STATUSES = ("open", "first_reply_sent", "forwarded")
DONE_STATUSES = ("answered", "closed")
# Buckets of elapsed time (hours, upper bound exclusive) for the reply-time distribution.
BUCKETS: tuple[tuple[str, float], ...] = (
    ("under_1h", 1), ("1_4h", 4), ("4_24h", 24), ("1_3d", 72), ("3_7d", 168), ("over_7d", float("inf")),
)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.year, self.month, _calendar.monthrange(self.year, self.month)[1])

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range(self.last.day)]

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)


def parse_month(ctx: Context, text: str) -> Month:
    """'2026-11' -> Month; anything else is refused with a Swedish explanation."""
    m = MONTH_RE.match((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise ctx.refusal("monthly.bad_month", value=text)
    return Month(int(m.group(1)), int(m.group(2)))


# --------------------------------------------------------------------------- oversight calendar


@dataclass(frozen=True)
class DayCell:
    day: dt.date
    status: str  # one of DAY_STATUSES
    holiday: bool = False  # an O2 holiday watch day (not a business day)
    checked_at: str = ""  # HH:MM of the first check that day, if any
    by: str = ""  # e-mail of who made the first check

    @property
    def watch_day(self) -> bool:
        return self.status in ("on_time", "late", "missed", "pending")


@dataclass(frozen=True)
class AccountOversight:
    account_id: str
    name: str
    cells: tuple[DayCell, ...]

    def count(self, status: str) -> int:
        return sum(1 for c in self.cells if c.status == status)

    @property
    def holiday_watch_days(self) -> int:
        return sum(1 for c in self.cells if c.holiday and c.status in ("on_time", "late", "missed"))

    @property
    def watch_days(self) -> int:
        """Watch days that are over (on time + late + missed)."""
        return self.count("on_time") + self.count("late") + self.count("missed")

    @property
    def watched(self) -> int:
        return self.count("on_time") + self.count("late")

    @property
    def share_watched(self) -> float | None:
        return self.watched / self.watch_days if self.watch_days else None


def account_label(ctx: Context, account) -> str:
    """The account's name and platform: several accounts often share the municipality's name."""
    platform = catalogue(ctx.lang).get(f"records.platform.{account.platform}", account.platform)
    return f"{account.name} ({platform})"


def _account_start(ctx: Context) -> dict[str, dt.date]:
    return {r[0]: from_epoch(r[1]).date() for r in ctx.db.execute("SELECT id, created_at FROM accounts")}


def oversight_calendar(ctx: Context, month: Month) -> list[AccountOversight]:
    today = ctx.today()
    start = _account_start(ctx)
    first: dict[tuple[str, str], tuple[int, str]] = {}
    for r in ctx.db.execute(
        "SELECT account_id, day, checked_at, person FROM oversight_log WHERE day BETWEEN ? AND ? "
        "ORDER BY checked_at, id", [month.first.isoformat(), month.last.isoformat()],
    ):
        first.setdefault((r[0], r[1]), (r[2], r[3]))
    out = []
    for account in ctx.accounts.values():
        cal = ctx.calendar(account.policy)
        reminder = parse_time(account.policy.oversight.reminder_time)
        since = start.get(account.id, month.first)
        cells = []
        for d in month.days():
            check = first.get((account.id, d.isoformat()))
            hm, by = "", ""
            if check:
                at = from_epoch(check[0])
                hm, by = at.strftime("%H:%M"), check[1]
            watch = oversight.is_watch_day(ctx, account, d)
            holiday = watch and not cal.is_business_day(d)
            if d > today:
                status = "future"
            elif d < since:
                status = "before"
            elif not watch:
                status = "not_watch_day"
            elif check:
                status = "on_time" if from_epoch(check[0]).time() < reminder else "late"
            elif d == today:
                status = "pending"
            else:
                status = "missed"
            cells.append(DayCell(d, status, holiday, hm, by))
        out.append(AccountOversight(account.id, account_label(ctx, account), tuple(cells)))
    return out


# --------------------------------------------------------------------------- reply times


@dataclass
class DeadlineFigures:
    """One deadline (first reply or full answer) for one account."""

    within: int = 0
    late: int = 0
    overdue: int = 0  # still waiting, deadline passed
    waiting: int = 0  # still waiting, deadline not passed
    hours: list[float] = field(default_factory=list)  # elapsed from receipt, for those that got it

    @property
    def decided(self) -> int:
        return self.within + self.late + self.overdue

    @property
    def share_within(self) -> float | None:
        return self.within / self.decided if self.decided else None

    @property
    def median_hours(self) -> float | None:
        if not self.hours:
            return None
        s = sorted(self.hours)
        mid = len(s) // 2
        return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2

    def buckets(self) -> dict[str, int]:
        out = {name: 0 for name, _ in BUCKETS}
        for h in self.hours:
            out[next(name for name, upper in BUCKETS if h < upper)] += 1
        return out


@dataclass(frozen=True)
class AccountReplies:
    account_id: str
    name: str
    questions: int
    first_reply: DeadlineFigures
    full_answer: DeadlineFigures
    closed_without_answer: int


def _month_span(ctx: Context, month: Month) -> tuple[int, int]:
    cal = ctx.calendar()
    return (to_epoch(cal.local_midnight(month.first)),
            to_epoch(cal.local_midnight(month.last + dt.timedelta(days=1))))


def _closed_at(ctx: Context, ids: list[int]) -> dict[int, int]:
    """When each item was closed without answer (item_history, first row with to_status 'closed')."""
    out: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for r in ctx.db.execute(
            f"SELECT item_id, MIN(at) FROM item_history WHERE to_status = 'closed' AND item_id IN "
            f"({','.join('?' * len(chunk))}) GROUP BY item_id", chunk,
        ):
            out[r[0]] = r[1]
    return out


def reply_times(ctx: Context, month: Month) -> list[AccountReplies]:
    lo, hi = _month_span(ctx, month)
    now = ctx.now_ts()
    rows = list(ctx.db.query(
        "SELECT id, account_id, received_at, status, first_reply_due, first_reply_at, full_answer_due, answered_at "
        "FROM items WHERE first_reply_due IS NOT NULL AND received_at >= ? AND received_at < ? ORDER BY id", [lo, hi]))
    per: dict[str, AccountReplies] = {
        a.id: AccountReplies(a.id, account_label(ctx, a), 0, DeadlineFigures(), DeadlineFigures(), 0) for a in ctx.accounts.values()}
    for r in rows:
        acc = per.get(r["account_id"])
        if acc is None:
            continue
        counts = {"questions": acc.questions + 1, "closed": acc.closed_without_answer}
        fr, fa = acc.first_reply, acc.full_answer
        # First reply: the first reply, or the answer, whichever came first.
        if r["first_reply_at"]:
            fr.hours.append((r["first_reply_at"] - r["received_at"]) / 3600)
            if r["first_reply_at"] <= r["first_reply_due"]:
                fr.within += 1
            else:
                fr.late += 1
        elif r["status"] == "closed":
            counts["closed"] += 1
        elif r["first_reply_due"] < now:
            fr.overdue += 1
        else:
            fr.waiting += 1
        # Full answer.
        if r["answered_at"]:
            fa.hours.append((r["answered_at"] - r["received_at"]) / 3600)
            if r["full_answer_due"] is None or r["answered_at"] <= r["full_answer_due"]:
                fa.within += 1
            else:
                fa.late += 1
        elif r["status"] == "closed":
            if r["first_reply_at"]:
                counts["closed"] += 1
        elif r["full_answer_due"] is not None:
            if r["full_answer_due"] < now:
                fa.overdue += 1
            else:
                fa.waiting += 1
        elif r["first_reply_due"] < now:
            fa.overdue += 1  # no first reply either, and its deadline is gone: the answer is overdue too
        else:
            fa.waiting += 1
        per[acc.account_id] = AccountReplies(acc.account_id, acc.name, counts["questions"], fr, fa, counts["closed"])
    return list(per.values())


# --------------------------------------------------------------------------- open and overdue per day


@dataclass(frozen=True)
class DayLoad:
    day: dt.date
    open: int
    overdue: int


def open_overdue_by_day(ctx: Context, month: Month) -> list[DayLoad]:
    """Questions open and overdue at the end of each day of the month (up to now)."""
    cal = ctx.calendar()
    lo, hi = _month_span(ctx, month)
    now = ctx.now_ts()
    rows = list(ctx.db.query(
        "SELECT id, received_at, first_reply_due, first_reply_at, full_answer_due, answered_at, status FROM items "
        "WHERE first_reply_due IS NOT NULL AND received_at < ? AND (answered_at IS NULL OR answered_at >= ?)",
        [hi, lo]))
    opened: dict[int, int] = {}
    ids = [r["id"] for r in rows]
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for r in ctx.db.execute(
            f"SELECT item_id, MIN(at) FROM item_history WHERE to_status IN ('open','first_reply_sent','forwarded') "
            f"AND item_id IN ({','.join('?' * len(chunk))}) GROUP BY item_id", chunk,
        ):
            opened[r[0]] = r[1]
    closed = _closed_at(ctx, ids)
    out = []
    for d in month.days():
        t = min(to_epoch(cal.local_midnight(d + dt.timedelta(days=1))), now)
        if t <= to_epoch(cal.local_midnight(d)):
            break  # the day has not begun
        n_open = n_over = 0
        for r in rows:
            start = max(r["received_at"], opened.get(r["id"], r["received_at"]))
            end = r["answered_at"] or closed.get(r["id"])
            if not (start <= t and (end is None or end > t)):
                continue
            n_open += 1
            first_done = r["first_reply_at"] is not None and r["first_reply_at"] <= t
            if (not first_done and r["first_reply_due"] < t) or (
                    first_done and r["full_answer_due"] is not None and r["full_answer_due"] < t):
                n_over += 1
        out.append(DayLoad(d, n_open, n_over))
    return out


# --------------------------------------------------------------------------- assignees, removals, crises


@dataclass(frozen=True)
class AssigneeLoad:
    email: str
    name: str
    answered: int
    closed: int
    open: int
    overdue: int

    @property
    def total(self) -> int:
        return self.answered + self.closed + self.open


def items_per_assignee(ctx: Context, month: Month) -> list[AssigneeLoad]:
    lo, hi = _month_span(ctx, month)
    now = ctx.now_ts()
    per: dict[str, list[int]] = {}
    for r in ctx.db.query(
        "SELECT assignee, status, first_reply_due, first_reply_at, full_answer_due FROM items "
        "WHERE first_reply_due IS NOT NULL AND received_at >= ? AND received_at < ?", [lo, hi],
    ):
        c = per.setdefault(r["assignee"] or "", [0, 0, 0, 0])
        if r["status"] == "answered":
            c[0] += 1
        elif r["status"] == "closed":
            c[1] += 1
        else:
            c[2] += 1
            if (r["status"] == "open" and r["first_reply_due"] < now) or (
                    r["status"] != "open" and r["full_answer_due"] is not None and r["full_answer_due"] < now):
                c[3] += 1
    out = []
    for email, (answered, closed_, open_, over) in per.items():
        person = ctx.settings.person(email) if email else None
        out.append(AssigneeLoad(email, person.name if person else (email or "–"), answered, closed_, open_, over))
    out.sort(key=lambda a: (-a.total, a.name))
    return out


def removals_by_ground(ctx: Context, month: Month) -> list[tuple[str, int]]:
    lo, hi = _month_span(ctx, month)
    return [(r[0], r[1]) for r in ctx.db.execute(
        "SELECT ground, COUNT(*) FROM removals WHERE decided_at >= ? AND decided_at < ? GROUP BY ground "
        "ORDER BY COUNT(*) DESC, ground", [lo, hi])]


@dataclass(frozen=True)
class CrisisSpan:
    started: dt.datetime
    ended: dt.datetime | None  # None: still on
    reason: str
    started_by: str


def crisis_periods(ctx: Context, month: Month) -> list[CrisisSpan]:
    lo, hi = _month_span(ctx, month)
    return [
        CrisisSpan(from_epoch(r["started_at"]), from_epoch(r["ended_at"]) if r["ended_at"] else None,
                   r["reason"], r["started_by"])
        for r in ctx.db.query(
            "SELECT * FROM crisis_periods WHERE started_at < ? AND (ended_at IS NULL OR ended_at >= ?) "
            "ORDER BY started_at", [hi, lo])
    ]


# --------------------------------------------------------------------------- the month


@dataclass(frozen=True)
class LateIntake:
    """Issue 12: citizens' comments and messages posted in the month that a backfill brought in late (the
    webhook never did), and the median time from posting to intake."""

    count: int = 0
    median_seconds: float | None = None


def late_intake(ctx: Context, month: Month) -> LateIntake:
    lo, hi = _month_span(ctx, month)
    delays = sorted(r[0] for r in ctx.db.execute(
        "SELECT first_seen_at - created_at FROM archive_objects WHERE via = 'backfill' AND own = 0 AND kind != 'post'"
        " AND created_at >= ? AND created_at < ?", [lo, hi]))
    if not delays:
        return LateIntake()
    mid = len(delays) // 2
    median = delays[mid] if len(delays) % 2 else (delays[mid - 1] + delays[mid]) / 2
    return LateIntake(len(delays), float(median))


@dataclass(frozen=True)
class MonthFigures:
    month: Month
    municipality: str
    made_at: dt.datetime
    oversight: list[AccountOversight]
    replies: list[AccountReplies]
    load: list[DayLoad]
    assignees: list[AssigneeLoad]
    removals: list[tuple[str, int]]
    crises: list[CrisisSpan]
    late: LateIntake = LateIntake()  # issue 12: comments a backfill brought in late

    # Key figures, over all accounts.
    @property
    def watch_days(self) -> int:
        return sum(a.watch_days for a in self.oversight)

    @property
    def watched(self) -> int:
        return sum(a.watched for a in self.oversight)

    @property
    def missed(self) -> int:
        return sum(a.count("missed") for a in self.oversight)

    @property
    def late_checks(self) -> int:
        return sum(a.count("late") for a in self.oversight)

    def total(self, which: str) -> DeadlineFigures:
        out = DeadlineFigures()
        for r in self.replies:
            f: DeadlineFigures = getattr(r, which)
            out.within += f.within
            out.late += f.late
            out.overdue += f.overdue
            out.waiting += f.waiting
            out.hours += f.hours
        return out

    @property
    def questions(self) -> int:
        return sum(r.questions for r in self.replies)

    @property
    def removed(self) -> int:
        return sum(n for _, n in self.removals)

    @property
    def overdue_at_end(self) -> int:
        return self.load[-1].overdue if self.load else 0


def month_figures(ctx: Context, month: Month) -> MonthFigures:
    if month.first > ctx.today():
        raise ctx.refusal("monthly.future_month", month=month.key)
    return MonthFigures(
        month=month, municipality=ctx.settings.municipality.name, made_at=ctx.now(),
        oversight=oversight_calendar(ctx, month), replies=reply_times(ctx, month),
        load=open_overdue_by_day(ctx, month), assignees=items_per_assignee(ctx, month),
        removals=removals_by_ground(ctx, month), crises=crisis_periods(ctx, month), late=late_intake(ctx, month),
    )


# --------------------------------------------------------------------------- spreadsheets


def oversight_csv(ctx: Context, rep: dict[str, list[oversight.DayStatus]], delimiter: str = ";") -> str:
    """The O5 report as CSV for Excel: one row per account and day, UTF-8 with BOM, ';' between columns."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    cols = ("account", "day", "business_day", "watched", "person", "time", "note")
    writer.writerow([ctx.t(f"oversight_csv.{c}") for c in cols])
    yes, no = ctx.t("oversight_csv.yes"), ctx.t("oversight_csv.no")
    for account_id, days in rep.items():
        account = ctx.account(account_id)
        for d in days:
            writer.writerow([
                account_label(ctx, account), d.day.isoformat(), yes if d.business_day else no,
                yes if d.watched else no,
                ", ".join(ctx.person(p).name for p, _, _ in d.checks),
                ", ".join(hm for _, hm, _ in d.checks),
                " | ".join(n for _, _, n in d.checks if n),
            ])
    return "\ufeff" + buf.getvalue()
