"""Issue 11, done-when: a comment from the signed Meta webhook becomes a card in Slack and in Teams; a reply
typed there (modal / input card, preview with signature and klarspråk, then publish) is posted once to the mock
Graph API as the Page; the item is answered with the published text; a removal hides and then deletes the
comment with its record kept."""

from __future__ import annotations

import json

from bot.adapters import webhooks
from bot.adapters.meta.graph import GraphClient
from bot.adapters.slack.ids import ActionId, BlockId, CallbackId
from bot.facade import Secrets
from tests.conftest import Harness, local
from tests.meta.conftest import FB_PAGE, writing_settings
from tests.meta.mock_graph_api import PAGE_TOKEN, MockGraphAPI
from tests.slack.conftest import slack_api  # noqa: F401 (fixture)
from tests.slack.signing import SlackDriver, response_urls  # noqa: F401 (fixture)
from tests.teams.conftest import TeamsEnv, connector  # noqa: F401 (fixture)
from tests.teams.mock_connector import card_text, verbs

APP_SECRET = "meta-app-secret-for-tests"
QUESTION = "Hej! När öppnar simhallen efter renoveringen? Jag vill boka simskola."
ANSWER = "Hej! Simhallen öppnar igen den 12 januari. Du bokar simskola på ekby.se/simskola."
MONDAY = local(2026, 12, 7, 10, 0)


def meta_comment(bot, comment_id: str, text: str, author_id: str = "2000001", name: str = "Anna Andersson") -> int:
    """POST /webhooks/meta, signed with the app secret, as Meta delivers a Page feed comment."""
    body = json.dumps({"object": "page", "entry": [{"id": FB_PAGE, "time": 1765098000, "changes": [{
        "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": comment_id,
                                   "post_id": f"{FB_PAGE}_42", "parent_id": f"{FB_PAGE}_42", "message": text,
                                   "from": {"id": author_id, "name": name}, "created_time": 1765098000}}]}]},
                      ensure_ascii=False).encode("utf-8")
    headers = {"X-Hub-Signature-256": webhooks.sign_meta(APP_SECRET, body), "Content-Type": "application/json"}
    response = webhooks.handle(bot, Secrets(meta_app_secret=APP_SECRET), "POST", "/webhooks/meta", {}, headers, body)
    assert response is not None and response.status == 200, response
    item = bot.item_for_message("facebook", comment_id)
    assert item is not None
    return item


