"""SlackChat against the mock Web API: real HTTP, real SQLite, and the real outbox retrying."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections import defaultdict

import pytest
from slack_sdk import WebClient

from bot.adapters.slack.blocks import render
from bot.adapters.slack.chat import RATES, SlackCallError, SlackChat
from bot.bootstrap import ChatError
from bot.clock import FakeClock
from bot.messages import Action, Message
from bot.store.db import open_db
from tests.conftest import REPO, Harness, local
from tests.slack.conftest import play

START = local(2026, 12, 7, 9, 0)
SCENARIOS = REPO / "config" / "scenarios"


class RecordingSlackChat(SlackChat):
    """A SlackChat that also remembers what it delivered (to compare with what Slack got)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.delivered: list[Message] = []

    def send(self, message: Message) -> None:
        super().send(message)
        self.delivered.append(message)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db():
    return open_db(None)


@pytest.fixture
def chat(slack_client, db, clock) -> SlackChat:
    return SlackChat(slack_client, db, clock)


def card(n: int, text: str = "Hej", channel: str = "#konto-facebook", kind: str = "item") -> Message:
    return Message(kind=kind, to=channel, text=f"Ärende {n}: {text}", item=n, card=f"item:{n}",
                   actions=(Action("take", "Jag tar den", str(n)),))


def posts(slack_api, channel: str | None = None) -> list:
    return [c for c in slack_api.calls_to("chat.postMessage") if channel is None or c.params["channel"] == channel]


# --------------------------------------------------------------------------- cards, threads, DMs


def test_a_card_is_posted_once_then_updated_in_place(chat, slack_api):
    fb = slack_api.channels["konto-facebook"]
    chat.send(card(1, "När töms soptunnorna?"))
    chat.send(card(1, "När töms soptunnorna? (tagen av Maria)", kind="item_updated"))
    assert len(posts(slack_api)) == 1 and len(slack_api.calls_to("chat.update")) == 1
    [message] = slack_api.posted(fb)
    assert "tagen av Maria" in message["text"] and "edited" in message
    update = slack_api.calls_to("chat.update")[0].params
    assert (update["channel"], update["ts"]) == (fb, message["ts"])
    assert chat.card_at(fb, message["ts"]) == "item:1"


def test_cards_survive_a_restart_and_a_deleted_card_is_posted_again(slack_client, slack_api, db, clock):
    fb = slack_api.channels["konto-facebook"]
    SlackChat(slack_client, db, clock).send(card(1))
    restarted = SlackChat(slack_client, db, clock)
    restarted.send(card(1, "uppdaterad", kind="item_updated"))
    assert len(posts(slack_api)) == 1 and slack_api.posted(fb)[0]["text"].endswith("uppdaterad")
    old_ts = slack_api.posted(fb)[0]["ts"]
    del slack_api.messages[(fb, old_ts)]  # someone deleted the card in Slack
    restarted.send(card(1, "igen", kind="item_updated"))
    [again] = slack_api.posted(fb)
    assert again["ts"] != old_ts and restarted.card_ref("item:1") == (fb, again["ts"])


def test_thread_replies_go_to_the_cards_thread_in_the_same_channel_only(chat, slack_api):
    fb = slack_api.channels["konto-facebook"]
    chat.send(card(1))
    card_ts = slack_api.posted(fb)[0]["ts"]
    chat.send(Message(kind="removal_registered", to="#konto-facebook", text="Borttagen", thread="item:1"))
    chat.send(Message(kind="nudge", to="maria@example.se", text="Påminnelse", thread="item:1"))
    chat.send(Message(kind="removal_registered", to="#konto-facebook", text="Okänt kort", thread="item:99"))
    in_channel = slack_api.posted(fb)
    assert [m.get("thread_ts") for m in in_channel] == [None, card_ts, None]
    dm = slack_api.dm_channel(slack_api.users["maria@example.se"])
    assert [m.get("thread_ts") for m in slack_api.posted(dm)] == [None]


