"""The Teams app: the Microsoft 365 Agents SDK (aiohttp) wired to the Bot facade.

`mount(server, bot, auth=...)` adds ``POST /api/messages`` to the one aiohttp
application of bot/server.py (which also serves ``/healthz`` with reasons,
``/metrics``, the intake webhooks and, in the same process if wanted, Slack):
activities from Teams (Bot Framework), checked by the SDK's JWT middleware
(anonymous only when `TeamsAuth.anonymous`, i.e. local development and tests).

No business rule lives here. Each handler turns an activity into plain
arguments, calls one `Bot` method **in a worker thread** (``asyncio.to_thread``:
the core is synchronous and its entry points are serialised by the bot's lock)
and shows the `Reply`:

* **Messages** (1:1, or @Uppsikt in a channel; the mention is stripped): the
  first word is the command, typed without slash (``uppsikt klart``, ``kris på``,
  ``frånvaro 2026-12-22 2027-01-06 ersättare=per@…``, ``hjälp``) and handed on
  as ``/<text>`` with the channel's name, so the core finds the channel's
  account. The answer is a reply to the message. ``hem`` (``översikt``,
  ``mina ärenden``, ``home``) answers with the person's dashboard card
  (`Bot.dashboard`, `cards.dashboard_card`), Teams' counterpart of App Home. A top-level message in an
  account's channel that does not mention the bot (an integration's post;
  needs the ChannelMessage.Read.Group permission in the manifest) becomes an
  item, like in Slack.
* **Buttons**: ``Action.Execute`` (invoke ``adaptiveCard/action``) and, for
  older clients, ``Action.Submit`` (a message with ``value``), both with data
  ``{"uppsikt": <core action>, "value": …}`` -> ``Bot.action``. The core
  re-emits the item's card, which `TeamsChat` updates in place (PUT). Buttons
  that need input post a follow-up card with inputs (`cards.form_card`); its
  answer replaces the form.
* **Reactions** (``messageReaction``) on an item's card: `TEAMS_REACTIONS` maps
  Teams' reaction types to the core's reaction actions; the emoji configured
  for that action in ``[reactions]`` is passed to ``Bot.react``.
* **conversationUpdate / installationUpdate**: when the app is added to a team
  every channel's conversation reference is stored (for proactive posts); when
  a person installs it or writes to it, their chat's reference is stored.

People are the configured person whose ``chat_id`` is the sender's Entra
object id (``from.aadObjectId``), or whose e-mail the Teams member API reports
for the sender (``GET /v3/conversations/{id}/members/{userId}``: ``email`` or
``userPrincipalName``), cached in ``chat_users``. Anyone else gets a polite
refusal in Swedish and nothing changes.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    load_configuration_from_env,
)
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator, start_agent_process
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ConnectionManager,
    Connections,
    MemoryStorage,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.app.adaptive_card import factory

from bot.adapters.teams import PLATFORM, cards
from bot.adapters.teams.chat import TeamsChat, card_activity, teams_spelling
from bot.adapters.teams.directory import ChannelUnreadable, base_conversation, is_channel, normalize_channel
from bot.facade import Bot, fold, is_number
from bot.i18n import t
from bot.messages import Reply

log = logging.getLogger("uppsikt.teams")

MESSAGES_PATH = "/api/messages"
MEMBER_PAGE_SIZE = 100
MEMBER_PAGES = 50
CHAT_KEY = web.AppKey("uppsikt.chat", object)  # the app's TeamsChat
AGENT_KEY = web.AppKey("uppsikt.agent", object)
ADAPTER_KEY = web.AppKey("uppsikt.adapter", object)

HELP_WORDS = ("hjalp", "help", "?")
# What opens a person's dashboard card (folded: lower case, no diacritics), Teams' counterpart of App Home.
HOME_WORDS = ("hem", "home", "oversikt", "overview", "mina arenden", "my items")
HOME_MAX_ACCOUNTS = cards.HOME_ACCOUNTS
AT_TAG_RE = re.compile(r"</?at>", re.IGNORECASE)
HTML_TAG_RE = re.compile(r"<[^>]+>")

# Teams' reaction types -> the core's reaction actions (see docs/teams.md). The classic six are
# like, heart, laugh, surprised, sad and angry; newer clients send "<codepoint>_<name>" for other emoji.
TEAMS_REACTIONS: dict[str, str] = {
    "like": "take",  # 👍 I take it
    "heart": "answered",  # ❤️ answered
    "surprised": "crisis",  # 😮 to the crisis group
    "angry": "remove",  # 😠 remove and register
}
TEAMS_EMOJI_REACTIONS: dict[str, str] = {  # codepoint prefix of newer reaction types
    "1f44d": "take",  # 👍
    "270b": "take",  # ✋
    "1f64b": "take",  # 🙋 raising hand
    "2705": "answered",  # ✅ white heavy check mark
    "2764": "answered",  # ❤️
    "1f198": "crisis",  # 🆘
    "1f6a8": "crisis",  # 🚨 rotating light
    "1f5d1": "remove",  # 🗑 wastebasket
    "26d4": "remove",  # ⛔ no entry
}


# --------------------------------------------------------------------------- credentials


class TeamsConfigError(Exception):
    """The Teams credentials are missing or unusable; the message says what to set (in Swedish)."""


@dataclass
class TeamsAuth:
    connection_manager: Connections
    auth_config: AgentAuthConfiguration
    app_id: str = ""
    anonymous: bool = False


def anonymous_auth(app_id: str = "") -> TeamsAuth:
    """No token is checked or sent: only for local development (Agents Playground / Bot Emulator) and tests."""
    config = AgentAuthConfiguration(anonymous_allowed=True)
    manager = ConnectionManager(provider_factory=lambda _config: AnonymousTokenProvider(),
                                connections_configurations={"SERVICE_CONNECTION": config})
    return TeamsAuth(manager, config, app_id, anonymous=True)


def auth_from_env(env: Mapping[str, str] | None = None, *, anonymous: bool = False, lang: str = "sv") -> TeamsAuth:
    """Credentials from the environment.

    Either the SDK's own variables ``CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID``,
    ``…__CLIENTSECRET``, ``…__TENANTID`` (and ``…__AUTHTYPE``, e.g. for a certificate or a managed
    identity), or the classic Azure Bot variables ``MicrosoftAppId``, ``MicrosoftAppPassword`` and
    ``MicrosoftAppTenantId`` (single tenant, client secret). `anonymous` skips all of it.
    """
    env = dict(os.environ if env is None else env)
    if anonymous:
        return anonymous_auth(env.get("MicrosoftAppId", ""))
    sdk = load_configuration_from_env(env)
    connections = sdk.get("CONNECTIONS") or {}
    if not (connections.get("SERVICE_CONNECTION") or {}).get("SETTINGS"):
        values = {name: env.get(name, "").strip()
                  for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId")}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise TeamsConfigError(t("teams.run.no_credentials", lang, missing=", ".join(missing)))
        connections = {"SERVICE_CONNECTION": {"SETTINGS": {
            "AUTHTYPE": "ClientSecret", "CLIENTID": values["MicrosoftAppId"],
            "CLIENTSECRET": values["MicrosoftAppPassword"], "TENANTID": values["MicrosoftAppTenantId"],
        }}}
        sdk["CONNECTIONS"] = connections
    try:
        from microsoft_agents.authentication.msal import MsalConnectionManager
    except ImportError:
        raise TeamsConfigError(t("teams.run.no_msal", lang)) from None
    try:
        manager = MsalConnectionManager(**sdk)
        config = manager.get_default_connection_configuration()
    except ValueError as exc:
        raise TeamsConfigError(t("teams.run.bad_credentials", lang, error=exc)) from exc
    if not config.CLIENT_ID:
        raise TeamsConfigError(t("teams.run.no_credentials", lang, missing="MicrosoftAppId"))
    return TeamsAuth(manager, config, str(config.CLIENT_ID), anonymous=False)


# --------------------------------------------------------------------------- small helpers


def command_text(text: str | None) -> str:
    """What a person typed, as a command line: tags and entities gone, whitespace collapsed."""
    text = AT_TAG_RE.sub("", text or "")
    text = HTML_TAG_RE.sub(" ", text)
    text = html.unescape(text).replace("\u00a0", " ")
    return " ".join(text.split())


def channel_data(activity: Activity) -> dict:
    data = activity.channel_data
    return data if isinstance(data, dict) else {}


def channel_id_of(activity: Activity) -> str:
    """The id of the channel an activity was posted in (its conversation id without the thread suffix)."""
    conversation = activity.conversation or ConversationAccount()
    return (channel_data(activity).get("channel") or {}).get("id") or base_conversation(conversation.id)


def mentions_bot(activity: Activity) -> bool:
    bot_id = activity.recipient.id if activity.recipient else None
    return any(m.mentioned and m.mentioned.id == bot_id for m in activity.get_mentions())


def core_channel(bot: Bot, name: str | None) -> str | None:
    """A stored (normalised) channel name as the core knows it: an account's `channel` or the crisis channel.

    Reads the store (approved accounts): call it in a worker thread.
    """
    if not name:
        return None
    for candidate in bot.core_channels():
        if normalize_channel(candidate) == name:
            return candidate
    return name


def account_of(bot: Bot, channel: str | None) -> str | None:
    """The id of the account whose channel this is (worker thread: reads the store)."""
    if not channel:
        return None
    account = bot.account_by_channel(channel)
    return account.id if account else None


def reaction_action(reaction_type: str) -> str | None:
    """A Teams reaction type -> the core's reaction action (take, answered, crisis, remove), or None."""
    kind = (reaction_type or "").strip().lower()
    if kind in TEAMS_REACTIONS:
        return TEAMS_REACTIONS[kind]
    codepoint = kind.split("_", 1)[0]
    return TEAMS_EMOJI_REACTIONS.get(codepoint)


