"""Small helpers for the HTML pages Uppsikt writes (the account register, the monthly report).

Tables are *responsive*: at desktop width a normal table with every column
visible; on a narrow screen each row becomes a card of "heading: value" lines
(the heading comes from ``data-label``). Because browsers drop table semantics
from elements restyled with ``display: block``, every element also carries its
ARIA table role, so screen readers still announce rows and column headings.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

NARROW = "40em"  # below this width tables are shown as stacked cards

BASE_CSS = (
    "*,*::before,*::after{box-sizing:border-box}"
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:16px;line-height:1.5;"
    "margin:0;color:#1a1a1a;background:#fff}"
    "main{max-width:75rem;margin:0 auto;padding:1.5rem}"
    "a{color:#0645ad}a:focus,summary:focus{outline:3px solid #1a1a1a;outline-offset:2px}"
    "h1{font-size:1.75rem;line-height:1.25}h2{font-size:1.35rem;margin-top:2rem}"
    "img{max-width:100%;height:auto}"
)

TABLE_CSS = (
    ".uppsikt-rt{border-collapse:collapse;width:100%;font-size:15px}"
    ".uppsikt-rt caption{text-align:left;font-weight:bold;padding:.5rem 0}"
    ".uppsikt-rt th,.uppsikt-rt td{border:1px solid #767676;padding:.4rem .5rem;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}"
    ".uppsikt-rt thead th{background:#f0f0f0}"
    ".uppsikt-rt td.num{text-align:right;font-variant-numeric:tabular-nums}"
    f"@media (max-width:{NARROW}){{"
    ".uppsikt-rt,.uppsikt-rt caption,.uppsikt-rt tbody,.uppsikt-rt tr,.uppsikt-rt th,.uppsikt-rt td{display:block;width:auto}"
    ".uppsikt-rt thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
    ".uppsikt-rt tr{border:1px solid #767676;margin:0 0 .75rem;padding:.25rem .5rem}"
    ".uppsikt-rt tbody th,.uppsikt-rt td{border:none;padding:.2rem 0}"
    ".uppsikt-rt td.num{text-align:left}"
    ".uppsikt-rt tbody th::before,.uppsikt-rt td::before{content:attr(data-label) \": \";font-weight:bold}"
    "}"
)


def e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def table(caption: str, headings: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[int] = (),
          table_id: str = "") -> str:
    """A responsive table; cells are HTML already escaped, the first one is the row heading.

    `numeric` lists the column indexes to right-align (at desktop width)."""
    ident = f' id="{e(table_id)}"' if table_id else ""
    head = "".join(f'<th scope="col" role="columnheader">{e(h)}</th>' for h in headings)
    body = []
    for row in rows:
        cells = [f'<th scope="row" role="rowheader" data-label="{e(headings[0])}">{row[0]}</th>']
        for i, cell in enumerate(row[1:], start=1):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f'<td role="cell" data-label="{e(headings[i])}"{cls}>{cell}</td>')
        body.append('<tr role="row">' + "".join(cells) + "</tr>")
    return (
        f'<table class="uppsikt-rt" role="table"{ident}>\n<caption>{e(caption)}</caption>\n'
        f'<thead role="rowgroup"><tr role="row">{head}</tr></thead>\n'
        '<tbody role="rowgroup">\n' + "\n".join(body) + "\n</tbody>\n</table>"
    )


def page(lang: str, title: str, css: str, body: str) -> str:
    """A complete standalone page (also well-formed XML)."""
    lang = e(lang)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}" xml:lang="{lang}" xmlns="http://www.w3.org/1999/xhtml">\n'
        "<head>\n"
        '<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{e(title)}</title>\n"
        f"<style>{css}</style>\n"
        "</head>\n<body>\n<main>\n" + body + "</main>\n</body>\n</html>\n"
    )
