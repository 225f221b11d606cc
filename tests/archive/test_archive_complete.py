"""Issue 12 points 3 and 6: the complete archive through the real entry points.

Signed Meta webhook deliveries (bot/adapters/webhooks.py `handle`), the facade's commands (`/sök`, `/arkiv`),
the nightly tick (weeding, R5) and the command line (`uppsikt search`, `uppsikt export release`,
`uppsikt archive hold|release|holds`)."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.core import archive, records
from bot.settings import DEFAULT_CONFIG, load_settings
from tests.conftest import Harness, local
from tests.unit.test_props import changed_tables, is_swedish, snapshot
from tests.unit.test_webhooks import FB_PAGE, IG_ACCOUNT, POST_ID, comment, dumps, feed, meta_post

START = local(2026, 3, 2, 10, 0)  # a Monday
ARKIVARIE = "arkiv@example.se"
LENA = "lena@example.se"  # communicator, owner of "facebook"
OMAR = "omar@example.se"  # other staff
ERIK = "erik@example.se"  # manager of kultur-fritid (the unit of "bibliotek")
KARIN = "karin@example.se"  # communications chief

RECORDS_OFFICER = '''
[[person]]
email = "arkiv@example.se"
name = "Astrid Arkivarie"
title = "arkivarie"
unit = "kommunledning"
roles = ["records_officer"]
'''


@functools.cache
def config_path() -> Path:
    """The example config with a records officer (arkivarie) added."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    head, sep, tail = text.partition("\n# Emoji reactions")
    path = Path(tempfile.mkdtemp(prefix="uppsikt-archive-")) / "arkiv.toml"
    path.write_text(head + RECORDS_OFFICER + sep + tail, encoding="utf-8")
    return path


@pytest.fixture
def h(tmp_path) -> Harness:
    return Harness(load_settings(config_path()), START, db=tmp_path / "uppsikt.db")


def deliver(h: Harness, payload: dict) -> str:
    resp = meta_post(h, dumps(payload))
    assert resp.status == 200, resp.body
    return resp.body.decode()


