"""The monthly report and the account register as a person sees them, in headless Chromium (issue 14).

Fails (never skips) when Chromium is missing: .ci/run installs it in CI.
"""

from __future__ import annotations

import pytest
from PIL import Image

from bot.core import monthly, records
from bot.report import page
from tests.browser import chromium
from tests.conftest import Harness, local
from tests.report_world import november_world

DESKTOP, PHONE = 1200, 390


@pytest.fixture(scope="module")
def report(settings, tmp_path_factory):
    h = Harness(settings, local(2026, 11, 3, 7, 0))
    november_world(h)
    rendered = page.render_month(h.ctx, monthly.Month(2026, 11))
    return page.write(rendered, tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def register(settings):
    h = Harness(settings, local(2026, 12, 7, 10, 0))
    return records.register_html(h.ctx), records.register_html(h.ctx, fragment=True)


def test_chromium_is_installed():
    assert chromium.binary()  # raises ChromiumMissing with how to install it: a failure, not a skip


def _no_horizontal_scroll(m: dict) -> None:
    assert m["scrollWidth"] <= m["clientWidth"], f"horizontal scrollbar: {m['scrollWidth']} > {m['clientWidth']}"
    assert m["wide"] == [], f"elements wider than the viewport: {m['wide'][:5]}"


def test_report_at_desktop_width_has_no_horizontal_scrollbar_and_draws_every_chart(report, tmp_path):
    m = chromium.measure(report.read_text(encoding="utf-8"), DESKTOP)
    assert m["innerWidth"] == DESKTOP
    _no_horizontal_scroll(m)
    assert m["small"] == [], m["small"][:5]
    assert len(m["charts"]) == 7 and all(c["complete"] and c["natural"] > 0 for c in m["charts"])
    shot = chromium.screenshot(report, tmp_path / "report.png", DESKTOP, int(m["scrollHeight"]) + 10)
    img = Image.open(shot).convert("L")
    assert img.width == DESKTOP
    for c in m["charts"]:
        box = (int(c["x"]) + 2, int(c["y"]) + 2, int(c["x"] + c["w"]) - 2, int(c["y"] + c["h"]) - 2)
        assert box[3] <= img.height, f"{c['id']} is outside the screenshot"
        area = img.crop(box)
        inked = sum(area.histogram()[:200])  # pixels clearly darker than the white background
        share = inked / (area.width * area.height)
        assert share > 0.02, f"{c['id']}: only {share:.1%} of the chart area is drawn"
    # And the background around the charts really is the page's white (the test can tell them apart).
    margin = img.crop((0, 0, 20, 200))
    assert sum(margin.histogram()[:200]) == 0


def test_report_is_readable_on_a_phone(report):
    m = chromium.measure(report.read_text(encoding="utf-8"), PHONE, 844)
    assert m["innerWidth"] == PHONE
    _no_horizontal_scroll(m)
    assert m["small"] == [], f"text smaller than 14 px: {m['small'][:5]}"
    assert all(c["w"] <= m["clientWidth"] for c in m["charts"])


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_register_page_and_fragment_fit_the_screen(register, width):
    full, fragment = register
    for html in (full, fragment):
        m = chromium.measure(html, width, 844)
        assert m["innerWidth"] == width
        _no_horizontal_scroll(m)
        assert m["small"] == [], f"text smaller than 14 px: {m['small'][:5]}"
