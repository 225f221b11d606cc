"""The Teams chat port under the outbox: digests, rate limits, failures, stale cards."""

from __future__ import annotations

import datetime as dt

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.adapters.teams.chat import (
    TeamsCallError,
    TeamsChat,
    base_conversation,
    map_error,
    normalize_channel,
    retry_after_seconds,
)
from bot.messages import Message
from tests.conftest import local
from tests.teams.conftest import TeamsEnv, channel_id
from tests.teams.mock_connector import verbs

MONDAY = local(2026, 12, 7, 10, 0)


def two_questions(env: TeamsEnv) -> list[int]:
    ids = []
    for n, text in enumerate(("Hur söker jag bygglov för en altan?", "Behöver jag bygglov för ett attefallshus?")):
        item, _ = env.bot.intake("facebook", text, author="Eva", source="facebook", external_id=f"q{n}")
        ids.append(item["id"])
    return ids


def test_nudges_to_a_person_arrive_as_one_digest_with_buttons_for_each_item(teams):
    env = teams(MONDAY)
    first, second = two_questions(env)
    chat = env.bot.db.execute("SELECT conversation_id FROM conversation_refs WHERE key = 'person:omar@example.se'"
                              ).fetchone()[0]
    before = len(env.connector.sent(chat))
    nudge_at = min(r[0] for r in env.bot.db.execute("SELECT next_nudge_at FROM items"))
    env.at(dt.datetime.fromtimestamp(nudge_at + 60, tz=MONDAY.tzinfo))
    new = env.connector.sent(chat)[before:]
    digests = [c for c in new if c.text.startswith("Du har 2 påminnelser")]
    assert len(digests) == 1, [c.text[:60] for c in new]
    assert verbs(digests[0].card).count("answered") == 2
    values = {a["data"]["value"] for e in digests[0].card["body"] if e["type"] == "ActionSet" for a in e["actions"]}
    assert values == {str(first), str(second)}


def test_a_429_is_retried_after_retry_after_through_the_outbox(teams):
    env = teams(MONDAY)
    env.connector.fail(429, retry_after=7, method="POST", path_contains="konto-facebook")
    item, _ = env.bot.intake("facebook", "Var kan jag parkera?", author="Eva", source="facebook", external_id="p")
    row = next(env.bot.db.query("SELECT status, attempts, next_attempt_at, error FROM outbox WHERE target = "
                                "'#konto-facebook'"))
    assert row["status"] == "pending" and row["attempts"] == 1 and "retry after 7s" in row["error"]
    assert row["next_attempt_at"] == env.bot.ctx.now_ts() + 7
    throttled = [c for c in env.connector.calls if c.status == 429]
    assert len(throttled) == 1
    env.h.clock.advance(dt.timedelta(seconds=3))
    env.bot.flush()
    assert len([c for c in env.connector.calls if "konto-facebook" in c.path and c.method == "POST"]) == 1  # waited
    env.h.clock.advance(dt.timedelta(seconds=5))
    env.bot.flush()
    assert env.outbox().get("pending", 0) == 0 and env.outbox().get("failed", 0) == 0
    assert env.card_of(item["id"])[0] == channel_id("konto-facebook")


def test_a_500_is_retried_with_back_off(teams):
    env = teams(MONDAY)
    env.connector.fail(500, times=2, method="POST", path_contains="konto-facebook")
    env.bot.intake("facebook", "Var kan jag parkera?", author="Eva", source="facebook", external_id="p")
    row = next(env.bot.db.query("SELECT status, next_attempt_at FROM outbox WHERE target = '#konto-facebook'"))
    assert row["status"] == "pending" and row["next_attempt_at"] == env.bot.ctx.now_ts() + 2
    for seconds in (2, 4):
        env.h.clock.advance(dt.timedelta(seconds=seconds))
        env.bot.flush()
    assert env.outbox().get("pending", 0) == 0


def test_a_refused_message_is_given_up_and_later_ones_still_go(teams):
    env = teams(MONDAY)
    env.connector.fail(403, method="POST", path_contains="konto-facebook")
    env.bot.ctx.emit(Message(kind="crisis_notice", to="#konto-facebook", text="Först"))
    env.bot.ctx.emit(Message(kind="crisis_notice", to="#konto-facebook", text="Sedan"))
    env.bot.flush()
    statuses = [r[0] for r in env.bot.db.execute("SELECT status FROM outbox WHERE target = '#konto-facebook' "
                                                 "ORDER BY id")]
    assert statuses[-2:] == ["failed", "pending"]  # the failure blocks the rest of this flush
    env.bot.flush()
    assert env.connector.texts(channel_id("konto-facebook"))[-1] == "Sedan"


