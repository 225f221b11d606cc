"""Commands: parsing, Swedish errors that say how to write it, nothing changed on bad input."""

from __future__ import annotations

import pytest

from tests.conftest import local


def snapshot(h):
    return {t: list(h.ctx.db[t].rows) for t in ("items", "absences", "oversight_log", "outbox")}


@pytest.mark.parametrize(
    "text,needle",
    [
        ("/frånvaro 2026-13-01 2026-12-24", "ÅÅÅÅ-MM-DD"),
        ("/frånvaro 22/12 2026-12-24", "ÅÅÅÅ-MM-DD"),
        ("/frånvaro 2026-12-24 2026-12-22", "före startdatumet"),
        ("/frånvaro 2026-12-22 2026-12-24 ersättare=okand@example.se", "hittar ingen person"),
        ("/frånvaro 2026-12-22 2026-12-24 ersättare=lena@example.se", "din egen ersättare"),
        ("/frånvaro 2026-12-22", "/frånvaro 2026-12-22 2027-01-06"),
        ("/frånvaro ta bort x", "heltal"),
        ("/uppsikt klart", "Skriv vilket konto"),
        ("/uppsikt klart twitter", "Skriv vilket konto"),
        ("/rapport 2026-12-40", "ÅÅÅÅ-MM-DD"),
        ("/ärende x ta", "heltal"),
        ("/ärende 99 ta", "inget ärende"),
        ("/ärende 1 dansa", "förstår inte åtgärden"),
        ("/fråga", "/fråga [konto] text"),
        ("/okänt", "känner inte till"),
        ("hej", "snedstreck"),
    ],
)
def test_bad_input_gets_swedish_help_and_changes_nothing(harness, text, needle):
    h = harness(local(2026, 12, 7, 9, 0))
    before = snapshot(h)
    reply = h.bot.command("lena@example.se", text)
    assert not reply.ok
    assert needle in reply.text
    assert snapshot(h) == before


def test_unknown_user_is_refused(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    reply = h.bot.command("hacker@evil.example", "/uppsikt klart facebook")
    assert not reply.ok and "Uppsikts konfiguration" in reply.text


@pytest.mark.parametrize("cmd", ["/uppsikt hjälp", "/franvaro hjalp", "/fråga hjälp", "/ärende hjälp", "/konto hjälp",
                                 "/rapport hjälp"])
def test_every_command_has_help(harness, cmd):
    h = harness(local(2026, 12, 7, 9, 0))
    reply = h.bot.command("lena@example.se", cmd)
    assert reply.ok and cmd.split()[0].replace("franvaro", "frånvaro")[1:5] in reply.text.lower()


def test_ascii_and_swedish_spellings_are_equal(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    assert h.bot.command("lena@example.se", "/franvaro 2026-12-22 2026-12-23 ersattare=per@example.se").ok
    assert h.bot.command("per@example.se", "/Frånvaro 2026-12-28 2026-12-29 Ersättare=lena@example.se orsak=kurs").ok
    rows = list(h.ctx.db.query("SELECT person, substitute, reason FROM absences ORDER BY id"))
    assert rows == [
        {"person": "lena@example.se", "substitute": "per@example.se", "reason": ""},
        {"person": "per@example.se", "substitute": "lena@example.se", "reason": "kurs"},
    ]


def test_uppsikt_in_account_channel_logs_with_note(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    reply = h.bot.command("per@example.se", "/uppsikt Inget nytt", "konto-instagram")
    assert reply.ok and reply.public
    row = next(iter(h.ctx.db["oversight_log"].rows))
    assert (row["account_id"], row["note"]) == ("instagram", "Inget nytt")


def test_fraga_tracks_any_text_and_arende_acts(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    reply = h.bot.command("lena@example.se", "/fråga facebook Mejl från invånare om snöröjningen på Storgatan")
    assert reply.ok, reply.text
    item = next(iter(h.ctx.db["items"].rows))
    assert item["status"] == "open" and item["source"] == "manual"
    assert h.bot.command("maria@example.se", f"/ärende {item['id']} första-svar").ok
    assert h.bot.command("maria@example.se", f"/ärende {item['id']} svarat Vi plogar i dag.").ok
    done = h.ctx.db["items"].get(item["id"])
    assert done["status"] == "answered" and done["answer"] == "Vi plogar i dag."


def test_status_and_konto(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    h.bot.command("lena@example.se", "/uppsikt klart facebook")
    status = h.bot.command("karin@example.se", "/uppsikt status").text
    assert "Ekby kommun (facebook): kollat av Lena Berg" in status
    assert "inte kollat ännu" in status
    konto = h.bot.command("karin@example.se", "/konto visa bibliotek").text
    assert "Ekby bibliotek" in konto and "första svar inom 2 arbetsdag" in konto
    assert "bibliotek" in h.bot.command("karin@example.se", "/konto lista").text
