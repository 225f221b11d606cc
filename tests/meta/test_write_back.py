"""Issue 11: replying, hiding, deleting and blocking on Facebook and Instagram, against the mock Graph API."""

from __future__ import annotations

import json

import pytest

from bot.adapters.meta.graph import error_from, retry_after
from tests.conftest import local
from tests.meta.mock_graph_api import buc_headers

QUESTION = "Hej! När öppnar simhallen efter renoveringen? Jag vill boka simskola för mina barn."
ANSWER = "Hej Anna! Simhallen öppnar igen den 12 januari. Du bokar simskola på kommunens webbplats."
LENA = "lena@example.se"  # communicator, owner of the facebook account
PER = "per@example.se"  # editor and substitute of the facebook account
OMAR = "omar@example.se"  # other staff: on no account, no role


def reply(world, item_id: int, text: str = ANSWER, actor: str = LENA, **kwargs):
    return world.bot.action(actor, "reply", str(item_id), answer=text, confirm="1", **kwargs)


# --------------------------------------------------------------------------- the client reads Meta's errors


@pytest.mark.parametrize(("status", "code", "subcode", "kind"), [
    (400, 190, 463, "token"), (400, 190, None, "token"), (403, 10, None, "permission"), (403, 200, None, "permission"),
    (400, 100, 33, "gone"), (400, 368, None, "blocked"), (400, 4, None, "rate_limit"), (400, 17, None, "rate_limit"),
    (400, 32, None, "rate_limit"), (400, 613, None, "rate_limit"), (400, 10, 2018278, "window"),
    (500, 2, None, "transient"), (400, 1, None, "transient"), (400, 803, None, "invalid"),
])
def test_meta_error_objects_are_read_by_code_and_subcode(status, code, subcode, kind):
    error = {"message": "x", "type": "OAuthException", "code": code, "fbtrace_id": "A"}
    if subcode is not None:
        error["error_subcode"] = subcode
    got = error_from(status, json.dumps({"error": error}).encode(), {}, sending=True)
    assert (got.kind, got.code, got.subcode) == (kind, code, subcode)
    assert got.uncertain == (kind == "transient")


def test_rate_limit_wait_comes_from_the_usage_headers():
    assert retry_after(buc_headers(7)) == 420
    assert retry_after({"Retry-After": "30"}) == 30
    assert retry_after({"X-Business-Use-Case-Usage": "not json"}) is None
    assert retry_after({}) is None


# --------------------------------------------------------------------------- reply from the card


def test_a_reply_is_previewed_with_signature_and_klarsprak_then_published_once_as_the_page(world):
    w = world()
    item_id = w.comment("111_1", QUESTION)
    routed_to = w.item(item_id)["assignee"]
    colleague = w.bot.action(LENA, "reply", str(item_id), answer=ANSWER)  # Q4: the assignee's answer is published
    assert colleague.ok and colleague.data["signature"].startswith("/" + w.bot.person(routed_to).first_name)
    assert w.bot.action(LENA, "take", str(item_id)).ok
    preview = w.bot.action(LENA, "reply", str(item_id), answer=ANSWER)
    assert preview.ok and not w.api.calls_to("POST", "/comments")
    assert preview.data["preview"] == ANSWER + "\n/Lena, kommunikatör, " + w.ctx.unit_name("kommunledning")
    assert preview.data["signature"] in preview.text and "LIX" in preview.data["feedback"]
    assert preview.data["feedback"] in preview.text
    done = reply(w, item_id)
    assert done.ok, done.text
    posted = w.api.replies("111_1")
    assert len(posted) == 1 and posted[0]["message"] == preview.data["preview"]
    assert posted[0]["from"]["id"] == w.api.page_id
    item = w.item(item_id)
    assert item["status"] == "answered" and item["answer"] == preview.data["preview"]
    assert item["answered_by"] == LENA
    write = w.writes(item_id)[0]
    assert write["status"] == "done" and write["platform_id"] == posted[0]["id"]
    assert write["permalink"] == f"https://www.facebook.com/{posted[0]['id']}"
    assert any("publicerat" in text for text in w.told(LENA, "platform_result"))
    audit = [r[0] for r in w.ctx.db.execute("SELECT action FROM audit WHERE subject = ?", [f"item:{item_id}"])]
    assert "platform.reply.queued" in audit and "platform.reply" in audit and "item.answered" in audit
    again = reply(w, item_id)  # a second click: the item is answered, nothing more is posted
    assert not again.ok and len(w.api.replies("111_1")) == 1


