"""Removal and registration (M1–M5, R2, R3).

A person decides; the bot suggests (classification tags on the card), asks for
the ground, and keeps the record: removed material is a public record (R2), so
the removal record keeps the full text, author, time, account, ground, who
decided and when. Confidential data is to be unpublished at once and is marked
for the diarium (R3). Repeat offenders (M3) are reported to the account owner
with a recommendation to block; threats and crime (M4) go to the security
coordinator; a removal starts intensified oversight of the account (O3).
"""

from __future__ import annotations

import functools

from bot.clock import from_epoch
from bot.core import archive, items, oversight, records, staff
from bot.core.context import Context, Refused
from bot.core.parsing import fold
from bot.i18n import LANGUAGES, catalogue
from bot.messages import Action, Message
from bot.settings import GROUND_IDS, Account

OFFENSIVE_PERSONAL_DATA_GROUNDS = ("personal_data", "offensive_remarks", "personal_attack")


def may_moderate(ctx: Context, account: Account, person: str) -> bool:
    """The account's staff and the communicators decide removals (A4)."""
    p = ctx.person(person)
    return person in account.staff or "communicator" in p.roles


def ground_label(ctx: Context, ground: str) -> str:
    return ctx.t(f"ground.{ground}")


def ground_name(ctx: Context, ground: str) -> str:
    """The short name people type and read (`personangrepp`, `hot`); the id is only for the config."""
    return ctx.t(f"ground_name.{ground}")


def ground_listing(ctx: Context, grounds: tuple[str, ...] | list[str]) -> str:
    """'hot (hot, uppmaning till brott …), personangrepp, …': the name, and the label where it says more."""
    parts = []
    for g in grounds:
        name, label = ground_name(ctx, g), ground_label(ctx, g)
        parts.append(name if fold(name) == fold(label) else f"{name} ({label})")
    return ", ".join(parts)


def parse_ground(ctx: Context, word: str) -> str | None:
    """A ground from what a person typed: its Swedish or English name, an alias, or the config id,
    in any case and with or without å/ä/ö (`personangrepp`, `olampligt`, `personal_attack`)."""
    return _ground_words().get(_fold_ground(word))


def _fold_ground(word: str) -> str:
    return fold(word.strip()).replace("_", "-")


@functools.cache
def _ground_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for lang in LANGUAGES:
        cat = catalogue(lang)
        for g in GROUND_IDS:
            spellings = [cat[f"ground_name.{g}"], *cat.get(f"ground_aliases.{g}", "").split(",")]
            for w in spellings:
                if w.strip():
                    words.setdefault(_fold_ground(w), g)
    for g in GROUND_IDS:
        words[_fold_ground(g)] = g
    return words


def choices(ctx: Context, account: Account) -> list[tuple[str, str]]:
    """The grounds this account's policy allows, with their Swedish labels, for a picker."""
    return [(g, ground_label(ctx, g)) for g in account.policy.moderation.grounds]


def suggested_ground(ctx: Context, item: dict) -> str | None:
    """The first ground the classifier suggests that the policy allows."""
    allowed = ctx.account(item["account_id"]).policy.moderation.grounds
    return next((t.ground for t in items.tags_of(item) if t.ground and t.ground in allowed), None)


def removal_prompt(ctx: Context, actor: str, item_id: int) -> tuple[str, list[tuple[str, str]]]:
    """Escalating for removal asks for the ground first (reaction or button)."""
    item = items.get(ctx, item_id)
    account = ctx.account(item["account_id"])
    if not may_moderate(ctx, account, actor):
        raise ctx.refusal("moderation.not_allowed", account=ctx.label(account))
    if _removal_of(ctx, item_id):
        raise ctx.refusal("moderation.already_removed", id=item_id)
    suggestion = suggested_ground(ctx, item)
    text = ctx.t("moderation.pick_ground", id=item_id, grounds=ground_listing(ctx, account.policy.moderation.grounds))
    if suggestion:
        text += " " + ctx.t("moderation.suggested", ground=ground_listing(ctx, [suggestion]))
    others = _other_actions(ctx, account, item, actor)
    if others:
        text += "\n" + ctx.t("duty_removal.other_actions", actions="; ".join(others))
    return text, choices(ctx, account)


