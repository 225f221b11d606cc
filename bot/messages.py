"""Platform-neutral outgoing messages; adapters render them (console text, Block Kit, Adaptive Cards)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Action:
    """A button: `name` is the core action (take, answered, oversight_done, …), or with `url` a link
    that opens in the browser (Teams: Action.OpenUrl; Slack: a link) and never reaches the core."""

    name: str
    label: str
    value: str = ""
    url: str = ""


# How every chat platform treats the core's buttons (one list for Slack and Teams alike):
# buttons that ask for input in a form first (Slack: a modal; Teams: an input card) ...
FORM_ACTIONS = frozenset({"reassign", "no_reply", "answered", "remove", "account_reject", "reply"})
# ... and the buttons shown as the positive (Slack: primary) or destructive (Slack: danger) choice.
POSITIVE_ACTIONS = frozenset({"answered", "oversight_done", "account_approve", "reply"})
DESTRUCTIVE_ACTIONS = frozenset({"remove", "crisis", "account_reject", "platform_block"})


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a message (the monthly report's summary image and its HTML).

    `data` is the content in base64 so that a message stays plain JSON in the outbox; `alt` is the text
    alternative of an image, `title` what the chat shows as the file's name."""

    filename: str
    mime: str
    data: str
    title: str = ""
    alt: str = ""

    @classmethod
    def of(cls, filename: str, mime: str, content: bytes, title: str = "", alt: str = "") -> "Attachment":
        return cls(filename, mime, base64.b64encode(content).decode("ascii"), title, alt)

    def content(self) -> bytes:
        return base64.b64decode(self.data)

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


SHOW_CARD = "show_card"  # a bundle entry's action that shows the item's whole card to the one who asks


@dataclass(frozen=True)
class BundleEntry:
    """One item listed in a bundle (issue 16 point 11): its number, its line (number, account, author, first words,
    deadline) and the buttons of its card, which a platform may offer beside the line (Slack: an overflow menu)."""

    item: int
    text: str
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Message:
    kind: str  # oversight_prompt, nudge, assignment, escalation, …
    to: str  # "#channel" or a person's e-mail
    text: str
    account: str | None = None
    item: int | None = None
    actions: tuple[Action, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    mentions: tuple[str, ...] = ()  # e-mails to @-mention
    thread: str | None = None  # post in the thread of this card key ("item:12")
    card: str | None = None  # this message is the card with this key; a later one with the same key updates it
    attachments: tuple[Attachment, ...] = ()  # files: an image is shown in the message, others attached
    # A bundle (kind "bundle", made by the outbox while a channel is backed up by its rate limit): the new items it
    # lists instead of one card each; `text` holds the same lines, for platforms that show text only.
    entries: tuple[BundleEntry, ...] = ()

    @property
    def to_channel(self) -> bool:
        return self.to.startswith("#")

    def to_json(self) -> str:
        # The same JSON as json.dumps(dataclasses.asdict(self)), built directly: asdict deep-copies every
        # nested value and was a tenth of a simulated year's time (every message the core emits, issue 17).
        d = dict(self.__dict__)
        d["actions"] = [a.__dict__ for a in self.actions]
        d["attachments"] = [a.__dict__ for a in self.attachments]
        d["entries"] = [{"item": e.item, "text": e.text, "actions": [a.__dict__ for a in e.actions]}
                        for e in self.entries]
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Message":
        d = json.loads(text)
        d["actions"] = tuple(Action(**a) for a in d.get("actions", ()))
        d["fields"] = tuple(tuple(f) for f in d.get("fields", ()))
        d["mentions"] = tuple(d.get("mentions", ()))
        d["attachments"] = tuple(Attachment(**a) for a in d.get("attachments", ()))
        d["entries"] = tuple(BundleEntry(int(e["item"]), str(e["text"]), tuple(Action(**a) for a in e.get("actions", ())))
                             for e in d.get("entries", ()))
        return cls(**d)


@dataclass(frozen=True)
class Reply:
    """The direct answer to a command or action, shown only to the person who asked unless public."""

    text: str
    ok: bool = True
    public: bool = False
    data: dict = field(default_factory=dict)
