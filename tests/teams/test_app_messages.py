"""Commands typed to the bot, POSTed as Bot Framework activities to the running aiohttp app."""

from __future__ import annotations

import pytest

from bot.adapters.teams.app import TeamsConfigError, anonymous_auth, auth_from_env, command_text
from bot.server import build_server
from bot.adapters.teams.chat import base_conversation
from tests.conftest import local
from tests.teams.conftest import STRANGER, TeamsEnv

MONDAY = local(2026, 12, 7, 9, 5)


def replies(env: TeamsEnv, who: str) -> list[str]:
    return env.connector.texts(env.personal(who))


def test_a_command_in_a_chat_is_answered_in_the_chat(teams):
    env = teams(MONDAY)
    status, body = env.message("lena@example.se", "kris status")
    assert status == 202 and body is None
    reply = env.connector.last(env.personal("lena@example.se"))
    assert reply.text == "Krisläget är inte på."
    assert reply.activity_id == reply.body["replyToId"]  # a reply to the person's message
    assert reply.body["textFormat"] == "plain"


def test_a_command_in_an_account_channel_logs_that_account_and_is_answered_in_the_thread(teams):
    env = teams(MONDAY)
    env.message("lena@example.se", "uppsikt klart Inga nya kommentarer", channel="Konto Facebook")
    row = env.bot.db.execute("SELECT account_id, person, note FROM oversight_log").fetchone()
    assert tuple(row) == ("facebook", "lena@example.se", "Inga nya kommentarer")
    reply = env.connector.last(env.conv("konto-facebook"))
    assert "Tillsynen av Ekby kommun (Facebook) är loggad kl. 09:05" in reply.text
    assert reply.conversation.endswith(f";messageid={reply.activity_id}")  # in the thread of the command


@pytest.mark.parametrize("text", ["hjälp", "Hjälp", "help", ""])
def test_hjalp_lists_the_commands_as_typed_in_teams(teams, text):
    env = teams(MONDAY)
    env.message("per@example.se", text)
    help_text = replies(env, "per@example.se")[-1]
    assert help_text.startswith("Skriv till mig utan snedstreck")
    assert "frånvaro 2026-12-22 2027-01-06 ersättare=per@example.se" in help_text and "/" not in help_text.split()[0]


def test_help_for_one_command_comes_from_the_core_without_slashes(teams):
    env = teams(MONDAY)
    env.message("per@example.se", "frånvaro hjälp")
    text = replies(env, "per@example.se")[-1]
    assert "frånvaro" in text and "/frånvaro" not in text


def test_a_slash_is_accepted_too(teams):
    env = teams(MONDAY)
    env.message("karin@example.se", "/kris status")
    assert replies(env, "karin@example.se")[-1] == "Krisläget är inte på."


def test_bad_input_gets_a_swedish_explanation_and_changes_nothing(teams):
    env = teams(MONDAY)
    before = env.bot.db.execute("SELECT COUNT(*) FROM absences").fetchone()[0]
    env.message("per@example.se", "frånvaro 2026-13-45 2027-01-06 ersättare=lena@example.se")
    text = replies(env, "per@example.se")[-1]
    assert "2026-13-45" in text and "ÅÅÅÅ-MM-DD" in text
    assert env.bot.db.execute("SELECT COUNT(*) FROM absences").fetchone()[0] == before
    env.message("per@example.se", "kris kanske")
    assert "kris på" in replies(env, "per@example.se")[-1]
    assert env.bot.db.execute("SELECT COUNT(*) FROM crisis_periods").fetchone()[0] == 0


def test_an_absence_with_a_substitute(teams):
    env = teams(MONDAY)
    env.message("per@example.se", "frånvaro 2026-12-22 2027-01-06 ersättare=lena@example.se")
    assert "Frånvaro registrerad för Per Holm" in replies(env, "per@example.se")[-1]
    row = env.bot.db.execute("SELECT person, substitute FROM absences").fetchone()
    assert tuple(row) == ("per@example.se", "lena@example.se")


