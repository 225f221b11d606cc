"""Message -> Adaptive Card 1.5 (Teams), and the small forms a button asks for.

A card is built from plain JSON dicts (no templating library):

* the message text as one ``RichTextBlock`` per line. A ``TextRun`` is never
  parsed as markdown, so a citizen's text can never form a link, emphasis or a
  mention; it is shown exactly as written;
* @-mentions as one ``TextBlock`` of ``<at>Name</at>`` with the matching
  ``msteams.entities`` (only for people whose Teams/Entra id is known; the
  others are written as plain names);
* the fields as a ``FactSet`` (markdown characters escaped);
* image attachments (the monthly report's summary, issue 14) as ``Image``
  elements with a base64 data URI and their text alternative (Teams shows data
  URIs in cards; its message size limit does not count base64 images);
* links (an `Action` with a `url`: the full monthly report) as ``Action.OpenUrl``;
* the buttons as ``Action.Execute`` (Universal Actions) with
  ``verb = <core action name>`` and ``data = {"uppsikt": <core action name>,
  "value": <item id / account id / request id>}``, in ActionSets of at most
  `ACTIONS_PER_SET` so that Teams never hides buttons in an overflow menu.

Buttons that need input (`FORM_ACTIONS`: reassign, no reply needed, answered,
remove and rejecting an account request) get a follow-up card with
``Input.ChoiceSet`` / ``Input.Text`` (`form_card`); its submit button carries
``"form": "1"`` and Teams merges the inputs into the action's data.

`dashboard_card` is the Teams counterpart of Slack's App Home (issue 9): a
person's open items with their deadlines (each with its "answered" button),
today's oversight duties (with "done"), their absences, the crisis status and,
for communicators, every account's state, from `Bot.dashboard`. Citizens'
texts are RichTextBlocks, names go through `md_escape`.

Teams' limits: a message may be about 28 KB; text is cut (`TEXT_MAX`,
`LINES_MAX`) long before that. `validate_card` checks what the bot builds
(used by the tests for every card).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.facade import Bot, Dashboard, from_epoch
from bot.messages import DESTRUCTIVE_ACTIONS, FORM_ACTIONS, POSITIVE_ACTIONS, Action, Attachment, Message

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
KEY = "uppsikt"  # the data key that names the core action
FORM = "form"  # data key set on a form's submit button
CANCEL = "cancel"  # the pseudo action of a form's cancel button

ACTIONS_PER_SET = 5
LINE_MAX = 2000
LINES_MAX = 40
TEXT_MAX = 8000
FACT_MAX = 1000
TITLE_MAX = 60
CHOICES_MAX = 100
ELLIPSIS = "…"

# Buttons that ask for something first (a follow-up card with inputs).

# Input ids in the forms (Teams merges them into the submit button's data).
COLLEAGUE, REASON, GROUND, NOTE, ANSWER = "colleague", "reason", "ground", "note", "answer"

MARKDOWN_RE = re.compile(r"([\\`*_~\[\]])")


# --------------------------------------------------------------------------- text helpers


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def md_escape(text: str) -> str:
    """Backslash-escape the markdown characters Adaptive Cards act on (links, emphasis, code)."""
    return MARKDOWN_RE.sub(r"\\\1", text)


def text_blocks(text: str) -> list[dict]:
    """Plain text as RichTextBlocks (one per line; never parsed as markdown)."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[dict] = []
    used = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if len(out) == LINES_MAX - 1 and i < len(lines) - 1 or used >= TEXT_MAX:
            out.append(_rich(ELLIPSIS))
            break
        line = cut(line, min(LINE_MAX, max(1, TEXT_MAX - used)))
        used += len(line)
        out.append(_rich(line))
    return out or [_rich(ELLIPSIS)]


def _rich(line: str) -> dict:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": line}]}


def card(body: list[dict], *, entities: list[dict] | None = None) -> dict:
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body,
                           "msteams": {"width": "Full"}}
    if entities:
        out["msteams"]["entities"] = entities
    return out