def test_a_template_fills_in_name_account_and_signature(world):
    w = world()
    item_id = w.comment("111_2", QUESTION)
    form = w.bot.form("reply", str(item_id))
    assert [t for t, _ in form.templates] == ["Tack", "Hänvisning"] and QUESTION in form.intro
    preview = w.bot.action(LENA, "reply", str(item_id), answer="", template="Tack")
    signature = preview.data["signature"]
    assert preview.data["preview"] == f"Hej Anna! Tack för ditt meddelande till Ekby kommun. {signature}"
    assert preview.data["preview"].count(signature) == 1  # {signatur} in the template: not signed twice
    unknown = w.bot.action(LENA, "reply", str(item_id), answer="", template="Finns inte")
    assert not unknown.ok and "Tack, Hänvisning" in unknown.text
    empty = w.bot.action(LENA, "reply", str(item_id), answer="  ")
    assert not empty.ok and "Skriv ett svar" in empty.text and not w.writes(item_id)


def test_instagram_replies_go_to_the_replies_edge(world):
    w = world()
    item_id = w.comment("17900001", "Hur söker jag feriejobb i sommar?", source="instagram")
    assert reply(w, item_id, "Hej! Du söker feriejobb på ekby.se/feriejobb senast den 1 mars.").ok
    assert w.api.calls_to("POST", "/17900001/replies") and not w.api.calls_to("POST", "/17900001/comments")
    assert w.item(item_id)["status"] == "answered"


def test_messenger_replies_go_through_the_send_api_inside_the_window(world):
    w = world()
    item_id = w.comment("m_abc", "Hej, när töms soporna på Storgatan?", source="messenger", kind="dm",
                        author_id="PSID77")
    assert reply(w, item_id, "Hej! Soporna töms på tisdagar varannan vecka.").ok
    assert w.api.messages[0]["recipient"] == "PSID77" and w.api.messages[0]["messaging_type"] == "RESPONSE"
    assert w.api.messages[0]["message"]["text"].startswith("Hej! Soporna töms")
    assert w.item(item_id)["status"] == "answered"


def test_a_closed_messaging_window_is_said_in_swedish_before_and_after_sending(world):
    w = world()
    item_id = w.comment("m_old", "Hej, hur ansöker jag om bygglov?", source="messenger", kind="dm",
                        author_id="PSID88")
    w.clock.advance(__import__("datetime").timedelta(hours=25))
    refused = reply(w, item_id, "Hej! Du ansöker på webbplatsen.")
    assert not refused.ok and "Meddelandefönstret" in refused.text and "24 timmar" in refused.text
    assert not w.writes(item_id)
    other = w.comment("m_new", "Hej, hur ansöker jag om parkeringstillstånd?", source="messenger", kind="dm",
                      author_id="PSID99")
    w.api.window_closed.add("PSID99")  # Meta says the window closed (a later message from the Page, say)
    assert reply(w, other, "Hej! Du ansöker på webbplatsen.").ok
    write = w.writes(other)[0]
    assert write["status"] == "waiting" and write["problem"] == "window"
    assert any("Meddelandefönstret" in t and "Hej! Du ansöker" in t for t in w.told(LENA))


# --------------------------------------------------------------------------- exactly one reply per click


