"""A simulated November 2026 with known checks, reply times, a removal and a crisis (issue 14's report tests)."""

from __future__ import annotations

import datetime as dt

from bot.core import crisis, items, moderation, oversight
from tests.conftest import local

MISSED_FB = {6, 20}
LATE_FB = {5, 12}
INSTAGRAM_MISSED = 27


def november_world(h) -> dict[str, int]:
    """Play November 2026 on a harness started on Tuesday 3 November (accounts added then), in time order,
    and leave its clock on 1 December 10:00. Returns the item ids by name."""
    cal = h.ctx.calendar(h.ctx.account("facebook").policy)
    ids: dict[str, int] = {}
    events: list[tuple[dt.datetime, object]] = []

    def check(note):
        return lambda: oversight.log_check(h.ctx, "facebook", "lena@example.se", note)

    # Facebook: checked every business day from the 3rd, except two; two checks after the 12:00 reminder.
    for day in range(3, 31):
        if cal.is_business_day(dt.date(2026, 11, day)) and day not in MISSED_FB:
            events.append((local(2026, 11, day, 13 if day in LATE_FB else 9, 15), check("ok")))
    events.append((local(2026, 11, 7, 10, 0), check("lördag")))  # a Saturday: not required, not counted
    # Instagram: every business day from the 3rd at 10:00 except the 27th; LinkedIn: Mondays, Wednesdays and
    # Fridays only, after the reminder; nobody checks the library's account.
    for day in range(3, 31):
        d = dt.date(2026, 11, day)
        if not cal.is_business_day(d):
            continue
        if day != INSTAGRAM_MISSED:
            events.append((local(2026, 11, day, 10, 0),
                           lambda: oversight.log_check(h.ctx, "instagram", "per@example.se", "")))
        if d.weekday() in (0, 2, 4):
            events.append((local(2026, 11, day, 14, 0),
                           lambda: oversight.log_check(h.ctx, "linkedin", "karin@example.se", "")))

    def ask(key, text, account="facebook"):
        def run():
            item, _ = items.intake(h.ctx, account, text, author="Medborgare", external_id=key, source="test",
                                   force_question=True)
            ids[key] = item["id"]
        return run

    def act(key, name, **kw):
        return lambda: items.act(h.ctx, "lena@example.se", ids[key], name, **kw)

    events += [
        (local(2026, 11, 9, 10, 0), ask("a", "När öppnar badhuset?")),  # Monday
        (local(2026, 11, 9, 12, 0), act("a", "first_reply_sent")),  # 2 h: within (due the next business day)
        (local(2026, 11, 10, 10, 0), ask("b", "Hur söker jag bygglov?")),
        (local(2026, 11, 10, 11, 0), act("a", "answered", answer="Klockan 9.")),  # 25 h after receipt
        (local(2026, 11, 13, 10, 0), act("b", "first_reply_sent")),  # 72 h: after the one-day deadline
        (local(2026, 11, 13, 11, 0), act("b", "answered", answer="Via e-tjänsten.")),  # 73 h, within 5 days
        (local(2026, 11, 16, 10, 0), ask("bad", "Vad i helvete håller ni på med?")),
        (local(2026, 11, 16, 10, 30), lambda: moderation.remove(h.ctx, "lena@example.se", ids["bad"], "personal_attack")),
        (local(2026, 11, 18, 9, 0), ask("ig", "Är simhallen öppen på lördag?", "instagram")),
        (local(2026, 11, 18, 9, 40), lambda: items.act(h.ctx, "per@example.se", ids["ig"], "answered", answer="Ja.")),
        (local(2026, 11, 24, 9, 0), lambda: crisis.start(h.ctx, "karin@example.se", "Strömavbrott")),
        (local(2026, 11, 24, 17, 0), lambda: crisis.stop(h.ctx, "karin@example.se")),
        (local(2026, 11, 27, 10, 0), ask("c", "Varför är gatlyktan trasig?")),  # never answered
    ]
    for when, run in sorted(events, key=lambda e: e[0]):
        h.clock.set(when)
        run()
    h.clock.set(local(2026, 12, 1, 10, 0))  # the report is made on 1 December
    return ids
