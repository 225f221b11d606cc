"""The monthly post in Slack carries the signed link to the full report in its comment (issue 14)."""

from __future__ import annotations

from bot.adapters.slack.chat import SlackChat
from bot.report.links import ReportLinks
from tests.conftest import Harness, local, stop_with_ctrl_c
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


def test_uppsikt_run_http_serves_the_report_behind_a_link_from_the_environment(tmp_path, slack_api):
    """`uppsikt run --http` (Slack's HTTP mode) reads UPPSIKT_PUBLIC_URL and UPPSIKT_LINK_SECRET."""
    import datetime as dt
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO
    from tests.slack.signing import SIGNING_SECRET, wait_for
    from tests.slack.test_metrics import free_port, get

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    secret = "a-test-secret-that-is-long-enough"
    env = {**os.environ, "SLACK_BOT_TOKEN": slack_api.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": slack_api.base_url, "UPPSIKT_PUBLIC_URL": base, "UPPSIKT_LINK_SECRET": secret}
    env.pop("SLACK_APP_TOKEN", None)
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1", "--port",
                                 str(port), "--db", str(tmp_path / "u.db")], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        up = wait_for(lambda: "/slack/events" in stderr.read_text() or proc.poll() is not None, timeout=60)
        assert up and proc.poll() is None, stderr.read_text()
        assert wait_for(lambda: get(base + "/healthz")[0] == 200, timeout=20), stderr.read_text()
        first = dt.date.today().replace(day=1) - dt.timedelta(days=1)  # last month (the server's real clock)
        links = ReportLinks(base, secret.encode())
        url, _ = links.url(f"{first:%Y-%m}", int(time.time()))
        status, kind, body = get(url, timeout=60)
        assert status == 200 and kind == "text/html; charset=utf-8" and '<html lang="sv"' in body, body[:300]
        assert get(url.replace("sig=", "sig=0"))[0] == 403
    finally:
        code = stop_with_ctrl_c(proc)  # what Ctrl+C does: run() stops the server and the scheduler
    assert code == 0, stderr.read_text()[-3000:]
