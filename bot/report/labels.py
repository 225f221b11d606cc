"""The report's words that need no drawing: month names and shares (no matplotlib here, so the
monthly post's text and key figures can be made without loading the plotting library)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.monthly import Month, MonthFigures
from bot.i18n import t

Tr = Callable[..., str]


def translator(lang: str) -> Tr:
    return lambda key_, /, **values: t(key_, lang, **values)


def month_name(tr: Tr, month: Month) -> str:
    """'november 2026' (in the catalogue's language)."""
    names = tr("monthly.months").split(",")
    return tr("monthly.month_name", name=names[month.month - 1], year=month.year)


def month_label(tr: Tr, figures: MonthFigures) -> str:
    return month_name(tr, figures.month)


def pct(value: float | None, tr: Tr) -> str:
    return tr("monthly.no_share") if value is None else f"{round(value * 100)} %"