def test_people_are_resolved_once_and_cached_for_thirty_days(slack_client, slack_api, db, clock):
    chat = SlackChat(slack_client, db, clock)
    for n in range(3):
        chat.send(Message(kind="assignment", to="Per@Example.se", text=f"Du har fått ärende {n}"))
    assert len(slack_api.calls_to("users.lookupByEmail")) == 1
    assert len(slack_api.calls_to("conversations.open")) == 1
    dm = slack_api.dm_channel(slack_api.users["per@example.se"])
    assert len(slack_api.posted(dm)) == 3

    SlackChat(slack_client, db, clock).send(Message(kind="assignment", to="per@example.se", text="Efter omstart"))
    assert len(slack_api.calls_to("users.lookupByEmail")) == 1  # the store remembers across restarts

    clock.advance(dt.timedelta(days=31))
    chat.send(Message(kind="assignment", to="per@example.se", text="En månad senare"))
    assert len(slack_api.calls_to("users.lookupByEmail")) == 2
    assert chat.email_for(slack_api.users["per@example.se"]) == "per@example.se"


def test_configured_chat_ids_need_no_lookup_and_unknown_users_are_looked_up_by_id(slack_client, slack_api, db, clock):
    chat = SlackChat(slack_client, db, clock, people={"lena@example.se": slack_api.users["lena@example.se"],
                                                      "maria@example.se": "not-a-slack-id"})
    chat.send(Message(kind="assignment", to="lena@example.se", text="Hej Lena"))
    assert not slack_api.calls_to("users.lookupByEmail")
    chat.send(Message(kind="assignment", to="maria@example.se", text="Hej Maria"))
    assert len(slack_api.calls_to("users.lookupByEmail")) == 1
    assert chat.email_for(slack_api.users["omar@example.se"]) == "omar@example.se"
    assert len(slack_api.calls_to("users.info")) == 1


def test_mentions_resolve_to_user_ids_and_unknown_people_stay_plain(chat, slack_api):
    chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="Dags för tillsyn",
                      mentions=("lena@example.se", "vikarie@example.se")))
    [message] = slack_api.posted(slack_api.channels["konto-facebook"])
    assert message["text"].startswith(f"<@{slack_api.users['lena@example.se']}> vikarie@example.se")


def test_channel_names_are_listed_once_and_cached_in_the_store(slack_client, slack_api, db, clock):
    chat = SlackChat(slack_client, db, clock)
    chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="1"))
    chat.send(Message(kind="oversight_prompt", to="#krisgruppen", text="2"))
    pages = len(slack_api.channels) // slack_api.page_size
    assert len(slack_api.calls_to("conversations.list")) == pages  # paged through once, all names cached
    assert all(c.params["types"] == "public_channel,private_channel" for c in slack_api.calls_to("conversations.list"))
    SlackChat(slack_client, db, clock).send(Message(kind="oversight_prompt", to="#kommunikation", text="3"))
    assert len(slack_api.calls_to("conversations.list")) == pages
    chat.send(Message(kind="oversight_prompt", to="#" + slack_api.channels["konto-linkedin"], text="by id"))
    assert len(slack_api.calls_to("conversations.list")) == pages


def test_unknown_channel_is_permanent_with_a_clear_hint(chat, slack_api, caplog):
    with caplog.at_level(logging.ERROR, logger="uppsikt.slack"), pytest.raises(ChatError) as err:
        chat.send(Message(kind="oversight_prompt", to="#finns-inte", text="Hej"))
    assert err.value.permanent and "/invite" in str(err.value)
    assert "#finns-inte" in caplog.text and "/invite @Uppsikt" in caplog.text
    listed = len(slack_api.calls_to("conversations.list"))
    with pytest.raises(ChatError):
        chat.send(Message(kind="oversight_prompt", to="#finns-inte", text="Igen"))
    assert len(slack_api.calls_to("conversations.list")) == listed  # not listed again right away
    assert not posts(slack_api)


def test_unknown_person_is_permanent(chat, slack_api):
    with pytest.raises(ChatError) as err:
        chat.send(Message(kind="assignment", to="slutat@example.se", text="Hej"))
    assert err.value.permanent and "chat_id" in str(err.value)
    assert not slack_api.calls_to("conversations.open")


