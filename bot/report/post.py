"""The monthly post: the report's summary image and key figures for the communicators' channel.

`monthly_message` builds one platform-neutral `Message` (text, key figures as
fields, the summary chart as a PNG attachment with its text alternative, the
full HTML report as a second attachment and, when the server can serve it, a
signed, expiring link to the full report as a link button, bot/report/links.py);
the chat adapters render it (Slack: file upload with the link in the comment;
Teams: the image in the Adaptive Card and an Action.OpenUrl).

`monthly_post_due` is the small call the daily job makes: on the first business
day of a month (or the first day after it that the bot runs) it posts last
month's report once, if Uppsikt watched any account during that month.
"""

from __future__ import annotations

import logging

from bot.clock import from_epoch
from bot.core.context import Context
from bot.core.monthly import Month, MonthFigures, month_figures
from bot.report.labels import month_label, pct, translator
from bot.messages import Action, Attachment, Message

log = logging.getLogger("uppsikt.report")

# bot.report.page (and so matplotlib) is imported only when a report is drawn: the daily job asks
# `monthly_post_due` every day, and a plain tick must stay cheap.
DEFERRED = "deferred_report_figures"  # ctx.cache: month key -> (figures, language, reminder time)


def key_fields(figures, lang: str) -> tuple[tuple[str, str], ...]:
    """The post's key figures (label, value) from the month's figures (no drawing needed)."""
    tr = translator(lang)
    f = figures
    fr, fa = f.total("first_reply"), f.total("full_answer")
    share = f.watched / f.watch_days if f.watch_days else None

    def split(text: str) -> tuple[str, str]:
        label, _, value = text.partition(": ")
        return label, value

    return tuple(split(line) for line in (
        tr("monthly.key_watched", watched=f.watched, total=f.watch_days, share=pct(share, tr)),
        tr("monthly.key_missed", count=f.missed),
        tr("monthly.key_first_reply", within=fr.within, total=fr.decided, share=pct(fr.share_within, tr)),
        tr("monthly.key_full_answer", within=fa.within, total=fa.decided, share=pct(fa.share_within, tr)),
        tr("monthly.key_overdue", count=f.overdue_at_end),
        tr("monthly.key_removed", count=f.removed),
        tr("monthly.key_crises", count=len(f.crises)),
    ))


def full_report_link(ctx: Context, month: Month):
    """(signed URL of the full HTML report, the last day it works), or None without UPPSIKT_PUBLIC_URL and
    UPPSIKT_LINK_SECRET (bot/report/links.py)."""
    links = ctx.report_links
    return None if links is None else links.url(month.key, ctx.now_ts())


def monthly_message(ctx: Context, month: Month, to: str) -> Message:
    """The monthly post. Its text and key figures come from the month's figures; its attachments (the summary
    chart and the full HTML report, drawn with matplotlib: the costly part) are drawn here, unless the
    context defers drawing (`defer_drawing`: the simulator), which keeps the figures to draw them on demand
    (`deferred_attachments`) with the same result."""
    lang = ctx.lang
    figures = month_figures(ctx, month)
    reminder = ctx.settings.policy.oversight.reminder_time
    tr = translator(lang)
    label = month_label(tr, figures)
    deferred = ctx.cache.get(DEFERRED)
    if isinstance(deferred, dict):
        deferred[month.key] = (figures, lang, reminder)
        attachments: tuple[Attachment, ...] = ()
    else:
        attachments = drawn_attachments(figures, lang, reminder)
    link = full_report_link(ctx, month)
    if link is None:  # no public address or secret: how IT makes the full report
        full, actions = tr("monthly.post.full_report", key=month.key), ()
    else:
        url, last_day = link
        full, actions = tr("monthly.link.valid_until", date=last_day.isoformat()), \
            (Action("open_report", tr("monthly.link.open"), url=url),)
    return Message(
        kind="monthly_report", to=to,
        text=tr("monthly.post.text", month=label) + "\n" + full,
        fields=key_fields(figures, lang),
        actions=actions,
        attachments=attachments,
    )


def drawn_attachments(figures: MonthFigures, lang: str, reminder: str) -> tuple[Attachment, ...]:
    """The post's files: the summary chart (PNG, with its text alternative) and the full HTML report."""
    from bot.report import page  # matplotlib: only when a report is drawn

    rendered = page.render(figures, lang, reminder)
    tr = translator(lang)
    label = month_label(tr, figures)
    summary = rendered.charts["summary"]
    key = figures.month.key
    return (
        Attachment.of(f"uppsikt-{key}-sammanfattning.png", "image/png", summary.png,
                      title=tr("monthly.post.alt", month=label), alt=summary.alt),
        Attachment.of(f"uppsikt-rapport-{key}.html", "text/html", rendered.html.encode("utf-8"),
                      title=tr("monthly.title", municipality=figures.municipality, month=label)),
    )


def defer_drawing(ctx: Context) -> None:
    """From now on monthly posts are made without their attachments; the figures are kept per month so that
    `deferred_attachments` draws them when they are wanted (the simulator: a year needs no charts)."""
    ctx.cache.setdefault(DEFERRED, {})


def deferred_attachments(ctx: Context, key: str) -> tuple[Attachment, ...]:
    """The attachments a deferred monthly post of month `key` ('2027-03') would have had, drawn now from the
    figures as they were when it was posted; KeyError when no post of that month was deferred."""
    figures, lang, reminder = ctx.cache[DEFERRED][key]  # type: ignore[index]
    return drawn_attachments(figures, lang, reminder)


def _watched_since(ctx: Context):
    row = ctx.db.execute("SELECT MIN(created_at) FROM accounts").fetchone()
    return from_epoch(row[0]).date() if row and row[0] is not None else None


def monthly_post_due(ctx: Context) -> list[Message]:
    """Last month's report to the communicators' channel, once, from the month's first business day."""
    today = ctx.today()
    first_business = ctx.calendar().next_business_day(today.replace(day=1), include_self=True)
    if today < first_business:
        return []
    last = Month(today.year, today.month).previous()
    since = _watched_since(ctx)
    if since is None or since > last.last:
        return []  # Uppsikt did not watch anything last month: nothing to report
    key = f"monthly_report:{last.key}"
    if ctx.db.execute("SELECT 1 FROM dispatched WHERE key = ?", [key]).fetchone():
        return []
    try:
        message = monthly_message(ctx, last, "#" + ctx.settings.municipality.communicator_channel)
    except Exception:  # noqa: BLE001 - the report must never stop the tick that runs the oversight duty
        log.exception("the monthly report for %s could not be made; the daily job tries again tomorrow", last.key)
        return []
    ctx.once(key)
    ctx.emit(message)
    return [message]
