"""The monthly post in Teams: the summary image and an Action.OpenUrl "Öppna hela rapporten" to the
signed link, which the same aiohttp application serves (issue 14)."""

from __future__ import annotations

import urllib.request

from bot.adapters.teams import cards
from bot.report.links import ReportLinks
from tests.conftest import local
from tests.report_world import november_world
from tests.teams.conftest import channel_id

SECRET = b"a-test-secret-that-is-long-enough"


def monthly_cards(env) -> list:
    return [c for c in env.connector.sent(channel_id("konto-facebook")) if c.card and
            any(e["type"] == "Image" for e in c.card["body"])]


def test_the_card_opens_the_full_report_served_by_the_same_app(teams):
    env = teams(local(2026, 11, 3, 7, 0))
    november_world(env.h)
    env.bot.report_links = ReportLinks(env.url, SECRET)
    reply = env.bot.command("lena@example.se", "/rapport månad 2026-11", "konto-facebook")
    assert reply.ok, reply.text
    env.bot.flush()
    [sent] = monthly_cards(env)
    cards.validate_card(sent.card)
    links = [a for e in sent.card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    assert [(a["type"], a["title"]) for a in links] == [("Action.OpenUrl", "Öppna hela rapporten")]
    url = links[0]["url"]
    assert url.startswith(env.url + "/rapporter/2026-11.html?exp=") and "&sig=" in url
    assert "Länken till hela rapporten gäller till och med 2027-03-01." in sent.text
    assert "uppsikt report month" not in sent.text
    with urllib.request.urlopen(url, timeout=60) as response:  # what a click opens, over loopback HTTP
        assert response.status == 200 and response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Tillsynen i Ekby kommun, november 2026" in response.read().decode("utf-8")


def test_validate_card_checks_links():
    import pytest

    ok = cards.card([{"type": "ActionSet", "actions": [
        {"type": "Action.OpenUrl", "title": "Öppna hela rapporten", "url": "https://uppsikt.ekby.se/r"}]}])
    cards.validate_card(ok)
    for bad in ({"type": "Action.OpenUrl", "title": "x", "url": "javascript:alert(1)"},
                {"type": "Action.OpenUrl", "title": "", "url": "https://x.se"}):
        with pytest.raises(ValueError, match="link"):
            cards.validate_card(cards.card([{"type": "ActionSet", "actions": [bad]}]))
