"""Removal and registration (M1–M5, R2, R3) and reactions."""

from __future__ import annotations

import datetime as dt

from bot.clock import from_epoch
from bot.core import items
from tests.conftest import local

ATTACK = "Du är en jävla idiot Lena, sluta ljuga"
PNR = "Min son heter Olle, personnummer 811218-9876, varför har han inte fått skolskjuts?"


def removals(h):
    return list(h.ctx.db.query("SELECT * FROM removals ORDER BY id"))


def test_removal_asks_for_ground_then_keeps_the_full_record(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "Köp billiga solglasögon på www.fejk-rea.example nu!!!", author="Spammer AB",
                           source="facebook", external_id="s1", permalink="https://facebook.example/p/1")
    ask = h.bot.action("lena@example.se", "remove", str(item["id"]))
    assert ask.ok and "Välj grund" in ask.text
    assert ("advertising", "kommersiell reklam") in ask.data["choices"]
    assert removals(h) == []
    h.clock.set(local(2026, 12, 7, 10, 5))
    done = h.bot.action("lena@example.se", "remove", str(item["id"]), reason="advertising Spam")
    assert done.ok, done.text
    [r] = removals(h)
    assert (r["author"], r["ground"], r["decided_by"], r["account_id"]) == ("Spammer AB", "advertising", "lena@example.se", "facebook")
    assert r["text"] == item["text"] and r["permalink"] == "https://facebook.example/p/1"
    assert from_epoch(r["posted_at"]) == local(2026, 12, 7, 10, 0)
    assert from_epoch(r["decided_at"]) == local(2026, 12, 7, 10, 5)
    row = items.get(h.ctx, item["id"])
    assert row["status"] == "closed" and "reklam" in row["closed_reason"]
    assert h.sent("removal_registered")[0][1].to == "#konto-facebook"
    assert h.ctx.db["audit"].count_where("action = 'moderation.remove'") == 1


def test_ground_outside_policy_refused_and_nothing_changes(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "Hej, fin sida", source="facebook", external_id="x")
    reply = h.bot.action("lena@example.se", "remove", str(item["id"]), reason="profanity")  # Lekeberg does not list it
    assert not reply.ok and "inte en grund" not in reply.text and "ingen grund som policyn tillåter" in reply.text
    reply = h.bot.action("omar@example.se", "remove", str(item["id"]), reason="advertising")  # not staff
    assert not reply.ok and "kan inte ta bort" in reply.text
    assert removals(h) == [] and items.get(h.ctx, item["id"])["status"] == "noted"


def test_removal_starts_intensified_oversight(harness):
    h = harness(local(2026, 12, 11, 15, 0))
    item, _ = h.bot.intake("facebook", "Köp nu! Rabattkod på www.spam.example", source="facebook", external_id="x")
    h.bot.action("per@example.se", "remove", str(item["id"]), reason="advertising")
    h.run_until(local(2026, 12, 12, 12, 0))
    assert [at for at, m in h.sent("intensified_prompt") if m.account == "facebook"][0] == local(2026, 12, 11, 18, 0)


