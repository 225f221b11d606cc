"""Channel health and backfill (issue 12 points 1 and 2): fault tests against the mock Graph API on loopback.

Done when: an expired token and a lost subscription raise the alarm within a (simulated) day; a two-hour outage
followed by backfill ends with every comment taken in exactly once, including comments whose webhook arrives
late, after the backfill.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot import metrics
from bot.bootstrap import build
from bot.clock import to_epoch
from bot.core import backfill, channels, items, monthly
from bot.facade import PlatformEvent
from bot.jobs import CHANNELS_MINUTES
from tests.conftest import local
from tests.meta.conftest import FB_PAGE, IG_ACCOUNT, MetaWorld, writing_settings
from tests.meta.mock_graph_api import PAGE_TOKEN, MockGraphAPI

COMMS = "#kommunikation"
CITIZEN = ("2000001", "Anna Andersson")


@pytest.fixture
def api():
    with MockGraphAPI(page_id=FB_PAGE, tokens={PAGE_TOKEN: FB_PAGE}, ig_id=IG_ACCOUNT) as mock:
        yield mock


def make(settings, api, start: dt.datetime, db=None) -> MetaWorld:
    world = MetaWorld(writing_settings(settings), api, start)
    if db is not None:  # the same world on a database file (a restart builds a new bot on it)
        world.bot = build(writing_settings(settings), clock=world.clock, db=db, chat=world.chat, graph=world.graph)
    return world


def restart(world: MetaWorld, settings, db) -> None:
    """Uppsikt stops and starts again on the same database (a new Bot, the same clock and chat)."""
    world.bot = build(writing_settings(settings), clock=world.clock, db=db, chat=world.chat, graph=world.graph)


def webhook(world: MetaWorld, comment_id: str, text: str, created: dt.datetime, *, source: str = "facebook",
            author: tuple[str, str] = CITIZEN, parent: str = "") -> None:
    """Meta's webhook delivers a comment (by the facade door the webhook adapter uses)."""
    entry = FB_PAGE if source == "facebook" else IG_ACCOUNT
    world.bot.platform_delivery("page" if source == "facebook" else "instagram", [entry], [PlatformEvent(
        entry_id=entry, action="add", source=source, external_id=comment_id, kind="comment", text=text,
        author=author[1], author_id=author[0], created=created, parent_id=parent,
        permalink=f"https://www.facebook.com/{comment_id}")])


def alarms(world: MetaWorld, kind: str = "channel_alarm") -> list[tuple[str, str]]:
    return [(m.to, m.text) for _, m in world.chat.sent if m.kind == kind]


def items_of(world: MetaWorld, external_id: str) -> list[dict]:
    return [dict(r) for r in world.ctx.db.query("SELECT * FROM items WHERE external_id = ?", [external_id])]


def archived(world: MetaWorld, external_id: str) -> list[dict]:
    return [dict(r) for r in world.ctx.db.query("SELECT * FROM archive_objects WHERE external_id = ?", [external_id])]


def run_day(world: MetaWorld, until: dt.datetime, stop=lambda: False) -> dt.datetime | None:
    """What the scheduler does: a tick every minute and the channel job every CHANNELS_MINUTES, until `until` or
    `stop()`; returns the moment `stop()` first held."""
    while world.clock.now() < until:
        world.bot.advance(world.clock, min(until, world.clock.now() + dt.timedelta(minutes=CHANNELS_MINUTES)))
        world.bot.check_channels()
        if stop():
            return world.clock.now()
    return None


# --------------------------------------------------------------------------- channel health