def _other_actions(ctx: Context, account: Account, item: dict, actor: str) -> list[str]:
    """Everything else the person may do with the item instead of removing it, each as the command to type."""
    from bot.core import crisis

    item_id = item["id"]
    out: list[str] = []
    if item["status"] not in items.DONE_STATUSES:
        if item["assignee"] != actor:
            out.append(ctx.t("duty_removal.take", id=item_id))
        if items.may_handle(ctx, account, item, actor):
            out.append(ctx.t("duty_removal.no_reply", id=item_id))
    person = ctx.person(actor)
    if not item["crisis"] and (actor in account.staff
                               or any(r in person.roles for r in ("communicator", *crisis.MAY_TOGGLE))):
        out.append(ctx.t("duty_removal.crisis", id=item_id))
    return out


def _removal_of(ctx: Context, item_id: int) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM removals WHERE item_id = ?", [item_id]))
    return rows[0] if rows else None


def remove(ctx: Context, actor: str, item_id: int, ground: str, note: str = "") -> dict:
    """Register the removal of an item on the given ground. Returns the removal record."""
    item = items.get(ctx, item_id)
    account = ctx.account(item["account_id"])
    if not may_moderate(ctx, account, actor):
        raise ctx.refusal("moderation.not_allowed", account=ctx.label(account))
    allowed = account.policy.moderation.grounds
    typed, ground = ground, parse_ground(ctx, ground) or ground
    if ground not in allowed:
        raise ctx.refusal("moderation.bad_ground", ground=typed, grounds=ground_listing(ctx, allowed))
    if _removal_of(ctx, item_id):
        raise ctx.refusal("moderation.already_removed", id=item_id)
    tags = {t.id for t in items.tags_of(item)}
    confidential = ground == "personal_data" and "confidential" in tags
    now = ctx.now_ts()
    with ctx.db.atomic():
        table = ctx.db["removals"]
        table.insert({
            "item_id": item_id, "account_id": account.id, "author": item["author"], "text": item["text"],
            "permalink": item["permalink"], "posted_at": item["received_at"], "ground": ground,
            "note": note.strip(), "decided_by": actor, "decided_at": now, "confidential": int(confidential),
        })
        removal = ctx.db["removals"].get(table.last_pk)
        archive.removed(ctx, item_id, removal, secrecy=confidential)  # issue 12: ground and decision-maker
        changes = {"status": "closed", "next_nudge_at": None, "updated_at": now,
                   "closed_reason": ctx.t("moderation.closed_reason", ground=ground_label(ctx, ground))}
        if confidential:
            changes |= {"diarium": 1, "diarium_reason": "sekretess"}
        ctx.update("items", item_id, changes)
        if confidential:
            archive.registered(ctx, item_id, "sekretess", actor)
        records.auto_mark(ctx, items.get(ctx, item_id))  # R1: a removed synpunkt is registered too
        items.record_history(ctx, item_id, actor, "remove", item["status"], "closed", item["assignee"], ground)
        ctx.audit(actor, "moderation.remove", f"item:{item_id}", removal=removal["id"], ground=ground,
                  confidential=confidential)
        ctx.emit(items.card(ctx, items.get(ctx, item_id)))
        ctx.emit(Message(
            kind="removal_registered", to="#" + account.channel, account=account.id, item=item_id,
            thread=f"item:{item_id}",
            text=ctx.t("moderation.registered", id=item_id, ground=ground_label(ctx, ground),
                       person=ctx.person(actor).name, at=from_epoch(now).strftime("%Y-%m-%d %H:%M"),
                       record=removal["id"])
            + (" " + ctx.t("moderation.confidential_registered") if confidential else ""),
        ))
        _repeat_offender(ctx, account, removal)
        if ground == "threats_crime" and account.policy.moderation.notify_security_on_crime:
            _notify_security(ctx, account, item, ctx.t("moderation.security_record", record=removal["id"],
                                                       person=ctx.person(actor).name))
    oversight.intensify(ctx, account.id, actor, ctx.t("moderation.intensify_reason", id=item_id))
    return removal


