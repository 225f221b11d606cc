"""Crisis (K1, K2): alerts to the crisis communications group and a crisis mode.

A crisis item (detected or escalated by a person) is sent to the crisis group's
channel, mentioning the group, at once (within the same transaction as the
intake, so within one scheduler tick at the latest). Crisis mode changes the
whole bot: every account channel is told once that all communication goes
through the crisis group and that the primary crisis account carries official
information (K2); every new item is also sent to the crisis group; first-reply
deadlines and oversight use the policy's crisis values, oversight around the
clock. Turning it off posts an all-clear and a summary.
"""

from __future__ import annotations

import datetime as dt

from bot.clock import from_epoch
from bot.core import isolation, items, oversight, staff
from bot.core.context import Context, Refused
from bot.messages import Action, Message

MAY_TOGGLE = ("crisis_group", "communications_chief")


def active_period(ctx: Context) -> dict | None:
    rows = list(ctx.db.query("SELECT * FROM crisis_periods WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"))
    return rows[0] if rows else None


def _check_role(ctx: Context, actor: str) -> None:
    person = ctx.person(actor)
    if not any(r in person.roles for r in MAY_TOGGLE):
        members = ", ".join(ctx.person(e).name for e in ctx.role_holders("crisis_group"))
        raise ctx.refusal("crisis.not_allowed", members=members)


def _primary(ctx: Context) -> str:
    acc_id = ctx.settings.municipality.primary_crisis_account
    acc = ctx.accounts.get(acc_id) if acc_id else None
    return f"{acc.name} ({acc.platform}{', ' + acc.url if acc.url else ''})" if acc else ctx.settings.municipality.name


def _every(ctx: Context) -> int:
    return ctx.settings.policy.crisis.oversight_every_hours


def start(ctx: Context, actor: str, reason: str = "") -> dict:
    _check_role(ctx, actor)
    if active_period(ctx):
        raise ctx.refusal("crisis.already_on")
    now = ctx.now_ts()
    with ctx.db.atomic():
        table = ctx.db["crisis_periods"]
        table.insert({"started_at": now, "started_by": actor, "reason": reason.strip(),
                      "next_prompt_at": now + _every(ctx) * 3600})
        ctx.set_state("crisis_since", str(now))
        paused = items.pause_for_crisis(ctx)
        ctx.audit(actor, "crisis.on", "", reason=reason, paused_items=paused)
        who = ctx.person(actor).name
        for acc in ctx.accounts.values():
            ctx.emit(Message(kind="crisis_notice", to="#" + acc.channel, account=acc.id,
                             text=ctx.t("crisis.notice", primary=_primary(ctx), hours=_every(ctx),
                                        reply_hours=acc.policy.crisis.first_reply_hours)))
        ctx.emit(Message(kind="crisis_on", to=ctx.crisis_channel, mentions=tuple(ctx.role_holders("crisis_group")),
                         text=ctx.t("crisis.on", person=who, reason=reason.strip() or "–")))
        return ctx.db["crisis_periods"].get(table.last_pk)


def stop(ctx: Context, actor: str) -> dict:
    _check_role(ctx, actor)
    period = active_period(ctx)
    if period is None:
        raise ctx.refusal("crisis.not_on")
    now = ctx.now_ts()
    with ctx.db.atomic():
        ctx.update("crisis_periods", period["id"], {"ended_at": now, "ended_by": actor, "next_prompt_at": None})
        ctx.set_state("crisis_since", None)
        restored = items.resume_after_crisis(ctx, period["started_at"])
        oversight.replan(ctx)  # K1: the daily prompts held back during the crisis are due now
        summary = _summary(ctx, period["started_at"], now)
        ctx.audit(actor, "crisis.off", "", period=period["id"], summary=summary, restored_items=restored)
        for acc in ctx.accounts.values():
            ctx.emit(Message(kind="all_clear", to="#" + acc.channel, account=acc.id, text=ctx.t("crisis.all_clear")))
        ctx.emit(Message(kind="all_clear", to=ctx.crisis_channel, text=summary))
    return ctx.db["crisis_periods"].get(period["id"])


def _summary(ctx: Context, start: int, end: int) -> str:
    minutes = (end - start) // 60
    rows = list(ctx.db.query(
        "SELECT status, assignee, answered_by FROM items WHERE received_at BETWEEN ? AND ? "
        "OR (crisis = 1 AND updated_at >= ? AND received_at <= ?)",
        [start, end, start, end],
    ))
    handlers: dict[str, int] = {}
    for r in rows:
        who = r["answered_by"] or r["assignee"]
        if who:
            handlers[who] = handlers.get(who, 0) + 1
    done = sum(1 for r in rows if r["status"] in items.DONE_STATUSES)
    by = ", ".join(f"{ctx.name_of(e)} ({n})" for e, n in sorted(handlers.items(), key=lambda kv: (-kv[1], kv[0])))
    return ctx.t("crisis.summary", start=from_epoch(start).strftime("%Y-%m-%d %H:%M"),
                 end=from_epoch(end).strftime("%Y-%m-%d %H:%M"), hours=minutes // 60, minutes=minutes % 60,
                 items=len(rows), done=done, open=len(rows) - done, handlers=by or "–")