# --------------------------------------------------------------------------- messages


def mention_block(mentions: Sequence[tuple[str, str | None]]) -> tuple[dict | None, list[dict]]:
    """`(name, teams id or None)` pairs -> a TextBlock and its mention entities."""
    if not mentions:
        return None, []
    parts, entities = [], []
    for name, user_id in mentions:
        clean = md_escape(name.replace("<", "").replace(">", ""))
        if user_id:
            tag = f"<at>{clean}</at>"
            parts.append(tag)
            entities.append({"type": "mention", "text": tag, "mentioned": {"id": user_id, "name": name}})
        else:
            parts.append(clean)
    return {"type": "TextBlock", "text": " ".join(parts), "wrap": True}, entities


def fact_set(fields: Sequence[tuple[str, str]]) -> dict:
    return {"type": "FactSet", "facts": [
        {"title": cut(md_escape(label), TITLE_MAX), "value": cut(md_escape(value or "–"), FACT_MAX)}
        for label, value in fields
    ]}


def execute(action: Action, *, label_suffix: str = "") -> dict:
    if action.url:  # a link (the full monthly report): opens in the browser, never reaches the bot
        return {"type": "Action.OpenUrl", "title": cut(action.label + label_suffix, TITLE_MAX), "url": action.url}
    element: dict[str, Any] = {
        "type": "Action.Execute", "title": cut((action.label or action.name) + label_suffix, TITLE_MAX),
        "verb": action.name, "data": {KEY: action.name, "value": action.value},
    }
    if action.name in POSITIVE_ACTIONS:
        element["style"] = "positive"
    elif action.name in DESTRUCTIVE_ACTIONS:
        element["style"] = "destructive"
    return element


def action_sets(actions: Sequence[Action]) -> list[dict]:
    """Buttons in ActionSets of at most ACTIONS_PER_SET; repeated actions (a digest) show their value."""
    mixed = len({a.value for a in actions}) > 1
    buttons = [execute(a, label_suffix=f" ({a.value})" if mixed and a.value else "") for a in actions]
    return [{"type": "ActionSet", "actions": buttons[i:i + ACTIONS_PER_SET]}
            for i in range(0, len(buttons), ACTIONS_PER_SET)]


def needs_card(message: Message) -> bool:
    """Plain text does for a message without buttons, fields, mentions or a card key."""
    return bool(message.actions or message.fields or message.mentions or message.card or message.attachments)


def image_blocks(attachments: Sequence[Attachment]) -> list[dict]:
    """Image attachments as Adaptive Card images (base64 data URIs) with their text alternatives."""
    return [{"type": "Image", "url": f"data:{a.mime};base64,{a.data}", "altText": cut(a.alt or a.title or a.filename,
                                                                                   FACT_MAX),
             "size": "Stretch"} for a in attachments if a.is_image]


def render(message: Message, *, mentions: Sequence[tuple[str, str | None]] = ()) -> dict:
    """The Adaptive Card for one outgoing message; `mentions` are (display name, Teams id or None)."""
    block, entities = mention_block(mentions)
    body = ([block] if block else []) + text_blocks(message.text) + image_blocks(message.attachments)
    if message.fields:
        body.append(fact_set(message.fields))
    body += action_sets(message.actions)
    return card(body, entities=entities)


def text_card(text: str) -> dict:
    """A card holding only text (the answer that replaces a submitted form)."""
    return card(text_blocks(text))


