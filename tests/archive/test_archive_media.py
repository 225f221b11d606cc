"""The archive keeps the attachments, not only their links: images and films of posts and comments are found at
capture, downloaded off the bot's lock through the Meta port (https, Meta's media hosts only, size and type
limits) into the data folder, and carried into the E-ARK SIP, the release export and weeding (R5).

Real HTTP on loopback against the mock Graph API's CDN (tests/meta/mock_graph_api.py `serve`), never the
internet; a signed Meta webhook brings the photo comment."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.adapters.meta.graph import GraphClient
from bot.bootstrap import RecordingChat, build
from bot.clock import FakeClock
from bot.core import archive, media
from bot.export import sip
from bot.facade import PlatformEvent
from bot.settings import DEFAULT_CONFIG, load_settings
from tests.archive.eark import validate
from tests.conftest import local
from tests.meta.mock_graph_api import PAGE_TOKEN, MockGraphAPI
from tests.unit.test_webhooks import FB_PAGE, POST_ID, comment, dumps, feed, meta_post

START = local(2026, 3, 2, 10, 0)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
NS = {"m": sip.METS_NS, "x": sip.XLINK_NS, "p": sip.PREMIS_NS, "r": sip.RECORDS_NS}
PHOTO = b"\xff\xd8\xff\xe0" + b"JFIF-badet-" * 400 + b"\xff\xd9"  # a small "JPEG"
LENA = "lena@example.se"


class World:
    """A bot with its database in `<tmp>/data`, a recording chat, a fake clock and the Graph client pointed at
    the mock (whose CDN serves the attachments)."""

    def __init__(self, tmp_path: Path, api: MockGraphAPI | None, settings=None, **client: object):
        self.api = api
        self.clock = FakeClock(START)
        self.chat = RecordingChat(self.clock)
        self.data = tmp_path / "data"
        graph = None if api is None else GraphClient({"facebook": PAGE_TOKEN}, base_url=api.base_url, timeout=5,
                                                      **client)
        self.bot = build(settings or load_settings(DEFAULT_CONFIG), clock=self.clock, db=self.data / "uppsikt.db",
                         chat=self.chat, graph=graph)

    @property
    def ctx(self):
        return self.bot.ctx

    def webhook(self, payload: dict) -> None:
        resp = meta_post(self, dumps(payload))  # signed with the app secret, through bot/adapters/webhooks.py
        assert resp.status == 200, resp.body

    def graph_comment(self, cid: str, attachment: dict, text: str = "") -> int:
        """A comment as the Graph API and backfill give it (raw Graph JSON with `attachment`)."""
        raw = {"id": cid, "message": text, "from": {"id": "2001", "name": "Anna Ek"}, "attachment": attachment}
        self.bot.platform_delivery("page", [FB_PAGE], [PlatformEvent(
            entry_id=FB_PAGE, action="add", source="facebook", external_id=cid, text=text, author="Anna Ek",
            author_id="2001", parent_id=POST_ID, raw=json.dumps(raw), created=self.clock.now())])
        return int(archive.find(self.ctx, "facebook", cid)["id"])

    def media_of(self, cid: str) -> list[dict]:
        obj = archive.find(self.ctx, "facebook", cid)
        return [dict(r) for r in self.ctx.db.query("SELECT * FROM archive_media WHERE object_id = ? ORDER BY id",
                                                   [obj["id"]])]

    def files(self) -> list[Path]:
        folder = self.data / media.SUBFOLDER
        return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def api():
    with MockGraphAPI(page_id=FB_PAGE, tokens={PAGE_TOKEN: FB_PAGE}) as mock:
        yield mock


def photo_comment(cid: str, url: str, text: str = "Titta på skadan vid badet!") -> dict:
    """Meta's feed webhook for a comment with a photo: the image link is in `photo`."""
    return {**comment(cid, text), "photo": url}


def image(url: str) -> dict:
    return {"type": "photo", "media": {"image": {"src": url, "height": 720, "width": 960}},
            "target": {"id": "555", "url": "https://www.facebook.com/photo.php?fbid=555"}}


def _sip_media(out: Path) -> tuple[dict[str, ET.Element], list[ET.Element]]:
    """The media files the representation's METS lists (href -> file) and every <records:media> entry."""
    rep = ET.parse(out / "representations/rep1/METS.xml").getroot()
    files = {f.find("m:FLocat", NS).get(f"{{{sip.XLINK_NS}}}href"): f for f in rep.iter(f"{{{sip.METS_NS}}}file")}
    records = ET.parse(out / "metadata/descriptive/records.xml").getroot()
    return ({h: f for h, f in files.items() if h.startswith("data/media/")},
            list(records.iter(f"{{{sip.RECORDS_NS}}}media")))


# --------------------------------------------------------------------------- found, fetched, packaged


