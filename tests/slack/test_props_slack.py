"""Bad input through the signed Bolt path (issue 6 §3): random and malformed Slack requests.

Every request is signed with the app's signing secret (tests/slack/signing.py) and dispatched through
the real Bolt app, so what is tested is what Slack's servers could send: slash commands with any text,
buttons with any value, events with any text and emoji, modal submissions with any input, and bodies
that are not Slack payloads at all. Properties:

* the app never answers 5xx (a 500 makes Slack retry and show "dispatch_failed");
* when the core refused (every `Reply` the request caused has ok=False) or was never asked (an unknown
  Slack user), nothing a person can change has changed (tests/unit/test_props.py `snapshot`; the outbox
  compared on what was queued, not on delivery bookkeeping);
* every refusal the person sees is Swedish.

The driver (and its database) lives for a whole test, so state carries over between examples the way it
does in production; each check compares just before and just after one request.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings as hsettings, strategies as st

from bot.server import serve_http, serve_in_thread
from bot.adapters.slack.ids import ActionId, BlockId, CallbackId, Command, UiId
from bot.messages import Reply
from tests.slack.mock_web_api import BOT_USER_ID, TEAM_ID
from tests.slack.signing import APP_ID, response_urls, signed_headers, slack  # noqa: F401 (fixtures)
from tests.unit.test_props import PEOPLE, SCALE, TABLES, command_lines, is_swedish, words

STRANGER = "U0STRANGER"  # a Slack user who is no configured person


def _settings(n: int) -> hsettings:
    return hsettings(max_examples=SCALE or n, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                            HealthCheck.data_too_large])


def state(s) -> dict[str, list[tuple]]:
    """What a person can change; the outbox by what was queued (delivery retries are not a change)."""
    db = s.bot.db
    out = {t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY rowid")] for t in TABLES if t != "outbox"}
    out["outbox"] = [tuple(r) for r in db.execute("SELECT id, kind, target, message FROM outbox ORDER BY id")]
    return out


class Spy:
    """Records every Reply the core gives (and every intake) while one request is handled."""

    def __init__(self, bot) -> None:
        self.replies: list[Reply | None] = []
        self.intakes = 0
        for name in ("command", "action", "react"):
            original = getattr(bot, name)

            def wrapper(*args: Any, _original=original, **kwargs: Any):
                reply = _original(*args, **kwargs)
                self.replies.append(reply)
                return reply

            setattr(bot, name, wrapper)
        intake = bot.intake

        def counted(*args: Any, **kwargs: Any):
            result = intake(*args, **kwargs)
            self.intakes += 1
            return result

        bot.intake = counted

    def start(self) -> None:
        self.replies.clear()
        self.intakes = 0

    @property
    def refused_or_untouched(self) -> bool:
        return self.intakes == 0 and not any(r is not None and r.ok for r in self.replies)


@pytest.fixture
def s(slack):
    driver = slack()
    driver.api.users["fredrik@annan-kommun.example"] = STRANGER  # in the workspace, not in the config
    for text in ("När öppnar återvinningscentralen efter jul?", "Fin bild!", "Du är en idiot"):
        driver.message("konto-facebook", text, integration="Meta")
    driver.spy = Spy(driver.bot)
    return driver


def check(s, send) -> Any:
    """Send one request; never a 5xx; a refusal (or an unknown user) changes nothing and is Swedish."""
    before = state(s)
    s.spy.start()
    resp = send()
    assert resp.status < 500, (resp.status, resp.body)
    for reply in s.spy.replies:
        if reply is not None and not reply.ok:
            assert is_swedish(reply.text), reply.text
    if s.spy.refused_or_untouched:
        after = state(s)
        changed = [t for t in before if before[t] != after[t]]
        assert not changed, f"refused, but {changed} changed: {[r.text for r in s.spy.replies if r]}"
        event("refused or not ours")
    else:
        event("done")
    return resp


def users(s) -> st.SearchStrategy[str]:
    return st.sampled_from([s.user(p) for p in PEOPLE if p in s.api.users] + [STRANGER])


def channel_ids(s) -> st.SearchStrategy[str]:
    return st.sampled_from([*s.api.channels.values(), "D0DIRECT", "C0UNKNOWN", ""])


# --------------------------------------------------------------------------- slash commands


@_settings(40)
@given(data=st.data(), command=st.sampled_from(list(Command)), text=command_lines())
def test_slash_commands_with_any_text_from_anyone(s, data, command, text):
    user = data.draw(users(s))
    channel = data.draw(st.sampled_from(sorted(s.api.channels)))
    body = urlencode({
        "token": "legacy", "team_id": TEAM_ID, "channel_id": s.channel(channel), "channel_name": channel,
        "user_id": user, "command": str(command), "text": text, "api_app_id": APP_ID,
        "response_url": s.urls.new(), "trigger_id": "1.trigger",
    })
    check(s, lambda: s.send("command", body))


# --------------------------------------------------------------------------- buttons


def block_actions(s, user: str, action_id: str, value: Any, channel: str, home: bool = False,
                  state: dict | None = None) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions", "user": {"id": user, "team_id": TEAM_ID}, "api_app_id": APP_ID, "token": "legacy",
        "trigger_id": "1.trigger", "team": {"id": TEAM_ID}, "state": {"values": state or {}},
        "actions": [{"action_id": action_id, "block_id": "b1", "type": "button", "value": value, "action_ts": "1.2"}],
    }
    if home:
        payload |= {"container": {"type": "view", "view_id": "VHOME"}, "view": {"id": "VHOME", "type": "home"}}
    else:
        payload |= {"container": {"type": "message", "message_ts": "1.1", "channel_id": channel},
                    "channel": {"id": channel}, "response_url": s.urls.new(),
                    "message": {"type": "message", "ts": "1.1", "text": ""}}
    return urlencode({"payload": json.dumps(payload)})


BUTTONS = [*ActionId, UiId.REMOVE_CONFIRM, UiId.REMOVE_GROUND, UiId.DOCUMENT_ACCOUNT, "uppsikt.nonsense", "x"]


@_settings(60)
@given(data=st.data(), action_id=st.sampled_from(BUTTONS), home=st.booleans(),
       value=st.one_of(words(), st.sampled_from(["1", "2", "3", "facebook", "999"])),
       ground=st.one_of(st.none(), st.sampled_from(["personal_attack", "hate", "nonsense"]), st.text(max_size=10)))
def test_buttons_with_any_value_from_anyone(s, data, action_id, home, value, ground):
    user, channel = data.draw(users(s)), data.draw(channel_ids(s))
    picked = {"b": {str(UiId.REMOVE_GROUND): {"selected_option": {"value": ground}}}} if ground is not None else {}
    body = block_actions(s, user, str(action_id), value, channel, home, picked)
    check(s, lambda: s.send("block_actions", body))


# --------------------------------------------------------------------------- events


@_settings(40)
@given(data=st.data(), text=st.one_of(command_lines(), st.text(max_size=80)),
       subtype=st.sampled_from([None, None, "bot_message", "file_share", "message_changed", "channel_join", "x"]),
       thread=st.booleans())
def test_messages_with_any_text_in_any_channel(s, data, text, subtype, thread):
    channel, user = data.draw(channel_ids(s)), data.draw(users(s))
    ts = s.ts()
    event_body = {"type": "message", "channel": channel, "text": text, "ts": ts, "user": user}
    if subtype:
        event_body["subtype"] = subtype
    if thread:
        event_body["thread_ts"] = "1.000001"
    before_items = s.bot.db["items"].count
    check(s, lambda: s.event(event_body))
    if s.bot.db["items"].count > before_items:
        assert channel in {s.channel(a.channel) for a in s.bot.ctx.accounts.values()}


@_settings(40)
@given(data=st.data(), emoji=st.one_of(st.sampled_from(["sos", "wastebasket", "raising_hand", "white_check_mark",
                                                        "no_entry", "rotating_light", "raising_hand::skin-tone-2",
                                                        "thumbsup"]), st.text(max_size=12)))
def test_reactions_with_any_emoji_on_any_message(s, data, emoji):
    user = data.draw(users(s))
    cards = [tuple(r) for r in s.bot.db.execute("SELECT channel, ts FROM chat_messages WHERE card LIKE 'item:%'")]
    channel, ts = data.draw(st.sampled_from(cards + [("C0UNKNOWN", "1.1"), (s.channel("konto-facebook"), "9.9")]))
    body = {"type": "reaction_added", "user": user, "reaction": emoji,
            "item": {"type": "message", "channel": channel, "ts": ts}, "item_user": BOT_USER_ID,
            "event_ts": s.ts()}
    check(s, lambda: s.event(body))


# --------------------------------------------------------------------------- modal submissions


MULTI = ("editors", "admins")  # the element types the app's own modals have (Slack sends back only those)
SELECT = (BlockId.GROUND, BlockId.COLLEAGUE, "platform", "unit", "owner", "substitute")
MODAL_BLOCKS = (*BlockId, "id", "name", "url", "channel", "purpose", "audience", "content", "update_frequency",
                "contact", *MULTI, *SELECT)


@_settings(40)
@given(data=st.data(), callback=st.sampled_from(list(CallbackId)),
       inputs=st.dictionaries(st.sampled_from(MODAL_BLOCKS), st.one_of(words(), st.sampled_from(PEOPLE)), max_size=6),
       value=st.sampled_from(["1", "2", "3", "999", "x", ""]))
def test_modal_submissions_with_any_input_from_anyone(s, data, callback, inputs, value):
    user = data.draw(users(s))
    state_values = {}
    for block, v in inputs.items():
        if block in MULTI:
            state_values[block] = {"value": {"type": "multi_static_select", "selected_options": [{"value": v}]}}
        elif block in SELECT:
            state_values[block] = {"value": {"type": "static_select", "selected_option": {"value": v}}}
        else:
            state_values[block] = {"value": {"type": "plain_text_input", "value": v}}
    payload = {
        "type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": APP_ID, "token": "legacy", "trigger_id": "1.trigger",
        "view": {"id": "VMODAL", "type": "modal", "callback_id": str(callback), "blocks": [],
                 "private_metadata": json.dumps({"value": value, "channel": None, "response_url": None}),
                 "state": {"values": state_values}, "hash": "1", "title": {"type": "plain_text", "text": "x"}},
    }
    check(s, lambda: s.send("view_submission", urlencode({"payload": json.dumps(payload)})))


# --------------------------------------------------------------------------- not Slack payloads at all


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                    max_leaves=8)


def malformed(s) -> st.SearchStrategy[tuple[str, str]]:
    """(content type, body): bytes, JSON of any shape, payloads with parts missing or of the wrong type."""
    form = "application/x-www-form-urlencoded"
    shapes = st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["block_actions", "view_submission", "message_action", "shortcut", "event_callback",
                                 "url_verification", "x"]),
        "user": st.one_of(JSON, st.fixed_dictionaries({"id": users(s)})),
        "actions": st.one_of(JSON, st.lists(st.fixed_dictionaries({"action_id": st.sampled_from(BUTTONS)},
                                                                  optional={"value": JSON}), max_size=2)),
        "view": JSON, "channel": JSON, "message": JSON, "callback_id": st.sampled_from(list(CallbackId)),
        "event": st.one_of(JSON, st.fixed_dictionaries({"type": st.sampled_from(["message", "reaction_added",
                                                                                 "app_home_opened"])},
                                                       optional={"user": JSON, "channel": JSON, "text": JSON,
                                                                 "item": JSON, "reaction": JSON, "ts": JSON})),
        "challenge": JSON, "team_id": st.just(TEAM_ID), "api_app_id": st.just(APP_ID),
    })
    return st.one_of(
        st.tuples(st.just("application/json"), st.one_of(JSON.map(json.dumps), shapes.map(json.dumps),
                                                         st.text(max_size=50))),
        st.tuples(st.just(form), st.one_of(shapes.map(lambda p: urlencode({"payload": json.dumps(p)})),
                                           st.text(max_size=50), JSON.map(lambda p: urlencode({"payload": json.dumps(p)})),
                                           st.dictionaries(st.text(max_size=8), st.text(max_size=8)).map(urlencode))),
        st.tuples(st.sampled_from(["text/plain", "", "multipart/form-data"]), st.text(max_size=50)),
    )


@pytest.fixture
def server(s):
    """The real HTTP front (`uppsikt run --http`), so that Bolt's parsing of the raw body is covered too."""
    srv = serve_http(s.app, "127.0.0.1", 0, bot=s.bot)
    serve_in_thread(srv)
    yield f"http://127.0.0.1:{srv.server_address[1]}/slack/events"
    srv.shutdown()
    srv.server_close()


