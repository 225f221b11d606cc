"""While a chat target is blocked, the outbox's clock jumps to the next retry instead of ticking every second."""

from __future__ import annotations

import datetime as dt

from bot.outbox import ChatError
from tests.conftest import local


def test_a_six_hour_outage_takes_a_few_ticks_not_one_a_second(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    real_send = h.chat.send

    def outage(message):
        if h.clock.now() < local(2026, 12, 7, 16, 0):
            raise ChatError("500 internal_error")
        real_send(message)

    h.chat.send = outage
    ticks = []
    real_tick = h.bot.tick

    def counted():
        ticks.append(h.clock.now())
        return real_tick()

    h.bot.tick = counted
    for n in range(5):  # several messages queue up behind the first one to the same channel
        h.bot.intake("facebook", f"Fråga {n}: när öppnar simhallen?", external_id=f"o{n}", source="facebook")
    h.run_until(local(2026, 12, 7, 17, 0))
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0
    assert all(at >= local(2026, 12, 7, 16, 0) for at, _ in h.sent(to="#konto-facebook"))
    # back-off doubles up to five minutes: about 6 h / 5 min retries plus the scheduler's own moments
    assert len(ticks) < 300, f"{len(ticks)} ticks for a six-hour outage"


def test_the_next_wakeup_is_the_blocked_targets_retry_not_the_rows_behind_it(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    h.bot.tick()  # the start-up tick (bot/jobs.py `start`): the agenda's work due at start is done
    def down(message):
        raise ChatError("down", retry_after=600)

    h.chat.send = down
    h.bot.intake("facebook", "Första frågan?", external_id="a1", source="facebook")
    h.bot.intake("facebook", "Andra frågan?", external_id="a2", source="facebook")
    pending = h.bot.db.execute("SELECT next_attempt_at FROM outbox WHERE status = 'pending' ORDER BY id").fetchall()
    assert len(pending) >= 2 and pending[-1][0] <= h.bot.ctx.now_ts()  # the row behind is due, but blocked
    assert h.bot.next_wakeup() > h.clock.now() + dt.timedelta(seconds=1)  # not "one second from now"
