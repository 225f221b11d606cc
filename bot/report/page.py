"""The monthly report as one self-contained, accessible HTML page, plus the charts as PNG and SVG files.

Self-contained: the charts are embedded as SVG data URIs, the style sheet is
inline, nothing is fetched. Accessible: ``lang`` on the page, one ``h1`` and an
``h2`` per section, every chart an ``<img>`` with a text alternative that
states its figures, and the same numbers in a table beside the chart.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from bot.core.context import Context
from bot.core.monthly import BUCKETS, Month, MonthFigures, month_figures
from bot.htmlkit import BASE_CSS, TABLE_CSS, e, page, table
from bot.i18n import catalogue, t
from bot.report import labels
from bot.report.charts import Chart, Tr, all_charts, month_label, pct

PAGE_CSS = BASE_CSS + TABLE_CSS + (
    ".pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.5rem;align-items:start}"
    ".pair.wide{grid-template-columns:minmax(0,1fr)}"
    "@media (max-width:60em){.pair{grid-template-columns:minmax(0,1fr)}}"
    "figure{margin:0}figcaption{font-size:15px;color:#333}"
    ".chart img{display:block;width:100%;border:1px solid #ddd}"
    ".key{font-size:1.05rem;padding-left:1.25rem}"
    "details{margin-top:1rem}summary{cursor:pointer;font-weight:bold}"
)


@dataclass(frozen=True)
class Rendered:
    html: str
    charts: dict[str, Chart]
    figures: MonthFigures


def _late(figures: MonthFigures, tr: Tr, lang: str, month: str) -> str:
    """Issue 12: how many comments arrived late (a backfill brought them) and the median lateness."""
    late = figures.late
    if not late.count:
        text = tr("monthly.late.none", month=month)
    else:
        text = tr("monthly.late.line", count=late.count, month=month,
                  median=_hours(tr, (late.median_seconds or 0) / 3600, lang))
    return (f'<h3 id="late">{e(tr("monthly.late.heading"))}</h3>\n<p>{e(tr("monthly.late.explain"))}</p>\n'
            f'<p class="late-intake">{e(text)}</p>')


translator = labels.translator


def _ground_label(lang: str):
    cat = catalogue(lang)
    return lambda g: cat.get(f"ground.{g}", g)


def _figure(chart: Chart, tr: Tr) -> str:
    uri = "data:image/svg+xml;base64," + base64.b64encode(chart.svg).decode("ascii")
    return (f'<figure class="chart" id="chart-{e(chart.name)}"><img src="{uri}" alt="{e(chart.alt)}" />'
            f"<figcaption>{e(tr('monthly.chart_note'))}</figcaption></figure>")


def _section(ident: str, heading: str, body: str) -> str:
    return f'<section aria-labelledby="{ident}">\n<h2 id="{ident}">{e(heading)}</h2>\n{body}\n</section>\n'


def _hours(tr: Tr, value: float | None, lang: str) -> str:
    if value is None:
        return tr("monthly.no_share")
    text = f"{value:.1f}"
    return tr("monthly.replies.hours", hours=text.replace(".", ",") if lang == "sv" else text)


def render(figures: MonthFigures, lang: str, reminder_time: str = "12:00") -> Rendered:
    tr = translator(lang)
    ground = _ground_label(lang)
    charts = all_charts(figures, tr, ground)
    month = month_label(tr, figures)
    parts: list[str] = []
    title = tr("monthly.title", municipality=figures.municipality, month=month)
    parts.append(f"<h1>{e(title)}</h1>\n")
    parts.append(f"<p>{e(tr('monthly.intro', month=month, made=figures.made_at.strftime('%Y-%m-%d %H:%M')))}</p>\n")

    # Key figures and the summary chart.
    fr, fa = figures.total("first_reply"), figures.total("full_answer")
    share = figures.watched / figures.watch_days if figures.watch_days else None
    keys = [
        tr("monthly.key_watched", watched=figures.watched, total=figures.watch_days, share=pct(share, tr)),
        tr("monthly.key_missed", count=figures.missed),
        tr("monthly.key_late", count=figures.late_checks),
        tr("monthly.key_first_reply", within=fr.within, total=fr.decided, share=pct(fr.share_within, tr)),
        tr("monthly.key_full_answer", within=fa.within, total=fa.decided, share=pct(fa.share_within, tr)),
        tr("monthly.key_overdue", count=figures.overdue_at_end),
        tr("monthly.key_removed", count=figures.removed),
        tr("monthly.key_crises", count=len(figures.crises)),
    ]
    parts.append(_section("key", tr("monthly.key_heading"), '<div class="pair">' + _figure(charts["summary"], tr)
                          + '<ul class="key">' + "".join(f"<li>{e(k)}</li>" for k in keys) + "</ul></div>"))

    # Calendar.
    rows = [[e(a.name), *(str(x) for x in (a.count("on_time"), a.count("late"), a.count("missed"),
                                            a.holiday_watch_days, a.watch_days)), e(pct(a.share_watched, tr))]
            for a in figures.oversight]
    cols = [tr(f"monthly.calendar.col_{c}") for c in ("account", "on_time", "late", "missed", "holiday",
                                                     "watch_days", "share")]
    summary_table = table(tr("monthly.calendar.table_caption", month=month), cols, rows, numeric=range(1, 7))
    day_cols = [tr("monthly.calendar.col_day")] + [a.name for a in figures.oversight]
    day_rows = []
    for i, d in enumerate(figures.month.days()):
        cells = [e(d.isoformat())]
        for a in figures.oversight:
            c = a.cells[i]
            text = tr(f"monthly.status.{c.status}")
            if c.holiday:
                text += f" ({tr('monthly.status.holiday')})"
            if c.checked_at:
                text += f" {c.checked_at}"
            cells.append(e(text))
        day_rows.append(cells)
    days_table = table(tr("monthly.calendar.days_caption", month=month), day_cols, day_rows)
    parts.append(_section("calendar", tr("monthly.calendar.heading"),
                          f"<p>{e(tr('monthly.calendar.explain', reminder=reminder_time))}</p>\n"
                          '<div class="pair wide">' + _figure(charts["calendar"], tr) + summary_table + "</div>\n"
                          f"<details><summary>{e(tr('monthly.calendar.days_summary'))}</summary>\n{days_table}"
                          "</details>"))

    # Reply times.
    rows = []
    for r in figures.replies:
        for which in ("first_reply", "full_answer"):
            f = getattr(r, which)
            rows.append([e(r.name), e(tr(f"monthly.replies.{which}")), str(r.questions), str(f.within), str(f.late),
                         str(f.overdue), str(f.waiting), e(pct(f.share_within, tr)), e(_hours(tr, f.median_hours, lang))])
    cols = [tr(f"monthly.replies.col_{c}") for c in ("account", "what", "questions", "within", "late", "overdue",
                                                    "waiting", "share", "median")]
    reply_table = table(tr("monthly.replies.table_caption", month=month), cols, rows, numeric=range(2, 9))
    names = [n for n, _ in BUCKETS]
    b1, b2 = fr.buckets(), fa.buckets()
    dist_rows = [[e(tr(f"monthly.bucket.{n}")), str(b1[n]), str(b2[n])] for n in names]
    dist_table = table(tr("monthly.replies.dist_caption", month=month),
                       [tr("monthly.replies.col_bucket"), tr("monthly.replies.first_reply"),
                        tr("monthly.replies.full_answer")], dist_rows, numeric=(1, 2))
    parts.append(_section("replies", tr("monthly.replies.heading"),
                          f"<p>{e(tr('monthly.replies.explain'))}</p>\n"
                          '<div class="pair wide">' + _figure(charts["replies"], tr) + reply_table + "</div>\n"
                          f'<h3>{e(tr("monthly.replies.dist_heading"))}</h3>\n'
                          '<div class="pair">' + _figure(charts["distribution"], tr) + dist_table + "</div>\n"
                          + _late(figures, tr, lang, month)))

    # Open and overdue over the month.
    rows = [[e(d.day.isoformat()), str(d.open), str(d.overdue)] for d in figures.load]
    load_table = table(tr("monthly.load.table_caption", month=month),
                       [tr("monthly.load.col_day"), tr("monthly.load.col_open"), tr("monthly.load.col_overdue")],
                       rows, numeric=(1, 2))
    parts.append(_section("load", tr("monthly.load.heading"),
                          '<div class="pair">' + _figure(charts["load"], tr) + load_table + "</div>"))

    # Assignees.
    rows = [[e(a.name), str(a.answered), str(a.closed), str(a.open), str(a.overdue)] for a in figures.assignees]
    cols = [tr(f"monthly.assignees.col_{c}") for c in ("name", "answered", "closed", "open", "overdue")]
    body = (table(tr("monthly.assignees.table_caption", month=month), cols, rows, numeric=range(1, 5)) if rows
            else f"<p>{e(tr('monthly.assignees.none', month=month))}</p>")
    parts.append(_section("assignees", tr("monthly.assignees.heading"),
                          '<div class="pair">' + _figure(charts["assignees"], tr) + body + "</div>"))

    # Removals and crisis periods.
    rows = [[e(ground(g)), str(n)] for g, n in figures.removals]
    body = (table(tr("monthly.removals.table_caption", month=month),
                  [tr("monthly.removals.col_ground"), tr("monthly.removals.col_count")], rows, numeric=(1,)) if rows
            else f"<p>{e(tr('monthly.removals.none', month=month))}</p>")
    crisis_rows = [[e(c.started.strftime("%Y-%m-%d %H:%M")),
                    e(c.ended.strftime("%Y-%m-%d %H:%M") if c.ended else tr("monthly.removals.still_on")),
                    e(c.reason or "–"), e(c.started_by)] for c in figures.crises]
    crisis_body = (table(tr("monthly.removals.crisis_caption", month=month),
                         [tr(f"monthly.removals.col_{c}") for c in ("started", "ended", "reason", "by")], crisis_rows)
                   if crisis_rows else f"<p>{e(tr('monthly.removals.crisis_none', month=month))}</p>")
    parts.append(_section("removals", tr("monthly.removals.heading"),
                          '<div class="pair">' + _figure(charts["removals"], tr) + "<div>" + body + crisis_body
                          + "</div></div>"))
    return Rendered(page(lang, title, PAGE_CSS, "".join(parts)), charts, figures)


def render_month(ctx: Context, month: Month, lang: str | None = None) -> Rendered:
    figures = month_figures(ctx, month)
    return render(figures, lang or ctx.lang, ctx.settings.policy.oversight.reminder_time)


def write(rendered: Rendered, out: Path) -> Path:
    """report-YYYY-MM.html and the charts (name.png, name.svg) in `out`; returns the HTML file."""
    out.mkdir(parents=True, exist_ok=True)
    key = rendered.figures.month.key
    for chart in rendered.charts.values():
        (out / f"{key}-{chart.name}.png").write_bytes(chart.png)
        (out / f"{key}-{chart.name}.svg").write_bytes(chart.svg)
    path = out / f"rapport-{key}.html"
    path.write_text(rendered.html, encoding="utf-8")
    return path