class Status:
    def __init__(self, status: int, body: str):
        self.status, self.body = status, body


def post(url: str, body: bytes, headers: dict[str, str]) -> Status:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return Status(resp.status, resp.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return Status(exc.code, exc.read().decode("utf-8", "replace"))


@_settings(80)
@given(data=st.data())
def test_bodies_that_are_not_slack_payloads_never_500_and_change_nothing(s, server, data):
    content_type, body = data.draw(malformed(s))
    headers = {k: v[0] for k, v in signed_headers(body, s.now(), content_type=content_type).items()}
    resp = check(s, lambda: post(server, body.encode("utf-8", "surrogatepass"), headers))
    event(f"HTTP {resp.status}")


def test_a_signed_body_bolt_cannot_parse_is_a_400_not_a_dropped_connection(s, server):
    """Found by the property above: Bolt parses the body while building its request, and `"channel": false`,
    `"actions": null`, `{"event": null}` or JSON that is not an object raised out of it (the HTTP server
    dropped the connection) or came back as a 500 (Slack retries and shows "dispatch_failed")."""
    track = '{"type": "message_action", "callback_id": "uppsikt.track_message", "user": {"id": "U1"}, '
    for body in ('{"channel": false}', '{"type": "block_actions", "actions": null}', '{"event": null}',
                 '{"view": null}', "[1, 2]", "00", '{"user": false}', '{"type": "block_actions", "actions": [{}]}',
                 '{"type": "block_actions", "actions": [{"action_id": "uppsikt.take"}]}',  # no user
                 '{"command": "/uppsikt", "text": "klart"}',  # no user_id
                 track + '"channel": "C1", "message": {"ts": "1.1"}}', track + '"channel": {"id": "C1"}, "message": {}}',
                 # found by the property on 5 December: a button whose value is not text reached the core (500)
                 '{"type": "block_actions", "user": {"id": "U07LENA"}, '
                 '"actions": [{"action_id": "uppsikt.oversight_done", "value": []}]}',
                 '{"type": "block_actions", "user": {"id": "U07LENA"}, '
                 '"actions": [{"action_id": "uppsikt.reassign", "value": {"a": 1}}]}'):
        headers = {k: v[0] for k, v in signed_headers(body, s.now(), content_type="application/json").items()}
        before = state(s)
        assert post(server, body.encode(), headers).status == 400, body
        assert state(s) == before
    # the same guard without HTTP (Socket Mode hands Bolt the parsed body)
    assert s.send("x", '{"type": "block_actions", "actions": null}', "application/json").status == 400


def test_an_event_without_a_user_is_ignored_not_a_500(s, server):
    """Found by the property above on a clean clone: `app_home_opened` without `user` raised a KeyError (500)."""
    for body in ('{"type": "event_callback", "event": {"type": "app_home_opened"}}',
                 '{"type": "event_callback", "event": {"type": "app_home_opened", "tab": "home"}}'):
        headers = {k: v[0] for k, v in signed_headers(body, s.now(), content_type="application/json").items()}
        before = state(s)
        assert post(server, body.encode(), headers).status < 500, body
        assert state(s) == before
