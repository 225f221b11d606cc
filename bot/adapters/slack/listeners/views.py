"""Modals: building them (for the buttons and /konto dokumentera) and handling their submissions.

A submission is acknowledged only after the core has answered, because a
refusal is shown in the modal as a field error (``response_action="errors"``)
and nothing changes; a success closes the modal and the answer goes to the
person by the response_url or channel the modal was opened from.

``private_metadata`` carries what the submission needs: the button's value
(item, request or account), the channel and response_url to answer in, and
whether it came from the Home tab (which is then refreshed).
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.adapters.slack import home
from bot.adapters.slack.directory import Directory, tell
from bot.adapters.slack.blocks import escape
from bot.adapters.slack.ids import INPUT, BlockId, CallbackId
from bot.facade import Bot, Refused

OPTION_TEXT_MAX = 75
MAX_OPTIONS = 100
TITLE_MAX = 24
FREE_TEXT_MAX = 2900
PRIVATE_METADATA_MAX = 3000  # Slack's limit on a view's private_metadata (the reply travels in it to the preview)
REPLY_MAX = 2500

# ----------------------------------------------------------------------------- building blocks


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = 2000) -> dict:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def _option(value: str, label: str) -> dict:
    return {"text": _plain(label, OPTION_TEXT_MAX), "value": value}


def _intro(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(escape(text), 3000), "verbatim": True}}


def _input(block: str, label: str, element: dict, optional: bool = False) -> dict:
    return {"type": "input", "block_id": block, "label": _plain(label), "element": {"action_id": INPUT, **element},
            "optional": optional}


def _text(block: str, label: str, *, multiline: bool = False, optional: bool = False, initial: str = "") -> dict:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline, "max_length": FREE_TEXT_MAX}
    if initial:
        element["initial_value"] = initial[:FREE_TEXT_MAX]
    return _input(block, label, element, optional)


def _select(bot: Bot, block: str, label: str, options: list[tuple[str, str]], *, optional: bool = False,
            initial: str | list[str] | None = None, multi: bool = False) -> dict:
    opts = [_option(v, text) for v, text in options[:MAX_OPTIONS]]
    element: dict[str, Any] = {"type": "multi_static_select" if multi else "static_select",
                               "placeholder": _plain(bot.t("slack.modal.pick")), "options": opts}
    chosen = [o for o in opts if o["value"] in ([initial] if isinstance(initial, str) else (initial or []))]
    if chosen and multi:
        element["initial_options"] = chosen
    elif chosen:
        element["initial_option"] = chosen[0]
    return _input(block, label, element, optional)


def _modal(bot: Bot, callback: CallbackId, title: str, submit: str, blocks: list[dict], meta: dict) -> dict:
    return {
        "type": "modal", "callback_id": str(callback), "title": _plain(bot.t(title), TITLE_MAX),
        "submit": _plain(bot.t(submit), TITLE_MAX), "close": _plain(bot.t("slack.modal.cancel"), TITLE_MAX),
        "private_metadata": json.dumps(meta, ensure_ascii=False), "blocks": blocks,
    }


def values(view: dict) -> dict[str, Any]:
    """A submitted view's inputs by block id: text, the selected option's value, or a list for multi-selects."""
    out: dict[str, Any] = {}
    for block, elements in (view.get("state") or {}).get("values", {}).items():
        element = elements.get(INPUT) or {}
        if element.get("type") == "multi_static_select":
            out[block] = [o["value"] for o in element.get("selected_options") or []]
        elif element.get("type") == "static_select":
            out[block] = (element.get("selected_option") or {}).get("value", "")
        else:
            out[block] = (element.get("value") or "").strip()
    return out


# ----------------------------------------------------------------------------- item and request modals


def item_modal(bot: Bot, name: str, value: str, meta: dict, *, choices: list[tuple[str, str]] = (),
               suggested: str | None = None) -> dict:
    """The modal a button opens: reassign, no_reply, account_reject, answered or remove."""
    t = bot.t
    meta = meta | {"value": value}
    if name == "reassign":
        blocks = [_intro(t("slack.modal.reassign_intro", id=value)),
                  _select(bot, BlockId.COLLEAGUE, t("slack.modal.reassign_colleague"), bot.form(name, value).people),
                  _text(BlockId.REASON, t("slack.modal.reassign_reason"))]
        return _modal(bot, CallbackId.REASSIGN_MODAL, "slack.modal.reassign_title", "slack.modal.reassign_submit",
                      blocks, meta)
    if name == "no_reply":
        blocks = [_intro(t("slack.modal.no_reply_intro", id=value)),
                  _text(BlockId.REASON, t("slack.modal.reason"), multiline=True)]
        return _modal(bot, CallbackId.NO_REPLY_MODAL, "slack.modal.no_reply_title", "slack.modal.no_reply_submit",
                      blocks, meta)
    if name == "account_reject":
        blocks = [_intro(t("slack.modal.reject_intro", id=value)),
                  _text(BlockId.REASON, t("slack.modal.reason"), multiline=True)]
        return _modal(bot, CallbackId.REJECT_MODAL, "slack.modal.reject_title", "slack.modal.reject_submit",
                      blocks, meta)
    if name == "answered":
        blocks = [_intro(t("slack.modal.answer_intro", id=value)),
                  _text(BlockId.ANSWER, t("slack.modal.answer_text"), multiline=True, optional=True)]
        return _modal(bot, CallbackId.ANSWER_MODAL, "slack.modal.answer_title", "slack.modal.answer_submit",
                      blocks, meta)
    if name == "reply":  # issue 11: the reply's text or a template; submitting shows the preview (reply_preview)
        form = bot.form(name, value)
        blocks = [_intro(form.intro)]
        if form.templates:
            blocks.append(_select(bot, BlockId.TEMPLATE, t("graph.form.template"),
                                  [(title, title) for title, _ in form.templates], optional=True))
        blocks.append(_text(BlockId.ANSWER, t("graph.form.text"), multiline=True, optional=bool(form.templates)))
        return _modal(bot, CallbackId.REPLY_MODAL, "graph.form.title", "graph.form.preview_submit", blocks, meta)
    if name == "remove":
        blocks = [_intro(t("slack.modal.remove_intro", id=value)),
                  _select(bot, BlockId.GROUND, t("slack.modal.remove_ground"), list(choices), initial=suggested),
                  _text(BlockId.NOTE, t("slack.modal.remove_note"), multiline=True, optional=True)]
        return _modal(bot, CallbackId.REMOVE_MODAL, "slack.modal.remove_title", "slack.modal.remove_submit",
                      blocks, meta)
    raise ValueError(f"no modal for {name!r}")


def reply_preview(bot: Bot, meta: dict, preview: str) -> dict:
    """The second step of "Svara": the text as it will be published, with its signature and the klarspråk
    feedback; submitting it publishes (the typed text and template travel in private_metadata)."""
    return _modal(bot, CallbackId.REPLY_CONFIRM, "graph.form.confirm_title", "graph.form.send_submit",
                  [_intro(preview)], meta)


# A submitted form (modal): callback -> (core action, the block that shows a refusal naming no field).
FORMS: dict[str, tuple[str, str]] = {
    CallbackId.REASSIGN_MODAL: ("reassign", BlockId.COLLEAGUE),
    CallbackId.NO_REPLY_MODAL: ("no_reply", BlockId.REASON),
    CallbackId.REJECT_MODAL: ("account_reject", BlockId.REASON),
    CallbackId.ANSWER_MODAL: ("answered", BlockId.ANSWER),
    CallbackId.REMOVE_MODAL: ("remove", BlockId.GROUND),
}


# Each form's inputs: Bot.action keyword -> the block that holds it (and shows a refusal about it).
FORM_FIELDS: dict[str, dict[str, str]] = {
    "reassign": {"to": BlockId.COLLEAGUE, "reason": BlockId.REASON},
    "no_reply": {"reason": BlockId.REASON},
    "account_reject": {"reason": BlockId.REASON},
    "answered": {"answer": BlockId.ANSWER},
    "remove": {"reason": BlockId.GROUND, "note": BlockId.NOTE},
    "reply": {"answer": BlockId.ANSWER, "template": BlockId.TEMPLATE},
}


def form_values(name: str, values: dict[str, Any]) -> dict[str, str]:
    """A submitted form's inputs as Bot.action keyword arguments (the same function as Teams's)."""
    return {keyword: values.get(block, "") for keyword, block in FORM_FIELDS[name].items()}


# ----------------------------------------------------------------------------- the account modal (A1, A2)


def account_modal(bot: Bot, meta: dict, template: str | None = None, channel: str | None = None) -> dict:
    """Every A2 field; filled in from an existing account when `template` names one (id and channel left empty)."""
    t = bot.t
    form = bot.account_form(template, channel)
    doc = form.defaults
    people = form.people
    label = lambda f: t(f"slack.modal.field.{f}")  # noqa: E731
    intro = t("slack.modal.account_intro")
    if form.template:
        intro += "\n" + t("slack.modal.account_template", account=form.template)
    blocks = [
        _intro(intro),
        _text("id", label("id")),
        _select(bot, "platform", label("platform"), form.platforms, initial=doc.get("platform")),
        _text("name", label("name"), initial=doc.get("name", "")),
        _text("url", label("url"), optional=True, initial=doc.get("url", "")),
        _select(bot, "unit", label("unit"), form.units, initial=doc.get("unit")),
        _text("channel", label("channel")),
        _text("purpose", label("purpose"), multiline=True, initial=doc.get("purpose", "")),
        _text("audience", label("audience"), initial=doc.get("audience", "")),
        _text("content", label("content"), multiline=True, initial=doc.get("content", "")),
        _select(bot, "owner", label("owner"), people, initial=doc.get("owner")),
        _select(bot, "editors", label("editors"), people, optional=True, multi=True,
                initial=list(doc.get("editors", ()))),
        _select(bot, "substitute", label("substitute"), people, optional=True, initial=doc.get("substitute")),
        _select(bot, "admins", label("admins"), people, optional=True, multi=True,
                initial=list(doc.get("admins", ()))),
        _text("update_frequency", label("update_frequency"), initial=doc.get("update_frequency", "")),
        _text("contact", label("contact"), initial=doc.get("contact", "")),
    ]
    return _modal(bot, CallbackId.ACCOUNT_MODAL, "slack.modal.account_title", "slack.modal.account_submit", blocks,
                  meta)


def open_account_modal(client: WebClient, bot: Bot, trigger_id: str, *, template: str | None = None,
                       channel: str | None = None, meta: dict | None = None) -> None:
    """/konto dokumentera [konto] and the Home button; the channel's account is the template if none is named."""
    client.views_open(trigger_id=trigger_id, view=account_modal(bot, meta or {}, template, channel))


