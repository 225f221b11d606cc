"""Issue 16 points 2 and 4 and /healthz: a database that cannot be written, or whose file is deleted,
replaced or truncated while the bot runs, never makes the bot post the same card again and again, and
/healthz says what is wrong."""

from __future__ import annotations

import datetime as dt
import os
import shutil

from bot import metrics
from tests.conftest import Harness, local
from tests.slack.test_faults_crash import fill_every_page

MONDAY = local(2026, 12, 7, 9, 0)
QUESTION = "Hej! När öppnar återvinningscentralen efter jul?"


def started(settings, tmp_path) -> Harness:
    h = Harness(settings, MONDAY, db=tmp_path / "uppsikt.db")
    h.bot.tick()
    h.bot.flush()
    h.clear()
    return h


def break_the_store(h: Harness, fault: str) -> None:
    if fault == "disk full":
        fill_every_page(h.bot.db, h.bot.now_ts())
    else:
        h.bot.db.execute("PRAGMA query_only = ON")


def mend_the_store(h: Harness) -> None:
    h.bot.db.execute("PRAGMA max_page_count = 1073741823")
    h.bot.db.execute("PRAGMA query_only = OFF")


import pytest


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
def test_a_message_sent_but_not_marked_sent_is_never_sent_again(settings, tmp_path, fault):
    h = started(settings, tmp_path)
    with h.bot.lock:  # queue the card without delivering it yet
        from bot.core import intake

        intake.receive(h.bot.ctx, "facebook", QUESTION, author="Kalle", source="facebook", external_id="c1")
    queued = h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    assert queued >= 1
    break_the_store(h, fault)
    for _ in range(12):  # the 5 s delivery job, a minute long
        h.clock.advance(dt.timedelta(seconds=5))
        h.bot.flush()
    texts = [m.text for _, m in h.chat.sent]
    assert len(texts) == len(set(texts)) >= 1, [t[:40] for t in texts]  # nothing twice
    unmarked = h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    if fault == "read-only" or unmarked == queued:  # no mark could be written (a full disk may take an UPDATE)
        assert len(texts) == 1  # sent once, then delivery stops until the database is writable
        status, text = metrics.health(h.bot)
        assert status == 503 and "cannot be written" in text and fault in text, text
    mend_the_store(h)
    h.bot.tick()
    h.bot.flush()
    h.bot.flush()
    texts = [m.text for _, m in h.chat.sent]
    assert len(texts) == len(set(texts)) == queued  # everything once, the first one not again
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0
    assert metrics.health(h.bot) == (200, "ok")


@pytest.mark.parametrize("fault", ["deleted", "replaced", "truncated"])
def test_healthz_sees_the_database_file_deleted_replaced_or_truncated(settings, tmp_path, fault):
    h = started(settings, tmp_path)
    assert metrics.health(h.bot) == (200, "ok")
    path = tmp_path / "uppsikt.db"
    if fault == "deleted":
        path.unlink()
    elif fault == "replaced":
        shutil.copy(path, tmp_path / "copy.db")
        os.replace(tmp_path / "copy.db", path)
    else:
        with open(path, "r+b") as f:
            f.truncate(0)
    status, text = metrics.health(h.bot)
    assert status == 503, text
    assert {"deleted": "is gone", "replaced": "was replaced", "truncated": "was truncated"}[fault] in text


class SteppedClock:
    """A wall clock an operator (or NTP, or a VM restore) can step backwards."""

    def __init__(self, now: dt.datetime):
        self.at = now

    def now(self) -> dt.datetime:
        return self.at


def test_healthz_sees_the_clock_go_backwards(settings, tmp_path):
    h = started(settings, tmp_path)
    clock = h.bot.ctx.clock = SteppedClock(MONDAY)
    assert metrics.health(h.bot) == (200, "ok")
    clock.at = MONDAY - dt.timedelta(hours=3)
    status, text = metrics.health(h.bot)
    assert status == 503 and "clock went backwards" in text, text
    clock.at = MONDAY + dt.timedelta(minutes=1)  # caught up again
    h.bot.tick()
    assert metrics.health(h.bot) == (200, "ok")


class DownChat:
    """A chat platform that cannot be reached."""

    def send(self, message):
        from bot.outbox import ChatError

        raise ChatError("could not reach Slack (URLError)")


def test_healthz_and_metrics_say_when_delivery_is_stuck_and_the_platform_is_unreachable(settings, tmp_path):
    h = started(settings, tmp_path)
    h.bot.chat = DownChat()
    with h.bot.lock:
        h.bot.ctx.emit(__import__("bot.messages", fromlist=["Message"]).Message(
            kind="oversight_prompt", to="#konto-facebook", text="Dags för tillsyn"))
    for _ in range(8):  # the outbox backs off: 2, 4, 8 … s
        h.bot.flush()
        h.clock.advance(dt.timedelta(minutes=5))
        h.bot.tick()
    status, text = metrics.health(h.bot)
    assert status == 503
    assert "delivery is stuck" in text and "chat platform connection is broken" in text, text
    scraped = metrics.parse(metrics.render(h.bot))
    assert scraped['uppsikt_health_problem{reason="delivery_stuck"}'] == 1
    assert scraped['uppsikt_health_problem{reason="chat_platform"}'] == 1
    assert scraped['uppsikt_health_problem{reason="database_file"}'] == 0
