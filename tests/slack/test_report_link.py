"""The monthly post in Slack carries the signed link to the full report in its comment (issue 14)."""

from __future__ import annotations

from bot.adapters.slack.chat import SlackChat
from bot.report.links import ReportLinks
from tests.conftest import Harness, local
from tests.report_world import november_world
from tests.slack.conftest import example_channels

LINKS = ReportLinks("https://uppsikt.ekby.se", b"a-test-secret-that-is-long-enough")


def test_the_daily_post_shares_the_files_with_the_link_in_the_comment(settings, slack_api, slack_client):
    h = Harness(settings, local(2026, 11, 3, 7, 0))
    november_world(h)
    h.bot.chat = SlackChat.for_bot(slack_client, h.bot)
    h.bot.report_links = LINKS
    h.run_until(local(2026, 12, 1, 10, 5))  # the first business day of December: November's report
    channel = example_channels(settings)["kommunikation"]
    [png, html] = slack_api.shared(channel)
    comment = png["comment"]
    assert [png["filename"], html["filename"]] == ["uppsikt-2026-11-sammanfattning.png", "uppsikt-rapport-2026-11.html"]
    assert "Bevakade vaktdagar: 49 av 80 (61 %)" in comment
    assert "Länken till hela rapporten gäller till och med 2027-03-01." in comment
    assert "uppsikt report month" not in comment
    url = LINKS.url("2026-11", h.bot.now_ts())[0]  # the same day: the same link
    assert comment.endswith("\n<" + url.replace("&", "&amp;") + "|Öppna hela rapporten>")  # mrkdwn: & escaped


def test_without_a_link_the_comment_keeps_the_command_line_sentence(settings, slack_api, slack_client):
    h = Harness(settings, local(2026, 11, 3, 7, 0))
    november_world(h)
    h.bot.chat = SlackChat.for_bot(slack_client, h.bot)
    h.run_until(local(2026, 12, 1, 10, 5))
    [png, _] = slack_api.shared(example_channels(settings)["kommunikation"])
    assert "Hela rapporten: uppsikt report month --month 2026-11" in png["comment"]
    assert "<http" not in png["comment"]