def test_a_healthy_connection_raises_nothing_and_is_checked_at_start_and_daily(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    assert w.bot.check_channels(startup=True) == {"facebook": [], "instagram": []}
    assert api.calls_to("GET", "/debug_token") and api.calls_to("GET", f"/{FB_PAGE}/subscribed_apps")
    assert w.bot.check_channels() == {}  # checked today already
    w.clock.set(local(2026, 12, 8, 6, 29))
    assert w.bot.check_channels() == {}
    w.clock.set(local(2026, 12, 8, 6, 30))
    assert w.bot.check_channels() == {"facebook": [], "instagram": []}
    assert alarms(w) == [] and metrics.health(w.bot)[1].find("platform connection") == -1


def test_an_expired_token_raises_the_alarm_within_a_day(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    w.bot.check_channels(startup=True)
    expired_at = local(2026, 12, 7, 11, 0)
    w.clock.set(expired_at)
    api.expire()  # Meta: error 190, subcode 463, "Session has expired"
    raised = run_day(w, expired_at + dt.timedelta(days=1), stop=lambda: bool(alarms(w)))
    assert raised is not None and raised - expired_at <= dt.timedelta(days=1)
    told = alarms(w)
    assert {to for to, _ in told} == {"lena@example.se", "per@example.se", COMMS}  # each account's owner too
    fb = [text for to, text in told if "Ekby kommun" in text and to == COMMS][0]
    assert "har gått ut eller är ogiltig" in fb and "Gör så här" in fb and "META_PAGE_TOKEN_FACEBOOK" in fb
    # /healthz says so (503 like the other broken connections), /metrics too
    status, text = metrics.health(w.bot)
    assert status == 503 and "the platform connection of account facebook is broken: the page token" in text
    scraped = metrics.parse(metrics.render(w.bot))
    assert scraped['uppsikt_channel_problem{account="facebook",problem="token_invalid",severity="alarm"}'] == 1
    assert scraped['uppsikt_health_problem{reason="channel_broken"}'] == 1
    # the day's oversight prompt of the account says intake is broken
    w.bot.advance(w.clock, local(2026, 12, 8, 9, 0))
    prompt = [m.text for _, m in w.chat.sent if m.kind == "oversight_prompt" and m.account == "facebook"][-1]
    assert "Kopplingen till Facebook fungerar inte (sidans token har gått ut)" in prompt
    # once per problem per day: a check again the same day tells nobody again; the next day it is told again
    before = len(alarms(w))
    w.bot.check_channels(startup=True)
    assert len(alarms(w)) == before
    w.clock.set(local(2026, 12, 9, 6, 30))
    w.bot.check_channels()
    assert len(alarms(w)) == 2 * before


def test_a_lost_subscription_raises_the_alarm_within_a_day(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    w.bot.check_channels(startup=True)
    lost_at = local(2026, 12, 7, 13, 0)
    w.clock.set(lost_at)
    api.unsubscribe()  # someone removed the app from the Page: no webhooks, no error anywhere
    raised = run_day(w, lost_at + dt.timedelta(days=1), stop=lambda: bool(alarms(w)))
    assert raised is not None and raised - lost_at <= dt.timedelta(days=1)
    texts = [text for to, text in alarms(w) if to == "lena@example.se"]
    assert texts and "inte längre kopplad till Uppsikts app" in texts[0] and "steg 6 i docs/intake.md" in texts[0]
    status, text = metrics.health(w.bot)
    assert status == 503 and "no longer subscribed to the app's webhooks" in text


def test_a_subscription_without_the_feed_field_and_a_withdrawn_permission_are_alarms(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    api.subscribe(fields=("messages",))
    api.scopes[PAGE_TOKEN] = ["pages_show_list", "pages_manage_metadata", "pages_read_engagement", "instagram_basic",
                              "instagram_manage_comments", "pages_manage_engagement"]
    found = w.bot.check_channels(startup=True)
    assert found["facebook"] == ["permissions_missing", "subscription_fields"]
    fb = [t for to, t in alarms(w) if to == COMMS and "Ekby kommun" in t]
    assert any("pages_read_user_content" in t for t in fb) and any("feed" in t for t in fb)


def test_a_token_expiring_soon_is_a_warning_not_a_broken_connection(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    api.expires_at[PAGE_TOKEN] = to_epoch(local(2026, 12, 10, 12, 0))
    assert w.bot.check_channels(startup=True)["facebook"] == ["token_expiring"]
    warned = alarms(w, "channel_warning")
    assert any(to == COMMS and "går ut 2026-12-10 12:00" in t and "META_PAGE_TOKEN_FACEBOOK" in t for to, t in warned)
    assert alarms(w) == []
    assert "platform connection" not in metrics.health(w.bot)[1]
    scraped = metrics.parse(metrics.render(w.bot))
    assert scraped['uppsikt_channel_problem{account="facebook",problem="token_expiring",severity="warning"}'] == 1


def test_an_account_silent_longer_than_usual_while_the_platform_has_news_is_an_alarm(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    api.add_post("P1", "Vinterväghållning", to_epoch(local(2026, 12, 7, 9, 0)))
    api.add_comment("P1_1", "När plogas Storgatan?", *CITIZEN, post="P1", created=to_epoch(local(2026, 12, 7, 9, 30)))
    webhook(w, "P1_1", "När plogas Storgatan?", local(2026, 12, 7, 9, 30))
    assert channels.state(w.ctx, "facebook")["last_event_at"] == to_epoch(local(2026, 12, 7, 10, 0))
    w.bot.check_channels(startup=True)
    # The webhooks stop; citizens go on commenting.
    for n, at in enumerate((local(2026, 12, 7, 12, 0), local(2026, 12, 7, 15, 0), local(2026, 12, 8, 14, 0)), 2):
        api.add_comment(f"P1_{n}", f"Fråga {n}", *CITIZEN, post="P1", created=to_epoch(at))
    w.clock.set(local(2026, 12, 8, 6, 30))
    assert w.bot.check_channels()["facebook"] == []  # quiet for 21 h: within the usual day
    assert len(items_of(w, "P1_2")) == 1  # … but what the webhook missed is taken in already
    w.clock.set(local(2026, 12, 9, 6, 30))
    assert w.bot.check_channels()["facebook"] == ["silent"]
    told = [t for to, t in alarms(w) if to == "lena@example.se"]
    assert told and "inte fått något från Ekby kommun" in told[0] and "längre än vanligt" in told[0]
    assert len(items_of(w, "P1_4")) == 1


def test_the_start_up_check_never_blocks_the_start(settings, api, tmp_path):
    w = make(settings, api, local(2026, 12, 7, 10, 0), db=tmp_path / "uppsikt.db")
    w.graph.timeout = 30.0
    held = api.hold("/debug_token")  # Meta does not answer yet
    thread = w.bot.check_channels_in_background()
    assert thread is not None
    w.bot.tick()  # the lock is free while the Graph API is read
    assert w.bot.check_channels() == {}  # the scheduler's job meanwhile: one run at a time
    assert thread.is_alive()
    held.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert channels.state(w.ctx, "facebook")["last_check"] == w.bot.now_ts()  # and it did its work


# --------------------------------------------------------------------------- backfill


def test_a_two_hour_outage_then_backfill_takes_every_comment_in_exactly_once(settings, api, tmp_path):
    db = tmp_path / "uppsikt.db"
    w = make(settings, api, local(2026, 12, 7, 10, 0), db=db)
    page = ("100000000000001", "Ekby kommun")
    api.add_post("P1", "Nu öppnar isbanan", to_epoch(local(2026, 12, 7, 9, 0)))
    api.add_comment("P1_1", "Vilka tider är det öppet?", *CITIZEN, post="P1", created=to_epoch(local(2026, 12, 7, 9, 30)))
    webhook(w, "P1_1", "Vilka tider är det öppet?", local(2026, 12, 7, 9, 30))
    w.bot.check_channels(startup=True)
    assert len(items_of(w, "P1_1")) == 1

    # 10:00-12:00 Uppsikt is down: nothing is delivered.
    outage = [("P1_2", "Är det gratis?", local(2026, 12, 7, 10, 20), "P1", ""),
              ("P1_3", "Samma fråga här", local(2026, 12, 7, 10, 45), "P1", "P1_2")]
    for cid, text, at, post, parent in outage:
        api.add_comment(cid, text, *CITIZEN, post=post, created=to_epoch(at), parent=parent)
    api.add_comment("P1_4", "Ja, det är gratis!", *page, post="P1", created=to_epoch(local(2026, 12, 7, 10, 50)),
                    parent="P1_2")  # the page's own reply
    api.add_post("P2", "Vattenavstängning i Norrby", to_epoch(local(2026, 12, 7, 11, 0)))
    api.add_comment("P2_1", "Hur länge blir det?", "2000002", "Bo Ek", post="P2",
                    created=to_epoch(local(2026, 12, 7, 11, 30)))
    api.add_post("M1", "Luciatåget", to_epoch(local(2026, 12, 7, 10, 30)), owner=IG_ACCOUNT)
    api.add_comment("M1_1", "Vilken tid börjar det?", "2000003", "cecilia", post="M1",
                    created=to_epoch(local(2026, 12, 7, 11, 10)))
    api.add_comment("M1_2", "Kl 18!", "2000004", "dan", post="M1", created=to_epoch(local(2026, 12, 7, 11, 15)),
                    parent="M1_1")

    w.clock.set(local(2026, 12, 7, 12, 0))
    restart(w, settings, db)
    thread = w.bot.check_channels_in_background()  # what jobs.start does
    thread.join(timeout=30)

    citizens = ["P1_2", "P1_3", "P2_1", "M1_1", "M1_2"]
    for cid in ["P1_1", *citizens]:
        assert len(items_of(w, cid)) == 1, cid
    for own in ("P1", "P1_4", "P2", "M1"):  # the municipality's own content: archived, never an item
        assert items_of(w, own) == [] and len(archived(w, own)) == 1 and archived(w, own)[0]["own"] == 1
    # the deadline counts from when it was posted
    p2 = items_of(w, "P2_1")[0]
    assert p2["received_at"] == to_epoch(local(2026, 12, 7, 11, 30))
    assert p2["first_reply_due"] == to_epoch(items.first_reply_due(w.ctx, w.ctx.account("facebook"),
                                                                   local(2026, 12, 7, 11, 30)))
    # the card says it arrived late (the fields every renderer shows: Slack blocks, Teams card, console)
    card = [m for _, m in w.chat.sent if m.kind == "item" and m.item == p2["id"]][0]
    assert ("Kom in sent", "Publicerades 2026-12-07 11:30 men kom in i Uppsikt 2026-12-07 12:00 (30 min senare"
            ": den hämtades i efterhand). Svarstiden räknas från när den publicerades.") in card.fields
    assert not any(f[0] == "Kom in sent" for f in
                   [m for _, m in w.chat.sent if m.kind == "item" and m.item == items_of(w, "P1_1")[0]["id"]][0].fields)
    raw = w.ctx.db.execute("SELECT raw_json FROM archive_versions v JOIN archive_objects o ON o.id = v.object_id "
                           "WHERE o.external_id = 'P1_3'").fetchone()[0]
    assert '"parent": {"id": "P1_2"}' in raw and archived(w, "P1_3")[0]["parent_external_id"] == "P1_2"
    assert archived(w, "M1_2")[0]["parent_external_id"] == "M1_1"

    # Meta retries its webhooks after the outage: they arrive after the backfill and change nothing.
    before = w.ctx.db.execute("SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM archive_objects), "
                              "(SELECT COUNT(*) FROM archive_events), (SELECT COUNT(*) FROM archive_versions)").fetchone()
    webhook(w, "P1_3", "Samma fråga här", local(2026, 12, 7, 10, 45), parent="P1_2")
    webhook(w, "P2_1", "Hur länge blir det?", local(2026, 12, 7, 11, 30), author=("2000002", "Bo Ek"))
    webhook(w, "M1_1", "Vilken tid börjar det?", local(2026, 12, 7, 11, 10), source="instagram",
            author=("2000003", "cecilia"))
    after = w.ctx.db.execute("SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM archive_objects), "
                             "(SELECT COUNT(*) FROM archive_events), (SELECT COUNT(*) FROM archive_versions)").fetchone()
    assert tuple(after) == tuple(before)
    # and a second backfill (the next day's check) takes nothing in twice either
    w.clock.set(local(2026, 12, 8, 6, 30))
    w.bot.check_channels()
    for cid in ["P1_1", *citizens]:
        assert len(items_of(w, cid)) == 1 and len(archived(w, cid)) == 1, cid
    # the monthly report shows the lateness
    figures = monthly.month_figures(w.ctx, monthly.parse_month(w.ctx, "2026-12"))
    assert figures.late.count == 5 and figures.late.median_seconds == 50 * 60  # 100, 75, 30, 50, 45 minutes
    from bot.report import page

    html = page.render(figures, "sv").html
    assert "5 kommentarer kom in sent i december 2026. Mediantiden från publicering till att de kom in var 0,8 tim" \
        in html


def test_a_first_start_takes_in_nothing_from_before_uppsikt_watched_the_account(settings, api):
    api.add_post("OLD", "Sommarlov", to_epoch(local(2026, 12, 4, 9, 0)))
    api.add_comment("OLD_1", "Gammal fråga", *CITIZEN, post="OLD", created=to_epoch(local(2026, 12, 4, 10, 0)))
    api.add_comment("OLD_2", "Strax före start", *CITIZEN, post="OLD", created=to_epoch(local(2026, 12, 7, 9, 30)))
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    w.bot.check_channels(startup=True)
    assert items_of(w, "OLD_1") == [] and archived(w, "OLD_1") == []
    assert len(items_of(w, "OLD_2")) == 1  # within the overlap of an hour


def test_backfill_pages_through_posts_and_comments_with_after_cursors(settings, api):
    w = make(settings, api, local(2026, 12, 7, 8, 0))
    w.bot.check_channels(startup=True)
    start = to_epoch(local(2026, 12, 7, 8, 30))
    for p in range(60):  # more posts than one page of the feed (PAGE_SIZE 50)
        api.add_post(f"Q{p}", f"Inlägg {p}", start + p)
    for c in range(120):  # more comments on one post than two pages
        api.add_comment(f"Q59_{c}", f"Kommentar {c}", f"29{c:05d}", "Invånare", post="Q59", created=start + 100 + c)
    w.clock.set(local(2026, 12, 7, 12, 0))
    w.bot.check_channels(startup=True)
    assert w.ctx.db.execute("SELECT COUNT(*) FROM items WHERE external_id LIKE 'Q59_%'").fetchone()[0] == 120
    assert w.ctx.db.execute("SELECT COUNT(*) FROM archive_objects WHERE external_id LIKE 'Q%' AND kind = 'post'"
                            ).fetchone()[0] == channels.MAX_POSTS  # bounded
    feed = api.calls_to("GET", f"/{FB_PAGE}/feed")[-2:]
    assert "after" not in feed[0].params and feed[1].params["after"] == "c50"
    pages = [c.params.get("after", "") for c in api.calls_to("GET", "/Q59/comments")]
    assert pages == ["", "c50", "c100"]


def test_a_graph_error_during_backfill_leaves_nothing_half_done_and_is_retried(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    w.bot.check_channels(startup=True)
    api.add_post("P1", "Först", to_epoch(local(2026, 12, 7, 10, 30)))
    api.add_post("P2", "Sedan", to_epoch(local(2026, 12, 7, 10, 40)))
    api.add_comment("P1_1", "Fråga ett", *CITIZEN, post="P1", created=to_epoch(local(2026, 12, 7, 11, 0)))
    api.add_comment("P2_1", "Fråga två", *CITIZEN, post="P2", created=to_epoch(local(2026, 12, 7, 11, 5)))
    w.clock.set(local(2026, 12, 7, 12, 0))
    api.fail("/P1/comments", status=500)  # P2's comments (newest post first) are read, then P1's fail
    w.bot.check_channels(startup=True)
    assert [c.path.split("/")[2] for c in api.calls_to("GET", "/comments")][-2:] == ["P2", "P1"]
    assert items_of(w, "P2_1") == [] and archived(w, "P2") == [] and archived(w, "P2_1") == []  # nothing half-done
    row = channels.state(w.ctx, "facebook")
    assert row["backfill_due_at"] == to_epoch(local(2026, 12, 7, 12, 15)) and "transient" in row["backfill_error"]
    w.clock.set(local(2026, 12, 7, 12, 14))
    assert "facebook" not in w.bot.check_channels()
    w.clock.set(local(2026, 12, 7, 12, 15))
    assert w.bot.check_channels() == {"facebook": []}
    for cid in ("P1_1", "P2_1"):
        assert len(items_of(w, cid)) == 1 and len(archived(w, cid)) == 1
    assert channels.state(w.ctx, "facebook")["backfill_due_at"] is None


def test_a_failed_store_rolls_the_whole_backfill_back(settings, api, monkeypatch):
    w = make(settings, api, local(2026, 12, 7, 9, 0))
    api.add_post("P1", "Först", to_epoch(local(2026, 12, 7, 9, 30)))
    api.add_comment("P1_1", "Fråga ett", *CITIZEN, post="P1", created=to_epoch(local(2026, 12, 7, 9, 40)))
    api.add_comment("P1_2", "Fråga två", *CITIZEN, post="P1", created=to_epoch(local(2026, 12, 7, 9, 50)))
    w.clock.set(local(2026, 12, 7, 10, 0))
    real = backfill.events_from

    def poisoned(ctx, account, rows):
        events = real(ctx, account, rows)
        return [*events[:-1], PlatformEvent(**{**events[-1].__dict__, "source": None})]  # the last cannot be stored

    monkeypatch.setattr(backfill, "events_from", poisoned)
    w.bot.check_channels(startup=True)
    assert items_of(w, "P1_1") == [] and archived(w, "P1") == []
    assert channels.state(w.ctx, "facebook")["backfill_error"].startswith("store:")
    monkeypatch.setattr(backfill, "events_from", real)
    w.clock.set(local(2026, 12, 7, 10, 15))
    w.bot.check_channels()
    assert len(items_of(w, "P1_1")) == 1 and len(items_of(w, "P1_2")) == 1


def test_a_repaired_connection_says_so_and_takes_in_what_came_meanwhile(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    api.add_post("P1", "Julmarknad", to_epoch(local(2026, 12, 7, 9, 0)))
    w.bot.check_channels(startup=True)
    api.expire()
    w.clock.set(local(2026, 12, 8, 6, 30))
    assert w.bot.check_channels()["facebook"] == ["token_invalid"]
    api.add_comment("P1_1", "Finns det parkering?", *CITIZEN, post="P1", created=to_epoch(local(2026, 12, 8, 9, 0)))
    api.expired.clear()  # a new token (the same in the mock)
    w.clock.set(local(2026, 12, 9, 6, 30))
    assert w.bot.check_channels()["facebook"] == []
    repaired = [(m.to, m.text) for _, m in w.chat.sent if m.kind == "channel_repaired"]
    assert any(to == COMMS and "Ekby kommun" in t and "fungerar igen" in t for to, t in repaired)
    assert len(items_of(w, "P1_1")) == 1
    assert metrics.health(w.bot)[1].find("platform connection") == -1


def test_accounts_without_a_page_token_are_not_checked(settings, api):
    w = make(settings, api, local(2026, 12, 7, 10, 0))
    w.graph._tokens.pop("instagram")
    assert set(w.bot.check_channels(startup=True)) == {"facebook"}
    assert re.search(r"linkedin|bibliotek", " ".join(w.bot.check_channels(startup=True))) is None


def test_late_cards_and_alarms_render_in_slack_teams_and_the_console(settings):
    import io
    import json

    from bot.adapters.console import ConsoleChat
    from bot.adapters.slack import blocks
    from bot.adapters.teams import cards
    from bot.clock import FakeClock
    from tests.meta.conftest import channel_health_messages

    produced = channel_health_messages(settings)
    late = [m for m in produced if m.kind == "item" and any(f[0] == "Kom in sent" for f in m.fields)]
    alarm = [m for m in produced if m.kind == "channel_alarm" and m.to_channel]
    prompt = [m for m in produced if m.kind == "oversight_prompt" and m.account == "facebook"]
    assert late and alarm and prompt and any(m.kind == "channel_warning" for m in produced)
    assert "fungerar inte (sidan är inte kopplad till appen)" in prompt[-1].text
    for message, words in ((late[0], "Kom in sent"), (alarm[0], "Gör så här")):
        _, slack = blocks.render(message, user_ids={})
        blocks.validate_blocks(slack)
        assert words in json.dumps(slack, ensure_ascii=False)
        teams = cards.render(message)
        cards.validate_card(teams)
        assert words in json.dumps(teams, ensure_ascii=False)
        out = io.StringIO()
        ConsoleChat(FakeClock(local(2026, 12, 9, 7, 0)), out=out).send(message)
        assert words in out.getvalue()
    out = io.StringIO()
    ConsoleChat(FakeClock(local(2026, 12, 9, 7, 0)), out=out).send(alarm[0])
    assert "kopplingen är bruten" in out.getvalue()