def test_a_photo_comment_from_a_signed_webhook_is_stored_with_its_checksum_and_the_sip_carries_it(tmp_path, api,
                                                                                                 capsys):
    w = World(tmp_path, api)
    url = api.serve("badet.jpg", PHOTO, "image/jpeg")
    cid = f"{POST_ID}_71"
    w.webhook(feed(photo_comment(cid, url)))
    row, = w.media_of(cid)
    assert (row["status"], row["url"], row["attempts"], row["path"]) == ("pending", url, 0, "")
    assert w.files() == []  # nothing is fetched inside the webhook's delivery

    assert w.bot.fetch_media() == {"done": 1}
    row, = w.media_of(cid)
    sha = hashlib.sha256(PHOTO).hexdigest()
    assert (row["status"], row["sha256"], row["mime"], row["size"], row["attempts"]) == (
        "done", sha, "image/jpeg", len(PHOTO), 1)
    assert row["path"] == f"{media.SUBFOLDER}/facebook/{sha}.jpg" and row["fetched_at"] == w.ctx.now_ts()
    assert (w.data / row["path"]).read_bytes() == PHOTO
    assert w.files() == [w.data / row["path"]]  # no temporary file left
    assert w.bot.fetch_media() == {}  # done once

    # /arkiv visa names the stored file
    shown = w.bot.command(LENA, f"/arkiv visa {archive.find(w.ctx, 'facebook', cid)['id']}")
    assert shown.ok and f"{sha}.jpg" in shown.text

    out = tmp_path / "paket"
    package = sip.write(w.ctx, "facebook", *MARCH, out)
    assert validate(out) == []
    files, entries = _sip_media(out)
    href = f"data/media/{sha}.jpg"
    assert list(files) == [href]
    f = files[href]
    assert (f.get("CHECKSUM"), f.get("CHECKSUMTYPE"), f.get("MIMETYPE"), f.get("SIZE")) == (
        sha.upper(), "SHA-256", "image/jpeg", str(len(PHOTO)))
    assert (out / "representations/rep1" / href).read_bytes() == PHOTO
    entry, = entries
    record = next(r for r in ET.parse(out / "metadata/descriptive/records.xml").getroot()
                  if r.find("r:media", NS) is not None)
    assert record.get("externalId") == cid
    assert (entry.get("status"), entry.get("file"), entry.get("sha256"), entry.get("url")) == (
        "done", f"representations/rep1/{href}", sha, url)
    premis = ET.parse(out / "representations/rep1/metadata/preservation/premis.xml").getroot()
    digests = {o.find("p:objectIdentifier/p:objectIdentifierValue", NS).text:
               o.find("p:objectCharacteristics/p:fixity/p:messageDigest", NS).text for o in premis}
    assert digests[f"representations/rep1/{href}"] == sha
    photo_obj = next(o for o in premis if o.find("p:objectIdentifier/p:objectIdentifierValue", NS).text.endswith(href))
    assert [r.text for r in photo_obj.iterfind("p:relationship/p:relatedObjectIdentifier/"
                                               "p:relatedObjectIdentifierValue", NS)] == [
        f"obj-{archive.find(w.ctx, 'facebook', cid)['id']}"]  # PREMIS says whose it is, too
    original = json.loads((out / "representations/rep1/data/original.json").read_text(encoding="utf-8"))
    obj = next(o for o in original if o["external_id"] == cid)
    assert obj["media"] == [{"url": url, "status": "done", "file": href, "sha256": sha, "mime": "image/jpeg",
                             "size": len(PHOTO), "reason": ""}]
    assert (package.files, package.attachments, package.missing) == (14, 1, 0)  # 13 without attachments
    from bot.cli import main

    assert main(["export", "sip", "--account", "facebook", "--from", "2026-03-01", "--to", "2026-03-31", "--out",
                 str(tmp_path / "cli-paket"), "--config", str(DEFAULT_CONFIG), "--db", str(w.data / "uppsikt.db")]) == 0
    said = capsys.readouterr().out
    assert "1 bilaga (bild eller film) är med i paketet." in said and "kunde inte hämtas" not in said
    assert validate(tmp_path / "cli-paket") == []
    # the PDF/A rendering (the package's and a snapshot's) names the file under its comment
    from bot.export import archive_view, rendering

    entries = archive_view.threads(w.ctx, "facebook", 0, 2**40)
    html = rendering.snapshot_html(w.ctx, w.ctx.accounts["facebook"], entries, *MARCH, made=w.ctx.now(), reason="-",
                                   count=1)
    assert f"Bilaga: {sha}.jpg (image/jpeg, 4 kB)." in html