def test_confidential_data_alert_and_diarium(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", PNR, author="Mamma", source="facebook", external_id="p1")
    alert = h.sent("confidential_alert")[0][1]
    assert "Avpublicera" in alert.text and "811218-9876" not in alert.text
    assert h.bot.action("lena@example.se", "remove", str(item["id"]), reason="personal_data").ok
    row = items.get(h.ctx, item["id"])
    assert row["diarium"] == 1 and row["diarium_reason"] == "sekretess"
    assert removals(h)[0]["confidential"] == 1


def test_invalid_personnummer_is_not_confidential(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    h.bot.intake("facebook", "Mitt ärendenummer är 811218-9877, när får jag svar?", source="facebook", external_id="p2")
    assert h.sent("confidential_alert") == []


def test_repeat_offender_recommended_for_blocking(harness):
    h = harness(local(2026, 12, 1, 10, 0))
    for n, day in enumerate((1, 8), start=1):
        h.clock.set(local(2026, 12, day, 10, 0))
        item, _ = h.bot.intake("facebook", f"Rektorn Anna Berg på Byskolan är en lögnare och tjuv {n}", author="Troll",
                               source="facebook", external_id=f"t{n}")
        assert h.bot.action("lena@example.se", "remove", str(item["id"]), reason="personal_data").ok
    blocks = h.sent("block_recommended")
    assert len(blocks) == 1  # Lekeberg: 2 removals within 90 days
    msg = blocks[0][1]
    assert msg.to == "lena@example.se" and "Troll" in msg.text and "post 1" in msg.text and "post 2" in msg.text


def test_removals_by_different_authors_or_old_ones_do_not_count(harness):
    h = harness(local(2026, 6, 1, 10, 0))
    item, _ = h.bot.intake("facebook", "Handläggaren Eva Ek är korrupt", author="Troll", source="facebook", external_id="a")
    h.bot.action("lena@example.se", "remove", str(item["id"]), reason="personal_data")
    h.clock.set(local(2026, 12, 1, 10, 0))  # more than 90 days later
    item, _ = h.bot.intake("facebook", "Handläggaren Eva Ek är korrupt igen", author="Troll", source="facebook", external_id="b")
    h.bot.action("lena@example.se", "remove", str(item["id"]), reason="personal_data")
    item, _ = h.bot.intake("facebook", "Handläggaren Eva Ek ljuger", author="Annan", source="facebook", external_id="c")
    h.bot.action("lena@example.se", "remove", str(item["id"]), reason="personal_data")
    assert h.sent("block_recommended") == []


def test_threat_notifies_security_coordinator_on_intake_and_removal(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "Jag ska bränna ner kommunhuset och ni ska få se", author="Arg",
                           source="facebook", external_id="h1")
    first = h.sent("security_notified")
    assert [m.to for _, m in first] == ["johan@example.se"] and "misstänker" in first[0][1].text
    h.bot.action("lena@example.se", "remove", str(item["id"]), reason="threats_crime")
    notes = h.sent("security_notified")
    assert len(notes) == 2 and "registrerat" in notes[1][1].text and "Arg" in notes[1][1].text


def test_personal_attack_flagged_do_not_answer(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", ATTACK, source="facebook", external_id="a1")
    row = items.get(h.ctx, item["id"])
    assert "besvara inte" in row["flag"]
    card = [m for _, m in h.chat.sent if m.card == f"item:{item['id']}"][-1]
    assert [a.name for a in card.actions] == ["remove", "crisis"]


def test_reactions_follow_config_and_roles(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "När öppnar simhallen efter renoveringen?", source="facebook", external_id="r1")
    assert h.bot.react("erik@example.se", item["id"], "thumbsup") is None  # meaningless emoji ignored
    refused = h.bot.react("omar@example.se", item["id"], "wastebasket")
    assert refused is not None and not refused.ok and removals(h) == []
    ask = h.bot.react("lena@example.se", item["id"], ":wastebasket:")
    assert ask.ok and ask.data["choices"]
    assert items.get(h.ctx, item["id"])["assignee"] == "erik@example.se"  # simhall: Erik knows most
    take = h.bot.react("ida@example.se", item["id"], "raising_hand")
    assert take.ok and items.get(h.ctx, item["id"])["assignee"] == "ida@example.se"
    assert h.bot.react("ida@example.se", item["id"], "white_check_mark").ok
    assert items.get(h.ctx, item["id"])["status"] == "answered"


def test_removal_record_survives_as_public_record(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "Köp nu på www.spam.example", author="X", source="facebook", external_id="k")
    h.bot.command("lena@example.se", f"/ta-bort {item['id']} advertising Reklam")
    again = h.bot.command("lena@example.se", f"/ta-bort {item['id']} advertising")
    assert not again.ok and "redan" in again.text
    assert len(removals(h)) == 1 and removals(h)[0]["note"] == "Reklam"
    assert dt.date(2026, 12, 7) == from_epoch(removals(h)[0]["decided_at"]).date()