def emoji_for(bot: Bot, action: str) -> str | None:
    """The first emoji name configured in ``[reactions]`` for a reaction action (what Bot.react takes)."""
    return next((emoji for emoji, name in bot.settings.municipality.reactions if name == action), None)


def text_activity(text: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=teams_spelling(text), text_format="plain")


def form_values(name: str, data: Mapping[str, Any]) -> dict[str, str]:
    """A submitted form's inputs as Bot.action keyword arguments (the same function as Slack's)."""
    get = lambda key: str(data.get(key) or "").strip()  # noqa: E731
    if name == "reassign":
        return {"to": get(cards.COLLEAGUE).lower(), "reason": get(cards.REASON)}
    if name == "remove":
        return {"reason": get(cards.GROUND), "note": get(cards.NOTE)}
    if name == "answered":
        return {"answer": get(cards.ANSWER)}
    if name == "reply":  # issue 11
        return {"answer": get(cards.ANSWER), "template": get(cards.TEMPLATE), "confirm": get(cards.CONFIRM)}
    return {"reason": get(cards.REASON)}


@dataclass
class Outcome:
    """What a button press leads to, whichever way (invoke or submit) it arrived."""

    text: str = ""
    public: bool = False
    form: dict | None = None  # a follow-up card with inputs to post in the conversation
    card: dict | None = None  # a card that replaces the one that was clicked (a submitted form)
    done: bool = False  # the form's work is done: everyone sees the answer instead of the form


