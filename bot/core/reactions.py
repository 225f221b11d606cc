"""Emoji reactions on an item's card: the configured emoji map to crisis, remove, take and answered."""

from __future__ import annotations

from bot.core import commands, items
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
    if name in ("crisis", "remove"):  # the same as the button: escalate, or ask for the removal ground
        return commands.item_action(ctx, actor, item_id, name)
    item = items.get(ctx, item_id)
    if name == "answered" and item["status"] == "noted":
        raise ctx.refusal("item.take_first", id=item_id)
    items.act(ctx, actor, item_id, name)
    return Reply(ctx.t(f"item.done.{name}", id=item_id, assignee=ctx.person(actor).name))
