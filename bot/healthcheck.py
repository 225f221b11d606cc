"""`python -m bot.healthcheck`: the container's HEALTHCHECK (Dockerfile).

The HTTP modes (Slack over HTTP, Teams) answer ``GET /healthz`` with 200 "ok", or 503 with the reason.
With ``UPPSIKT_HEALTHZ_URL`` set (compose.yaml sets it for those services) this asks that URL and exits
0 on 200, 1 otherwise, printing the answer for ``docker inspect``. Without it (Socket Mode serves no HTTP)
there is nothing to ask, and it exits 0. Loopback only in practice: it asks the container itself.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

from bot.i18n import t

URL_ENV = "UPPSIKT_HEALTHZ_URL"
TIMEOUT_SECONDS = 4


def check(env: Mapping[str, str] | None = None, lang: str = "sv") -> tuple[int, str]:
    """(exit code, what to print)."""
    url = (os.environ if env is None else env).get(URL_ENV, "").strip()
    if not url:
        return 0, t("healthcheck.no_http", lang, variable=URL_ENV)
    if not url.startswith(("http://", "https://")):
        return 1, t("healthcheck.bad_url", lang, variable=URL_ENV, value=url)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (http(s) only)
            body = answer.read(2000).decode("utf-8", "replace").strip()
            return (0 if answer.status == 200 else 1), t("healthcheck.answer", lang, status=answer.status, body=body)
    except urllib.error.HTTPError as exc:
        body = exc.read(2000).decode("utf-8", "replace").strip()
        return 1, t("healthcheck.answer", lang, status=exc.code, body=body)
    except (urllib.error.URLError, OSError) as exc:
        return 1, t("healthcheck.no_answer", lang, url=url, error=getattr(exc, "reason", exc))


def main() -> int:
    code, text = check()
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
