"""Slash commands through signed requests: every command, `hjälp`, bad input, unknown people, /konto dokumentera."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.views import View

from bot.adapters.slack.ids import CallbackId, Command
from tests.slack.signing import response_urls, slack  # noqa: F401 (fixtures)

IGNORED_TABLES = {"chat_users", "chat_channels", "chat_messages", "events_seen"}


def db_state(bot) -> dict[str, int]:
    """Row counts of every table the core writes (not the Slack adapter's caches)."""
    return {name: bot.db[name].count for name in bot.db.table_names() if name not in IGNORED_TABLES}


def posted(slack_driver, url: str) -> dict:
    slack_driver.said(url)
    return slack_driver.urls.to(url)[-1]


HELP_STARTS = {
    Command.UPPSIKT: "/uppsikt", Command.KRIS: "/kris", Command.FRANVARO: "/franvaro", Command.KONTO: "/konto",
    Command.FRAGA: "/fraga", Command.RAPPORT: "/rapport", Command.ARENDE: "/arende", Command.TA_BORT: "/ta-bort",
    Command.DIARIUM: "/diarium", Command.SNAPSHOT: "/snapshot", Command.SOK: "/sok", Command.KLARSPRAK: "/klarsprak",
    Command.ARKIV: "/arkiv",
}


@pytest.mark.parametrize("command", list(Command))
def test_every_command_answers_hjalp_ephemerally_and_changes_nothing(slack, command):
    s = slack()
    before = db_state(s.bot)
    resp, url = s.command("omar@example.se", command, "hjälp", channel="konto-facebook")
    assert resp.status == 200 and resp.body == ""  # acknowledged at once, the answer comes by response_url
    body = posted(s, url)
    assert body["response_type"] == "ephemeral" and body["replace_original"] is False
    assert HELP_STARTS[command] in body["text"]
    assert "/frånvaro" not in body["text"] and "/fråga " not in body["text"]  # Slack's ASCII command names
    assert body["blocks"] and body["blocks"][0]["type"] == "section"
    assert db_state(s.bot) == before


@pytest.mark.parametrize(("command", "text", "expected"), [
    (Command.FRANVARO, "2026-12-32 2027-01-06 ersättare=per@example.se", "Skriv datum som ÅÅÅÅ-MM-DD"),
    (Command.RAPPORT, "igår", "Skriv datum som ÅÅÅÅ-MM-DD"),
    (Command.RAPPORT, "månad 2026-13", "Skriv år och månad som ÅÅÅÅ-MM"),
    (Command.KRIS, "kanske", "/kris på"),
    (Command.ARENDE, "tolv ta", "Skriv ett heltal"),
    (Command.TA_BORT, "x", "Skriv ett heltal"),
    (Command.DIARIUM, "12 a b", "/diarium NUMMER"),
    (Command.FRAGA, "", "/fraga [konto] text"),
    (Command.UPPSIKT, "klart okänt-konto", "Konton"),
    (Command.KONTO, "ansök namn=\"X", "citattecken"),
    (Command.KLARSPRAK, "", "Skriv texten"),
    (Command.SNAPSHOT, "klar", "Konton"),
    (Command.SOK, "", "/sok"),
])
def test_bad_input_gets_the_cores_swedish_message_and_nothing_changes(slack, command, text, expected):
    s = slack()
    before = db_state(s.bot)
    _, url = s.command("lena@example.se", command, text)  # in #kommunikation: no account channel
    body = posted(s, url)
    assert body["response_type"] == "ephemeral"
    assert expected in body["text"], body["text"]
    assert db_state(s.bot) == before


def test_commands_do_what_they_say(slack, slack_api):
    s = slack()
    # /uppsikt in the account's channel logs the check, and the thanks is public
    _, url = s.command("lena@example.se", Command.UPPSIKT, "Inga nya kommentarer", channel="konto-facebook")
    body = posted(s, url)
    assert body["response_type"] == "in_channel" and "Tillsynen av Ekby kommun (Facebook) är loggad" in body["text"]
    row = s.bot.db.execute("SELECT account_id, person, note, via FROM oversight_log").fetchone()
    assert row == ("facebook", "lena@example.se", "Inga nya kommentarer", "command")
    assert "kollat av Lena Berg" in s.said(s.command("per@example.se", Command.UPPSIKT, "status")[1])
    # /franvaro adds, lists
    _, url = s.command("lena@example.se", Command.FRANVARO, "2026-12-22 2027-01-06 ersättare=per@example.se semester")
    assert "Frånvaro registrerad för Lena Berg" in s.said(url)
    assert "Per Holm" in s.said(s.command("lena@example.se", Command.FRANVARO, "lista")[1])
    # /fraga in the account channel tracks a question; the card goes to the channel
    _, url = s.command("per@example.se", Command.FRAGA, "När töms soporna i jul?", channel="konto-facebook")
    assert "Ärende 1 följs upp" in s.said(url)
    assert s.bot.db["items"].get(1)["status"] == "open"
    channel, ts = s.card_of(1)
    assert channel == slack_api.channels["konto-facebook"] and (channel, ts) in slack_api.messages
    # /arende, /diarium, /ta-bort (without a ground: the prompt), /sok, /snapshot, /konto, /rapport, /klarsprak
    assert "Ärende 1 är ditt nu" in s.said(s.command("per@example.se", Command.ARENDE, "1 ta")[1])
    assert "markerat för diariet" in s.said(s.command("lena@example.se", Command.DIARIUM, "1")[1])
    assert "Välj grund" in s.said(s.command("lena@example.se", Command.TA_BORT, "1")[1])
    assert "soporna" in s.said(s.command("lena@example.se", Command.SOK, "soporna")[1])
    assert "Ögonblicksbilder" in s.said(s.command("lena@example.se", Command.SNAPSHOT, "status")[1])
    assert "#konto-bibliotek" in s.said(s.command("lena@example.se", Command.KONTO, "lista")[1])
    assert "Ekby bibliotek" in s.said(s.command("lena@example.se", Command.KONTO, "visa", channel="konto-bibliotek")[1])
    assert "Ekby kommun" in s.said(s.command("lena@example.se", Command.RAPPORT, "")[1])
    assert "LIX" in s.said(s.command("lena@example.se", Command.KLARSPRAK, "Vi har öppet i morgon.")[1])
    # /kris på and av are public; status in between
    _, url = s.command("karin@example.se", Command.KRIS, "på Brand i centrum")
    assert posted(s, url)["response_type"] == "in_channel"
    assert "Krisläget är på sedan" in s.said(s.command("omar@example.se", Command.KRIS, "status")[1])
    assert "avslutat" in s.said(s.command("karin@example.se", Command.KRIS, "av")[1])


def test_a_refusal_is_ephemeral_even_for_public_commands(slack):
    s = slack()
    _, url = s.command("omar@example.se", Command.KRIS, "på")
    body = posted(s, url)
    assert body["response_type"] == "ephemeral" and "Bara krisgruppen" in body["text"]
    assert s.bot.db["crisis_periods"].count == 0


def test_unknown_people_are_refused_and_nothing_changes(slack, slack_api):
    s = slack()
    slack_api.users["okand@example.se"] = "U99OKAND"  # in Slack, not in Uppsikt's configuration
    before = db_state(s.bot)
    for user in ("U99OKAND", "U98NOBODY"):  # the second is not even a Slack user the API knows
        _, url = s.command(user, Command.UPPSIKT, "klart facebook")
        body = posted(s, url)
        assert body["response_type"] == "ephemeral" and "Du finns inte bland personerna" in body["text"]
    assert db_state(s.bot) == before


def test_configured_chat_id_wins_over_the_slack_profile(settings, slack, slack_api, monkeypatch):
    import dataclasses

    s = slack()
    people = dict(settings.people)
    people["per@example.se"] = dataclasses.replace(people["per@example.se"], chat_id="U42PERALT")
    monkeypatch.setattr(s.bot.ctx, "settings", dataclasses.replace(settings, people=people))
    _, url = s.command("U42PERALT", Command.UPPSIKT, "", channel="konto-instagram")
    assert "Tillsynen av ekbykommun är loggad" in s.said(url)
    assert not [c for c in slack_api.calls_to("users.info") if c.params.get("user") == "U42PERALT"]


def test_people_and_channels_are_resolved_once_and_cached(slack, slack_api):
    s = slack()
    for _ in range(3):
        s.said(s.command("ida@example.se", Command.KONTO, "visa", channel="konto-bibliotek")[1])
    assert len(slack_api.calls_to("users.info")) == 1
    assert len(slack_api.calls_to("conversations.info")) == 1
    assert s.bot.db.execute("SELECT email FROM chat_users WHERE user_id = ?", [slack_api.users["ida@example.se"]]
                            ).fetchone()[0] == "ida@example.se"


# --------------------------------------------------------------------------- /konto dokumentera (A1, A2)


def good_account(**changes: str | list[str]) -> dict:
    values = {
        "id": "forskola-facebook", "platform": "facebook", "name": "Ekby förskolor", "url": "",
        "unit": "barn-utbildning", "channel": "konto-forskola", "purpose": "Berätta om förskolans vardag.",
        "audience": "Föräldrar med barn i förskolan.", "content": "Nyheter och evenemang.",
        "owner": "anna@example.se", "editors": ["ida@example.se"], "substitute": "ida@example.se",
        "admins": ["ida@example.se"], "update_frequency": "varje vecka", "contact": "forskola@example.se",
    }
    return values | changes


def test_konto_dokumentera_opens_the_a2_modal(slack, slack_api):
    s = slack()
    resp, _ = s.command("anna@example.se", Command.KONTO, "dokumentera")
    assert resp.status == 200
    view = s.last_view()
    View(**view).validate_json()
    assert view["callback_id"] == CallbackId.ACCOUNT_MODAL
    blocks = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert blocks == ["id", "platform", "name", "url", "unit", "channel", "purpose", "audience", "content", "owner",
                      "editors", "substitute", "admins", "update_frequency", "contact"]
    # in an account's channel (or naming one) the modal starts from that account's documentation
    s.command("lena@example.se", Command.KONTO, "dokumentera", channel="konto-bibliotek")
    view = s.last_view()
    View(**view).validate_json()
    purpose = next(b for b in view["blocks"] if b.get("block_id") == "purpose")
    assert purpose["element"]["initial_value"] == "Tips, evenemang och service från biblioteket."
    assert "initial_value" not in next(b for b in view["blocks"] if b.get("block_id") == "id")["element"]
    s.command("lena@example.se", Command.KONTO, "dokumentera instagram")  # naming the account to start from
    owner = next(b for b in s.last_view()["blocks"] if b.get("block_id") == "owner")["element"]
    assert owner["initial_option"]["value"] == "per@example.se"


def test_account_modal_shows_field_errors_and_stores_nothing(slack):
    s = slack()
    s.command("anna@example.se", Command.KONTO, "dokumentera")
    view = s.last_view()
    resp = s.submit("anna@example.se", view, **good_account(id="Förskola!", channel="konto-facebook",
                                                            url="ftp://x", editors=[], substitute=""))
    assert resp.status == 200
    body = json.loads(resp.body)
    assert body["response_action"] == "errors"
    errors = body["errors"]
    assert set(errors) == {"id", "channel", "url", "editors", "substitute"}, errors
    assert "förskola!" in errors["id"] and "konto-facebook" in errors["channel"]
    assert "redaktör" in errors["editors"] and "ersättare" in errors["substitute"]
    assert s.bot.db["account_requests"].count == 0


def test_account_modal_submits_a_request(slack, slack_api):
    s = slack()
    _, url = s.command("anna@example.se", Command.KONTO, "dokumentera")
    resp = s.submit("anna@example.se", s.last_view(), **good_account())
    assert resp.status == 200 and resp.body == ""  # closes the modal
    row = s.bot.db["account_requests"].get(1)
    assert row["account_id"] == "forskola-facebook" and row["requested_by"] == "anna@example.se"
    assert json.loads(row["data"])["editors"] == ["ida@example.se"]
    assert "Din ansökan har nummer 1" in s.said(url)
    lena_dm = s.dms("lena@example.se")  # the communicator is asked to decide, with buttons
    assert any("ansöker om ett nytt konto" in m["text"] for m in lena_dm)
    buttons = [e["action_id"] for m in lena_dm for b in m["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "uppsikt.account_approve" in buttons and "uppsikt.account_reject" in buttons


def test_rapport_manad_posts_the_summary_image_in_the_channel(slack):
    from tests.report_world import november_world
    from tests.conftest import local

    s = slack(local(2026, 11, 3, 7, 0))
    november_world(s.h)
    _, url = s.command("lena@example.se", Command.RAPPORT, "månad 2026-11", channel="kommunikation")
    assert "Månadsrapporten för november 2026 skickas till #kommunikation." in posted(s, url)["text"]
    s.bot.flush()
    shared = s.api.shared(s.channel("kommunikation"))
    assert [f["filename"] for f in shared] == ["uppsikt-2026-11-sammanfattning.png", "uppsikt-rapport-2026-11.html"]
    assert "Bevakade vaktdagar: 49 av 80 (61 %)" in shared[0]["comment"]
