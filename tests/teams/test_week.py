"""A whole week in Teams terms: activities POSTed to the real app, the mock connector as Teams, on a fake clock.

Monday 7 December 2026 to Friday 11 December, mirroring the Slack week: the
morning prompts are posted in the account channels and logged by button and
by message; two bygglov questions arrive from the Facebook integration (posts
in the account channel) and are assigned to Omar, who gets one digest when
both are nudged and answers through the follow-up form and by command; an
offensive comment on the library's account is removed by reaction and ground
form; an absence is registered; crisis mode is switched on and off; the week's
report. Every card the bot sent is a valid Adaptive Card and nothing is left
in the outbox.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.adapters.teams import cards
from tests.conftest import local
from tests.teams.conftest import TeamsEnv, channel_id
from tests.teams.mock_connector import card_text as cards_text
from tests.teams.mock_connector import verbs

FB, IG, LIB, KRIS = "Konto Facebook", "Konto Instagram", "Konto Bibliotek", "Krisgruppen"


def integration_post(env: TeamsEnv, channel: str, text: str) -> None:
    """The Facebook integration (e.g. a Power Automate flow) posts a comment in the account channel."""
    activity = env.activity("message", "lena@example.se", channel=channel, text=text, textFormat="plain")
    activity["from"] = {"id": "28:flow-facebook", "name": "Facebook-kommentarer"}
    status, _ = env.post(activity)
    assert status == 202


def personal_chat(env: TeamsEnv, email: str) -> str:
    return env.bot.db.execute("SELECT conversation_id FROM conversation_refs WHERE key = ?",
                              [f"person:{email}"]).fetchone()[0]


def reply_to(env: TeamsEnv, conversation: str) -> str:
    return env.connector.last(conversation).text


@pytest.mark.slow
def test_a_week_in_teams(teams):
    env = teams(local(2026, 12, 7, 7, 0))
    db = env.bot.db
    fb, ig, lib, kris = (channel_id(c) for c in ("konto-facebook", "konto-instagram", "konto-bibliotek",
                                                  "krisgruppen"))

    # ------------------------------------------------------------- Monday: prompts, logging by button and message
    env.at(local(2026, 12, 7, 8, 31))
    prompt = next(c for c in env.connector.sent(fb) if "oversight_done" in verbs(c.card))
    assert prompt.card["msteams"]["entities"][0]["mentioned"]["id"] == "aad-lena"  # the responsible is mentioned
    for channel in (ig, lib):
        assert any("oversight_done" in verbs(c.card) for c in env.connector.sent(channel))
    env.at(local(2026, 12, 7, 9, 5))
    _, answer = env.press("lena@example.se", prompt, "oversight_done", "facebook", channel=FB)
    assert "Tillsynen av Ekby kommun (Facebook) är loggad kl. 09:05" in answer["value"]
    env.message("per@example.se", "uppsikt klart Inga nya kommentarer", channel=IG)
    assert "loggad" in reply_to(env, ig)
    env.message("ida@example.se", "uppsikt klart", channel=LIB)
    env.message("karin@example.se", "uppsikt klart linkedin")
    assert {r[0] for r in db.execute("SELECT account_id FROM oversight_log WHERE day = '2026-12-07'")} == {
        "facebook", "instagram", "bibliotek", "linkedin"}

    # ------------------------------------------------------------- Monday 10:00: two questions, assigned to Omar
    env.at(local(2026, 12, 7, 10, 0))
    integration_post(env, FB, "Hur söker jag bygglov för en altan?")
    integration_post(env, FB, "Behöver jag bygglov för ett attefallshus?")
    questions = list(db.query("SELECT * FROM items ORDER BY id"))
    assert [q["assignee"] for q in questions] == ["omar@example.se", "omar@example.se"]
    assert [q["author"] for q in questions] == ["Facebook-kommentarer"] * 2
    assert sum("bygglov" in c.text and "take" in verbs(c.card) for c in env.connector.sent(fb)) == 2  # two cards
    omar = personal_chat(env, "omar@example.se")  # opened by Uppsikt: Omar never wrote to it
    assert sum("bygglov" in t for t in env.connector.texts(omar)) == 2  # two assignments

    # ------------------------------------------------------------- nudged: one digest for both
    before = len(env.connector.sent(omar))
    nudge_at = min(q["next_nudge_at"] for q in db.query("SELECT next_nudge_at FROM items"))
    env.at(dt.datetime.fromtimestamp(nudge_at + 60, tz=local(2026, 12, 7).tzinfo))
    new = env.connector.sent(omar)[before:]
    digests = [c for c in new if c.text.startswith("Du har 2 påminnelser")]
    assert len(digests) == 1, [c.text[:80] for c in new]
    assert verbs(digests[0].card).count("answered") == 2

    # ------------------------------------------------------------- answered through the button and its form
    first, second = questions[0]["id"], questions[1]["id"]
    _, answer = env.press("omar@example.se", digests[0], "answered", str(first))
    assert answer["value"] == "Fyll i kortet som kom i konversationen."
    form = env.connector.last(omar)
    _, answer = env.press("omar@example.se", form, "answered", str(first), form="1",
                          answer="Du söker bygglov i e-tjänsten på ekby.se.")
    assert "är besvarat" in cards_text(answer["value"])
    assert db["items"].get(first)["status"] == "answered"
    _, card_id = env.card_of(first)
    updated = env.connector.activities[card_id]["attachments"][0]["content"]
    assert "besvarad" in cards_text(updated) and verbs(updated) == []
    env.message("omar@example.se", f"ärende {second} svarat Attefallshus kräver anmälan.")
    assert "är besvarat" in reply_to(env, env.personal("omar@example.se"))

    # ------------------------------------------------------------- Tuesday: a removal by reaction
    env.at(local(2026, 12, 8, 10, 0))
    integration_post(env, LIB, "Bibliotekarien är en idiot och borde sparkas")
    rude = db.execute("SELECT MAX(id) FROM items").fetchone()[0]
    _, card_id = env.card_of(rude)
    env.react("ida@example.se", card_id, "angry", channel=LIB)
    form = env.connector.last(lib)
    ground = next(e for e in form.card["body"] if e.get("id") == "ground")
    _, answer = env.press("ida@example.se", form, "remove", str(rude), channel=LIB, form="1",
                          ground=ground.get("value") or ground["choices"][0]["value"])
    assert "borttaget och registrerat" in cards_text(answer["value"])
    assert db["removals"].get(1)["text"] == "Bibliotekarien är en idiot och borde sparkas"
    env.at(local(2026, 12, 8, 10, 5))
    thread = [c for c in env.connector.sent(lib) if c.conversation == f"{lib};messageid={card_id}"]
    assert any("registrerat" in c.text for c in thread)  # the record is noted in the card's thread

    # ------------------------------------------------------------- Wednesday: absence, then crisis on
    env.at(local(2026, 12, 9, 9, 0))
    env.message("per@example.se", "frånvaro 2026-12-10 2026-12-11 ersättare=lena@example.se")
    assert "Frånvaro registrerad för Per Holm" in reply_to(env, env.personal("per@example.se"))
    env.at(local(2026, 12, 9, 14, 0))
    env.message("karin@example.se", "kris på Brand i Ekby centrum", channel=KRIS)
    assert "Krisläget är på" in reply_to(env, kris)
    env.at(local(2026, 12, 9, 14, 1))
    assert any("Brand i Ekby centrum" in t for t in env.connector.texts(kris))
    for channel in (fb, ig, lib):
        assert any("krisgruppen" in t.lower() for t in env.connector.texts(channel))
    integration_post(env, FB, "Vart ska vi evakuera? Det brinner vid torget!")
    fire = db.execute("SELECT MAX(id) FROM items").fetchone()[0]
    _, card_id = env.card_of(fire)
    env.react("lena@example.se", card_id, "surprised", channel=FB)
    assert db["items"].get(fire)["crisis"] == 1

    # ------------------------------------------------------------- Thursday: crisis off; Lena stands in for Per
    env.at(local(2026, 12, 10, 9, 0))
    env.message("karin@example.se", "kris av", channel=KRIS)
    assert "avslutat" in reply_to(env, kris)
    env.at(local(2026, 12, 10, 9, 1))
    summary = "Krisläget är avslutat. Pågick 2026-12-09 14:00–2026-12-10 09:00"
    assert any(summary in t for t in env.connector.texts(kris))
    assert any("Krisläget är avblåst" in t for t in env.connector.texts(fb))
    prompt = [c for c in env.connector.sent(ig) if "oversight_done" in verbs(c.card)][-1]
    env.press("lena@example.se", prompt, "oversight_done", "instagram", channel=IG)
    assert db.execute("SELECT person FROM oversight_log WHERE account_id = 'instagram' AND day = '2026-12-10'"
                      ).fetchone()[0] == "lena@example.se"

    # ------------------------------------------------------------- Friday: the week's report
    env.at(local(2026, 12, 11, 16, 0))
    env.message("karin@example.se", "rapport 2026-12-07 2026-12-11")
    report = reply_to(env, env.personal("karin@example.se"))
    assert "Ekby kommun" in report and "ekbykommun" in report

    # ------------------------------------------------------------- nothing was lost or refused by Teams
    env.h.clock.advance(dt.timedelta(minutes=10))
    env.bot.flush()
    statuses = env.outbox()
    assert statuses.get("failed", 0) == 0 and statuses.get("pending", 0) == 0, statuses
    for call in env.connector.calls:
        if call.card is not None:
            cards.validate_card(call.card)
    assert all(c.status < 300 for c in env.connector.calls if c.method != "GET")