# --------------------------------------------------------------------------- handlers


class Handlers:
    """The activity handlers; `register` adds them to an AgentApplication explicitly."""

    def __init__(self, bot: Bot, chat: TeamsChat):
        self.bot = bot
        self.chat = chat
        self.directory = chat.directory
        self.memory = bot.memory(PLATFORM)

    def t(self, key: str, /, **values: object) -> str:
        return self.bot.t(key, **values)

    def register(self, app: AgentApplication) -> None:
        app.adaptive_card.action_execute(re.compile(r".+"))(self.on_execute)
        app.adaptive_card.action_submit(re.compile(r".+"), submit_filter=cards.KEY)(self.on_submit)
        app.message_reaction("reactionsAdded")(self.on_reaction)
        app.activity([ActivityTypes.conversation_update, ActivityTypes.installation_update])(self.on_update)
        app.message(None)(self.on_message)
        app.error(self.on_error)

    # ------------------------------------------------------------------ people
    async def actor(self, context: TurnContext) -> str | None:
        """The configured person behind the activity's sender, or None."""
        sender = context.activity.from_property or ChannelAccount()
        email = await asyncio.to_thread(self.directory.email_for, sender.aad_object_id)
        if email or not sender.id:
            return email
        member = await self._member(context, sender.id)
        if member is None:
            return None
        address = str(getattr(member, "email", None) or getattr(member, "user_principal_name", None) or "").lower()
        if not address or self.bot.settings.person(address) is None:
            log.info("Teams: %s (%s) is not a configured person", sender.name, address or sender.id)
            return None
        aad = getattr(member, "aad_object_id", None) or sender.aad_object_id
        if aad:
            await asyncio.to_thread(self.directory.remember_user, address, aad)
        return address

    async def _member(self, context: TurnContext, user_id: str) -> Any:
        """Teams' member record (e-mail, UPN, object id) of a user in this team or conversation."""
        connector = context.turn_state.get("ConnectorClient")
        where = (channel_data(context.activity).get("team") or {}).get("id") or \
            base_conversation(context.activity.conversation.id if context.activity.conversation else "")
        if connector is None or not where or not hasattr(connector, "get_conversation_member"):
            return None
        try:
            return await connector.get_conversation_member(where, user_id)
        except Exception as exc:  # an unknown member or an unavailable service: the person is not recognised
            log.warning("Teams: could not look up member %s in %s: %s", user_id, where, exc)
            return None

    # ------------------------------------------------------------------ references
    async def remember(self, context: TurnContext, actor: str | None, *, strict: bool = False) -> str | None:
        """Store the conversation's reference; returns the channel's name (None outside channels). With
        `strict`, a name that cannot be read because the connector failed raises ChannelUnreadable instead of
        passing for "no account's channel" (a citizen's post must then be parked, not dropped: issue 16)."""
        activity = context.activity
        reference = activity.get_conversation_reference()
        conversation = activity.conversation or ConversationAccount()
        kind = conversation.conversation_type or ""
        if kind == "personal":
            if actor:
                await asyncio.to_thread(self.directory.save, f"person:{actor}", reference)
            return None
        if not is_channel(reference):
            return None
        if actor:
            await asyncio.to_thread(self.directory.save, f"member:{actor}", reference)
        channel_id = channel_id_of(activity)
        name = await asyncio.to_thread(self.directory.channel_name, channel_id)
        if name is None:
            failures: list[Exception] = []
            await self.learn_channels(context, reference, failures)
            name = await asyncio.to_thread(self.directory.channel_name, channel_id)
            if name is None and failures and strict:
                raise ChannelUnreadable(f"channel {channel_id}: {failures[0]}")
        return await asyncio.to_thread(core_channel, self.bot, name)

    async def learn_channels(self, context: TurnContext, reference: ConversationReference,
                             failures: list[Exception] | None = None) -> int:
        """Store a reference for every channel of the activity's team (the General channel under the team's name).
        When the connector cannot list them, the error is appended to `failures` (a name may be missing then)."""
        team = channel_data(context.activity).get("team") or {}
        team_id, team_name = team.get("id"), team.get("name")
        found: list[tuple[str, str]] = []
        if team_name and team_id:
            found.append((team_name, team_id))
        connector = context.turn_state.get("ConnectorClient")
        if team_id and connector is not None and hasattr(connector, "fetch_channel_list"):
            try:
                for channel in await connector.fetch_channel_list(team_id):
                    if channel.id and channel.id != team_id and channel.name:
                        found.append((channel.name, channel.id))
            except Exception as exc:
                if failures is not None:
                    failures.append(exc)
                log.warning("Teams: could not list the channels of team %s: %s", team_name or team_id, exc)
        channel = channel_data(context.activity).get("channel") or {}
        if channel.get("id") and channel.get("name"):
            found.append((channel["name"], channel["id"]))
        for name, channel_id in found:
            copy = reference.model_copy(deep=True)
            copy.conversation.id = channel_id
            copy.conversation.conversation_type = "channel"
            copy.user = None
            key = await asyncio.to_thread(self.directory.save_channel, name, copy)
            log.info("Teams: channel %s stored as %s", name, key)
        return len(found)

    async def learn_members(self, context: TurnContext, reference: ConversationReference) -> int:
        """Note every configured person among the team's members (Entra id, and where to open a chat with
        them), so that reminders reach people who have never written to the bot."""
        team_id = (channel_data(context.activity).get("team") or {}).get("id")
        connector = context.turn_state.get("ConnectorClient")
        if not team_id or connector is None or not hasattr(connector, "get_conversation_paged_member"):
            return 0
        known = 0
        token = ""
        for _page in range(MEMBER_PAGES):
            try:
                page = await connector.get_conversation_paged_member(team_id, MEMBER_PAGE_SIZE, token)
            except Exception as exc:
                log.warning("Teams: could not list the members of team %s: %s", team_id, exc)
                break
            for member in page.members or []:
                email = str(member.email or member.user_principal_name or "").lower()
                if not email or self.bot.settings.person(email) is None:
                    continue
                copy = reference.model_copy(deep=True)
                copy.conversation.id = team_id
                copy.user = ChannelAccount(id=member.id, name=member.name, aad_object_id=member.aad_object_id)
                await asyncio.to_thread(self.directory.save, f"member:{email}", copy)
                if member.aad_object_id:
                    await asyncio.to_thread(self.directory.remember_user, email, member.aad_object_id)
                known += 1
            token = page.continuation_token or ""
            if not token:
                break
        return known

    # ------------------------------------------------------------------ event claims (Teams may redeliver)
    @staticmethod
    def event_id(context: TurnContext) -> str:
        activity = context.activity
        if not activity.id:
            return ""
        return f"teams:{base_conversation(activity.conversation.id)}:{activity.type}:{activity.id}"

    async def once(self, context: TurnContext, work: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
        """Run `work` once per activity: the facade's one event-claim rule (`Bot.claim_event`), the same
        as Slack's: the id is remembered after the work has committed, never before it.
        Returns (False, None) for a redelivery of handled work, else (True, what `work` returned)."""
        event_id = self.event_id(context)
        if event_id and not await asyncio.to_thread(self.bot.claim_event, event_id):
            log.info("Teams: activity %s already handled; ignoring the redelivery", context.activity.id)
            return False, None
        try:
            result = await work()
        except BaseException:
            if event_id:
                await asyncio.to_thread(self.bot.event_failed, event_id)
            raise
        if event_id:
            await asyncio.to_thread(self.bot.event_handled, event_id)
        return True, result

    # ------------------------------------------------------------------ messages
    async def on_message(self, context: TurnContext, state: TurnState) -> None:
        activity = context.activity
        text = command_text(activity.text)
        conversation = activity.conversation or ConversationAccount()
        if conversation.conversation_type == "channel" and await asyncio.to_thread(self.memory.has_parked_posts):
            await self.retry_parked(context)  # the connector may answer again: take the parked posts in first
        if conversation.conversation_type == "channel" and not mentions_bot(activity):
            # A citizen post: intake is idempotent on (source, external id), so a redelivery after a crash
            # is stored once and never dropped by an earlier claim.
            try:
                channel = await self.remember(context, None, strict=True)
            except ChannelUnreadable as exc:
                await self.park(context, text, exc)
                return
            await self.take_in(context, channel, text)
            return
        handled, reply = await self.once(context, lambda: self.run_command(context, text))  # at most once
        if isinstance(reply, dict):  # a card: the dashboard
            await context.send_activity(card_activity(reply, summary=self.t("teams.home.title")))
        elif handled:
            await context.send_activity(text_activity(reply.text))

    async def run_command(self, context: TurnContext, text: str) -> Reply | dict:
        actor = await self.actor(context)
        channel = await self.remember(context, actor)
        if actor is None:
            return Reply(self.t("teams.unknown_user"), ok=False)
        if fold(" ".join(text.lstrip("/").split())) in HOME_WORDS:
            return await asyncio.to_thread(self.home, actor)
        return await self.command(actor, text, channel)

    def home(self, actor: str) -> dict:
        """The person's dashboard card (worker thread: reads the store)."""
        board = self.bot.dashboard(actor, max_accounts=HOME_MAX_ACCOUNTS)
        card = cards.dashboard_card(self.bot, board)
        cards.validate_card(card)
        return card

    async def command(self, actor: str, text: str, channel: str | None) -> Reply:
        words = text.lstrip("/").split()
        if not words or (len(words) == 1 and fold(words[0]) in HELP_WORDS):
            return Reply(self.t("teams.help"))
        if not self.bot.knows_command(words[0]):
            return Reply(self.t("teams.unknown_command", word=words[0]), ok=False)
        return await asyncio.to_thread(self.bot.command, actor, "/" + " ".join(words), channel)

    @staticmethod
    def top_level(activity: Activity) -> bool:
        """A post that starts a thread (not a reply in one)."""
        conversation_id = activity.conversation.id if activity.conversation else ""
        thread = conversation_id[len(base_conversation(conversation_id)):].removeprefix(";messageid=")
        return not thread or thread == activity.id

    async def park(self, context: TurnContext, text: str, exc: Exception) -> None:
        """Keep a citizen's post whose channel's name cannot be read now (acknowledged, so never dropped: issue 16),
        until an activity from its team lets the channels be listed again (`retry_parked`)."""
        activity = context.activity
        if not text or not self.top_level(activity):
            return
        conversation_id = activity.conversation.id if activity.conversation else ""
        author = (activity.from_property.name if activity.from_property else "") or ""
        await asyncio.to_thread(self.memory.park_post, base_conversation(conversation_id), str(activity.id), text,
                                author, str(exc))
        log.warning("Teams: the name of channel %s cannot be read now (%s); the post %s is parked and taken in "
                    "when it can", base_conversation(conversation_id), exc, activity.id)

    async def retry_parked(self, context: TurnContext) -> int:
        """Take in the parked posts whose channel's name can now be read (listing the channels of this activity's
        team once); a post in a channel that is not an account's is let go. Returns how many were taken in."""
        posts = await asyncio.to_thread(self.memory.parked_posts)
        unknown = [p for p in posts if await asyncio.to_thread(self.directory.channel_name, p["channel_id"]) is None]
        if unknown:
            failures: list[Exception] = []
            await self.learn_channels(context, context.activity.get_conversation_reference(), failures)
            if failures:
                for post in unknown:
                    await asyncio.to_thread(self.memory.parked_failed, post["channel_id"], post["ts"], str(failures[0]))
                return 0  # the connector still cannot answer: try again at the next activity
        taken = 0
        for post in posts:
            name = await asyncio.to_thread(self.directory.channel_name, post["channel_id"])
            if name is None:
                continue  # not a channel of this activity's team: kept for an activity from its own team
            account = await asyncio.to_thread(account_of, self.bot, await asyncio.to_thread(core_channel, self.bot, name))
            if account is not None:
                await asyncio.to_thread(self.bot.intake, account, post["text"], author=post["author"], source=PLATFORM,
                                        external_id=f"{post['channel_id']}:{post['ts']}")
                taken += 1
                log.info("Teams: the parked post %s in %s is taken in", post["ts"], name)
            await asyncio.to_thread(self.memory.unpark, post["channel_id"], post["ts"])
        return taken

    async def take_in(self, context: TurnContext, channel: str | None, text: str) -> None:
        """A top-level post in an account's channel (not to the bot) becomes an item, like in Slack."""
        activity = context.activity
        account = await asyncio.to_thread(account_of, self.bot, channel)
        conversation_id = activity.conversation.id if activity.conversation else ""
        if account is None or not text or not self.top_level(activity):
            return
        author = (activity.from_property.name if activity.from_property else "") or ""
        await asyncio.to_thread(self.bot.intake, account, text, author=author, source=PLATFORM,
                                external_id=f"{base_conversation(conversation_id)}:{activity.id}")

    # ------------------------------------------------------------------ buttons
    async def on_execute(self, context: TurnContext, state: TurnState, data: dict) -> AdaptiveCardInvokeResponse:
        """Action.Execute (invoke adaptiveCard/action): the answer is the invoke response."""
        outcome = await self.press(context, data)
        if outcome.form is not None:
            await self.post_here(context, card_activity(outcome.form, summary=cards.summary(outcome.text)))
        if outcome.card is not None:
            clicked = context.activity.reply_to_id
            if clicked and outcome.done:  # everyone else sees the form answered too
                await self.update_here(context, clicked, card_activity(outcome.card))
            return factory.adaptive_card(outcome.card)  # type: ignore[arg-type]
        if outcome.public and outcome.text:
            await self.post_here(context, text_activity(outcome.text))
        return factory.message(teams_spelling(outcome.text) or self.t("teams.done"))

    async def on_submit(self, context: TurnContext, state: TurnState, data: Any) -> None:
        """Action.Submit (a message with `value`): answers are messages in the conversation."""
        outcome = await self.press(context, data if isinstance(data, dict) else {})
        if outcome.form is not None:
            await self.post_here(context, card_activity(outcome.form, summary=cards.summary(outcome.text)))
        elif outcome.card is not None:
            await context.send_activity(card_activity(outcome.card))
        elif outcome.text:
            await context.send_activity(text_activity(outcome.text))

    async def press(self, context: TurnContext, data: dict) -> Outcome:
        name, value = str(data.get(cards.KEY) or ""), str(data.get("value") or "")
        actor = await self.actor(context)
        if actor is None:
            return Outcome(self.t("teams.unknown_user"))
        await self.remember(context, actor)
        if name == cards.CANCEL:
            return Outcome(card=cards.text_card(self.t("teams.form.cancelled")), done=True)
        submitted = bool(data.get(cards.FORM))
        if name in cards.FORM_ACTIONS and not submitted:
            return await self.open_form(actor, name, value)
        kwargs = form_values(name, data) if submitted else {}
        if name == "remove" and submitted and not kwargs["reason"]:  # no ground: the core would only ask again
            form = await asyncio.to_thread(self.form, name, value, data, self.t("teams.form.required"))
            return Outcome(self.t("teams.form.required"), card=form)
        reply = await asyncio.to_thread(self.bot.action, actor, name, value, **kwargs)
        if name == "reply" and submitted and reply.ok and not kwargs.get("confirm"):  # the preview, then publish
            form = await asyncio.to_thread(self.form, name, value, data, "", teams_spelling(reply.text))
            return Outcome(reply.text, card=form)
        if submitted:
            if reply.ok:
                return Outcome(reply.text, card=cards.text_card(teams_spelling(reply.text)), done=True)
            form = await asyncio.to_thread(self.form, name, value, data, reply.text)
            return Outcome(reply.text, card=form)
        return Outcome(reply.text, public=reply.public and reply.ok)

    async def open_form(self, actor: str, name: str, value: str) -> Outcome:
        refusal = await asyncio.to_thread(self.bot.refusal_before_form, actor, name, value)
        if refusal is not None:  # issue 16: no form for someone who will be refused
            return Outcome(refusal.text)
        if name == "remove":  # ask the core first: not allowed or already removed -> no form
            reply = await asyncio.to_thread(self.bot.action, actor, "remove", value)
            if not reply.ok:
                return Outcome(reply.text)
        if name == "reply":  # issue 11: not allowed, answered already, window closed -> no form
            reply = await asyncio.to_thread(self.bot.action, actor, "reply", value)
            if not reply.ok and {p.key for p in reply.data.get("problems", ())} != {"graph.empty_reply"}:
                return Outcome(reply.text)
        form = await asyncio.to_thread(self.form, name, value, {}, "")
        return Outcome(self.t("teams.form.posted"), form=form)

    def form(self, name: str, value: str, values: Mapping[str, Any], error: str, preview: str = "") -> dict:
        """The follow-up card for `name` (runs in a worker thread: it reads the store)."""
        form = self.bot.form(name, value)
        choices = [(title, title) for title, _ in form.templates] if name == "reply" else form.choices
        return cards.form_card(self.bot, name, value, choices=choices, people=form.people,
                               values=values, suggested=form.suggested, error=teams_spelling(error),
                               intro=form.intro, preview=preview)

    # ------------------------------------------------------------------ reactions
    async def on_reaction(self, context: TurnContext, state: TurnState) -> None:
        await self.once(context, lambda: self.react(context))

    async def react(self, context: TurnContext) -> None:
        activity = context.activity
        conversation_id = activity.conversation.id if activity.conversation else ""
        target = activity.reply_to_id or ""
        card = await asyncio.to_thread(self.directory.card_at, conversation_id, target) if target else None
        kind, _, number = (card or "").partition(":")
        if kind != "item" or not is_number(number):
            return
        for reaction in activity.reactions_added or []:
            action = reaction_action(str(reaction.type or ""))
            emoji = emoji_for(self.bot, action) if action else None
            if emoji is None:
                continue
            actor = await self.actor(context)
            if actor is None:
                await self.post_here(context, text_activity(self.t("teams.unknown_user")))
                return
            reply = await asyncio.to_thread(self.bot.react, actor, int(number), emoji)
            if reply is None:
                continue
            if reply.ok and reply.data.get("choices"):
                form = await asyncio.to_thread(self.form, "remove", number, {}, "")
                await self.post_here(context, card_activity(form, summary=cards.summary(reply.text)))
            else:
                await self.post_here(context, text_activity(reply.text))

    # ------------------------------------------------------------------ the app added, channels changed
    async def on_update(self, context: TurnContext, state: TurnState) -> None:
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = any(m.id == bot_id for m in activity.members_added or [])
        removed = any(m.id == bot_id for m in activity.members_removed or [])
        event = str(channel_data(activity).get("eventType") or "")
        reference = activity.get_conversation_reference()
        kind = (activity.conversation.conversation_type if activity.conversation else None) or ""
        if activity.type == ActivityTypes.installation_update:
            added = str(activity.action or "").startswith("add")
        if removed:
            log.info("Teams: Uppsikt was removed from %s", (channel_data(activity).get("team") or {}).get("name"))
            return
        if kind == "personal":
            if added:
                actor = await self.actor(context)
                await self.remember(context, actor)
                await context.send_activity(text_activity(
                    self.t("teams.welcome", name=self.bot.person(actor).first_name) if actor
                    else self.t("teams.unknown_user")))
            return
        if added or event in ("channelCreated", "channelRenamed", "channelRestored", "teamRenamed"):
            count = await self.learn_channels(context, reference)
            log.info("Teams: %s channel reference(s) stored after %s", count, event or activity.type)
        if added:
            count = await self.learn_members(context, reference)
            log.info("Teams: %s configured people found among the team's members", count)
        elif event == "channelDeleted":
            channel = channel_data(activity).get("channel") or {}
            if channel.get("name"):
                await asyncio.to_thread(self.directory.forget, f"channel:{normalize_channel(channel['name'])}")

    # ------------------------------------------------------------------ posting into the current conversation
    async def post_here(self, context: TurnContext, activity: Activity) -> str:
        """Post a new message into the activity's conversation (a channel thread stays the thread)."""
        reference = context.activity.get_conversation_reference()
        reference.activity_id = None
        return await self.chat._post(reference, activity, None)

    async def update_here(self, context: TurnContext, activity_id: str, activity: Activity) -> None:
        reference = context.activity.get_conversation_reference()
        reference.activity_id = None
        try:
            await self.chat._put(reference, activity_id, activity)
        except Exception as exc:  # the answer is in the invoke response anyway
            log.warning("Teams: could not update the form %s: %s", activity_id, exc)

    # ------------------------------------------------------------------ errors
    async def on_error(self, context: TurnContext, error: Exception) -> None:
        log.error("Teams: a %s activity failed: %s", context.activity.type, error, exc_info=error)
        if context.activity.type == ActivityTypes.message:
            try:
                await context.send_activity(text_activity(self.t("teams.error")))
            except Exception as exc:  # the error report itself failed: log it, never loop
                log.warning("Teams: could not tell the user about the error: %s", exc)


# --------------------------------------------------------------------------- the app


async def _log_turn_error(context: TurnContext, error: Exception) -> None:
    """The adapter's last resort: log (the SDK's default would post the exception text into the chat)."""
    log.error("Teams: turn failed outside the app: %s", error, exc_info=error)


def build_agent(bot: Bot, chat: TeamsChat, auth: TeamsAuth) -> tuple[AgentApplication, CloudAdapter]:
    storage = MemoryStorage()
    adapter = CloudAdapter(connection_manager=auth.connection_manager)
    adapter.on_turn_error = _log_turn_error
    agent: AgentApplication[TurnState] = AgentApplication[TurnState](
        storage=storage, connection_manager=auth.connection_manager, bot_app_id=auth.app_id,
        start_typing_timer=False, remove_recipient_mention=True)
    Handlers(bot, chat).register(agent)
    return agent, adapter


def _token_shaped(header: str | None) -> bool:
    """A missing header is the SDK's to refuse; a bearer token must be a JWT whose header names its key (kid)."""
    if header is None:
        return True
    parts = header.split(maxsplit=1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return True  # the SDK answers 401 itself
    try:
        head = jwt.get_unverified_header(parts[1].strip())
    except jwt.PyJWTError:
        return False
    return isinstance(head.get("kid"), str) and bool(head["kid"])


def mount(server: web.Application, bot: Bot, *, auth: TeamsAuth, chat: TeamsChat | None = None) -> TeamsChat:
    """Serve ``POST /api/messages`` on the one aiohttp application (bot/server.py). The bot's chat port
    becomes a TeamsChat, attached to the SDK's adapter and the running loop at start-up."""
    if chat is None:
        chat = bot.chat if isinstance(bot.chat, TeamsChat) else TeamsChat(bot, app_id=auth.app_id)
    bot.chat = chat
    agent, adapter = build_agent(bot, chat, auth)

    @jwt_authorization_decorator
    async def authorized(request: web.Request) -> web.StreamResponse:
        return await start_agent_process(request, agent, adapter)

    async def messages(request: web.Request) -> web.StreamResponse:
        if not auth.anonymous and not _token_shaped(request.headers.get("Authorization")):
            # issue 16: a token without a key id (or not a JWT at all) made the SDK raise (500, a traceback)
            log.warning("Teams: a request whose bearer token is not a signed JWT with a key id; answered 401")
            return web.json_response({"error": "Invalid token or authentication failed."}, status=401)
        return await authorized(request)

    async def attach(app: web.Application) -> None:
        chat.attach(adapter, asyncio.get_running_loop(), auth.app_id, anonymous=auth.anonymous)

    with warnings.catch_warnings():  # the SDK's JWT middleware reads this plain string key
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        server["agent_configuration"] = auth.auth_config
    server[AGENT_KEY] = agent
    server[ADAPTER_KEY] = adapter
    server[CHAT_KEY] = chat
    server.router.add_post(MESSAGES_PATH, messages)
    server.on_startup.append(attach)
    # The SDK's JWT middleware stores the claims under a plain string key; aiohttp warns about it on every request.
    warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module=r"microsoft_agents\.")
    if auth.anonymous:
        log.warning("Teams: anonymous mode: requests are NOT authenticated (local development only)")
    return chat


__all__ = [
    "ADAPTER_KEY", "AGENT_KEY", "CHAT_KEY", "MESSAGES_PATH", "TEAMS_REACTIONS", "TeamsAuth",
    "TeamsConfigError", "anonymous_auth",
    "auth_from_env", "command_text", "mount", "reaction_action",
]
