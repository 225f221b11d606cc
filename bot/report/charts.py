"""The monthly report's charts, drawn with matplotlib's Agg backend (PNG and SVG, no display, no network).

Why matplotlib: it is mature and well kept, renders PNG and SVG headless with
the Agg backend (no browser, no JavaScript, no network), writes SVG with the
text as paths so the file looks the same everywhere, and supports hatch
patterns, which is what lets the charts survive colour blindness and a
black-and-white printer.

Colours are the Okabe–Ito palette (distinguishable with the common forms of
colour blindness); every category also has its own hatch pattern and a text
label or symbol, so no chart depends on colour alone.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from bot.core.monthly import BUCKETS, MonthFigures  # noqa: E402
from bot.report.labels import Tr, month_label, month_name, pct  # noqa: E402,F401 (kept importable from here)


# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000", "grey": "#BBBBBB",
}
STATUS_STYLE = {  # face colour, hatch, text colour of the symbol
    "on_time": (OKABE_ITO["green"], "", "white"),
    "late": (OKABE_ITO["orange"], "//", "black"),
    "missed": (OKABE_ITO["vermillion"], "xx", "black"),
    "not_watch_day": ("#FFFFFF", "", "#555555"),
    "before": ("#E8E8E8", "", "black"),
    "pending": (OKABE_ITO["sky"], "", "black"),
    "future": ("#FFFFFF", "", "black"),
}
DEADLINE_STYLE = {  # category -> colour, hatch
    "within": (OKABE_ITO["blue"], ""),
    "late": (OKABE_ITO["orange"], "\\\\"),
    "overdue": (OKABE_ITO["vermillion"], "xx"),
    "waiting": (OKABE_ITO["grey"], "--"),
}
DPI = 110
plt.rcParams.update({
    "font.family": "DejaVu Sans", "font.size": 10, "svg.fonttype": "path", "svg.hashsalt": "uppsikt",
    "axes.spines.top": False, "axes.spines.right": False, "hatch.linewidth": 0.8, "hatch.color": "#333333",
})


@dataclass(frozen=True)
class Chart:
    """One drawn chart: its name, the PNG and SVG bytes, and the text alternative."""

    name: str
    png: bytes
    svg: bytes
    alt: str


def _bytes(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    # A fixed date keeps the SVG the same for the same figures (no timestamp in the metadata).
    meta = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight", metadata=meta, facecolor="white")
    return buf.getvalue()


def _chart(name: str, fig: Figure, alt: str) -> Chart:
    try:
        return Chart(name, _bytes(fig, "png"), _bytes(fig, "svg"), alt)
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- calendar


def calendar_chart(figures: MonthFigures, tr: Tr) -> Chart:
    days = figures.month.days()
    rows = figures.oversight
    fig, ax = plt.subplots(figsize=(max(7.5, 0.3 * len(days) + 2.5), 0.55 * max(1, len(rows)) + 1.9))
    for y, acc in enumerate(rows):
        for x, cell in enumerate(acc.cells):
            face, hatch, ink = STATUS_STYLE[cell.status]
            ax.add_patch(Rectangle((x + 0.05, y + 0.05), 0.9, 0.9, facecolor=face, hatch=hatch or None,
                                   edgecolor="#333333", linewidth=0.6))
            if cell.holiday:  # holiday watch days: striped border band, whatever the outcome
                ax.add_patch(Rectangle((x + 0.05, y + 0.05), 0.9, 0.9, fill=False, hatch="\\\\\\",
                                       edgecolor=OKABE_ITO["purple"], linewidth=1.6))
            code = tr(f"monthly.code.{cell.status}")
            if code:
                box = {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none"} if hatch else None
                ax.text(x + 0.5, y + 0.52, code, ha="center", va="center", fontsize=9, color=ink, fontweight="bold",
                        bbox=box)
    ax.set_xlim(0, len(days))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([i + 0.5 for i in range(len(days))], [str(d.day) for d in days], fontsize=8)
    ax.set_yticks([i + 0.5 for i in range(len(rows))], [a.name for a in rows])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    handles = [
        Patch(facecolor=STATUS_STYLE[s][0], hatch=STATUS_STYLE[s][1] or None, edgecolor="#333333",
              label=f"{tr(f'monthly.code.{s}')} {tr(f'monthly.status.{s}')}".strip())
        for s in ("on_time", "late", "missed", "not_watch_day", "before")
    ] + [Patch(facecolor="white", hatch="\\\\\\", edgecolor=OKABE_ITO["purple"], linewidth=1.6,
               label=tr("monthly.status.holiday"))]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False, fontsize=9)
    ax.set_title(tr("monthly.calendar.heading"), loc="left", fontsize=12, fontweight="bold")
    summary = " ".join(tr("monthly.calendar.alt_account", account=a.name, on_time=a.count("on_time"),
                          late=a.count("late"), missed=a.count("missed"), total=a.watch_days,
                          holiday=a.holiday_watch_days) for a in rows)
    return _chart("calendar", fig, tr("monthly.calendar.alt", month=month_label(tr, figures), summary=summary))


# --------------------------------------------------------------------------- reply times


def _stacked(ax, labels: list[str], series: dict[str, list[int]], tr: Tr, key_prefix: str) -> None:
    left = [0] * len(labels)
    for cat, values in series.items():
        colour, hatch = DEADLINE_STYLE[cat]
        bars = ax.barh(labels, values, left=left, color=colour, hatch=hatch or None, edgecolor="#333333",
                       linewidth=0.6, label=tr(f"{key_prefix}.{cat}"))
        for bar, v in zip(bars, values):
            if v:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2, str(v),
                        ha="center", va="center", fontsize=9, fontweight="bold",
                        color="white" if cat == "within" else "black",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.0 if
                              cat == "within" else 0.85})
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.xaxis.get_major_locator().set_params(integer=True)


def replies_chart(figures: MonthFigures, tr: Tr) -> Chart:
    reps = figures.replies
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.6 * max(1, len(reps)) + 2.2), sharey=True)
    lines = []
    for ax, which in zip(axes, ("first_reply", "full_answer")):
        series = {cat: [getattr(getattr(r, which), cat) for r in reps] for cat in DEADLINE_STYLE}
        _stacked(ax, [r.name for r in reps], series, tr, "monthly.replies")
        ax.set_title(tr(f"monthly.replies.{which}"), loc="left", fontweight="bold")
        ax.set_xlabel(tr("monthly.replies.count_axis"))
        total = figures.total(which)
        lines.append(tr("monthly.replies.alt_line", what=tr(f"monthly.replies.{which}"), within=total.within,
                        late=total.late, overdue=total.overdue))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    return _chart("replies", fig, tr("monthly.replies.alt", summary=" ".join(lines)))


def distribution_chart(figures: MonthFigures, tr: Tr) -> Chart:
    names = [name for name, _ in BUCKETS]
    labels = [tr(f"monthly.bucket.{n}") for n in names]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    width = 0.4
    styles = {"first_reply": (OKABE_ITO["blue"], ""), "full_answer": (OKABE_ITO["orange"], "//")}
    lines = []
    for i, which in enumerate(("first_reply", "full_answer")):
        counts = figures.total(which).buckets()
        xs = [j + (i - 0.5) * width for j in range(len(names))]
        colour, hatch = styles[which]
        bars = ax.bar(xs, [counts[n] for n in names], width, color=colour, hatch=hatch or None, edgecolor="#333333",
                      linewidth=0.6, label=tr(f"monthly.replies.{which}"))
        for bar, n in zip(bars, names):
            if counts[n]:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), str(counts[n]), ha="center",
                        va="bottom", fontsize=9)
        lines.append(f"{tr(f'monthly.replies.{which}')}: " + ", ".join(
            f"{lab} {counts[n]}" for lab, n in zip(labels, names)) + ".")
    ax.set_xticks(range(len(names)), labels)
    ax.set_ylabel(tr("monthly.replies.count_axis"))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False)
    ax.set_title(tr("monthly.replies.dist_heading"), loc="left", fontweight="bold")
    return _chart("distribution", fig, tr("monthly.replies.dist_alt", summary=" ".join(lines)))


# --------------------------------------------------------------------------- load over the month


def load_chart(figures: MonthFigures, tr: Tr) -> Chart:
    fig, ax = plt.subplots(figsize=(9, 3.4))
    days = [d.day.day for d in figures.load]
    for span in figures.crises:
        start = max(span.started.date(), figures.month.first).day - 0.5
        end = (min(span.ended.date(), figures.month.last) if span.ended else figures.month.last).day + 0.5
        ax.axvspan(start, end, facecolor=OKABE_ITO["yellow"], alpha=0.35, hatch="||", edgecolor="#777777",
                   label=tr("monthly.load.crisis"))
    ax.plot(days, [d.open for d in figures.load], color=OKABE_ITO["blue"], marker="o", markersize=4,
            linewidth=2, label=tr("monthly.load.open"))
    ax.plot(days, [d.overdue for d in figures.load], color=OKABE_ITO["vermillion"], marker="s", markersize=4,
            linewidth=2, linestyle="--", label=tr("monthly.load.overdue"))
    ax.set_xlim(0.5, figures.month.last.day + 0.5)
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xticks(range(1, figures.month.last.day + 1, 2))
    ax.legend(frameon=False, loc="upper left")
    ax.set_title(tr("monthly.load.heading"), loc="left", fontweight="bold")
    load = figures.load or []
    summary = tr("monthly.load.alt_summary", max_open=max((d.open for d in load), default=0),
                 max_overdue=max((d.overdue for d in load), default=0),
                 end_open=load[-1].open if load else 0, end_overdue=load[-1].overdue if load else 0)
    return _chart("load", fig, tr("monthly.load.alt", month=month_label(tr, figures), summary=summary))


# --------------------------------------------------------------------------- assignees and removals


def assignees_chart(figures: MonthFigures, tr: Tr) -> Chart:
    people = figures.assignees
    fig, ax = plt.subplots(figsize=(8, 0.5 * max(1, len(people)) + 1.6))
    names = [a.name for a in people]
    left = [0] * len(people)
    for key, colour, hatch in (("answered", OKABE_ITO["blue"], ""), ("closed", OKABE_ITO["grey"], "--"),
                               ("open_", OKABE_ITO["orange"], "//")):
        values = [getattr(a, key.rstrip("_")) for a in people]
        bars = ax.barh(names, values, left=left, color=colour, hatch=hatch or None, edgecolor="#333333",
                       linewidth=0.6, label=tr(f"monthly.assignees.{key}"))
        for bar, v in zip(bars, values):
            if v:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2, str(v), ha="center",
                        va="center", fontsize=9, fontweight="bold", color="white" if key == "answered" else "black")
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False, loc="lower right")
    ax.set_title(tr("monthly.assignees.heading"), loc="left", fontweight="bold")
    summary = "; ".join(tr("monthly.assignees.alt_line", name=a.name, answered=a.answered, open=a.open)
                        for a in people) or tr("monthly.assignees.none", month=month_label(tr, figures))
    return _chart("assignees", fig, tr("monthly.assignees.alt", summary=summary))


def removals_chart(figures: MonthFigures, tr: Tr, label: Callable[[str], str]) -> Chart:
    rows = figures.removals
    fig, ax = plt.subplots(figsize=(8, 0.5 * max(1, len(rows)) + 1.4))
    if rows:
        bars = ax.barh([label(g) for g, _ in rows], [n for _, n in rows], color=OKABE_ITO["purple"],
                       hatch="//", edgecolor="#333333", linewidth=0.6)
        for bar, (_, n) in zip(bars, rows):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {n}", va="center", fontsize=9)
        ax.invert_yaxis()
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.text(0.5, 0.5, tr("monthly.removals.none", month=month_label(tr, figures)), ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
    ax.set_title(tr("monthly.removals.heading"), loc="left", fontweight="bold")
    summary = "; ".join(tr("monthly.removals.alt_line", ground=label(g), count=n) for g, n in rows) or tr(
        "monthly.removals.none", month=month_label(tr, figures))
    return _chart("removals", fig, tr("monthly.removals.alt", summary=summary))


# --------------------------------------------------------------------------- summary (the posted image)


def summary_chart(figures: MonthFigures, tr: Tr) -> Chart:
    """Per account: share of watch days watched, of first replies and of full answers in time."""
    accounts = figures.oversight
    replies = {r.account_id: r for r in figures.replies}
    metrics = (("watched", OKABE_ITO["green"], ""), ("first_reply", OKABE_ITO["blue"], "//"),
               ("full_answer", OKABE_ITO["orange"], "\\\\"))
    fig, ax = plt.subplots(figsize=(8, 0.9 * max(1, len(accounts)) + 1.8))
    height = 0.26
    lines = []
    for i, (metric, colour, hatch) in enumerate(metrics):
        values: list[float | None] = []
        for a in accounts:
            if metric == "watched":
                values.append(a.share_watched)
            else:
                r = replies.get(a.account_id)
                values.append(getattr(r, metric).share_within if r else None)
        ys = [j + (i - 1) * height for j in range(len(accounts))]
        ax.barh(ys, [100 * (v or 0) for v in values], height, color=colour, hatch=hatch or None,
                edgecolor="#333333", linewidth=0.6, label=tr(f"monthly.summary.{metric}"))
        for y, v in zip(ys, values):
            ax.text(100 * (v or 0) + 1, y, pct(v, tr) if v is not None else tr("monthly.summary.na"),
                    va="center", fontsize=8)
        lines.append(tr(f"monthly.summary.{metric}") + ": " + ", ".join(
            f"{a.name} {pct(v, tr)}" for a, v in zip(accounts, values)) + ".")
    ax.set_yticks(range(len(accounts)), [a.name for a in accounts])
    ax.invert_yaxis()
    ax.set_xlim(0, 112)
    ax.set_xlabel(tr("monthly.summary.axis"))
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    month = month_label(tr, figures)
    ax.set_title(tr("monthly.title", municipality=figures.municipality, month=month), loc="left", fontweight="bold")
    return _chart("summary", fig, tr("monthly.summary.alt", month=month, summary=" ".join(lines)))


def all_charts(figures: MonthFigures, tr: Tr, ground_label: Callable[[str], str]) -> dict[str, Chart]:
    charts = [summary_chart(figures, tr), calendar_chart(figures, tr), replies_chart(figures, tr),
              distribution_chart(figures, tr), load_chart(figures, tr), assignees_chart(figures, tr),
              removals_chart(figures, tr, ground_label)]
    return {c.name: c for c in charts}