def cli(capsys, h: Harness, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--config", str(config_path()), "--db", str(h.bot.database_file())])
    out = capsys.readouterr()
    return code, out.out, out.err


# --------------------------------------------------------------------------- capture at the source


def test_an_edited_and_then_deleted_comment_is_found_with_both_versions(h, capsys):
    """The issue's 'done when': both texts are found by /sök and `uppsikt search`, saying which version and
    that the comment is deleted; the earlier text is not lost by the edit."""
    cid = f"{POST_ID}_41"
    deliver(h, feed(comment(cid, "Varför är badet stängt?", name="Anna Andersson")))
    edited = comment(cid, "Varför är badet stängt i dag igen?", verb="edited", name="Anna Andersson")
    deliver(h, feed(edited))
    deliver(h, feed({**comment(cid, "", verb="remove", name="Anna Andersson"), "message": ""}))

    obj = archive.find(h.ctx, "facebook", cid)
    assert obj["state"] == "deleted" and obj["parent_external_id"] == POST_ID
    assert [v["text"] for v in archive.versions(h.ctx, obj["id"])] == [
        "Varför är badet stängt?", "Varför är badet stängt i dag igen?"]
    assert [e["kind"] for e in archive.events(h.ctx, obj["id"])] == ["captured", "edited", "deleted"]
    assert json.loads(archive.versions(h.ctx, obj["id"])[1]["raw_json"])["value"]["verb"] == "edited"

    reply = h.bot.command(LENA, "/sök badet stängt")
    assert reply.ok
    hits = reply.data["results"]
    texts = " ".join(r["excerpt"] for r in hits)
    assert "Varför är badet stängt?" in texts and "Varför är badet stängt i dag igen?" in texts
    archived = [r for r in hits if r["record_type"] == "archive"]
    assert [(r["version"], r["versions"], r["state"], r["kind"]) for r in archived] == [(2, 2, "deleted", "comment")]
    first = next(r for r in hits if r["record_type"] == "item" and r["excerpt"] == "Varför är badet stängt?")
    assert first["state"] == "deleted" and first["record_label"] == "Inlägg (togs bort på plattformen)"
    assert "Arkiverad kommentar (togs bort, version 2 av 2) nr" in reply.text

    # Once the items are weeded (minor importance, 90 days), the archive still answers with both versions
    # until its own weeding the same night: here the item alone is deleted, as `uppsikt forget` or weeding would.
    with h.ctx.db.atomic():
        records.delete_items(h.ctx, [i["id"] for i in h.ctx.db.query("SELECT id FROM items")])
    code, out, _ = cli(capsys, h, "search", "badet stängt", "--json")
    assert code == 0
    found = json.loads(out)
    assert sorted((r["record_type"], r["version"]) for r in found) == [("archive", 1), ("archive", 2)]


def test_the_pages_own_post_and_replies_are_archived_but_never_items(h):
    post = {"from": {"id": FB_PAGE, "name": "Ekby kommun"}, "item": "status", "verb": "add", "post_id": POST_ID,
            "message": "Badet öppnar igen på måndag.", "created_time": 1772442000, "published": 1}
    body = deliver(h, feed(post))
    assert "0 nya ärenden" in body and "1 hoppades över" in body
    question = comment(f"{POST_ID}_1", "Gäller det utebadet också?", name="Kalle Åberg")
    answer = comment(f"{POST_ID}_2", "Ja, båda baden öppnar. /Lena, kommunikatör", name="Ekby kommun", user=FB_PAGE)
    answer["parent_id"] = f"{POST_ID}_1"
    deliver(h, feed(question))
    deliver(h, feed(answer))
    ig_reply = {"object": "instagram", "entry": [{"id": IG_ACCOUNT, "time": 1772442000, "changes": [
        {"field": "comments", "value": {"id": "1790001", "text": "Tack för frågan! /Per", "parent_id": "1789999",
                                        "from": {"id": IG_ACCOUNT, "username": "ekbykommun"},
                                        "media": {"id": "1800001", "media_product_type": "FEED"}}}]}]}
    deliver(h, ig_reply)

    items = [(i["external_id"], i["text"]) for i in h.ctx.db.query("SELECT * FROM items")]
    assert items == [(f"{POST_ID}_1", "Gäller det utebadet också?")]  # only the citizen's question
    own_post = archive.find(h.ctx, "facebook", POST_ID)
    assert (own_post["kind"], own_post["own"], own_post["item_id"], own_post["via"]) == ("post", 1, None, "webhook")
    assert json.loads(archive.versions(h.ctx, own_post["id"])[0]["raw_json"]) == {"field": "feed", "value": post}
    assert "\n" not in archive.versions(h.ctx, own_post["id"])[0]["raw_json"]  # compact
    reply = archive.find(h.ctx, "facebook", f"{POST_ID}_2")
    assert (reply["own"], reply["parent_external_id"], reply["author"]) == (1, f"{POST_ID}_1", "Ekby kommun")
    ig = archive.find(h.ctx, "instagram", "1790001")
    assert (ig["own"], ig["parent_external_id"], ig["account_id"], ig["item_id"]) == (1, "1789999", "instagram", None)
    # a repeated delivery of the own reply adds nothing
    assert "1 redan mottagna" in deliver(h, feed(answer))
    assert len(archive.events(h.ctx, reply["id"])) == 1


def test_hides_and_unhides_on_the_platform_are_events_not_items(h):
    cid = f"{POST_ID}_51"
    deliver(h, feed(comment(cid, "Köp billiga solglasögon här!", name="Spam Spamsson")))
    before = h.ctx.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    assert "1 hoppades över" in deliver(h, feed(comment(cid, "", verb="hide", name="Spam Spamsson")))
    assert "1 redan mottagna" in deliver(h, feed(comment(cid, "", verb="hide", name="Spam Spamsson")))
    deliver(h, feed(comment(cid, "", verb="unhide", name="Spam Spamsson")))
    assert h.ctx.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == before
    obj = archive.find(h.ctx, "facebook", cid)
    assert [(e["kind"], e["actor"]) for e in archive.events(h.ctx, obj["id"])] == [
        ("captured", "platform"), ("hidden", "platform"), ("unhidden", "platform")]
    assert obj["state"] == "visible"
    assert [v["text"] for v in archive.versions(h.ctx, obj["id"])] == ["Köp billiga solglasögon här!"]


def test_generic_signed_intake_is_archived_with_its_source(h):
    from tests.unit.test_webhooks import intake_post

    resp, data = intake_post(h, {"account": "linkedin", "text": "Finns det lediga jobb som lärare?",
                                 "external_id": "li-77", "source": "linkedin", "author": "Sara"})
    assert resp.status == 200
    obj = archive.find(h.ctx, "linkedin", "li-77")
    assert obj["item_id"] == data["item"] and obj["via"] == "intake" and obj["account_id"] == "linkedin"
    assert archive.versions(h.ctx, obj["id"])[0]["text"] == "Finns det lediga jobb som lärare?"


# --------------------------------------------------------------------------- removed content and release


def test_search_finds_removed_and_deleted_content(h):
    deliver(h, feed({"from": {"id": FB_PAGE, "name": "Ekby kommun"}, "item": "status", "verb": "add",
                     "post_id": POST_ID, "message": "Felaktig uppgift om sophämtningen."}))
    deliver(h, feed({"from": {"id": FB_PAGE, "name": "Ekby kommun"}, "item": "status", "verb": "remove",
                     "post_id": POST_ID}))
    troll = comment(f"{POST_ID}_61", "Lena Berg är en idiot och ska sparkas.", name="Nils Troll")
    deliver(h, feed(troll))
    item = h.bot.item_for_message("facebook", f"{POST_ID}_61")
    assert h.bot.command(LENA, f"/ta-bort {item} personangrepp").ok

    hits = h.bot.command(LENA, "/sök sophämtningen").data["results"]
    assert [(r["record_type"], r["own"], r["state"], r["kind"]) for r in hits] == [("archive", True, "deleted", "post")]
    reply = h.bot.command(LENA, "/sök sophämtningen")
    assert "Kommunens arkiverade inlägg (togs bort, version 1 av 1) nr" in reply.text

    hits = h.bot.command(LENA, "/sök idiot och ska").data["results"]
    assert {r["record_type"] for r in hits} == {"item", "removed_post"}
    obj = archive.find(h.ctx, "facebook", f"{POST_ID}_61")
    removed = [e for e in archive.events(h.ctx, obj["id"]) if e["kind"] == "removed"]
    assert len(removed) == 1 and removed[0]["actor"] == LENA
    detail = json.loads(removed[0]["detail"])
    assert detail["ground"] == "personal_attack" and detail["decided_by"] == LENA and obj["state"] == "deleted"


def test_a_release_request_exports_exactly_the_matches(h, capsys, tmp_path):
    cid = f"{POST_ID}_71"
    deliver(h, feed(comment(cid, "Parkeringen vid Storgatan är full.", name="Bo Ek")))
    deliver(h, feed(comment(cid, "Parkeringen vid Storgatan är alltid full!", verb="edited", name="Bo Ek")))
    deliver(h, feed(comment(f"{POST_ID}_72", "Storgatan behöver fler cykelställ.", name="Eva Al")))
    deliver(h, feed(comment(f"{POST_ID}_73", "Något helt annat om badet.", name="Eva Al")))
    code, out, _ = cli(capsys, h, "search", "storgatan", "--json")
    assert code == 0
    expected = [(r["record_type"], r["id"]) for r in json.loads(out)]
    assert len(expected) == 4  # two items, the edit's item and the edited text in the archive

    path = tmp_path / "utlamnande.json"
    code, _, err = cli(capsys, h, "export", "release", "storgatan", "--out", str(path))
    assert code == 0 and "4 träffar är exporterade" in err
    rows = json.loads(path.read_text(encoding="utf-8"))
    assert [(r["record_type"], r["id"]) for r in rows] == expected
    archived = next(r for r in rows if r["record_type"] == "archive")
    assert archived["text"] == "Parkeringen vid Storgatan är alltid full!" and archived["version"] == 2
    assert [e["kind"] for e in archived["events"]] == ["captured", "edited"]
    assert all("badet" not in r["text"] for r in rows)

    code, out, _ = cli(capsys, h, "export", "release", "storgatan", "--format", "csv")
    assert code == 0 and out.startswith("\ufefftyp;beskrivning;nummer") and out.count("\r\n") >= 5
    code, _, err = cli(capsys, h, "export", "release", "storgatan", "--format", "pdf")
    assert code == 2 and "Okänt format" in err


# --------------------------------------------------------------------------- retention (R5) and legal holds


def _old_comment(h: Harness, n: int, text: str) -> tuple[int, int]:
    cid = f"{POST_ID}_9{n}"
    deliver(h, feed(comment(cid, text, name=f"Person {n}")))
    item = h.bot.item_for_message("facebook", cid)
    return item, archive.find(h.ctx, "facebook", cid)["id"]


def test_weeding_empties_minor_content_and_keeps_records_removals_and_holds(h):
    plain = _old_comment(h, 1, "Fin bild på torget i dag.")
    synpunkt = _old_comment(h, 2, "Jag tycker att ni borde bygga en ny simhall, det är en bra idé.")
    rude = _old_comment(h, 3, "Lena Berg är en idiot.")
    held_item = _old_comment(h, 4, "Vilken fin utsikt från tornet.")
    lib_cid = "100000000000002_5"
    deliver(h, {"object": "page", "entry": [{"id": "100000000000002", "time": 1772442000, "changes": [
        {"field": "feed", "value": {**comment(lib_cid, "Trevlig läsecirkel i går.", name="Bo"),
                                    "post_id": "100000000000002_1"}}]}]})
    lib = archive.find(h.ctx, "facebook", lib_cid)["id"]
    own_post = {"from": {"id": FB_PAGE, "name": "Ekby kommun"}, "item": "status", "verb": "add",
                "post_id": f"{FB_PAGE}_500", "message": "Välkommen till torget!"}
    deliver(h, feed(own_post))
    own = archive.find(h.ctx, "facebook", f"{FB_PAGE}_500")["id"]
    for item in (plain[0], held_item[0]):
        assert h.bot.action(LENA, "no_reply", str(item), reason="Inget att svara på").ok
    assert h.bot.command(LENA, f"/ta-bort {rude[0]} personangrepp").ok
    assert h.bot.command(LENA, f"/diarium {synpunkt[0]} synpunkt").ok
    assert h.bot.command(ARKIVARIE, f"/arkiv stoppa ärende={held_item[0]} Tvist om torget").ok
    assert h.bot.command(ARKIVARIE, "/arkiv stoppa bibliotek Begäran om utlämnande").ok

    h.clock.set(local(2026, 7, 1, 9, 0))  # more than 90 days later (the example's retention_days)
    h.bot.tick()
    assert archive.versions(h.ctx, plain[1])[0]["text"] != ""  # no snapshot (R4) has kept the accounts yet
    for account in ("facebook", "bibliotek"):
        assert h.bot.command(LENA if account == "facebook" else "ida@example.se",
                             f"/snapshot klar {account} Platina KS 2026/7").ok
    h.clock.set(local(2026, 7, 2, 9, 0))
    h.bot.tick()

    def text_of(object_id: int) -> str:
        return archive.versions(h.ctx, object_id)[0]["text"]

    assert text_of(plain[1]) == "" and archive.get(h.ctx, plain[1])["weeded_at"] is not None
    assert text_of(own) == ""  # an own post of minor importance is weeded too (its snapshot is the record, R4)
    assert [e["kind"] for e in archive.events(h.ctx, plain[1])][-1] == "weeded"
    assert archive.versions(h.ctx, plain[1])[0]["raw_json"] == ""
    assert text_of(synpunkt[1]).startswith("Jag tycker")  # registered: a record
    assert text_of(rude[1]) == "Lena Berg är en idiot."  # removed under the removal rules
    assert text_of(held_item[1]) == "Vilken fin utsikt från tornet."  # legal hold on the item's object
    assert h.ctx.db["items"].count_where("id = ?", [held_item[0]]) == 1  # the hold keeps the item too
    assert text_of(lib) == "Trevlig läsecirkel i går."  # legal hold on the account
    assert h.ctx.db["items"].count_where("id = ?", [plain[0]]) == 0  # the item was weeded by R5 as before
    assert h.bot.command(LENA, "/sök torget i dag").data["results"] == []  # weeded content is not found

    hold = h.ctx.db.execute("SELECT id FROM archive_holds WHERE object_id IS NULL").fetchone()[0]
    assert h.bot.command(ARKIVARIE, f"/arkiv häv {hold}").ok
    h.clock.set(local(2026, 7, 3, 9, 0))
    h.bot.tick()
    assert text_of(lib) == ""  # released: weeded the next night
    assert text_of(held_item[1]) != ""


def test_the_hold_command_refuses_people_without_the_role_in_swedish_and_changes_nothing(h):
    item, _ = _old_comment(h, 1, "Hej, när töms soptunnorna?")
    for actor, text in ((OMAR, "/arkiv stoppa facebook Tvist"), (LENA, "/arkiv stoppa facebook Tvist"),
                        (ERIK, "/arkiv stoppa facebook Tvist"), (LENA, f"/arkiv stoppa ärende={item} Tvist"),
                        (ARKIVARIE, "/arkiv stoppa facebook"), (ARKIVARIE, "/arkiv stoppa okant Tvist"),
                        (ARKIVARIE, "/arkiv stoppa ärende=abc Tvist"), (ARKIVARIE, "/arkiv stoppa objekt=999 Tvist"),
                        (ARKIVARIE, "/arkiv häv 999"), (ARKIVARIE, "/arkiv häv x"),
                        (ARKIVARIE, f"/arkiv stoppa ärende={item} objekt=1 Tvist"), (ARKIVARIE, "/arkiv visa 999")):
        before = snapshot(h.bot)
        reply = h.bot.command(actor, text, "konto-facebook" if "ärende" not in text else None)
        assert not reply.ok, (actor, text, reply.text)
        assert is_swedish(reply.text), reply.text
        assert not changed_tables(before, snapshot(h.bot)), (actor, text)
    refused = h.bot.command(OMAR, "/arkiv stoppa facebook Tvist")
    assert refused.text.startswith("Bara arkivarier, kommunikationschefen och chefen för kontots förvaltning")
    assert "Skriv varför" in h.bot.command(ARKIVARIE, "/arkiv stoppa facebook").text
    assert '"abc" är inget giltigt ärendenummer' in h.bot.command(ARKIVARIE, "/arkiv stoppa ärende=abc Tvist").text

    # who may: the records officer, the communications chief, the manager of the account's unit
    assert h.bot.command(ARKIVARIE, "/arkiv stoppa facebook Tvist om bygglov").ok
    assert h.bot.command(KARIN, f"/arkiv stoppa ärende={item} Polisanmälan").ok
    assert h.bot.command(ERIK, "/arkiv stoppa bibliotek Begäran om utlämnande").ok
    listing = h.bot.command(OMAR, "/arkiv lista")  # anyone configured may read the holds
    assert listing.ok and "Tvist om bygglov" in listing.text and "Polisanmälan" in listing.text
    held = [e for e in archive.events(h.ctx, archive.of_item(h.ctx, item)["id"]) if e["kind"] == "held"]
    assert len(held) == 1 and held[0]["actor"] == KARIN
    hold = h.ctx.db.execute("SELECT id FROM archive_holds WHERE reason = 'Tvist om bygglov'").fetchone()[0]
    before = snapshot(h.bot)
    assert not h.bot.command(OMAR, f"/arkiv häv {hold}").ok and not changed_tables(before, snapshot(h.bot))
    assert h.bot.command(ARKIVARIE, f"/arkiv häv {hold}").ok
    again = h.bot.command(ARKIVARIE, f"/arkiv häv {hold}")
    assert not again.ok and "redan hävt" in again.text
    shown = h.bot.command(OMAR, f"/arkiv visa {archive.of_item(h.ctx, item)['id']}")
    assert shown.ok and "Hej, när töms soptunnorna?" in shown.text and "gallringsstopp" in shown.text
    assert "/arkiv stoppa" in h.bot.command(OMAR, "/arkiv hjälp").text


def test_cli_sets_lists_and_releases_a_hold_and_refuses_in_swedish(h, capsys):
    code, out, err = cli(capsys, h, "archive", "hold", "--account", "facebook", "--reason", "Tvist KS 2026/45",
                         "--by", OMAR)
    assert code == 2 and "Bara arkivarier" in err and not h.ctx.db["archive_holds"].count
    code, out, err = cli(capsys, h, "archive", "hold", "--reason", "Tvist", "--by", ARKIVARIE)
    assert code == 2 and "--account" in err
    code, out, err = cli(capsys, h, "archive", "hold", "--item", "x1", "--reason", "Tvist", "--by", ARKIVARIE)
    assert code == 2 and "x1" in err and not h.ctx.db["archive_holds"].count
    code, out, err = cli(capsys, h, "archive", "hold", "--account", "facebook", "--reason", "Tvist KS 2026/45",
                         "--by", ARKIVARIE)
    assert code == 0 and "Gallringsstopp 1 är sparat" in out and "Tvist KS 2026/45" in out
    code, out, _ = cli(capsys, h, "archive", "holds", "--json")
    assert code == 0 and [(x["account_id"], x["set_by"]) for x in json.loads(out)] == [("facebook", ARKIVARIE)]
    code, out, err = cli(capsys, h, "archive", "release", "1", "--by", OMAR)
    assert code == 2 and "Bara arkivarier" in err
    code, out, _ = cli(capsys, h, "archive", "release", "1", "--by", ARKIVARIE)
    assert code == 0 and "hävt" in out
    code, out, _ = cli(capsys, h, "archive", "holds")
    assert code == 0 and "Inga gallringsstopp" in out


# --------------------------------------------------------------------------- erasure requests (GDPR art. 17)


def test_an_erasure_request_empties_the_archive_too_and_a_legal_hold_keeps(h, capsys):
    """`uppsikt forget` erased the items but the archive kept every version and the name: now the archived
    posts and comments that are no record are emptied too, earlier versions included; a legal hold keeps."""
    cid = f"{POST_ID}_81"
    deliver(h, feed(comment(cid, "Fin bild på torget!", name="Kalle Karlsson")))
    deliver(h, feed(comment(cid, "Fin bild på torget, Lena!", verb="edited", name="Kalle Karlsson")))
    kept = f"{POST_ID}_82"
    deliver(h, feed(comment(kept, "Tråkig bild på bron.", name="Kalle Karlsson")))
    for ext in (cid, kept):
        item = h.bot.item_for_message("facebook", ext)
        if h.ctx.item(item)["status"] != "noted":
            assert h.bot.action(LENA, "no_reply", str(item), reason="Inget att svara på").ok
    edit_item = next(r["id"] for r in h.ctx.db.query("SELECT id FROM items WHERE external_id LIKE ?", [f"{cid}:edit:%"]))
    assert h.bot.action(LENA, "no_reply", str(edit_item), reason="Inget att svara på").ok \
        or h.ctx.item(edit_item)["status"] == "noted"
    held_item = h.bot.item_for_message("facebook", kept)
    assert h.bot.command(ARKIVARIE, f"/arkiv stoppa ärende={held_item} Tvist om bron").ok

    code, out, _ = cli(capsys, h, "forget", "--author", "Kalle Karlsson", "--dry-run")
    assert code == 0 and "I arkivet skulle 1 inlägg och kommentarer tömmas" in out
    assert "1 omfattas av ett gallringsstopp" in out
    code, out, _ = cli(capsys, h, "forget", "--author", "Kalle Karlsson", "--by", "registrator@example.se")
    assert code == 0 and "I arkivet: 1 inlägg och kommentarer är tömda" in out

    obj = archive.find(h.ctx, "facebook", cid)
    assert [v["text"] for v in archive.versions(h.ctx, obj["id"])] == ["", ""]
    assert (obj["author"], obj["author_id"]) == ("", "")
    weeded = archive.events(h.ctx, obj["id"])[-1]
    assert weeded["kind"] == "weeded" and json.loads(weeded["detail"]) == {"reason": "erasure"}
    assert weeded["actor"] == "registrator@example.se"
    assert h.bot.command(LENA, "/sök bild på torget").data["results"] == []
    held = archive.find(h.ctx, "facebook", kept)
    assert archive.versions(h.ctx, held["id"])[0]["text"] == "Tråkig bild på bron." and held["author"]
    assert h.ctx.db["items"].count_where("id = ?", [held_item]) == 1


def test_a_weeded_items_id_given_to_a_new_item_never_points_at_the_old_archived_object(h):
    """SQLite gives the highest id again once its row is deleted: the archive must not take the new item for
    the old one (a removal would be recorded on the wrong object, and search would hide the old text)."""
    deliver(h, feed(comment(f"{POST_ID}_31", "Första kommentaren om parken.", name="Ann")))
    first = h.bot.item_for_message("facebook", f"{POST_ID}_31")
    with h.ctx.db.atomic():
        records.delete_items(h.ctx, [first])
    deliver(h, feed(comment(f"{POST_ID}_32", "Du är en idiot, Lena Berg.", name="Troll")))
    second = h.bot.item_for_message("facebook", f"{POST_ID}_32")
    assert second == first  # the id is used again
    assert h.bot.command(LENA, f"/ta-bort {second} personangrepp").ok
    old = archive.find(h.ctx, "facebook", f"{POST_ID}_31")
    new = archive.find(h.ctx, "facebook", f"{POST_ID}_32")
    assert old["item_id"] is None and old["state"] == "visible"
    assert new["item_id"] == second and new["state"] == "deleted"
    assert [r["record_type"] for r in h.bot.command(LENA, "/sök kommentaren om parken").data["results"]] == ["archive"]


def test_the_pages_own_direct_messages_are_archived_as_records_never_items(h):
    """R6: messages to *or from* staff are public records; the page's echo is kept, never an item."""
    ms = 1772442000 * 1000
    body = deliver(h, {"object": "page", "entry": [{"id": FB_PAGE, "time": ms, "messaging": [
        {"sender": {"id": "6783024578"}, "recipient": {"id": FB_PAGE}, "timestamp": ms,
         "message": {"mid": "m_in1", "text": "Hej! Var hämtar jag mitt bygglov?"}},
        {"sender": {"id": FB_PAGE}, "recipient": {"id": "6783024578"}, "timestamp": ms + 1000,
         "message": {"mid": "m_echo1", "is_echo": True, "app_id": 1517776481860111,
                     "text": "Hej! Du hämtar det i kontaktcenter. /Lena"}}]}]})
    assert "1 nya ärenden" in body and "1 hoppades över" in body
    assert [i["external_id"] for i in h.ctx.db.query("SELECT external_id FROM items")] == ["m_in1"]
    echo = archive.find(h.ctx, "messenger", "m_echo1")
    assert (echo["own"], echo["kind"], echo["item_id"]) == (1, "dm", None)
    assert json.loads(archive.versions(h.ctx, echo["id"])[0]["raw_json"])["message"]["is_echo"] is True
    h.clock.set(local(2027, 3, 1, 9, 0))
    assert h.bot.command(LENA, "/snapshot klar facebook Platina KS 2027/2").ok
    h.clock.set(local(2027, 3, 2, 9, 0))
    h.bot.tick()
    assert archive.versions(h.ctx, echo["id"])[0]["text"].startswith("Hej! Du hämtar")  # R6: kept, not weeded
