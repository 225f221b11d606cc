"""Channel health and backfill (issue 12 points 1 and 2): is every watched account's platform connection
still bringing comments in, and taking in what it did not bring.

The oversight duty rests on seeing every comment. A page token that expires, a permission withdrawn or a
webhook subscription that silently stops leaves an account unwatched while every prompt still says "check the
account"; comments posted while Uppsikt was down never arrive by webhook. So, per account with a platform
connection (a Facebook or Instagram account with a page id and a page token):

* **the check** (daily from `CHECK_TIME`, and at every start): the token (`debug_token`: valid, expiry,
  granted permissions against those the account's features need), the webhook subscription (our app in the
  Page's `subscribed_apps` with the fields intake needs) and the account's recent activity on the platform
  against the last webhook delivery for it (`channel_health.last_event_at`, kept by `heard`). An account
  silent for longer than its usual pattern (`usual_gap`) while the platform shows newer posts or comments
  is an alarm too.
* **alarms** go to the account's responsible person and the communicators' channel, in Swedish with what to
  do, once per problem per day; they are in `/healthz` and `/metrics` (bot/metrics.py) and the account's
  daily oversight prompt says that intake is broken (`prompt_note`). A token that expires within
  `EXPIRY_WARNING_DAYS` is a warning (told, not a broken connection).
* **backfill**: every check that can read takes in what the platform has and Uppsikt lacks, read since the
  last event seen (`since`): after downtime (the check at start), after a repaired connection, and when
  webhooks have gone quiet. The rows become `PlatformEvent`s with via="backfill" and go through
  bot/core/deliveries.py like a webhook delivery (through the facade), so intake and the archive stay
  exactly-once with webhook intake (both dedupe on source and external id). All of one account's backfill is
  one delivery: stored whole or not at all; a failed read or store is tried again (`backfill_failed`).

The Graph API calls are made outside the entry-point lock by bot/channel_watch.py; everything here runs
under it.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

from bot.clock import from_epoch, to_epoch
from bot.core import staff
from bot.core.context import Context
from bot.messages import Message
from bot.settings import Account

if TYPE_CHECKING:
    from bot.core.platform import TokenInfo

PLATFORMS = ("facebook", "instagram")
CHECK_TIME = dt.time(6, 30)  # the daily check, before the usual prompt time (08:30), so the prompt can say it
RETRY_SECONDS = 900  # a check that could not reach Meta, and a failed backfill, are tried again after this
RETRY_MAX_SECONDS = 6 * 3600  # … doubling up to this
UNREACHABLE_SECONDS = 26 * 3600  # no successful check for this long: an alarm
EXPIRY_WARNING_DAYS = 7
GRACE_SECONDS = 900  # a webhook may take this long: platform activity younger than it is no sign of silence
OVERLAP_SECONDS = 3600  # a backfill reads this much before the last event seen (exact dedupe makes it harmless)
MAX_BACKFILL_DAYS = 14  # never reads further back than this
POST_LOOKBACK_DAYS = 7  # comments are read on posts up to this much older than `since`
MAX_POSTS = 50  # per account and backfill
MAX_PAGES = 10  # of one list (posts, or one post's comments)
USUAL_DAYS = 28  # the usual pattern is read from this many days of webhook deliveries
USUAL_MIN_SECONDS = 6 * 3600
USUAL_MAX_SECONDS = 7 * 86400
USUAL_DEFAULT_SECONDS = 86400  # too few deliveries to tell: a day
ALARMS = ("token_invalid", "permissions_missing", "subscription_lost", "subscription_fields", "silent", "unreachable")
WARNINGS = ("token_expiring",)

# The permissions intake needs (reading comments, the webhook subscription), and those writing back adds
# (docs/meta-write.md, Meta's "Instagram webhook fields and permissions" and "Page Subscribed Apps").
READ_SCOPES = {
    "facebook": ("pages_manage_metadata", "pages_read_engagement", "pages_read_user_content", "pages_show_list"),
    "instagram": ("instagram_basic", "instagram_manage_comments", "pages_manage_metadata", "pages_read_engagement",
                  "pages_show_list"),
}
WRITE_SCOPES = {"facebook": ("pages_manage_engagement",), "instagram": ()}
# The Page subscription fields webhook intake needs. An Instagram account's comments come through its linked
# Page's subscription being on (the app level chooses the Instagram fields), so any field will do there.
SUBSCRIPTION_FIELDS = {"facebook": ("feed",), "instagram": ()}


@dataclass(frozen=True)
class Plan:
    """One account to check now: its platform, its page (or Instagram account) id, and why."""

    account_id: str
    source: str
    owner_id: str
    since: int  # read the platform from this time (epoch seconds)
    reason: str  # startup | daily | retry


@dataclass
class Check:
    """What the Graph API said, gathered outside the lock."""

    token: TokenInfo | None = None
    token_error: str = ""  # Meta refused the token (190 and friends): invalid or expired
    subscriptions: list[dict] | None = None
    rows: list[dict] | None = None  # the backfill read: Graph JSON, each with "_kind" and "_parent"
    error: str = ""  # a read that failed (network, 5xx, rate limit, permission): nothing is concluded from it
    error_kind: str = ""
    started_at: int = 0


@dataclass
class Outcome:
    problems: list[dict] = field(default_factory=list)
    repaired: bool = False


def token_env(account_id: str) -> str:
    """The environment variable that holds the account's page access token."""
    return "META_PAGE_TOKEN_" + "".join(c if c.isalnum() else "_" for c in account_id.upper())


