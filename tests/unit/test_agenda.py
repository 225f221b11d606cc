"""Issue 17 point 3 (a year in seconds): the scheduler agenda, its statement budget, and the simulator's
deferred drawing of the monthly report."""

from __future__ import annotations

from bot.core.monthly import Month
from bot.report import post
from tests.conftest import local
from tests.report_world import november_world


def test_deferred_monthly_post_has_the_same_words_and_draws_the_same_files_on_demand(harness):
    h = harness(local(2026, 11, 3, 7, 0))
    november_world(h)
    with h.bot.lock:
        real = post.monthly_message(h.ctx, Month(2026, 11), "#kommunikation")
        post.defer_drawing(h.ctx)
        deferred = post.monthly_message(h.ctx, Month(2026, 11), "#kommunikation")
        later = post.deferred_attachments(h.ctx, "2026-11")
    assert deferred.attachments == ()
    assert (deferred.text, deferred.fields, deferred.to) == (real.text, real.fields, real.to)
    assert [(a.filename, a.mime, a.title, a.alt) for a in later] == \
        [(a.filename, a.mime, a.title, a.alt) for a in real.attachments]
    assert later[1].content() == real.attachments[1].content()  # the full HTML report, byte for byte
    assert later[0].content() == real.attachments[0].content()  # the summary chart, pixel for pixel
