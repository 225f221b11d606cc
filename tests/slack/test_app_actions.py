"""Buttons and modals through signed requests: every ActionId, modal open + submit, field errors, the Home tab."""

from __future__ import annotations

import json

from slack_sdk.models.views import View

from bot.adapters.slack.ids import ActionId, BlockId, CallbackId, UiId
from bot.core import accounts
from tests.slack.signing import response_urls, slack  # noqa: F401 (fixtures)

QUESTION = "Hur söker jag bygglov för en altan?"


def new_item(s, text: str = QUESTION, account: str = "konto-facebook") -> tuple[int, str, str]:
    s.message(account, text, integration="Meta")
    item_id = s.bot.db.execute("SELECT MAX(id) FROM items").fetchone()[0]
    channel, ts = s.card_of(item_id)
    return item_id, channel, ts


def item(s, item_id: int) -> dict:
    return dict(s.bot.db["items"].get(item_id))


def opened(s, callback: CallbackId) -> dict:
    view = s.last_view()
    assert view["callback_id"] == callback
    View(**view).validate_json()
    return view


def errors(resp) -> dict:
    body = json.loads(resp.body)
    assert body["response_action"] == "errors"
    return body["errors"]


def test_take_first_reply_and_forwarded_buttons(slack, slack_api):
    s = slack()
    item_id, channel, ts = new_item(s)
    resp, url = s.click("per@example.se", ActionId.TAKE, str(item_id), channel_id=channel, message_ts=ts)
    assert resp.status == 200
    assert f"Ärende {item_id} är ditt nu" in s.said(url) and item(s, item_id)["assignee"] == "per@example.se"
    assert s.urls.to(url)[-1]["response_type"] == "ephemeral"
    _, url = s.click("per@example.se", ActionId.FIRST_REPLY_SENT, str(item_id), channel_id=channel, message_ts=ts)
    s.said(url)
    assert item(s, item_id)["status"] == "first_reply_sent"
    other, channel2, ts2 = new_item(s, "Var kan jag ansöka om bygglov för ett garage?")
    _, url = s.click("omar@example.se", ActionId.FORWARDED, str(other), channel_id=channel2, message_ts=ts2)
    s.said(url)
    assert item(s, other)["status"] == "forwarded"
    # a refusal (first reply twice) is ephemeral and changes nothing
    before = item(s, item_id)
    _, url = s.click("per@example.se", ActionId.FIRST_REPLY_SENT, str(item_id), channel_id=channel, message_ts=ts)
    assert s.said(url) == s.bot.ctx.t("item.first_reply_twice", id=item_id)
    assert s.urls.to(url)[-1]["response_type"] == "ephemeral" and item(s, item_id) == before


def test_answered_opens_an_optional_answer_modal(slack):
    s = slack()
    item_id, channel, ts = new_item(s)
    assignee = item(s, item_id)["assignee"]
    _, url = s.click(assignee, ActionId.ANSWERED, str(item_id), channel_id=channel, message_ts=ts)
    view = opened(s, CallbackId.ANSWER_MODAL)
    assert item(s, item_id)["status"] == "open"  # nothing happens before the modal is submitted
    resp = s.submit(assignee, view, **{BlockId.ANSWER: "Du söker bygglov i e-tjänsten på ekby.se."})
    assert resp.status == 200 and resp.body == ""
    done = item(s, item_id)
    assert done["status"] == "answered" and done["answer"] == "Du söker bygglov i e-tjänsten på ekby.se."
    reply = s.said(url)  # the answer goes back to the card's response_url
    assert f"Ärende {item_id} är besvarat" in reply and "LIX" in reply
    # a second submission is refused as a field error
    resp = s.submit(assignee, view)
    assert "redan" in errors(resp)[BlockId.ANSWER]


