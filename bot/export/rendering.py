"""The HTML of a snapshot: an account's posts with their comment threads for a period (R4), every earlier
version and every event, in the municipality's language (bot/locales/*-snapshots.toml). Rendered to
PDF/A by bot/export/pdfa.py."""

from __future__ import annotations

import datetime as dt
import html

from bot import __version__
from bot.clock import from_epoch
from bot.core import media
from bot.core.context import Context
from bot.export.archive_view import Entry, removal_of
from bot.export.pdfa import FONT_FAMILY
from bot.i18n import catalogue

CSS = f"""
@page {{ size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-right {{ content: counter(page) " / " counter(pages); font-family: {FONT_FAMILY}; font-size: 8pt; color: #444; }} }}
body {{ font-family: {FONT_FAMILY}; font-size: 9.5pt; line-height: 1.4; color: #111; }}
h1 {{ font-size: 15pt; margin: 0 0 4pt 0; }}
p.intro {{ margin: 0 0 8pt 0; }}
table.facts {{ border-collapse: collapse; margin-bottom: 10pt; }}
table.facts th {{ text-align: left; padding: 1pt 8pt 1pt 0; font-weight: bold; vertical-align: top; }}
table.facts td {{ padding: 1pt 0; }}
article {{ border-left: 2pt solid #777; padding: 2pt 0 2pt 6pt; margin: 6pt 0; page-break-inside: avoid; }}
article.d1 {{ margin-left: 12pt; border-left-color: #bbb; }}
article.d2 {{ margin-left: 24pt; border-left-color: #bbb; }}
article.d3 {{ margin-left: 36pt; border-left-color: #ccc; }}
article.context {{ border-left-style: dashed; color: #444; }}
.head {{ font-weight: bold; }}
.meta {{ color: #444; font-size: 8.5pt; }}
.text {{ white-space: pre-wrap; margin: 2pt 0; }}
.earlier {{ color: #444; margin: 2pt 0 2pt 8pt; }}
.flag {{ font-weight: bold; }}
ul.events {{ margin: 2pt 0 2pt 0; padding-left: 12pt; font-size: 8.5pt; color: #333; }}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _at(ts: int | None) -> str:
    return from_epoch(ts).strftime("%Y-%m-%d %H:%M") if ts else "–"


def _actor(ctx: Context, actor: str) -> str:
    key = f"snapshots.actor.{actor}"
    return ctx.t(key) if key in catalogue(ctx.lang) else ctx.name_of(actor)


def _ground(ctx: Context, ground: str) -> str:
    key = f"ground.{ground}"
    return ctx.t(key) if key in catalogue(ctx.lang) else (ground or "–")


def event_text(ctx: Context, entry: Entry, event: dict) -> str:
    kind = event["kind"]
    ground, by = removal_of(entry, event) if kind == "removed" else ("", event["actor"])
    key = f"snapshots.event.{kind}"
    if key not in catalogue(ctx.lang):
        return f"{kind} {_at(event['at'])}"
    return ctx.t(key, at=_at(event["at"]), actor=_actor(ctx, by or ""), ground=_ground(ctx, ground))


def _article(ctx: Context, entry: Entry, depth: int = 0) -> str:
    """The entry and, after it, its replies: flat articles indented by depth (at most three steps), so a long
    thread breaks between comments and WeasyPrint lays out a list of blocks, not a deep tree (far faster)."""
    o = entry.obj
    kind = ctx.t(f"snapshots.pdf.{o['kind']}") if o["kind"] in ("post", "comment", "dm") else o["kind"]
    author = ctx.t("snapshots.pdf.own", municipality=ctx.settings.municipality.name) if o["own"] else (o["author"] or "–")
    meta = [ctx.t("snapshots.pdf.posted", at=_at(o["created_at"]))]
    if o["state"] == "hidden":
        meta.append(ctx.t("snapshots.pdf.state_hidden"))
    elif o["state"] == "deleted":
        meta.append(ctx.t("snapshots.pdf.state_deleted"))
    if not entry.in_period:
        meta.append(ctx.t("snapshots.pdf.before_period"))
    parts = [f'<div class="head">{_e(kind)}: {_e(author)}</div>',
             f'<div class="meta">{_e(" · ".join(meta))}</div>']
    if entry.secret:
        parts.append(f'<div class="flag">{_e(ctx.t("snapshots.pdf.secrecy"))}</div>')
    if entry.references:
        parts.append(f'<div class="meta">{_e(ctx.t("snapshots.pdf.references"))}: {_e(", ".join(entry.references))}</div>')
    if o["weeded_at"]:
        parts.append(f'<div class="meta">{_e(ctx.t("snapshots.pdf.weeded", day=from_epoch(o["weeded_at"]).date()))}</div>')
    parts.append(f'<div class="text">{_e(entry.text or ctx.t("snapshots.pdf.no_text"))}</div>')
    for v in entry.versions[:-1]:
        parts.append(f'<div class="earlier">{_e(ctx.t("snapshots.pdf.earlier", version=v["version"], at=_at(v["captured_at"])))}'
                     f' <span class="text">{_e(v["text"] or ctx.t("snapshots.pdf.no_text"))}</span></div>')
    if o["permalink"]:
        parts.append(f'<div class="meta">{_e(ctx.t("snapshots.pdf.link"))}: {_e(o["permalink"])}</div>')
    for row in entry.media:  # the attachments: the stored file by name (as in a package's data/media/), or why not
        parts.append(f'<div class="meta">{_e(media.line(ctx, row, name_only=True))}</div>')
    events = [event_text(ctx, entry, ev) for ev in entry.events]
    if events:
        parts.append(f'<div class="meta">{_e(ctx.t("snapshots.pdf.events"))}:</div><ul class="events">'
                     + "".join(f"<li>{_e(x)}</li>" for x in events) + "</ul>")
    classes = " ".join(c for c in (f"d{min(depth, 3)}" if depth else "", "" if entry.in_period else "context") if c)
    cls = f' class="{classes}"' if classes else ""
    children = "".join(_article(ctx, child, depth + 1) for child in entry.children)
    return f"<article{cls}>" + "".join(parts) + "</article>\n" + children


def snapshot_html(ctx: Context, account, entries: list[Entry], start: dt.date, end: dt.date, *,
                  made: dt.datetime, reason: str, count: int) -> str:
    """A complete page for WeasyPrint: the facts of the snapshot, then every thread in time order."""
    platform = ctx.platform_name(account.platform)
    title = ctx.t("snapshots.pdf.title", account=account.name, platform=platform)
    muni = ctx.settings.municipality
    facts = [
        ("municipality", muni.name), ("archive_creator", archive_creator(ctx)),
        ("account", f"{account.name} ({platform}) {account.url}".strip()), ("period", f"{start} – {end}"),
        ("made", made.strftime("%Y-%m-%d %H:%M")), ("reason", reason), ("objects", str(count)),
        ("software", f"Uppsikt {__version__}"),
    ]
    rows = "".join(f"<tr><th>{_e(ctx.t(f'snapshots.pdf.{k}'))}</th><td>{_e(v)}</td></tr>" for k, v in facts)
    body = "".join(_article(ctx, e) for e in entries) or f"<p>{_e(ctx.t('snapshots.pdf.empty'))}</p>"
    lang = _e(ctx.lang)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8" /><title>{_e(title)}</title>'
            f'<meta name="author" content="{_e(archive_creator(ctx))}" />'
            f'<meta name="generator" content="Uppsikt {_e(__version__)}" />'
            f"<style>{CSS}</style></head>\n<body><h1>{_e(title)}</h1>"
            f'<p class="intro">{_e(ctx.t("snapshots.pdf.intro"))}</p><table class="facts">{rows}</table>\n'
            f"{body}</body></html>\n")


def archive_creator(ctx: Context) -> str:
    """The archive creator (arkivbildare, `municipality.archive_creator`); the municipality when not set."""
    muni = ctx.settings.municipality
    return muni.archive_creator or muni.name
