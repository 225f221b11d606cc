"""The archive keeps everything a delivery says about a watched account (issue 12), every version and event."""

from __future__ import annotations

from bot.core import archive
from bot.facade import PlatformEvent
from tests.conftest import local

FB_PAGE = "100000000000001"  # config/example.toml: the facebook account's external_id


def _deliver(h, *events: PlatformEvent) -> None:
    h.bot.platform_delivery("page", [FB_PAGE], list(events))


def _event(action: str, external_id: str, text: str = "", **kw) -> PlatformEvent:
    return PlatformEvent(entry_id=FB_PAGE, action=action, source="facebook", external_id=external_id,
                         text=text, **kw)


def test_an_edited_then_deleted_comment_keeps_both_versions_and_who_deleted_it(harness):
    h = harness(local(2026, 3, 2, 10))
    _deliver(h, _event("add", "c1", "Varför är badet stängt?", author="Anna", author_id="2001"))
    _deliver(h, _event("edit", "c1", "Varför är badet stängt i dag?", edit_key="e1"))
    _deliver(h, _event("remove", "c1"))
    obj = archive.find(h.ctx, "facebook", "c1")
    assert obj["state"] == "deleted" and obj["item_id"] is not None
    assert [v["text"] for v in archive.versions(h.ctx, obj["id"])] == [
        "Varför är badet stängt?", "Varför är badet stängt i dag?"]
    assert [(e["kind"], e["actor"]) for e in archive.events(h.ctx, obj["id"])] == [
        ("captured", "platform"), ("edited", "author"), ("deleted", "author")]


def test_a_repeated_delivery_adds_nothing(harness):
    h = harness(local(2026, 3, 2, 10))
    for _ in range(3):
        _deliver(h, _event("add", "c2", "Hej"))
    obj = archive.find(h.ctx, "facebook", "c2")
    assert len(archive.versions(h.ctx, obj["id"])) == 1
    assert len(archive.events(h.ctx, obj["id"])) == 1


def test_the_municipalitys_own_post_and_a_hide_are_archived_but_never_become_items(harness):
    h = harness(local(2026, 3, 2, 10))
    before = h.ctx.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    _deliver(h, _event("add", "p1", "Badet öppnar på måndag.", kind="post", own=True, raw='{"item": "status"}'))
    _deliver(h, _event("add", "c3", "Bra!", parent_id="p1"), _event("hide", "c3"), _event("unhide", "c3"))
    assert h.ctx.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == before + 1  # the comment only
    post = archive.find(h.ctx, "facebook", "p1")
    assert post["own"] == 1 and post["item_id"] is None
    assert archive.versions(h.ctx, post["id"])[0]["raw_json"] == '{"item": "status"}'
    comment = archive.find(h.ctx, "facebook", "c3")
    assert comment["parent_external_id"] == "p1" and comment["state"] == "visible"
    assert [e["kind"] for e in archive.events(h.ctx, comment["id"])] == ["captured", "hidden", "unhidden"]