def test_a_deleted_card_is_posted_again(teams):
    env = teams(MONDAY)
    item, _ = env.bot.intake("facebook", "Var kan jag parkera?", author="Eva", source="facebook", external_id="p")
    _, old = env.card_of(item["id"])
    del env.connector.activities[old]  # someone deleted the bot's message in Teams
    assert env.bot.action("karin@example.se", "take", str(item["id"])).ok
    _, new = env.card_of(item["id"])
    assert new != old and env.outbox().get("failed", 0) == 0
    assert [c.status for c in env.connector.calls if c.method == "PUT"] == [404]


def test_thread_messages_go_into_the_cards_thread(teams):
    env = teams(MONDAY)
    item, _ = env.bot.intake("facebook", "Var kan jag parkera?", author="Eva", source="facebook", external_id="p")
    _, card_id = env.card_of(item["id"])
    env.bot.ctx.emit(Message(kind="nudge", to="#konto-facebook", text="Påminnelse", thread=f"item:{item['id']}"))
    env.bot.flush()
    post = env.connector.last(channel_id("konto-facebook"))
    assert post.conversation == f"{channel_id('konto-facebook')};messageid={card_id}" and post.text == "Påminnelse"


def test_the_port_never_blocks_before_start_or_on_the_loop(settings, tmp_path):
    from tests.conftest import Harness

    h = Harness(settings, MONDAY, db=tmp_path / "u.db")
    chat = TeamsChat(h.bot)
    with pytest.raises(TeamsCallError) as exc:
        chat._call(_noop(), "", "#x")
    assert exc.value.retry_after == 5 and not exc.value.permanent


async def _noop():
    return None


def _response_error(status: int, headers: dict | None = None) -> aiohttp.ClientResponseError:
    info = aiohttp.RequestInfo(URL("http://x/"), "POST", CIMultiDictProxy(CIMultiDict()), URL("http://x/"))
    return aiohttp.ClientResponseError(info, (), status=status, message="nope",
                                       headers=CIMultiDictProxy(CIMultiDict(headers or {})))


def test_connector_errors_are_classified():
    limited = map_error(_response_error(429, {"Retry-After": "2.5"}), "#a")
    assert limited.retry_after == 3 and not limited.permanent
    assert not map_error(_response_error(503), "#a").permanent
    assert map_error(_response_error(403), "#a").permanent
    assert "MicrosoftAppId" in str(map_error(_response_error(401), "#a"))
    assert map_error(_response_error(404), "#a").permanent
    assert map_error(_response_error(400), "#a").permanent
    assert not map_error(aiohttp.ClientConnectionError("down"), "#a").permanent
    assert not map_error(TimeoutError(), "#a").permanent
    assert retry_after_seconds({"retry-after": "x"}) is None


def test_names_and_ids():
    assert normalize_channel("Konto Facebook") == "konto-facebook"
    assert normalize_channel("#Krisgruppen") == "krisgruppen"
    assert normalize_channel("Kultur och fritid") == "kultur-och-fritid"
    assert normalize_channel("Fritidsgården") == "fritidsgarden"
    assert base_conversation("19:x@thread.tacv2;messageid=17") == "19:x@thread.tacv2"
    assert base_conversation("a:1") == "a:1"


def test_the_monthly_report_reaches_teams_as_an_image_in_a_card(teams):
    from tests.report_world import november_world

    env = teams(local(2026, 11, 3, 7, 0))
    november_world(env.h)
    reply = env.bot.command("lena@example.se", "/rapport månad 2026-11", "konto-facebook")
    assert reply.ok, reply.text
    env.bot.flush()
    sent = [c for c in env.connector.sent(channel_id("konto-facebook")) if c.card and
            any(e["type"] == "Image" for e in c.card["body"])]
    assert len(sent) == 1
    card = sent[0].card
    image = next(e for e in card["body"] if e["type"] == "Image")
    assert image["url"].startswith("data:image/png;base64,iVBORw0KGgo")  # a PNG
    assert "bevakade vaktdagar: Ekby kommun (Facebook) 90 %" in image["altText"]
    assert "Bevakade vaktdagar: 49 av 80 (61 %)" in sent[0].text
    assert "uppsikt report month --month 2026-11" in sent[0].text  # where the full HTML report is
    assert env.outbox().get("failed", 0) == 0
