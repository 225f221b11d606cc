"""Parsing helpers shared by every command module: dates, options, account arguments."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from bot.core.context import Context, Refused

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Dates outside this range make no sense here and overflow epoch arithmetic (year 1, year 9999 + 1 day).
MIN_DATE, MAX_DATE = dt.date(1970, 1, 1), dt.date(2999, 12, 31)
MAX_NUMBER_DIGITS = 18  # fits SQLite's 64-bit INTEGER


def is_number(text: str) -> bool:
    """ASCII digits that fit an SQLite INTEGER. (`str.isdigit` is also true for '²', which int() refuses.)"""
    return text.isascii() and text.isdigit() and len(text) <= MAX_NUMBER_DIGITS


def fold(word: str) -> str:
    """Lowercase and strip diacritics: 'Frånvaro' -> 'franvaro'."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def parse_date(ctx: Context, text: str, what: str) -> dt.date:
    if not DATE_RE.match(text):
        raise ctx.refusal("error.bad_date", what=what, value=text)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ctx.refusal("error.bad_date", what=what, value=text) from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ctx.refusal("error.bad_date", what=what, value=text)
    return day


def options(words: list[str], names: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Split `key=value` options (keys folded, mapped through `names`) from the other words."""
    opts: dict[str, str] = {}
    rest: list[str] = []
    for w in words:
        if "=" in w:
            key, _, value = w.partition("=")
            canonical = names.get(fold(key))
            if canonical:
                opts[canonical] = value
                continue
        rest.append(w)
    return opts, rest


def account_arg(ctx: Context, words: list[str], channel: str | None, usage_key: str) -> tuple[str, list[str]]:
    """An account id as first word, else the account of the channel the command came from."""
    if words and words[0].lower() in ctx.accounts:
        return words[0].lower(), words[1:]
    acc = ctx.account_by_channel(channel) if channel else None
    if acc is None:
        raise ctx.refusal(usage_key, accounts=", ".join(ctx.accounts))
    return acc.id, words



def int_option(ctx: Context, opts: dict[str, str], key: str, label: str, maximum: int | None = None) -> int | None:
    if key not in opts:
        return None
    if not is_number(opts[key]) or int(opts[key]) < 1 or (maximum is not None and int(opts[key]) > maximum):
        raise ctx.refusal("error.bad_number", what=label, value=opts[key])
    return int(opts[key])