# --------------------------------------------------------------------------- which accounts, which state


def connected(ctx: Context, has_token) -> list[Account]:
    """Accounts with a platform connection: Facebook or Instagram, a page (account) id and a page token."""
    return [a for a in ctx.accounts.values() if a.platform in PLATFORMS and a.external_id and has_token(a.id)]


def state(ctx: Context, account_id: str) -> dict:
    rows = list(ctx.db.query("SELECT * FROM channel_health WHERE account_id = ?", [account_id]))
    if not rows:
        return {"account_id": account_id, "last_event_at": None, "last_check": None, "last_attempt": None,
                "problems": "[]", "token_expires_at": None, "seen_until": None, "backfill_since": None,
                "backfill_due_at": None, "backfill_attempts": 0, "backfill_error": "", "last_backfill_at": None,
                "last_backfill_count": 0}
    return rows[0]


def _save(ctx: Context, account_id: str, values: dict) -> None:
    ctx.db.execute("INSERT OR IGNORE INTO channel_health (account_id) VALUES (?)", [account_id])
    ctx.db["channel_health"].update(account_id, values)


def heard(ctx: Context, account_id: str) -> None:
    """A webhook delivery for the account arrived (bot/core/deliveries.py calls this inside its transaction)."""
    ctx.db.execute("INSERT INTO channel_health (account_id, last_event_at) VALUES (?, ?) "
                   "ON CONFLICT(account_id) DO UPDATE SET last_event_at = excluded.last_event_at",
                   [account_id, ctx.now_ts()])


def last_event(ctx: Context, account_id: str) -> int | None:
    """When intake last heard from the platform about the account: the last webhook delivery, else (a database
    from before channel health) the newest thing taken in from it."""
    found = state(ctx, account_id)["last_event_at"]
    if found is not None:
        return int(found)
    row = ctx.db.execute("SELECT MAX(first_seen_at) FROM archive_objects WHERE account_id = ? AND via = 'webhook'",
                         [account_id]).fetchone()
    if row and row[0] is not None:
        return int(row[0])
    row = ctx.db.execute("SELECT MAX(received_at) FROM items WHERE account_id = ? AND source IN (?, ?)",
                         [account_id, "facebook", "instagram"]).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def problems(ctx: Context, account_id: str) -> list[dict]:
    try:
        found = json.loads(state(ctx, account_id)["problems"] or "[]")
    except ValueError:
        return []
    return [p for p in found if isinstance(p, dict)]


def broken(ctx: Context, account_id: str) -> list[dict]:
    """The alarms (not the warnings) the last check left for the account: its intake is broken."""
    return [p for p in problems(ctx, account_id) if p.get("severity") == "alarm"]


