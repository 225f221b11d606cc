"""Teams ids -> Uppsikt's names (people, channels, cards) and the conversation references it keeps.

The Teams counterpart of bot/adapters/slack/directory.py: `Directory` maps Entra object ids to
configured e-mails, channel names to conversation references and cards to activities, through
`Bot.memory("teams")`. The one real difference from Slack: Teams posts proactively through stored
conversation references, so those are remembered here too.
"""

from __future__ import annotations

import json
import re

from microsoft_agents.activity import ConversationReference

from bot.adapters.teams import PLATFORM
from bot.facade import Bot, fold

MESSAGE_ID_RE = re.compile(r";messageid=.*$", re.IGNORECASE)


# --------------------------------------------------------------------------- names and ids


class ChannelUnreadable(Exception):
    """Teams could not say a channel's name just now (listing the team's channels failed; it may work later)."""


def normalize_channel(name: str) -> str:
    """A channel's display name as an account's ``channel`` is written: "Konto Facebook" -> "konto-facebook"."""
    return re.sub(r"[\s_]+", "-", fold(name.strip().lstrip("#")).strip())


def base_conversation(conversation_id: str) -> str:
    """A conversation id without the thread suffix: "19:x@thread.tacv2;messageid=1" -> "19:x@thread.tacv2"."""
    return MESSAGE_ID_RE.sub("", conversation_id or "")


def is_channel(reference: ConversationReference) -> bool:
    conversation = reference.conversation
    return bool(conversation and (conversation.conversation_type == "channel"
                                  or "@thread" in (conversation.id or "")))


def reference_json(reference: ConversationReference) -> str:
    return json.dumps(reference.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False)


def load_reference(text: str) -> ConversationReference:
    return ConversationReference.model_validate(json.loads(text))


# --------------------------------------------------------------------------- the store (m004, m003)


class Directory:
    """Conversation references, Teams users and card positions, in the bot's chat memory
    (`Bot.memory("teams")`: the m003/m004 tables).

    Every method takes the bot's lock itself, briefly (an RLock, so the outbox may call them while
    holding it). Never call them on the event loop's thread.
    """

    def __init__(self, bot: Bot):
        self.bot = bot
        self.memory = bot.memory(PLATFORM)

    # ------------------------------------------------------------------ references
    def save(self, key: str, reference: ConversationReference) -> None:
        reference = reference.model_copy()
        reference.activity_id = None  # a reference addresses the conversation, not one message in it
        conversation = reference.conversation.model_copy()
        conversation.id = base_conversation(conversation.id)
        reference.conversation = conversation
        self.memory.save_reference(key, conversation.id, reference_json(reference))

    def save_channel(self, name: str, reference: ConversationReference) -> str:
        key = f"channel:{normalize_channel(name)}"
        self.save(key, reference)
        return key

    def reference(self, key: str) -> ConversationReference | None:
        stored = self.memory.reference(key)
        return load_reference(stored) if stored else None

    def forget(self, key: str) -> None:
        self.memory.forget_reference(key)

    def channel_name(self, conversation_id: str) -> str | None:
        """The (normalised) name of the channel with this conversation id, or None (a chat, or unknown)."""
        key = self.memory.reference_key(base_conversation(conversation_id), "channel:")
        return key.removeprefix("channel:") if key else None

    def any_reference(self) -> ConversationReference | None:
        """Some stored reference (for the service URL, tenant and the bot's own account)."""
        stored = self.memory.any_reference()
        return load_reference(stored) if stored else None

    # ------------------------------------------------------------------ people
    def email_for(self, aad_object_id: str | None) -> str | None:
        """The configured person with this Entra object id (config chat_id, then learned), or None."""
        if not aad_object_id:
            return None
        settings = self.bot.settings
        configured = next((p.email for p in settings.people.values()
                           if p.chat_id and p.chat_id.lower() == aad_object_id.lower()), None)
        if configured:
            return configured
        email = self.memory.email_of(aad_object_id)
        return email if email and settings.person(email) is not None else None

    def teams_id(self, email: str) -> str | None:
        """A person's Entra object id, for @-mentions: config chat_id, else learned when they wrote to the bot."""
        person = self.bot.settings.person(email)
        if person is not None and person.chat_id:
            return person.chat_id
        known = self.memory.user(email)
        return known[0] if known else None

    def remember_user(self, email: str, aad_object_id: str) -> None:
        self.memory.remember_user(email, aad_object_id)

    # ------------------------------------------------------------------ cards
    def card_ref(self, card: str) -> tuple[str, str] | None:
        """(conversation id, activity id) of the card's message, if it was posted."""
        return self.memory.card_ref(card)

    def card_at(self, conversation_id: str, activity_id: str) -> str | None:
        """The card key of the message with this activity id in this conversation (e.g. for a reaction)."""
        return self.memory.card_at(base_conversation(conversation_id), activity_id)

    def remember_card(self, card: str, conversation_id: str, activity_id: str) -> None:
        self.memory.remember_card(card, base_conversation(conversation_id), activity_id)

    def forget_card(self, card: str) -> None:
        self.memory.forget_card(card)


__all__ = ["ChannelUnreadable", "Directory", "base_conversation", "is_channel", "load_reference", "normalize_channel", "reference_json"]