def status_text(ctx: Context) -> str:
    period = active_period(ctx)
    if period is None:
        return ctx.t("crisis.status_off")
    return ctx.t("crisis.status_on", since=from_epoch(period["started_at"]).strftime("%Y-%m-%d %H:%M"),
                 person=ctx.name_of(period["started_by"]), reason=period["reason"] or "–", primary=_primary(ctx))


def alert(ctx: Context, item: dict, why: str, actor: str | None = None) -> bool:
    """Send a crisis item to the crisis group (once per item). Call inside db.atomic()."""
    # Keyed on the item's arrival too: an id freed by an erasure or weeding is used again, and the
    # new item's alert must not be taken for the old one's (a crisis post always reaches the group).
    if not ctx.once(f"crisis_alert:{item['id']}:{item['source']}:{item['external_id']}"):
        return False
    account = ctx.account(item["account_id"])
    ctx.update("items", item["id"], {"crisis": 1})
    by = ctx.t("crisis.raised_by", person=ctx.person(actor).name) if actor else ctx.t("crisis.detected")
    ctx.emit(Message(
        kind="crisis_alert", to=ctx.crisis_channel, account=account.id, item=item["id"],
        mentions=tuple(ctx.role_holders("crisis_group")),
        text=ctx.t("crisis.alert", account=ctx.label(account), id=item["id"], text=item["text"], author=item["author"] or "–",
                   why=why, by=by, permalink=item["permalink"] or "–"),
        actions=(Action("take", ctx.t("action.take"), str(item["id"])),),
    ))
    ctx.audit(actor or "uppsikt", "crisis.alert", f"item:{item['id']}", why=why)
    return True


def escalate(ctx: Context, actor: str, item_id: int) -> dict:
    """A person raises an item as a crisis (reaction or button)."""
    item = items.get(ctx, item_id)
    account = ctx.account(item["account_id"])
    person = ctx.person(actor)
    if actor not in account.staff and not any(r in person.roles for r in ("communicator", *MAY_TOGGLE)):
        raise ctx.refusal("crisis.escalate_not_allowed", account=ctx.label(account))
    with ctx.db.atomic():
        if not alert(ctx, item, ctx.t("crisis.by_person"), actor):
            raise ctx.refusal("crisis.already_alerted", id=item_id)
    return items.get(ctx, item_id)


def on_intake(ctx: Context, item: dict) -> None:
    """Detected crisis items go to the group; in crisis mode every new item does (call inside db.atomic())."""
    tag = next((t for t in items.tags_of(item) if t.id == "crisis"), None)
    if tag is not None:
        alert(ctx, item, tag.explain(ctx.lang))
    elif active_period(ctx) is not None:
        account = ctx.account(item["account_id"])
        ctx.emit(Message(kind="crisis_item", to=ctx.crisis_channel, account=account.id, item=item["id"],
                         text=ctx.t("crisis.copy", account=ctx.label(account), id=item["id"], text=item["text"],
                                    author=item["author"] or "–")))


def tick(ctx: Context) -> list[Message]:
    """Oversight around the clock while crisis mode is on (call inside db.atomic())."""
    period = active_period(ctx)
    now = ctx.now_ts()
    if period is None or period["next_prompt_at"] is None or period["next_prompt_at"] > now:
        return []
    nxt = period["next_prompt_at"]
    while nxt <= now:
        nxt += _every(ctx) * 3600
    ctx.update("crisis_periods", period["id"], {"next_prompt_at": nxt})
    on_duty = staff.on_duty(ctx, "crisis_group", ctx.today())
    names = ", ".join(ctx.person(e).name for e in on_duty) or ctx.t("duty.crisis_nobody_on_duty")
    out = [
        Message(kind="crisis_prompt", to="#" + acc.channel, account=acc.id,
                text=ctx.t("crisis.prompt", account=ctx.label(acc), hours=_every(ctx)) + " "
                + ctx.t("duty.crisis_on_duty", people=names),
                actions=(Action("oversight_done", ctx.t("action.oversight_done"), acc.id),),
                mentions=tuple(on_duty))
        for acc in ctx.accounts.values()
    ]
    for m in out:
        ctx.emit(m)
    return out


def tick_isolated(ctx: Context) -> list[Message]:
    """The crisis prompts as a unit of work of their own: a failure is rolled back and reported, and
    the prompts are tried again an hour later (not at every tick). Call inside db.atomic()."""
    sent = isolation.run(ctx, "crisis", ctx.t("duty.unit.crisis"), lambda: tick(ctx), None)
    if sent is None:
        period = active_period(ctx)
        if period is not None:
            ctx.update("crisis_periods", period["id"], {"next_prompt_at": ctx.now_ts() + isolation.RETRY_SECONDS})
        return []
    return sent


def next_prompt_at(ctx: Context) -> dt.datetime | None:
    period = active_period(ctx)
    return from_epoch(period["next_prompt_at"]) if period and period["next_prompt_at"] else None
