"""HTML to PDF/A-2b with WeasyPrint (R4 snapshots, the renderings in an E-ARK SIP).

Why WeasyPrint: it is the one HTML/CSS-to-PDF library on PyPI that writes PDF/A itself
(`pdf_variant="pdf/a-2b"`, since version 60): it embeds every font it uses as a subset, adds the sRGB
OutputIntent with its ICC profile, the XMP metadata with pdfaid:part/conformance and a document ID,
and never encrypts nor adds JavaScript. It needs Pango from the operating system (Debian:
libpango-1.0-0, libpangoft2-1.0-0; .ci/run installs them when missing) and reads fonts through
fontconfig: the page asks for DejaVu Sans (Debian fonts-dejavu-core), which is embedded, so a reader
needs no font of its own. Nothing is fetched from the network: the HTML has no external resources and
the URL fetcher refuses any.

The same HTML and the same creation time give the same bytes, so a rendering can be regenerated and
compared (docs/samples/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

PDF_VARIANT = "pdf/a-2b"
FONT_FAMILY = '"DejaVu Sans", "DejaVu Sans Condensed", sans-serif'


class NoNetwork(Exception):
    pass


class RenderingUnavailable(Exception):
    """WeasyPrint cannot be loaded: Pango (or WeasyPrint itself) is missing on this machine."""


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict:
    """Snapshots carry no external resources: a link in a post is text, never loaded."""
    raise NoNetwork(f"no resource may be fetched while rendering a record: {url}")


def render(html: str, path: Path, *, created: dt.datetime) -> str:
    """Write `html` as PDF/A-2b to `path`; returns the file's SHA-256 (hex).

    `created` becomes the document's creation and modification time (XMP and Info dictionary)."""
    try:
        import weasyprint  # imported here: ~2 s, and only snapshots and SIP exports need it
    except (ImportError, OSError) as exc:  # OSError: the Pango library is not installed
        raise RenderingUnavailable(f"{type(exc).__name__}: {exc}") from exc

    stamp = created.isoformat(timespec="seconds")
    meta = (f'<meta name="dcterms.created" content="{stamp}" />'
            f'<meta name="dcterms.modified" content="{stamp}" />')
    html = html.replace("</head>", meta + "</head>", 1)
    data = weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf(pdf_variant=PDF_VARIANT)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
