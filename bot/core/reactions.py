"""Emoji reactions on an item's card: the configured emoji map to crisis, remove, take and answered."""

from __future__ import annotations

from bot.core import crisis, items, moderation
from bot.core.context import Context, Refused
from bot.messages import Reply


def action_for(ctx: Context, emoji: str) -> str | None:
    return dict(ctx.settings.municipality.reactions).get(emoji.strip(":"))


def react(ctx: Context, actor: str, item_id: int, emoji: str) -> Reply | None:
    """Apply a reaction; None when the emoji means nothing to Uppsikt (it is then ignored)."""
    name = action_for(ctx, emoji)
    if name is None:
        return None
    ctx.person(actor)
    if name == "crisis":
        crisis.escalate(ctx, actor, item_id)
        return Reply(ctx.t("crisis.escalated", id=item_id))
    if name == "remove":
        text, choices = moderation.removal_prompt(ctx, actor, item_id)
        return Reply(text, data={"item": item_id, "choices": choices})
    item = items.get(ctx, item_id)
    if name == "answered" and item["status"] == "noted":
        raise Refused(ctx.t("item.take_first", id=item_id))
    items.act(ctx, actor, item_id, name)
    return Reply(ctx.t(f"item.done.{name}", id=item_id, assignee=ctx.person(actor).name))
