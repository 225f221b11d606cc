"""Slack ids -> Uppsikt's names (people, channels, cards) and how an answer reaches the person.

`Directory` maps Slack users to configured e-mails, channels to names and cards to items (through
the chat port and `Bot.memory("slack")`); `tell` shows a reply to the person who acted; `plain_text`
turns Slack's mrkdwn back into what a citizen wrote.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapters.slack.blocks import ephemeral_blocks, fallback_text, slack_spelling
from bot.adapters.slack.chat import PLATFORM, SlackChat
from bot.facade import Bot, ChatError, is_number

log = logging.getLogger("uppsikt.slack")

ENTITY_RE = re.compile(r"&(amp|lt|gt);")
LINK_RE = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


# --------------------------------------------------------------------------- people and channels

LOOKUP_ATTEMPTS = 3
LOOKUP_PAUSE_SECONDS = 0.1
GONE = frozenset({"channel_not_found"})  # Slack says the bot cannot see such a channel: not an account's


class ChannelUnreadable(Exception):
    """Slack could not say a channel's name just now (it may later)."""



class Directory:
    """Slack ids -> Uppsikt's names: users to configured e-mails, channels to names, cards to items."""

    def __init__(self, bot: Bot, client: WebClient):
        self.bot = bot
        self.client = client
        self.chat = bot.chat if isinstance(bot.chat, SlackChat) else SlackChat.for_bot(client, bot)

    def email(self, user_id: str) -> str | None:
        """The configured person behind a Slack user, or None (unknown person or unreadable profile)."""
        if not user_id:
            return None
        settings = self.bot.settings
        configured = next((p.email for p in settings.people.values() if p.chat_id == user_id), None)
        if configured:
            return configured
        try:
            email = self.chat.email_for(user_id)  # the chat port's memory locks its own SQL
        except ChatError as exc:
            log.warning("Slack: cannot read the e-mail of user %s: %s", user_id, exc)
            return None
        return email if email and settings.person(email) is not None else None

    def actor(self, user_id: str, refuse: Callable[[str], None]) -> str | None:
        """`email`, telling the user why nothing happens when they are not a configured person."""
        email = self.email(user_id)
        if email is None:
            refuse(self.bot.t("slack.unknown_user"))
        return email

    def channel_name(self, channel_id: str | None) -> str | None:
        """The channel's name (without #), or None for direct messages and channels the bot cannot see
        (also when Slack cannot answer now: use `lookup_channel` where that must not be mistaken for "none")."""
        try:
            return self.lookup_channel(channel_id)
        except ChannelUnreadable:
            return None

    def lookup_channel(self, channel_id: str | None) -> str | None:
        """`channel_name`, but a failure that may pass (HTTP 500, 429, ``fatal_error``, a network error) raises
        ChannelUnreadable after a few quick tries instead of passing for "not an account channel"."""
        if not channel_id or channel_id.startswith("D"):  # a direct message has no name and no account
            return None
        known = self.bot.memory(PLATFORM).channel_name(channel_id)
        if known:
            return known
        error: Exception | None = None
        for attempt in range(LOOKUP_ATTEMPTS):
            if attempt:
                self.pause(LOOKUP_PAUSE_SECONDS * attempt)
            try:
                name = (self.client.conversations_info(channel=channel_id).get("channel") or {}).get("name")
            except SlackApiError as exc:
                if exc.response.get("error") in GONE:
                    log.info("Slack: conversations.info %s: %s", channel_id, exc.response.get("error"))
                    return None
                error = exc
                continue
            except (SlackClientError, OSError) as exc:
                error = exc
                continue
            if not name:
                return None
            self.bot.memory(PLATFORM).remember_channels({str(name).lower(): channel_id})
            return str(name).lower()
        raise ChannelUnreadable(f"conversations.info {channel_id}: {error}")

    @staticmethod
    def pause(seconds: float) -> None:
        time.sleep(seconds)

    def author(self, event: dict) -> str:
        """Who wrote a message: the integration's name, or the person's Slack display name."""
        if event.get("bot_id") or event.get("subtype") == "bot_message":
            return str(event.get("username") or (event.get("bot_profile") or {}).get("name") or event.get("bot_id"))
        user_id = str(event.get("user") or "")
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, SlackClientError, OSError):
            return user_id
        profile = user.get("profile") or {}
        return str(profile.get("display_name") or profile.get("real_name") or user.get("name") or user_id)

    def item_at(self, channel_id: str, ts: str) -> int | None:
        """The item whose card (or whose original Slack message) is at (channel, ts)."""
        card = self.chat.card_at(channel_id, ts)
        if card is None:
            return self.bot.item_for_message(PLATFORM, f"{channel_id}:{ts}")
        kind, _, number = card.partition(":")
        return int(number) if kind == "item" and is_number(number) else None

    def bundle_at(self, channel_id: str, ts: str) -> bool:
        """True when the message at (channel, ts) is a bundle of several new items (issue 16 point 11)."""
        card = self.chat.card_at(channel_id, ts)
        return card is not None and card.startswith("bundle:")


def plain_text(slack_text: str) -> str:
    """Slack's mrkdwn as the plain text a citizen wrote: links unwrapped, & < > unescaped."""

    def link(m: re.Match) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith(("@", "#", "!")):
            return label or target
        target = target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target

    text = LINK_RE.sub(link, slack_text)
    return ENTITY_RE.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text)


# --------------------------------------------------------------------------- replies


def usable(respond: Callable[..., Any] | None) -> bool:
    """Bolt passes a `Respond` even when the payload has no response_url (e.g. the Home tab)."""
    return respond is not None and bool(getattr(respond, "response_url", True))


def tell(client: WebClient, text: str, *, user: str, channel: str | None = None,
         respond: Callable[..., Any] | None = None, public: bool = False, replace: bool = False) -> None:
    """Show `text` to the person only (unless `public`): by response_url, ephemerally in the channel,
    or in the app's direct-message tab when there is neither (e.g. a button on the Home tab)."""
    text = slack_spelling(text)
    blocks, fallback = ephemeral_blocks(text), fallback_text(text)
    if usable(respond):
        respond(text=fallback, blocks=blocks, response_type="in_channel" if public else "ephemeral",
                replace_original=replace)
    elif channel and public:
        client.chat_postMessage(channel=channel, text=fallback, blocks=blocks)
    elif channel and not channel.startswith("D"):
        client.chat_postEphemeral(channel=channel, user=user, text=fallback, blocks=blocks)
    else:
        client.chat_postMessage(channel=user, text=fallback, blocks=blocks)


__all__ = ["ChannelUnreadable", "Directory", "plain_text", "tell", "usable"]