def test_an_unknown_word_is_explained(teams):
    env = teams(MONDAY)
    env.message("per@example.se", "hej hej")
    assert replies(env, "per@example.se")[-1].startswith("Jag känner inte igen ”hej”")


def test_someone_who_is_not_configured_is_refused_politely_and_nothing_changes(teams):
    env = teams(MONDAY)
    env.connector.clear()
    env.message(STRANGER, "kris på Brand")
    text = env.connector.texts("a:personal-stranger")[-1]
    assert text.startswith("Du finns inte bland personerna i Uppsikts konfiguration")
    assert env.bot.db.execute("SELECT COUNT(*) FROM crisis_periods").fetchone()[0] == 0
    looked_up = [c for c in env.connector.calls if c.method == "GET" and c.path.endswith("/members/29:stranger")]
    assert looked_up, "the member API was asked for the stranger's e-mail"


def test_people_are_found_by_the_member_api_when_their_object_id_is_new(teams):
    env = teams(MONDAY, install=False)  # no team member list: the first message asks the member API
    env.message("omar@example.se", "kris status")
    assert replies(env, "omar@example.se")[-1] == "Krisläget är inte på."
    assert [c.path for c in env.connector.calls if c.method == "GET"] == [
        "/v3/conversations/a:personal-omar/members/29:omar"]
    row = env.bot.db.execute("SELECT email, user_id FROM chat_users WHERE platform = 'teams'").fetchone()
    assert tuple(row) == ("omar@example.se", "aad-omar")
    env.message("omar@example.se", "kris status")  # the second time the object id is enough
    assert len([c for c in env.connector.calls if c.method == "GET"]) == 1


def test_a_post_in_an_account_channel_without_mention_becomes_an_item(teams):
    env = teams(MONDAY)
    env.message("lena@example.se", "Hur söker jag bygglov för en altan?", channel="Konto Facebook", mention=False)
    item = env.bot.db.execute("SELECT account_id, text, source FROM items").fetchone()
    assert tuple(item) == ("facebook", "Hur söker jag bygglov för en altan?", "teams")
    # a reply in a thread, or a post in a channel that is no account's, is not an item
    env.message("lena@example.se", "Jag tittar på den", channel="Konto Facebook", mention=False, thread="1")
    env.message("lena@example.se", "Fika kl 15?", channel="Krisgruppen", mention=False)
    assert env.bot.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1


def test_a_redelivered_activity_is_handled_once(teams):
    env = teams(MONDAY)
    activity = env.activity("message", "lena@example.se", text="uppsikt klart facebook")
    env.post(activity)
    env.post(activity)
    assert env.bot.db.execute("SELECT COUNT(*) FROM oversight_log").fetchone()[0] == 1
    assert len(replies(env, "lena@example.se")) == 1


def test_healthz_and_method_checks(teams):
    env = teams(MONDAY, install=False)
    env.bot.tick()  # /healthz is the one stack's: it reads the scheduler's last tick
    assert env.get("/healthz") == (200, "ok")
    status, _ = env.post({"type": "message"})  # no conversation: the SDK refuses it
    assert status == 400


def test_without_anonymous_mode_an_unsigned_request_is_refused(settings, tmp_path, connector):
    from aiohttp import web

    from tests.conftest import Harness

    loop, mock = connector
    h = Harness(settings, MONDAY, db=tmp_path / "uppsikt.db")
    auth = anonymous_auth()
    auth.anonymous = False
    auth.auth_config.ANONYMOUS_ALLOWED = False
    app = build_server(h.bot, teams=auth)

    async def serve():
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]

    runner, port = loop.run(serve())
    try:
        env = object.__new__(TeamsEnv)
        env.url = f"http://127.0.0.1:{port}"
        status, body = TeamsEnv.post(env, {"type": "message", "conversation": {"id": "a:1"}, "text": "kris på"})
        assert status == 401
        assert h.bot.db.execute("SELECT COUNT(*) FROM crisis_periods").fetchone()[0] == 0
    finally:
        loop.run(runner.cleanup())


