"""Issue 16 point 6: a person's merged reminders are split into several messages, each within Slack's and
Teams' limits, and a row is marked sent only when the message carrying it was delivered in full."""

from __future__ import annotations

import pytest

from bot.adapters.slack.blocks import render as slack_render
from bot.adapters.teams.cards import render as teams_render
from bot.messages import Message
from bot.outbox import ChatError
from tests.conftest import Harness, local

MONDAY = local(2026, 12, 7, 9, 0)
PERSON = "lena@example.se"


class DigestChat:
    digests = True

    def __init__(self, fail_at: int | None = None):
        self.sent: list[Message] = []
        self.fail_at = fail_at

    def send(self, message: Message) -> None:
        if self.fail_at is not None and len(self.sent) == self.fail_at:
            self.fail_at = None
            raise ChatError("Slack 500")
        self.sent.append(message)


def nudges(h: Harness, n: int) -> list[str]:
    texts = [f"Ärende {i} väntar på svar: " + ("Hur gör jag för att söka bygglov för ett plank? " * 3) + f"#{i}"
             for i in range(1, n + 1)]
    with h.bot.lock:
        for text in texts:
            h.bot.ctx.emit(Message(kind="nudge", to=PERSON, text=text))
    return texts


def slack_text(message: Message) -> str:
    _, blocks = slack_render(message, user_ids={})
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)


def teams_text(message: Message) -> str:
    card = teams_render(message)
    body = card.get("content", card).get("body", []) if isinstance(card, dict) else []
    return "\n".join(i["text"] for b in body if b.get("type") == "RichTextBlock" for i in b["inlines"])


@pytest.mark.parametrize("count", [60, 40])
def test_sixty_reminders_reach_the_person_whole_in_several_messages(settings, count):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = DigestChat()
    texts = nudges(h, count)
    h.bot.flush()
    assert len(chat.sent) > 1
    for message in chat.sent:
        assert len(message.text) <= 4000
        assert "…" not in slack_text(message) and "…" not in teams_text(message)
    everything_slack = "\n".join(slack_text(m) for m in chat.sent)
    everything_teams = "\n".join(teams_text(m) for m in chat.sent)
    for text in texts:
        assert text in everything_slack and text in everything_teams, text
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0


def test_only_the_parts_delivered_are_marked_sent(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = DigestChat(fail_at=1)  # the second part fails
    texts = nudges(h, 60)
    h.bot.flush()
    [first] = chat.sent
    sent_rows = h.bot.db.execute("SELECT message FROM outbox WHERE status = 'sent' AND target = ?", [PERSON]).fetchall()
    assert sent_rows and all(Message.from_json(m).text in first.text for (m,) in sent_rows)
    pending = h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    assert pending == 60 - len(sent_rows)
    h.clock.advance(__import__("datetime").timedelta(minutes=1))
    h.bot.flush()
    delivered = "\n".join(m.text for m in chat.sent)
    assert all(t in delivered for t in texts)
    assert sum(delivered.count(t) for t in texts) == 60  # nothing twice