def since(ctx: Context, account_id: str) -> int:
    """Where a backfill reads from: the last event seen (or the last complete backfill, whichever is later),
    less an overlap; never more than MAX_BACKFILL_DAYS back, nor (much) before Uppsikt watched the account."""
    now = ctx.now_ts()
    row = state(ctx, account_id)
    marks = [m for m in (last_event(ctx, account_id), row["seen_until"]) if m is not None]
    start = max(marks) - OVERLAP_SECONDS if marks else 0
    if row["backfill_since"] is not None:  # a backfill that failed starts where it was meant to
        start = min(start, int(row["backfill_since"]))
    # Never before Uppsikt watched the account (a first start takes in no old comments as overdue items).
    return max(now - MAX_BACKFILL_DAYS * 86400, watched_since(ctx, account_id) - OVERLAP_SECONDS, start)


def plans(ctx: Context, has_token, startup: bool = False) -> list[Plan]:
    """The accounts to check now: all of them at a start; otherwise those whose daily check is due (from
    CHECK_TIME, once a day), whose last check could not reach Meta (after RETRY_SECONDS) or whose failed
    backfill is due to be tried again."""
    now = ctx.now()
    ts = to_epoch(now)
    out = []
    for account in connected(ctx, has_token):
        row = state(ctx, account.id)
        reason = ""
        if startup:
            reason = "startup"
        elif row["backfill_due_at"] is not None and row["backfill_due_at"] <= ts:
            reason = "retry"
        elif (row["last_attempt"] is not None and (row["last_check"] or 0) < row["last_attempt"]
              and ts - row["last_attempt"] >= RETRY_SECONDS):
            reason = "retry"
        elif now.time() >= CHECK_TIME and (row["last_attempt"] is None
                                           or from_epoch(row["last_attempt"]).date() < now.date()):
            reason = "daily"
        if reason:
            out.append(Plan(account.id, account.platform, account.external_id, since(ctx, account.id), reason))
    return out


# --------------------------------------------------------------------------- the usual pattern


def usual_gap(ctx: Context, account_id: str) -> int:
    """How long the account is usually silent: the 90th percentile of the gaps between the things webhooks
    brought over the last USUAL_DAYS, within [USUAL_MIN_SECONDS, USUAL_MAX_SECONDS]."""
    now = ctx.now_ts()
    seen = [r[0] for r in ctx.db.execute(
        "SELECT first_seen_at FROM archive_objects WHERE account_id = ? AND via = 'webhook' AND first_seen_at >= ?"
        " ORDER BY first_seen_at", [account_id, now - USUAL_DAYS * 86400])]
    gaps = [b - a for a, b in zip(seen, seen[1:]) if b > a]
    if len(gaps) < 5:
        return USUAL_DEFAULT_SECONDS
    p90 = statistics.quantiles(gaps, n=10)[-1]
    return int(min(USUAL_MAX_SECONDS, max(USUAL_MIN_SECONDS, p90)))


# --------------------------------------------------------------------------- what the check found


def needed_scopes(account: Account) -> tuple[str, ...]:
    scopes = READ_SCOPES[account.platform]
    if account.policy.platform.write:
        scopes += WRITE_SCOPES[account.platform]
    return scopes


def _problem(code: str, detail: str = "") -> dict:
    return {"code": code, "severity": "warning" if code in WARNINGS else "alarm", "detail": detail}