def field_errors(bot: Bot, refusal: Refused) -> dict[str, str]:
    """The core's refusal of an account request as Slack field errors ({block_id: message}).

    Each structured problem goes to the field(s) it names; a refusal without problems (or a problem
    about the request as a whole) is shown by the first field."""
    if not refusal.problems:
        return {"id": str(refusal)}
    errors: dict[str, list[str]] = {}
    for problem in refusal.problems:
        line = bot.t(problem.key, **dict(problem.values))
        for f in problem.fields or ("id",):
            errors.setdefault(f, []).append(line)
    return {f: "\n".join(msgs) for f, msgs in errors.items()}


# ----------------------------------------------------------------------------- listeners


def responder(meta: dict) -> Respond | None:
    return Respond(response_url=meta["response_url"]) if meta.get("response_url") else None


def register(app: App, bot: Bot) -> None:
    directory = Directory(bot, app.client)

    def after(client: WebClient, user: str, meta: dict, text: str, public: bool = False) -> None:
        tell(client, text, user=user, channel=meta.get("channel"), respond=responder(meta), public=public)
        if meta.get("home"):
            home.publish(client, bot, user, directory.email(user))

    def on_item_modal(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        name, block = FORMS[view["callback_id"]]
        meta, user = json.loads(view.get("private_metadata") or "{}"), body["user"]["id"]
        actor = directory.email(user)
        if actor is None:
            ack(response_action="errors", errors={block: bot.t("slack.unknown_user")})
            return
        reply = bot.action(actor, name, str(meta.get("value", "")), **form_values(name, values(view)))
        if not reply.ok:
            blocks = [FORM_FIELDS[name][p.field] for p in reply.data.get("problems", ()) if p.field in FORM_FIELDS[name]]
            where = blocks[0] if blocks else block
            ack(response_action="errors", errors={where: reply.text})
            return
        ack()
        after(client, user, meta, reply.text, reply.public)

    def on_account_modal(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        meta, user = json.loads(view.get("private_metadata") or "{}"), body["user"]["id"]
        actor = directory.email(user)
        if actor is None:
            ack(response_action="errors", errors={"id": bot.t("slack.unknown_user")})
            return
        try:
            request_id = bot.request_account(actor, values(view))  # its messages to the manager and communicators
        except Refused as exc:
            ack(response_action="errors", errors=field_errors(bot, exc))
            return
        ack()
        bot.flush()
        after(client, user, meta, bot.t("lifecycle.reply_requested", id=request_id))

    def on_reply_modal(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        """Step 1 of "Svara": refusals by their field, else the preview replaces the modal."""
        meta, user = json.loads(view.get("private_metadata") or "{}"), body["user"]["id"]
        actor = directory.email(user)
        if actor is None:
            ack(response_action="errors", errors={BlockId.ANSWER: bot.t("slack.unknown_user")})
            return
        kwargs = form_values("reply", values(view))
        reply = bot.action(actor, "reply", str(meta.get("value", "")), **kwargs)
        if not reply.ok:
            blocks = [FORM_FIELDS["reply"][p.field] for p in reply.data.get("problems", ())
                      if p.field in FORM_FIELDS["reply"]]
            ack(response_action="errors", errors={blocks[0] if blocks else BlockId.ANSWER: reply.text})
            return
        if len(json.dumps(meta | kwargs, ensure_ascii=False)) > PRIVATE_METADATA_MAX:
            ack(response_action="errors", errors={BlockId.ANSWER: bot.t("graph.form.too_long", max=REPLY_MAX)})
            return
        ack(response_action="update", view=reply_preview(bot, meta | kwargs, reply.text))

    def on_reply_confirm(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        """Step 2 of "Svara": publish; a refusal now (someone else answered meanwhile) is shown in the modal."""
        meta, user = json.loads(view.get("private_metadata") or "{}"), body["user"]["id"]
        actor = directory.email(user)
        if actor is None:
            ack(response_action="update", view=reply_preview(bot, meta, bot.t("slack.unknown_user")))
            return
        reply = bot.action(actor, "reply", str(meta.get("value", "")), answer=str(meta.get("answer", "")),
                           template=str(meta.get("template", "")), confirm="1")
        if not reply.ok:
            ack(response_action="update", view=reply_preview(bot, meta, reply.text))
            return
        ack()
        after(client, user, meta, reply.text)

    for callback in FORMS:
        app.view(str(callback))(on_item_modal)
    app.view(str(CallbackId.REPLY_MODAL))(on_reply_modal)
    app.view(str(CallbackId.REPLY_CONFIRM))(on_reply_confirm)
    app.view(str(CallbackId.ACCOUNT_MODAL))(on_account_modal)