def test_graph_shaped_posts_and_comments_record_every_media_link(tmp_path, api):
    """The links Meta puts in Graph JSON: a comment's attachment.media.image.src, a post's full_picture,
    attachments and subattachments, an Instagram medium's media_url and thumbnail_url (carousel children)."""
    raw_post = {"id": "P9", "full_picture": "https://scontent.xx.fbcdn.net/v/full.jpg?oh=1",
                "attachments": {"data": [{"media": {"image": {"src": "https://scontent.xx.fbcdn.net/v/a.jpg"}},
                                          "subattachments": {"data": [
                                              {"media": {"image": {"src": "https://scontent.xx.fbcdn.net/v/b.jpg"}}},
                                              {"media": {"image": {"src": "https://scontent.xx.fbcdn.net/v/c.jpg"}}}]}}]}}
    raw_ig = {"id": "IG1", "media_type": "CAROUSEL_ALBUM", "media_url": "https://scontent.cdninstagram.com/m.jpg",
              "children": {"data": [{"media_type": "VIDEO", "media_url": "https://scontent.cdninstagram.com/v.mp4",
                                     "thumbnail_url": "https://scontent.cdninstagram.com/t.jpg"}]}}
    assert media.links(json.dumps(raw_post)) == [
        "https://scontent.xx.fbcdn.net/v/full.jpg?oh=1", "https://scontent.xx.fbcdn.net/v/a.jpg",
        "https://scontent.xx.fbcdn.net/v/b.jpg", "https://scontent.xx.fbcdn.net/v/c.jpg"]
    assert media.links(json.dumps(raw_ig)) == [
        "https://scontent.cdninstagram.com/m.jpg", "https://scontent.cdninstagram.com/v.mp4",
        "https://scontent.cdninstagram.com/t.jpg"]
    # a webhook photo post (item "photo": its `link` is the image) and a page link that is no medium
    photo_post = {"field": "feed", "value": {"item": "photo", "verb": "add", "link": "https://scontent.xx.fbcdn.net/p.jpg",
                                             "photos": ["https://scontent.xx.fbcdn.net/p2.jpg"]}}
    assert media.links(json.dumps(photo_post)) == ["https://scontent.xx.fbcdn.net/p.jpg",
                                                   "https://scontent.xx.fbcdn.net/p2.jpg"]
    assert media.links(json.dumps({"field": "feed", "value": {"item": "status", "link": "https://ekby.se/"}})) == []
    assert media.links("") == media.links("not json") == []

    w = World(tmp_path, api)
    w.graph_comment(f"{POST_ID}_72", image(api.serve("a.png", b"\x89PNG\r\n\x1a\n" + b"x" * 100, "image/png")))
    # an edit that brings a new image adds a row; the same link again adds none
    cid = f"{POST_ID}_72"
    w.bot.platform_delivery("page", [FB_PAGE], [PlatformEvent(
        entry_id=FB_PAGE, action="edit", source="facebook", external_id=cid, text="Ny bild",
        raw=json.dumps({"id": cid, "attachment": image(api.media_url("b.png"))}))])
    w.bot.platform_delivery("page", [FB_PAGE], [PlatformEvent(
        entry_id=FB_PAGE, action="edit", source="facebook", external_id=cid, text="Ny bild igen",
        raw=json.dumps({"id": cid, "attachment": image(api.media_url("b.png"))}))])
    assert [r["url"] for r in w.media_of(cid)] == [api.media_url("a.png"), api.media_url("b.png")]


def test_an_expired_link_is_retried_with_back_off_then_failed_and_the_sip_says_it_is_missing(tmp_path, api, capsys):
    w = World(tmp_path, api)
    url = api.serve("gone.jpg", b"URL signature expired", "text/plain", status=404)
    cid = f"{POST_ID}_73"
    w.webhook(feed(photo_comment(cid, url)))
    waits = []
    for attempt in range(1, media.MAX_ATTEMPTS + 1):
        before = w.ctx.now_ts()
        outcome = w.bot.fetch_media()
        row, = w.media_of(cid)
        assert row["attempts"] == attempt and "404" in row["error"]
        if attempt < media.MAX_ATTEMPTS:
            assert outcome == {"retry": 1} and row["status"] == "pending"
            waits.append(row["next_attempt_at"] - before)
            assert w.bot.fetch_media() == {}  # not due yet: nothing is asked for
            w.clock.set(dt.datetime.fromtimestamp(row["next_attempt_at"], tz=START.tzinfo))
        else:
            assert outcome == {"failed": 1} and row["status"] == "failed"
    assert waits == list(media.RETRY_SECONDS)  # over hours, growing
    assert sum(waits) >= 3 * 3600
    assert len(api.calls_to("GET", "/media/gone.jpg")) == media.MAX_ATTEMPTS
    w.clock.set(w.clock.now() + dt.timedelta(days=2))
    assert w.bot.fetch_media() == {} and len(api.calls_to("GET", "/media/gone.jpg")) == media.MAX_ATTEMPTS
    assert w.files() == []
    from bot.metrics import collect

    family = next(f for f in collect(w.ctx.db.conn, w.ctx.now_ts()) if f.name == "uppsikt_archive_media")
    assert {dict(x.labels)["status"]: x.value for x in family.samples} == {
        "pending": 0, "done": 0, "failed": 1, "refused": 0, "weeded": 0}  # /metrics shows what is missing

    out = tmp_path / "paket"
    sip.write(w.ctx, "facebook", *MARCH, out)
    assert validate(out) == []
    files, entries = _sip_media(out)
    assert files == {}
    entry, = entries
    assert (entry.get("status"), entry.get("url"), entry.get("file")) == ("failed", url, None)
    assert "404" in entry.get("reason")
    readme = (out / "documentation/om-paketet.txt").read_text(encoding="utf-8")
    assert "1 bilaga kunde inte hämtas" in readme
    # the command line says so too
    from bot.cli import main

    code = main(["export", "sip", "--account", "facebook", "--from", "2026-03-01", "--to", "2026-03-31", "--out",
                 str(tmp_path / "cli-paket"), "--config", str(DEFAULT_CONFIG), "--db", str(w.data / "uppsikt.db")])
    assert code == 0
    said = capsys.readouterr().out
    assert "OBS: 1 bilaga kunde inte hämtas och finns inte i paketet." in said and "är med i paketet" not in said