def summary(text: str, limit: int = 200) -> str:
    """The notification / preview line of a card message."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return cut(first, limit)


# --------------------------------------------------------------------------- forms


def _choice_set(input_id: str, label: str, choices: Sequence[tuple[str, str]], *, value: str = "",
                required: bool = True, error: str = "") -> dict:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet", "id": input_id, "label": label, "style": "compact", "isRequired": required,
        "choices": [{"title": cut(title, TITLE_MAX * 2), "value": v} for v, title in choices[:CHOICES_MAX]],
    }
    if value and any(v == value for v, _ in choices[:CHOICES_MAX]):
        element["value"] = value
    if error:
        element["errorMessage"] = error
    return element


def _text_input(input_id: str, label: str, *, value: str = "", required: bool = False, multiline: bool = True,
                error: str = "") -> dict:
    element: dict[str, Any] = {"type": "Input.Text", "id": input_id, "label": label, "isMultiline": multiline,
                               "isRequired": required, "maxLength": 2000}
    if value:
        element["value"] = value[:2000]
    if error:
        element["errorMessage"] = error
    return element


def form_card(bot: Bot, name: str, value: str, *, choices: Sequence[tuple[str, str]] = (),
              people: Sequence[tuple[str, str]] = (), values: Mapping[str, Any] | None = None,
              suggested: str | None = None, error: str = "") -> dict:
    """The follow-up card a FORM_ACTIONS button posts: the core's question, inputs, submit and cancel.

    `values` refills the inputs after a refusal (shown as `error` at the top).
    """
    values = values or {}
    t = bot.t
    required = t("teams.form.required")
    if name == "reassign":
        intro = t("teams.form.reassign_intro", id=value)
        inputs = [_choice_set(COLLEAGUE, t("teams.form.colleague"), people, value=str(values.get(COLLEAGUE, "")),
                              error=required),
                  _text_input(REASON, t("teams.form.reason"), value=str(values.get(REASON, "")), required=True,
                              error=required)]
        submit = t("teams.form.reassign_submit")
    elif name == "no_reply":
        intro = t("teams.form.no_reply_intro", id=value)
        inputs = [_text_input(REASON, t("teams.form.reason"), value=str(values.get(REASON, "")), required=True,
                              error=required)]
        submit = t("teams.form.no_reply_submit")
    elif name == "answered":
        intro = t("teams.form.answer_intro", id=value)
        inputs = [_text_input(ANSWER, t("teams.form.answer"), value=str(values.get(ANSWER, "")))]
        submit = t("teams.form.answer_submit")
    elif name == "remove":
        intro = t("teams.form.remove_intro", id=value)
        inputs = [_choice_set(GROUND, t("teams.form.ground"), choices,
                              value=str(values.get(GROUND) or suggested or ""), error=required),
                  _text_input(NOTE, t("teams.form.note"), value=str(values.get(NOTE, "")))]
        submit = t("teams.form.remove_submit")
    elif name == "account_reject":
        intro = t("teams.form.reject_intro", id=value)
        inputs = [_text_input(REASON, t("teams.form.reason"), value=str(values.get(REASON, "")), required=True,
                              error=required)]
        submit = t("teams.form.reject_submit")
    else:
        raise ValueError(f"no form for {name!r}")
    body: list[dict] = []
    if error:
        body.append({"type": "TextBlock", "text": md_escape(cut(error, LINE_MAX)), "wrap": True,
                     "color": "attention"})
    body += text_blocks(intro) + inputs
    style = "destructive" if name in DESTRUCTIVE_ACTIONS else "positive"
    body.append({"type": "ActionSet", "actions": [
        {"type": "Action.Execute", "title": cut(submit, TITLE_MAX), "verb": name, "style": style,
         "data": {KEY: name, "value": value, FORM: "1"}},
        {"type": "Action.Execute", "title": t("teams.form.cancel"), "verb": CANCEL,
         "data": {KEY: CANCEL, "value": value}, "associatedInputs": "none"},
    ]})
    return card(body)


# --------------------------------------------------------------------------- the dashboard (issue 9)


HOME_ITEMS = 15
HOME_DUTIES = 10
HOME_ACCOUNTS = 40
HOME_EXCERPT = 200


def _heading(text: str) -> dict:
    return {"type": "TextBlock", "text": md_escape(text), "weight": "Bolder", "size": "Medium", "wrap": True,
            "separator": True, "spacing": "Large"}


def _plain(text: str, **style: Any) -> dict:
    return {"type": "TextBlock", "text": md_escape(cut(text, LINE_MAX)), "wrap": True, **style}


def _when(ts: int | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return from_epoch(ts).strftime(fmt) if ts else ""


def _home_items(bot: Bot, board: Dashboard) -> list[dict]:
    t = bot.t
    body = [_heading(t("teams.home.items_header"))]
    if not board.items:
        return body + [_plain(t("teams.home.no_items"))]
    for item in board.items[:HOME_ITEMS]:
        key = "teams.home.due_first" if item.status == "open" else "teams.home.due_full"
        due = t(key, due=_when(item.due_at)) if item.due_at else t("teams.home.no_due")
        if item.overdue:
            due = t("teams.home.overdue", due=due)
        body.append(_plain(t("teams.home.item_line", id=item.id, account=item.account,
                             status=t(f"status.{item.status}")), weight="Bolder", spacing="Medium"))
        body.append(_plain(due, color="attention" if item.overdue else "default", spacing="None"))
        body += text_blocks(cut(" ".join(item.text.split()), HOME_EXCERPT))
        body += action_sets([Action("answered", t("action.answered"), str(item.id))])
    if len(board.items) > HOME_ITEMS:
        body.append(_plain(t("teams.home.more_items", count=len(board.items) - HOME_ITEMS), isSubtle=True))
    return body


def _home_duties(bot: Bot, board: Dashboard) -> list[dict]:
    t = bot.t
    body = [_heading(t("teams.home.duties_header"))]
    if not board.duties:
        return body + [_plain(t("teams.home.no_duties"))]
    done = [d for d in board.duties[:HOME_DUTIES] if d.done_by is not None]
    todo = [d for d in board.duties[:HOME_DUTIES] if d.done_by is None]
    label = lambda d: t("teams.home.duty_label", account=d.account, platform=d.platform)  # noqa: E731
    facts = [(label(d), t("teams.home.duty_done", who=d.done_by, time=_when(d.done_at, "%H:%M"))) for d in done]
    facts += [(label(d), t("teams.home.duty_stand_in", why=d.stand_in) if d.stand_in else t("teams.home.duty_todo"))
              for d in todo]
    body.append(fact_set(facts))
    body += action_sets([Action("oversight_done", t("action.oversight_done"), d.account_id) for d in todo])
    return body


def _home_absences(bot: Bot, board: Dashboard) -> list[dict]:
    t = bot.t
    body = [_heading(t("teams.home.absences_header"))]
    if not board.absences:
        return body + [_plain(t("teams.home.no_absences"))]
    return body + [fact_set([
        (t("teams.home.absence_label", start=a.start, end=a.end),
         t("teams.home.absence_value", substitute=a.substitute or "–", reason=a.reason))
        for a in board.absences
    ])]


def _home_overview(bot: Bot, board: Dashboard) -> list[dict]:
    t = bot.t
    facts = []
    for acc in (board.overview or [])[:HOME_ACCOUNTS]:
        if acc.watched_by is not None:
            watched = t("teams.home.watched", who=acc.watched_by)
        elif acc.responsible is not None:
            watched = t("teams.home.not_watched", who=acc.responsible)
        else:
            watched = t("teams.home.no_watch")
        snapshot = "–"
        if acc.snapshot_due:
            snapshot = t("teams.home.snapshot_late", date=acc.snapshot_due) if acc.snapshot_overdue \
                else acc.snapshot_due
        facts.append((f"{acc.account} ({acc.account_id})",
                      t("teams.home.overview_value", watched=watched, overdue=acc.overdue, snapshot=snapshot)))
    body = [_heading(t("teams.home.overview_header"))]
    if facts:
        body.append(fact_set(facts))
    if board.accounts_total > HOME_ACCOUNTS:
        body.append(_plain(t("teams.home.more_accounts", count=board.accounts_total - HOME_ACCOUNTS), isSubtle=True))
    return body


def dashboard_card(bot: Bot, board: Dashboard) -> dict:
    """A person's dashboard (`Bot.dashboard`) as one card: Teams' counterpart of Slack's App Home."""
    t = bot.t
    title = {"type": "TextBlock", "text": md_escape(t("teams.home.title")), "weight": "Bolder", "size": "Large",
             "wrap": True}
    if not board.known:
        return card([title, _plain(t("teams.home.unknown"))])
    body = [
        title,
        _plain(t("teams.home.hello", name=board.first_name, time=board.now.strftime("%Y-%m-%d %H:%M"))),
        _heading(t("teams.home.crisis_header")),
        *text_blocks(board.crisis),
        *_home_items(bot, board),
        *_home_duties(bot, board),
        *_home_absences(bot, board),
    ]
    if board.overview is not None:
        body += _home_overview(bot, board)
    return card(body)


