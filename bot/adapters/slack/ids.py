"""Every action id, callback id and command the Slack app uses, in one place.

The manifest (config/slack-manifest.yml) must list the same commands, shortcuts
and events; a test checks that they agree with what the app registers.
"""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    UPPSIKT = "/uppsikt"
    KRIS = "/kris"
    FRANVARO = "/franvaro"
    KONTO = "/konto"
    FRAGA = "/fraga"
    RAPPORT = "/rapport"


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

    @property
    def core_name(self) -> str:
        return self.value.removeprefix("uppsikt.")

    @classmethod
    def for_core(cls, name: str) -> "ActionId":
        return cls(f"uppsikt.{name}")


class CallbackId(StrEnum):
    """Modal (view) callback ids and the message shortcut."""

    REMOVE_MODAL = "uppsikt.remove_modal"  # pick the removal ground (M1)
    REASSIGN_MODAL = "uppsikt.reassign_modal"  # pick a colleague and give a reason
    NO_REPLY_MODAL = "uppsikt.no_reply_modal"  # reason for closing without reply (Q6)
    REJECT_MODAL = "uppsikt.reject_modal"  # reason for rejecting an account request
    ANSWER_MODAL = "uppsikt.answer_modal"  # optional answer text when marking answered
    ACCOUNT_MODAL = "uppsikt.account_modal"  # document an account (A2) / request a new one (A1)
    TRACK_SHORTCUT = "uppsikt.track_message"  # message shortcut "Följ upp som medborgarfråga"


EVENTS = ("message.channels", "message.groups", "reaction_added", "app_home_opened")