def test_slack_reply_and_removal_end_to_end(settings, slack_api, response_urls, tmp_path):  # noqa: F811
    with MockGraphAPI(page_id=FB_PAGE, tokens={PAGE_TOKEN: FB_PAGE}) as graph:
        harness = Harness(writing_settings(settings), MONDAY, db=tmp_path / "slack.db")
        harness.bot.attach_meta(GraphClient({"facebook": PAGE_TOKEN}, base_url=graph.base_url))
        s = SlackDriver(harness, slack_api, response_urls)
        graph.add_comment("42_1", QUESTION)
        item_id = meta_comment(s.bot, "42_1", QUESTION)
        channel, ts = s.card_of(item_id)
        card = next(m for m in slack_api.posted(channel) if m["ts"] == ts)
        buttons = [e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert buttons[0] == ActionId.REPLY and QUESTION in json.dumps(card["blocks"], ensure_ascii=False)
        assert s.bot.action("lena@example.se", "take", str(item_id)).ok

        _, url = s.click("lena@example.se", ActionId.REPLY, str(item_id), channel_id=channel, message_ts=ts)
        view = s.last_view()
        assert view["callback_id"] == CallbackId.REPLY_MODAL and QUESTION in json.dumps(view, ensure_ascii=False)
        empty = s.submit("lena@example.se", view, **{BlockId.ANSWER: " "})
        assert "Skriv ett svar" in json.loads(empty.body)["errors"][BlockId.ANSWER]
        resp = s.submit("lena@example.se", view, **{BlockId.ANSWER: ANSWER})
        body = json.loads(resp.body)
        assert body["response_action"] == "update" and body["view"]["callback_id"] == CallbackId.REPLY_CONFIRM
        preview = json.dumps(body["view"], ensure_ascii=False)
        assert "/Lena, kommunikatör" in preview and "LIX" in preview  # Q4 signature and Q8 feedback before sending
        assert not graph.calls_to("POST", "/comments")
        resp = s.submit("lena@example.se", body["view"])
        assert resp.status == 200 and resp.body == ""
        assert "skickas till Facebook" in s.said(url)
        published = graph.replies("42_1")
        assert len(published) == 1 and published[0]["message"].startswith(ANSWER + "\n/Lena, kommunikatör")
        item = dict(s.bot.db["items"].get(item_id))
        assert item["status"] == "answered" and item["answer"] == published[0]["message"]
        assert any("publicerat" in m["text"] for m in s.dms("lena@example.se"))
        s.submit("lena@example.se", body["view"])  # a second press of Publicera posts nothing more
        assert len(graph.replies("42_1")) == 1

        graph.add_comment("42_2", "Lena Berg är en idiot och borde sparkas.", author_id="USER9", name="Nils")
        rude = meta_comment(s.bot, "42_2", "Lena Berg är en idiot och borde sparkas.", "USER9", "Nils")
        channel, ts = s.card_of(rude)
        s.click("lena@example.se", ActionId.REMOVE, str(rude), channel_id=channel, message_ts=ts)
        view = s.last_view()
        resp = s.submit("lena@example.se", view, **{BlockId.GROUND: "personal_attack"})
        assert resp.status == 200
        assert graph.comments["42_2"]["hidden"] is True and "42_2" not in graph.deleted
        harness.clock.set(local(2026, 12, 8, 0, 1))
        s.bot.flush()
        assert "42_2" in graph.deleted
        record = dict(next(s.bot.db.query("SELECT * FROM removals WHERE item_id = ?", [rude])))
        assert record["text"] == "Lena Berg är en idiot och borde sparkas." and record["author"] == "Nils"
        assert record["ground"] == "personal_attack" and record["permalink"]


def test_teams_reply_through_the_input_card(settings, tmp_path, connector):
    loop, mock = connector
    with MockGraphAPI(page_id=FB_PAGE, tokens={PAGE_TOKEN: FB_PAGE}) as graph:
        env = TeamsEnv(writing_settings(settings), MONDAY, tmp_path / "teams", loop, mock)
        try:
            assert env.install()[0] in (200, 202)
            env.bot.attach_meta(GraphClient({"facebook": PAGE_TOKEN}, base_url=graph.base_url))
            graph.add_comment("43_1", QUESTION)
            item_id = meta_comment(env.bot, "43_1", QUESTION)
            _, card_id = env.card_of(item_id)
            assert verbs(env.connector.activities[card_id]["attachments"][0]["content"])[0] == "reply"
            assert env.bot.action("per@example.se", "take", str(item_id)).ok
            env.connector.clear()
            status, body = env.press("per@example.se", card_id, "reply", str(item_id), channel="Konto Facebook")
            form = env.connector.last(env.conv("konto-facebook"))
            assert {e.get("id") for e in form.card["body"]} >= {"answer", "template"}
            status, body = env.press("per@example.se", form.result_id, "reply", str(item_id), channel="Konto Facebook",
                                     form="1", answer=ANSWER)
            shown = card_text(body["value"])
            assert "/Per, kommunikatör" in shown and "LIX" in shown and not graph.calls_to("POST", "/comments")
            assert "confirm" in json.dumps(body["value"])
            status, body = env.press("per@example.se", form.result_id, "reply", str(item_id), channel="Konto Facebook",
                                     form="1", confirm="1", answer=ANSWER)
            assert status == 200 and "skickas till Facebook" in card_text(body["value"])
            published = graph.replies("43_1")
            assert len(published) == 1 and published[0]["message"].startswith(ANSWER + "\n/Per, kommunikatör")
            item = dict(env.bot.db["items"].get(item_id))
            assert item["status"] == "answered" and item["answer"] == published[0]["message"]
        finally:
            env.close()
