"""The Teams chat port: delivers the outbox's Messages proactively through stored conversation references.

Teams lets a bot post only into conversations it has a *conversation
reference* for (service URL, tenant, conversation id, the bot's own id). The
app (``app.py``) stores them in the ``conversation_refs`` table (migration
m004) when it learns them:

* ``channel:<name>`` – a team channel, keyed by its display name normalised
  like an account's ``channel`` (``"Konto Facebook"`` -> ``konto-facebook``).
  Captured when the app is added to a team (every channel of the team is
  listed) and whenever a message arrives from a channel. A team's *General*
  channel has no name of its own and is stored under the team's name.
* ``person:<e-mail>`` – a person's one-to-one chat with the bot, captured when
  the person first writes to the bot (or installs it for themselves).
* ``member:<e-mail>`` – where a person was last seen in a team; used to open a
  one-to-one chat (``create_conversation``) with someone who has not written
  to the bot yet.

`TeamsChat.send(message)` resolves ``#channel-name`` / e-mail to a reference,
renders the message (`cards.render`, or plain text), and posts it with
``adapter.continue_conversation``; a message with a ``card`` key that was
posted before is updated in place (``update_activity``, HTTP PUT), and a
message with a ``thread`` key goes into that card's thread in a channel. Card
keys are kept in ``chat_messages`` (platform ``teams``, channel = the
conversation id without thread suffix, ts = the activity id).

The port is synchronous (the outbox calls it under the bot's lock, from a
worker or scheduler thread); each call runs one coroutine on the aiohttp
event loop (`attach`) and waits for it. It must never be called on the event
loop's own thread: the app calls every `Bot` method through
``asyncio.to_thread``.

Failures become `ChatError`s for the outbox: HTTP 429 -> ``retry_after`` from
the connector's Retry-After header; 5xx, timeouts and connection errors ->
transient (retried with back-off); 401/403/404 and other refusals ->
``permanent=True`` with a log line telling the communicator what to do
(add the app to the channel, ask the person to say hi to the bot, check the
credentials). A missing reference is permanent too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import math
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from microsoft_agents.hosting.core import ClaimsIdentity

from bot.adapters.teams import PLATFORM, cards
from bot.adapters.teams.directory import Directory, base_conversation, is_channel, load_reference, normalize_channel
from bot.facade import ChatError
from bot.messages import Message

if TYPE_CHECKING:
    from microsoft_agents.hosting.core import ChannelServiceAdapter, TurnContext

    from bot.facade import Bot

log = logging.getLogger("uppsikt.teams")

TIMEOUT_SECONDS = 30.0
NOT_STARTED_RETRY = 5
COMMAND_SPELLING_RE = re.compile(
    r"(?<![\w/.:])/(uppsikt|kris|frånvaro|franvaro|konto|fråga|fraga|rapport|ärende|arende|ta-bort|tabort|diarium|"
    r"snapshot|sök|sok|klarspråk|klarsprak|arkiv)(?![\w-])")

HINTS = {
    "no_channel": "Uppsikt has no conversation reference for the Teams channel {target}. Add the Uppsikt app to the "
                  "team that has a channel named like that (Manage team > Apps), or @mention Uppsikt once in the "
                  "channel.",
    "no_person": "Uppsikt cannot write to {target} in Teams yet. Ask the person to say hi to Uppsikt in a chat "
                 "(search for the app under Apps), or add chat_id (their Entra object id) in the config.",
    "unauthorized": "Teams refused Uppsikt's credentials for {target} (HTTP {status}). Check MicrosoftAppId, "
                    "MicrosoftAppPassword and MicrosoftAppTenantId, and that the app is installed for the team "
                    "or person.",
    "not_found": "The Teams conversation for {target} is gone (HTTP 404): the app was removed from the channel or "
                 "the chat was deleted. Add the Uppsikt app again.",
    "refused": "Teams refused the message to {target} (HTTP {status}): {detail}",
}


def hint(code: str, target: str, **values: object) -> str:
    return HINTS[code].format(target=target, **values)


# --------------------------------------------------------------------------- names


def teams_spelling(text: str) -> str:
    """Command names as they are typed in Teams (without the slash): "/frånvaro hjälp" -> "frånvaro hjälp"."""
    return COMMAND_SPELLING_RE.sub(lambda m: m.group(1), text)


def continuation(reference: ConversationReference, conversation_id: str | None = None) -> Activity:
    """The continueConversation event a proactive turn starts from. It has no id, so what is sent
    from it is a new message (POST …/activities), not a reply to some activity."""
    conversation = reference.conversation.model_copy()
    if conversation_id:
        conversation.id = conversation_id
    fields = {"channel_id": reference.channel_id, "service_url": reference.service_url, "recipient": reference.agent,
              "from_property": reference.user, "locale": reference.locale}
    return Activity(type=ActivityTypes.event, name="continueConversation", conversation=conversation,
                    **{k: v for k, v in fields.items() if v is not None})


# --------------------------------------------------------------------------- the port


class TeamsCallError(ChatError):
    """A failed call to the Teams connector; `status` is the HTTP status (0 when there was none)."""

    def __init__(self, message: str, *, status: int = 0, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message, retry_after=retry_after, permanent=permanent)
        self.status = status


class TeamsChat:
    """ChatPort for Teams; see the module docstring."""

    digests = True  # the outbox sends a person's reminders as one `digest` message
    bundles = True  # while a conversation is backed up by its rate limit, new items may come as one `bundle` (its text)

    def __init__(self, bot: Bot, *, app_id: str = "", timeout: float = TIMEOUT_SECONDS):
        self.bot = bot
        self.directory = Directory(bot)
        self.app_id = app_id
        self.timeout = timeout
        self.adapter: ChannelServiceAdapter | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.anonymous = False
        self._lock = threading.RLock()

    def attach(self, adapter: ChannelServiceAdapter, loop: asyncio.AbstractEventLoop, app_id: str | None = None,
               *, anonymous: bool = False) -> None:
        """Give the port the SDK adapter and the event loop it runs on (done by the app at start-up).

        `anonymous` (local development, tests) runs proactive turns without any token.
        """
        self.adapter = adapter
        self.loop = loop
        self.anonymous = anonymous
        if app_id is not None:
            self.app_id = app_id

    # ------------------------------------------------------------------ ChatPort
    def send(self, message: Message) -> None:
        with self._lock:
            try:
                self._send(message)
            except TeamsCallError as exc:
                if exc.permanent:
                    log.error("Teams: giving up on a %s message to %s: %s", message.kind, message.to, exc)
                raise

    def _send(self, message: Message) -> None:
        key, reference = self._target(message.to)
        activity = self.activity_for(message)
        base = base_conversation(reference.conversation.id)
        if message.card:
            ref = self.directory.card_ref(message.card)
            if ref and ref[0] == base:
                if self._update(reference, ref[1], activity, message):
                    return
        conversation_id = None
        if message.thread and is_channel(reference):
            ref = self.directory.card_ref(message.thread)
            if ref and ref[0] == base:
                conversation_id = f"{base};messageid={ref[1]}"
        activity_id = self._call(self._post(reference, activity, conversation_id), key, message.to)
        if message.card and activity_id:
            self.directory.remember_card(message.card, base, activity_id)

    def _update(self, reference: ConversationReference, activity_id: str, activity: Activity, message: Message) -> bool:
        """Update the card in place; False when it is gone (then it is posted anew)."""
        base = base_conversation(reference.conversation.id)
        thread = f"{base};messageid={activity_id}" if is_channel(reference) else None
        try:
            self._call(self._put(reference, activity_id, activity, thread), "", message.to)
        except TeamsCallError as exc:
            if exc.status != 404:
                raise
            log.info("Teams: card %s is gone from %s; posting it again", message.card, message.to)
            self.directory.forget_card(message.card or "")
            return False
        return True

    # ------------------------------------------------------------------ rendering
    def activity_for(self, message: Message) -> Activity:
        text = teams_spelling(message.text)
        if not cards.needs_card(message):
            return Activity(type=ActivityTypes.message, text=text, text_format="plain")
        mentions = [(self._name(email), self.directory.teams_id(email)) for email in message.mentions]
        content = cards.render(dataclasses.replace(message, text=text), mentions=mentions)
        return card_activity(content, summary=cards.summary(text))

    def _name(self, email: str) -> str:
        person = self.bot.settings.person(email)
        return person.name if person else email

    # ------------------------------------------------------------------ targets
    def _target(self, to: str) -> tuple[str, ConversationReference]:
        if to.startswith("#") or "@" not in to:
            key = f"channel:{normalize_channel(to)}"
            reference = self.directory.reference(key)
            if reference is None:
                raise TeamsCallError(hint("no_channel", to), permanent=True)
            return key, reference
        email = to.lower()
        key = f"person:{email}"
        reference = self.directory.reference(key)
        if reference is None:
            reference = self._open_chat(email)
        return key, reference

    def _open_chat(self, email: str) -> ConversationReference:
        """Open a one-to-one chat with someone who has not written to the bot (Teams allows it when the app
        is installed in a team the person is a member of)."""
        seen = self.directory.reference(f"member:{email}")
        user: ChannelAccount | None = seen.user if seen else None
        base = seen or self.directory.any_reference()
        if user is None:
            person = self.bot.settings.person(email)
            if person is not None and person.chat_id:
                user = ChannelAccount(id=person.chat_id, aad_object_id=person.chat_id)
        if base is None or user is None or not user.id:
            raise TeamsCallError(hint("no_person", email), permanent=True)
        tenant = base.conversation.tenant_id
        params = ConversationParameters(is_group=False, agent=base.agent, members=[user], tenant_id=tenant,
                                        channel_data={"tenant": {"id": tenant}} if tenant else None)
        conversation_id = self._call(self._create(base, params), f"person:{email}", email)
        reference = ConversationReference(
            channel_id=base.channel_id, service_url=base.service_url, agent=base.agent, user=user,
            conversation=ConversationAccount(id=conversation_id, conversation_type="personal", tenant_id=tenant))
        self.directory.save(f"person:{email}", reference)
        log.info("Teams: opened a chat with %s", email)
        return reference

    # ------------------------------------------------------------------ coroutines (run on the event loop)
    async def _proactive(self, reference: ConversationReference, conversation_id: str | None,
                         work: Callable[[TurnContext], Awaitable[Any]]) -> Any:
        """Run `work` in a proactive turn; errors inside the turn are re-raised here, not given to the
        adapter's on_turn_error (which would try to tell the conversation about them)."""
        assert self.adapter is not None
        outcome: dict[str, Any] = {}

        async def callback(context: TurnContext) -> None:
            try:
                outcome["value"] = await work(context)
            except Exception as exc:  # handed back to the caller below
                outcome["error"] = exc

        activity = continuation(reference, conversation_id)
        if self.anonymous:
            await self.adapter.continue_conversation_with_claims(ClaimsIdentity(), activity, callback)
        else:
            await self.adapter.continue_conversation(self.app_id, activity, callback)
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    async def _post(self, reference: ConversationReference, activity: Activity, conversation_id: str | None) -> str:
        async def work(context: TurnContext) -> str:
            response = await context.send_activity(activity.model_copy(deep=True))
            return response.id if response else ""

        return await self._proactive(reference, conversation_id, work)

    async def _put(self, reference: ConversationReference, activity_id: str, activity: Activity,
                   conversation_id: str | None = None) -> str:
        async def work(context: TurnContext) -> str:
            update = activity.model_copy(deep=True)
            update.id = activity_id
            await context.update_activity(update)
            return activity_id

        return await self._proactive(reference, conversation_id, work)

    async def _create(self, base: ConversationReference, params: ConversationParameters) -> str:
        """Create a conversation with the connector of a proactive turn in some known conversation
        (same service URL and tenant), so that it is authenticated exactly like every other call."""

        async def work(context: TurnContext) -> str:
            connector = context.turn_state.get("ConnectorClient")
            if connector is None:
                raise TeamsCallError("Teams: no connector client in the proactive turn", permanent=True)
            created = await connector.conversations.create_conversation(params)
            if not created or not created.id:
                raise TeamsCallError("Teams: create_conversation returned no conversation id", permanent=True)
            return str(created.id)

        return await self._proactive(base, None, work)

    # ------------------------------------------------------------------ the one place that waits for Teams
    def _call(self, coro: Awaitable[Any], key: str, target: str) -> Any:
        loop = self.loop
        if self.adapter is None or loop is None or not loop.is_running():
            _close(coro)
            raise TeamsCallError("Teams: the app is not running yet", retry_after=NOT_STARTED_RETRY)
        if _on_loop(loop):
            _close(coro)
            raise TeamsCallError("Teams: send() called on the event loop's thread; call it with asyncio.to_thread",
                                 retry_after=1)
        future = asyncio.run_coroutine_threadsafe(coro, loop)  # type: ignore[arg-type]
        try:
            return future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TeamsCallError(f"Teams: no answer within {self.timeout:.0f} s for {target}") from None
        except TeamsCallError:
            raise
        except Exception as exc:
            error = map_error(exc, target)
            if error.status == 404 and key.startswith(("channel:", "person:")):
                self.directory.forget(key)
            raise error from exc