# --------------------------------------------------------------------------- the limits


def test_links_off_metas_media_hosts_internal_addresses_and_redirects_to_them_are_refused_unfetched(tmp_path, api):
    other = MockGraphAPI().start()  # a loopback server that is not the configured Graph origin
    try:
        other.serve("x.jpg", PHOTO)
        resolved: list[str] = []

        def resolve(host: str) -> list[str]:  # DNS for the test: a Meta-looking name that points inside
            resolved.append(host)
            return {"scontent.xx.fbcdn.net": ["10.0.0.7"], "video.xx.fbcdn.net": ["93.184.216.34", "127.0.0.1"]}[host]

        w = World(tmp_path, api, resolve=resolve)
        api.serve("hop.jpg", b"", "text/html", status=302, location="http://169.254.169.254/latest/meta-data/")
        api.serve("hop2.jpg", b"", "text/html", status=302, location=other.media_url("x.jpg"))
        links = {
            "71": ("https://evil.example.com/a.jpg", "host"),
            "72": ("https://fbcdn.net.evil.example/a.jpg", "host"),
            "73": (other.media_url("x.jpg"), "https"),
            "74": ("https://169.254.169.254/latest/meta-data/", "host"),
            "75": ("https://127.0.0.1/a.jpg", "host"),
            "76": ("https://scontent.xx.fbcdn.net/v/a.jpg", "address"),
            "77": ("https://video.xx.fbcdn.net/v/a.mp4", "address"),
            "78": (api.media_url("hop.jpg"), "https"),
            "79": (api.media_url("hop2.jpg"), "https"),
            "80": ("ftp://scontent.xx.fbcdn.net/a.jpg", "https"),
            "81": ("https://[::1/a.jpg", "host"),  # not even a link: refused, and the others still run
            "82": ("https://scontent.xx.fbcdn.net:99999/a.jpg", "host"),
        }
        for n, (url, _) in links.items():
            w.graph_comment(f"{POST_ID}_{n}", image(url))
        assert w.bot.fetch_media() == {"refused": len(links)}
        for n, (url, reason) in links.items():
            row, = w.media_of(f"{POST_ID}_{n}")
            assert (row["status"], row["attempts"], row["path"]) == ("refused", 1, ""), url
            assert row["error"].startswith(media.REFUSALS[reason]), (url, row["error"])
        assert other.calls == []  # nothing was fetched from anywhere but the configured origin
        assert sorted(c.path for c in api.calls) == ["/media/hop.jpg", "/media/hop2.jpg"]
        assert sorted(set(resolved)) == ["scontent.xx.fbcdn.net", "video.xx.fbcdn.net"]
        assert w.files() == []
        # /arkiv visa says why in the reader's language, with the stored detail
        shown = w.bot.command(LENA, f"/arkiv visa {archive.find(w.ctx, 'facebook', f'{POST_ID}_76')['id']}")
        assert "Orsak: servern har en intern adress (scontent.xx.fbcdn.net -> 10.0.0.7)" in shown.text, shown.text
        row, = w.media_of(f"{POST_ID}_71")
        assert media.reason(w.ctx, row["error"]) == ("länken går inte till någon av Metas servrar för bilder och "
                                                     "filmer (evil.example.com)")
        w.clock.set(w.clock.now() + dt.timedelta(days=1))
        assert w.bot.fetch_media() == {}  # refused is final: never asked for again
    finally:
        other.stop()


