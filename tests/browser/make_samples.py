"""Write the README's sample screenshots: `.venv/bin/python -m tests.browser.make_samples`.

docs/images/report-2026-11.png   the top of the simulated November 2026 report (tests/report_world.py)
docs/images/register.png         the account register at desktop width
docs/images/register-phone.png   the account register at 390 px (stacked cards)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PIL import Image

from bot.core import monthly, records
from bot.report import page
from bot.settings import DEFAULT_CONFIG, load_settings
from tests.browser import chromium
from tests.conftest import REPO, Harness, local
from tests.report_world import november_world

OUT = REPO / "docs" / "images"


def _shot(html_path: Path, target: Path, width: int, height: int, crop: int | None = None) -> None:
    chromium.screenshot(html_path, target, width, height)
    img = Image.open(target)
    if crop and img.height > crop:
        img = img.crop((0, 0, img.width, crop))
    img.convert("RGB").quantize(colors=256).save(target, optimize=True)
    print(target.relative_to(REPO), img.size)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    settings = load_settings(DEFAULT_CONFIG)
    h = Harness(settings, local(2026, 11, 3, 7, 0))
    november_world(h)
    with tempfile.TemporaryDirectory() as tmp:
        report = page.write(page.render_month(h.ctx, monthly.Month(2026, 11)), Path(tmp))
        _shot(report, OUT / "report-2026-11.png", 1200, 2100, crop=2100)
        reg = Path(tmp) / "register.html"
        reg.write_text(records.register_html(h.ctx), encoding="utf-8")
        m = chromium.measure(reg.read_text(encoding="utf-8"), 1200)
        _shot(reg, OUT / "register.png", 1200, int(m["scrollHeight"]) + 10)
        # A phone-sized view: the page in a 390 px frame (Chromium's window cannot be that narrow).
        frame = Path(tmp) / "frame.html"
        frame.write_text('<!DOCTYPE html><html><body style="margin:0"><iframe src="register.html" '
                         'style="border:0;width:390px;height:1400px;display:block"></iframe></body></html>',
                         encoding="utf-8")
        _shot(frame, OUT / "register-phone.png", 800, 1400)
        img = Image.open(OUT / "register-phone.png")
        img.crop((0, 0, 390, img.height)).save(OUT / "register-phone.png", optimize=True)


if __name__ == "__main__":
    main()
