"""Message -> Block Kit: fallback text plus blocks, always within Slack's limits.

Everything that reaches Slack as text goes through `escape`: the three
characters Slack reserves (& < >) are escaped, so citizen text can never form
a link, a user mention or a `<!channel>` broadcast, and mrkdwn text objects
are sent with ``verbatim: true`` so Slack does not auto-parse ``@here``-style
words either. The only mentions in a payload are the ``<@U…>`` ones built
here from `Message.mentions`.

Limits (https://docs.slack.dev/reference/block-kit): section text 3000
characters, section fields 10 per section and 2000 characters each, actions
block 25 elements, button text 75 characters, button value 2000 characters,
context block 10 elements, 50 blocks per message. Lengths are counted in
UTF-16 code units, which is never less than Python's `len`, so an emoji in a
citizen's text cannot push a payload over a limit.

`validate_blocks` checks a payload with `slack_sdk.models.blocks` (every
block and nested element parsed and `validate_json()`-ed) plus the limits
slack_sdk does not check; tests use it for every payload the bot builds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block

from bot.adapters.slack.ids import SLACK_SPELLING, ActionId, UiId
from bot.messages import DESTRUCTIVE_ACTIONS, POSITIVE_ACTIONS, SHOW_CARD, Action, BundleEntry, Message

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
FIELDS_PER_SECTION = 10
BUTTONS_PER_ACTIONS = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
CONTEXT_TEXT_MAX = 3000
MAX_BLOCKS = 50
MAX_TEXT_SECTIONS = 3  # a long text (a digest) is split on lines into at most this many sections
FALLBACK_TEXT_MAX = 4000  # the notification / fallback `text`; Slack truncates at 40 000
ELLIPSIS = "…"
BUNDLE_BLOCK = "uppsikt.bundle."  # a bundle's section of one item: this and the item's number


BROADCAST_RE = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
WORD_JOINER = "\u2060"  # invisible; keeps "@here" from ever being read as a broadcast

UserIds = Mapping[str, str] | Callable[[str], str | None]


# --------------------------------------------------------------------------- text


def slack_len(text: str) -> int:
    """Length as Slack counts it at most: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """mrkdwn-escape untrusted text: & < > become entities, broadcast words are defused."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return BROADCAST_RE.sub("@" + WORD_JOINER, text)


def truncate(text: str, limit: int) -> str:
    """Cut already-escaped text to `limit` (UTF-16 units), ending in "…", never inside an entity."""
    if slack_len(text) <= limit:
        return text
    out: list[str] = []
    used = slack_len(ELLIPSIS)
    for ch in text:
        size = slack_len(ch)
        if used + size > limit:
            break
        out.append(ch)
        used += size
    cut = "".join(out)
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # drop a half-cut &amp; / &lt; / &gt;
    return cut + ELLIPSIS


def split_lines(text: str, limit: int, parts: int) -> list[str]:
    """Split escaped text on line breaks into at most `parts` chunks of at most `limit`; the last may be truncated."""
    lines = text.split("\n")
    chunks: list[str] = []
    current = lines[0]
    for i, line in enumerate(lines[1:], start=1):
        candidate = f"{current}\n{line}"
        if slack_len(candidate) <= limit:
            current = candidate
        elif len(chunks) < parts - 1:
            chunks.append(current)
            current = line
        else:
            current = "\n".join([current, *lines[i:]])
            break
    chunks.append(current)
    return [truncate(c, limit) for c in chunks]


def _lookup(user_ids: UserIds, email: str) -> str | None:
    if callable(user_ids):
        return user_ids(email)
    return user_ids.get(email)


def mention_line(mentions: Sequence[str], user_ids: UserIds) -> str:
    """`<@U…>` for resolved e-mails, the escaped e-mail for the rest."""
    parts = []
    for email in mentions:
        user_id = _lookup(user_ids, email)
        parts.append(f"<@{user_id}>" if user_id and re.fullmatch(r"[UW][A-Z0-9]+", user_id) else escape(email))
    return " ".join(parts)


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


# --------------------------------------------------------------------------- blocks


def text_sections(text: str) -> list[dict]:
    """Escaped text as one or more mrkdwn sections (split on lines, then truncated)."""
    chunks = [c for c in split_lines(text, SECTION_TEXT_MAX, MAX_TEXT_SECTIONS) if c.strip()] or [ELLIPSIS]
    return [{"type": "section", "text": mrkdwn(chunk)} for chunk in chunks]


def field_sections(fields: Sequence[tuple[str, str]]) -> list[dict]:
    texts = [truncate(f"*{escape(label)}*\n{escape(value)}", FIELD_TEXT_MAX) for label, value in fields]
    return [
        {"type": "section", "fields": [mrkdwn(t) for t in texts[i:i + FIELDS_PER_SECTION]]}
        for i in range(0, len(texts), FIELDS_PER_SECTION)
    ]


def button(action: Action, *, label_suffix: str = "") -> dict:
    label = (action.label or action.name) + label_suffix
    element = {
        "type": "button",
        "action_id": str(ActionId.for_core(action.name)),
        "text": plain(_truncate_plain(label, BUTTON_TEXT_MAX)),
        "value": action.value[:BUTTON_VALUE_MAX],
    }
    if action.name in POSITIVE_ACTIONS:
        element["style"] = "primary"
    elif action.name in DESTRUCTIVE_ACTIONS:
        element["style"] = "danger"
    if not element["value"]:
        del element["value"]
    if action.url:  # a link button: opens the address in the browser
        element["url"] = action.url
    return element


def _truncate_plain(text: str, limit: int) -> str:
    """plain_text is not mrkdwn: no entities to protect, just cut."""
    if slack_len(text) <= limit:
        return text
    out = ""
    for ch in text:
        if slack_len(out + ch + ELLIPSIS) > limit:
            break
        out += ch
    return out + ELLIPSIS


def actions_blocks(actions: Sequence[Action]) -> list[dict]:
    """Buttons in actions blocks: at most 25 each, and an action_id never twice in one block.

    A digest carries the same action for several items; each repeat starts a
    new block (Slack requires action ids to be unique within a block) and the
    value is added to the label so people can tell the buttons apart.
    """
    mixed = len({a.value for a in actions}) > 1
    blocks: list[dict] = []
    current: list[dict] = []
    for action in actions:
        element = button(action, label_suffix=f" ({action.value})" if mixed and action.value else "")
        if len(current) == BUTTONS_PER_ACTIONS or any(e["action_id"] == element["action_id"] for e in current):
            blocks.append({"type": "actions", "elements": current})
            current = []
        current.append(element)
    if current:
        blocks.append({"type": "actions", "elements": current})
    return blocks


def context_block(message: Message) -> dict:
    label = message.kind if message.account is None else f"{message.kind} · {message.account}"
    return {"type": "context", "elements": [mrkdwn(truncate(escape(label), CONTEXT_TEXT_MAX))]}


OVERFLOW_OPTIONS = 5
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
# The card's buttons a bundle's menu offers first (issue 16 point 11), then the rest in the card's order; the last
# option of every menu shows the whole card (all its buttons) to the one who asks (SHOW_CARD).
BUNDLE_PREFERRED = ("take", "answered", "forwarded", "no_reply")


def bundle_options(entry: BundleEntry) -> list[dict]:
    """The overflow menu of one bundled item: up to four of its card's actions, then "show the whole card".
    An option's value is "<core action>:<its value>" (`parse_bundle_option`)."""
    show = [a for a in entry.actions if a.name == SHOW_CARD]
    actions = [a for a in entry.actions if not a.url and a.name != SHOW_CARD]
    ordered = sorted(actions, key=lambda a: (BUNDLE_PREFERRED.index(a.name) if a.name in BUNDLE_PREFERRED
                                             else len(BUNDLE_PREFERRED), actions.index(a)))
    chosen = ordered[:OVERFLOW_OPTIONS - len(show[:1])] + show[:1]
    return [{"text": plain(_truncate_plain(a.label or a.name, OPTION_TEXT_MAX)),
             "value": f"{a.name}:{a.value}"[:OPTION_VALUE_MAX]} for a in chosen]


