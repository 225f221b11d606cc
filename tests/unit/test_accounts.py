"""Account lifecycle: requests and approvals (A1, A2, A4), closing (A6), two-factor
attestations (A5), information text (A7) and klarspråk feedback (Q8)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from bot.core import accounts
from bot.core.context import Refused
from bot.core.parsing import fold
from bot.i18n import catalogue
from bot.messages import Reply
from bot.settings import GROUND_IDS
from tests.conftest import Harness, local

REQUEST = (
    '/konto ansök id=bygglov plattform=facebook namn="Ekby bygglov" enhet=samhallsbyggnad kanal=konto-bygglov '
    "ansvarig=omar@example.se redaktörer=maria@example.se ersättare=maria@example.se "
    'syfte="Svara på frågor om bygglov och strandskydd." målgrupp="Invånare som vill bygga." '
    'innehåll="Tips om bygglov och nyheter från bygglovsenheten." uppdateras="varje vecka" '
    "kontakt=bygglov@example.se url=https://www.facebook.com/ekbybygglov"
)


def cmd(h: Harness, actor: str, text: str, channel: str | None = None) -> Reply:
    """Run one of this module's commands the way commands.handle does, then deliver the outbox."""
    words = text.split()
    try:
        reply = accounts.COMMANDS[fold(words[0][1:])](h.ctx, actor, words[1:], channel)
    except Refused as exc:
        reply = Reply(str(exc), ok=False)
    h.bot.flush()
    return reply


def snapshot(h: Harness) -> dict:
    return {t: list(h.ctx.db[t].rows) for t in ("account_requests", "accounts", "attestations", "audit", "outbox")}


def requested(h: Harness, text: str = REQUEST, actor: str = "omar@example.se") -> int:
    reply = cmd(h, actor, text)
    assert reply.ok, reply.text
    return int(h.ctx.db.execute("SELECT MAX(id) FROM account_requests").fetchone()[0])


def run_daily(h: Harness) -> list:
    with h.ctx.db.atomic():
        out = accounts.daily(h.ctx)
    h.bot.flush()
    return out


def with_people_roles(settings, email: str, *roles: str):
    people = dict(settings.people)
    people[email] = dataclasses.replace(people[email], roles=people[email].roles + roles)
    return dataclasses.replace(settings, people=people)


# --------------------------------------------------------------------------- requests and approvals (A1, A2)