def test_a_stale_cached_channel_id_is_resolved_again(chat, slack_api, db):
    db.execute("INSERT INTO chat_channels (platform, name, channel_id) VALUES ('slack', 'konto-facebook', 'C0GONE')")
    chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="Hej"))
    assert [c.params["channel"] for c in posts(slack_api)] == ["C0GONE", slack_api.channels["konto-facebook"]]
    assert chat.channel_id("#konto-facebook") == slack_api.channels["konto-facebook"]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("code, hint", [
    ("channel_not_found", "/invite"), ("not_in_channel", "/invite"), ("is_archived", "archived"),
    ("invalid_auth", "SLACK_BOT_TOKEN"), ("account_inactive", "reinstall"), ("token_revoked", "reinstall"),
    ("missing_scope", "scope"), ("something_new", "error code"),
])
def test_refusals_are_permanent_and_say_what_to_do(chat, slack_api, code, hint):
    slack_api.fail("chat.postMessage", status=200, error=code)
    with pytest.raises(SlackCallError) as err:
        chat.send(Message(kind="oversight_prompt", to="#" + slack_api.channels["kommunikation"], text="Hej"))
    assert err.value.permanent and err.value.code == code and hint in str(err.value)


def test_server_errors_and_lost_connections_are_transient(chat, slack_api, db, clock):
    slack_api.fail("chat.postMessage", status=500)
    with pytest.raises(ChatError) as err:
        chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="Hej"))
    assert not err.value.permanent and err.value.retry_after is None
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/api/"
    offline = SlackChat(WebClient(token=slack_api.token, base_url=dead, retry_handlers=[], timeout=2), db, clock)
    with pytest.raises(SlackCallError) as err:
        offline.send(Message(kind="oversight_prompt", to="#konto-facebook", text="Hej"))
    assert not err.value.permanent and err.value.code == "connection_error"


def test_429_retry_after_is_honoured(chat, slack_api, clock):
    slack_api.fail("chat.postMessage", status=429, retry_after=7)
    message = Message(kind="oversight_prompt", to="#konto-facebook", text="Hej")
    with pytest.raises(ChatError) as err:
        chat.send(message)
    assert err.value.retry_after == 7 and not err.value.permanent
    clock.advance(dt.timedelta(seconds=6))
    with pytest.raises(ChatError):  # held back locally: Slack is not asked again before Retry-After
        chat.send(message)
    assert len(posts(slack_api)) == 1
    clock.advance(dt.timedelta(seconds=1))
    chat.send(message)
    assert len(posts(slack_api)) == 2


def test_ratelimited_in_the_body_counts_as_rate_limited(chat, slack_api):
    slack_api.fail("chat.postMessage", status=200, error="ratelimited", retry_after=3)
    with pytest.raises(ChatError) as err:
        chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="Hej"))
    assert err.value.retry_after == 3 and not err.value.permanent


def test_own_rate_limit_raises_retry_instead_of_calling_slack(chat, slack_api, clock):
    burst = int(RATES["chat.postMessage"].burst)
    for n in range(burst):
        chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text=f"{n}"))
    with pytest.raises(ChatError) as err:
        chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="one too many"))
    assert err.value.retry_after == 1 and not err.value.permanent
    assert len(posts(slack_api)) == burst
    chat.send(Message(kind="oversight_prompt", to="#krisgruppen", text="another channel has its own bucket"))
    clock.advance(dt.timedelta(seconds=1))
    chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="one too many"))
    assert len(posts(slack_api)) == burst + 2


def test_lookups_have_their_own_bucket(chat, slack_api, clock):
    burst = int(RATES["users.lookupByEmail"].burst)
    emails = [f"person{n}@example.se" for n in range(burst + 1)]
    slack_api.users.update({e: f"U9{n:04d}" for n, e in enumerate(emails)})
    for email in emails[:burst]:
        assert chat.user_id(email)
    with pytest.raises(ChatError) as err:
        chat.user_id(emails[-1])
    assert err.value.retry_after and len(slack_api.calls_to("users.lookupByEmail")) == burst