# --------------------------------------------------------------------------- checking


ELEMENTS = {"TextBlock", "RichTextBlock", "FactSet", "ActionSet", "Input.Text", "Input.ChoiceSet", "Image"}
DATA_URI_RE = re.compile(r'"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]*"')


def validate_card(content: dict) -> None:
    """Raise ValueError unless `content` is an Adaptive Card this adapter may send (shape and Teams' limits)."""
    if content.get("type") != "AdaptiveCard" or content.get("version") != VERSION:
        raise ValueError("not an Adaptive Card 1.5")
    body = content.get("body")
    if not isinstance(body, list) or not body:
        raise ValueError("a card needs a body")
    ids: set[str] = set()
    for element in body:
        kind = element.get("type")
        if kind not in ELEMENTS:
            raise ValueError(f"unexpected element {kind!r}")
        if kind == "RichTextBlock":
            runs = element.get("inlines") or []
            if not runs or any(r.get("type") != "TextRun" or not r.get("text") for r in runs):
                raise ValueError("a RichTextBlock needs non-empty TextRuns")
            if any(len(r["text"]) > LINE_MAX for r in runs):
                raise ValueError("text run too long")
        elif kind == "TextBlock" and not element.get("text"):
            raise ValueError("empty TextBlock")
        elif kind == "FactSet":
            if not element.get("facts"):
                raise ValueError("empty FactSet")
        elif kind == "ActionSet":
            actions = element.get("actions") or []
            if not 0 < len(actions) <= ACTIONS_PER_SET:
                raise ValueError("an ActionSet needs 1 to 5 actions")
            for a in actions:
                if a.get("type") == "Action.OpenUrl":
                    if not str(a.get("url") or "").startswith(("https://", "http://")) or not a.get("title"):
                        raise ValueError(f"bad link {a!r}")
                elif a.get("type") != "Action.Execute" or not a.get("verb") or not (a.get("data") or {}).get(KEY):
                    raise ValueError(f"bad action {a!r}")
        elif kind == "Image":
            url = element.get("url") or ""
            if not (url.startswith("https://") or DATA_URI_RE.fullmatch(f'"{url}"')) or not element.get("altText"):
                raise ValueError("an Image needs an https or base64 data URI and a text alternative")
        elif kind.startswith("Input."):
            if not element.get("id") or element["id"] in ids:
                raise ValueError("inputs need unique ids")
            ids.add(element["id"])
    entities = (content.get("msteams") or {}).get("entities") or []
    text = " ".join(e.get("text", "") for e in body if e.get("type") == "TextBlock")
    for entity in entities:
        if entity.get("type") != "mention" or entity.get("text") not in text or not entity["mentioned"].get("id"):
            raise ValueError(f"mention entity without its <at> text: {entity!r}")
    # Teams does not count base64-encoded images in its message size limit.
    if len(DATA_URI_RE.sub('""', json.dumps(content, ensure_ascii=False)).encode("utf-8")) > 28_000:
        raise ValueError("card larger than Teams' 28 KB message limit")


__all__ = [
    "ANSWER", "CANCEL", "COLLEAGUE", "CONTENT_TYPE", "FORM", "FORM_ACTIONS", "GROUND", "KEY", "NOTE", "REASON",
    "dashboard_card", "form_card", "image_blocks", "md_escape", "needs_card", "render", "summary", "text_blocks", "text_card", "validate_card",
]
