"""The PDF/A-2b conformance markers of a PDF, checked with pikepdf.

veraPDF, the reference PDF/A validator, is a Java program that none of the package registries here
offers (not PyPI, npm nor Debian), so a full validation cannot run in CI. Instead this checks what
ISO 19005-2 level B requires and a broken writer most often gets wrong:

* XMP metadata with pdfaid:part = 2 and pdfaid:conformance = B (6.6.4);
* an OutputIntent of subtype GTS_PDFA1 with an embedded ICC profile (DestOutputProfile) (6.2.3);
* every font embedded (FontFile, FontFile2 or FontFile3 in its descriptor, also of descendant fonts) (6.2.11.4);
* no encryption (6.1.3);
* no JavaScript: no /JavaScript name tree, no /JS or /JavaScript action, no /AA additional actions (6.5, 6.6.1);
* a document ID in the trailer (6.1.3);
* the document title in the XMP (dc:title) matching the Info dictionary where it has one (6.6.3, 6.6.2.3).
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def _fonts(pdf: pikepdf.Pdf):
    seen = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources") or {}
        stack = [resources]
        while stack:
            res = stack.pop()
            fonts = res.get("/Font") if hasattr(res, "get") else None
            for _, font in (fonts.items() if fonts is not None else []):
                if font.objgen in seen:
                    continue
                seen.add(font.objgen)
                yield font
            xobjects = res.get("/XObject") if hasattr(res, "get") else None
            for _, xobj in (xobjects.items() if xobjects is not None else []):
                if xobj.get("/Resources") is not None:
                    stack.append(xobj.Resources)


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type0":
        return all(_embedded(d) for d in font.DescendantFonts)
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are content streams inside the font
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(descriptor.get(k) is not None for k in FONT_FILES)


def _has_javascript(pdf: pikepdf.Pdf) -> bool:
    names = pdf.Root.get("/Names")
    if names is not None and names.get("/JavaScript") is not None:
        return True
    if pdf.Root.get("/AA") is not None:
        return True
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary):
            if obj.get("/S") == "/JavaScript" or obj.get("/JS") is not None or obj.get("/AA") is not None:
                return True
    return False


def problems(path: Path) -> list[str]:
    """What keeps the file from carrying the PDF/A-2b markers; empty when it carries them all."""
    out: list[str] = []
    pdf = pikepdf.open(path)
    if pdf.is_encrypted:
        out.append("encrypted")
    meta = pdf.open_metadata()
    if meta.get("pdfaid:part") != "2":
        out.append(f"XMP pdfaid:part is {meta.get('pdfaid:part')!r}, not '2'")
    if (meta.get("pdfaid:conformance") or "").upper() != "B":
        out.append(f"XMP pdfaid:conformance is {meta.get('pdfaid:conformance')!r}, not 'B'")
    intents = pdf.Root.get("/OutputIntents")
    if not intents or not any(i.get("/S") == "/GTS_PDFA1" and isinstance(i.get("/DestOutputProfile"), pikepdf.Stream)
                              and int(i.DestOutputProfile.get("/N", 0)) in (1, 3, 4) for i in intents):
        out.append("no GTS_PDFA1 OutputIntent with an embedded ICC profile")
    for font in _fonts(pdf):
        if not _embedded(font):
            out.append(f"font not embedded: {font.get('/BaseFont')}")
    if _has_javascript(pdf):
        out.append("JavaScript or additional actions")
    doc_id = pdf.trailer.get("/ID")
    if doc_id is None or len(doc_id) != 2 or not bytes(doc_id[0]):
        out.append("no document ID in the trailer")
    title = pdf.docinfo.get("/Title")
    if title is not None and meta.get("dc:title") != str(title):
        out.append(f"XMP dc:title {meta.get('dc:title')!r} differs from the Info title {str(title)!r}")
    return out


def font_count(path: Path) -> int:
    return sum(1 for _ in _fonts(pikepdf.open(path)))
