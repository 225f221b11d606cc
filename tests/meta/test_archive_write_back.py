"""Issue 12: what the municipality does through Uppsikt is archived too, against the mock Graph API.

A reply published from the card is a new own object (via "uppsikt") under the citizen's comment; a removal
registered under the removal rules is `removed` with its ground and decision-maker, and the hide and the
midnight delete done through the Graph port are events with the colleague as actor; marking for the diarium
is `registered`, with the secrecy flag where the reason is "sekretess" (R3)."""

from __future__ import annotations

import json

from bot.core import archive
from tests.conftest import local

LENA = "lena@example.se"
ANSWER = "Hej Anna! Simhallen öppnar igen den 12 januari."


def _events(w, source: str, external_id: str) -> list[tuple[str, str]]:
    obj = archive.find(w.ctx, source, external_id)
    return [(e["kind"], e["actor"]) for e in archive.events(w.ctx, obj["id"])]


def test_a_reply_published_through_uppsikt_is_an_own_object_under_the_comment(world):
    w = world()
    item_id = w.comment("311_1", "När öppnar simhallen efter renoveringen?")
    assert w.bot.action(LENA, "take", str(item_id)).ok
    assert w.bot.action(LENA, "reply", str(item_id), answer=ANSWER, confirm="1").ok
    [posted] = w.api.replies("311_1")
    reply = archive.find(w.ctx, "facebook", posted["id"])
    assert reply is not None, "the published reply is not in the archive"
    assert (reply["own"], reply["via"], reply["parent_external_id"], reply["item_id"]) == (1, "uppsikt", "311_1", None)
    assert archive.versions(w.ctx, reply["id"])[0]["text"] == posted["message"]
    assert json.loads(archive.versions(w.ctx, reply["id"])[0]["raw_json"])["parent_id"] == "311_1"
    assert _events(w, "facebook", posted["id"]) == [("captured", LENA)]
    assert reply["author"] == "Lena Berg"
    hits = w.bot.command(LENA, "/sök 12 januari").data["results"]
    assert ("archive", reply["id"], True) in {(r["record_type"], r["id"], r.get("own")) for r in hits}


def test_a_removal_is_removed_with_ground_and_decision_maker_then_hidden_and_deleted_by_the_colleague(world):
    w = world()
    item_id = w.comment("311_2", "Du är en idiot och borde sparkas, Lena Berg.")
    assert w.bot.action(LENA, "remove", str(item_id), reason="personal_attack").ok
    w.clock.set(local(2026, 12, 8, 0, 1))
    w.bot.flush()
    assert "311_2" in w.api.deleted
    events = _events(w, "facebook", "311_2")
    assert events == [("captured", "platform"), ("removed", LENA), ("hidden", LENA), ("deleted", LENA)]
    obj = archive.find(w.ctx, "facebook", "311_2")
    removed = next(e for e in archive.events(w.ctx, obj["id"]) if e["kind"] == "removed")
    detail = json.loads(removed["detail"])
    assert detail["ground"] == "personal_attack" and detail["decided_by"] == LENA and detail["removal"] >= 1
    assert obj["state"] == "deleted" and archive.versions(w.ctx, obj["id"])[0]["text"].startswith("Du är en idiot")


def test_an_undo_through_uppsikt_is_an_unhide_event(world):
    w = world()
    item_id = w.comment("311_3", "Köp billiga solglasögon på www.example.com!!!")
    assert w.bot.action(LENA, "remove", str(item_id), reason="advertising").ok
    assert w.bot.action(LENA, "platform_undo", str(item_id)).ok
    kinds = [k for k, _ in _events(w, "facebook", "311_3")]
    assert kinds == ["captured", "removed", "hidden", "unhidden"]
    assert archive.find(w.ctx, "facebook", "311_3")["state"] == "visible"


def test_marking_for_the_diarium_registers_the_object_with_its_secrecy_flag(world):
    w = world()
    item_id = w.comment("311_4", "Jag vill lämna en synpunkt om badet: öppna tidigare på morgonen.")
    assert w.bot.command(LENA, f"/diarium {item_id} sekretess").ok
    obj = archive.find(w.ctx, "facebook", "311_4")
    [registered] = [e for e in archive.events(w.ctx, obj["id"]) if e["kind"] == "registered"]
    assert registered["actor"] == LENA and json.loads(registered["detail"]) == {"reason": "sekretess", "secrecy": True}
    assert obj["record"] == 1 and obj["secrecy"] == 1