def parse_bundle_option(value: str) -> tuple[str, str]:
    """A bundle menu option's value -> (core action name or SHOW_CARD, the action's value)."""
    name, _, rest = value.partition(":")
    return name, rest


def render_bundle(message: Message) -> tuple[str, list[dict]]:
    """A bundle of new items (issue 16 point 11): its header, then one section per item with the item's line and an
    overflow menu of the item's actions (`bundle_options`); block ids name the items ("uppsikt.bundle.<number>").
    At most MAX_BLOCKS - 2 items (the outbox makes at most 34); the fallback text is the whole text when it fits,
    else the header and the item numbers."""
    header = message.text.split("\n", 1)[0]
    blocks = text_sections(escape(slack_spelling(header)))[:1]
    for entry in message.entries[:MAX_BLOCKS - 2]:
        section = {"type": "section", "block_id": f"{BUNDLE_BLOCK}{entry.item}",
                   "text": mrkdwn(truncate(escape(slack_spelling(entry.text)), SECTION_TEXT_MAX))}
        options = bundle_options(entry)
        if options:
            section["accessory"] = {"type": "overflow", "action_id": str(UiId.BUNDLE_ITEM), "options": options}
        blocks.append(section)
    blocks.append(context_block(message))
    text = escape(slack_spelling(message.text))
    if slack_len(text) > FALLBACK_TEXT_MAX:
        text = escape(slack_spelling(header)) + "\n" + ", ".join(str(e.item) for e in message.entries)
    return truncate(text, FALLBACK_TEXT_MAX), blocks


