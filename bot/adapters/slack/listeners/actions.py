"""Buttons, the ground picker and the message shortcut.

* Buttons in `DIRECT_ACTIONS` (take, first reply sent, forwarded, oversight
  done, crisis, approve, attest) call `Bot.action` at once; the answer goes to
  the person who clicked, ephemerally (public when the core says so).
* Buttons in `FORM_ACTIONS` (bot.messages, the same as Teams) open a modal (views.py): reassign (colleague and
  reason), no reply needed and reject (reason), answered (the published reply,
  optional) and remove (the ground from the account's policy and a note).
  Remove first asks the core, so a person without the right gets the refusal
  at once instead of a modal.
* The ground picker is the ephemeral message a ``remove`` reaction gets
  (reactions carry no trigger_id, so no modal can be opened): a static_select
  of the grounds and a button that registers the removal.
* The menu beside an item in a bundle (issue 16 point 11: new items folded into one message while a channel
  is backed up by Slack's rate limit) acts on that item like its card's button, or shows the whole card
  to the one who asked.
* "Följ upp som medborgarfråga" (message shortcut) tracks any message as a
  citizen question of the channel's account, like ``/fraga``.
Buttons on the Home tab refresh it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.adapters.slack import home
from bot.adapters.slack.blocks import parse_bundle_option, render
from bot.adapters.slack.directory import Directory, plain_text, tell, usable
from bot.adapters.slack.ids import DIRECT_ACTIONS, FORM_ACTIONS, ActionId, CallbackId, UiId
from bot.adapters.slack.listeners import views
from bot.facade import Bot
from bot.messages import FORM_ACTIONS as MESSAGE_FORM_ACTIONS
from bot.messages import SHOW_CARD


def origin(body: dict) -> dict:
    """Where a click came from: channel, response_url and whether it was the Home tab (for modals and replies)."""
    from_home = (body.get("view") or {}).get("type") == "home"
    return {"channel": (body.get("channel") or {}).get("id"), "response_url": body.get("response_url"),
            "home": from_home}


def register(app: App, bot: Bot) -> None:
    directory = Directory(bot, app.client)

    def answer(client: WebClient, body: dict, respond: Callable[..., Any] | None, text: str,
               public: bool = False, replace: bool = False) -> None:
        where = origin(body)
        tell(client, text, user=body["user"]["id"], channel=where["channel"], respond=respond, public=public,
             replace=replace)
        if where["home"]:
            home.publish(client, bot, body["user"]["id"], directory.email(body["user"]["id"]))

    def who(client: WebClient, body: dict, respond: Callable[..., Any] | None) -> str | None:
        return directory.actor(body["user"]["id"], lambda text: answer(client, body, respond, text))

    def on_direct(ack: Ack, body: dict, action: dict, client: WebClient,
                  respond: Callable[..., Any] | None = None) -> None:
        ack()
        actor = who(client, body, respond)
        if actor is None:
            return
        reply = bot.action(actor, ActionId(action["action_id"]).core_name, action.get("value", ""))
        answer(client, body, respond, reply.text, public=reply.public and reply.ok)

    def on_modal_button(ack: Ack, body: dict, action: dict, client: WebClient,
                        respond: Callable[..., Any] | None = None) -> None:
        ack()
        actor = who(client, body, respond)
        if actor is None:
            return
        open_form(client, body, respond, actor, ActionId(action["action_id"]).core_name, action.get("value", ""))

    def on_bundle_item(ack: Ack, body: dict, action: dict, client: WebClient,
                       respond: Callable[..., Any] | None = None) -> None:
        """An item's menu in a bundle (issue 16 point 11): the action chosen acts on that item, as its card's
        button would; "show the whole card" shows the card, with all its buttons, to the one who asked."""
        ack()
        actor = who(client, body, respond)
        if actor is None:
            return
        name, value = parse_bundle_option(str((action.get("selected_option") or {}).get("value", "")))
        if name == SHOW_CARD:
            card = bot.item_card(value)
            if card is None:
                answer(client, body, respond, bot.t("fold.bundle.card_gone", id=value))
                return
            text, blocks = render(card, user_ids={})
            show(client, body, respond, text, blocks)
        elif name in MESSAGE_FORM_ACTIONS:
            open_form(client, body, respond, actor, name, value)
        elif name in {a.core_name for a in DIRECT_ACTIONS}:
            reply = bot.action(actor, name, value)
            answer(client, body, respond, reply.text, public=reply.public and reply.ok)

    def show(client: WebClient, body: dict, respond: Callable[..., Any] | None, text: str, blocks: list[dict]) -> None:
        """Blocks shown to the person who clicked only."""
        if usable(respond):
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        else:
            client.chat_postEphemeral(channel=origin(body)["channel"], user=body["user"]["id"], text=text,
                                      blocks=blocks)

    def open_form(client: WebClient, body: dict, respond: Callable[..., Any] | None, actor: str, name: str,
                  value: str) -> None:
        extra: dict[str, Any] = {}
        refusal = bot.refusal_before_form(actor, name, value)  # issue 16: no form for someone who will be refused
        if refusal is not None:
            answer(client, body, respond, refusal.text)
            return
        if name == "remove":  # ask the core first: not allowed or already removed -> no modal
            reply = bot.action(actor, "remove", value)
            if not reply.ok:
                answer(client, body, respond, reply.text)
                return
            extra = {"choices": reply.data.get("choices", []), "suggested": bot.suggested_ground(value)}
        if name == "reply":  # issue 11: ask the core first (not allowed, answered, window closed) -> no modal
            reply = bot.action(actor, "reply", value)
            keys = {p.key for p in reply.data.get("problems", ())}
            if not reply.ok and keys != {"graph.empty_reply"}:
                answer(client, body, respond, reply.text)
                return
        view = views.item_modal(bot, name, value, origin(body), **extra)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def on_pick_ground(ack: Ack) -> None:
        ack()  # the choice is read from the message's state when the button is pressed

    def on_confirm_removal(ack: Ack, body: dict, action: dict, client: WebClient,
                           respond: Callable[..., Any] | None = None) -> None:
        ack()
        actor = who(client, body, respond)
        if actor is None:
            return
        ground = picked_ground(body)
        if not ground:
            answer(client, body, respond, bot.t("slack.remove.pick_first"))
            return
        reply = bot.action(actor, "remove", action.get("value", ""), reason=ground)
        answer(client, body, respond, reply.text, replace=reply.ok)

    def on_document_account(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        views.open_account_modal(client, bot, body["trigger_id"], meta=origin(body))

    def on_track(ack: Ack, shortcut: dict, client: WebClient, respond: Callable[..., Any] | None = None) -> None:
        ack()
        user, channel, message = shortcut["user"]["id"], shortcut["channel"]["id"], shortcut["message"]
        actor = directory.actor(user, lambda text: tell(client, text, user=user, channel=channel, respond=respond))
        if actor is None:
            return
        text = track(bot, directory, actor, channel, message)
        tell(client, text, user=user, channel=channel, respond=respond)

    for action_id in DIRECT_ACTIONS:
        app.action(str(action_id))(on_direct)
    for action_id in FORM_ACTIONS:
        app.action(str(action_id))(on_modal_button)
    app.action(str(UiId.REMOVE_GROUND))(on_pick_ground)
    app.action(str(UiId.REMOVE_CONFIRM))(on_confirm_removal)
    app.action(str(UiId.DOCUMENT_ACCOUNT))(on_document_account)
    app.action(str(UiId.BUNDLE_ITEM))(on_bundle_item)
    app.shortcut(str(CallbackId.TRACK_SHORTCUT))(on_track)


def picked_ground(body: dict) -> str:
    for elements in ((body.get("state") or {}).get("values") or {}).values():
        selected = (elements.get(str(UiId.REMOVE_GROUND)) or {}).get("selected_option")
        if selected:
            return str(selected.get("value", ""))
    return ""


def ground_picker(bot: Bot, item_id: int, text: str, choices: list[tuple[str, str]]) -> list[dict]:
    """The ephemeral message a `remove` reaction gets: the core's prompt, a ground picker and a button."""
    from bot.adapters.slack.blocks import ephemeral_blocks

    t = bot.t
    options = [views._option(g, label) for g, label in choices[:views.MAX_OPTIONS]]
    select: dict[str, Any] = {"type": "static_select", "action_id": str(UiId.REMOVE_GROUND),
                              "placeholder": views._plain(t("slack.remove.pick_placeholder")), "options": options}
    suggested = bot.suggested_ground(str(item_id))
    chosen = next((o for o in options if o["value"] == suggested), None)
    if chosen:
        select["initial_option"] = chosen
    button = {"type": "button", "action_id": str(UiId.REMOVE_CONFIRM), "style": "danger", "value": str(item_id),
              "text": views._plain(t("slack.remove.confirm"), 75)}
    return ephemeral_blocks(text) + [{"type": "actions", "block_id": f"remove:{item_id}", "elements": [select, button]}]


def track(bot: Bot, directory: Directory, actor: str, channel_id: str, message: dict) -> str:
    """The message shortcut: the message becomes a citizen question of the channel's account."""
    t = bot.t
    name = directory.channel_name(channel_id)
    account = bot.account_by_channel(name) if name else None
    if account is None:
        return t("slack.track.not_account_channel", accounts=", ".join(bot.accounts()))
    text = plain_text(message.get("text") or "").strip()
    if not text:
        return t("slack.track.empty")
    item, created = bot.intake(account.id, text, author=directory.author(message), source="slack",
                               external_id=f"{channel_id}:{message['ts']}", created_by=actor, force_question=True)
    if not created:
        return t("slack.track.already", id=item["id"])
    return t("item.tracked", id=item["id"], assignee=bot.person(item["assignee"]).name,
                 reason=item["assigned_reason"])