def test_an_oversized_body_and_a_wrong_content_type_are_refused_and_leave_no_file(tmp_path, api):
    w = World(tmp_path, api, media_max_bytes=4096)
    big = b"\xff\xd8" + b"x" * 10_000
    cases = {
        "81": (api.serve("big.jpg", big, "image/jpeg"), "size"),  # Content-Length says too much
        "82": (api.serve("stream.jpg", big, "image/jpeg", length=False), "size"),  # streamed, stopped at the limit
        "83": (api.serve("page.html", b"<html>Logga in</html>", "text/html; charset=utf-8"), "type"),
        "84": (api.serve("prog.bin", b"MZ" + b"\0" * 50, "application/octet-stream"), "type"),
        "85": (api.serve("ok.gif", b"GIF89a" + b"\0" * 100, "image/gif"), ""),
    }
    for n, (url, _) in cases.items():
        w.graph_comment(f"{POST_ID}_{n}", image(url))
    assert w.bot.fetch_media() == {"refused": 4, "done": 1}
    for n, (url, reason) in cases.items():
        row, = w.media_of(f"{POST_ID}_{n}")
        if reason:
            assert row["status"] == "refused" and row["error"].startswith(media.REFUSALS[reason]), row
        else:
            assert row["status"] == "done" and row["mime"] == "image/gif" and row["path"].endswith(".gif")
    assert [p.suffix for p in w.files()] == [".gif"]  # only the allowed one; no partial or temporary file


# --------------------------------------------------------------------------- off the lock, soon after capture


def test_the_download_never_holds_the_bots_lock(tmp_path, api):
    """The download waits at the mock until released; meanwhile another thread takes the bot's lock and runs a
    command. Downloaded under the lock, the lock would be held and the command would wait."""
    w = World(tmp_path, api)
    url = api.serve("slow.jpg", PHOTO)
    cid = f"{POST_ID}_86"
    w.webhook(feed(photo_comment(cid, url)))
    released, result, runner = fetch_held(w, api, "/media/slow.jpg")
    assert api.calls_to("GET", "/media/slow.jpg"), "the download never started"
    assert w.bot.lock.acquire(timeout=5), "the download holds the bot's lock"
    w.bot.lock.release()
    assert w.bot.command(LENA, "/uppsikt status").ok  # an entry point while the download waits
    assert w.media_of(cid)[0]["status"] == "pending"
    released.set()
    runner.join(30)
    assert result == [{"done": 1}] and w.media_of(cid)[0]["status"] == "done"  # registered after


def test_a_server_fetches_soon_after_a_capture_and_the_simulator_leaves_links_pending(tmp_path, api):
    w = World(tmp_path, api)
    worker = w.bot.start_media_worker()
    assert worker is not None and w.bot.start_media_worker() is worker
    url = api.serve("soon.jpg", PHOTO)
    cid = f"{POST_ID}_87"
    w.webhook(feed(photo_comment(cid, url)))
    assert worker.wait_idle(30)
    assert w.media_of(cid)[0]["status"] == "done"
    # the scheduler runs it too (server modes with a Meta connection)
    from bot.jobs import build_scheduler

    assert build_scheduler(w.bot).get_job("media") is not None

    plain = World(tmp_path / "sim", None)  # the simulator and the console: no Meta port
    plain.webhook(feed(photo_comment(f"{POST_ID}_88", url)))
    assert plain.bot.start_media_worker() is None and plain.bot.fetch_media() == {}
    assert plain.media_of(f"{POST_ID}_88")[0]["status"] == "pending"
    assert build_scheduler(plain.bot).get_job("media") is None
    out = tmp_path / "sim-paket"
    sip.write(plain.ctx, "facebook", *MARCH, out)
    assert validate(out) == []
    _, entries = _sip_media(out)
    assert [(e.get("status"), e.get("url")) for e in entries] == [("pending", url)]


# --------------------------------------------------------------------------- weeding and release


