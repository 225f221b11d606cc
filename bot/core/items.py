"""Citizen items: intake, assignment, deadlines, nudges and actions (Q1–Q4, Q6).

Statuses: ``noted`` (not a question: visible, no deadline), ``open`` (a question
waiting for its first reply), ``first_reply_sent`` and ``forwarded`` (the
full-answer clock runs, Q2), ``answered`` and ``closed`` (done; closed records why, Q6).

Deadlines live in the database. Each open item has a list of reminder stages
derived from its active deadline (nudges to the assignee, escalation to the
account's responsible at the deadline, to the communicators a business day
later); ``next_nudge_at`` is the time of the next stage and ``nudge_stage`` how
many have been sent. The tick sends only the latest stage that is due, so a bot
that was down catches up with one message, not a burst.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from bot.clock import from_epoch, to_epoch
from bot.core import channels, isolation, records, router_index, staff
from bot.core.classify import Tag, classify
from bot.core.context import Context, Refused
from bot.core.permissions import HANDLER_ROLES, crisis_active, may_handle
from bot.core.routing import HistoryAnswer, Router
from bot.messages import Action, Message
from bot.settings import NUDGE_RE, Account, Person
from bot.store.db import file_of

OPEN_STATUSES = ("open", "first_reply_sent", "forwarded")
DONE_STATUSES = ("answered", "closed")
ACTIONS = ("take", "reassign", "first_reply_sent", "forwarded", "answered", "no_reply")


@dataclass(frozen=True)
class Stage:
    at: int
    kind: str  # nudge | escalation_owner | escalation_communicator


# --------------------------------------------------------------------------- routing


def router(ctx: Context) -> Router | None:
    """The router, or None while a background warm-up prepares it (then the caller routes to the
    account's responsible person). Without a warm-up (the CLI, tests, an in-memory database) the
    saved index is loaded, or the index built, here (bot/core/router_index.py)."""
    r = ctx.cache.get("router")
    if r is not None:
        return r  # type: ignore[return-value]
    warmup = ctx.cache.get("router_warmup")
    if warmup is not None and not warmup.done.is_set():  # type: ignore[attr-defined]
        return None
    warmer = ctx.cache.get("router_warmer")
    if warmer is not None and warmup is None:  # the history changed under a running bot: prepare it again
        warmer()  # type: ignore[operator]
        return router(ctx)
    ctx.cache.pop("router_warmup", None)
    loaded = router_index.load_or_build(ctx.db.conn, ctx.settings, file_of(ctx.db))
    ctx.cache["router"] = loaded.router
    return loaded.router


def forget_router(ctx: Context) -> None:
    """The history lost answers: drop the router and its saved index (rebuilt without them)."""
    ctx.cache.pop("router", None)
    ctx.cache.pop("router_warmup", None)
    ctx.cache["router_generation"] = int(ctx.cache.get("router_generation", 0)) + 1  # type: ignore[call-overload]
    router_index.discard(file_of(ctx.db))


def add_history(ctx: Context, answers: list[HistoryAnswer], answered_at: list[int], source: str) -> None:
    """Store answers (call inside db.atomic()) and teach the live router (a warm-up still at work reads
    them from the table when it is done)."""
    ctx.db.conn.executemany(  # one prepared statement, no sqlite-utils table introspection (hot: every answer)
        "INSERT INTO history_answers (question, answer, answered_by, answered_at, source) VALUES (?, ?, ?, ?, ?)",
        [(a.question, a.answer, a.answered_by, ts, source) for a, ts in zip(answers, answered_at, strict=True)])
    r = ctx.cache.get("router")
    if r is not None:
        r.add_history(answers)  # type: ignore[attr-defined]


def open_workload(ctx: Context, people: list[str] | None = None) -> dict[str, int]:
    """Open items per assignee: everyone's, or only `people`'s (counted on the (assignee, status) index)."""
    placeholders = ",".join("?" * len(OPEN_STATUSES))
    if people is not None:
        who = sorted(set(people))
        return {
            r[0]: r[1]
            for r in ctx.db.execute(
                f"SELECT assignee, COUNT(*) FROM items WHERE assignee IN ({','.join('?' * len(who))}) "
                f"AND status IN ({placeholders}) GROUP BY assignee",
                [*who, *OPEN_STATUSES],
            )
        }
    return {
        r[0]: r[1]
        for r in ctx.db.execute(
            f"SELECT assignee, COUNT(*) FROM items WHERE status IN ({placeholders}) AND assignee IS NOT NULL GROUP BY assignee",
            list(OPEN_STATUSES),
        )
    }


def choose_assignee(ctx: Context, account: Account, text: str, day: dt.date) -> tuple[str, str]:
    """Q3: the colleague who knows most and is present, with a readable reason.

    Ranked by expertise (keywords and answer history). An absent best match is
    replaced by the substitute named in their absence if present, else by the next
    best colleague present; equal scores go to the one with fewer open items. With
    no match at all the account's responsible person takes it.
    """
    ready = router(ctx)
    if ready is None:  # the router is being prepared after a start (issue 17): nobody waits for it
        email, why = staff.responsible_for(ctx, account, day)
        return email, ctx.t("route.warming") + (f" {why}" if why else "")
    ranking = [r for r in ready.rank(text) if ctx.knows(r.email)]  # not someone who has left (history)
    present = [r for r in ranking if staff.is_present(ctx, r.email, day)]
    if ranking and not staff.is_present(ctx, ranking[0].email, day):
        top = ranking[0]
        absence = staff.absence_on(ctx, top.email, day)
        if absence and absence.substitute and staff.is_available(ctx, absence.substitute, day):
            return absence.substitute, ctx.t(
                "route.substitute", person=ctx.person(top.email).first_name,
                substitute=ctx.person(absence.substitute).first_name, reasons="; ".join(top.reasons),
            )
    if present:
        best = present[0].score
        tied = [r for r in present if r.score == best]
        # Workload breaks ties only: counted for the tied colleagues alone (a full count
        # reads every open item, tens of milliseconds per intake with a large backlog).
        workload = open_workload(ctx, [r.email for r in tied]) if len(tied) > 1 else {}
        pick = min(tied, key=lambda r: (workload.get(r.email, 0), r.email))
        reason = "; ".join(pick.reasons)
        if ranking[0].email != pick.email and not staff.is_present(ctx, ranking[0].email, day):
            reason = ctx.t("route.next_best", person=ctx.person(ranking[0].email).first_name, reasons=reason)
        elif len(tied) > 1:
            reason += "; " + ctx.t("route.tie_workload", count=workload.get(pick.email, 0))
        return pick.email, reason
    email, why = staff.responsible_for(ctx, account, day)
    return email, ctx.t("route.no_match") + (f" {why}" if why else "")


def crisis_assignee(ctx: Context, day: dt.date) -> tuple[str, str] | None:
    """K1: in crisis mode every new item goes to the crisis group: the member on duty (present) with
    the fewest open items; None when nobody in the group is present (ordinary routing then)."""
    on_duty = staff.on_duty(ctx, "crisis_group", day)
    if not on_duty:
        return None
    workload = open_workload(ctx, on_duty)
    pick = min(on_duty, key=lambda e: (workload.get(e, 0), on_duty.index(e)))
    return pick, ctx.t("duty.crisis_assigned", person=ctx.person(pick).first_name)


def is_tracked(account: Account, tags: list[Tag]) -> bool:
    """A question, or (where the policy says so) a synpunkt or critical comment: gets an assignee and
    a first-reply deadline (Q1, Q3; Vaggeryd, Nora §5, Lekeberg 6.2). Criticism that is a personal
    attack is not answered but removed (M5: Nora §5 "skall inte bemötas"; Vaggeryd)."""
    ids = {t.id for t in tags}
    if "question" in ids:
        return True
    return "synpunkt" in ids and "personal_attack" not in ids and account.policy.deadlines.answer_synpunkter


# --------------------------------------------------------------------------- deadlines


def first_reply_due(ctx: Context, account: Account, received: dt.datetime) -> dt.datetime:
    if crisis_active(ctx):
        return received + dt.timedelta(hours=account.policy.crisis.first_reply_hours)
    return ctx.calendar(account.policy).deadline(received, account.policy.deadlines.first_reply_days)


def pause_for_crisis(ctx: Context) -> int:
    """K1 (policy choice, docs/policies.md): crisis mode pauses the reminders of the items already open;
    the crisis prompts and the crisis group's own items take over. Call inside db.atomic()."""
    placeholders = ",".join("?" * len(OPEN_STATUSES))
    cur = ctx.db.execute(
        f"UPDATE items SET next_nudge_at = NULL WHERE status IN ({placeholders}) AND next_nudge_at IS NOT NULL",
        list(OPEN_STATUSES))
    return cur.rowcount


def resume_after_crisis(ctx: Context, started_at: int) -> int:
    """When crisis mode ends, every open item gets its ordinary deadline and reminders back: items that
    arrived during the crisis (crisis.first_reply_hours) get the business-day first-reply deadline from
    when they arrived; the paused ones resume where they were. Call inside db.atomic()."""
    placeholders = ",".join("?" * len(OPEN_STATUSES))
    rows = list(ctx.db.query(f"SELECT * FROM items WHERE status IN ({placeholders}) ORDER BY id", list(OPEN_STATUSES)))
    for item in rows:
        account = ctx.accounts.get(item["account_id"])
        if account is None:
            continue
        stage = item["nudge_stage"]
        if item["status"] == "open" and item["received_at"] >= started_at:
            due = ctx.calendar(account.policy).deadline(from_epoch(item["received_at"]),
                                                        account.policy.deadlines.first_reply_days)
            item = item | {"first_reply_due": to_epoch(due)}
            stage = 0
            ctx.update("items", item["id"], {"first_reply_due": item["first_reply_due"]})
        ctx.update("items", item["id"], _schedule(ctx, account, item, stage))
        if item["received_at"] >= started_at:
            ctx.emit(card(ctx, get(ctx, item["id"])))
    return len(rows)


def full_answer_due(ctx: Context, account: Account, start: dt.datetime) -> dt.datetime:
    return ctx.calendar(account.policy).deadline(start, account.policy.deadlines.full_answer_days)


def stages(ctx: Context, account: Account, item: dict) -> list[Stage]:
    """The reminder schedule for the item's active deadline."""
    if item["status"] == "open" and item["first_reply_due"]:
        start, due = item["received_at"], item["first_reply_due"]
    elif item["status"] in ("first_reply_sent", "forwarded") and item["full_answer_due"]:
        start, due = item["first_reply_at"], item["full_answer_due"]
    else:
        return []
    cal = ctx.calendar(account.policy)
    pol = account.policy.deadlines
    s, d = cal.next_opening(from_epoch(start)), from_epoch(due)
    points: list[Stage] = []
    for spec in pol.nudges:
        m = NUDGE_RE.match(spec)
        if m is None:
            continue
        if m.group(1):
            at = cal.add_office_time(s, cal.office_time_between(s, d) * (int(m.group(1)) / 100))
        else:
            at = cal.add_office_time(d, -dt.timedelta(hours=int(m.group(2))))
        if s.timestamp() < at.timestamp() < d.timestamp():
            points.append(Stage(to_epoch(at), "nudge"))
    if pol.escalate_owner_at_deadline:
        points.append(Stage(due, "escalation_owner"))
    later = cal.at(cal.add_business_days(d.date(), pol.escalate_communicator_after_days), d.timetz().replace(tzinfo=None))
    points.append(Stage(max(to_epoch(later), due + 1), "escalation_communicator"))
    unique = {p.at: p for p in sorted(points, key=lambda p: p.at)}
    return sorted(unique.values(), key=lambda p: p.at)


def _schedule(ctx: Context, account: Account, item: dict, stage: int = 0) -> dict:
    """The item's reminder plan for its active deadline, computed once and stored with it (`nudge_plan`) when
    the item is made or its deadline changes; the tick reads it and never recomputes it."""
    st = stages(ctx, account, item)
    return {"nudge_stage": stage, "next_nudge_at": st[stage].at if stage < len(st) else None,
            "nudge_plan": json.dumps([[p.at, p.kind] for p in st], separators=(",", ":"))}


def _plan(ctx: Context, account: Account, item: dict) -> list[Stage]:
    """The stored plan (an item stored before plans were, or after a policy change, gets it computed)."""
    stored = item.get("nudge_plan")
    if stored:
        return [Stage(at, kind) for at, kind in json.loads(stored)]
    return stages(ctx, account, item)


# --------------------------------------------------------------------------- intake


def signature(person: Person, ctx: Context) -> str:
    """Q4: '/Förnamn, titel, enhet' of the person whose answer is published."""
    unit = ctx.settings.units.get(person.unit)
    return f"/{person.first_name}, {person.title}" + (f", {unit.name}" if unit else "")


def get(ctx: Context, item_id: int) -> dict:
    return ctx.item(item_id)


def tags_of(item: dict) -> list[Tag]:
    return [Tag.from_json(t) for t in json.loads(item["tags"])]


def intake(
    ctx: Context,
    account_id: str,
    text: str,
    *,
    author: str = "",
    source: str = "console",
    external_id: str | None = None,
    permalink: str = "",
    kind: str = "comment",
    received_at: dt.datetime | None = None,
    created_by: str = "",
    force_question: bool = False,
) -> tuple[dict, bool]:
    """Turn a post, comment or message into an item. Returns (item, created).

    Deduplicated on (source, external_id): a retried delivery returns the
    existing item and sends nothing.
    """
    account = ctx.account(account_id)
    text = text.strip()
    if not text:
        raise ctx.refusal("item.empty")
    received = received_at or ctx.now()
    with ctx.db.atomic():
        if external_id is None:
            next_id = ctx.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM items").fetchone()[0]
            external_id = f"{source}:{to_epoch(received)}:{next_id}"
        existing = list(ctx.db.query("SELECT * FROM items WHERE source = ? AND external_id = ?", [source, external_id]))
        if existing:
            return existing[0], False
        tags = classify(text, ctx.settings.municipality.public_contacts)
        question = force_question or is_tracked(account, tags)
        now = ctx.now_ts()
        row: dict = {
            "source": source, "external_id": external_id, "account_id": account.id, "kind": kind,
            "author": author, "text": text, "permalink": permalink, "received_at": to_epoch(received),
            "status": "open" if question else "noted", "is_question": int(question),
            "tags": json.dumps([t.to_json() for t in tags], ensure_ascii=False),
            "created_by": created_by, "updated_at": now,
        }
        if question:
            crisis_pick = crisis_assignee(ctx, received.date()) if crisis_active(ctx) else None
            assignee, reason = crisis_pick or choose_assignee(ctx, account, text, received.date())
            row |= {
                "assignee": assignee, "assigned_reason": reason,
                "first_reply_due": to_epoch(first_reply_due(ctx, account, received)),
            }
        if question:  # the reminder plan is stored with the item (one INSERT)
            row |= _schedule(ctx, account, row)
        item_id = ctx.insert("items", row)
        row["id"] = item_id
        ctx.db.execute("UPDATE accounts SET last_activity_at = ? WHERE id = ?", [now, account.id])
        record_history(ctx, item_id, created_by or "uppsikt", "intake", None, row["status"], row.get("assignee"), "")
        if not question:  # R1: a synpunkt nobody is to answer is registered now (one to answer: with its answer)
            records.auto_mark(ctx, get(ctx, item_id))
        item = get(ctx, item_id)
        ctx.emit(card(ctx, item, new=True))
        if question:
            ctx.emit(_assignment_message(ctx, item))
        ctx.audit(created_by or "uppsikt", "item.intake", f"item:{item_id}", account=account.id, source=source)
    return item, True


def record_history(ctx: Context, item_id: int, actor: str, action: str, before: str | None, after: str | None,
             assignee: str | None, reason: str) -> None:
    ctx.insert("item_history", {"item_id": item_id, "at": ctx.now_ts(), "actor": actor, "action": action,
                                "from_status": before, "to_status": after, "assignee": assignee, "reason": reason})


def _fmt(ts: int | None) -> str:
    return from_epoch(ts).strftime("%Y-%m-%d %H:%M") if ts else "–"


def card(ctx: Context, item: dict, new: bool = False) -> Message:
    """The item's card in its account channel; re-sent with the same key to update in place."""
    account = ctx.account(item["account_id"])
    fields: list[tuple[str, str]] = [
        (ctx.t("card.status"), ctx.t(f"status.{item['status']}")),
        (ctx.t("card.author"), item["author"] or "–"),
    ]
    if item["assignee"]:
        fields.append((ctx.t("card.assignee"), ctx.name_of(item["assignee"])))
        if item["assigned_reason"] and item["status"] in OPEN_STATUSES:  # why this person (a hand-over says so)
            fields.append((ctx.t("card.assigned_reason"), item["assigned_reason"]))
    if item["status"] == "open":
        fields.append((ctx.t("card.first_reply_due"), _fmt(item["first_reply_due"])))
    if item["full_answer_due"] and item["status"] in ("first_reply_sent", "forwarded"):
        fields.append((ctx.t("card.full_answer_due"), _fmt(item["full_answer_due"])))
    for tag in tags_of(item):
        if tag.id != "question":
            fields.append((ctx.t("card.tag"), f"{ctx.t(f'tag.{tag.id}')}: {tag.explain(ctx.lang)}"))
    if item["flag"]:
        fields.append((ctx.t("card.flag"), item["flag"]))
    if item["closed_reason"]:
        fields.append((ctx.t("card.closed_reason"), item["closed_reason"]))
    if item["first_reply_late"]:
        fields.append((ctx.t("card.first_reply_late"),
                       ctx.t("card.first_reply_late_value", at=_fmt(item["first_reply_at"]), due=_fmt(item["first_reply_due"]))))
    late = channels.late(ctx, item["source"], item["external_id"]) if item["source"] in _META_SOURCES else None
    if late:  # issue 12: a backfill brought it after the connection was broken; its deadline counts from posting
        fields.append((ctx.t("card.late"), ctx.t("card.late_value", posted=_fmt(late[0]), taken=_fmt(late[1]),
                                                 delay=channels.duration(ctx, late[1] - late[0]))))
    if item["status"] == "answered" and item["answered_by"]:
        author = ctx.person(item["answered_by"]).name
        recorder = item["answer_recorded_by"]
        fields.append((ctx.t("card.answered_by"), author if not recorder or recorder == item["answered_by"] else
                       ctx.t("card.answered_by_recorded", author=author, recorder=ctx.person(recorder).name)))
    actions: tuple[Action, ...] = ()
    if item["status"] not in DONE_STATUSES:
        value = str(item["id"])
        names = ["take", "reassign", "first_reply_sent", "forwarded", "answered", "no_reply", "remove", "crisis"]
        if item["status"] == "noted":
            names = ["take", "no_reply", "remove", "crisis"]
        if item["flag"]:  # M5: do not answer, remove
            names = ["remove", "crisis"]
        elif item["source"] in _META_SOURCES and account.platform in ("facebook", "instagram") \
                and account.policy.platform.write:  # issue 11: reply as the Page from the card
            names = ["reply", *names]
        actions = tuple(Action(n, ctx.t(f"action.{n}"), value) for n in names)
    return Message(
        kind="item" if new else "item_updated", to="#" + account.channel, account=account.id, item=item["id"],
        text=ctx.t("card.title", id=item["id"], account=ctx.label(account), text=item["text"]),
        fields=tuple(fields), actions=actions, card=f"item:{item['id']}",
    )


def _assignment_message(ctx: Context, item: dict) -> Message:
    person = ctx.person(item["assignee"])
    return Message(
        kind="assignment", to=person.email, account=item["account_id"], item=item["id"],
        text=ctx.t(
            "item.assigned", id=item["id"], account=ctx.label(item["account_id"]), text=item["text"],
            due=_fmt(item["first_reply_due"] if item["status"] == "open" else item["full_answer_due"]),
            reason=item["assigned_reason"], signature=signature(person, ctx),
        ),
        actions=tuple(Action(n, ctx.t(f"action.{n}"), str(item["id"])) for n in ("first_reply_sent", "forwarded", "answered")),
        thread=f"item:{item['id']}",
    )


# --------------------------------------------------------------------------- actions


# Deciding for others: giving someone else's item away, or closing a citizen's question without a reply (Q6).
# Taking an item and recording a (first) reply stay open to every configured person: the colleague who knows
# most answers (Q3) and signs (Q4), wherever the router put the item. See docs/security.md.
RESTRICTED_ACTIONS = ("reassign", "no_reply")
_META_SOURCES = ("facebook", "instagram", "messenger", "instagram_dm")  # bot/core/platform.py META_SOURCES


def _answer_author(ctx: Context, account: Account, item: dict, actor: str, author: str) -> str:
    """Q4 (Lekeberg 6.2): "personen vars svar vi publicerar ska skriva under, och inte den som publicerar
    själva svaret". The author named with `av=`; else, when the one recording it publishes for the account
    (its staff, a communicator) and the item is someone else's, that colleague's answer is being published;
    else the one recording it wrote it."""
    if author.strip():
        return ctx.person(author.strip().lower()).email
    assignee = item["assignee"]
    publisher = actor in account.staff or any(r in ctx.person(actor).roles for r in HANDLER_ROLES)
    if assignee and assignee != actor and publisher and ctx.settings.person(assignee) is not None:
        return assignee
    return actor


def _late_first_reply(item: dict, now: dt.datetime) -> dict:
    """Q2: a first reply after the first-reply deadline is recorded as late (shown on the card and in the report)."""
    due = item["first_reply_due"]
    return {"first_reply_late": 1} if due is not None and to_epoch(now) > due else {}


def act(ctx: Context, actor: str, item_id: int, name: str, *, to: str = "", reason: str = "", answer: str = "",
        author: str = "") -> dict:
    """Apply one of ACTIONS; raises Refused with a Swedish explanation when not possible."""
    person = ctx.person(actor)
    if name not in ACTIONS:
        raise ctx.refusal("item.unknown_action", name=name, known=", ".join(ACTIONS))
    with ctx.db.atomic():
        item = get(ctx, item_id)
        account = ctx.account(item["account_id"])
        if name in RESTRICTED_ACTIONS and not may_handle(ctx, account, item, actor):
            raise ctx.refusal("item.not_allowed", account=ctx.label(account), id=item_id)
        before = item["status"]
        if before in DONE_STATUSES:
            raise ctx.refusal("item.already_done", id=item_id, status=ctx.t(f"status.{before}"))
        now = ctx.now()
        changes: dict = {"updated_at": to_epoch(now)}
        notify: str | None = None
        if name == "take":
            if item["assignee"] == actor and before != "noted":
                raise ctx.refusal("item.already_yours", id=item_id)
            changes["assignee"] = actor
            changes["assigned_reason"] = ctx.t("route.took", person=person.first_name)
            if before == "noted":
                changes |= {"status": "open", "is_question": 1,
                            "first_reply_due": to_epoch(first_reply_due(ctx, account, from_epoch(item["received_at"])))}
        elif name == "reassign":
            if not to:
                raise ctx.refusal("item.reassign_needs_target")
            target = ctx.person(to)
            if not reason.strip():
                raise ctx.refusal("item.reassign_needs_reason", "reason")
            if before == "noted":
                raise ctx.refusal("item.take_first", id=item_id)
            changes["assignee"] = target.email
            changes["assigned_reason"] = ctx.t("route.reassigned", person=person.first_name, reason=reason.strip())
            notify = target.email
        elif name in ("first_reply_sent", "forwarded"):
            if before != "open":
                raise ctx.refusal("item.first_reply_twice", id=item_id)
            # Q2 (Lekeberg 6.2): the full answer is due N business days after the question arrived,
            # however late the first reply or the forward came.
            changes |= {"status": name, "first_reply_at": to_epoch(now),
                        "full_answer_due": to_epoch(full_answer_due(ctx, account, from_epoch(item["received_at"])))}
            changes |= _late_first_reply(item, now)
            if name == "forwarded" and to:
                target = ctx.person(to)
                changes["assignee"] = target.email
                changes["assigned_reason"] = ctx.t("route.forwarded", person=person.first_name)
                notify = target.email
        elif name == "answered":
            if before == "noted":
                raise ctx.refusal("item.take_first", id=item_id)
            answer_author = _answer_author(ctx, account, item, actor, author)
            changes |= {"status": "answered", "answered_at": to_epoch(now), "answered_by": answer_author,
                        "answer_recorded_by": actor, "answer": answer.strip(), "next_nudge_at": None}
            if not item["first_reply_at"]:
                changes["first_reply_at"] = to_epoch(now)
                changes |= _late_first_reply(item, now)
        elif name == "no_reply":
            if not reason.strip():
                raise ctx.refusal("item.no_reply_needs_reason")
            changes |= {"status": "closed", "closed_reason": reason.strip(), "next_nudge_at": None}
        after = item | changes  # the new deadline's reminder plan is stored in the same UPDATE
        if after["status"] in OPEN_STATUSES and (after["status"] != before or "first_reply_due" in changes):
            changes |= _schedule(ctx, account, after)
        ctx.update("items", item_id, changes)
        item = get(ctx, item_id)
        record_history(ctx, item_id, actor, name, before, item["status"], item["assignee"], reason)
        ctx.audit(actor, f"item.{name}", f"item:{item_id}", to=to or None, reason=reason or None,
                  author=item["answered_by"] if name == "answered" else None,
                  first_reply_late=bool(changes.get("first_reply_late")) or None)
        ctx.emit(card(ctx, item))
        if notify:
            ctx.emit(_assignment_message(ctx, item))
        if name == "answered":
            add_history(ctx, [HistoryAnswer(item["text"], item["answer"] or item["text"], item["answered_by"])],
                        [to_epoch(now)], "item")
        if name in ("answered", "no_reply"):
            records.auto_mark(ctx, item)  # R1: synpunkter go to the diarium with their answer
    return item


def hand_over(ctx: Context, item: dict, to: str, reason: str, action: str) -> list[Message]:
    """Give an open item to `to` with the reason on its card (absence, a colleague who left the
    config, crisis mode); the new assignee is told. Call inside db.atomic()."""
    ctx.update("items", item["id"], {"assignee": to, "assigned_reason": reason, "updated_at": ctx.now_ts()})
    record_history(ctx, item["id"], "uppsikt", action, item["status"], item["status"], to, reason)
    ctx.audit("uppsikt", f"item.{action}", f"item:{item['id']}", to=to, before=item["assignee"], reason=reason)
    moved = get(ctx, item["id"])
    out = [card(ctx, moved), _assignment_message(ctx, moved)]
    for m in out:
        ctx.emit(m)
    return out


# --------------------------------------------------------------------------- tick


def tick(ctx: Context, batch: int = 500) -> list[Message]:
    """Send due nudges and escalations (call inside db.atomic()).

    Each item is its own unit of work (a savepoint): one item that fails is rolled back,
    reported and retried an hour later; the others' reminders go out.
    """
    now = ctx.now_ts()
    out: list[Message] = []
    rows = list(ctx.db.query("SELECT * FROM items WHERE next_nudge_at <= ? ORDER BY next_nudge_at LIMIT ?", [now, batch]))
    for item in rows:
        sent = isolation.run(ctx, f"item:{item['id']}", ctx.t("duty.unit.item", id=item["id"]),
                             lambda item=item: _item_tick(ctx, item, now), None)
        if sent is None:
            ctx.update("items", item["id"], {"next_nudge_at": now + isolation.RETRY_SECONDS})  # not every tick
            continue
        out += sent
    return out


def _item_tick(ctx: Context, item: dict, now: int) -> list[Message]:
    account = ctx.accounts.get(item["account_id"])
    if account is None:  # the account was closed: nothing more to remind about on it
        ctx.update("items", item["id"], {"next_nudge_at": None})
        return []
    st = _plan(ctx, account, item)
    due = [i for i in range(item["nudge_stage"], len(st)) if st[i].at <= now]
    if not due:
        ctx.update("items", item["id"], _schedule(ctx, account, item, item["nudge_stage"]))
        return []
    idx = due[-1]
    out = _stage_messages(ctx, account, item, st[idx])
    following = st[idx + 1].at if idx + 1 < len(st) else None
    ctx.update("items", item["id"], {"nudge_stage": idx + 1, "next_nudge_at": following})
    for m in out:
        ctx.emit(m)
    return out


def _stage_messages(ctx: Context, account: Account, item: dict, stage: Stage) -> list[Message]:
    """The messages of one reminder stage; never to someone absent that day (the next present
    person in the chain gets it, and the text says why)."""
    day = ctx.today()
    waiting_for = "first_reply" if item["status"] == "open" else "full_answer"
    due = item["first_reply_due"] if waiting_for == "first_reply" else item["full_answer_due"]
    assignee_name = ctx.name_of(item["assignee"])
    common = dict(id=item["id"], account=ctx.label(account), due=_fmt(due), what=ctx.t(f"item.waiting_for.{waiting_for}"),
                  assignee=assignee_name, text=item["text"])
    if stage.kind == "nudge":
        to, why = staff.stand_in(ctx, item["assignee"], day, account)
        text = ctx.t("item.nudge", **common) + (f" {why}" if why else "")
        return [Message(kind="nudge", to=to, account=account.id, item=item["id"], text=text, thread=f"item:{item['id']}",
                        actions=(Action("first_reply_sent", ctx.t("action.first_reply_sent"), str(item["id"])),
                                 Action("answered", ctx.t("action.answered"), str(item["id"]))))]
    if stage.kind == "escalation_owner":
        to, why = staff.responsible_for(ctx, account, day)
        return [Message(kind="escalation", to=to, account=account.id, item=item["id"], thread=f"item:{item['id']}",
                        text=ctx.t("item.escalation_owner", **common) + (f" {why}" if why else ""))]
    return [
        Message(kind="escalation", to=c, account=account.id, item=item["id"], thread=f"item:{item['id']}",
                text=ctx.t("item.escalation_communicator", **common) + (f" {why}" if why else ""))
        for c, why in staff.communicators_with_reasons(ctx, day, exclude=item["assignee"])
    ]


def overdue(ctx: Context) -> list[dict]:
    now = ctx.now_ts()
    return list(
        ctx.db.query(
            "SELECT * FROM items WHERE (status = 'open' AND first_reply_due < ?) "
            "OR (status IN ('first_reply_sent', 'forwarded') AND full_answer_due < ?) ORDER BY id",
            [now, now],
        )
    )
