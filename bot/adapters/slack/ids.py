"""Every action id, callback id, block id and command the Slack app uses, in one place.

The manifest (config/slack-manifest.yml) must list the same commands, shortcuts
and events; a test checks that they agree with what the app registers.
"""

from __future__ import annotations

from enum import StrEnum

from bot.messages import FORM_ACTIONS as MESSAGE_FORM_ACTIONS


class Command(StrEnum):
    """Slash commands. Slack command names are ASCII, so /franvaro, /fraga, /arende, /sok, /klarsprak."""

    UPPSIKT = "/uppsikt"
    KRIS = "/kris"
    FRANVARO = "/franvaro"
    KONTO = "/konto"
    FRAGA = "/fraga"
    RAPPORT = "/rapport"
    ARENDE = "/arende"
    TA_BORT = "/ta-bort"
    DIARIUM = "/diarium"
    SNAPSHOT = "/snapshot"
    SOK = "/sok"
    KLARSPRAK = "/klarsprak"
    ARKIV = "/arkiv"  # issue 12: the archive and legal holds


# The core's texts spell commands the Swedish way; Slack command names are ASCII, so replies show these.
SLACK_SPELLING = {
    "/frånvaro": Command.FRANVARO, "/fråga": Command.FRAGA, "/ärende": Command.ARENDE, "/sök": Command.SOK,
    "/klarspråk": Command.KLARSPRAK,
}


class ActionId(StrEnum):
    """Block Kit button action ids: `uppsikt.<core action name>`; the value carries the item or account."""

    OVERSIGHT_DONE = "uppsikt.oversight_done"
    TAKE = "uppsikt.take"
    REASSIGN = "uppsikt.reassign"
    FIRST_REPLY_SENT = "uppsikt.first_reply_sent"
    FORWARDED = "uppsikt.forwarded"
    ANSWERED = "uppsikt.answered"
    NO_REPLY = "uppsikt.no_reply"
    REMOVE = "uppsikt.remove"
    CRISIS = "uppsikt.crisis"
    ACCOUNT_APPROVE = "uppsikt.account_approve"
    ACCOUNT_REJECT = "uppsikt.account_reject"
    TWO_FACTOR_ATTEST = "uppsikt.two_factor_attest"
    REPLY = "uppsikt.reply"  # issue 11: reply as the Page (a modal: text, template, preview, publish)
    PLATFORM_BLOCK = "uppsikt.platform_block"
    PLATFORM_UNDO = "uppsikt.platform_undo"
    PLATFORM_RESEND = "uppsikt.platform_resend"

    @property
    def core_name(self) -> str:
        return self.value.removeprefix("uppsikt.")

    @classmethod
    def for_core(cls, name: str) -> "ActionId":
        return cls(f"uppsikt.{name}")


class UiId(StrEnum):
    """Interactive elements that are not core actions (they belong to the Slack adapter only)."""

    REMOVE_GROUND = "uppsikt.ui.remove_ground"  # static_select in the ephemeral ground picker (after a reaction)
    REMOVE_CONFIRM = "uppsikt.ui.remove_confirm"  # its button: register the removal with the picked ground
    DOCUMENT_ACCOUNT = "uppsikt.ui.document_account"  # App Home button: open the account modal
    BUNDLE_ITEM = "uppsikt.ui.bundle_item"  # the overflow menu beside an item in a bundle (issue 16 point 11)


# Buttons that open a form (a modal) first: bot.messages.FORM_ACTIONS, the same list Teams uses.
FORM_ACTIONS = tuple(a for a in ActionId if a.core_name in MESSAGE_FORM_ACTIONS)
# Buttons that act at once (ActionId -> core action name for Bot.action): every other one.
DIRECT_ACTIONS = tuple(a for a in ActionId if a.core_name not in MESSAGE_FORM_ACTIONS)


class CallbackId(StrEnum):
    """Modal (view) callback ids and the message shortcut."""

    REMOVE_MODAL = "uppsikt.remove_modal"  # pick the removal ground (M1)
    REASSIGN_MODAL = "uppsikt.reassign_modal"  # pick a colleague and give a reason
    NO_REPLY_MODAL = "uppsikt.no_reply_modal"  # reason for closing without reply (Q6)
    REJECT_MODAL = "uppsikt.reject_modal"  # reason for rejecting an account request
    ANSWER_MODAL = "uppsikt.answer_modal"  # optional answer text when marking answered
    REPLY_MODAL = "uppsikt.reply_modal"  # issue 11: the reply's text or template -> preview
    REPLY_CONFIRM = "uppsikt.reply_confirm"  # issue 11: the preview with signature and klarspråk -> publish
    ACCOUNT_MODAL = "uppsikt.account_modal"  # document an account (A2) / request a new one (A1)
    TRACK_SHORTCUT = "uppsikt.track_message"  # message shortcut "Följ upp som medborgarfråga"


SHORTCUTS = (CallbackId.TRACK_SHORTCUT,)


class BlockId(StrEnum):
    """block_id of modal inputs; the input element inside has action_id "value"."""

    GROUND = "ground"
    NOTE = "note"
    COLLEAGUE = "colleague"
    REASON = "reason"
    ANSWER = "answer"
    TEMPLATE = "template"


INPUT = "value"  # the action_id of every modal input element


EVENTS = ("message.channels", "message.groups", "reaction_added", "app_home_opened")
"""Bot events in the manifest. message.channels/message.groups arrive as event type `message`."""

BOT_SCOPES = (
    "commands", "chat:write", "channels:history", "groups:history", "channels:read", "groups:read",
    "reactions:read", "users:read", "users:read.email", "im:write",
    "files:write",  # issue 14: the monthly report's image and HTML (files.getUploadURLExternal)
)
"""OAuth bot scopes the app needs (the manifest must list exactly these)."""
