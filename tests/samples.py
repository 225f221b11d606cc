"""Regenerate the samples a records officer can open (docs/samples/, issue 12):

    python -m tests.samples            # writes docs/samples/
    python -m tests.samples --check    # exits 1 if the committed JSON and listing differ from a new run

The example config's Facebook account (Ekby kommun) with the thread of tests/archive/world.py, on a fake
clock: the automatic snapshot made on 2026-09-02 (PDF/A-2b with the original JSON beside it) and the
E-ARK SIP of March 2026 as a zip with a listing of its files (size and SHA-256). The JSON and the listing
are byte-for-byte reproducible; the PDF's bytes depend on the WeasyPrint, Pango and font versions installed.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "docs" / "samples"
SNAPSHOT = "ogonblicksbild-ekby-kommun-facebook-2026-09-02"
SIP = "sip-ekby-kommun-facebook-2026-03"
ZIP_TIME = (2026, 4, 2, 10, 0, 0)


def generate(target: Path) -> list[Path]:
    import datetime as dt

    from bot.export import sip
    from bot.settings import DEFAULT_CONFIG, load_settings
    from tests.archive import world
    from tests.conftest import Harness, local

    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        h = Harness(load_settings(DEFAULT_CONFIG), local(2026, 3, 2, 8, 0), db=work / "data" / "uppsikt.db")
        world.fill(h)
        written = []
        h.clock.set(local(2026, 4, 2, 10, 0))
        package = work / SIP
        sip.write(h.ctx, "facebook", dt.date(2026, 3, 1), dt.date(2026, 3, 31), package)
        h.clock.set(local(2026, 9, 2, 9, 0))
        h.bot.tick()
        snap = next(iter(h.ctx.db.query("SELECT * FROM snapshots WHERE automatic = 1")))
        for rel, suffix in ((snap["path"], ".pdf"), (snap["json_path"], ".json")):
            dest = target / f"{SNAPSHOT}{suffix}"
            shutil.copyfile(work / "data" / rel, dest)
            written.append(dest)
        files = sorted(p for p in package.rglob("*") if p.is_file())
        zpath = target / f"{SIP}.zip"
        with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for p in files:
                info = zipfile.ZipInfo(f"{SIP}/{p.relative_to(package).as_posix()}", date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, p.read_bytes())
        written.append(zpath)
        lines = [f"# {SIP}.zip: the files of the E-ARK SIP (size in bytes, SHA-256), made by python -m tests.samples",
                 "# The PDF/A rendering's bytes depend on the WeasyPrint, Pango and font versions, so its line and",
                 "# the METS files that list its checksum are left out here.", ""]
        for p in files:
            rel = p.relative_to(package).as_posix()
            if rel.endswith(("rendering.pdf", "METS.xml", "rep1/metadata/preservation/premis.xml")):
                continue
            lines.append(f"{p.stat().st_size:>8}  {hashlib.sha256(p.read_bytes()).hexdigest()}  {rel}")
        listing = target / f"{SIP}.txt"
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(listing)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.samples", description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with docs/samples/ instead of writing there")
    args = ap.parse_args(argv)
    if not args.check:
        for p in generate(SAMPLES):
            print(p.relative_to(REPO))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        differ = [name for name in (f"{SNAPSHOT}.json", f"{SIP}.txt")
                  if (fresh / name).read_bytes() != (SAMPLES / name).read_bytes()]
    for name in differ:
        print(f"docs/samples/{name} is out of date: run python -m tests.samples", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