def findings(ctx: Context, account: Account, check: Check, silence: bool = True) -> list[dict]:
    """The problems a check shows (an empty list: the connection is healthy). `silence`: judge whether webhooks
    have gone quiet (not right after another break, which explains the quiet; the next check judges it)."""
    now = ctx.now_ts()
    found: list[dict] = []
    token = check.token
    if check.token_error or (token is not None and not token.valid):
        return [_problem("token_invalid", check.token_error or (token.error if token else ""))]
    if token is not None:
        if token.expires_at and token.expires_at - now <= EXPIRY_WARNING_DAYS * 86400:
            found.append(_problem("token_expiring", from_epoch(token.expires_at).strftime("%Y-%m-%d %H:%M")))
        missing = [s for s in needed_scopes(account) if s not in token.scopes]
        if missing:
            found.append(_problem("permissions_missing", ", ".join(missing)))
    if check.subscriptions is not None and token is not None:
        ours = [s for s in check.subscriptions if str(s.get("id", "")) == token.app_id]
        if not ours:
            found.append(_problem("subscription_lost"))
        else:
            fields = ours[0].get("subscribed_fields") or []
            lacking = [f for f in SUBSCRIPTION_FIELDS[account.platform] if f not in fields]
            if lacking:
                found.append(_problem("subscription_fields", ", ".join(lacking)))
    if check.rows is not None and silence:
        # Silent: the platform has posts or comments newer than anything intake heard of (and than what the last
        # backfill took in: Uppsikt's own downtime is no sign), and the account has been quiet for longer than
        # it usually is.
        last = last_event(ctx, account.id)
        if last is None:
            last = watched_since(ctx, account.id)
        known = max(last, state(ctx, account.id)["seen_until"] or 0)
        newer = [c for c in (created_of(r) for r in check.rows if _heard_by_webhook(account, r))
                 if c is not None and known + GRACE_SECONDS < c <= now - GRACE_SECONDS]
        quiet = now - last
        if newer and quiet > usual_gap(ctx, account.id):
            found.append(_problem("silent", str(round(quiet / 3600))))
    return found


def _heard_by_webhook(account: Account, row: dict) -> bool:
    """Whether a webhook announces this kind of row: a Page's feed field brings posts and comments, its own too;
    Instagram's comments field brings others' comments only (no webhook for the account's own media)."""
    if account.platform != "instagram":
        return True
    sender = row.get("from") if isinstance(row.get("from"), dict) else {}
    return row.get("_kind") != "post" and str(sender.get("id", "")) != account.external_id


def watched_since(ctx: Context, account_id: str) -> int:
    row = ctx.db.execute("SELECT created_at FROM accounts WHERE id = ?", [account_id]).fetchone()
    return int(row[0]) if row and row[0] is not None else ctx.now_ts()


def checked(ctx: Context, account: Account, check: Check, reason: str) -> Outcome:
    """Record a check (call inside db.atomic()): its problems, the alarms new today, the repair of a broken
    connection; returns the backfill to deliver (built from the rows the check read)."""
    now = ctx.now_ts()
    before = broken(ctx, account.id)
    row = state(ctx, account.id)
    values: dict = {"last_attempt": now}
    if check.error and check.token is None and not check.token_error:  # Meta could not be asked at all
        found = [p for p in problems(ctx, account.id) if p["code"] != "unreachable"]
        if now - (row["last_check"] or watched_since(ctx, account.id)) >= UNREACHABLE_SECONDS:
            found.append(_problem("unreachable", check.error[:200]))
        values["problems"] = json.dumps(found, ensure_ascii=False)
        _save(ctx, account.id, values)
        _tell(ctx, account, found)
        return Outcome(found)
    found = findings(ctx, account, check, silence=not [p for p in before if p["code"] != "silent"])
    values |= {"last_check": now, "problems": json.dumps(found, ensure_ascii=False),
               "token_expires_at": check.token.expires_at if check.token else row["token_expires_at"]}
    _save(ctx, account.id, values)
    ctx.audit("uppsikt", "channel.checked", f"account:{account.id}", reason=reason,
              problems=[p["code"] for p in found])
    _tell(ctx, account, found)
    repaired = bool(before) and not [p for p in found if p["severity"] == "alarm"]
    if repaired:
        _tell_repaired(ctx, account)
    return Outcome(found, repaired)


def _recipients(ctx: Context, account: Account) -> list[str]:
    responsible = staff.responsible_for(ctx, account, ctx.today())[0]
    return [responsible, "#" + ctx.settings.municipality.communicator_channel]


def _tell(ctx: Context, account: Account, found: list[dict]) -> None:
    """Each problem once a day, to the responsible person and the communicators' channel."""
    platform = ctx.t(f"webhooks.platform.{account.platform}")
    for p in found:
        if not ctx.once(f"channel:{account.id}:{p['code']}:{ctx.today().isoformat()}"):
            continue
        text = ctx.t(f"health.{p['severity']}.{p['code']}", account=ctx.label(account), platform=platform,
                     detail=p["detail"] or "–", env=token_env(account.id))
        ctx.audit("uppsikt", f"channel.{p['severity']}", f"account:{account.id}", problem=p["code"],
                  detail=p["detail"])
        for to in _recipients(ctx, account):
            ctx.emit(Message(kind=f"channel_{p['severity']}", to=to, account=account.id, text=text))


