"""The text commands people type, shared by the console, Slack and Teams.

Each command is parsed into plain arguments and handed to one core function;
bad input raises ``Refused`` with a Swedish message saying what was wrong and
how to write it, and nothing changes. ASCII spellings are accepted everywhere
(``/franvaro`` for ``/frånvaro``, ``ersattare=`` for ``ersättare=``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from bot.core import accounts, archive, crisis, handover, intake, items, moderation, oversight, platform, records, staff
from bot.core.context import Context, Refused
from bot.core.parsing import account_arg as _account_arg
from bot.core.parsing import fold, int_option, is_number, options as _options, parse_date
from bot.messages import Reply

Handler = Callable[[Context, str, list[str], str | None], Reply]
MAX_INTENSIFIED_DAYS = 366  # `/uppsikt känsligt dagar=N`: a year at most (a huge N overflowed the epoch)

# --------------------------------------------------------------------------- /uppsikt


def cmd_uppsikt(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    sub = fold(words[0]) if words else "klart"
    rest = words[1:] if words else []
    if sub in ("hjalp", "help"):
        return Reply(ctx.t("help.uppsikt"))
    if sub == "status":
        return Reply(status_text(ctx))
    if sub == "rapport":
        return cmd_rapport(ctx, actor, rest, channel)
    if sub in ("kansligt", "intensiv"):
        opts, rest = _options(rest, {"timmar": "hours", "dagar": "days"})
        account_id, rest = _account_arg(ctx, rest, channel, "oversight.usage_sensitive")
        hours = int_option(ctx, opts, "hours", "timmar")
        days = int_option(ctx, opts, "days", "dagar", maximum=MAX_INTENSIFIED_DAYS)
        until = oversight.intensify(ctx, account_id, actor, " ".join(rest), hours, days)
        return Reply(ctx.t("oversight.intensified_reply", account=ctx.label(account_id),
                           until=until.strftime("%Y-%m-%d %H:%M")), public=True)
    if sub != "klart":
        # `/uppsikt <note>` in an account channel logs the check with that note.
        rest = words
    account_id, rest = _account_arg(ctx, rest, channel, "oversight.usage_done")
    oversight.log_check(ctx, account_id, actor, " ".join(rest), via="command")
    return Reply(ctx.t("oversight.logged", account=ctx.label(account_id), time=ctx.now().strftime("%H:%M")), public=True)


def status_text(ctx: Context) -> str:
    day = ctx.today()
    lines = [ctx.t("status.header", day=day.isoformat())]
    late = {i["account_id"] for i in items.overdue(ctx)}
    open_counts = {
        r[0]: r[1]
        for r in ctx.db.execute(
            "SELECT account_id, COUNT(*) FROM items WHERE status IN ('open','first_reply_sent','forwarded') GROUP BY account_id"
        )
    }
    for acc in ctx.accounts.values():
        checks = oversight.checks_on(ctx, acc.id, day)
        who, _ = staff.responsible_for(ctx, acc, day)
        if checks:
            state = ctx.t("status.watched", who=ctx.name_of(checks[-1]["person"]))
        elif oversight.is_watch_day(ctx, acc, day):
            state = ctx.t("status.not_watched", who=ctx.name_of(who))
        else:
            state = ctx.t("status.no_watch_today")
        lines.append(ctx.t("status.line", account=acc.name, id=acc.id, state=state, open=open_counts.get(acc.id, 0),
                           overdue=ctx.t("status.overdue") if acc.id in late else ""))
    return "\n".join(lines)


# --------------------------------------------------------------------------- /rapport


def cmd_rapport(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    if words and fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("help.rapport"))
    if words and fold(words[0]) in ("manad", "month"):
        return cmd_rapport_manad(ctx, actor, words[1:], channel)
    today = ctx.today()
    start = parse_date(ctx, words[0], ctx.t("word.from")) if words else today - dt.timedelta(days=today.weekday())
    end = parse_date(ctx, words[1], ctx.t("word.to")) if len(words) > 1 else today
    if len(words) > 2:
        raise ctx.refusal("help.rapport")
    return Reply(oversight.render_report(ctx, oversight.report(ctx, start, end)))


def cmd_rapport_manad(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    """`/rapport månad [ÅÅÅÅ-MM]` (issue 14): the monthly report's summary image and key figures, posted in
    the channel the command came from (or to the person who asked); last month by default."""
    from bot.core import monthly

    if words and fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("monthly.post.usage"))
    if len(words) > 1:
        raise ctx.refusal("monthly.post.usage")
    today = ctx.today()
    month = monthly.parse_month(ctx, words[0]) if words else monthly.Month(today.year, today.month).previous()
    if month.first > today:
        raise ctx.refusal("monthly.future_month", month=month.key)
    from bot.report.charts import month_name
    from bot.report.post import monthly_message

    to = "#" + channel.lstrip("#") if channel else actor
    message = monthly_message(ctx, month, to)
    with ctx.db.atomic():
        ctx.emit(message)
        ctx.audit(actor, "report.month", month.key, to=to)
    return Reply(ctx.t("monthly.post.ordered", month=month_name(ctx.t, month), target=to))


# --------------------------------------------------------------------------- /franvaro


def cmd_franvaro(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    if not words or fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("help.franvaro"))
    sub = fold(words[0])
    if sub == "lista":
        who = words[1].lower() if len(words) > 1 else None
        if who:
            ctx.person(who)
        rows = staff.absences(ctx, who, on_or_after=ctx.today())
        if not rows:
            return Reply(ctx.t("absence.none"))
        return Reply("\n".join(
            ctx.t("absence.line", id=a.id, person=ctx.name_of(a.person), start=a.start, end=a.end,
                  substitute=ctx.name_of(a.substitute), reason=a.reason or "–")
            for a in rows
        ))
    if sub == "ta" and len(words) >= 3 and fold(words[1]) == "bort":
        if not is_number(words[2]):
            raise ctx.refusal("error.bad_number", what="id", value=words[2])
        a = staff.remove_absence(ctx, actor, int(words[2]))
        return Reply(ctx.t("absence.removed", id=a.id, person=ctx.person(a.person).name))
    person = actor
    if sub in ("for", "för") and len(words) > 1:
        person = words[1].lower()
        words = words[2:]
    opts, rest = _options(words, {"ersattare": "substitute", "vikarie": "substitute", "orsak": "reason"})
    if len(rest) < 2:
        raise ctx.refusal("help.franvaro")
    start = parse_date(ctx, rest[0], ctx.t("word.from"))
    end = parse_date(ctx, rest[1], ctx.t("word.to"))
    reason = opts.get("reason", "") + (" " if opts.get("reason") and rest[2:] else "") + " ".join(rest[2:])
    substitute = opts.get("substitute", "").lower() or None
    a = handover.add_absence(ctx, actor, person, start, end, substitute, reason.strip())
    return Reply("\n".join([ctx.t("absence.added", person=ctx.person(a.person).name, start=a.start, end=a.end,
                                   substitute=ctx.person(a.substitute).name if a.substitute
                                   else ctx.t("absence.no_substitute"), id=a.id), *a.notes]))


# --------------------------------------------------------------------------- /fraga


def cmd_fraga(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    if words and fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("help.fraga"))
    if not words:
        raise ctx.refusal("help.fraga")
    account_id, rest = _account_arg(ctx, words, channel, "item.usage_track")
    if not rest:
        raise ctx.refusal("help.fraga")
    item, _ = intake.receive(ctx, account_id, " ".join(rest), author="", source="manual", created_by=actor,
                             force_question=True)
    return Reply(ctx.t("item.tracked", id=item["id"], assignee=ctx.person(item["assignee"]).name,
                       reason=item["assigned_reason"]))


# --------------------------------------------------------------------------- /arende (text form of the buttons)

ACTION_WORDS = {
    "ta": "take", "take": "take",
    "ge": "reassign", "flytta": "reassign", "reassign": "reassign",
    "forsta-svar": "first_reply_sent", "forstasvar": "first_reply_sent", "first_reply_sent": "first_reply_sent",
    "vidare": "forwarded", "skickad-vidare": "forwarded", "forwarded": "forwarded",
    "svarat": "answered", "besvarad": "answered", "answered": "answered",
    "inget-svar": "no_reply", "stang": "no_reply", "no_reply": "no_reply",
    "ta-bort": "remove", "tabort": "remove", "remove": "remove",
    "kris": "crisis", "crisis": "crisis",
}


def cmd_arende(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    if len(words) < 2 or fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("help.arende"))
    if not is_number(words[0]):
        raise ctx.refusal("error.bad_number", what=ctx.t("word.item_id"), value=words[0])
    name = ACTION_WORDS.get(fold(words[1]))
    if name is None:
        raise ctx.refusal("item.unknown_action_word", word=words[1], help=ctx.t("help.arende"))
    args = words[2:]
    to = reason = answer = author = ""
    if name == "reassign":
        if not args:
            raise ctx.refusal("item.reassign_needs_target")
        to, reason = args[0].lower(), " ".join(args[1:])
    elif name == "forwarded":
        opts, args = _options(args, {"till": "to", "to": "to"})
        to = opts.get("to", "").lower()
        if not to:  # Q2: forwarded to whom? Never silently to the person who typed it.
            raise ctx.refusal("item.forward_needs_target", id=words[0])
    elif name == "answered":
        opts, args = _options(args, {"av": "author", "forfattare": "author", "author": "author"})
        answer = " ".join(args)
        author = opts.get("author", "")
    elif name in ("no_reply", "remove"):
        reason = " ".join(args)
    return item_action(ctx, actor, int(words[0]), name, to=to, reason=reason, answer=answer, author=author)


def button(ctx: Context, actor: str, name: str, value: str, **kwargs: str) -> Reply:
    """A button press, whichever platform it came from: an account request's decision (`value` is the
    request), `oversight_done` (the account), or an item action (the item). The one action dispatch."""
    ctx.person(actor)
    if name in accounts.ACTION_NAMES:
        return accounts.do_action(ctx, actor, name, value, kwargs.get("reason", ""))
    if name == "oversight_done":
        oversight.log_check(ctx, value, actor, kwargs.get("note", ""), via=kwargs.get("via", "button"))
        return Reply(ctx.t("oversight.logged", account=ctx.label(value), time=ctx.now().strftime("%H:%M")),
                     public=True)
    if not is_number(str(value)):
        raise ctx.refusal("error.bad_number", what=ctx.t("word.item_id"), value=value)
    return item_action(ctx, actor, int(value), name, **kwargs)


def item_action(ctx: Context, actor: str, item_id: int, name: str, **kwargs: str) -> Reply:
    """One item action by button or text. `remove` without a ground asks for one; with a
    ground (`reason`, first word) it registers the removal; `crisis` raises the item."""
    if name == "remove":
        ground, _, note = kwargs.get("reason", "").strip().partition(" ")
        if not ground:
            text, choices = moderation.removal_prompt(ctx, actor, item_id)
            return Reply(text, data={"item": item_id, "choices": choices})
        removal = moderation.remove(ctx, actor, item_id, ground, note or kwargs.get("note", ""))
        on_platform = platform.after_removal(ctx, actor, item_id, removal)  # issue 11: hide (and delete)
        return Reply(ctx.t("moderation.done", id=item_id, record=removal["id"]) + (f" {on_platform}" if on_platform else ""))
    if name in PLATFORM_ACTIONS:  # issue 11: write back to Facebook and Instagram
        return platform_action(ctx, actor, item_id, name, **kwargs)
    if name == "crisis":
        crisis.escalate(ctx, actor, item_id)
        return Reply(ctx.t("crisis.escalated", id=item_id))
    item = items.act(ctx, actor, item_id, name, to=kwargs.get("to", ""), reason=kwargs.get("reason", ""),
                     answer=kwargs.get("answer", ""), author=kwargs.get("author", ""))
    return Reply(action_reply(ctx, item, name))


PLATFORM_ACTIONS = ("reply", "platform_resend", "platform_undo", "platform_block")


def platform_action(ctx: Context, actor: str, value: int, name: str, **kwargs: str) -> Reply:
    """Reply from the card (a preview first, then `confirm`), send a waiting write again, undo a removal on the
    platform the same day, or block a repeat offender (M3)."""
    if name == "reply":
        text, data = platform.reply(ctx, actor, value, kwargs.get("answer", ""), kwargs.get("template", ""),
                                    kwargs.get("author", ""), kwargs.get("confirm", ""))
        return Reply(text, data=data)
    if name == "platform_resend":
        return Reply(platform.resend(ctx, actor, value))
    if name == "platform_undo":
        return Reply(platform.undo(ctx, actor, value))
    return Reply(platform.block(ctx, actor, value))


def cmd_tabort(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    if not words or fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("help.tabort"))
    if not is_number(words[0]):
        raise ctx.refusal("error.bad_number", what=ctx.t("word.item_id"), value=words[0])
    return item_action(ctx, actor, int(words[0]), "remove", reason=" ".join(words[1:]))


def cmd_kris(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    sub = fold(words[0]) if words else "status"
    if sub in ("hjalp", "help"):
        return Reply(ctx.t("help.kris"))
    if sub == "status":
        return Reply(crisis.status_text(ctx))
    if sub in ("pa", "on"):
        crisis.start(ctx, actor, " ".join(words[1:]))
        return Reply(ctx.t("crisis.on_reply"), public=True)
    if sub in ("av", "off"):
        crisis.stop(ctx, actor)
        return Reply(ctx.t("crisis.off_reply"), public=True)
    raise ctx.refusal("help.kris")


def action_reply(ctx: Context, item: dict, name: str) -> str:
    text = ctx.t(f"item.done.{name}", id=item["id"],
                 assignee=ctx.person(item["assignee"]).name if item["assignee"] else "–")
    if name == "answered" and item["answered_by"]:
        text += " " + ctx.t("item.signature_hint", signature=items.signature(ctx.person(item["answered_by"]), ctx))
        feedback = accounts.reply_check(ctx, item["answer"])  # Q8: klarspråk feedback on the published answer
        if feedback:
            text += "\n" + feedback
    return text


# --------------------------------------------------------------------------- /konto


def cmd_konto(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    sub = fold(words[0]) if words else "lista"
    if sub in ("hjalp", "help"):
        return Reply(ctx.t("help.konto"))
    if sub == "lista":
        return Reply("\n".join(
            ctx.t("account.line", id=a.id, name=a.name, platform=ctx.platform_name(a.platform), owner=ctx.person(a.owner).name,
                  channel=a.channel)
            for a in ctx.accounts.values()
        ))
    if sub == "visa":
        account_id, _ = _account_arg(ctx, words[1:], channel, "account.usage_show")
        a = ctx.account(account_id)
        who, why = staff.responsible_for(ctx, a, ctx.today())
        return Reply(ctx.t(
            "account.details", name=a.name, platform=ctx.platform_name(a.platform), url=a.url or "–", unit=ctx.unit_name(a.unit),
            owner=ctx.person(a.owner).name, editors=", ".join(ctx.person(e).name for e in a.editors) or "–",
            substitute=ctx.person(a.substitute).name if a.substitute else "–", responsible=ctx.person(who).name,
            purpose=a.purpose or "–", audience=a.audience or "–", frequency=a.update_frequency or "–",
            first_reply=ctx.t("word.business_days", count=a.policy.deadlines.first_reply_days),
            full_answer=ctx.t("word.business_days", count=a.policy.deadlines.full_answer_days),
        ) + (f"\n{why}" if why else ""))
    return accounts.cmd_konto_lifecycle(ctx, actor, words, channel)


# --------------------------------------------------------------------------- registry

COMMANDS: dict[str, Handler] = {
    "uppsikt": cmd_uppsikt,
    "franvaro": cmd_franvaro,
    "fraga": cmd_fraga,
    "arende": cmd_arende,
    "konto": cmd_konto,
    "rapport": cmd_rapport,
    "kris": cmd_kris,
    "ta-bort": cmd_tabort,
    "tabort": cmd_tabort,
    **records.COMMANDS,
    "klarsprak": accounts.cmd_klarsprak,
    **archive.COMMANDS,
}


HELP_WORDS = frozenset({"hjalp", "help", "?"})
# Words that name a sub-command or an action rather than say something: `hjälp` after only such words
# (and account ids, numbers, dates, e-mails and key=value options) asks for help and never acts.
SUB_WORDS = frozenset({
    "klart", "status", "rapport", "kansligt", "intensiv",  # /uppsikt
    "lista", "ta", "bort", "for",  # /frånvaro
    "visa", "ansok", "ansokan", "godkann", "avsla", "avslag", "ansokningar", "intyga", "tvafaktor", "2fa",
    "infotext", "information", "stang", "avsluta",  # /konto
    "pa", "av", "on", "off",  # /kris
    "klar", "tagen", "done", "andring", "forandring", "change",  # /snapshot
    "synpunkt", "arendehandlaggning", "sekretess", "direktmeddelande",  # /diarium
    "stoppa", "stopp", "hav", "hold", "release", "show",  # /arkiv (issue 12)
    *ACTION_WORDS,
})
SUB_HELP = {
    ("uppsikt", "klart"): "oversight.usage_done", ("uppsikt", "kansligt"): "oversight.usage_sensitive",
    ("uppsikt", "intensiv"): "oversight.usage_sensitive",
    ("konto", "visa"): "account.usage_show", ("konto", "ansok"): "lifecycle.usage_request",
    ("konto", "ansokan"): "lifecycle.usage_request", ("konto", "godkann"): "lifecycle.usage_approve",
    ("konto", "avsla"): "lifecycle.usage_reject", ("konto", "avslag"): "lifecycle.usage_reject",
    ("konto", "intyga"): "lifecycle.usage_attest", ("konto", "tvafaktor"): "lifecycle.usage_attest",
    ("konto", "infotext"): "lifecycle.usage_info", ("konto", "stang"): "lifecycle.usage_close",
    ("konto", "avsluta"): "lifecycle.usage_close",
    ("snapshot", "klar"): "records.usage_snapshot_done", ("snapshot", "klart"): "records.usage_snapshot_done",
    ("snapshot", "andring"): "records.usage_snapshot_change",
}
_SHAPES = (re.compile(r"^\d{4}-\d{2}-\d{2}$"), re.compile(r"^[^@\s]+@[^@\s]+$"), re.compile(r"^\S+=\S*$"))


def asks_for_help(ctx: Context, words: list[str]) -> bool:
    """True when the words after a command end with `hjälp` and nothing before it says anything
    (`/kris på hjälp`, `/uppsikt klart facebook hjälp`, `/ärende 3 svarat hjälp`): help is shown and
    nothing happens. `hjälp` inside a real text (`/fråga facebook Jag behöver hjälp`) is left alone."""
    if not words or fold(words[-1]).strip("!.") not in HELP_WORDS:
        return False
    return all(
        fold(w) in SUB_WORDS or is_number(w) or w.lower() in ctx.accounts or w.startswith("#")
        or any(shape.match(w) for shape in _SHAPES)
        for w in words[:-1]
    )


def help_for(ctx: Context, name: str, words: list[str], actor: str, channel: str | None) -> Reply:
    """The help of the command, or of its sub-command where it has its own."""
    subs = [fold(w) for w in words[:-1] if not is_number(w)]
    for sub in subs:
        key = SUB_HELP.get((name, sub))
        if key:
            return Reply(ctx.t(key, accounts=", ".join(ctx.accounts)))
    return COMMANDS[name](ctx, actor, ["hjälp"], channel)


def read_only(text: str) -> bool:
    """Commands that only read (issue 17 point 4): `/sök`. The Bot runs them on a read connection without
    the entry-point lock, so a long search stalls no other entry point. (`/rapport` stays under the lock:
    its first run records the installation time.)"""
    words = text.strip().split()
    return bool(words) and words[0].startswith("/") and fold(words[0][1:]) == "sok"


def handle(ctx: Context, actor: str, text: str, channel: str | None = None) -> Reply:
    """Run one command line such as '/franvaro 2026-12-22 2027-01-06 ersättare=per@example.se'."""
    words = text.strip().split()
    if not words or not words[0].startswith("/"):
        return Reply(ctx.t("help.general", commands=", ".join(f"/{c}" for c in COMMANDS)), ok=False)
    name = fold(words[0][1:])
    handler = COMMANDS.get(name)
    if handler is None:
        return Reply(ctx.t("error.unknown_command", command=words[0],
                           commands=", ".join(f"/{c}" for c in COMMANDS)), ok=False)
    try:
        ctx.person(actor.lower())
        if asks_for_help(ctx, words[1:]):
            return help_for(ctx, name, words[1:], actor.lower(), channel)
        return handler(ctx, actor.lower(), words[1:], channel)
    except Refused as exc:
        return Reply(str(exc), ok=False, data={"problems": exc.problems} if exc.problems else {})