def test_weeding_deletes_the_media_of_weeded_content_and_keeps_held_content_and_the_release_lists_it(
        tmp_path, api, capsys):
    from tests.archive.test_archive_complete import ARKIVARIE, config_path

    settings = load_settings(config_path())
    w = World(tmp_path, api, settings=settings)
    plain, held = f"{POST_ID}_91", f"{POST_ID}_92"
    w.webhook(feed(photo_comment(plain, api.serve("plain.jpg", PHOTO + b"1"), "Fin bild på torget i dag.")))
    w.webhook(feed(photo_comment(held, api.serve("held.jpg", PHOTO + b"2"), "Vilken fin utsikt från tornet.")))
    assert w.bot.fetch_media() == {"done": 2}
    items = {c: w.bot.item_for_message("facebook", c) for c in (plain, held)}
    for item in items.values():
        assert w.bot.action(LENA, "no_reply", str(item), reason="Inget att svara på").ok
    assert w.bot.command(ARKIVARIE, f"/arkiv stoppa ärende={items[held]} Tvist om torget").ok
    # the release export lists the attachment with its file and checksum
    from bot.cli import main

    code = main(["export", "release", "utsikt från tornet", "--format", "json", "--config", str(config_path()),
                 "--db", str(w.data / "uppsikt.db")])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    archived = [r for r in rows if r["record_type"] == "archive"] or rows
    assert any(m["sha256"] == hashlib.sha256(PHOTO + b"2").hexdigest() and m["status"] == "done"
               for r in archived for m in r.get("media") or [])

    w.clock.set(local(2026, 7, 1, 9, 0))
    assert w.bot.command(LENA, "/snapshot klar facebook Platina KS 2026/7").ok
    w.clock.set(local(2026, 7, 2, 9, 0))
    w.bot.tick()
    gone, kept = w.media_of(plain)[0], w.media_of(held)[0]
    assert archive.get(w.ctx, gone["object_id"])["weeded_at"] is not None
    assert (gone["status"], gone["path"]) == ("weeded", "")
    assert kept["status"] == "done" and (w.data / kept["path"]).read_bytes() == PHOTO + b"2"
    assert w.files() == [w.data / kept["path"]]  # the weeded file is deleted
    out = tmp_path / "paket"
    sip.write(w.ctx, "facebook", *MARCH, out)
    assert validate(out) == []
    files, entries = _sip_media(out)
    assert list(files) == [f"data/media/{kept['sha256']}.jpg"]
    assert sorted(e.get("status") for e in entries) == ["done", "weeded"]


def test_a_file_shared_by_two_objects_stays_while_one_of_them_is_kept(tmp_path, api):
    """Content-addressed: the same picture under two comments is one file; weeding one keeps it for the other."""
    w = World(tmp_path, api)
    a = w.graph_comment(f"{POST_ID}_93", image(api.serve("same1.jpg", PHOTO)))
    b = w.graph_comment(f"{POST_ID}_94", image(api.serve("same2.jpg", PHOTO)))
    assert w.bot.fetch_media() == {"done": 2}
    assert len(w.files()) == 1
    with w.ctx.db.atomic():
        media.forget(w.ctx, [a])
    assert len(w.files()) == 1 and w.media_of(f"{POST_ID}_93")[0]["status"] == "weeded"
    with w.ctx.db.atomic():
        media.forget(w.ctx, [b])
    assert w.files() == []



def test_backfill_reads_the_attachment_fields_and_fetches_what_a_webhook_missed(tmp_path, api):
    """Backfill (issue 12) asks Graph for the attachments' fields; a photo post and a photo comment that arrived
    while Uppsikt was down are archived with their media, and fetched."""
    from bot.clock import to_epoch

    w = World(tmp_path, api)
    post_pic = api.serve("post.jpg", PHOTO + b"post")
    comment_pic = api.serve("comment.png", b"\x89PNG\r\n\x1a\n" + b"p" * 64, "image/png")
    api.add_post("P1", "Nu öppnar isbanan", to_epoch(START + dt.timedelta(minutes=20)), picture=post_pic)
    api.add_comment("P1_1", "", "2000001", "Anna Andersson", post="P1", created=to_epoch(START + dt.timedelta(minutes=40)),
                    attachment=image(comment_pic))
    w.clock.set(START + dt.timedelta(hours=1))
    w.bot.check_channels(startup=True)
    feed_call = api.calls_to("GET", f"/{FB_PAGE}/feed")[0]
    assert "full_picture" in feed_call.params["fields"] and "attachments" in feed_call.params["fields"]
    assert "attachment" in api.calls_to("GET", "/P1/comments")[0].params["fields"]
    rows = [dict(r) for r in w.ctx.db.query(
        "SELECT o.external_id, m.url FROM archive_media m JOIN archive_objects o ON o.id = m.object_id ORDER BY m.id")]
    assert rows == [{"external_id": "P1", "url": post_pic}, {"external_id": "P1_1", "url": comment_pic}]
    assert w.bot.fetch_media() == {"done": 2}
    assert sorted(p.suffix for p in w.files()) == [".jpg", ".png"]


