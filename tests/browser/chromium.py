"""Headless Chromium for the browser tests: measure a page's layout in the real engine and take screenshots.

No DevTools client is needed: `measure` copies the page, adds a small script
that writes its measurements as JSON into a ``<pre>`` at the end of the body,
and reads them back from ``chromium --headless --dump-dom``. The page under
test itself contains no script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120

MEASURE_JS = r"""
<script>
(function () {
  function visible(el) {
    var s = getComputedStyle(el);
    return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0;
  }
  var out = {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    scrollHeight: document.documentElement.scrollHeight,
    wide: [], small: [], charts: []
  };
  var all = document.body.querySelectorAll('*');
  for (var i = 0; i < all.length; i++) {
    var el = all[i];
    if (el.tagName === 'SCRIPT' || el.tagName === 'STYLE' || !visible(el)) continue;
    var r = el.getBoundingClientRect();
    var clipped = getComputedStyle(el).clip !== 'auto' && r.width <= 1;
    if (!clipped && r.width > 0 && (r.right > out.clientWidth + 0.5 || r.left < -0.5)) {
      out.wide.push(el.tagName + (el.id ? '#' + el.id : '') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
    var text = '';
    for (var j = 0; j < el.childNodes.length; j++) {
      if (el.childNodes[j].nodeType === 3) text += el.childNodes[j].textContent;
    }
    var size = parseFloat(getComputedStyle(el).fontSize);
    if (text.trim() && !clipped && size < 14) out.small.push(el.tagName + ' ' + size + 'px: ' + text.trim().slice(0, 40));
  }
  var imgs = document.querySelectorAll('figure.chart img');
  for (var k = 0; k < imgs.length; k++) {
    var b = imgs[k].getBoundingClientRect();
    out.charts.push({id: imgs[k].parentNode.id, complete: imgs[k].complete, natural: imgs[k].naturalWidth,
                     x: b.left + window.scrollX, y: b.top + window.scrollY, w: b.width, h: b.height});
  }
  parent.postMessage(JSON.stringify(out), '*');
})();
</script>
"""


class ChromiumMissing(RuntimeError):
    pass


def binary() -> str:
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    raise ChromiumMissing(
        "Headless Chromium is needed for the browser tests and was not found. Install it "
        "(Debian: apt-get install -y chromium); .ci/run installs it in CI.")


def _run(args: list[str], profile: str) -> str:
    cmd = [binary(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
           "--force-device-scale-factor=1", f"--user-data-dir={profile}", *args]
    env = dict(os.environ, HOME=profile)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


# Chromium will not make a window narrower than about 500 px, so the page is measured inside an iframe
# of exactly the width asked for (its own viewport, like a phone's); it posts the measurements up.
FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"/></head><body style="margin:0">
<iframe src="page.html" style="border:0;width:{width}px;height:{height}px;display:block"></iframe>
<pre id="__measure"></pre>
<script>window.addEventListener('message', function (e) {{
  document.getElementById('__measure').textContent = e.data; }});</script>
</body></html>"""


def measure(html: str, width: int, height: int = 900) -> dict:
    """Load `html` in a viewport of `width` x `height` CSS pixels and return the layout measurements."""
    with tempfile.TemporaryDirectory(prefix="uppsikt-chromium-") as tmp:
        page = Path(tmp) / "page.html"
        marked = re.sub(r"</body>", MEASURE_JS + "</body>", html, count=1) if "</body>" in html else (
            "<!DOCTYPE html><html><head><meta charset='utf-8'/></head><body>" + html + MEASURE_JS + "</body></html>")
        page.write_text(marked, encoding="utf-8")
        frame = Path(tmp) / "frame.html"
        frame.write_text(FRAME.format(width=width, height=height), encoding="utf-8")
        dom = _run([f"--window-size={max(width, 800) + 40},{height + 200}", "--virtual-time-budget=5000",
                    "--dump-dom", frame.as_uri()], str(Path(tmp) / "profile"))
    found = re.search(r'<pre id="__measure">(.*?)</pre>', dom, re.S)
    if not found:
        raise RuntimeError("the measuring script did not run: " + dom[-500:])
    import html as _html

    return json.loads(_html.unescape(found.group(1)))


def screenshot(html_path: Path, png: Path, width: int, height: int) -> Path:
    with tempfile.TemporaryDirectory(prefix="uppsikt-chromium-") as tmp:
        _run([f"--window-size={width},{height}", "--hide-scrollbars", "--virtual-time-budget=5000",
              f"--screenshot={png}", html_path.resolve().as_uri()], str(Path(tmp) / "profile"))
    return png
