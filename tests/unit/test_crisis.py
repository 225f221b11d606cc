"""Crisis alerts and crisis mode (K1, K2)."""

from __future__ import annotations

from bot.clock import from_epoch
from bot.core import crisis
from tests.conftest import local

FIRE = "Det brinner i en lägenhet på Storgatan 5, mycket rök! Ska vi evakuera?"


def test_detected_crisis_item_goes_to_crisis_group_at_once(harness):
    h = harness(local(2026, 12, 7, 22, 0))
    item, _ = h.bot.intake("facebook", FIRE, author="Granne", source="facebook", external_id="f1")
    [(at, alert)] = h.sent("crisis_alert")
    assert at == local(2026, 12, 7, 22, 0) and alert.to == "#krisgruppen"
    assert set(alert.mentions) == {"lena@example.se", "per@example.se", "karin@example.se", "johan@example.se"}
    assert "matchade" in alert.text and h.ctx.db["items"].get(item["id"])["crisis"] == 1


def test_escalate_by_reaction_once(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("instagram", "Vattnet luktar konstigt i hela Norrby idag", source="instagram", external_id="w")
    before = len(h.sent("crisis_alert"))
    assert h.bot.react("per@example.se", item["id"], "sos").ok
    assert len(h.sent("crisis_alert")) == before + 1
    again = h.bot.react("per@example.se", item["id"], "sos")
    assert not again.ok and "redan" in again.text
    assert not h.bot.react("omar@example.se", item["id"], "sos").ok


def test_only_crisis_group_and_chief_toggle(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    reply = h.bot.command("omar@example.se", "/kris på")
    assert not reply.ok and "Bara krisgruppen" in reply.text
    assert crisis.active_period(h.ctx) is None and h.sent("crisis_notice") == []
    assert h.bot.command("karin@example.se", "/kris på Storbrand i Norrby").ok
    assert not h.bot.command("karin@example.se", "/kris på").ok  # already on
    assert not h.bot.command("omar@example.se", "/kris av").ok
    assert crisis.active_period(h.ctx) is not None


def test_crisis_mode_changes_the_whole_bot(harness):
    h = harness(local(2026, 12, 12, 10, 0))  # Saturday
    assert h.bot.command("per@example.se", "/kris på Storbrand").ok
    notices = h.sent("crisis_notice")
    assert {m.to for _, m in notices} == {"#konto-facebook", "#konto-instagram", "#konto-linkedin", "#konto-bibliotek"}
    assert all("Ekby kommun (facebook" in m.text for _, m in notices)  # K2: the primary crisis account
    h.clock.set(local(2026, 12, 12, 10, 30))
    item, _ = h.bot.intake("linkedin", "Hur går det för de evakuerade? Var kan man hämta information?",
                           source="linkedin", external_id="l1")
    assert from_epoch(item["first_reply_due"]) == local(2026, 12, 12, 12, 30)  # crisis first reply: 2 hours
    copies = h.sent("crisis_item") + h.sent("crisis_alert")
    assert any(m.item == item["id"] and m.to == "#krisgruppen" for _, m in copies)
    h.run_until(local(2026, 12, 12, 16, 30))
    prompts = sorted({at for at, m in h.sent("crisis_prompt")})
    assert prompts == [local(2026, 12, 12, 12, 0), local(2026, 12, 12, 14, 0), local(2026, 12, 12, 16, 0)]
    h.bot.action("per@example.se", "answered", str(item["id"]), answer="Information finns på kommunens Facebooksida.")
    h.clock.set(local(2026, 12, 12, 17, 0))
    assert h.bot.command("karin@example.se", "/kris av").ok
    clear = h.sent("all_clear")
    summary = [m for _, m in clear if m.to == "#krisgruppen"][0]
    assert "7 tim 0 min" in summary.text and "Per Holm (1)" in summary.text and "1 avslutade" in summary.text
    assert len([m for _, m in clear if m.to.startswith("#konto-")]) == 4
    h.clock.set(local(2026, 12, 12, 17, 10))
    calm, _ = h.bot.intake("linkedin", "När är nästa rekryteringsträff?", source="linkedin", external_id="l2")
    assert from_epoch(calm["first_reply_due"]) == local(2026, 12, 15, 8, 0)  # normal business-day rules again
    h.run_until(local(2026, 12, 12, 23, 0))
    assert max(at for at, _ in h.sent("crisis_prompt")) == local(2026, 12, 12, 16, 0)
    actions = [r["action"] for r in h.ctx.db.query("SELECT action FROM audit WHERE action LIKE 'crisis.%' ORDER BY id")]
    assert actions[0] == "crisis.on" and actions[-1] == "crisis.off"


def test_status(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    assert "inte på" in h.bot.command("omar@example.se", "/kris status").text
    h.bot.command("lena@example.se", "/kris på Översvämning")
    assert "Översvämning" in h.bot.command("omar@example.se", "/kris").text