def test_a_direct_messages_image_is_kept_with_the_message(tmp_path, api):
    """R6: a message is a record; its attachment (Messenger's `attachments[].payload.url`) is fetched too."""
    w = World(tmp_path, api)
    url = api.serve("dm.jpg", PHOTO + b"dm")
    ms = int(START.timestamp()) * 1000
    w.webhook({"object": "page", "entry": [{"id": FB_PAGE, "time": ms, "messaging": [
        {"sender": {"id": "6783024578"}, "recipient": {"id": FB_PAGE}, "timestamp": ms,
         "message": {"mid": "m_pic1", "text": "Här är hålet i vägen",
                     "attachments": [{"type": "image", "payload": {"url": url}}]}}]}]})
    obj = archive.find(w.ctx, "messenger", "m_pic1")
    assert json.loads(archive.versions(w.ctx, obj["id"])[0]["raw_json"])["message"]["attachments"][0]["type"] == "image"
    assert w.bot.fetch_media() == {"done": 1}
    row, = [dict(r) for r in w.ctx.db.query("SELECT * FROM archive_media WHERE object_id = ?", [obj["id"]])]
    assert row["sha256"] == hashlib.sha256(PHOTO + b"dm").hexdigest() and row["account_id"] == "facebook"


def fetch_held(w, api, path: str):
    """Start a download run in a thread while the mock holds `path`'s answer; returns when the request arrived
    (or after 20 s): (the event that releases it, the run's result list, the thread)."""
    released = api.hold(path)
    result: list[dict] = []
    runner = threading.Thread(target=lambda: result.append(w.bot.fetch_media()))
    runner.start()
    deadline = time.monotonic() + 20
    while not api.calls_to("GET", path) and time.monotonic() < deadline:
        time.sleep(0.01)
    return released, result, runner


@contextlib.contextmanager
def https_cdn(name: str = "scontent.xx.fbcdn.net"):
    """A local HTTPS server on 127.0.0.1 serving PHOTO, with a certificate for `name` from a test CA (trustme):
    yields (its address, a client SSL context that trusts the CA)."""
    import ssl
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import trustme

    ca = trustme.CA()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(name).configure_cert(server_ctx)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(PHOTO)))
            self.end_headers()
            self.wfile.write(PHOTO)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    try:
        yield server.server_address, client_ctx
    finally:
        server.shutdown()
        server.server_close()


def test_the_pinned_connection_checks_the_certificate_for_the_host_name(tmp_path):
    """A Meta media host is fetched from the address that was checked, never from a second DNS answer, and the
    TLS certificate must still be valid for the host name: here a local HTTPS server with a certificate for
    scontent.xx.fbcdn.net from a test CA (trustme) on 127.0.0.1."""
    import ssl

    from bot.adapters.meta.graph import _PinnedHTTPS

    with https_cdn() as ((_, port), client_ctx):
        conn = _PinnedHTTPS("scontent.xx.fbcdn.net", "127.0.0.1", port, 5, context=client_ctx)
        conn.request("GET", "/v/a.jpg")
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (200, PHOTO)
        conn.close()
        wrong = _PinnedHTTPS("other.fbcdn.net", "127.0.0.1", port, 5, context=client_ctx)
        with pytest.raises(ssl.SSLCertVerificationError):
            wrong.request("GET", "/v/a.jpg")
        wrong.close()


def test_content_weeded_while_its_attachment_was_downloading_leaves_no_file(tmp_path, api):
    """Weeding (under the lock) may empty an object while its attachment is being fetched (off the lock): the
    registration then finds the row weeded and the fetched file is deleted, not left behind."""
    w = World(tmp_path, api)
    a = w.graph_comment(f"{POST_ID}_95", image(api.serve("race.jpg", PHOTO)))
    released, result, runner = fetch_held(w, api, "/media/race.jpg")
    with w.bot.lock, w.ctx.db.atomic():
        media.forget(w.ctx, [a])
    released.set()
    runner.join(30)
    assert result == [{"gone": 1}]
    assert w.media_of(f"{POST_ID}_95")[0]["status"] == "weeded" and w.files() == []


def test_an_erasure_request_deletes_the_authors_attachments_too(tmp_path, api):
    """GDPR art. 17 (`uppsikt forget` → archive.erase): the emptied object's attachment file is deleted too."""
    w = World(tmp_path, api)
    a = w.graph_comment(f"{POST_ID}_96", image(api.serve("mine.jpg", PHOTO + b"mine")))
    assert w.bot.fetch_media() == {"done": 1} and len(w.files()) == 1
    with w.bot.lock, w.ctx.db.atomic():
        archive.erase(w.ctx, [a], "arkiv@example.se")
    assert w.files() == [] and w.media_of(f"{POST_ID}_96")[0]["status"] == "weeded"


def test_a_backfill_brings_the_attachment_a_webhook_lacked_and_repeats_add_nothing(tmp_path, api):
    """Graph signs its links anew on every read: the same comment delivered again adds no second download, but a
    comment first delivered without its picture gets it from the later delivery that has it."""
    w = World(tmp_path, api)
    cid = f"{POST_ID}_97"
    w.webhook(feed(comment(cid, "Se bilden")))  # no photo in this delivery
    assert w.media_of(cid) == []
    w.graph_comment(cid, image(api.serve("late.jpg", PHOTO)), text="Se bilden")  # backfill's Graph row
    assert [r["url"] for r in w.media_of(cid)] == [api.media_url("late.jpg")]
    w.graph_comment(cid, image(api.media_url("late.jpg") + "?oh=again"), text="Se bilden")
    assert len(w.media_of(cid)) == 1


