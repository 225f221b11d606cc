"""Issue 16 point 1: a citizen's post is never acknowledged and dropped because the channel's name is unknown.

When the channel id is not yet in the bot's memory and ``conversations.info`` fails (HTTP 500, 429 or
``fatal_error``), the post is parked in the database (acknowledged, a warning logged) and taken in as soon
as the name can be read: at the next message event, or by the adapter's background retry.
"""

from __future__ import annotations

import logging

import pytest

from tests.slack.signing import response_urls, slack  # noqa: F401

QUESTION = "Hej! När öppnar återvinningscentralen efter jul?"


def items(bot) -> list[dict]:
    return list(bot.db.query("SELECT * FROM items ORDER BY id"))


@pytest.mark.parametrize("failure", [dict(status=500), dict(status=429, retry_after=1),
                                     dict(status=200, error="fatal_error")])
def test_a_post_whose_channel_name_cannot_be_read_is_kept_and_taken_in_later(slack, slack_api, caplog, failure):
    s = slack()
    slack_api.fail("conversations.info", times=3, **failure)  # the inline retries fail too
    with caplog.at_level(logging.INFO, logger="uppsikt"):
        resp, ts = s.message("konto-facebook", QUESTION, integration="Facebook-kommentarer", event_id="Ev0P1")
    assert resp.status == 200
    assert items(s.bot) == []  # not yet: the name is unknown
    assert any(r.levelno == logging.WARNING and "parked" in r.getMessage() for r in caplog.records)
    assert s.bot.db.execute("SELECT COUNT(*) FROM parked_posts").fetchone()[0] == 1
    # Slack answers again: the next event (here a post in another channel) takes the parked one in first
    s.message("konto-instagram", "Vad kostar parkering?", integration="Meta", event_id="Ev0P2")
    texts = [i["text"] for i in items(s.bot)]
    assert QUESTION in texts and len(texts) == 2
    channel = slack_api.channels["konto-facebook"]
    [item] = [i for i in items(s.bot) if i["text"] == QUESTION]
    assert item["external_id"] == f"{channel}:{ts}" and item["account_id"] == "facebook"
    assert s.bot.db.execute("SELECT COUNT(*) FROM parked_posts").fetchone()[0] == 0


def test_parked_posts_are_retried_without_a_new_event(slack, slack_api):
    s = slack()
    slack_api.fail("conversations.info", times=3)
    s.message("konto-facebook", QUESTION, integration="Meta", event_id="Ev0P3")
    assert items(s.bot) == []
    from bot.adapters.slack.listeners import events

    assert events.retry_parked(s.bot, s.app.client) == 1
    assert [i["text"] for i in items(s.bot)] == [QUESTION]


def test_a_channel_slack_says_does_not_exist_is_not_parked(slack, slack_api):
    s = slack()
    slack_api.fail("conversations.info", status=200, error="channel_not_found", times=3)
    s.message("konto-facebook", QUESTION, integration="Meta", event_id="Ev0P4")
    assert items(s.bot) == []
    assert s.bot.db.execute("SELECT COUNT(*) FROM parked_posts").fetchone()[0] == 0
