"""Signed, expiring links to the full monthly report (issue 14), served by bot/server.py.

A link is ``{UPPSIKT_PUBLIC_URL}/rapporter/{ÅÅÅÅ-MM}.html?exp={epoch}&sig={hex}`` where
``sig = HMAC-SHA256(UPPSIKT_LINK_SECRET, "rapporter/{ÅÅÅÅ-MM}.html\\n{exp}")``. It works until
`exp`, the end of the day (Europe/Stockholm) `LINK_DAYS` days after it was made; anyone holding
it can read that month's report, nobody can make a link for another month or extend one without
the secret. Without both variables no link is made and the monthly post keeps its sentence on
how to make the report on the command line.

Pure and cheap (no matplotlib): the daily job makes the link when it posts the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.clock import from_epoch, to_epoch

log = logging.getLogger("uppsikt.report")

SECRET_ENV = "UPPSIKT_LINK_SECRET"
PUBLIC_URL_ENV = "UPPSIKT_PUBLIC_URL"
LINK_DAYS = 90  # how long a posted link works
MIN_SECRET = 16  # characters; shorter secrets are refused (a guessable key signs anything)
PREFIX = "/rapporter/"
ROUTE = PREFIX + "{month}.html"  # aiohttp's route; {month} is ÅÅÅÅ-MM
URL_RE = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
SIG_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ReportLinks:
    public_url: str  # where the HTTP server is reached from outside, without a trailing slash
    secret: bytes = field(repr=False)
    days: int = LINK_DAYS

    def signature(self, key: str, exp: int) -> str:
        message = f"{PREFIX.lstrip('/')}{key}.html\n{exp}".encode("utf-8")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def expiry(self, now_ts: int) -> int:
        """The last second of the day `days` days from now (local time): the link works through that day."""
        last_day = from_epoch(now_ts).date() + dt.timedelta(days=self.days)
        midnight = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time())
        return to_epoch(midnight) - 1

    def url(self, key: str, now_ts: int) -> tuple[str, dt.date]:
        """The signed link to month `key` ('2026-11') and the last day it works."""
        exp = self.expiry(now_ts)
        return (f"{self.public_url}{PREFIX}{key}.html?exp={exp}&sig={self.signature(key, exp)}",
                from_epoch(exp).date())

    def check(self, key: str, exp: str, sig: str, now_ts: int) -> bool:
        """True when `sig` signs (key, exp) and `exp` has not passed."""
        if not exp.isdigit() or len(exp) > 12 or not SIG_RE.match(sig):
            return False
        if not hmac.compare_digest(self.signature(key, int(exp)), sig):
            return False
        return int(exp) >= now_ts


def links_from_env(env: Mapping[str, str] | None = None) -> ReportLinks | None:
    """The links `UPPSIKT_PUBLIC_URL` and `UPPSIKT_LINK_SECRET` allow, or None (then no link is made)."""
    env = os.environ if env is None else env
    secret, public = env.get(SECRET_ENV, "").strip(), env.get(PUBLIC_URL_ENV, "").strip().rstrip("/")
    if not secret or not public:
        if secret or public:
            log.warning("report links: set both %s and %s to link the monthly post to the full report",
                        PUBLIC_URL_ENV, SECRET_ENV)
        return None
    if not URL_RE.match(public):
        log.warning("report links: %s must be an http(s) address such as https://uppsikt.example.se; no links",
                    PUBLIC_URL_ENV)
        return None
    if len(secret) < MIN_SECRET:
        log.warning("report links: %s is shorter than %d characters; no links", SECRET_ENV, MIN_SECRET)
        return None
    return ReportLinks(public, secret.encode("utf-8"))


__all__ = ["LINK_DAYS", "PUBLIC_URL_ENV", "ROUTE", "ReportLinks", "SECRET_ENV", "links_from_env"]
