"""The monthly post (issue 14): last month's summary image and key figures to the communicators' channel on
the first business day, once; and on demand with /rapport månad."""

from __future__ import annotations

import base64

from bot.core import monthly
from bot.messages import Attachment, Message
from bot.report import post
from tests.conftest import local
from tests.report_world import november_world


def _outbox(h) -> int:
    return h.bot.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def test_posted_once_on_the_first_business_day_with_image_and_key_figures(harness):
    h = harness(local(2026, 11, 3, 7, 0))
    november_world(h)  # leaves the clock on Tuesday 1 December 10:00, the month's first business day
    h.run_until(local(2026, 12, 1, 10, 5))
    sent = h.sent("monthly_report")
    assert len(sent) == 1
    at, m = sent[0]
    assert m.to == "#kommunikation" and at == local(2026, 12, 1, 10, 0)
    assert "november 2026" in m.text and "uppsikt report month --month 2026-11" in m.text
    assert ("Bevakade vaktdagar", "49 av 80 (61 %)") in m.fields
    assert ("Första svar inom tidsfristen", "2 av 4 (50 %)") in m.fields
    image, report = m.attachments
    assert image.is_image and image.content().startswith(b"\x89PNG") and "Ekby kommun (Facebook)" in image.alt
    assert image.filename == "uppsikt-2026-11-sammanfattning.png"
    assert report.mime == "text/html" and b'<html lang="sv"' in report.content()
    h.run_until(local(2026, 12, 3, 10, 0))
    assert len(h.sent("monthly_report")) == 1  # once


def test_message_with_attachments_survives_the_outbox_json():
    m = Message(kind="monthly_report", to="#kommunikation", text="t",
                attachments=(Attachment.of("a.png", "image/png", b"\x89PNG...", title="T", alt="A"),))
    back = Message.from_json(m.to_json())
    assert back == m and back.attachments[0].content() == b"\x89PNG..."
    assert Message.from_json(Message(kind="k", to="#c", text="x").to_json()).attachments == ()


def test_waits_for_the_first_business_day(harness, monkeypatch):
    made: list[str] = []
    monkeypatch.setattr(post, "monthly_message",
                        lambda ctx, month, to: made.append(month.key) or Message("monthly_report", to, month.key))
    h = harness(local(2026, 12, 14, 9, 0))
    h.run_until(local(2027, 1, 3, 23, 0))  # 1 January is a holiday, 2–3 a weekend
    assert made == []
    h.run_until(local(2027, 1, 4, 9, 0))  # Monday 4 January
    assert made == ["2026-12"]
    assert [m.text for _, m in h.sent("monthly_report")] == ["2026-12"]


def test_nothing_for_a_month_before_uppsikt_watched(harness, monkeypatch):
    made: list[str] = []
    monkeypatch.setattr(post, "monthly_message", lambda ctx, month, to: made.append(month.key))
    h = harness(local(2026, 12, 7, 9, 0))  # a new installation in December: no report for November
    h.run_until(local(2026, 12, 8, 9, 0))
    assert made == [] and post.monthly_post_due(h.ctx) == []


def test_rapport_manad_on_demand_in_the_channel(harness):
    h = harness(local(2026, 11, 3, 7, 0))
    november_world(h)
    reply = h.bot.command("per@example.se", "/rapport månad 2026-11", "kommunikation")
    assert reply.ok and reply.text == "Månadsrapporten för november 2026 skickas till #kommunikation."
    h.run_until(local(2026, 12, 1, 10, 1))
    on_demand = [m for _, m in h.sent("monthly_report")]
    assert len(on_demand) == 2  # the one asked for and the first-business-day post
    assert all(base64.b64decode(m.attachments[0].data)[:4] == b"\x89PNG" for m in on_demand)
    # Without a month: last month; from a direct message: to the person who asked.
    assert h.bot.command("per@example.se", "/rapport manad").text.endswith("till per@example.se.")


def test_rapport_manad_bad_input_is_a_swedish_error_and_changes_nothing(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    h.bot.tick()
    before = _outbox(h)
    for text, needle in (("/rapport månad 2026-13", "ÅÅÅÅ-MM"), ("/rapport månad november", "ÅÅÅÅ-MM"),
                         ("/rapport månad 2027-02", "inte börjat"), ("/rapport månad 2026-11 extra", "/rapport månad")):
        reply = h.bot.command("per@example.se", text, "kommunikation")
        assert not reply.ok and needle in reply.text, (text, reply.text)
    assert _outbox(h) == before
    assert "ÅÅÅÅ-MM" in h.bot.command("per@example.se", "/rapport månad hjälp").text
    assert monthly.Month(2026, 1).previous() == monthly.Month(2025, 12)


def test_console_shows_the_attachments_by_name():
    import io

    from bot.adapters.console import ConsoleChat
    from bot.clock import FakeClock

    out = io.StringIO()
    chat = ConsoleChat(FakeClock(local(2026, 12, 1, 9, 0)), out=out)
    chat.send(Message(kind="monthly_report", to="#kommunikation", text="Månadsrapport",
                      attachments=(Attachment.of("s.png", "image/png", b"x" * 4096, title="Sammanfattning"),)))
    assert "📎 Sammanfattning (s.png, 4 kB)" in out.getvalue()


def test_a_failing_report_never_stops_the_tick_and_is_tried_again_the_next_day(harness, monkeypatch, caplog):
    h = harness(local(2026, 11, 3, 7, 0))
    november_world(h)
    calls: list[str] = []

    def broken(ctx, month, to):
        calls.append(month.key)
        raise RuntimeError("matplotlib is broken")

    monkeypatch.setattr(post, "monthly_message", broken)
    h.run_until(local(2026, 12, 1, 10, 30))
    assert calls == ["2026-11"] and h.sent("monthly_report") == []
    assert "could not be made" in caplog.text
    h.run_until(local(2026, 12, 1, 16, 0))
    assert h.sent("oversight_reminder")  # the oversight duty went on
    monkeypatch.undo()
    h.run_until(local(2026, 12, 2, 9, 0))  # the next day's daily job tries again, and succeeds
    assert calls == ["2026-11"] and len(h.sent("monthly_report")) == 1