def test_credentials_come_from_the_environment():
    with pytest.raises(TeamsConfigError, match="MicrosoftAppPassword, MicrosoftAppTenantId"):
        auth_from_env({"MicrosoftAppId": "11111111-2222-3333-4444-555555555555"})
    auth = auth_from_env({"MicrosoftAppId": "11111111-2222-3333-4444-555555555555", "MicrosoftAppPassword": "s3cret",
                          "MicrosoftAppTenantId": "99999999-8888-7777-6666-555555555555"})
    assert auth.app_id == "11111111-2222-3333-4444-555555555555" and not auth.anonymous
    assert auth.auth_config.TENANT_ID == "99999999-8888-7777-6666-555555555555"
    assert auth.auth_config.ANONYMOUS_ALLOWED is False
    sdk = auth_from_env({"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "aaaaaaaa-2222-3333-4444-555555555555",
                         "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "s3cret",
                         "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": "t"})
    assert sdk.app_id == "aaaaaaaa-2222-3333-4444-555555555555"
    assert auth_from_env({}, anonymous=True).anonymous


def test_command_text_strips_mentions_and_html():
    assert command_text("<at>Uppsikt</at>&nbsp;kris  på\n") == "Uppsikt kris på"
    assert command_text("<p>uppsikt&nbsp;klart</p>") == "uppsikt klart"


def test_a_redelivered_citizen_post_is_stored_once_and_never_dropped(teams):
    """A channel post is deduplicated by intake itself (source, external id), not by claiming the activity
    first: a redelivery is one item, and a post whose earlier delivery was claimed but never stored (the
    process died in between) is still taken in."""
    env = teams(MONDAY)
    post = env.activity("message", "lena@example.se", channel="Konto Facebook", text="När öppnar simhallen?",
                        textFormat="plain")
    with env.bot.lock, env.bot.db.atomic():  # what an older version left behind when it died mid-delivery
        env.bot.db.execute("INSERT INTO events_seen (event_id, at) VALUES (?, ?)",
                           [f"teams:{base_conversation(post['conversation']['id'])}:message:{post['id']}",
                            env.bot.ctx.now_ts()])
    env.post(post)
    env.post(post)
    assert env.bot.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1


@pytest.mark.parametrize("token", ["no-kid", "not-a-jwt"])
def test_a_bearer_token_without_a_key_id_is_a_401_without_a_traceback(settings, tmp_path, connector, caplog, token):
    """Issue 16: a JWT without `kid` made the SDK raise (500 and an ERROR traceback); still refused, now as 401."""
    import base64
    import json
    import logging
    import urllib.error
    import urllib.request

    from aiohttp import web

    from tests.conftest import Harness

    loop, mock = connector
    h = Harness(settings, MONDAY, db=tmp_path / "uppsikt.db")
    auth = anonymous_auth()
    auth.anonymous = False
    auth.auth_config.ANONYMOUS_ALLOWED = False
    app = build_server(h.bot, teams=auth)

    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    bearer = (f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64({'aud': 'x', 'iss': 'y'})}.c2ln" if token == "no-kid"
              else "just-some-text")

    async def serve():
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]

    runner, port = loop.run(serve())
    try:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/messages", method="POST",
                                     data=json.dumps({"type": "message", "conversation": {"id": "a:1"},
                                                      "text": "kris på"}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"})
        with caplog.at_level(logging.WARNING):
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    status = resp.status
            except urllib.error.HTTPError as exc:
                status = exc.code
        assert status == 401
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
        assert h.bot.db.execute("SELECT COUNT(*) FROM crisis_periods").fetchone()[0] == 0
    finally:
        loop.run(runner.cleanup())
