"""Issue 16 (left over from point 1, checked for Teams): a citizen's post in a channel whose name the bot does not
know yet (the app was never told about the channel, no prompt posted there yet) must not be acknowledged and
dropped when the connector cannot list the team's channels just then (HTTP 500 or 429 once).

Like Slack's (tests/slack/test_robust_parked_posts.py): the post is parked in the database, a warning is logged,
and it is taken in as soon as the channel's name can be read: at the next activity or by the retry.
"""

from __future__ import annotations

import logging

import pytest


from tests.conftest import local

MONDAY = local(2026, 12, 7, 9, 5)
QUESTION = "Hej! När öppnar återvinningscentralen efter jul?"


def items(bot) -> list[dict]:
    return list(bot.db.query("SELECT * FROM items ORDER BY id"))


@pytest.mark.parametrize("failure", [dict(status=500), dict(status=429, retry_after=1)])
def test_a_post_whose_channel_name_cannot_be_read_is_kept_and_taken_in_later(teams, caplog, failure):
    env = teams(MONDAY, install=False)  # the bot has never been told the team's channels
    env.connector.fail(method="GET", path_contains="/teams/", **failure)
    with caplog.at_level(logging.INFO, logger="uppsikt"):
        status, _ = env.message("lena@example.se", QUESTION, channel="Konto Facebook", mention=False)
    assert status in (200, 202)  # acknowledged: Teams will not send it again
    assert items(env.bot) == []  # not yet: the channel's name is unknown
    assert any(r.levelno == logging.WARNING and "parked" in r.getMessage() for r in caplog.records)
    assert env.bot.db.execute("SELECT COUNT(*) FROM parked_posts WHERE platform = 'teams'").fetchone()[0] == 1
    # the connector answers again: the next activity (here a post in another channel) takes the parked one in first
    env.message("lena@example.se", "Vad kostar parkering?", channel="Konto Instagram", mention=False)
    texts = [i["text"] for i in items(env.bot)]
    assert QUESTION in texts and len(texts) == 2
    [item] = [i for i in items(env.bot) if i["text"] == QUESTION]
    assert item["account_id"] == "facebook" and item["source"] == "teams"
    assert item["external_id"].startswith(env.conv("konto-facebook") + ":")
    assert env.bot.db.execute("SELECT COUNT(*) FROM parked_posts").fetchone()[0] == 0


def test_a_parked_post_stays_parked_while_the_connector_still_fails_and_is_taken_in_once(teams):
    env = teams(MONDAY, install=False)
    env.connector.fail(500, times=2, method="GET", path_contains="/teams/")
    env.message("lena@example.se", QUESTION, channel="Konto Facebook", mention=False)
    env.message("per@example.se", "uppsikt status", channel="Konto Instagram")  # a command; the listing fails again
    assert items(env.bot) == []
    row = env.bot.db.execute("SELECT attempts, last_error FROM parked_posts").fetchone()
    assert row[0] == 1 and "500" in row[1]
    env.message("per@example.se", "uppsikt status", channel="Konto Instagram")  # the connector answers again
    assert [i["text"] for i in items(env.bot)] == [QUESTION]
    env.message("per@example.se", "uppsikt status", channel="Konto Instagram")
    assert [i["text"] for i in items(env.bot)] == [QUESTION]  # once


def test_a_post_in_a_channel_that_is_no_accounts_is_not_parked(teams):
    env = teams(MONDAY, install=False)
    env.message("lena@example.se", "Fika kl 15?", channel="Krisgruppen", mention=False)  # listed: not an account's
    assert items(env.bot) == []
    assert env.bot.db.execute("SELECT COUNT(*) FROM parked_posts").fetchone()[0] == 0
