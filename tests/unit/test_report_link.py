"""The full monthly report behind a signed, expiring link (issue 14): the signature, the link in the
post, and GET /rapporter/ÅÅÅÅ-MM.html over real HTTP on loopback."""

from __future__ import annotations

import datetime as dt
import logging
import urllib.error
import urllib.parse
import urllib.request

import pytest

from bot.clock import to_epoch
from bot.report.links import LINK_DAYS, ReportLinks, links_from_env
from bot.server import HttpServer, build_server, serve_in_thread
from tests.conftest import Harness, local
from tests.report_world import november_world

SECRET = "a-test-secret-that-is-long-enough"
LINKS = ReportLinks("https://uppsikt.ekby.se", SECRET.encode())


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


# --------------------------------------------------------------------------- the signature


def test_a_link_is_signed_for_its_month_and_works_through_its_last_day():
    now = to_epoch(local(2026, 12, 1, 10, 0))
    url, last_day = LINKS.url("2026-11", now)
    assert last_day == dt.date(2026, 12, 1) + dt.timedelta(days=LINK_DAYS)
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uppsikt.ekby.se", "/rapporter/2026-11.html")
    query = dict(urllib.parse.parse_qsl(parts.query))
    exp, sig = query["exp"], query["sig"]
    assert int(exp) == to_epoch(local(2027, 3, 2, 0, 0)) - 1  # 23:59:59 on the last day, Stockholm time
    assert LINKS.check("2026-11", exp, sig, now)
    assert LINKS.check("2026-11", exp, sig, int(exp))  # the last second
    assert not LINKS.check("2026-11", exp, sig, int(exp) + 1)  # expired
    assert not LINKS.check("2026-10", exp, sig, now)  # another month
    assert not LINKS.check("2026-11", str(int(exp) + 86400), sig, now)  # a longer life
    assert not LINKS.check("2026-11", exp, sig.replace(sig[0], "0" if sig[0] != "0" else "1", 1), now)
    assert not LINKS.check("2026-11", exp, sig.upper(), now) and not LINKS.check("2026-11", "", sig, now)
    other = ReportLinks("https://uppsikt.ekby.se", b"another-secret-of-enough-length")
    assert not other.check("2026-11", exp, sig, now)


def test_links_come_from_the_environment_or_not_at_all(caplog):
    good = {"UPPSIKT_PUBLIC_URL": "https://uppsikt.ekby.se/", "UPPSIKT_LINK_SECRET": SECRET}
    links = links_from_env(good)
    assert links is not None and links.public_url == "https://uppsikt.ekby.se" and links.secret == SECRET.encode()
    assert SECRET not in repr(links)
    assert links_from_env({}) is None
    with caplog.at_level(logging.WARNING, logger="uppsikt.report"):
        assert links_from_env({"UPPSIKT_LINK_SECRET": SECRET}) is None  # no public address
        assert links_from_env(good | {"UPPSIKT_LINK_SECRET": "short"}) is None
        assert links_from_env(good | {"UPPSIKT_PUBLIC_URL": "uppsikt.ekby.se"}) is None
    assert len(caplog.records) == 3


# --------------------------------------------------------------------------- the post


def test_the_monthly_post_carries_the_link_when_it_can_be_made(settings):
    from bot.core.monthly import Month
    from bot.report.post import monthly_message

    h = Harness(settings, local(2026, 11, 3, 7, 0))
    november_world(h)
    plain = monthly_message(h.ctx, Month(2026, 11), "#kommunikation")
    assert "uppsikt report month --month 2026-11" in plain.text and plain.actions == ()
    h.bot.report_links = LINKS
    linked = monthly_message(h.ctx, Month(2026, 11), "#kommunikation")
    [action] = linked.actions
    assert action.label == "Öppna hela rapporten"
    assert action.url == LINKS.url("2026-11", h.bot.now_ts())[0]
    assert "Länken till hela rapporten gäller till och med 2027-03-01." in linked.text
    assert "uppsikt report month" not in linked.text


# --------------------------------------------------------------------------- the route, over HTTP


