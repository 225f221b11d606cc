"""Intake webhooks (bot/adapters/webhooks.py): Meta's Page feed, Instagram comments, Messenger and
Instagram direct messages, and the generic signed JSON intake.

Payloads follow the fields Meta documents (Graph API webhooks: Page ``feed`` changes with item,
verb, from {id, name}, post_id, comment_id, message, created_time, post.permalink_url; Instagram
``comments`` changes with id, text, from {id, username}, media {id, media_product_type};
Messenger/Instagram messaging with sender, recipient, timestamp, message {mid, text}). Bodies are
JSON with ``\\u00e5`` and ``\\ud83d\\ude00`` escapes and are signed over the exact bytes sent.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from bot.adapters.webhooks import INTAKE_PATH, META_PATH, handle, sign_intake, sign_meta
from bot.clock import to_epoch
from bot.settings import Secrets, secrets_from_env
from tests.conftest import Harness, local

APP_SECRET = "meta-app-hemlighet-3f9a"
VERIFY_TOKEN = "uppsikt-verifiering-77"
INTAKE_SECRET = "delad-nyckel-för-flöden-12"
SECRETS = Secrets(meta_app_secret=APP_SECRET, meta_verify_token=VERIFY_TOKEN, intake_secret=INTAKE_SECRET)
FB_PAGE = "100000000000001"  # config/example.toml: account "facebook"
LIB_PAGE = "100000000000002"  # account "bibliotek"
IG_ACCOUNT = "17841400000000001"  # account "instagram"
START = local(2026, 12, 1, 10, 0)  # a Tuesday
POST_ID = f"{FB_PAGE}_987654321098765"
POST_URL = "https://www.facebook.com/ekbykommun/posts/pfbid02xYz"
TABLES = ("items", "outbox", "audit", "item_history", "dispatched")


@pytest.fixture
def h(settings) -> Harness:
    return Harness(settings, START)


def dumps(payload: object) -> bytes:
    """JSON as Meta sends it: non-ASCII escaped (\\u00e5, surrogate pairs for emoji)."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def counts(h: Harness) -> dict[str, int]:
    return {t: h.bot.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def items(h: Harness) -> list[dict]:
    return list(h.bot.db.query("SELECT * FROM items ORDER BY id"))


def meta_post(h: Harness, body: bytes, *, signature: str | None = None, header: str = "X-Hub-Signature-256"):
    sig = sign_meta(APP_SECRET, body) if signature is None else signature
    headers = {"Content-Type": "application/json", **({header: sig} if sig else {})}
    return handle(h.bot, SECRETS, "POST", META_PATH, {}, headers, body)


def feed(change: dict, page: str = FB_PAGE) -> dict:
    return {"object": "page", "entry": [{"id": page, "time": to_epoch(START), "changes": [{"field": "feed", "value": change}]}]}


def comment(comment_id: str, message: str, *, verb: str = "add", name: str = "Kalle Åberg",
            user: str = "5550001", minutes_ago: int = 5) -> dict:
    return {
        "from": {"id": user, "name": name},
        "post": {"status_type": "added_photos", "is_published": True, "permalink_url": POST_URL, "id": POST_ID},
        "message": message, "post_id": POST_ID, "comment_id": comment_id, "parent_id": POST_ID,
        "created_time": to_epoch(START) - minutes_ago * 60, "item": "comment", "verb": verb,
    }


def intake_post(h: Harness, body: bytes | dict, *, timestamp: int | None = None, secret: str = INTAKE_SECRET,
                headers: dict | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
    ts = h.ctx.now_ts() if timestamp is None else timestamp
    hdrs = {"X-Uppsikt-Timestamp": str(ts), "X-Uppsikt-Signature": sign_intake(secret, ts, raw)} if headers is None else headers
    resp = handle(h.bot, SECRETS, "POST", INTAKE_PATH, {}, hdrs, raw)
    return resp, json.loads(resp.body)


# --------------------------------------------------------------------------- routing, secrets


def test_other_paths_are_not_ours(h):
    assert handle(h.bot, SECRETS, "POST", "/slack/events", {}, {}, b"{}") is None
    assert handle(h.bot, SECRETS, "GET", "/healthz", {}, {}, b"") is None
    assert handle(h.bot, SECRETS, "PUT", META_PATH, {}, {}, b"").status == 405
    assert handle(h.bot, SECRETS, "GET", INTAKE_PATH, {}, {}, b"").status == 405


def test_secrets_are_read_from_env_and_masked():
    s = secrets_from_env({"META_APP_SECRET": "app-s3cret", "META_VERIFY_TOKEN": "vtok-9", "INTAKE_SECRET": "int-42"})
    assert (s.meta_app_secret, s.meta_verify_token, s.intake_secret) == ("app-s3cret", "vtok-9", "int-42")
    assert not any(v in repr(s) for v in ("app-s3cret", "vtok-9", "int-42"))


def test_unconfigured_secrets_refuse_everything(h):
    empty = Secrets()
    body = dumps(feed(comment(f"{POST_ID}_1", "Hej")))
    forged = {"X-Hub-Signature-256": sign_meta("", body)}  # an HMAC with an empty key is not a signature
    assert handle(h.bot, empty, "POST", META_PATH, {}, forged, body).status == 503
    query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    assert handle(h.bot, empty, "GET", META_PATH, query, {}, b"").status == 403
    raw = b'{"account":"facebook","text":"Hej","external_id":"x"}'
    resp = handle(h.bot, empty, "POST", INTAKE_PATH, {}, {"X-Uppsikt-Timestamp": "1", "X-Uppsikt-Signature": sign_intake("", 1, raw)}, raw)
    assert resp.status == 503 and "INTAKE_SECRET" in json.loads(resp.body)["error"]
    assert items(h) == []


# --------------------------------------------------------------------------- Meta handshake and signature


def test_handshake_echoes_challenge_only_with_the_right_token(h):
    ok = handle(h.bot, SECRETS, "GET", META_PATH,
                {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}, {}, b"")
    assert (ok.status, ok.body) == (200, b"1158201444")
    bad = handle(h.bot, SECRETS, "GET", META_PATH,
                 {"hub.mode": "subscribe", "hub.verify_token": "gissat", "hub.challenge": "1158201444"}, {}, b"")
    assert bad.status == 403 and b"1158201444" not in bad.body and VERIFY_TOKEN.encode() not in bad.body
    assert "META_VERIFY_TOKEN" in bad.body.decode()
    wrong_mode = handle(h.bot, SECRETS, "GET", META_PATH,
                        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}, {}, b"")
    assert wrong_mode.status == 403


def test_bad_or_missing_signature_is_401_and_nothing_is_stored(h, caplog):
    payload = feed(comment(f"{POST_ID}_111", "Varför är det så halt på gångbanan vid skolan?"))
    body = dumps(payload)
    before = counts(h)
    caplog.set_level(logging.DEBUG)
    assert meta_post(h, body, signature="").status == 401  # missing
    assert meta_post(h, body, signature="sha256=" + "0" * 64).status == 401  # wrong
    assert meta_post(h, body, signature=sign_meta("en annan hemlighet", body)).status == 401  # other key
    # signed over other bytes of the same JSON (re-serialised with indentation): refused
    assert meta_post(h, body, signature=sign_meta(APP_SECRET, json.dumps(payload, indent=1).encode())).status == 401
    # signed right but the body changed afterwards
    tampered = body.replace(b"halt", b"torr")
    assert meta_post(h, tampered, signature=sign_meta(APP_SECRET, body)).status == 401
    resp = meta_post(h, body, signature="sha1=" + "0" * 40)
    assert resp.status == 401 and "X-Hub-Signature-256" in resp.body.decode()
    assert counts(h) == before and h.chat.sent == []
    assert APP_SECRET not in caplog.text and "halt" not in caplog.text  # neither secrets nor citizens' text in logs
    # the same body with the right signature, header name in another case, is accepted
    assert meta_post(h, body, header="x-hub-signature-256").status == 200
    assert len(items(h)) == 1


# --------------------------------------------------------------------------- Meta events


def test_page_comment_becomes_item_on_the_right_account_with_author_permalink_and_card(h):
    created = to_epoch(START) - 300
    # The exact bytes Meta would send: \u00e5 \u00e4 \u00f6 escapes, an emoji as a surrogate pair,
    # escaped quotes and a newline.
    body = (
        '{"object":"page","entry":[{"id":"' + FB_PAGE + '","time":' + str(to_epoch(START)) + ',"changes":[{"field":"feed",'
        '"value":{"from":{"id":"5550001","name":"Kalle \\u00c5berg"},'
        '"post":{"status_type":"added_photos","is_published":true,"permalink_url":"' + POST_URL + '","id":"' + POST_ID + '"},'
        '"message":"N\\u00e4r t\\u00f6ms soptunnorna p\\u00e5 \\"Storgatan\\"?\\nTack! \\ud83d\\ude00",'
        '"post_id":"' + POST_ID + '","comment_id":"' + POST_ID + '_4242","parent_id":"' + POST_ID + '",'
        '"created_time":' + str(created) + ',"item":"comment","verb":"add"}}]}]}'
    ).encode("ascii")
    resp = meta_post(h, body)
    assert resp.status == 200, resp.body
    [item] = items(h)
    assert item["account_id"] == "facebook" and item["source"] == "facebook" and item["kind"] == "comment"
    assert item["external_id"] == f"{POST_ID}_4242"
    assert item["text"] == 'När töms soptunnorna på "Storgatan"?\nTack! 😀'
    assert item["author"] == "Kalle Åberg"
    assert item["permalink"] == POST_URL
    assert item["received_at"] == created
    assert item["status"] == "open" and item["assignee"]  # a question: tracked, assigned, deadline set
    [(_, card)] = h.sent(kind="item", to="#konto-facebook")
    assert card.item == item["id"] and "Storgatan" in card.text
    assert (h.ctx.t("card.author"), "Kalle Åberg") in card.fields
    assert h.sent(kind="assignment")


def test_visitor_post_and_second_page_go_to_their_accounts(h):
    post = {"from": {"id": "5550002", "name": "Greta"}, "item": "status", "verb": "add", "published": 1,
            "post_id": f"{LIB_PAGE}_11", "message": "Tack för en fin sagostund i lördags! \U0001f4da",
            "created_time": to_epoch(START) - 60, "permalink_url": "https://www.facebook.com/ekbybibliotek/posts/11"}
    assert meta_post(h, dumps(feed(post, page=LIB_PAGE))).status == 200
    [item] = items(h)
    assert (item["account_id"], item["kind"], item["external_id"]) == ("bibliotek", "post", f"{LIB_PAGE}_11")
    assert item["permalink"] == "https://www.facebook.com/ekbybibliotek/posts/11"
    assert item["text"].endswith("📚") and item["status"] == "noted"
    assert h.sent(kind="item", to="#konto-bibliotek")


def test_the_pages_own_posts_and_replies_and_likes_are_not_items(h):
    own = comment(f"{POST_ID}_9", "Hej Kalle! Soptunnorna töms på torsdag. /Lena, kommunikatör", name="Ekby kommun", user=FB_PAGE)
    like = {"from": {"id": "5550001", "name": "Kalle"}, "item": "reaction", "verb": "add", "reaction_type": "like",
            "post_id": POST_ID, "created_time": to_epoch(START)}
    body = dumps({"object": "page", "entry": [{"id": FB_PAGE, "time": to_epoch(START), "changes": [
        {"field": "feed", "value": own}, {"field": "feed", "value": like}]}]})
    resp = meta_post(h, body)
    assert resp.status == 200 and "2" in resp.body.decode()
    assert items(h) == []


def test_photo_comment_without_text_is_still_an_item(h):
    change = comment(f"{POST_ID}_77", "")
    del change["message"]
    change["photo"] = "https://scontent.xx.fbcdn.net/v/t1/123.jpg"
    assert meta_post(h, dumps(feed(change))).status == 200
    [item] = items(h)
    assert "Facebook" in item["text"] and "bild" in item["text"]


def test_instagram_comment(h):
    payload = {"object": "instagram", "entry": [{"id": IG_ACCOUNT, "time": to_epoch(START), "changes": [{
        "field": "comments",
        "value": {"from": {"id": "232323232", "username": "snögubben_ekby"},
                  "media": {"id": "18023345678901234", "media_product_type": "FEED"},
                  "id": "17865799348089039", "text": "Vem ansvarar för snöröjningen på cykelbanan? ❄️"},
    }]}]}
    assert meta_post(h, dumps(payload)).status == 200
    [item] = items(h)
    assert (item["account_id"], item["source"], item["external_id"]) == ("instagram", "instagram", "17865799348089039")
    assert item["author"] == "snögubben_ekby" and item["text"].endswith("❄️")
    assert h.sent(kind="item", to="#konto-instagram")


def test_direct_messages_are_items_marked_for_the_diarium_r6(h):
    ms = to_epoch(START) * 1000 - 30_000
    messenger = {"object": "page", "entry": [{"id": FB_PAGE, "time": ms, "messaging": [
        {"sender": {"id": "6783024578"}, "recipient": {"id": FB_PAGE}, "timestamp": ms,
         "message": {"mid": "m_AbCdEf123", "text": "Hej! Jag vill lämna en synpunkt om snöröjningen på Storgatan 🙂"}},
        {"sender": {"id": FB_PAGE}, "recipient": {"id": "6783024578"}, "timestamp": ms + 1000,  # the page's echo
         "message": {"mid": "m_echo1", "is_echo": True, "app_id": 1517776481860111, "text": "Tack, vi tittar på det."}},
        {"sender": {"id": "6783024578"}, "recipient": {"id": FB_PAGE}, "timestamp": ms + 2000,
         "read": {"watermark": ms + 1000}},
    ]}]}
    assert meta_post(h, dumps(messenger)).status == 200
    instagram = {"object": "instagram", "entry": [{"id": IG_ACCOUNT, "time": ms, "messaging": [
        {"sender": {"id": "1122334455"}, "recipient": {"id": IG_ACCOUNT}, "timestamp": ms,
         "message": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZA", "text": "Får man grilla vid badplatsen?"}}]}]}
    assert meta_post(h, dumps(instagram)).status == 200
    dm, ig_dm = items(h)
    assert (dm["account_id"], dm["source"], dm["kind"], dm["external_id"]) == ("facebook", "messenger", "dm", "m_AbCdEf123")
    assert dm["author"] == "6783024578" and dm["received_at"] == (ms // 1000)
    assert (ig_dm["account_id"], ig_dm["source"], ig_dm["kind"]) == ("instagram", "instagram_dm", "dm")
    for item in (dm, ig_dm):
        assert item["diarium"] == 1 and item["diarium_reason"] == "direktmeddelande"


def test_edit_is_recorded_as_a_new_version_with_a_note_on_the_first(h):
    cid = f"{POST_ID}_500"
    meta_post(h, dumps(feed(comment(cid, "När öppnar badhuset?"))))
    [first] = items(h)
    h.clear()
    edited = dumps(feed(comment(cid, "När öppnar badhuset igen efter renoveringen?", verb="edited", minutes_ago=5)))
    assert meta_post(h, edited).status == 200
    first_again, second = items(h)
    assert first_again["text"] == "När öppnar badhuset?"  # the original stays as it was
    assert second["text"] == f"Ändrad version av ärende {first['id']}:\nNär öppnar badhuset igen efter renoveringen?"
    assert second["external_id"].startswith(f"{cid}:edit:") and second["author"] == "Kalle Åberg"
    assert second["permalink"] == POST_URL
    [(_, note)] = h.sent(kind="item_edited")
    assert note.thread == f"item:{first['id']}" and str(second["id"]) in note.text and note.to == "#konto-facebook"
    assert h.sent(kind="item", to="#konto-facebook")  # the new version has its own card
    h.clear()
    assert meta_post(h, edited).status == 200  # Meta's retry of the edit
    assert len(items(h)) == 2 and h.chat.sent == []
    same = dumps(feed(comment(cid, "När öppnar badhuset?", verb="edited")))  # an "edit" that changed nothing
    assert meta_post(h, same).status == 200 and len(items(h)) == 2


def test_removal_on_facebook_keeps_the_item_and_notes_the_card_once(h):
    cid = f"{POST_ID}_600"
    meta_post(h, dumps(feed(comment(cid, "Var kan jag hämta sandsäckar?"))))
    [item] = items(h)
    h.clear()
    removed = dumps(feed(comment(cid, "", verb="remove")))
    assert meta_post(h, removed).status == 200
    [still] = items(h)
    assert still["text"] == "Var kan jag hämta sandsäckar?" and still["status"] == item["status"]
    [(_, note)] = h.sent(kind="item_removed_on_platform")
    assert note.thread == f"item:{item['id']}" and "Facebook" in note.text and "allmän handling" in note.text
    assert "Inget svar behövs" in note.text  # an open question: how to close it if no answer is needed
    audit = list(h.bot.db.query("SELECT * FROM audit WHERE action = 'webhook.removed_on_platform'"))
    assert len(audit) == 1 and audit[0]["subject"] == f"item:{item['id']}"
    assert h.bot.db.execute("SELECT COUNT(*) FROM item_history WHERE action = 'removed_on_platform'").fetchone()[0] == 1
    h.clear()
    assert meta_post(h, removed).status == 200  # retried: no second note
    assert h.chat.sent == []
    never_seen = dumps(feed(comment(f"{POST_ID}_601", "", verb="remove")))
    assert meta_post(h, never_seen).status == 200 and h.chat.sent == [] and len(items(h)) == 1


def test_a_retried_delivery_makes_no_duplicate(h):
    body = dumps(feed(comment(f"{POST_ID}_700", "Hur söker jag bygglov för en altan?")))
    assert meta_post(h, body).status == 200
    sent = len(h.chat.sent)
    resp = meta_post(h, body)
    assert resp.status == 200 and "1 redan mottagna" in resp.body.decode()
    assert len(items(h)) == 1 and len(h.chat.sent) == sent


def test_unknown_page_is_refused_clearly_logged_and_told_once(h, caplog):
    caplog.set_level(logging.WARNING)
    body = dumps(feed(comment("999_1", "Hej från en okänd sida"), page="999000999"))
    resp = meta_post(h, body)
    assert resp.status == 422 and "999000999" in resp.body.decode() and "external_id" in resp.body.decode()
    assert items(h) == []
    assert "999000999" in caplog.text
    [(_, alert)] = h.sent(kind="webhook_unknown_account")
    assert alert.to == "#kommunikation" and 'external_id = "999000999"' in alert.text
    assert meta_post(h, body).status == 422  # Meta retries: still refused, communicators not told twice the same day
    assert len(h.sent(kind="webhook_unknown_account")) == 1
    audit = list(h.bot.db.query("SELECT * FROM audit WHERE action = 'webhook.unknown_account'"))
    assert len(audit) == 1 and audit[0]["subject"] == "page:999000999"
    # A delivery with a known and an unknown page: the known part is stored and acknowledged.
    mixed = feed(comment(f"{POST_ID}_800", "När är nästa kommunfullmäktige?"))
    mixed["entry"].append(feed(comment("999_2", "Hej igen"), page="999000999")["entry"][0])
    assert meta_post(h, dumps(mixed)).status == 200
    assert [i["external_id"] for i in items(h)] == [f"{POST_ID}_800"]


def test_malformed_json_after_a_valid_signature_is_400_and_nothing_is_stored(h):
    before = counts(h)
    for body in (b'{"object":"page","entry":[{"id":', b"\xff\xfe not utf-8", b"[1,2,3]", b'{"entry":[]}',
                 b'{"object":"page","entry":{"id":"1"}}', b'{"object":"page","entry":[{"changes":[]}]}'):
        resp = meta_post(h, body)
        assert resp.status == 400, body
        assert "Inget sparades" in resp.body.decode()
    assert counts(h) == before and h.chat.sent == []


def test_other_meta_objects_are_acknowledged_and_ignored(h):
    body = dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": []}]})
    assert meta_post(h, body).status == 200 and items(h) == []


def test_a_failure_while_storing_rolls_back_the_whole_delivery(h, monkeypatch):
    from bot.core import moderation

    calls = []

    def boom(ctx, item):
        calls.append(item["id"])
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(moderation, "on_intake", boom)
    payload = {"object": "page", "entry": [{"id": FB_PAGE, "time": 1, "changes": [
        {"field": "feed", "value": comment(f"{POST_ID}_901", "Första")},
        {"field": "feed", "value": comment(f"{POST_ID}_902", "Andra")}]}]}
    before = counts(h)
    assert meta_post(h, dumps(payload)).status == 500
    assert counts(h) == before and h.chat.sent == []


# --------------------------------------------------------------------------- generic signed intake


def test_generic_intake_ok_and_duplicate(h):
    payload = {"account": "linkedin", "text": "Hur söker man sommarjobb hos er? 🌞", "author": "Sara Öberg",
               "external_id": "urn:li:comment:(7123,7456)", "source": "linkedin",
               "permalink": "https://www.linkedin.com/feed/update/urn:li:activity:7123/", "kind": "comment",
               "received_at": "2026-12-01T09:41:00+01:00"}
    raw = json.dumps(payload, ensure_ascii=True).encode()  # \u00f6 and \ud83c\udf1e escapes
    resp, data = intake_post(h, raw)
    assert resp.status == 200 and resp.content_type.startswith("application/json")
    assert data["created"] is True
    [item] = items(h)
    assert data["item"] == item["id"]
    assert (item["account_id"], item["source"], item["author"]) == ("linkedin", "linkedin", "Sara Öberg")
    assert item["text"] == "Hur söker man sommarjobb hos er? 🌞" and item["received_at"] == to_epoch(local(2026, 12, 1, 9, 41))
    assert h.sent(kind="item", to="#konto-linkedin")
    again, data2 = intake_post(h, raw)  # the flow ran twice
    assert again.status == 200 and data2 == {"item": item["id"], "created": False} and len(items(h)) == 1


def test_generic_intake_dm_is_a_public_record_and_defaults(h):
    resp, data = intake_post(h, {"account": "facebook", "text": "Ett mejl till kommunen", "external_id": "mejl-1", "kind": "dm"})
    assert resp.status == 200
    [item] = items(h)
    assert (item["source"], item["kind"], item["diarium_reason"]) == ("intake", "dm", "direktmeddelande")
    assert item["received_at"] == to_epoch(START)


def test_generic_intake_bad_signature_and_missing_headers_are_401(h):
    payload = {"account": "facebook", "text": "Hej", "external_id": "x-1"}
    before = counts(h)
    resp, data = intake_post(h, payload, secret="fel nyckel")
    assert resp.status == 401 and "X-Uppsikt-Signature" in data["error"] and data["field"] is None
    raw = json.dumps(payload).encode()
    ts = h.ctx.now_ts()
    signed_other_ts = {"X-Uppsikt-Timestamp": str(ts), "X-Uppsikt-Signature": sign_intake(INTAKE_SECRET, ts - 1, raw)}
    assert intake_post(h, raw, headers=signed_other_ts)[0].status == 401
    assert intake_post(h, raw, headers={"X-Uppsikt-Signature": sign_intake(INTAKE_SECRET, ts, raw)})[0].status == 401
    bad_ts = {"X-Uppsikt-Timestamp": "2026-12-01T10:00", "X-Uppsikt-Signature": "sha256=00"}
    assert intake_post(h, raw, headers=bad_ts)[0].status == 401
    assert counts(h) == before
    assert INTAKE_SECRET not in json.dumps(data)


def test_generic_intake_refuses_stale_or_future_timestamps(h):
    payload = {"account": "facebook", "text": "Hej", "external_id": "x-2"}
    resp, data = intake_post(h, payload, timestamp=h.ctx.now_ts() - 301)
    assert resp.status == 401 and "301" in data["error"]
    assert intake_post(h, payload, timestamp=h.ctx.now_ts() + 400)[0].status == 401
    assert intake_post(h, payload, timestamp=h.ctx.now_ts() - 299)[0].status == 200  # within five minutes
    assert len(items(h)) == 1


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({"account": "facebook", "external_id": "a"}, "text", "saknas"),
    ({"account": "facebook", "text": "   ", "external_id": "a"}, "text", "saknas"),
    ({"account": "facebook", "text": "Hej"}, "external_id", "saknas"),
    ({"text": "Hej", "external_id": "a"}, "account", "saknas"),
    ({"account": "tiktok", "text": "Hej", "external_id": "a"}, "account", "inget bevakat konto"),
    ({"account": "facebook", "text": 12, "external_id": "a"}, "text", "textsträng"),
    ({"account": "facebook", "text": "Hej", "external_id": "a", "autor": "Kalle"}, "autor", "finns inte"),
    ({"account": "facebook", "text": "Hej", "external_id": "a", "kind": "tweet"}, "kind", "tweet"),
    ({"account": "facebook", "text": "Hej", "external_id": "a", "source": "Face Book"}, "source", "små bokstäver"),
    ({"account": "facebook", "text": "Hej", "external_id": "a", "permalink": "javascript:alert(1)"}, "permalink", "https://"),
    ({"account": "facebook", "text": "Hej", "external_id": "a", "received_at": "2026-12-01 09:00"}, "received_at", "tidszon"),
    ({"account": "facebook", "text": "Hej", "external_id": "a", "received_at": "2026-12-02T09:00:00+01:00"}, "received_at", "framtiden"),
])
def test_generic_intake_validation_errors_are_400_in_swedish_and_store_nothing(h, payload, field, words):
    before = counts(h)
    resp, data = intake_post(h, payload)
    assert resp.status == 400
    assert data["field"] == field and words in data["error"] and "Inget sparades" in data["error"]
    assert counts(h) == before


def test_generic_intake_malformed_json_is_400(h):
    for raw in (b'{"account": "facebook", "text": ', b'"bara en text"'):
        resp, data = intake_post(h, raw)
        assert resp.status == 400 and "Inget sparades" in data["error"]
    assert items(h) == []


# --------------------------------------------------------------------------- a real HTTP round trip


class _Forward(BaseHTTPRequestHandler):
    """A tiny host server forwarding to `handle`, the way the Slack and Teams servers mount it."""

    server: "_Server"

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        resp = handle(self.server.bot, SECRETS, self.command, parts.path, dict(parse_qsl(parts.query)),
                      dict(self.headers.items()), body)
        status, data, ctype = (404, b"not found", "text/plain") if resp is None else (resp.status, resp.body, resp.content_type)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve  # noqa: N815

    def log_message(self, format, *args):  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bot):
        self.bot = bot
        super().__init__(("127.0.0.1", 0), _Forward)


def _request(url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_http_round_trip_into_the_account_channels(settings, tmp_path):
    h = Harness(settings, START, db=tmp_path / "uppsikt.db")  # a file database: the server thread shares it
    server = _Server(h.bot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        query = urlencode({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "CHALLENGE_ACCEPTED"})
        assert _request(f"{base}{META_PATH}?{query}") == (200, b"CHALLENGE_ACCEPTED")

        body = dumps(feed(comment(f"{POST_ID}_1000", "Får man elda trädgårdsavfall i december? 🔥")))
        assert _request(f"{base}{META_PATH}", body, {"Content-Type": "application/json"})[0] == 401
        status, _ = _request(f"{base}{META_PATH}", body,
                             {"Content-Type": "application/json", "X-Hub-Signature-256": sign_meta(APP_SECRET, body)})
        assert status == 200

        raw = json.dumps({"account": "linkedin", "text": "Vilka tjänster söker ni just nu?", "external_id": "li-55",
                          "source": "linkedin", "author": "Åsa"}, ensure_ascii=False).encode("utf-8")
        ts = h.ctx.now_ts()
        status, data = _request(f"{base}{INTAKE_PATH}", raw, {
            "Content-Type": "application/json", "X-Uppsikt-Timestamp": str(ts),
            "X-Uppsikt-Signature": sign_intake(INTAKE_SECRET, ts, raw)})
        assert status == 200 and json.loads(data)["created"] is True
        assert _request(f"{base}/webhooks/other", b"{}")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
    fb, li = items(h)
    assert (fb["account_id"], fb["text"]) == ("facebook", "Får man elda trädgårdsavfall i december? 🔥")
    assert (li["account_id"], li["author"]) == ("linkedin", "Åsa")
    assert h.sent(kind="item", to="#konto-facebook") and h.sent(kind="item", to="#konto-linkedin")
