"""Issue 16 point 7: the wall clock stepped backwards (NTP correction, VM restore) must not stop delivery.

The Slack rate limiter measures time on a monotonic clock (injected; `SystemClock.monotonic` in production),
so a step of the wall clock neither empties its buckets nor holds a 429 back for as long as the step. The
outbox treats a retry time far in the future (more than the longest back-off) as due, and /healthz says the
clock went backwards (tests/unit/test_robust_store.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.adapters.slack.chat import RATES, RateLimiter, SlackChat
from bot.bootstrap import build
from bot.messages import Message
from bot.outbox import ChatError
from tests.conftest import local
from tests.clocks import SteppedClock

START = local(2026, 12, 7, 9, 0)


def posts(api) -> list:
    return api.calls_to("chat.postMessage")


@pytest.mark.parametrize("monotonic", [True, False], ids=["injected monotonic", "wall clock only"])
def test_a_clock_stepped_back_a_day_does_not_stop_the_rate_limiter(slack_client, slack_api, settings, monotonic):
    clock = SteppedClock(START)
    if not monotonic:
        clock = type("WallOnly", (), {"now": lambda self: clock_at[0]})()
        clock_at = [START]
    bot = build(settings, clock=clock, db=None)
    chat = SlackChat(slack_client, bot.memory("slack"), clock)
    burst = int(RATES["chat.postMessage"].burst)
    for n in range(burst):
        chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text=f"{n}"))
    with pytest.raises(ChatError):
        chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="one too many"))
    # NTP steps the wall clock back a day; a second passes on the monotonic clock
    if monotonic:
        clock.at -= dt.timedelta(days=1)
        clock.mono += 1
    else:
        clock_at[0] = START - dt.timedelta(days=1) + dt.timedelta(seconds=1)
        chat.limiter.take("users.info")  # the limiter sees the step …
        clock_at[0] += dt.timedelta(seconds=1)  # … and then a second passes
    chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="after the step"))
    assert len(posts(slack_api)) == burst + 1


def test_a_429_hold_is_measured_on_the_monotonic_clock():
    clock = SteppedClock(START)
    limiter = RateLimiter(clock)
    limiter.hold("chat.postMessage", "C1", 30)
    clock.at -= dt.timedelta(days=1)
    clock.mono += 31
    limiter.take("chat.postMessage", "C1")  # no ChatError: 31 s have passed, whatever the wall clock says


def test_the_outbox_retries_a_message_whose_retry_time_lies_a_day_ahead(settings):
    clock = SteppedClock(START)
    sent = []

    class Flaky:
        fail = True

        def send(self, message):
            if self.fail:
                self.fail = False
                raise ChatError("Slack 500")
            sent.append(message)

    bot = build(settings, clock=clock, db=None, chat=Flaky())
    bot.flush()
    with bot.lock:
        bot.ctx.emit(Message(kind="oversight_prompt", to="#konto-facebook", text="Dags för tillsyn"))
    bot.flush()  # fails: retry in 2 s
    assert sent == []
    clock.at -= dt.timedelta(days=1)  # the clock steps back a day
    clock.tick(5)
    bot.flush()
    assert [m.text for m in sent] == ["Dags för tillsyn"]
