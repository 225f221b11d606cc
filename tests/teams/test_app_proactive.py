"""Conversation references: captured when the app is added or a person writes, kept in SQLite, used by the outbox."""

from __future__ import annotations

import dataclasses
import logging

from bot.messages import Message
from tests.conftest import local
from tests.teams.conftest import TEAM_ID, TENANT, TeamsEnv, channel_id
from tests.teams.mock_connector import verbs

MONDAY_EARLY = local(2026, 12, 7, 7, 0)
PROMPT = local(2026, 12, 7, 8, 31)


def refs(env: TeamsEnv) -> dict[str, str]:
    return dict(env.bot.db.execute("SELECT key, conversation_id FROM conversation_refs").fetchall())


def test_adding_the_app_to_a_team_stores_every_channel_and_the_members(teams):
    env = teams(MONDAY_EARLY)
    stored = refs(env)
    assert stored["channel:konto-facebook"] == channel_id("konto-facebook")  # shown in Teams as "Konto Facebook"
    assert stored["channel:krisgruppen"] == channel_id("krisgruppen")
    assert stored["channel:kommunikation"] == TEAM_ID  # the General channel is stored under the team's name
    assert stored["member:omar@example.se"] == TEAM_ID
    assert "member:okand@example.se" not in stored  # only configured people
    users = dict(env.bot.db.execute("SELECT email, user_id FROM chat_users WHERE platform = 'teams'").fetchall())
    assert users["omar@example.se"] == "aad-omar"


def test_the_morning_prompt_is_posted_proactively_in_the_account_channel(teams):
    env = teams(MONDAY_EARLY)
    env.connector.clear()
    env.at(PROMPT)
    posts = env.connector.sent(channel_id("konto-facebook"))
    prompt = next(p for p in posts if "oversight_done" in verbs(p.card))
    assert prompt.path == f"/v3/conversations/{channel_id('konto-facebook')}/activities"  # a new post, not a reply
    assert "Dags för dagens tillsyn av Ekby kommun" in prompt.text
    assert prompt.card["msteams"]["entities"][0]["mentioned"] == {"id": "aad-lena", "name": "Lena Berg"}
    assert prompt.body["serviceUrl"] == env.connector.base_url
    for channel in ("konto-instagram", "konto-bibliotek", "konto-linkedin"):
        assert any("oversight_done" in verbs(p.card) for p in env.connector.sent(channel_id(channel)))
    assert env.outbox().get("failed", 0) == 0


def test_a_channel_without_a_reference_fails_for_good_with_advice(teams, caplog):
    env = teams(MONDAY_EARLY, install=False)
    with caplog.at_level(logging.ERROR, logger="uppsikt.teams"):
        env.at(PROMPT)
    assert env.outbox().get("sent", 0) == 0 and env.outbox()["failed"] > 0
    advice = [r.getMessage() for r in caplog.records if "#konto-facebook" in r.getMessage()]
    assert advice and "Add the Uppsikt app to the team" in advice[0]


def test_a_person_who_said_hi_gets_messages_in_that_chat(teams):
    env = teams(MONDAY_EARLY, install=False)
    env.say_hi("per@example.se")
    assert refs(env)["person:per@example.se"] == env.personal("per@example.se")
    env.connector.clear()
    env.bot.ctx.emit(Message(
        kind="assignment", to="per@example.se", text="Ärende 9 är ditt."))
    env.bot.flush()
    assert env.connector.texts(env.personal("per@example.se")) == ["Ärende 9 är ditt."]


def test_a_team_member_who_never_wrote_gets_a_new_chat(teams):
    env = teams(local(2026, 12, 7, 9, 0))
    env.connector.clear()
    item, _ = env.bot.intake("facebook", "Hur söker jag bygglov för en altan?", author="Eva", source="facebook",
                             external_id="c1")
    assert item["assignee"] == "omar@example.se"
    created = [c for c in env.connector.calls if c.path == "/v3/conversations"]
    assert len(created) == 1
    assert created[0].body["members"] == [{"id": "29:omar", "name": "Omar Haddad", "aadObjectId": "aad-omar"}]
    assert created[0].body["tenantId"] == TENANT and created[0].body["isGroup"] is False
    chat = created[0].result_id
    assert any("är ditt" in t for t in env.connector.texts(chat))
    assert refs(env)["person:omar@example.se"] == chat  # the next message reuses the chat
    env.bot.intake("facebook", "Behöver jag bygglov för ett attefallshus?", author="Eva", source="facebook",
                   external_id="c2")
    assert len([c for c in env.connector.calls if c.path == "/v3/conversations"]) == 1


def test_nobody_to_write_to_is_a_permanent_failure_with_advice(teams, caplog):
    env = teams(local(2026, 12, 7, 9, 0), install=False)
    env.message("lena@example.se", "uppsikt klart facebook")  # only Lena's chat is known
    with caplog.at_level(logging.ERROR, logger="uppsikt.teams"):
        env.bot.ctx.emit(Message(
            kind="assignment", to="omar@example.se", text="Ärende 9 är ditt."))
        env.bot.flush()
    row = env.bot.db.execute("SELECT status, error FROM outbox WHERE target = 'omar@example.se'").fetchone()
    assert row[0] == "failed" and "Ask the person to say hi to Uppsikt" in row[1]
    assert any("omar@example.se" in r.getMessage() for r in caplog.records)


def test_references_survive_a_restart(teams):
    env = teams(MONDAY_EARLY)
    env.say_hi("per@example.se")
    env.close()
    again = teams(MONDAY_EARLY, install=False, folder=env.folder)  # a new process on the same database
    again.connector.clear()
    again.at(PROMPT)
    assert any("oversight_done" in verbs(p.card) for p in again.connector.sent(channel_id("konto-facebook")))
    assert again.outbox().get("failed", 0) == 0


def test_a_renamed_channel_is_found_under_its_new_name(teams):
    env = teams(MONDAY_EARLY)
    activity = env.activity("conversationUpdate", "lena@example.se")
    activity["conversation"] = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": TEAM_ID}
    activity["channelData"] = {"eventType": "channelRenamed", "tenant": {"id": TENANT},
                               "team": {"id": TEAM_ID, "name": "Kommunikation"},
                               "channel": {"id": "19:new@thread.tacv2", "name": "Konto TikTok"}}
    status, _ = env.post(activity)
    assert status == 202
    assert refs(env)["channel:konto-tiktok"] == "19:new@thread.tacv2"


def test_installing_the_app_personally_greets_the_person(teams):
    env = teams(MONDAY_EARLY, install=False)
    activity = env.activity("conversationUpdate", "ida@example.se", membersAdded=[{"id": "28:uppsikt-bot"}])
    env.post(activity)
    assert refs(env)["person:ida@example.se"] == env.personal("ida@example.se")
    assert env.connector.texts(env.personal("ida@example.se"))[-1].startswith("Hej Ida!")


def test_a_configured_entra_object_id_is_enough_to_know_a_person(teams, settings):
    people = dict(settings.people)
    people["lena@example.se"] = dataclasses.replace(people["lena@example.se"], chat_id="aad-lena")
    env = teams(MONDAY_EARLY, install=False, config=dataclasses.replace(settings, people=people))
    env.message("lena@example.se", "kris status")
    assert env.connector.texts(env.personal("lena@example.se"))[-1] == "Krisläget är inte på."
    assert not [c for c in env.connector.calls if c.method == "GET"]  # no member look-up was needed