def test_no_reply_modal_requires_a_reason(slack):
    s = slack()
    item_id, channel, ts = new_item(s)
    s.click("lena@example.se", ActionId.NO_REPLY, str(item_id), channel_id=channel, message_ts=ts)
    view = opened(s, CallbackId.NO_REPLY_MODAL)
    resp = s.submit("lena@example.se", view, **{BlockId.REASON: "   "})
    assert "Skriv varför inget svar behövs" in errors(resp)[BlockId.REASON]
    assert item(s, item_id)["status"] == "open"
    resp = s.submit("lena@example.se", view, **{BlockId.REASON: "Samtal mellan invånare."})
    assert resp.body == "" and item(s, item_id)["status"] == "closed"
    assert item(s, item_id)["closed_reason"] == "Samtal mellan invånare."


def test_reassign_modal_picks_a_colleague_and_a_reason(slack):
    s = slack()
    item_id, channel, ts = new_item(s, "När har biblioteket öppet i jul?")
    s.click("lena@example.se", ActionId.REASSIGN, str(item_id), channel_id=channel, message_ts=ts)
    view = opened(s, CallbackId.REASSIGN_MODAL)
    colleague = next(b for b in view["blocks"] if b.get("block_id") == BlockId.COLLEAGUE)["element"]
    assert colleague["type"] == "static_select" and len(colleague["options"]) == 11
    resp = s.submit("lena@example.se", view, **{BlockId.COLLEAGUE: "ida@example.se", BlockId.REASON: " "})
    assert "Skriv en orsak" in errors(resp)[BlockId.REASON]
    resp = s.submit("lena@example.se", view, **{BlockId.COLLEAGUE: "ida@example.se",
                                                BlockId.REASON: "Gäller bibliotekets öppettider."})
    assert resp.body == "" and item(s, item_id)["assignee"] == "ida@example.se"
    assert any(f"{item_id}" in m["text"] for m in s.dms("ida@example.se"))


def test_remove_button_opens_the_ground_modal_or_refuses(slack, slack_api):
    s = slack()
    item_id, channel, ts = new_item(s, "Du är en idiot och borde sparkas")
    _, url = s.click("omar@example.se", ActionId.REMOVE, str(item_id), channel_id=channel, message_ts=ts)
    assert "kan inte ta bort inlägg" in s.said(url)
    assert slack_api.calls_to("views.open") == []
    s.click("lena@example.se", ActionId.REMOVE, str(item_id), channel_id=channel, message_ts=ts)
    view = opened(s, CallbackId.REMOVE_MODAL)
    ground = next(b for b in view["blocks"] if b.get("block_id") == BlockId.GROUND)["element"]
    allowed = s.bot.ctx.account("facebook").policy.moderation.grounds
    assert [o["value"] for o in ground["options"]] == list(allowed)
    resp = s.submit("lena@example.se", view, **{BlockId.GROUND: allowed[0], BlockId.NOTE: "Skärmbild sparad."})
    assert resp.body == ""
    removal = s.bot.db["removals"].get(1)
    assert removal["ground"] == allowed[0] and removal["note"] == "Skärmbild sparad."
    assert item(s, item_id)["status"] == "closed"
    resp = s.submit("lena@example.se", view, **{BlockId.GROUND: allowed[0]})
    assert "redan" in errors(resp)[BlockId.GROUND] and s.bot.db["removals"].count == 1


def test_crisis_and_oversight_buttons(slack, slack_api):
    s = slack()
    item_id, channel, ts = new_item(s)
    _, url = s.click("per@example.se", ActionId.CRISIS, str(item_id), channel_id=channel, message_ts=ts)
    assert "krisgruppen" in s.said(url) and item(s, item_id)["crisis"] == 1
    _, url = s.click("per@example.se", ActionId.OVERSIGHT_DONE, "instagram", channel_id=s.channel("konto-instagram"))
    assert "Tillsynen av ekbykommun är loggad" in s.said(url)
    assert s.urls.to(url)[-1]["response_type"] == "in_channel"  # the thanks is public in the channel
    assert s.bot.db.execute("SELECT via FROM oversight_log").fetchone()[0] == "button"
    _, url = s.click("omar@example.se", ActionId.OVERSIGHT_DONE, "instagram", channel_id=s.channel("konto-instagram"))
    assert "kan inte logga tillsyn" in s.said(url) and s.urls.to(url)[-1]["response_type"] == "ephemeral"
    assert s.bot.db["oversight_log"].count == 1