def test_tokens_never_reach_the_logs(chat, slack_api, caplog):
    with caplog.at_level(logging.DEBUG):
        for code in ("invalid_auth", "not_in_channel"):
            slack_api.fail("chat.postMessage", status=200, error=code)
            with pytest.raises(ChatError):
                chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="Hej"))
        slack_api.fail("chat.postMessage", status=500)
        with pytest.raises(ChatError):
            chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="Hej"))
    assert caplog.text and slack_api.token not in caplog.text


# --------------------------------------------------------------------------- through the real outbox


def expected_channel_texts(h: Harness, users: dict[str, str]) -> dict[str, list[str]]:
    """What each channel should show, from the outbox in order: cards replaced in place, the rest appended."""
    shown: dict[str, list[str]] = defaultdict(list)
    card_index: dict[tuple[str, str], int] = {}
    for row in h.bot.db.query("SELECT message FROM outbox WHERE target LIKE '#%' ORDER BY id"):
        message = Message.from_json(row["message"])
        text, _ = render(message, user_ids=users)
        key = (message.to, message.card or "")
        if message.card and key in card_index:
            shown[message.to][card_index[key]] = text
            continue
        if message.card:
            card_index[key] = len(shown[message.to])
        shown[message.to].append(text)
    return shown


def test_an_outage_is_ridden_out_in_order_with_nothing_lost_or_sent_twice(settings, slack_api, slack_client):
    h = Harness(settings, local(2026, 12, 7, 7, 0))
    chat = RecordingSlackChat.for_bot(slack_client, h.bot)
    h.bot.chat = chat
    slack_api.fail("chat.postMessage", status=500, times=8)
    slack_api.fail("chat.update", status=503, times=2)
    play(h, SCENARIOS / "ordinary-week.toml")

    statuses = [r["status"] for r in h.bot.db.query("SELECT status FROM outbox")]
    assert statuses and set(statuses) == {"sent"}
    assert max(r["attempts"] for r in h.bot.db.query("SELECT attempts FROM outbox")) > 1  # the outage was felt
    for target, texts in expected_channel_texts(h, slack_api.users).items():
        posted = slack_api.posted(slack_api.channels[target.lstrip("#")])
        assert [m["text"] for m in posted] == texts, target
    delivered_dms: dict[str, list[str]] = defaultdict(list)
    for message in chat.delivered:
        if not message.to_channel:
            delivered_dms[message.to].append(render(message, user_ids=slack_api.users)[0])
    for email, texts in delivered_dms.items():
        posted = slack_api.posted(slack_api.dm_channel(slack_api.users[email]))
        assert [m["text"] for m in posted] == texts, email
    assert len(slack_api.calls_to("chat.postMessage")) - 8 == len(slack_api.messages)


def test_429_through_the_outbox_waits_for_retry_after(settings, slack_api, slack_client):
    h = Harness(settings, local(2026, 12, 7, 8, 0))
    h.bot.chat = SlackChat.for_bot(slack_client, h.bot)
    h.bot.tick()
    slack_api.fail("chat.postMessage", status=429, retry_after=30)
    h.run_until(local(2026, 12, 7, 8, 30))
    [(target, next_attempt)] = h.bot.db.execute(
        "SELECT target, next_attempt_at FROM outbox WHERE status = 'pending'").fetchall()
    assert next_attempt == int(local(2026, 12, 7, 8, 30).timestamp()) + 30
    channel = slack_api.channels[target.lstrip("#")]
    assert len(posts(slack_api, channel)) == 1  # the attempt that got the 429
    h.run_until(local(2026, 12, 7, 8, 30) + dt.timedelta(seconds=29))
    assert len(posts(slack_api, channel)) == 1
    h.run_until(local(2026, 12, 7, 8, 31))
    assert len(posts(slack_api, channel)) == 2
    assert not list(h.bot.db.query("SELECT id FROM outbox WHERE status != 'sent'"))