def _tell_repaired(ctx: Context, account: Account) -> None:
    text = ctx.t("health.repaired", account=ctx.label(account),
                 platform=ctx.t(f"webhooks.platform.{account.platform}"))
    ctx.audit("uppsikt", "channel.repaired", f"account:{account.id}")
    for to in _recipients(ctx, account):
        ctx.emit(Message(kind="channel_repaired", to=to, account=account.id, text=text))


def prompt_note(ctx: Context, account: Account) -> str:
    """The sentence the daily oversight prompt adds while the account's intake is broken ("" when it is not)."""
    alarms = broken(ctx, account.id)
    if not alarms:
        return ""
    what = ", ".join(ctx.t(f"health.short.{p['code']}") for p in alarms)
    return ctx.t("health.prompt_broken", platform=ctx.t(f"webhooks.platform.{account.platform}"), what=what)


# --------------------------------------------------------------------------- backfill


def created_of(row: dict) -> int | None:
    """A Graph row's creation time (Facebook `created_time`, Instagram `timestamp`: ISO 8601, +0000)."""
    value = row.get("created_time") or row.get("timestamp")
    if not isinstance(value, str) or not value:
        return None
    try:
        return to_epoch(dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z"))
    except ValueError:
        try:
            return to_epoch(dt.datetime.fromisoformat(value))
        except ValueError:
            return None


def backfilled(ctx: Context, account_id: str, check: Check, counts: dict[str, int]) -> None:
    """A backfill delivered (call inside db.atomic()): everything created before the read began is in."""
    taken = counts.get("created", 0)
    _save(ctx, account_id, {"seen_until": check.started_at, "backfill_since": None, "backfill_due_at": None,
                            "backfill_attempts": 0, "backfill_error": "", "last_backfill_at": ctx.now_ts(),
                            "last_backfill_count": taken})
    ctx.audit("uppsikt", "channel.backfill", f"account:{account_id}", **counts)


def backfill_failed(ctx: Context, account_id: str, from_ts: int, error: str) -> int:
    """A backfill that could not be read or stored: nothing of it is kept; it is tried again later from the same
    time. Returns when."""
    row = state(ctx, account_id)
    attempts = int(row["backfill_attempts"] or 0) + 1
    due = ctx.now_ts() + min(RETRY_MAX_SECONDS, RETRY_SECONDS * 2 ** (attempts - 1))
    keep = from_ts if row["backfill_since"] is None else min(from_ts, int(row["backfill_since"]))
    _save(ctx, account_id, {"backfill_since": keep, "backfill_due_at": due, "backfill_attempts": attempts,
                            "backfill_error": error[:300]})
    ctx.audit("uppsikt", "channel.backfill_failed", f"account:{account_id}", error=error[:300], attempts=attempts)
    return due


def duration(ctx: Context, seconds: int) -> str:
    """A lateness in words: "2 tim 5 min", "3 dygn 4 tim", "12 min"."""
    minutes = max(0, int(seconds)) // 60
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return ctx.t("health.duration_dh", days=days, hours=hours)
    if hours:
        return ctx.t("health.duration_hm", hours=hours, minutes=mins)
    return ctx.t("health.duration_m", minutes=mins)


def late(ctx: Context, source: str, external_id: str) -> tuple[int, int] | None:
    """(posted, taken in) of something a backfill brought (it arrived late), or None."""
    row = ctx.db.execute("SELECT created_at, first_seen_at FROM archive_objects WHERE source = ? AND external_id = ?"
                         " AND via = 'backfill'", [source, external_id]).fetchone()
    return (int(row[0]), int(row[1])) if row else None


__all__ = ["ALARMS", "WARNINGS", "Check", "Outcome", "Plan", "backfill_failed", "backfilled", "broken", "checked",
           "connected", "created_of", "heard", "token_env", "last_event", "plans", "problems", "prompt_note", "since", "state",
           "usual_gap"]