@pytest.fixture
def served(settings, tmp_path):
    h = Harness(settings, local(2026, 11, 3, 7, 0), db=tmp_path / "uppsikt.db")
    november_world(h)  # the clock is left on 1 December 10:00
    server = HttpServer(build_server(h.bot), "127.0.0.1", 0)
    serve_in_thread(server)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    h.bot.report_links = ReportLinks(base, SECRET.encode())
    yield h, base
    server.shutdown()
    server.server_close()


def test_a_good_link_serves_the_full_report_with_strict_headers(served):
    h, base = served
    url, _ = h.bot.report_links.url("2026-11", h.bot.now_ts())
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'unsafe-inline'" in csp and "img-src data:" in csp
    assert "script-src" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    assert body.startswith("<!DOCTYPE html") or '<html lang="sv"' in body[:400]
    assert "Tillsynen i Ekby kommun, november 2026" in body and "data:image/svg+xml;base64," in body
    assert "<script" not in body


def test_a_bad_or_expired_signature_is_refused_with_403(served):
    h, base = served
    url, _ = h.bot.report_links.url("2026-11", h.bot.now_ts())
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    forged = f"{base}/rapporter/2026-10.html?exp={query['exp']}&sig={query['sig']}"  # another month, same signature
    tampered = f"{base}/rapporter/2026-11.html?exp={int(query['exp']) + 1}&sig={query['sig']}"
    for bad in (forged, tampered, f"{base}/rapporter/2026-11.html", f"{base}/rapporter/2026-11.html?exp=x&sig=y"):
        status, headers, body = fetch(bad)
        assert status == 403, bad
        assert body == "Länken gäller inte längre, eller så är den fel. Be om en ny länk med rapport månad i Uppsikt."
        assert headers["Content-Type"] == "text/plain; charset=utf-8" and headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(url)[0] == 200
    h.clock.advance(dt.timedelta(days=LINK_DAYS + 1))  # the injected clock: past the link's last day
    status, _, body = fetch(url)
    assert status == 403 and body.startswith("Länken gäller inte längre")


def test_a_month_that_is_not_one_or_has_not_begun_is_404(served):
    h, base = served
    links = h.bot.report_links
    now = h.bot.now_ts()
    for key in ("2027-01", "2026-13", "1999-12", "nov"):  # signed, but no such report
        exp = links.expiry(now)
        status, headers, body = fetch(f"{base}/rapporter/{key}.html?exp={exp}&sig={links.signature(key, exp)}")
        assert status == 404, key
        assert body == ("Det finns ingen rapport för den månaden. Kontrollera att månaden har börjat och skrivs "
                        "ÅÅÅÅ-MM.")
    exp = links.expiry(now)
    assert fetch(f"{base}/rapporter/2026-12.html?exp={exp}&sig={links.signature('2026-12', exp)}")[0] == 200  # begun


def test_without_links_configured_the_route_answers_404(served):
    h, base = served
    url, _ = h.bot.report_links.url("2026-11", h.bot.now_ts())
    h.bot.report_links = None
    assert fetch(url)[0] == 404


# --------------------------------------------------------------------------- the run mode and the logs


def test_run_teams_takes_the_links_from_the_environment(settings, tmp_path, monkeypatch):
    from bot import server

    served: list = []
    monkeypatch.setattr(server.web, "run_app", lambda app, **kwargs: served.append(app))
    h = Harness(settings, local(2026, 12, 7, 8, 0), db=tmp_path / "u.db")
    env = {"UPPSIKT_PUBLIC_URL": "https://uppsikt.ekby.se", "UPPSIKT_LINK_SECRET": SECRET}
    assert server.run_teams(h.bot, port=0, anonymous=True, env=env, out=lambda text: None) == 0
    assert len(served) == 1 and h.bot.report_links == LINKS
    assert any(r.resource is not None and r.resource.canonical == "/rapporter/{month}.html"
               for r in served[0].router.routes())
    server.run_teams(h.bot, port=0, anonymous=True, env={}, out=lambda text: None)
    assert h.bot.report_links is None


def test_the_link_secret_is_masked_in_logs():
    from bot.logs import configured_secrets

    assert SECRET in configured_secrets({"UPPSIKT_LINK_SECRET": SECRET})