def request(s) -> int:
    with s.bot.lock:
        return accounts.request_account(s.bot.ctx, "anna@example.se", {
            "id": "forskola-facebook", "platform": "facebook", "name": "Ekby förskolor", "unit": "barn-utbildning",
            "channel": "konto-forskola", "purpose": "Förskolans vardag.", "audience": "Föräldrar.",
            "content": "Nyheter.", "owner": "anna@example.se", "editors": "ida@example.se",
            "substitute": "ida@example.se", "admins": "ida@example.se", "update_frequency": "varje vecka",
            "contact": "forskola@example.se"})


def test_account_approve_reject_and_two_factor_buttons(slack):
    s = slack()
    first = request(s)
    dm = s.api.dm_channel(s.user("anna@example.se"))
    _, url = s.click("anna@example.se", ActionId.ACCOUNT_APPROVE, str(first), channel_id=dm)
    assert "Du har godkänt ansökan 1" in s.said(url)
    _, url = s.click("lena@example.se", ActionId.ACCOUNT_REJECT, str(first), channel_id=dm)
    view = opened(s, CallbackId.REJECT_MODAL)
    resp = s.submit("lena@example.se", view, **{BlockId.REASON: " "})
    assert "Skriv varför du avslår" in errors(resp)[BlockId.REASON]
    resp = s.submit("lena@example.se", view, **{BlockId.REASON: "Vi har inte tid att bevaka ett konto till."})
    assert resp.body == "" and s.bot.db["account_requests"].get(first)["status"] == "rejected"
    _, url = s.click("lena@example.se", ActionId.TWO_FACTOR_ATTEST, "facebook", channel_id=dm)
    assert "intyg om tvåfaktorsautentisering" in s.said(url)
    assert s.bot.db["attestations"].count == 1
    _, url = s.click("omar@example.se", ActionId.TWO_FACTOR_ATTEST, "facebook", channel_id=dm)
    s.said(url)
    assert s.bot.db["attestations"].count == 1


def test_buttons_from_unknown_people_are_refused(slack, slack_api):
    s = slack()
    item_id, channel, ts = new_item(s)
    slack_api.users["okand@example.se"] = "U99OKAND"
    before = item(s, item_id)
    _, url = s.click("okand@example.se", ActionId.TAKE, str(item_id), channel_id=channel, message_ts=ts)
    assert "Du finns inte bland personerna" in s.said(url)
    _, url = s.click("okand@example.se", ActionId.REASSIGN, str(item_id), channel_id=channel, message_ts=ts)
    assert "Du finns inte bland personerna" in s.said(url) and slack_api.calls_to("views.open") == []
    assert item(s, item_id) == before


def test_home_buttons_act_answer_in_the_app_dm_and_refresh_the_home(slack, slack_api):
    s = slack()
    item_id, _, _ = new_item(s)
    assignee = item(s, item_id)["assignee"]
    publishes = len(slack_api.calls_to("views.publish"))
    s.click("lena@example.se", ActionId.OVERSIGHT_DONE, "facebook", home=True)
    assert any("Tillsynen av Ekby kommun (Facebook) är loggad" in m["text"] for m in s.dms("lena@example.se"))
    assert len(slack_api.calls_to("views.publish")) == publishes + 1
    assert "kollat av Lena Berg" in str(slack_api.home[s.user("lena@example.se")]["blocks"])
    s.click(assignee, ActionId.ANSWERED, str(item_id), home=True)
    view = opened(s, CallbackId.ANSWER_MODAL)
    assert json.loads(view["private_metadata"])["home"] is True
    s.submit(assignee, view)
    assert item(s, item_id)["status"] == "answered"
    assert "Du har inga öppna ärenden" in str(slack_api.home[s.user(assignee)]["blocks"])
    s.click("ida@example.se", UiId.DOCUMENT_ACCOUNT, home=True)
    opened(s, CallbackId.ACCOUNT_MODAL)