def test_a_burst_to_one_channel_is_spread_out_in_order(settings, slack_api, slack_client):
    h = Harness(settings, START)
    h.bot.chat = SlackChat.for_bot(slack_client, h.bot)
    with h.bot.db.atomic():
        for n in range(8):
            h.ctx.emit(Message(kind="crisis_notice", to="#krisgruppen", text=f"Lägesbild {n}"))
    h.bot.flush()
    crisis = slack_api.channels["krisgruppen"]
    assert len(slack_api.posted(crisis)) == int(RATES["chat.postMessage"].burst)
    h.run_until(START + dt.timedelta(seconds=10))
    assert [m["text"] for m in slack_api.posted(crisis)] == [f"Lägesbild {n}" for n in range(8)]


def test_three_nudges_to_one_person_become_one_direct_message(settings, slack_api, slack_client):
    h = Harness(settings, START)
    h.bot.chat = SlackChat.for_bot(slack_client, h.bot)
    with h.bot.db.atomic():
        for n in (1, 2, 3):
            h.ctx.emit(Message(kind="nudge", to="maria@example.se", text=f"Ärende {n} väntar på svar", item=n,
                               thread=f"item:{n}", actions=(Action("answered", "Besvarad", str(n)),)))
    h.bot.flush()
    dm = slack_api.dm_channel(slack_api.users["maria@example.se"])
    [digest] = slack_api.posted(dm)
    assert all(f"Ärende {n} väntar på svar" in digest["text"] for n in (1, 2, 3))
    buttons = [e for b in digest["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == ["1", "2", "3"]
    assert len(slack_api.calls_to("users.lookupByEmail")) == 1 and len(posts(slack_api)) == 1


def test_a_mention_slack_refuses_to_resolve_does_not_block_the_message(chat, slack_api):
    slack_api.fail("users.lookupByEmail", status=200, error="missing_scope")
    chat.send(Message(kind="oversight_prompt", to="#konto-facebook", text="Tillsyn", mentions=("lena@example.se",)))
    [message] = slack_api.posted(slack_api.channels["konto-facebook"])
    assert message["text"].startswith("lena@example.se\n")


# --------------------------------------------------------------------------- files (issue 14)


def _with_files() -> Message:
    from bot.messages import Attachment

    return Message(kind="monthly_report", to="#kommunikation", text="Månadsrapport <november>",
                   fields=(("Missade vaktdagar", "3"),),
                   attachments=(Attachment.of("s.png", "image/png", b"\x89PNG-data", title="Sammanfattning",
                                              alt="Diagram: 90 %"),
                                Attachment.of("r.html", "text/html", b"<html></html>", title="Rapport")))


def test_attachments_are_uploaded_and_shared_with_the_text_as_comment(chat, slack_api):
    chat.send(_with_files())
    channel = slack_api.channels["kommunikation"]
    shared = slack_api.shared(channel)
    assert [(f["filename"], f["title"], f["data"]) for f in shared] == [
        ("s.png", "Sammanfattning", b"\x89PNG-data"), ("r.html", "Rapport", b"<html></html>")]
    assert shared[0]["alt_txt"] == "Diagram: 90 %"
    assert shared[0]["comment"] == "Månadsrapport &lt;november&gt;\n• Missade vaktdagar: 3"  # escaped mrkdwn
    assert posts(slack_api) == []  # no separate chat.postMessage


def test_a_failed_upload_is_transient_and_a_refused_share_is_permanent(chat, slack_api):
    slack_api.respond("upload", {}, status=500)
    with pytest.raises(SlackCallError) as exc:
        chat.send(_with_files())
    assert not exc.value.permanent and exc.value.code == "http_500"
    assert slack_api.shared(slack_api.channels["kommunikation"]) == []
    slack_api.fail("files.completeUploadExternal", status=200, error="not_in_channel")
    with pytest.raises(SlackCallError) as exc:
        chat.send(_with_files())
    assert exc.value.permanent and exc.value.code == "not_in_channel"
    chat.send(_with_files())  # and the next attempt goes through
    assert len(slack_api.shared(slack_api.channels["kommunikation"])) == 2