def test_a_reply_that_timed_out_after_meta_accepted_it_is_not_posted_twice(world):
    w = world(timeout=0.5)
    item_id = w.comment("111_3", QUESTION)
    w.api.stall("/111_3/comments", 1.5)  # Meta publishes it, the answer comes after the client gave up
    assert reply(w, item_id).ok
    write = w.writes(item_id)[0]
    assert write["status"] == "queued" and write["uncertain"] == 1
    assert len(w.api.replies("111_3")) == 1 and w.item(item_id)["status"] != "answered"
    w.later(120)  # the outbox retries: the Page's replies are read back first
    assert len(w.api.replies("111_3")) == 1
    assert len(w.api.calls_to("POST", "/111_3/comments")) == 1 and w.api.calls_to("GET", "/111_3/comments")
    assert w.writes(item_id)[0]["status"] == "done" and w.item(item_id)["status"] == "answered"


@pytest.mark.parametrize("accepted", [True, False])
def test_a_500_is_retried_and_the_reply_is_published_once(world, accepted):
    w = world()
    item_id = w.comment("111_4", QUESTION)
    w.api.fail("/111_4/comments", status=500, accepted=accepted)
    assert reply(w, item_id).ok
    assert w.writes(item_id)[0]["status"] == "queued"
    row = w.ctx.db.execute("SELECT status, attempts, next_attempt_at FROM outbox WHERE target LIKE 'meta:%'").fetchone()
    assert row[0] == "pending" and row[1] == 1 and row[2] > w.ctx.now_ts()
    w.later(60)
    assert len(w.api.replies("111_4")) == 1
    assert w.item(item_id)["status"] == "answered"


def test_a_rate_limit_waits_as_long_as_meta_says_and_tells_the_person_once(world):
    w = world()
    item_id = w.comment("111_5", QUESTION)
    w.api.fail("/111_5/comments", code=32, headers=buc_headers(5), times=2)
    assert reply(w, item_id).ok
    row = w.ctx.db.execute("SELECT next_attempt_at FROM outbox WHERE target LIKE 'meta:%'").fetchone()
    assert row[0] == w.ctx.now_ts() + 300
    w.later(100)  # not yet due: nothing is tried
    assert len(w.api.calls_to("POST", "/111_5/comments")) == 1
    w.later(250)  # due; limited once more
    w.later(400)
    assert len(w.api.replies("111_5")) == 1
    told = [t for t in w.told(LENA) if "för många anrop" in t]
    assert len(told) == 1 and "5 minuter" in told[0]
    assert w.item(item_id)["status"] == "answered"


def test_an_expired_token_mid_queue_keeps_every_reply_and_tells_the_communicators_once(world):
    w = world()
    first, second = w.comment("111_6", QUESTION), w.comment("111_7", "Var kan jag parkera vid biblioteket?")
    w.bot.outbox.platforms.clear()  # both are queued before the token expires
    assert reply(w, first).ok and reply(w, second, "Hej! Det finns parkering bakom biblioteket.", actor=PER).ok
    w.api.expire()
    w.bot.attach_meta(w.graph)
    w.bot.flush()
    assert [x["status"] for x in w.writes(first) + w.writes(second)] == ["waiting", "waiting"]
    assert not w.api.replies("111_6") and not w.api.replies("111_7")
    assert any("åtkomsttoken" in t and ANSWER in t for t in w.told(LENA))
    assert any("åtkomsttoken" in t and "parkering bakom" in t for t in w.told(PER))
    alerts = w.told("#kommunikation", "platform_alert")
    assert len(alerts) == 1 and "META_PAGE_TOKEN_FACEBOOK" in alerts[0]
    assert w.item(first)["status"] == "open"
    w.api.expired.clear()  # a new token is in place: the person presses "Skicka igen"
    resend = [m for _, m in w.chat.sent if m.to == LENA and m.actions and m.actions[0].name == "platform_resend"][0]
    assert w.bot.action(LENA, "platform_resend", resend.actions[0].value).ok
    assert len(w.api.replies("111_6")) == 1 and w.item(first)["status"] == "answered"