def _close(coro: Awaitable[Any]) -> None:
    close = getattr(coro, "close", None)
    if close:
        close()


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def card_activity(content: dict, *, summary: str = "") -> Activity:
    activity = Activity(type=ActivityTypes.message,
                        attachments=[Attachment(content_type=cards.CONTENT_TYPE, content=content)])
    if summary:
        activity.summary = summary
    return activity


def map_error(exc: BaseException, target: str) -> TeamsCallError:
    """Classify a failure from the SDK / connector: rate limited, transient or permanent."""
    if isinstance(exc, aiohttp.ClientResponseError):
        status = int(exc.status or 0)
        if status == 429:
            retry_after = retry_after_seconds(exc.headers)
            return TeamsCallError(f"Teams: rate limited (HTTP 429) for {target}; retry after {retry_after}s",
                                  status=status, retry_after=retry_after if retry_after is not None else 5)
        if status >= 500 or status in (408, 412):
            return TeamsCallError(f"Teams: the service is unavailable (HTTP {status}) for {target}", status=status)
        if status in (401, 403):
            return TeamsCallError(hint("unauthorized", target, status=status), status=status, permanent=True)
        if status == 404:
            return TeamsCallError(hint("not_found", target), status=status, permanent=True)
        return TeamsCallError(hint("refused", target, status=status, detail=str(exc.message)[:300]), status=status,
                              permanent=True)
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
        return TeamsCallError(f"Teams: could not reach the service for {target} ({type(exc).__name__})")
    if isinstance(exc, (ValueError, TypeError)):
        return TeamsCallError(f"Teams: the request for {target} could not be built: {exc}", permanent=True)
    log.error("Teams: unexpected error for %s", target, exc_info=exc)
    return TeamsCallError(f"Teams: unexpected error for {target} ({type(exc).__name__})")


def retry_after_seconds(headers: Mapping[str, Any] | None) -> int | None:
    """The Retry-After header in whole seconds (at least 1), or None when absent or unreadable."""
    for name, value in (headers or {}).items():
        if str(name).lower() == "retry-after":
            try:
                return max(1, math.ceil(float(value)))
            except (TypeError, ValueError):
                return None
    return None


__all__ = [
    "Directory", "PLATFORM", "TeamsCallError", "TeamsChat", "base_conversation", "card_activity", "continuation",
    "hint", "is_channel", "load_reference", "map_error", "normalize_channel", "teams_spelling",
]
