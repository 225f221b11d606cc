"""The fields, choices and suggestions of the forms both chat platforms show.

One place feeds Slack's modals and Teams's input cards: the people to pick a colleague from, the
removal grounds an item's account allows with the classifier's suggestion pre-selected, and the
account form (A1, A2) with its platforms, units and people, filled in from a template account.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core import accounts, moderation, platform
from bot.core.context import Context
from bot.core.parsing import is_number
from bot.settings import PLATFORMS


@dataclass(frozen=True)
class ItemForm:
    """The inputs of the form an item button opens (reassign, no_reply, answered, remove, account_reject)."""

    name: str
    value: str
    people: list[tuple[str, str]] = field(default_factory=list)  # (e-mail, "Name (title)")
    choices: list[tuple[str, str]] = field(default_factory=list)  # removal grounds: (ground, label)
    suggested: str | None = None  # the ground the classifier suggests
    templates: list[tuple[str, str]] = field(default_factory=list)  # reply templates: (title, text) (issue 11)
    intro: str = ""  # the reply form's intro: the item's text, its author and the signature (issue 11)


@dataclass(frozen=True)
class AccountForm:
    """The account form: every A2 field, filled in from `template` (id and channel left empty)."""

    template: str | None  # the template account's name, if any
    defaults: dict[str, object]
    people: list[tuple[str, str]]
    platforms: list[tuple[str, str]]
    units: list[tuple[str, str]]


def people_choices(ctx: Context) -> list[tuple[str, str]]:
    people = sorted(ctx.settings.people.values(), key=lambda p: p.name)
    return [(p.email, f"{p.name} ({p.title})" if p.title else p.name) for p in people]


def _item(ctx: Context, value: str) -> dict | None:
    if not is_number(str(value)):
        return None
    rows = list(ctx.db.query("SELECT * FROM items WHERE id = ?", [int(value)]))
    return rows[0] if rows else None


def suggested_ground(ctx: Context, value: str) -> str | None:
    """The ground the classifier suggests for item `value` (pre-selected in the picker), or None."""
    item = _item(ctx, value)
    return moderation.suggested_ground(ctx, item) if item else None


def item_form(ctx: Context, name: str, value: str) -> ItemForm:
    choices: list[tuple[str, str]] = []
    suggested = None
    if name == "remove":
        item = _item(ctx, value)
        account = ctx.accounts.get(item["account_id"]) if item else None
        if item is not None and account is not None:
            choices = moderation.choices(ctx, account)
            suggested = moderation.suggested_ground(ctx, item)
    templates: list[tuple[str, str]] = []
    intro = ""
    if name == "reply":
        item = _item(ctx, value)
        account = ctx.accounts.get(item["account_id"]) if item else None
        if item is not None and account is not None:
            templates = platform.templates(ctx, account, item)
            intro = ctx.t("graph.form.intro", id=item["id"], author=item["author"] or "–", text=item["text"])
    return ItemForm(name, value, people_choices(ctx), choices, suggested, templates, intro)


def account_form(ctx: Context, template: str | None = None, channel: str | None = None) -> AccountForm:
    """The channel's account is the template when none is named."""
    if template is None and channel:
        acc = ctx.account_by_channel(channel)
        template = acc.id if acc else None
    acc = ctx.accounts.get(template) if template else None
    doc = {f: getattr(acc, f) for f in accounts.FIELDS if f not in ("id", "channel")} if acc else {}
    return AccountForm(
        template=acc.name if acc else None, defaults=doc, people=people_choices(ctx),
        platforms=[(p, ctx.t(f"records.platform.{p}")) for p in PLATFORMS],
        units=[(u.id, u.name) for u in ctx.settings.units.values()],
    )


__all__ = ["AccountForm", "ItemForm", "account_form", "item_form", "people_choices", "suggested_ground"]