def test_one_link_that_breaks_the_port_never_stops_the_other_downloads(tmp_path, api):
    """An unexpected error from the port on one link is recorded on its row (retried, then failed) and the
    downloads after it in the same run go on."""
    from bot.media_worker import MediaWorker

    class Port:
        def download(self, url: str, into: Path) -> media.Downloaded:
            if "odd" in url:
                raise RuntimeError("something unexpected")
            into.mkdir(parents=True, exist_ok=True)
            part = into / ".media-test.part"
            part.write_bytes(PHOTO)
            return media.Downloaded(part, hashlib.sha256(PHOTO).hexdigest(), "image/jpeg", len(PHOTO))

    w = World(tmp_path, None)
    w.bot.media_worker = MediaWorker(w.bot, Port())
    w.graph_comment(f"{POST_ID}_98", image("https://scontent.xx.fbcdn.net/odd.jpg"))
    w.graph_comment(f"{POST_ID}_99", image("https://scontent.xx.fbcdn.net/fine.jpg"))
    assert w.bot.fetch_media() == {"retry": 1, "done": 1}
    odd, = w.media_of(f"{POST_ID}_98")
    assert odd["status"] == "pending" and odd["error"] == "RuntimeError: something unexpected"
    assert w.media_of(f"{POST_ID}_99")[0]["status"] == "done"


def test_behind_an_egress_proxy_a_media_host_is_reached_through_its_connect_tunnel(tmp_path):
    """Municipal networks often reach the Internet only through a proxy (HTTPS_PROXY): a Meta media host is then
    fetched through the proxy's CONNECT tunnel, with the proxy's credentials, the certificate checked for the
    host end to end and no local DNS lookup (the proxy resolves); a host off Meta's list is refused before the
    proxy is asked at all."""
    import base64
    import socket
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bot.adapters.meta.graph import GraphClient
    from bot.core.media import MediaError

    asked: list[tuple[str, str]] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_CONNECT(self) -> None:  # noqa: N802 - a tunnel to the local CDN whatever the name asked for
            asked.append((self.path, self.headers.get("Proxy-Authorization", "")))
            upstream = socket.create_connection(cdn_address, timeout=5)
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            pipes = [threading.Thread(target=_pipe, args=(self.connection, upstream), daemon=True),
                     threading.Thread(target=_pipe, args=(upstream, self.connection), daemon=True)]
            for p in pipes:
                p.start()
            for p in pipes:
                p.join(10)

        def log_message(self, *args) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    with contextlib.ExitStack() as stack:
        stack.callback(proxy.server_close)
        stack.callback(proxy.shutdown)
        cdn_address, client_ctx = stack.enter_context(https_cdn())
        def no_lookup(host: str) -> list[str]:
            raise AssertionError(f"{host} was looked up locally")

        client = GraphClient({}, base_url="https://graph.invalid", resolve=no_lookup, media_context=client_ctx,
                             media_proxy=f"http://uppsikt:hemligt%21@127.0.0.1:{proxy.server_address[1]}")
        got = client.download("https://scontent.xx.fbcdn.net/v/a.jpg?oh=1", tmp_path)
        assert got.sha256 == hashlib.sha256(PHOTO).hexdigest() and got.mime == "image/jpeg"
        assert got.path.read_bytes() == PHOTO
        assert asked == [("scontent.xx.fbcdn.net:443",
                          "Basic " + base64.b64encode(b"uppsikt:hemligt!").decode())]
        with pytest.raises(MediaError) as refused:
            client.download("https://intranet.ekby.se/a.jpg", tmp_path)
        assert refused.value.kind == "refused" and len(asked) == 1
        # A certificate for another name is refused through the tunnel as it is without one.
        other = GraphClient({}, base_url="https://graph.invalid", resolve=no_lookup, media_context=client_ctx,
                            media_hosts=("fbcdn.net", "example-cdn.net"),
                            media_proxy=f"http://127.0.0.1:{proxy.server_address[1]}")
        with pytest.raises(MediaError) as wrong:
            other.download("https://img.example-cdn.net/a.jpg", tmp_path)
        assert wrong.value.kind == "transient" and "CERTIFICATE_VERIFY_FAILED" in str(wrong.value)
        assert list(tmp_path.glob(".media-*")) == [got.path]  # the fetched file (its caller moves it), no other


def _pipe(src, dst) -> None:
    """One direction of the test proxy's tunnel, until either side closes (a reset is such an end too)."""
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    with contextlib.suppress(OSError):  # the other direction may have closed it already
        dst.shutdown(2)