def render(message: Message, *, user_ids: UserIds) -> tuple[str, list[dict]]:
    """Fallback text and Block Kit blocks for one message.

    `user_ids` maps a mentioned person's e-mail to a Slack user id (a mapping
    or a function returning None when unknown). A bundle (`Message.entries`) is
    rendered by `render_bundle`.
    """
    if message.entries:
        return render_bundle(message)
    mentions = mention_line(message.mentions, user_ids)
    body = escape(slack_spelling(message.text))
    text = f"{mentions}\n{body}" if mentions else body
    blocks = text_sections(text)
    blocks += field_sections(message.fields)
    blocks += actions_blocks(message.actions)
    if message.card:
        blocks.append(context_block(message))
    return truncate(text, FALLBACK_TEXT_MAX), blocks[:MAX_BLOCKS]


def ephemeral_blocks(text: str) -> list[dict]:
    """Blocks for a command reply (escaped; a long help text is split over sections)."""
    return text_sections(escape(text))


def fallback_text(text: str) -> str:
    """The `text` to send beside `ephemeral_blocks(text)` (notifications, screen readers)."""
    return truncate(escape(text), FALLBACK_TEXT_MAX)


# --------------------------------------------------------------------------- validation


def validate_blocks(blocks: Sequence[dict]) -> None:
    """Raise SlackObjectFormationError unless every block passes slack_sdk's validators and Slack's limits."""
    if len(blocks) > MAX_BLOCKS:
        raise SlackObjectFormationError(f"a message can hold at most {MAX_BLOCKS} blocks, got {len(blocks)}")
    for raw in blocks:
        parsed = Block.parse(raw)
        if parsed is None:
            raise SlackObjectFormationError(f"unknown block {raw!r}")
        _validate_tree(parsed)
        _check_limits(raw)


def _validate_tree(obj: JsonObject) -> None:
    obj.validate_json()
    for name in sorted(obj.attributes):
        value = getattr(obj, name, None)
        for child in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(child, JsonObject):
                _validate_tree(child)


def _check_limits(raw: dict) -> None:
    for field in raw.get("fields", ()) or ():
        if slack_len(field["text"]) > FIELD_TEXT_MAX:
            raise SlackObjectFormationError(f"section field longer than {FIELD_TEXT_MAX} characters")
    text = raw.get("text")
    if isinstance(text, dict) and not text.get("text"):
        raise SlackObjectFormationError("empty text object")
    elements = raw.get("elements", ()) or ()
    ids = [e["action_id"] for e in elements if isinstance(e, dict) and "action_id" in e]
    if len(ids) != len(set(ids)):
        raise SlackObjectFormationError(f"duplicate action_id in one block: {ids}")
    for e in elements:
        if isinstance(e, dict) and e.get("type") == "button" and len(e.get("value", "")) > BUTTON_VALUE_MAX:
            raise SlackObjectFormationError(f"button value longer than {BUTTON_VALUE_MAX} characters")


__all__ = [
    "ELLIPSIS", "escape", "ephemeral_blocks", "fallback_text", "mention_line", "mrkdwn", "plain", "render",
    "slack_len", "split_lines", "text_sections", "truncate", "validate_blocks",
]


SPELLING_RE = re.compile(r"(?<![\w/])(" + "|".join(map(re.escape, SLACK_SPELLING)) + r")(?![\w-])")


def slack_spelling(text: str) -> str:
    """Command names as they are typed in Slack: "/frånvaro" -> "/franvaro" (Slack commands are ASCII)."""
    return SPELLING_RE.sub(lambda m: str(SLACK_SPELLING[m.group(1)]), text)
