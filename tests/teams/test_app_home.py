"""The dashboard card (issue 9): `hem` / `översikt` / `mina ärenden` / `home` in Teams answers with
the same dashboard Slack's App Home shows, as an Adaptive Card, through the local mock connector."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.adapters.teams import cards
from bot.core.dashboard import Dashboard, DueItem
from tests.conftest import local
from tests.teams.conftest import STRANGER, TeamsEnv
from tests.teams.mock_connector import card_text, verbs

MONDAY = local(2026, 12, 7, 9, 5)


def home_card(env: TeamsEnv, who: str, text: str = "hem", **kwargs) -> dict:
    env.connector.clear()
    status, _ = env.message(who, text, **kwargs)
    assert status in (200, 202), status
    [reply] = [c for c in env.connector.calls if c.method == "POST" and c.card is not None]
    cards.validate_card(reply.card)
    assert reply.body.get("summary") == "Uppsikt – din översikt"
    return reply.card


def new_item(env: TeamsEnv, text: str, account: str, n: int) -> dict:
    item, _ = env.bot.intake(account, text, author="Eva Svensson", source="facebook", external_id=f"c{n}")
    return item


@pytest.mark.parametrize("word", ["hem", "Hem", "översikt", "Översikt", "mina ärenden", "Mina Ärenden", "home",
                                  "/hem"])
def test_the_home_words_answer_with_the_dashboard_card(teams, word):
    env = teams(MONDAY)
    card = home_card(env, "omar@example.se", word)
    text = card_text(card)
    assert "Hej Omar! Här ser du det du ansvarar för. Uppdaterad 2026-12-07 09:05." in text
    assert "Mina ärenden" in text and "Du har inga öppna ärenden." in text
    assert "Krisläget är inte på" in text


def test_an_editor_sees_their_items_by_deadline_with_answered_buttons_and_no_overview(teams):
    env = teams(MONDAY)
    first = new_item(env, "Hur söker jag bygglov för en altan?", "facebook", 1)
    env.h.clock.advance(dt.timedelta(minutes=5))
    second = new_item(env, "Hur bygger jag ett attefallshus?", "bibliotek", 2)
    assert {first["assignee"], second["assignee"]} == {"omar@example.se"}
    card = home_card(env, "omar@example.se")
    text = card_text(card)
    assert "Alla konton" not in text
    assert text.index("altan") < text.index("attefallshus")  # the earlier deadline first
    due = env.bot.db.execute("SELECT first_reply_due FROM items WHERE id = ?", [first["id"]]).fetchone()[0]
    from bot.facade import from_epoch
    assert f"Första svar senast {from_epoch(due):%Y-%m-%d %H:%M}" in text
    assert f"Ärende {first['id']} · Ekby kommun · väntar på första svar" in text
    answered = [a["data"] for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]
                if a["verb"] == "answered"]
    assert answered == [{"uppsikt": "answered", "value": str(first["id"])},
                        {"uppsikt": "answered", "value": str(second["id"])}]


def test_a_button_on_the_dashboard_works_like_on_an_item_card(teams):
    env = teams(MONDAY)
    item = new_item(env, "Hur söker jag bygglov för en altan?", "facebook", 1)
    env.message("omar@example.se", "hem")
    dashboard = env.connector.last(env.personal("omar@example.se"))
    assert dashboard.card is not None
    env.connector.clear()
    status, _ = env.press("omar@example.se", dashboard.result_id, "answered", str(item["id"]))
    assert status == 200
    form = next(c for c in env.connector.calls if c.method == "POST" and c.card and "answer" in
                {e.get("id") for e in c.card["body"]})
    assert form.conversation == env.personal("omar@example.se")


def test_a_communicator_sees_duties_absences_and_every_account(teams):
    env = teams(MONDAY)
    env.message("lena@example.se", "frånvaro 2026-12-22 2027-01-06 ersättare=per@example.se semester")
    card = home_card(env, "lena@example.se", "översikt")
    text = card_text(card)
    assert "Min tillsyn i dag" in text and "Inte kollat ännu i dag" in text
    assert "Min frånvaro" in text and "2026-12-22 – 2027-01-06: Ersättare: Per Holm. semester" in text
    assert "Alla konton" in text and "Ekby bibliotek" in text and "Nästa ögonblicksbild" in text
    todo = [a["data"]["value"] for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]
            if a["verb"] == "oversight_done"]
    assert todo and set(todo) <= set(env.bot.accounts())
    dashboard = env.connector.last(env.personal("lena@example.se"))
    status, _ = env.press("lena@example.se", dashboard.result_id, "oversight_done", todo[0])  # the card's button
    assert status == 200
    logged = env.bot.db.execute("SELECT account_id, person FROM oversight_log").fetchall()
    assert [tuple(r) for r in logged] == [(todo[0], "lena@example.se")]
    text = card_text(home_card(env, "lena@example.se", "hem"))
    assert "Kollat av Lena Berg kl. 09:05" in text and "Inte kollat ännu i dag" not in text


def test_the_dashboard_in_english(teams, settings):
    import dataclasses

    english = dataclasses.replace(settings, municipality=dataclasses.replace(settings.municipality, language="en"))
    env = teams(MONDAY, config=english)
    card = home_card_en(env)
    assert "Hello Omar! Here is what you are responsible for." in card_text(card)


def home_card_en(env: TeamsEnv) -> dict:
    env.connector.clear()
    env.message("omar@example.se", "home")
    [reply] = [c for c in env.connector.calls if c.method == "POST" and c.card is not None]
    cards.validate_card(reply.card)
    return reply.card


def test_help_lists_hem(teams):
    env = teams(MONDAY)
    env.message("per@example.se", "hjälp")
    assert "• hem (eller översikt, mina ärenden) – dina ärenden" in env.connector.texts(env.personal("per@example.se"))[-1]


def test_someone_not_configured_gets_the_polite_refusal_and_no_card(teams):
    env = teams(MONDAY)
    env.connector.clear()
    env.message(STRANGER, "hem")
    posted = [c for c in env.connector.calls if c.method == "POST"]
    assert [c.card for c in posted] == [None]
    assert posted[0].text.startswith("Du finns inte bland personerna i Uppsikts konfiguration")


def test_hem_in_a_channel_with_a_mention_answers_in_the_thread(teams):
    env = teams(MONDAY)
    card = home_card(env, "lena@example.se", "hem", channel="Konto Facebook")
    assert "Hej Lena!" in card_text(card)
    reply = env.connector.last(env.conv("konto-facebook"))
    assert reply.card is not None and reply.conversation.endswith(f";messageid={reply.activity_id}")


def test_a_long_dashboard_stays_within_teams_limits():
    """Many long items, duties and accounts: the card is cut to its limits and validates (28 KB)."""
    class FakeBot:
        @staticmethod
        def t(key, /, **values):
            from bot.i18n import t
            return t(key, "sv", **values)

    board = Dashboard(known=True, first_name="Omar", now=local(2026, 12, 7, 9, 5), crisis="Krisläget är inte på.")
    board.items = [DueItem(i, "Ekby kommun *fet* [länk](https://x.se)", "open", "Lång fråga " * 300, 1_800_000_000,
                           i % 2 == 0) for i in range(1, 60)]
    card = cards.dashboard_card(FakeBot(), board)  # type: ignore[arg-type]
    cards.validate_card(card)
    text = card_text(card)
    assert "Du har 44 ärenden till." in text
    assert "\\*fet\\* \\[länk\\]" in text  # names cannot format or link
    assert len(verbs(card)) == cards.HOME_ITEMS
    assert len(json.dumps(card, ensure_ascii=False).encode()) < 28_000
    unknown = cards.dashboard_card(FakeBot(), Dashboard(known=False))  # type: ignore[arg-type]
    cards.validate_card(unknown)
    assert "Du finns inte bland personerna" in card_text(unknown)