def test_request_goes_to_the_units_manager_and_the_communicators_with_buttons(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    request_id = requested(h)
    sent = h.sent("account_request")
    assert {m.to for _, m in sent} == {"gustav@example.se", "lena@example.se"}
    msg = sent[0][1]
    assert [(a.name, a.value) for a in msg.actions] == [("account_approve", str(request_id)),
                                                          ("account_reject", str(request_id))]
    assert "Omar Haddad" in msg.text and f"/konto godkänn {request_id}" in msg.text
    assert ("Syfte", "Svara på frågor om bygglov och strandskydd.") in msg.fields
    assert "bygglov" not in h.ctx.accounts
    assert "Chef (Gustav Ahl): väntar" in cmd(h, "omar@example.se", "/konto ansökningar").text


def test_manager_and_communicator_approve_then_account_is_watched(harness):
    h = harness(local(2026, 12, 7, 8, 0))  # Monday; Uppsikt installed before the day's prompts
    h.clock.set(local(2026, 12, 7, 9, 0))
    request_id = requested(h)
    reply = cmd(h, "gustav@example.se", f"/konto godkänn {request_id}")
    assert reply.ok and "väntar den på kommunikatör" in reply.text
    h.ctx.forget_accounts()
    assert "bygglov" not in h.ctx.accounts  # one approval is not enough (A1)
    reply = cmd(h, "lena@example.se", f"/konto godkänn {request_id}")
    assert reply.ok and "#konto-bygglov" in reply.text

    acc = h.ctx.accounts["bygglov"]
    assert (acc.owner, acc.editors, acc.substitute, acc.channel) == (
        "omar@example.se", ("maria@example.se",), "maria@example.se", "konto-bygglov")
    assert acc.purpose == "Svara på frågor om bygglov och strandskydd."
    assert acc.policy == h.ctx.settings.policy
    row = h.ctx.db["accounts"].get("bygglov")
    assert row["status"] == "approved"
    assert json.loads(row["documentation"])["audience"] == "Invånare som vill bygga."
    assert {m.to for _, m in h.sent("account_approved")} == {"#konto-bygglov", "omar@example.se"}
    decisions = [(r["actor"], json.loads(r["detail"])["part"])
                 for r in h.ctx.db.query("SELECT * FROM audit WHERE action = 'account.decision' ORDER BY id")]
    assert decisions == [("gustav@example.se", "manager"), ("lena@example.se", "communicator")]

    h.run_until(local(2026, 12, 8, 8, 31))
    prompts = h.sent("oversight_prompt", account="bygglov")
    assert [at for at, _ in prompts] == [local(2026, 12, 7, 9, 0), local(2026, 12, 8, 8, 30)]
    assert all(m.to == "#konto-bygglov" and m.mentions == ("omar@example.se",) for _, m in prompts)


def test_approved_account_survives_a_restart(settings, tmp_path):
    path = tmp_path / "uppsikt.db"
    h = Harness(settings, local(2026, 12, 7, 9, 0), db=path)
    request_id = requested(h)
    cmd(h, "gustav@example.se", f"/konto godkänn {request_id}")
    cmd(h, "lena@example.se", f"/konto godkänn {request_id}")
    h.ctx.db.conn.close()
    h2 = Harness(settings, local(2026, 12, 8, 8, 0), db=path)
    assert h2.ctx.accounts["bygglov"].contact == "bygglov@example.se"
    h2.run_until(local(2026, 12, 8, 8, 31))
    assert h2.sent("oversight_prompt", account="bygglov")


def test_rejection_stops_the_request(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    request_id = requested(h)
    reply = cmd(h, "lena@example.se", f"/konto avslå {request_id} Vi har inte tid att bevaka ett konto till.")
    assert reply.ok, reply.text
    rejected = h.sent("account_rejected")
    assert [m.to for _, m in rejected] == ["omar@example.se"]
    assert "Vi har inte tid att bevaka ett konto till." in rejected[0][1].text
    reply = cmd(h, "gustav@example.se", f"/konto godkänn {request_id}")
    assert not reply.ok and "redan avslagen" in reply.text
    assert "bygglov" not in h.ctx.accounts
    assert h.ctx.db["account_requests"].get(request_id)["status"] == "rejected"
    assert "Inga ansökningar" in cmd(h, "omar@example.se", "/konto ansökningar").text
    h.run_until(local(2026, 12, 8, 9, 0))
    assert h.sent("oversight_prompt", account="bygglov") == []


def test_rejection_needs_a_reason(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    request_id = requested(h)
    before = snapshot(h)
    reply = cmd(h, "gustav@example.se", f"/konto avslå {request_id}")
    assert not reply.ok and "Skriv varför du avslår" in reply.text
    assert snapshot(h) == before


@pytest.mark.parametrize("actor", ["anna@example.se", "per@example.se", "omar@example.se", "karin@example.se"])
def test_only_the_units_manager_and_communicators_decide(harness, actor):
    h = harness(local(2026, 12, 7, 9, 0))
    request_id = requested(h)
    before = snapshot(h)
    reply = cmd(h, actor, f"/konto godkänn {request_id}")
    assert not reply.ok
    assert "Bara enhetens chef (Gustav Ahl) och kommunikatörerna" in reply.text
    assert snapshot(h) == before


@pytest.mark.parametrize("actor", ["gustav@example.se", "lena@example.se"])
def test_a_second_decision_by_the_same_person_is_refused(harness, actor):
    h = harness(local(2026, 12, 7, 9, 0))
    request_id = requested(h)
    assert cmd(h, actor, f"/konto godkänn {request_id}").ok
    before = snapshot(h)
    reply = cmd(h, actor, f"/konto avslå {request_id} ändrade mig")
    assert not reply.ok and "redan beslutat" in reply.text
    assert snapshot(h) == before


def test_a_person_with_both_roles_decides_both_parts_one_decision_each(settings):
    both = with_people_roles(settings, "karin@example.se", "communicator")  # manager of kommunledning
    h = Harness(both, local(2026, 12, 7, 9, 0))
    text = REQUEST.replace("enhet=samhallsbyggnad", "enhet=kommunledning")
    request_id = requested(h, text)
    first = accounts.decide(h.ctx, "karin@example.se", request_id, True)
    assert (first["part"], first["status"]) == ("manager", "pending")
    second = accounts.decide(h.ctx, "karin@example.se", request_id, True)
    assert (second["part"], second["status"]) == ("communicator", "approved")
    with pytest.raises(Refused):
        accounts.decide(h.ctx, "karin@example.se", request_id, True)
    assert "bygglov" in h.ctx.accounts


def test_unknown_request_number_is_refused(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    assert "ingen ansökan med nummer 9" in cmd(h, "lena@example.se", "/konto godkänn 9").text
    assert "heltal" in cmd(h, "lena@example.se", "/konto godkänn x").text


# --------------------------------------------------------------------------- validation (A2, A4)


@pytest.mark.parametrize(
    "change,needle",
    [
        (("redaktörer=maria@example.se ", "redaktörer=omar@example.se "),
         "0 redaktörer utöver ansvarig. Policyn kräver minst 1"),
        (("ersättare=maria@example.se ", ""), "Kontot saknar ersättare"),
        (("ersättare=maria@example.se ", "ersättare=omar@example.se "), "samma person som ansvarig"),
    ],
)
def test_staffing_below_the_policy_minimum_is_refused(harness, change, needle):
    h = harness(local(2026, 12, 7, 9, 0))
    before = snapshot(h)
    reply = cmd(h, "omar@example.se", REQUEST.replace(*change))
    assert not reply.ok
    assert needle in reply.text and "Inget har sparats" in reply.text
    assert snapshot(h) == before


def test_staffing_minimum_comes_from_the_municipality_policy(settings):
    st = dataclasses.replace(settings.policy.staffing, min_editors=2, min_admins=2)
    strict = dataclasses.replace(settings, policy=dataclasses.replace(settings.policy, staffing=st))
    h = Harness(strict, local(2026, 12, 7, 9, 0))
    reply = cmd(h, "omar@example.se", REQUEST)
    assert not reply.ok
    assert "1 redaktör utöver ansvarig. Policyn kräver minst 2" in reply.text
    assert "1 administratör " in reply.text
    fixed = REQUEST.replace("redaktörer=maria@example.se", "redaktörer=maria@example.se,gustav@example.se")
    assert cmd(h, "omar@example.se", fixed + " administratörer=maria@example.se").ok


@pytest.mark.parametrize(
    "change,needle",
    [
        (("plattform=facebook", "plattform=myspace"), 'Plattformen "myspace" känner jag inte till'),
        (("enhet=samhallsbyggnad", "enhet=bygg"), 'Enheten "bygg" finns inte'),
        (("ansvarig=omar@example.se", "ansvarig=okand@example.se"),
         'ansvarig: jag hittar ingen person med e-postadressen "okand@example.se"'),
        (("redaktörer=maria@example.se", "redaktörer=maria@example.se,x@example.se"),
         "redaktörer: jag hittar ingen person"),
        (("id=bygglov", "id=facebook"), 'Det finns redan ett konto med id "facebook"'),
        (("id=bygglov", "id=bygg_lov!"), "små bokstäver a–z"),
        (("kanal=konto-bygglov", "kanal=#konto-facebook"), "#konto-facebook används redan av kontot facebook"),
        (("kanal=konto-bygglov", "kanal=krisgruppen"), "kris- eller kommunikationsarbetet"),
        (("url=https://www.facebook.com/ekbybygglov", "url=facebook.com/x"), "ska börja med https://"),
        (('syfte="Svara på frågor om bygglov och strandskydd."', ""), "Uppgifter saknas: syfte="),
        (("kontakt=bygglov@example.se", "kontakt="), "Uppgifter saknas: kontakt="),
        (("id=bygglov", "id=bygglov färg=blå"), 'Jag känner inte till uppgiften "färg"'),
        (("id=bygglov", "id=bygglov hej"), 'Jag förstår inte "hej"'),
        (("id=bygglov", "id=bygglov id=annat"), 'Du har skrivit "id" två gånger'),
    ],
)
def test_bad_requests_are_refused_in_swedish_and_nothing_is_stored(harness, change, needle):
    h = harness(local(2026, 12, 7, 9, 0))
    before = snapshot(h)
    text = REQUEST.replace(*change)
    assert text != REQUEST
    reply = cmd(h, "omar@example.se", text)
    assert not reply.ok
    assert needle in reply.text, reply.text
    assert snapshot(h) == before


def test_a_second_request_for_the_same_id_or_channel_waits_for_the_first(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    first = requested(h)
    reply = cmd(h, "omar@example.se", REQUEST)
    assert not reply.ok
    assert f"Ansökan {first} om ett konto med id \"bygglov\" väntar redan" in reply.text
    assert f"Ansökan {first} väntar redan på beslut om kanalen #konto-bygglov" in reply.text


def test_quoted_values_with_spaces_and_typographic_quotes(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    text = REQUEST.replace('namn="Ekby bygglov"', "namn=“Ekby  bygglov och strandskydd”")
    request_id = requested(h, text)
    data = json.loads(h.ctx.db["account_requests"].get(request_id)["data"])
    assert data["name"] == "Ekby bygglov och strandskydd"
    assert data["purpose"] == "Svara på frågor om bygglov och strandskydd."
    assert data["update_frequency"] == "varje vecka"
    assert data["editors"] == ["maria@example.se"]


def test_unbalanced_quotes_are_explained(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    before = snapshot(h)
    reply = cmd(h, "omar@example.se", REQUEST.replace('uppdateras="varje vecka"', 'uppdateras="varje vecka'))
    assert not reply.ok and "citattecken saknar sin partner" in reply.text
    assert snapshot(h) == before
    assert "Skriv uppgifterna om kontot" in cmd(h, "omar@example.se", "/konto ansök").text


def test_unknown_subcommand_is_refused_with_help(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    reply = cmd(h, "lena@example.se", "/konto dansa")
    assert not reply.ok and "/konto ansök" in reply.text


def test_buttons_decide_like_the_commands(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    request_id = requested(h)
    assert accounts.do_action(h.ctx, "gustav@example.se", "account_approve", str(request_id)).ok
    with pytest.raises(Refused, match="Skriv varför"):
        accounts.do_action(h.ctx, "lena@example.se", "account_reject", str(request_id))
    reply = accounts.do_action(h.ctx, "lena@example.se", "account_reject", str(request_id), reason="Dubblett")
    assert reply.ok and h.ctx.db["account_requests"].get(request_id)["status"] == "rejected"


# --------------------------------------------------------------------------- closing (A6)


def test_closing_an_account_stops_its_oversight(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    reply = cmd(h, "per@example.se", "/konto stäng instagram Kontot används inte längre")
    assert reply.ok, reply.text
    assert "instagram" not in h.ctx.accounts
    assert h.ctx.db["accounts"].get("instagram")["status"] == "closed"
    notice = [m for _, m in h.sent("account_closed") if m.to == "#konto-instagram"]
    assert notice and "avskedsinlägg" in notice[0].text and "Kontot används inte längre" in notice[0].text
    audit = list(h.ctx.db.query("SELECT actor, subject FROM audit WHERE action = 'account.close'"))
    assert audit == [{"actor": "per@example.se", "subject": "instagram"}]
    h.clear()
    h.run_until(local(2026, 12, 8, 8, 31))
    assert {m.account for _, m in h.sent("oversight_prompt")} == {"facebook", "linkedin", "bibliotek"}


def test_only_owner_or_communicator_closes_and_a_reason_is_needed(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    before = snapshot(h)
    reply = cmd(h, "ida@example.se", "/konto stäng instagram Används inte")
    assert not reply.ok and "Bara kontots ansvarig (Per Holm) eller en kommunikatör" in reply.text
    reply = cmd(h, "per@example.se", "/konto stäng instagram")
    assert not reply.ok and "Skriv varför kontot ska stängas" in reply.text
    assert snapshot(h) == before
    assert cmd(h, "lena@example.se", "/konto stäng Slutar", "konto-bibliotek").ok  # a communicator, in the channel
    assert "bibliotek" not in h.ctx.accounts


def test_a_closed_requested_account_is_not_watched_after_restart(settings, tmp_path):
    path = tmp_path / "uppsikt.db"
    h = Harness(settings, local(2026, 12, 7, 9, 0), db=path)
    request_id = requested(h)
    accounts.decide(h.ctx, "gustav@example.se", request_id, True)
    accounts.decide(h.ctx, "lena@example.se", request_id, True)
    assert cmd(h, "omar@example.se", "/konto stäng bygglov Projektet är slut").ok
    h.ctx.db.conn.close()
    h2 = Harness(settings, local(2026, 12, 8, 9, 0), db=path)
    assert "bygglov" not in h2.ctx.accounts


# --------------------------------------------------------------------------- two-factor (A5)


def test_two_factor_reminder_once_none_after_attestation_again_after_twelve_months(harness):
    h = harness(local(2026, 12, 7, 9, 0))  # Monday
    sent = run_daily(h)
    fb = sorted(m.to for m in sent if m.account == "facebook")
    assert fb == ["karin@example.se", "lena@example.se", "per@example.se"]  # owner, editors, substitute, admins
    msg = next(m for m in sent if m.account == "facebook" and m.to == "lena@example.se")
    assert msg.kind == "two_factor_reminder" and "/konto intyga facebook" in msg.text
    assert "lösenord" in msg.text and [a.name for a in msg.actions] == ["two_factor_attest"]
    assert run_daily(h) == []  # once
    h.clock.set(local(2026, 12, 8, 9, 0))
    assert run_daily(h) == []  # not every day

    reply = cmd(h, "lena@example.se", "/konto intyga", "konto-facebook")
    assert reply.ok and "12 månader" in reply.text
    h.clock.set(local(2027, 1, 11, 9, 0))  # next month: the others are asked again, Lena for facebook is not
    again = {(m.account, m.to) for m in run_daily(h)}
    assert ("facebook", "per@example.se") in again and ("facebook", "lena@example.se") not in again
    assert ("instagram", "lena@example.se") in again  # attestation is per account

    h.clock.set(local(2027, 12, 7, 9, 0))  # a day short of twelve months
    assert ("facebook", "lena@example.se") not in {(m.account, m.to) for m in run_daily(h)}
    h.clock.set(local(2027, 12, 8, 9, 0))
    renew = [m for m in run_daily(h) if (m.account, m.to) == ("facebook", "lena@example.se")]
    assert len(renew) == 1 and "2026-12-08" in renew[0].text and "12 månader" in renew[0].text


def test_no_two_factor_reminders_on_days_off_or_when_policy_does_not_require(settings, harness):
    h = harness(local(2026, 12, 12, 9, 0))  # Saturday
    assert run_daily(h) == []
    relaxed = {
        k: dataclasses.replace(a, policy=dataclasses.replace(
            a.policy, accounts=dataclasses.replace(a.policy.accounts, require_two_factor=False)))
        for k, a in settings.accounts.items()
    }
    h2 = Harness(dataclasses.replace(settings, accounts=relaxed), local(2026, 12, 7, 9, 0))
    assert run_daily(h2) == []


def test_only_staff_attest_and_no_text_is_taken(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    before = snapshot(h)
    reply = cmd(h, "omar@example.se", "/konto intyga facebook")
    assert not reply.ok and "behöver du inte intyga" in reply.text
    reply = cmd(h, "lena@example.se", "/konto intyga facebook hemligt123")
    assert not reply.ok and "Skriv aldrig lösenord" in reply.text
    assert snapshot(h) == before
    assert accounts.do_action(h.ctx, "per@example.se", "two_factor_attest", "facebook").ok
    rows = list(h.ctx.db["attestations"].rows)
    assert [(r["account_id"], r["person"]) for r in rows] == [("facebook", "per@example.se")]


# --------------------------------------------------------------------------- information text (A7)


def test_information_text_follows_bilaga_1(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    text = cmd(h, "lena@example.se", "/konto infotext facebook").text
    acc = h.ctx.accounts["facebook"]
    assert "Ekby kommun" in text and "Kommunledningsförvaltningen" in text
    assert acc.purpose in text
    assert "kommunikation@example.se" in text
    assert "allmän handling" in text and "diarium" in text
    assert "senast inom en arbetsdag" in text
    sv = catalogue("sv")
    for g in acc.policy.moderation.grounds:
        assert sv[f"lifecycle.info_ground.{g}"] in text
    assert sv["lifecycle.info_ground.profanity"] not in text  # not a Lekeberg ground
    assert "tar vi bort" in text


def test_information_text_uses_the_accounts_reply_time_and_language(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    assert "inom 2 arbetsdagar" in accounts.information_text(h.ctx, "bibliotek")
    en = accounts.information_text(h.ctx, "bibliotek", "en")
    assert "public record" in en and "within 2 business days" in en and "bibliotek@example.se" in en


def test_every_ground_has_a_public_phrase_in_both_languages():
    for lang in ("sv", "en"):
        cat = catalogue(lang)
        assert all(f"lifecycle.info_ground.{g}" in cat for g in GROUND_IDS)


def test_information_text_is_plain_language(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    from bot.core.readability import readability

    r = readability(accounts.information_text(h.ctx, "facebook"))
    assert r.lix < 45 and not r.long_sentences


# --------------------------------------------------------------------------- klarspråk (Q8)


def test_klarsprak_flags_a_long_sentence_and_reports_lix(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    long = ("Med anledning av den omfattande ombyggnationen av återvinningscentralen kommer verksamheten under "
            "perioden att bedrivas med begränsade öppettider och vi ber därför samtliga besökare att i god tid "
            "kontrollera aktuella tider på kommunens webbplats innan besöket.")
    reply = cmd(h, "lena@example.se", f"/klarspråk Hej! {long} Välkommen!")
    assert reply.ok
    assert reply.text.startswith("LIX ")
    assert '"Med anledning av den omfattande ombyggnationen …"' in reply.text
    assert "Långa meningar" in reply.text and "svår att läsa" in reply.text


def test_reply_check_on_a_plain_reply(harness):
    h = harness(local(2026, 12, 7, 9, 0))
    text = accounts.reply_check(h.ctx, "Hej! Återvinningscentralen har öppet 10–16 i morgon. Du kan lämna grovsopor, "
                                       "el och trädgårdsavfall. Ta med ditt kort och legitimation. Välkommen! /Lena, kommunikatör")
    assert "Inga långa meningar" in text and "lättläst" in text
    assert accounts.reply_check(h.ctx, "  123 ") == ""
    assert not cmd(h, "lena@example.se", "/klarsprak").ok


def test_dates_in_request_list_are_local(harness):
    h = harness(local(2026, 12, 7, 0, 30))  # 23:30 UTC the day before
    requested(h)
    assert "2026-12-07" in accounts.render_requests(h.ctx)
    assert dt.date(2026, 12, 7) == h.ctx.today()


def test_an_account_removed_from_the_config_is_not_revived_from_the_store(settings, tmp_path):
    path = tmp_path / "uppsikt.db"
    h = Harness(settings, local(2026, 12, 7, 9, 0), db=path)
    assert "linkedin" in h.ctx.accounts
    h.ctx.db.conn.close()
    fewer = dataclasses.replace(settings, accounts={k: a for k, a in settings.accounts.items() if k != "linkedin"})
    h2 = Harness(fewer, local(2026, 12, 8, 9, 0), db=path)
    assert "linkedin" not in h2.ctx.accounts


def test_an_account_with_open_items_cannot_be_closed(harness):
    """Open questions are answered first, and the scheduler keeps working (items need their account)."""
    h = harness(local(2026, 12, 7, 9, 0))
    item, _ = h.bot.intake("instagram", "När öppnar simhallen i jul?", author="Kim", source="test", external_id="1")
    before = snapshot(h)
    reply = cmd(h, "per@example.se", "/konto stäng instagram Används inte")
    assert not reply.ok and f"1 öppna ärenden ({item['id']})" in reply.text
    assert snapshot(h) == before and "instagram" in h.ctx.accounts
    h.ctx.db["items"].update(item["id"], {"status": "closed", "next_nudge_at": None})
    assert cmd(h, "per@example.se", "/konto stäng instagram Används inte").ok
    h.run_until(local(2026, 12, 9, 9, 0))  # ticks keep running
    assert not h.sent("oversight_prompt", account="instagram")


def test_lifecycle_commands_reach_the_user_through_the_command_table(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    reply = h.bot.command("lena@example.se", "/konto ansökningar")
    assert reply.ok, reply.text
    assert not h.bot.command("lena@example.se", "/konto dansa").ok
    feedback = h.bot.command("lena@example.se", "/klarspråk Hej! Vi öppnar klockan tio.")
    assert feedback.ok and "LIX" in feedback.text