def test_a_missing_permission_waits_and_is_told(world):
    w = world()
    item_id = w.comment("111_8", QUESTION)
    w.api.fail("/111_8/comments", status=403, code=200)
    assert reply(w, item_id).ok
    assert w.writes(item_id)[0]["problem"] == "permission"
    assert any("behörighet" in t for t in w.told(LENA))
    assert len(w.told("#kommunikation", "platform_alert")) == 1
    pending = reply(w, item_id)
    assert not pending.ok and "på väg" in pending.text  # the waiting reply is resent, not typed again


def test_a_comment_deleted_by_its_author_is_said_and_the_text_kept(world):
    w = world()
    item_id = w.comment("111_9", QUESTION)
    w.api.deleted.add("111_9")
    assert reply(w, item_id).ok
    write = w.writes(item_id)[0]
    assert write["status"] == "failed" and write["problem"] == "gone" and write["text"].startswith(ANSWER)
    assert any("finns inte längre" in t and ANSWER in t for t in w.told(LENA))
    assert not w.told("#kommunikation", "platform_alert")


def test_no_token_configured_waits_and_says_so(world):
    w = world()
    w.graph._tokens.pop("facebook")
    item_id = w.comment("111_10", QUESTION)
    assert reply(w, item_id).ok
    assert w.writes(item_id)[0]["problem"] == "no_token" and not w.api.calls
    assert any("ingen sidtoken" in t for t in w.told(LENA))
    alerts = w.told("#kommunikation", "platform_alert")
    assert len(alerts) == 1 and "META_PAGE_TOKEN_FACEBOOK" in alerts[0]
    other = w.comment("111_22", "Var lämnar jag grovsopor?")
    assert reply(w, other, "Hej! På återvinningscentralen.").ok
    assert len(w.told("#kommunikation", "platform_alert")) == 1  # told once


# --------------------------------------------------------------------------- removal on the platform


def test_a_removal_hides_at_once_then_deletes_at_midnight_and_keeps_the_record(world):
    w = world()
    item_id = w.comment("111_11", "Du är en idiot och borde sparkas, Lena Berg.")
    done = w.bot.action(LENA, "remove", str(item_id), reason="personal_attack")
    assert done.ok and "döljs" in done.text and "midnatt" in done.text
    assert w.api.comments["111_11"]["hidden"] is True and "111_11" not in w.api.deleted
    w.later(3600)
    assert "111_11" not in w.api.deleted
    w.clock.set(local(2026, 12, 8, 0, 1))
    w.bot.flush()
    assert "111_11" in w.api.deleted
    record = dict(next(w.ctx.db.query("SELECT * FROM removals WHERE item_id = ?", [item_id])))
    assert record["text"].startswith("Du är en idiot") and record["author"] == "Anna Andersson"
    assert record["ground"] == "personal_attack" and record["decided_by"] == LENA
    kinds = [(x["kind"], x["status"]) for x in w.writes(item_id)]
    assert kinds == [("hide", "done"), ("delete", "done")]


def test_a_removal_can_be_undone_the_same_day_and_the_delete_is_cancelled(world):
    w = world()
    item_id = w.comment("111_12", "Köp billiga solglasögon på www.example.com!!!")
    assert w.bot.action(LENA, "remove", str(item_id), reason="advertising").ok
    assert w.api.comments["111_12"]["hidden"] is True
    undo = w.bot.action(PER, "platform_undo", str(item_id))
    assert undo.ok and "visas igen" in undo.text
    assert w.api.comments["111_12"]["hidden"] is False
    w.clock.set(local(2026, 12, 8, 0, 5))
    w.bot.flush()
    assert "111_12" not in w.api.deleted
    assert w.ctx.db.execute("SELECT COUNT(*) FROM removals WHERE item_id = ?", [item_id]).fetchone()[0] == 1


def test_hide_policy_only_hides(world):
    w = world(removal="hide")
    item_id = w.comment("111_13", "Köp billiga solglasögon på www.example.com!!!")
    assert w.bot.action(LENA, "remove", str(item_id), reason="advertising").ok
    w.clock.set(local(2026, 12, 9, 9, 0))
    w.bot.flush()
    assert w.api.comments["111_13"]["hidden"] is True and "111_13" not in w.api.deleted
    late = w.bot.action(LENA, "platform_undo", str(item_id))
    assert not late.ok and "samma dag" in late.text


