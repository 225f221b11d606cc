"""Bots that write back to Facebook and Instagram through the loopback mock Graph API (issue 11)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.adapters.meta.graph import GraphClient
from bot.bootstrap import Bot, RecordingChat, build
from bot.clock import FakeClock
from bot.facade import PlatformEvent
from bot.settings import PlatformPolicy, Settings
from tests.conftest import local
from tests.meta.mock_graph_api import PAGE_TOKEN, MockGraphAPI

FB_PAGE = "100000000000001"  # config/example.toml: the facebook account's external_id
IG_ACCOUNT = "17841400000000001"
TEMPLATES = ("Tack: Hej {namn}! Tack för ditt meddelande till {konto}. {signatur}",
             "Hänvisning: Hej {namn}! Ring kontaktcenter på 0123-45 60 00, så hjälper de dig.")


def writing_settings(settings: Settings, removal: str = "delete") -> Settings:
    """The example config with writing on for the Facebook and Instagram accounts."""
    accounts = dict(settings.accounts)
    for key in ("facebook", "instagram"):
        acc = accounts[key]
        policy = dataclasses.replace(acc.policy, platform=PlatformPolicy(write=True, removal=removal,
                                                                         templates=TEMPLATES))
        accounts[key] = dataclasses.replace(acc, policy=policy)
    return dataclasses.replace(settings, accounts=accounts)


class MetaWorld:
    """A bot on a fake clock with a recording chat and the Graph client pointed at the mock."""

    def __init__(self, settings: Settings, api: MockGraphAPI, start: dt.datetime, timeout: float = 2.0):
        self.api = api
        self.clock = FakeClock(start)
        self.chat = RecordingChat(self.clock)
        self.graph = GraphClient({"facebook": PAGE_TOKEN, "instagram": PAGE_TOKEN}, base_url=api.base_url,
                                 timeout=timeout)
        self.bot: Bot = build(settings, clock=self.clock, chat=self.chat, graph=self.graph)

    @property
    def ctx(self):
        return self.bot.ctx

    def comment(self, comment_id: str, text: str, *, author_id: str = "2000001", author: str = "Anna Andersson",
                source: str = "facebook", kind: str = "comment") -> int:
        """A citizen's comment arrives by the Meta webhook's core path; returns the item id."""
        if source == "facebook":
            self.api.add_comment(comment_id, text, author_id, author)
        elif source == "instagram":
            self.api.add_comment(comment_id, text, author_id, author)
        entry = FB_PAGE if source in ("facebook", "messenger") else IG_ACCOUNT
        obj = "page" if entry == FB_PAGE else "instagram"
        self.bot.platform_delivery(obj, [entry], [PlatformEvent(
            entry_id=entry, action="add", source=source, external_id=comment_id, kind=kind, text=text,
            author=author, author_id=author_id, permalink=f"https://www.facebook.com/{comment_id}")])
        item = self.bot.item_for_message(source, comment_id)
        assert item is not None
        return item

    def write(self, write_id: int) -> dict:
        return dict(next(self.ctx.db.query("SELECT * FROM platform_writes WHERE id = ?", [write_id])))

    def writes(self, item_id: int) -> list[dict]:
        return [dict(r) for r in self.ctx.db.query("SELECT * FROM platform_writes WHERE item_id = ? ORDER BY id",
                                                  [item_id])]

    def item(self, item_id: int) -> dict:
        return dict(self.ctx.item(item_id))

    def told(self, to: str, kind: str | None = None) -> list[str]:
        return [m.text for _, m in self.chat.sent if m.to == to and (kind is None or m.kind == kind)]

    def later(self, seconds: float) -> None:
        self.clock.advance(dt.timedelta(seconds=seconds))
        self.bot.flush()


@pytest.fixture
def api():
    with MockGraphAPI(page_id=FB_PAGE, tokens={PAGE_TOKEN: FB_PAGE}) as mock:
        yield mock


@pytest.fixture
def world(settings, api):
    def make(start: dt.datetime = local(2026, 12, 7, 10, 0), removal: str = "delete", timeout: float = 2.0) -> MetaWorld:
        return MetaWorld(writing_settings(settings, removal), api, start, timeout)

    return make


def write_back_messages(settings: Settings) -> list:
    """Every chat message writing back produces: a published reply, a hide and a delete, a block and an expired
    token (for the renderers' coverage tests)."""
    from tests.meta.mock_graph_api import PAGE_TOKEN as TOKEN

    with MockGraphAPI(page_id=FB_PAGE, tokens={TOKEN: FB_PAGE}) as mock:
        w = MetaWorld(writing_settings(settings), mock, local(2026, 12, 7, 10, 0))
        asked = w.comment("501_1", "När öppnar simhallen efter renoveringen?")
        assert w.bot.action("lena@example.se", "reply", str(asked), answer="Hej! Den 12 januari.", confirm="1").ok
        for n in (2, 3):
            rude = w.comment(f"501_{n}", "Lena Berg är en idiot.", author_id="U9", author="Nils Troll")
            assert w.bot.action("lena@example.se", "remove", str(rude), reason="personal_attack").ok
        assert w.bot.action("lena@example.se", "platform_block", str(rude)).ok
        w.clock.set(local(2026, 12, 8, 0, 5))
        w.bot.flush()
        mock.expire()
        late = w.comment("501_4", "Var lämnar jag grovsopor?")
        assert w.bot.action("lena@example.se", "reply", str(late), answer="Hej! På återvinningscentralen.",
                            confirm="1").ok
        return [m for _, m in w.chat.sent]


def channel_health_messages(settings: Settings) -> list:
    """Every chat message channel health and backfill produce (issue 12): an alarm, a warning, a repair, a card that
    arrived late and the prompt that says intake is broken (for the renderers' coverage tests)."""
    from bot.clock import to_epoch
    from tests.meta.mock_graph_api import PAGE_TOKEN as TOKEN

    with MockGraphAPI(page_id=FB_PAGE, tokens={TOKEN: FB_PAGE}, ig_id=IG_ACCOUNT) as mock:
        w = MetaWorld(writing_settings(settings), mock, local(2026, 12, 7, 10, 0))
        mock.expires_at[TOKEN] = to_epoch(local(2026, 12, 10, 12, 0))
        mock.add_post("P1", "Nu öppnar isbanan", to_epoch(local(2026, 12, 7, 9, 0)))
        mock.add_comment("P1_1", "Är det gratis att åka?", post="P1", created=to_epoch(local(2026, 12, 7, 9, 30)))
        w.bot.check_channels(startup=True)  # a warning, and the comment taken in late
        mock.unsubscribe()
        w.clock.set(local(2026, 12, 8, 6, 30))
        w.bot.check_channels()  # an alarm
        w.bot.advance(w.clock, local(2026, 12, 8, 9, 0))  # the prompt says intake is broken
        mock.subscribe()
        w.clock.set(local(2026, 12, 9, 6, 30))
        w.bot.check_channels()  # repaired
        return [m for _, m in w.chat.sent]