def _repeat_offender(ctx: Context, account: Account, removal: dict) -> None:
    """M3: N removals for offensive personal data by one author within M days -> tell the owner to block."""
    if not removal["author"] or removal["ground"] not in OFFENSIVE_PERSONAL_DATA_GROUNDS:
        return
    pol = account.policy.moderation
    since = removal["decided_at"] - pol.repeat_offender_days * 86400
    placeholders = ",".join("?" * len(OFFENSIVE_PERSONAL_DATA_GROUNDS))
    records = list(ctx.db.query(
        f"SELECT id, item_id, ground, decided_at FROM removals WHERE author = ? AND account_id = ? "
        f"AND ground IN ({placeholders}) AND decided_at >= ? ORDER BY decided_at",
        [removal["author"], account.id, *OFFENSIVE_PERSONAL_DATA_GROUNDS, since],
    ))
    if len(records) < pol.repeat_offender_removals:
        return
    owner, _ = staff.responsible_for(ctx, account, ctx.today())
    listing = "; ".join(
        ctx.t("moderation.record_line", record=r["id"], item=r["item_id"], ground=ground_label(ctx, r["ground"]),
              day=from_epoch(r["decided_at"]).date().isoformat())
        for r in records
    )
    item = items.get(ctx, removal["item_id"])
    block = (Action("platform_block", ctx.t("action.platform_block"), str(item["id"])),) \
        if account.policy.platform.write and item["source"] == "facebook" else ()  # issue 11: block on the Page
    ctx.emit(Message(
        kind="block_recommended", to=owner, account=account.id, item=removal["item_id"],
        text=ctx.t("moderation.block", author=removal["author"], count=len(records), days=pol.repeat_offender_days,
                   account=ctx.label(account), records=listing), actions=block,
    ))
    ctx.audit("uppsikt", "moderation.block_recommended", account.id, author=removal["author"], removals=len(records))


def _notify_security(ctx: Context, account: Account, item: dict, why: str) -> None:
    """M4: the security coordinator gets the full record."""
    for person in ctx.role_holders("security_coordinator"):
        to, _ = staff.stand_in(ctx, person, ctx.today())
        ctx.emit(Message(
            kind="security_notified", to=to, account=account.id, item=item["id"],
            text=ctx.t("moderation.security", account=ctx.label(account), id=item["id"], author=item["author"] or "–",
                       at=from_epoch(item["received_at"]).strftime("%Y-%m-%d %H:%M"), text=item["text"],
                       permalink=item["permalink"] or "–", why=why),
        ))


def on_intake(ctx: Context, item: dict) -> None:
    """Act on the classifier's suggestions for a new item (call inside db.atomic())."""
    tags = {t.id: t for t in items.tags_of(item)}
    account = ctx.account(item["account_id"])
    if "personal_attack" in tags:
        ctx.update("items", item["id"], {"flag": ctx.t("moderation.flag_attack")})
    if "threat" in tags and account.policy.moderation.notify_security_on_crime:
        _notify_security(ctx, account, item, ctx.t("moderation.security_suspected", why=tags["threat"].explain(ctx.lang)))
    if "confidential" in tags:
        responsible, _ = staff.responsible_for(ctx, account, ctx.today())
        ctx.emit(Message(
            kind="confidential_alert", to="#" + account.channel, account=account.id, item=item["id"],
            thread=f"item:{item['id']}", mentions=(responsible,),
            text=ctx.t("moderation.confidential_alert", id=item["id"], why=tags["confidential"].explain(ctx.lang)),
            actions=(Action("remove", ctx.t("action.remove"), str(item["id"])),),
        ))