def test_a_delete_of_a_comment_already_gone_counts_as_done(world):
    w = world()
    item_id = w.comment("111_14", "Köp billiga solglasögon på www.example.com!!!")
    assert w.bot.action(LENA, "remove", str(item_id), reason="advertising").ok
    w.api.deleted.add("111_14")
    w.clock.set(local(2026, 12, 8, 0, 5))
    w.bot.flush()
    assert [x["status"] for x in w.writes(item_id)] == ["done", "done"]


# --------------------------------------------------------------------------- blocking (M3)


def test_blocking_a_repeat_offender_on_the_page(world):
    w = world()
    first = w.comment("111_15", "Lena Berg är en idiot.", author_id="USER5", author="Nils Troll")
    second = w.comment("111_16", "Lena Berg är fortfarande en idiot.", author_id="USER5", author="Nils Troll")
    for item_id in (first, second):
        assert w.bot.action(LENA, "remove", str(item_id), reason="personal_attack").ok
    recommended = [m for _, m in w.chat.sent if m.kind == "block_recommended"]
    assert recommended and any(a.name == "platform_block" for a in recommended[-1].actions)
    refused = w.bot.action(PER, "platform_block", str(second))  # an editor: not an administrator of the Page? yes
    assert refused.ok  # Per is an admin of the facebook account
    assert w.api.blocked == ["USER5"]
    again = w.bot.action(LENA, "platform_block", str(second))
    assert not again.ok and "redan blockerad" in again.text


def test_instagram_has_no_block_endpoint_and_offers_the_hide(world):
    w = world()
    item_id = w.comment("17900002", "Du är värdelös.", source="instagram", author_id="IGUSER")
    refused = w.bot.action(LENA, "platform_block", str(item_id))
    assert not refused.ok and "Instagram låter inte" in refused.text and "dölj" in refused.text
    assert not w.api.blocked


# --------------------------------------------------------------------------- who may do it


def test_only_the_accounts_staff_and_communicators_may_write_to_the_platform(world):
    w = world()
    item_id = w.comment("111_17", QUESTION)
    for name, kwargs in (("reply", {"answer": ANSWER, "confirm": "1"}), ("platform_block", {})):
        refused = w.bot.action(OMAR, name, str(item_id), **kwargs)
        assert not refused.ok and ("kan inte svara" in refused.text or "Bara kontots" in refused.text)
    assert not w.writes(item_id) and not w.api.calls


def test_accounts_without_writing_do_not_offer_reply(world, settings):
    from bot.bootstrap import build

    bot = build(settings)  # the shipped example: write is off
    item, _ = bot.intake("facebook", QUESTION, source="facebook", external_id="c1")
    refused = bot.action(LENA, "reply", str(item["id"]), answer=ANSWER, confirm="1")
    assert not refused.ok and "platform.write" in refused.text
    w = world()
    item_id = w.comment("111_18", QUESTION)
    card = [m for _, m in w.chat.sent if m.kind == "item" and m.item == item_id][0]
    assert card.actions[0].name == "reply"


# --------------------------------------------------------------------------- set-up and secrets


def test_check_config_reports_accounts_that_write_without_a_token(settings):
    from bot.cli import write_warnings
    from tests.meta.conftest import writing_settings

    written = writing_settings(settings)
    lines = write_warnings(written, {"META_PAGE_TOKEN_FACEBOOK": "EAAsomething"})
    assert len(lines) == 1 and "instagram" in lines[0] and "META_PAGE_TOKEN_INSTAGRAM" in lines[0]
    assert write_warnings(settings, {}) == []  # the shipped example writes nowhere


