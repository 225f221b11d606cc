"""The duty as a communicator expects it (issue 10, points 1–6): departed colleagues, synpunkter, the law's grounds, absence hand-over, crisis mode.

Each test names its point; each failed on the code before the fix (see the closing note of the branch).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import from_epoch, to_epoch
from bot.core import crisis, items, oversight, records, staff
from bot.settings import DEFAULT_CONFIG, GROUND_IDS, LAW_GROUNDS, load_settings
from tests.conftest import Harness, local

QUESTION_MARIA = "Hur ofta är det sophämtning i Norrby?"  # Maria Ek: återvinningscentral, sophämtning, avfall
QUESTION_OMAR = "Behöver jag bygglov för ett attefallshus?"  # Omar Haddad: bygglov, attefall
SYNPUNKT = "Det är en skandal att cykelvägarna inte plogas. Ni borde skämmas."
CRITICISM = "Helt oacceptabelt hur ni sköter snöröjningen på Storgatan."
PERSONNUMMER = "Mitt personnummer är 19811218-9876, ring mig"


def _config(tmp_path, policy: str = "lekeberg", drop_person: str | None = None, extra: str = "") -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace('policy = "lekeberg"', f'policy = "{policy}"')
    if drop_person:
        text = re.sub(rf'\[\[person\]\]\nemail = "{re.escape(drop_person)}"\n(?:(?!\[\[).*\n)*', "", text)
        assert drop_person not in text
    path = tmp_path / f"{policy}-{drop_person or 'all'}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _settings(tmp_path, **kwargs):
    return load_settings(_config(tmp_path, **kwargs))


def _intake(h, account, text, ext):
    item, _ = h.bot.intake(account, text, author="Invånare", source=account, external_id=ext)
    return item


def _row(h, item_id):
    return h.ctx.db["items"].get(item_id)


# --------------------------------------------------------------------------- 1. a departed colleague


def test_departed_colleague_holding_items_never_stops_the_tick(tmp_path, settings, caplog):
    """Point 1: Omar holds an open item and is named in absences; he is removed from the config."""
    db = tmp_path / "u.db"
    before = Harness(settings, local(2026, 12, 7, 9, 0), db=str(db))
    item = _intake(before, "facebook", QUESTION_OMAR, "q1")
    assert item["assignee"] == "omar@example.se"
    assert before.bot.command("maria@example.se", "/frånvaro 2026-12-21 2026-12-23 ersättare=omar@example.se").ok
    before.bot.db.close()

    without = _settings(tmp_path, drop_person="omar@example.se")
    h = Harness(without, local(2026, 12, 7, 9, 5), db=str(db))
    # Start-up says so in Swedish, and the item went to the account's responsible person with the reason.
    notes = "\n".join(h.bot.startup_notes)
    assert "omar@example.se finns inte längre i konfigurationen" in notes and f"ärenden {item['id']}" in notes
    assert "omar@example.se finns inte längre i konfigurationen" in caplog.text  # the start-up log says so
    row = _row(h, item["id"])
    assert row["assignee"] == "lena@example.se" and "omar@example.se" in row["assigned_reason"]
    cards = [m for _, m in h.sent("item_updated") if m.item == item["id"]]
    assert ("Ansvarig", "Lena Berg") in cards[-1].fields
    assert ("Varför", row["assigned_reason"]) in cards[-1].fields  # the reason is on the card
    assert [m for _, m in h.sent("assignment") if m.item == item["id"] and m.to == "lena@example.se"]
    told = h.sent("departed")
    assert [m.to for _, m in told] == ["lena@example.se"] and "finns inte längre" in told[0][1].text
    # Every tick keeps running for everyone: the nudges, the next day's prompts for all four accounts.
    h.run_until(local(2026, 12, 8, 9, 0))
    assert {m.account for at, m in h.sent("oversight_prompt") if at.date() == dt.date(2026, 12, 8)} == {
        "facebook", "instagram", "linkedin", "bibliotek"}
    assert not [m for _, m in h.chat.sent if m.to == "omar@example.se"]
    # Maria's stand-in while away is not the one who left.
    assert staff.stand_in(h.ctx, "maria@example.se", dt.date(2026, 12, 22))[0] != "omar@example.se"
    h.bot.db.close()
    again = Harness(without, local(2026, 12, 8, 10, 0), db=str(db))
    assert again.sent("departed") == []  # the communicators are told once


def test_departed_owner_of_a_requested_account_is_passed_over(tmp_path, settings):
    """Point 1: Omar owns an account approved through a request (stored in the database) and left."""
    db = tmp_path / "u.db"
    before = Harness(settings, local(2026, 12, 7, 9, 0), db=str(db))
    request = ('/konto ansök id=bygglov plattform=facebook namn="Ekby bygglov" enhet=samhallsbyggnad '
               "kanal=konto-bygglov ansvarig=omar@example.se redaktörer=maria@example.se ersättare=maria@example.se "
               'syfte="Svara på frågor om bygglov." målgrupp="Invånare som vill bygga." innehåll="Tips om bygglov." '
               "uppdateras=\"varje vecka\" kontakt=bygglov@example.se")
    for actor, line in (("omar@example.se", request), ("gustav@example.se", "/konto godkänn 1"),
                        ("lena@example.se", "/konto godkänn 1")):
        assert before.bot.command(actor, line).ok, line
    assert before.bot.command("omar@example.se", "/uppsikt klart bygglov").ok
    before.bot.db.close()
    h = Harness(_settings(tmp_path, drop_person="omar@example.se"), local(2026, 12, 8, 7, 0), db=str(db))
    assert "ansvarig för kontot bygglov" in "\n".join(h.bot.startup_notes)
    h.run_until(local(2026, 12, 8, 16, 0))
    [(_, prompt)] = h.sent("oversight_prompt", account="bygglov")
    assert prompt.mentions == ("maria@example.se",) and "omar@example.se" in prompt.text
    assert not [m for _, m in h.chat.sent if m.to == "omar@example.se"]
    assert "omar@example.se" in h.bot.command("lena@example.se", "/rapport 2026-12-07 2026-12-08").text
    assert h.bot.command("lena@example.se", "/uppsikt status").ok


def test_check_config_names_a_departed_colleague_in_swedish(tmp_path, settings, capsys):
    """Point 1: check-config with the database says who left and what they still hold."""
    db = tmp_path / "u.db"
    before = Harness(settings, local(2026, 12, 7, 9, 0), db=str(db))
    item = _intake(before, "facebook", QUESTION_OMAR, "q1")
    before.bot.db.close()
    path = _config(tmp_path, drop_person="omar@example.se")
    assert main(["check-config", str(path), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "omar@example.se finns inte längre i konfigurationen" in out and f"öppna ärenden {item['id']}" in out


def test_one_failing_unit_never_rolls_back_the_others(harness, monkeypatch):
    """Point 1: one item's and one account's failure is isolated, logged and reported; the rest goes out."""
    h = harness(local(2026, 12, 7, 7, 0))
    bad = _intake(h, "facebook", QUESTION_MARIA, "q1")
    good = _intake(h, "instagram", "Var kan jag lämna grovsopor?", "q2")
    real_stage, real_prompt = items._stage_messages, oversight._prompt

    def stage(ctx, account, item, st):
        if item["id"] == bad["id"]:
            raise RuntimeError("trasig påminnelse")
        return real_stage(ctx, account, item, st)

    def prompt(ctx, account, *args):
        if account.id == "linkedin":
            raise RuntimeError("trasig uppmaning")
        return real_prompt(ctx, account, *args)

    monkeypatch.setattr(items, "_stage_messages", stage)
    monkeypatch.setattr(oversight, "_prompt", prompt)
    h.run_until(local(2026, 12, 7, 16, 0))
    assert {m.account for _, m in h.sent("oversight_prompt")} == {"facebook", "instagram", "bibliotek"}
    assert [m for _, m in h.sent("nudge") if m.item == good["id"]]
    assert not [m for _, m in h.sent("nudge") if m.item == bad["id"]]
    failures = h.sent("tick_failure")
    assert {m.to for _, m in failures} == {"lena@example.se"}
    assert any(f"ärende {bad['id']}" in m.text for _, m in failures)
    assert any("uppsikten av Ekby kommun" in m.text for _, m in failures)
    assert len(failures) == 2  # once per unit and day, though every tick tried again
    subjects = {r["subject"] for r in h.ctx.db.query("SELECT subject FROM audit WHERE action = 'tick.failure'")}
    assert subjects == {f"item:{bad['id']}", "oversight:linkedin"}
    monkeypatch.setattr(items, "_stage_messages", real_stage)  # fixed: the item is reminded again
    monkeypatch.setattr(oversight, "_prompt", real_prompt)
    h.run_until(local(2026, 12, 7, 18, 0))
    assert [m for _, m in h.sent("nudge") + h.sent("escalation") if m.item == bad["id"]]
    assert [m for _, m in h.sent("oversight_prompt") if m.account == "linkedin"]


def test_failing_scheduled_work_is_tried_again_in_an_hour_not_at_every_tick(harness, monkeypatch):
    """Point 1: a failing crisis prompt or intensified prompt is retried hourly, reported once a day."""
    h = harness(local(2026, 12, 7, 9, 0))
    assert h.bot.command("lena@example.se", "/uppsikt känsligt facebook timmar=1 Ny detaljplan").ok
    real = oversight._intensified

    def broken(ctx, account, now):
        raise RuntimeError("trasig tillsyn")

    monkeypatch.setattr(oversight, "_intensified", broken)
    h.run_until(local(2026, 12, 7, 15, 0))
    attempts = h.ctx.db["audit"].count_where("action = 'tick.failure' AND subject = 'oversight:facebook'")
    assert 1 <= attempts <= 7  # hourly, not at every simulated second
    monkeypatch.setattr(oversight, "_intensified", real)
    assert h.bot.command("karin@example.se", "/kris på Storbrand").ok
    monkeypatch.setattr(crisis, "tick", lambda ctx: (_ for _ in ()).throw(RuntimeError("trasig krisprompt")))
    h.run_until(local(2026, 12, 7, 21, 0))
    assert 1 <= h.ctx.db["audit"].count_where("action = 'tick.failure' AND subject = 'crisis'") <= 7
    assert len([m for _, m in h.sent("tick_failure") if "krisläget" in m.text]) == 1


# --------------------------------------------------------------------------- 2. synpunkter and criticism


@pytest.mark.parametrize("policy,text,tracked", [
    ("lekeberg", SYNPUNKT, True), ("vaggeryd", CRITICISM, True), ("nora", SYNPUNKT, True),
    ("rattvik", SYNPUNKT, False), ("tyreso", CRITICISM, False),
])
def test_synpunkt_and_criticism_get_an_assignee_and_a_deadline_where_the_policy_says(tmp_path, policy, text, tracked):
    """Point 2: `deadlines.answer_synpunkter`, on in Vaggeryd, Nora and Lekeberg."""
    s = _settings(tmp_path, policy=policy)
    assert s.policy.deadlines.answer_synpunkter is tracked
    h = Harness(s, local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", text, "s1")
    if tracked:
        assert item["status"] == "open" and item["assignee"] and item["first_reply_due"]
        assert from_epoch(item["first_reply_due"]) > local(2026, 12, 7, 10, 0)
        assert [m for _, m in h.sent("assignment") if m.item == item["id"]]
    else:
        assert item["status"] == "noted" and item["assignee"] is None
    attack = _intake(h, "facebook", "Helt oacceptabelt, du är en idiot Lena", "s2")  # M5: not answered, removed
    assert attack["status"] == "noted" and attack["flag"]


def test_a_synpunkt_is_registered_whether_or_not_it_was_answered(tmp_path):
    """Point 2 (R1): one nobody answers (Rättvik), one removed, one closed without reply."""
    rattvik = Harness(_settings(tmp_path, policy="rattvik"), local(2026, 12, 7, 10, 0))
    noted = _intake(rattvik, "facebook", SYNPUNKT, "s1")
    assert (_row(rattvik, noted["id"])["diarium"], _row(rattvik, noted["id"])["diarium_reason"]) == (1, "synpunkt")
    h = Harness(_settings(tmp_path), local(2026, 12, 7, 10, 0))
    removed = _intake(h, "facebook", SYNPUNKT + " Idioter!", "s2")
    assert h.bot.command("lena@example.se", f"/ta-bort {removed['id']} profanity").ok is False  # not Lekeberg's
    assert h.bot.command("lena@example.se", f"/ta-bort {removed['id']} personal_attack").ok
    assert _row(h, removed["id"])["diarium"] == 1
    closed = _intake(h, "facebook", CRITICISM, "s3")
    assert h.bot.command("lena@example.se", f"/ärende {closed['id']} inget-svar samtal mellan invånare").ok
    assert _row(h, closed["id"])["diarium"] == 1
    waiting = _intake(h, "facebook", "Jag tycker att biblioteket borde ha öppet längre på lördagar.", "s4")
    assert waiting["status"] == "open"  # Lekeberg answers synpunkter; this one is not answered yet
    exported = {r["item_id"]: r for r in records.export_diarium(h.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 7))}
    assert {removed["id"], closed["id"], waiting["id"]} <= set(exported)
    assert exported[waiting["id"]]["record_type"] == "synpunkt" and exported[waiting["id"]]["answer"] == ""
    tyreso = Harness(_settings(tmp_path, policy="tyreso"), local(2026, 12, 7, 10, 0))  # "behöver inte diarieföras"
    _intake(tyreso, "facebook", SYNPUNKT, "s1")
    assert records.export_diarium(tyreso.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 7)) == []


def test_weeding_never_deletes_what_should_have_been_marked_for_the_diarium(harness):
    """Point 2 (R5): a synpunkt, a direct message and confidential data left unmarked are kept."""
    h = harness(local(2026, 8, 3, 10, 0))
    keep = [_intake(h, "facebook", SYNPUNKT, "s1"), _intake(h, "facebook", PERSONNUMMER, "c1"),
            h.bot.intake("facebook", "Hej, tack för senast", kind="dm", source="facebook", external_id="d1")[0]]
    minor = _intake(h, "facebook", "Tack för en fin sagostund!", "t1")
    for it in keep:  # as if stored before the marking rules, or marked by no one
        h.ctx.db.execute("UPDATE items SET diarium = 0, diarium_reason = '', status = 'closed' WHERE id = ?", [it["id"]])
    h.clock.set(local(2026, 12, 7, 3, 0))
    with h.ctx.db.atomic():
        records.weed(h.ctx)
    remaining = {r["id"] for r in h.ctx.db.query("SELECT id FROM items")}
    assert {it["id"] for it in keep} <= remaining and minor["id"] not in remaining


# --------------------------------------------------------------------------- 3. removals the law requires


def test_rattvik_removes_a_personnummer_right_after_its_own_alert(tmp_path):
    """Point 3: Rättvik's preset lists only hets and hot, yet confidential data must come down (R3)."""
    h = Harness(_settings(tmp_path, policy="rattvik"), local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", PERSONNUMMER, "c1")
    [(_, alert)] = h.sent("confidential_alert")
    assert "Avpublicera" in alert.text
    reply = h.bot.command("lena@example.se", f"/ta-bort {item['id']} personal_data")
    assert reply.ok, reply.text
    assert (_row(h, item["id"])["diarium"], _row(h, item["id"])["diarium_reason"]) == (1, "sekretess")


@pytest.mark.parametrize("policy", ["vaggeryd", "tyreso", "lekeberg", "rattvik", "nora"])
def test_a_preset_or_override_may_add_grounds_never_take_the_laws_away(tmp_path, policy):
    """Point 3: every preset, and an override that lists only advertising, keeps the law's grounds."""
    s = _settings(tmp_path, policy=policy, extra='\n[account.policy.moderation]\ngrounds = ["advertising"]\n')
    assert set(LAW_GROUNDS) <= set(s.policy.moderation.grounds)
    lib = s.accounts["bibliotek"].policy.moderation.grounds
    assert set(LAW_GROUNDS) | {"advertising"} == set(lib)
    assert {"hate", "threats_crime", "illegal_imagery", "personal_data"} == set(LAW_GROUNDS)


def test_tyreso_may_remove_what_is_off_topic(tmp_path):
    """Point 3: Tyresö "saknar relevans för sidans ämne"; Lekeberg has no such ground."""
    assert "off_topic" in GROUND_IDS
    h = Harness(_settings(tmp_path, policy="tyreso"), local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", "Vem vann fotbollsmatchen igår", "o1")
    listing = h.bot.command("lena@example.se", f"/ta-bort {item['id']}").text
    assert "saknar relevans för sidans ämne" in listing
    assert h.bot.command("lena@example.se", f"/ta-bort {item['id']} ovidkommande").ok
    assert h.ctx.db["removals"].get(1)["ground"] == "off_topic"
    lek = Harness(_settings(tmp_path), local(2026, 12, 7, 10, 0))
    other = _intake(lek, "facebook", "Vem vann fotbollsmatchen igår", "o1")
    assert not lek.bot.command("lena@example.se", f"/ta-bort {other['id']} ovidkommande").ok


# --------------------------------------------------------------------------- 4. grounds in Swedish


@pytest.mark.parametrize("word,ground", [
    ("personangrepp", "personal_attack"), ("PERSONANGREPP", "personal_attack"), ("olampligt", "offensive_remarks"),
    ("olämpligt", "offensive_remarks"), ("kränkande", "offensive_remarks"), ("krankande", "offensive_remarks"),
    ("upphovsratt", "copyright"), ("hot", "threats_crime"), ("hets", "hate"), ("personuppgifter", "personal_data"),
    ("personal_attack", "personal_attack"),
])
def test_ta_bort_takes_the_swedish_ground_names(harness, word, ground):
    """Point 4: `/ta-bort 3 personangrepp` and ASCII spellings work."""
    h = harness(local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", "Du är en idiot Lena", "a1")
    reply = h.bot.command("lena@example.se", f"/ta-bort {item['id']} {word} skrivet i affekt")
    assert reply.ok, reply.text
    removal = h.ctx.db["removals"].get(1)
    assert removal["ground"] == ground and removal["note"] == "skrivet i affekt"


def test_the_grounds_the_bot_shows_are_swedish(harness):
    """Point 4: the list after `/ta-bort N`, the suggestion and the refusal name no English id."""
    h = harness(local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", "Du är en idiot Lena", "a1")
    shown = h.bot.command("lena@example.se", f"/ta-bort {item['id']}").text
    refused = h.bot.command("lena@example.se", f"/ta-bort {item['id']} svammel")
    assert not refused.ok and "svammel" in refused.text
    for text in (shown, refused.text):
        assert "personangrepp" in text and "hot (hot, uppmaning till brott" in text
        assert not [g for g in GROUND_IDS if g in text], text
    assert "Förslag från Uppsikt: personangrepp" in shown


# --------------------------------------------------------------------------- 5. absence moves the work


def test_registering_an_absence_moves_open_items_and_todays_prompt_at_once(harness):
    """Point 5: Maria's item goes to her substitute; Lena's prompt already posted goes to hers."""
    h = harness(local(2026, 12, 7, 8, 0))
    item = _intake(h, "instagram", QUESTION_MARIA, "q1")
    assert item["assignee"] == "maria@example.se"
    h.run_until(local(2026, 12, 7, 9, 0))
    [(_, prompt)] = h.sent("oversight_prompt", account="facebook")
    assert prompt.mentions == ("lena@example.se",)
    assert h.bot.command("maria@example.se", "/frånvaro 2026-12-07 2026-12-11 ersättare=omar@example.se").ok
    row = _row(h, item["id"])
    assert row["assignee"] == "omar@example.se" and "Maria" in row["assigned_reason"] and "2026-12-11" in row["assigned_reason"]
    card = [m for _, m in h.sent("item_updated") if m.item == item["id"]][-1]
    assert ("Ansvarig", "Omar Haddad") in card.fields and ("Varför", row["assigned_reason"]) in card.fields
    assert [m for _, m in h.sent("assignment", to="omar@example.se") if m.item == item["id"]]
    assert h.bot.command("lena@example.se", "/frånvaro 2026-12-07 2026-12-08 ersättare=karin@example.se").ok
    [(_, handed)] = h.sent("oversight_handover")
    assert handed.to == "karin@example.se" and handed.account == "facebook" and "Lena" in handed.text
    assert handed.actions[0].name == "oversight_done"


def test_an_absence_registered_in_advance_moves_the_work_at_its_start(harness):
    """Point 5: registered on Monday for Thursday: the item moves on Thursday, not before."""
    h = harness(local(2026, 12, 7, 8, 0))
    item = _intake(h, "instagram", QUESTION_MARIA, "q1")
    h.bot.action("maria@example.se", "forwarded", str(item["id"]))  # the full-answer clock runs five days
    assert h.bot.command("maria@example.se", "/frånvaro 2026-12-10 2026-12-11 ersättare=omar@example.se").ok
    h.run_until(local(2026, 12, 9, 23, 0))
    assert _row(h, item["id"])["assignee"] == "maria@example.se"
    h.run_until(local(2026, 12, 10, 8, 0))
    row = _row(h, item["id"])
    assert row["assignee"] == "omar@example.se" and "frånvarande" in row["assigned_reason"]


def test_nudges_and_escalations_never_go_to_someone_absent(harness):
    """Point 5: Lena (owner and the only communicator) is away: the next present person gets them, and why."""
    h = harness(local(2026, 12, 7, 8, 0))
    assert h.bot.command("lena@example.se", "/frånvaro 2026-12-07 2026-12-18").ok
    item = _intake(h, "facebook", QUESTION_MARIA, "q1")
    h.run_until(local(2026, 12, 10, 17, 0))
    reminders = ("nudge", "escalation", "oversight_reminder", "oversight_escalation")
    to_lena = [m for _, m in h.chat.sent if m.to == "lena@example.se" and m.kind in reminders]
    assert to_lena == []
    esc = [m for _, m in h.sent("escalation") if m.item == item["id"]]
    owner = [m for m in esc if m.to == "per@example.se"]
    chief = [m for m in esc if m.to == "karin@example.se"]
    assert owner and "Lena" in owner[0].text and "frånvarande" in owner[0].text
    assert chief and "Lena" in chief[0].text
    assert [m for _, m in h.sent("oversight_escalation") if m.to == "karin@example.se"]


def test_a_named_substitute_outside_the_staff_may_log_the_check(harness):
    """Point 5 (O4): Omar is not on Facebook's staff but is Lena's named substitute today."""
    h = harness(local(2026, 12, 7, 9, 0))
    assert not h.bot.command("omar@example.se", "/uppsikt klart facebook").ok
    assert h.bot.command("lena@example.se", "/frånvaro 2026-12-07 2026-12-08 ersättare=omar@example.se").ok
    assert h.bot.command("omar@example.se", "/uppsikt klart facebook Inga nya kommentarer").ok
    assert oversight.checks_on(h.ctx, "facebook", dt.date(2026, 12, 7))[0]["person"] == "omar@example.se"
    assert not h.bot.command("omar@example.se", "/uppsikt klart bibliotek").ok  # Lena is not on its staff


def test_coverage_warnings_cover_holiday_watch_days(harness):
    """Point 5 (O2): the library's staff are away only over Christmas; 26 December is a watch day."""
    h = harness(local(2026, 12, 14, 9, 0))
    assert oversight.is_watch_day(h.ctx, h.ctx.accounts["bibliotek"], dt.date(2026, 12, 26))
    h.bot.command("ida@example.se", "/frånvaro 2026-12-24 2026-12-27")
    h.bot.command("erik@example.se", "/frånvaro 2026-12-24 2026-12-27")
    h.run_until(local(2026, 12, 24, 9, 0))
    warnings = [m for _, m in h.sent("coverage_warning") if m.account == "bibliotek"]
    assert len(warnings) == 1 and "2026-12-26" in warnings[0].text


def test_the_accounts_own_substitute_is_told_when_the_account_is_left_without_a_stand_in(harness):
    """Point 5: Erik is the library's substitute and its only colleague beside Ida."""
    h = harness(local(2026, 12, 1, 9, 0))
    reply = h.bot.command("erik@example.se", "/frånvaro 2026-12-14 2026-12-18")
    assert reply.ok and "står utan ersättare 2026-12-14–2026-12-18" in reply.text
    sent = h.sent("no_stand_in")
    assert {m.to for _, m in sent} == {"erik@example.se", "lena@example.se"}
    assert all(m.account == "bibliotek" for _, m in sent)
    # Per is Facebook's substitute, but Karin is also on its staff: Facebook keeps a stand-in.
    assert "står utan ersättare" not in h.bot.command("per@example.se", "/frånvaro 2026-12-14 2026-12-18").text
    # Erik names his own stand-in for another week: the library is not left without one.
    assert "står utan ersättare" not in h.bot.command(
        "erik@example.se", "/frånvaro 2027-01-11 2027-01-15 ersättare=maria@example.se").text


# --------------------------------------------------------------------------- 6. crisis mode takes over


def test_in_crisis_mode_new_items_go_to_the_crisis_group(harness):
    """Point 6 (K1): a building-permit question goes to the crisis group, not to Omar."""
    h = harness(local(2026, 12, 7, 10, 0))
    assert h.bot.command("karin@example.se", "/kris på Storbrand").ok
    item = _intake(h, "instagram", QUESTION_OMAR, "q1")
    group = set(h.ctx.role_holders("crisis_group"))
    assert item["assignee"] in group and "Krisläge" in item["assigned_reason"]
    assert [m for _, m in h.sent("crisis_item") if m.item == item["id"] and m.to == "#krisgruppen"]


def test_crisis_mode_pauses_ordinary_prompts_and_nudges_and_names_who_is_on_duty(harness):
    """Point 6: documented choice: crisis prompts replace the daily prompt, reminders and item nudges."""
    h = harness(local(2026, 12, 7, 7, 0))
    before = _intake(h, "instagram", QUESTION_MARIA, "q1")
    h.bot.command("johan@example.se", "/frånvaro 2026-12-07 2026-12-08")
    assert h.bot.command("lena@example.se", "/uppsikt känsligt facebook timmar=1 Ny detaljplan").ok
    assert h.bot.command("karin@example.se", "/kris på Storbrand").ok
    h.run_until(local(2026, 12, 7, 16, 30))
    for kind in ("oversight_prompt", "oversight_reminder", "oversight_escalation", "intensified_prompt"):
        assert h.sent(kind) == [], kind
    assert not [m for _, m in h.sent("nudge") + h.sent("escalation") if m.item == before["id"]]
    prompts = h.sent("crisis_prompt")
    assert prompts and all("I tjänst i krisgruppen: Lena Berg, Per Holm, Karin Sjöberg." in m.text for _, m in prompts)
    assert all("Johan" not in m.text for _, m in prompts)  # away today


def test_when_crisis_mode_ends_items_get_their_ordinary_deadlines_back(harness):
    """Point 6: the crisis item's two-hour deadline becomes the business-day one; paused reminders resume."""
    h = harness(local(2026, 12, 7, 9, 0))
    # Installed the week before: the day's oversight round belongs to Uppsikt (a calm first start would skip it).
    h.ctx.set_state("installed_at", str(to_epoch(local(2026, 11, 30, 7, 0))))
    before = _intake(h, "instagram", QUESTION_MARIA, "q1")
    assert h.bot.command("karin@example.se", "/kris på Storbrand").ok
    during = _intake(h, "bibliotek", "Har biblioteket öppet i kväll?", "q2")
    assert from_epoch(during["first_reply_due"]) == local(2026, 12, 7, 11, 0)
    assert _row(h, before["id"])["next_nudge_at"] is None
    h.clock.set(local(2026, 12, 7, 10, 0))
    assert h.bot.command("karin@example.se", "/kris av").ok
    ordinary = h.ctx.calendar(h.ctx.accounts["bibliotek"].policy).deadline(local(2026, 12, 7, 9, 0), 2)
    assert from_epoch(_row(h, during["id"])["first_reply_due"]) == ordinary
    assert _row(h, during["id"])["next_nudge_at"] is not None
    assert _row(h, before["id"])["next_nudge_at"] is not None
    h.run_until(local(2026, 12, 7, 17, 0))
    assert [m for _, m in h.sent("nudge") if m.item == before["id"]]
    assert [m for _, m in h.sent("oversight_prompt")]  # nobody checked during the crisis: prompted now


def test_a_crisis_tagged_post_always_reaches_the_crisis_group(harness):
    """Point 6: crisis words that trigger nothing else, also when the item takes the id of one erased."""
    h = harness(local(2026, 12, 7, 10, 0))
    texts = ["Strömavbrott i hela Norrby sedan i morse", "Gasläcka vid skolan", "Översvämning på Storgatan"]
    from bot.core.classify import classify

    for text in texts:
        assert [t.id for t in classify(text)] == ["crisis"]
    first = _intake(h, "linkedin", texts[0], "k1")
    with h.ctx.db.atomic():  # an erasure (or weeding) frees the newest id
        records.delete_items(h.ctx, [first["id"]])
    second = _intake(h, "linkedin", texts[1], "k2")
    assert second["id"] == first["id"]
    assert h.bot.command("karin@example.se", "/kris på Storbrand").ok
    third = _intake(h, "facebook", texts[2], "k3")
    alerted = {(m.item, m.text.split('"')[1]) for _, m in h.sent("crisis_alert") if m.to == "#krisgruppen"}
    assert {(first["id"], texts[0]), (second["id"], texts[1]), (third["id"], texts[2])} <= alerted
    assert crisis.active_period(h.ctx) is not None
