"""Events: messages in account channels become items, reactions act on cards, the Home tab is published.

Bolt acknowledges an event *before* running its listener. What must not be
lost therefore runs in listener middleware, which Bolt runs in the request's
own thread before the acknowledgement is returned: the message is committed
as an item (and the reaction applied) before Slack hears "200 OK". Talking
back to the person (the ephemeral answer, the ground picker) happens in the
listener, after the acknowledgement.

Slack retries an event it got no timely answer for (``X-Slack-Retry-Num``).
An ``event_id`` is remembered (``events_seen``) only after its work has been
committed, and a retry of a remembered event is answered at once. A crash
between the work and remembering it therefore costs at most one redo, never
the event: intake is idempotent on (source "slack", "<channel>:<ts>"), and a
repeated reaction is refused as already done.

Messages taken in: a person's post, an integration's post (``bot_message``)
and a post with a file, in a channel that is an account's channel. Ignored:
Uppsikt's own messages, edits, deletions, joins and other subtypes, and
thread replies (talk about an item in its thread without creating items).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.adapters.slack import home
from bot.adapters.slack.chat import PLATFORM
from bot.adapters.slack.directory import ChannelUnreadable, Directory, plain_text, tell
from bot.adapters.slack.inbox import WORK_FAILED
from bot.adapters.slack.blocks import fallback_text
from bot.adapters.slack.listeners.actions import ground_picker
from bot.facade import Bot
from bot.messages import Reply

log = logging.getLogger("uppsikt.slack")

KEPT_SUBTYPES = (None, "bot_message", "file_share")
REPLY = "uppsikt_reply"  # BoltContext key: what the middleware decided, for the listener to say


def before_ack(bot: Bot, work: Callable[[dict, BoltContext], None]) -> Callable[..., BoltResponse | None]:
    """Listener middleware: run `work` once per event_id, before Bolt acknowledges the event.

    The facade's one event-claim rule (`Bot.claim_event`): the id is remembered after the work has
    committed, so a retry after that is ignored and a crash in between repeats the (idempotent) work."""

    def middleware(body: dict, context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        event_id = body.get("event_id") or ""
        if event_id and not bot.claim_event(event_id):
            log.info("Slack: event %s already handled; ignoring the retry", event_id)
            return BoltResponse(status=200, body="")
        try:
            work(body, context)  # commits the item (or the reaction's effect) before Bolt acknowledges
        except BaseException as exc:
            if event_id:
                bot.event_failed(event_id)
            context[WORK_FAILED] = f"{type(exc).__name__}: {exc}"  # for the inbox's row (Bolt answers 500)
            raise
        if event_id:
            bot.event_handled(event_id)
        next()
        return None

    return middleware


PARKED_RETRY_SECONDS = 30.0


def retry_parked(bot: Bot, client: WebClient, directory: Directory | None = None) -> int:
    """Take in the parked posts whose channel name can now be read (issue 16); returns how many were taken in
    (a post in a channel that is not an account's is let go). A name still unreadable keeps its post parked."""
    directory = directory or Directory(bot, client)
    memory = bot.memory(PLATFORM)
    taken = 0
    for post in memory.parked_posts():
        try:
            name = directory.lookup_channel(post["channel_id"])
        except ChannelUnreadable as exc:
            memory.parked_failed(post["channel_id"], post["ts"], str(exc))
            return taken  # Slack still cannot answer: try again later, in order
        account = bot.account_by_channel(name) if name else None
        if account is not None:
            bot.intake(account.id, post["text"], author=post["author"], source="slack",
                       external_id=f"{post['channel_id']}:{post['ts']}")
            taken += 1
            log.info("Slack: the parked post %s in %s is taken in", post["ts"], name)
        memory.unpark(post["channel_id"], post["ts"])
    return taken


def keep_retrying_parked(bot: Bot, client: WebClient, every: float = PARKED_RETRY_SECONDS) -> threading.Thread:
    """A daemon thread that retries parked posts every `every` seconds while there are any."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                if bot.memory(PLATFORM).has_parked_posts():
                    retry_parked(bot, client)
            except Exception:  # noqa: BLE001 (the posts stay parked; log it and try again)
                log.exception("Slack: retrying parked posts failed; trying again in %s s", every)

    thread = threading.Thread(target=loop, name="uppsikt-slack-parked", daemon=True)
    thread.start()
    return thread


def register(app: App, bot: Bot) -> None:
    directory = Directory(bot, app.client)

    def take_in(body: dict, context: BoltContext) -> None:
        event = body.get("event") or {}
        if event.get("subtype") not in KEPT_SUBTYPES or event.get("thread_ts") not in (None, event.get("ts")):
            return
        if event.get("app_id") and event.get("app_id") == body.get("api_app_id"):
            return  # our own post (Bolt also drops messages from our bot user)
        raw = event.get("text")
        # a body that is no Slack payload ("text": true, found by tests/slack/test_props_slack.py) changes nothing
        text = plain_text(raw).strip() if isinstance(raw, str) else ""
        if not text:
            return
        memory = bot.memory(PLATFORM)
        if memory.has_parked_posts():
            retry_parked(bot, app.client, directory)  # Slack answers again: take the parked posts in first
        channel = str(event.get("channel") or "")
        try:
            name = directory.lookup_channel(channel)
        except ChannelUnreadable as exc:
            # acknowledged, so never dropped: kept until the channel's name can be read (issue 16)
            memory.park_post(channel, str(event["ts"]), text, directory.author(event), str(exc))
            log.warning("Slack: the name of channel %s cannot be read now (%s); the post %s is parked and "
                        "taken in when it can", channel, exc, event.get("ts"))
            return
        account = bot.account_by_channel(name) if name else None
        if account is None:
            return
        bot.intake(account.id, text, author=directory.author(event), source="slack",
                   external_id=f"{channel}:{event['ts']}")

    def react(body: dict, context: BoltContext) -> None:
        event = body.get("event") or {}
        target = event.get("item") or {}
        emoji = str(event.get("reaction", "")).split("::")[0]  # "raising_hand::skin-tone-3" -> "raising_hand"
        if target.get("type") != "message" or emoji not in dict(bot.settings.municipality.reactions):
            return
        item_id = directory.item_at(target.get("channel", ""), target.get("ts", ""))
        if item_id is None:
            if directory.bundle_at(target.get("channel", ""), target.get("ts", "")):  # several items: not guessed
                context[REPLY] = (Reply(bot.t("fold.bundle.reaction"), ok=False), None)
            return
        actor = directory.email(event.get("user", ""))
        if actor is None:
            context[REPLY] = (Reply(bot.t("slack.unknown_user"), ok=False), item_id)
            return
        context[REPLY] = (bot.react(actor, item_id, emoji), item_id)

    def after_reaction(event: dict, context: BoltContext, client: WebClient) -> None:
        reply, item_id = context.get(REPLY) or (None, None)
        if reply is None:
            return
        user, channel = event["user"], event["item"]["channel"]
        if reply.ok and reply.data.get("choices"):
            client.chat_postEphemeral(channel=channel, user=user, text=fallback_text(reply.text),
                                      blocks=ground_picker(bot, item_id, reply.text, reply.data["choices"]))
        else:
            tell(client, reply.text, user=user, channel=channel)

    def on_home_opened(event: dict, client: WebClient) -> None:
        user = event.get("user")
        if user and event.get("tab", "home") == "home":  # a malformed event without a user is ignored
            home.publish(client, bot, user, directory.email(user))

    def acknowledged() -> None:
        """The work was done in middleware before the acknowledgement."""

    app.event("message", middleware=[before_ack(bot, take_in)])(acknowledged)
    app.event("reaction_added", middleware=[before_ack(bot, react)])(after_reaction)
    app.event("app_home_opened")(on_home_opened)