def test_page_tokens_are_never_logged():
    import logging

    from bot.logs import SecretFilter, configured_secrets

    secret = "EAAB1234567890abcdefghijklmnopqrstuvwxyz"
    env = {"META_PAGE_TOKEN_KULTUR_FRITID": "custom-page-token-value"}
    log_filter = SecretFilter(configured_secrets(env))
    record = logging.LogRecord("uppsikt.meta", logging.WARNING, __file__, 1,
                               "calling %s with %s and custom-page-token-value", ("x", secret), None)
    assert log_filter.filter(record)
    assert secret not in record.getMessage() and "custom-page-token-value" not in record.getMessage()
    from bot.adapters.meta.graph import GraphClient

    assert secret not in repr(GraphClient({"facebook": secret}))


def test_the_graph_version_is_pinned_in_every_call(world):
    w = world()
    item_id = w.comment("111_19", QUESTION)
    assert reply(w, item_id).ok
    assert w.api.calls and all(c.path.startswith("/v21.0/") for c in w.api.calls)
    assert all("access_token" not in c.params for c in w.api.calls)  # the mock keeps no tokens either


def test_weeding_or_erasure_takes_the_platform_rows_with_the_item(world):
    from bot.core import records

    w = world()
    item_id = w.comment("111_20", QUESTION)
    assert reply(w, item_id).ok
    with w.bot.lock, w.ctx.db.atomic():
        records.delete_items(w.ctx, [item_id])
    assert not w.writes(item_id)
    assert not w.ctx.db.execute("SELECT COUNT(*) FROM platform_authors WHERE external_id = '111_20'").fetchone()[0]


def test_the_public_notice_of_a_removal_is_a_template_from_the_grounds_phrase(world):
    w = world(removal="hide")
    item_id = w.comment("111_21", "Köp billiga solglasögon på www.example.com!!!", author="Kim Kvist")
    assert w.bot.action(LENA, "remove", str(item_id), reason="advertising").ok
    done = [m for _, m in w.chat.sent if m.kind == "platform_done" and m.item == item_id][0]
    assert [a.name for a in done.actions] == ["platform_undo", "reply"]
    templates = dict(w.bot.form("reply", str(item_id)).templates)
    notice = templates["Varför kommentaren togs bort"]
    assert w.ctx.t("ground.advertising") in notice
    sent = w.bot.action(LENA, "reply", str(item_id), template="Varför kommentaren togs bort", confirm="1")
    assert sent.ok, sent.text
    published = w.api.replies("111_21")
    assert len(published) == 1 and published[0]["message"].startswith("Hej Kim! Vi har tagit bort din kommentar")
    assert "Ekby kommun" in published[0]["message"] and w.item(item_id)["status"] == "closed"
    again = w.bot.action(LENA, "reply", str(item_id), template="Varför kommentaren togs bort", confirm="1")
    assert not again.ok and len(w.api.replies("111_21")) == 1


def test_a_temporarily_blocked_page_keeps_the_reply_waiting(world):
    w = world()
    item_id = w.comment("111_23", QUESTION)
    w.api.fail("/111_23/comments", code=368)
    assert reply(w, item_id).ok
    write = w.writes(item_id)[0]
    assert write["status"] == "waiting" and write["problem"] == "blocked" and not w.api.replies("111_23")
    assert any("tillfälligt stoppat" in t and ANSWER in t for t in w.told(LENA))
    assert w.bot.action(LENA, "platform_resend", str(write["id"])).ok
    assert len(w.api.replies("111_23")) == 1 and w.item(item_id)["status"] == "answered"


def test_a_direct_message_that_timed_out_is_never_sent_twice_by_itself(world):
    w = world(timeout=0.5)
    item_id = w.comment("m_slow", "Hej, när töms soporna?", source="messenger", kind="dm", author_id="PSID55")
    w.api.stall("/me/messages", 1.5)  # Meta sends it; the answer comes too late
    assert reply(w, item_id, "Hej! På tisdagar.").ok
    assert len(w.api.messages) == 1 and w.writes(item_id)[0]["uncertain"] == 1
    w.later(120)
    assert len(w.api.messages) == 1  # not sent again: it cannot be read back
    write = w.writes(item_id)[0]
    assert write["status"] == "waiting" and write["problem"] == "uncertain"
    assert any("Kontrollera konversationen" in t for t in w.told(LENA))
