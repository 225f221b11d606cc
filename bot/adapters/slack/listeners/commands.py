"""Slash commands: acknowledge at once, run the core's text command, answer the person.

Every command in `Command` goes to `Bot.command` as the same text the console
takes (``/franvaro 2026-12-22 2027-01-06 ersättare=…``), with the name of the
channel it was typed in so that the core finds the channel's account. The
answer is ephemeral unless the core marks it public. ``/konto dokumentera
[konto]`` opens the account modal instead (views.py), filled in from the
account when one is named or the command is typed in an account's channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.adapters.slack.directory import Directory, tell
from bot.adapters.slack.ids import Command
from bot.adapters.slack.listeners import views
from bot.facade import Bot, fold

DOCUMENT_WORDS = ("dokumentera", "dokumentation")


def register(app: App, bot: Bot) -> None:
    directory = Directory(bot, app.client)

    def on_command(ack: Ack, command: dict, respond: Callable[..., Any], client: WebClient) -> None:
        ack()
        user = command["user_id"]
        actor = directory.actor(user, lambda text: tell(client, text, user=user, respond=respond))
        if actor is None:
            return
        name, text = command["command"], command.get("text", "").strip()
        words = text.split()
        channel = directory.channel_name(command.get("channel_id"))
        if name == Command.KONTO and words and fold(words[0]) in DOCUMENT_WORDS:
            template = words[1].lower() if len(words) > 1 else None
            meta = {"channel": command.get("channel_id"), "response_url": command.get("response_url")}
            views.open_account_modal(client, bot, command["trigger_id"], template=template, channel=channel, meta=meta)
            return
        reply = bot.command(actor, f"{name} {text}", channel)
        tell(client, reply.text, user=user, respond=respond, public=reply.public and reply.ok)

    for command in Command:
        app.command(command.value)(on_command)
