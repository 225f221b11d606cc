"""Account lifecycle (A1, A2, A4, A5, A6, A7, Q8).

* **Requests (A1, A2, A4).** Anyone in the configuration may ask for a new
  account. The request carries the documentation A2 asks for and is checked
  against the municipality policy's staffing minimums (A4). It becomes an
  account only when both the unit's manager and a communicator have approved
  it; one rejection (with a reason) stops it. The approved account is stored in
  the ``accounts`` table with its documentation and is watched from the next
  tick, exactly like a configured one (``stored_accounts`` feeds
  ``ctx.accounts``).
* **Closing (A6).** The owner or a communicator closes an account; it is no
  longer watched and the staff are reminded to publish a farewell post.
* **Two-factor attestations (A5).** Staff attest that they use two-factor
  authentication; the bot never asks for or stores a password. ``daily``
  reminds everyone whose attestation is missing or too old.
* **Information text (A7).** Generated from the documentation and the policy,
  following Lekeberg's Bilaga 1, ready to paste into the platform.
* **Klarspråk (Q8).** ``reply_check`` gives short feedback on a reply text.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shlex

from bot.calendar import add_months
from bot.clock import from_epoch
from bot.core import staff
from bot.core.items import OPEN_STATUSES
from bot.core.context import Context, Problem, Refused
from bot.core.parsing import account_arg, fold, is_number
from bot.core.readability import readability
from bot.i18n import t
from bot.messages import Action, Message, Reply
from bot.settings import GROUND_IDS, ID_RE, PLATFORMS, Account, staffing_shortfalls

log = logging.getLogger("uppsikt.accounts")

# The documentation of an account (A2), in the order it is shown.
FIELDS = (
    "id", "platform", "name", "url", "unit", "channel", "purpose", "audience", "content",
    "owner", "editors", "substitute", "admins", "update_frequency", "contact",
)
REQUIRED = ("id", "platform", "name", "unit", "channel", "purpose", "audience", "content", "owner",
            "update_frequency", "contact")  # fmt: skip
LIST_FIELDS = ("editors", "admins")
PERSON_FIELDS = ("owner", "editors", "substitute", "admins")

# How each field is written in the command (and named in error messages).
FIELD_WORDS = {
    "id": "id", "platform": "plattform", "name": "namn", "url": "url", "unit": "enhet", "channel": "kanal",
    "purpose": "syfte", "audience": "målgrupp", "content": "innehåll", "owner": "ansvarig",
    "editors": "redaktörer", "substitute": "ersättare", "admins": "administratörer",
    "update_frequency": "uppdateras", "contact": "kontakt",
}
# Folded command keys (ASCII spellings accepted) -> field.
OPTION_NAMES = {
    "id": "id",
    "plattform": "platform", "platform": "platform",
    "namn": "name", "name": "name",
    "url": "url", "adress": "url", "lank": "url",
    "enhet": "unit", "unit": "unit",
    "kanal": "channel", "channel": "channel",
    "syfte": "purpose", "purpose": "purpose",
    "malgrupp": "audience", "audience": "audience",
    "innehall": "content", "content": "content",
    "ansvarig": "owner", "sidansvarig": "owner", "kontoansvarig": "owner", "owner": "owner",
    "redaktorer": "editors", "redaktor": "editors", "editors": "editors",
    "ersattare": "substitute", "substitute": "substitute",
    "administratorer": "admins", "administrator": "admins", "admins": "admins",
    "uppdateras": "update_frequency", "uppdatering": "update_frequency", "frekvens": "update_frequency",
    "update_frequency": "update_frequency",
    "kontakt": "contact", "contact": "contact",
}  # fmt: skip
CHANNEL_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")
URL_RE = re.compile(r"^https?://\S+$")
# Slack and Teams (and macOS) often turn straight quotes into typographic ones.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})

PARTS = ("manager", "communicator")
MAX_SENTENCE_WORDS = 25
MIN_LIX_WORDS = 20  # below this LIX means nothing; /klarspråk says so instead of giving a level
QUOTE_WORDS = 6
HARD_LIX = 45

ACTION_NAMES = ("account_approve", "account_reject", "two_factor_attest")


# =========================================================================== stored accounts


# Accounts approved through a request are built in bot/core/stored_accounts.py (Context.accounts reads them).


# =========================================================================== requests (A1, A2, A4)


def _normalise(ctx: Context, fields: dict) -> dict:
    unknown = [k for k in fields if k not in FIELDS]
    if unknown:
        raise ctx.refusal("lifecycle.unknown_fields", fields=", ".join(unknown),
                            allowed=", ".join(f"{FIELD_WORDS[f]}=" for f in FIELDS))
    data: dict[str, object] = {}
    for f in FIELDS:
        value = fields.get(f, "")
        if f in LIST_FIELDS:
            items = value.split(",") if isinstance(value, str) else list(value or ())
            data[f] = list(dict.fromkeys(str(v).strip().lower() for v in items if str(v).strip()))
        else:
            data[f] = str(value or "").strip()
    data["id"] = str(data["id"]).lower()
    data["platform"] = fold(str(data["platform"]))
    data["channel"] = str(data["channel"]).lstrip("#").lower()
    for f in ("owner", "substitute"):
        data[f] = str(data[f]).lower()
    return data


def _pending(ctx: Context, exclude: int | None = None) -> list[dict]:
    rows = ctx.db.query("SELECT * FROM account_requests WHERE status = 'pending' ORDER BY id")
    return [r for r in rows if r["id"] != exclude]


def _problems(ctx: Context, data: dict, exclude_request: int | None = None) -> list[Problem]:
    """Everything wrong with a request, each a catalogue sentence saying how to fix it and the field(s) it is about."""
    out: list[Problem] = []
    missing = [f for f in REQUIRED if not data[f]]
    if missing:
        out.append(ctx.problem("lifecycle.missing", tuple(missing), fields=", ".join(f"{FIELD_WORDS[f]}=" for f in missing)))
    aid, channel = data["id"], data["channel"]
    pending = _pending(ctx, exclude_request)
    if aid:
        if not ID_RE.match(aid):
            out.append(ctx.problem("lifecycle.bad_id", "id", value=aid))
        elif aid in ctx.accounts or aid in ctx.settings.accounts:
            out.append(ctx.problem("lifecycle.id_taken", "id", value=aid))
        else:
            clash = next((r for r in pending if r["account_id"] == aid), None)
            if clash:
                out.append(ctx.problem("lifecycle.id_pending", "id", value=aid, id=clash["id"]))
    if data["platform"] and data["platform"] not in PLATFORMS:
        out.append(ctx.problem("lifecycle.bad_platform", "platform", value=data["platform"], known=", ".join(PLATFORMS)))
    if data["unit"] and data["unit"] not in ctx.settings.units:
        out.append(ctx.problem("lifecycle.bad_unit", "unit", value=data["unit"], known=", ".join(ctx.settings.units)))
    if data["url"] and not URL_RE.match(data["url"]):
        out.append(ctx.problem("lifecycle.bad_url", "url", value=data["url"]))
    if channel:
        muni = ctx.settings.municipality
        used = ctx.account_by_channel(channel)
        if not CHANNEL_RE.match(channel):
            out.append(ctx.problem("lifecycle.bad_channel", "channel", value=channel))
        elif used is not None:
            out.append(ctx.problem("lifecycle.channel_taken", "channel", value=channel, account=used.id))
        elif channel in (muni.crisis_channel, muni.communicator_channel):
            out.append(ctx.problem("lifecycle.channel_reserved", "channel", value=channel))
        else:
            clash = next((r for r in pending if json.loads(r["data"]).get("channel") == channel), None)
            if clash:
                out.append(ctx.problem("lifecycle.channel_pending", "channel", value=channel, id=clash["id"]))
    for f in PERSON_FIELDS:
        emails = data[f] if f in LIST_FIELDS else [data[f]]
        for e in emails:
            if e and ctx.settings.person(e) is None:
                out.append(ctx.problem("lifecycle.unknown_person", f, field=FIELD_WORDS[f], email=e))
    out += _staffing_problems(ctx, data)
    return out


def _staffing_problems(ctx: Context, data: dict) -> list[Problem]:
    """A4 with the municipality policy's minimums (the same checks as the config loader)."""
    owner = data["owner"]
    admins = list(dict.fromkeys([owner, *data["admins"]] if owner else data["admins"]))
    out: list[Problem] = []
    for shortfall, values in staffing_shortfalls(ctx.settings.policy.staffing, owner, data["editors"], admins,
                                                 data["substitute"]):
        if shortfall == "owners":
            if owner:  # a missing owner is reported as a missing field
                out.append(ctx.problem("lifecycle.too_few_owners", "owner", min=values["min"]))
        elif shortfall in ("editors", "admins"):
            out.append(ctx.problem(f"lifecycle.too_few_{shortfall}", shortfall, **values))
        else:
            out.append(ctx.problem(f"lifecycle.{shortfall}", "substitute"))
    return out


def _refuse(ctx: Context, problems: list[Problem], header: str = "lifecycle.refused_header") -> None:
    """Every problem at once: the sentences as one refusal, and the problems structured beside them."""
    if problems:
        lines = [ctx.t(p.key, **dict(p.values)) for p in problems]
        raise Refused(ctx.t(header) + "\n" + "\n".join(f"• {line}" for line in lines), problems=problems)


def request_account(ctx: Context, actor: str, fields: dict) -> int:
    """A1, A2: ask for a new account. Returns the request number.

    The unit's manager and the communicators are asked to approve or reject it.
    Nothing is stored if anything is wrong; the refusal lists every problem.
    """
    ctx.person(actor)
    data = _normalise(ctx, fields)
    _refuse(ctx, _problems(ctx, data))
    unit = ctx.settings.units[data["unit"]]
    with ctx.db.atomic():
        table = ctx.db["account_requests"]
        table.insert({
            "account_id": data["id"], "data": json.dumps(data, ensure_ascii=False), "requested_by": actor,
            "requested_at": ctx.now_ts(), "status": "pending",
        })
        request_id = int(table.last_pk)
        ctx.audit(actor, "account.request", data["id"], request=request_id, **data)
        recipients = dict.fromkeys([unit.manager, *staff.communicators(ctx, ctx.today())])
        text = ctx.t("lifecycle.request_notice", requester=_name(ctx, actor), name=data["name"],
                     platform=ctx.platform_name(data["platform"]), unit=unit.name, id=request_id, manager=_name(ctx, unit.manager))
        for to in recipients:
            if to:
                ctx.emit(Message(
                    kind="account_request", to=to, account=data["id"], text=text,
                    fields=_doc_fields(ctx, data),
                    actions=(Action("account_approve", ctx.t("lifecycle.action_approve"), str(request_id)),
                             Action("account_reject", ctx.t("lifecycle.action_reject"), str(request_id))),
                ))
    return request_id


def _name(ctx: Context, email: str) -> str:
    p = ctx.settings.person(email) if email else None
    return p.name if p else (email or "–")


def _names(ctx: Context, emails: list[str] | tuple[str, ...]) -> str:
    return ", ".join(_name(ctx, e) for e in emails) or "–"


def _doc_fields(ctx: Context, data: dict) -> tuple[tuple[str, str], ...]:
    unit = ctx.settings.units.get(data["unit"])
    values = {
        "url": data["url"] or "–", "unit": unit.name if unit else data["unit"], "channel": "#" + data["channel"],
        "purpose": data["purpose"], "audience": data["audience"], "content": data["content"],
        "owner": _name(ctx, data["owner"]), "editors": _names(ctx, data["editors"]),
        "substitute": _name(ctx, data["substitute"]), "admins": _names(ctx, data["admins"]),
        "update_frequency": data["update_frequency"], "contact": data["contact"],
    }
    return tuple((ctx.t(f"lifecycle.field.{k}"), v) for k, v in values.items())


def get_request(ctx: Context, request_id: int) -> dict:
    rows = list(ctx.db.query("SELECT * FROM account_requests WHERE id = ?", [request_id]))
    if not rows:
        raise ctx.refusal("lifecycle.request_not_found", id=request_id)
    return rows[0]


def pending_requests(ctx: Context) -> list[dict]:
    return _pending(ctx)


def decide(ctx: Context, actor: str, request_id: int, approve: bool, reason: str = "") -> dict:
    """A1: the unit's manager decides the manager part, a communicator the communicator part.

    A person with both roles decides both, one decision each. A rejection by
    either (reason required) rejects the request; when both have approved the
    account is created and watched from the next tick. Returns the updated
    request row with ``part`` (the part just decided) added.
    """
    person = ctx.person(actor)
    row = get_request(ctx, request_id)
    if row["status"] != "pending":
        raise ctx.refusal("lifecycle.already_closed", id=request_id,
                            status=ctx.t(f"lifecycle.status.{row['status']}"))
    data = json.loads(row["data"])
    unit = ctx.settings.units.get(data["unit"])
    is_manager = unit is not None and unit.manager == actor
    is_communicator = person.has_role("communicator")
    if not (is_manager or is_communicator):
        raise ctx.refusal("lifecycle.not_decider", id=request_id,
                            manager=_name(ctx, unit.manager) if unit else "–")
    if is_manager and row["manager_decision"] is None:
        part = "manager"
    elif is_communicator and row["communicator_decision"] is None:
        part = "communicator"
    else:
        raise ctx.refusal("lifecycle.already_decided", id=request_id)
    reason = reason.strip()
    if not approve and not reason:
        raise ctx.refusal("lifecycle.reason_required", id=request_id)
    other = "communicator" if part == "manager" else "manager"
    complete = approve and row[f"{other}_decision"] == "approved"
    if complete:
        # The world may have changed since the request (another account took the id or channel).
        _refuse(ctx, _problems(ctx, data, exclude_request=request_id), "lifecycle.approve_blocked_header")
    now = ctx.now_ts()
    decision = "approved" if approve else "rejected"
    update: dict[str, object] = {f"{part}_decision": decision, f"{part}_by": actor, f"{part}_at": now}
    if not approve:
        update |= {"status": "rejected", "reason": reason}
    elif complete:
        update["status"] = "approved"
    with ctx.db.atomic():
        ctx.db["account_requests"].update(request_id, update)
        ctx.audit(actor, "account.decision", data["id"], request=request_id, part=part, decision=decision,
                  reason=reason)
        if not approve:
            ctx.audit(actor, "account.rejected", data["id"], request=request_id, reason=reason)
            ctx.emit(Message(
                kind="account_rejected", to=row["requested_by"], account=data["id"],
                text=ctx.t("lifecycle.rejected_notice", id=request_id, name=data["name"], person=person.name,
                           reason=reason),
            ))
        elif complete:
            _activate(ctx, request_id, data, row["requested_by"])
    if complete:
        ctx.forget_accounts()
    return get_request(ctx, request_id) | {"part": part}


def _activate(ctx: Context, request_id: int, data: dict, requester: str) -> None:
    """Store the approved account with its documentation (inside the caller's transaction)."""
    now = ctx.now_ts()
    doc = {k: data[k] for k in FIELDS if k != "id"} | {"request_id": request_id}
    row = {
        "id": data["id"], "platform": data["platform"], "name": data["name"], "channel": data["channel"],
        "unit": data["unit"], "owner": data["owner"], "status": "approved",
        "documentation": json.dumps(doc, ensure_ascii=False), "last_activity_at": now,
        "intensified_until": None, "intensified_every_hours": None, "next_intensified_at": None,
    }
    if ctx.db["accounts"].count_where("id = ?", [data["id"]]):
        ctx.db["accounts"].update(data["id"], row)
    else:
        ctx.db["accounts"].insert(row | {"created_at": now})
    ctx.audit("uppsikt", "account.approved", data["id"], request=request_id)
    text = ctx.t("lifecycle.approved_notice", name=data["name"], platform=ctx.platform_name(data["platform"]), id=data["id"],
                 owner=_name(ctx, data["owner"]), editors=_names(ctx, data["editors"]),
                 substitute=_name(ctx, data["substitute"]))
    for to in dict.fromkeys(["#" + data["channel"], requester]):
        ctx.emit(Message(kind="account_approved", to=to, account=data["id"], text=text,
                         fields=_doc_fields(ctx, data)))


def _request_state(ctx: Context, row: dict, part: str) -> str:
    decision = row[f"{part}_decision"]
    if decision is None:
        return ctx.t("lifecycle.state_waiting")
    return ctx.t(f"lifecycle.state_{decision}", person=_name(ctx, row[f"{part}_by"]))


def render_requests(ctx: Context) -> str:
    rows = pending_requests(ctx)
    if not rows:
        return ctx.t("lifecycle.no_requests")
    lines = []
    for r in rows:
        data = json.loads(r["data"])
        unit = ctx.settings.units.get(data["unit"])
        lines.append(ctx.t(
            "lifecycle.request_line", id=r["id"], name=data["name"], platform=ctx.platform_name(data["platform"]),
            unit=unit.name if unit else data["unit"], requester=_name(ctx, r["requested_by"]),
            day=from_epoch(r["requested_at"]).date().isoformat(),
            manager=_name(ctx, unit.manager) if unit else "–",
            manager_state=_request_state(ctx, r, "manager"),
            communicator_state=_request_state(ctx, r, "communicator"),
        ))
    return "\n".join(lines)


# =========================================================================== closing (A6)


def close_account(ctx: Context, actor: str, account_id: str, reason: str) -> Account:
    """A6: stop watching an account. Only its owner or a communicator; a reason is required,
    and the account's open items must be answered or closed first."""
    account = ctx.account(account_id)
    person = ctx.person(actor)
    if actor != account.owner and not person.has_role("communicator"):
        raise ctx.refusal("lifecycle.close_not_allowed", account=ctx.label(account), owner=_name(ctx, account.owner))
    reason = reason.strip()
    if not reason:
        raise ctx.refusal("lifecycle.close_reason_required", id=account.id)
    open_items = [r[0] for r in ctx.db.execute(
        f"SELECT id FROM items WHERE account_id = ? AND (status IN ({','.join('?' * len(OPEN_STATUSES))}) "
        "OR next_nudge_at IS NOT NULL) ORDER BY id",
        [account.id, *OPEN_STATUSES],
    )]
    if open_items:
        # Questions are answered first (Q1); the scheduler also needs the account for their reminders.
        raise ctx.refusal("lifecycle.close_open_items", account=ctx.label(account), count=len(open_items),
                            items=", ".join(str(i) for i in open_items[:10]))
    now = ctx.now_ts()
    closed = {"status": "closed", "intensified_until": None, "intensified_every_hours": None,
              "next_intensified_at": None}  # fmt: skip
    with ctx.db.atomic():
        if ctx.db["accounts"].count_where("id = ?", [account.id]):
            ctx.db["accounts"].update(account.id, closed)
        else:
            ctx.db["accounts"].insert({"id": account.id, "platform": account.platform, "name": account.name,
                                       "channel": account.channel, "unit": account.unit, "owner": account.owner,
                                       "created_at": now} | closed)
        ctx.audit(actor, "account.close", account.id, reason=reason)
        text = ctx.t("lifecycle.closed_notice", name=account.name, platform=ctx.platform_name(account.platform),
                     person=person.name, reason=reason)
        for to in dict.fromkeys(["#" + account.channel, *staff.communicators(ctx, ctx.today(), exclude=actor)]):
            ctx.emit(Message(kind="account_closed", to=to, account=account.id, text=text))
    ctx.forget_accounts()
    return account


# =========================================================================== two-factor (A5)


def may_attest(account: Account, person: str) -> bool:
    return person in account.staff


def attest_two_factor(ctx: Context, actor: str, account_id: str, note: str = "") -> dict:
    """A5: `actor` attests that they use two-factor authentication on the account.

    Only an attestation is recorded (who, which account, when); the bot never
    asks for a password or a code.
    """
    account = ctx.account(account_id)
    ctx.person(actor)
    if not may_attest(account, actor):
        raise ctx.refusal("lifecycle.attest_not_staff", account=ctx.label(account))
    row = {"account_id": account.id, "person": actor, "attested_at": ctx.now_ts(), "note": note.strip()[:200]}
    with ctx.db.atomic():
        ctx.db["attestations"].insert(row)
        ctx.audit(actor, "account.two_factor_attested", account.id)
    return row


def last_attestation(ctx: Context, account_id: str, person: str) -> dt.date | None:
    ts = ctx.db.execute(
        "SELECT MAX(attested_at) FROM attestations WHERE account_id = ? AND person = ?", [account_id, person]
    ).fetchone()[0]
    return from_epoch(ts).date() if ts is not None else None


def two_factor_due(ctx: Context, account: Account, person: str, today: dt.date) -> dt.date | None:
    """The date the person's attestation ran out (or None if it is valid); `today` if never attested."""
    last = last_attestation(ctx, account.id, person)
    if last is None:
        return today
    due = add_months(last, account.policy.accounts.two_factor_reattest_months)
    return due if due <= today else None


def daily(ctx: Context) -> list[Message]:
    """A5: remind every staff member without a valid two-factor attestation.

    A daily job of the scheduler agenda (bot/agenda.py: at the office's opening on business days), inside
    ``db.atomic()``; messages go to the outbox. Only on
    business days, during office hours (so the first reminders after a first start in the
    evening come the next business morning, not at once or at midnight), at most one run a
    day; one reminder per person, account and month while it is due (so a missing
    attestation is asked for again next month, not every day).
    """
    now = ctx.now()
    today = now.date()
    office = ctx.settings.policy.office
    if not office.open <= now.time() < office.close or not ctx.calendar().is_business_day(today):
        return []
    if not ctx.once(f"two_factor_day:{today.isoformat()}"):
        return []
    out: list[Message] = []
    for account in ctx.accounts.values():
        pol = account.policy.accounts
        if not pol.require_two_factor:
            continue
        for person in account.staff:
            if ctx.settings.person(person) is None:
                log.warning("account %s: %s is not a configured person; no two-factor reminder", account.id, person)
                continue
            if two_factor_due(ctx, account, person, today) is None:
                continue
            if not ctx.once(f"two_factor:{account.id}:{person}:{today.strftime('%Y-%m')}"):
                continue
            last = last_attestation(ctx, account.id, person)
            key = "lifecycle.two_factor_reminder_renew" if last else "lifecycle.two_factor_reminder"
            out.append(Message(
                kind="two_factor_reminder", to=person, account=account.id,
                text=ctx.t(key, account=account.name, platform=ctx.platform_label(account), id=account.id,
                           last=last.isoformat() if last else "", months=pol.two_factor_reattest_months),
                actions=(Action("two_factor_attest", ctx.t("lifecycle.action_attest"), account.id),),
            ))
    for m in out:
        ctx.emit(m)
    return out


# =========================================================================== information text (A7)


def information_text(ctx: Context, account_id: str, lang: str = "sv") -> str:
    """A7, Lekeberg 5.3 and Bilaga 1: the text to paste into the account's about/information field."""
    account = ctx.account(account_id)
    missing = [FIELD_WORDS[f] for f in ("purpose", "contact") if not getattr(account, f)]
    if missing:
        raise ctx.refusal("lifecycle.info_missing", account=ctx.label(account), fields=", ".join(missing))
    pol = account.policy
    unit = ctx.settings.units.get(account.unit)
    unit_name = unit.name if unit else account.unit
    municipality = ctx.settings.municipality.name
    days = pol.deadlines.first_reply_days
    parts = [
        t("lifecycle.info.welcome", lang, account=account.name, unit=unit_name, municipality=municipality),
        t("lifecycle.info.purpose", lang, purpose=account.purpose),
    ]
    if account.content:
        parts.append(t("lifecycle.info.content", lang, content=account.content))
    parts.append(t("lifecycle.info.reply_one" if days == 1 else "lifecycle.info.reply_many", lang, days=days))
    records = t("lifecycle.info.records", lang)
    if pol.records.register_synpunkter:
        records += " " + t("lifecycle.info.records_diarium", lang)
    records += " " + t("lifecycle.info.records_weeding", lang)
    parts += [t("lifecycle.info.visibility", lang), records]
    grounds = [g for g in pol.moderation.grounds if g in GROUND_IDS]
    if grounds:
        parts.append(t("lifecycle.info.forbidden", lang) + "\n"
                     + "\n".join("• " + t(f"lifecycle.info_ground.{g}", lang) for g in grounds))
        parts.append(t("lifecycle.info.consequence", lang))
    parts.append(t("lifecycle.info.contact", lang, unit=unit_name, contact=account.contact))
    return "\n\n".join(parts)


# =========================================================================== klarspråk (Q8)


def reply_check(ctx: Context, text: str) -> str:
    """Q8: one short line of feedback: LIX and level, and the start of every long sentence.

    Returns "" for a text without words.
    """
    if not re.search(r"[^\W\d_]", text):
        return ""
    r = readability(text, MAX_SENTENCE_WORDS)
    if r.words < MIN_LIX_WORDS:
        # LIX is an average over a text: a handful of words says nothing about how hard it is to read
        # (a six-word sentence with four long words scores "mycket svår").
        parts = [ctx.t("duty_klarsprak.too_short", count=r.words, min=MIN_LIX_WORDS)]
        parts.append(ctx.t("lifecycle.klarsprak.no_long"))
        return " ".join(parts)
    parts = [ctx.t("lifecycle.klarsprak.lix", lix=round(r.lix), level=r.level)]
    if r.long_sentences:
        quotes = "; ".join(f"\"{_start(s)}\"" for s in r.long_sentences)
        parts.append(ctx.t("lifecycle.klarsprak.long", max=MAX_SENTENCE_WORDS, count=len(r.long_sentences),
                           quotes=quotes))
    else:
        parts.append(ctx.t("lifecycle.klarsprak.no_long"))
    if r.lix >= HARD_LIX:
        parts.append(ctx.t("lifecycle.klarsprak.hard"))
    return " ".join(parts)


def _start(sentence: str) -> str:
    words = sentence.split()
    return " ".join(words[:QUOTE_WORDS]) + (" …" if len(words) > QUOTE_WORDS else "")


# =========================================================================== commands


def parse_fields(ctx: Context, words: list[str]) -> dict[str, object]:
    """`key=value` words (quotes around values with spaces) -> request fields."""
    text = " ".join(words).translate(_QUOTES)
    try:
        tokens = shlex.split(text)
    except ValueError:
        raise ctx.refusal("lifecycle.unbalanced_quotes") from None
    if not tokens:
        raise ctx.refusal("lifecycle.usage_request")
    fields: dict[str, object] = {}
    allowed = ", ".join(f"{w}=" for w in FIELD_WORDS.values())
    for token in tokens:
        key, eq, value = token.partition("=")
        if not eq:
            raise ctx.refusal("lifecycle.not_key_value", word=token)
        name = OPTION_NAMES.get(fold(key.strip()))
        if name is None:
            raise ctx.refusal("lifecycle.unknown_key", key=key, allowed=allowed)
        if name in fields:
            raise ctx.refusal("lifecycle.duplicate_key", key=key)
        fields[name] = value
    return fields


def _request_number(ctx: Context, words: list[str], usage: str) -> int:
    if not words:
        raise ctx.refusal(usage)
    if not is_number(words[0]):
        raise ctx.refusal("error.bad_number", what=ctx.t("lifecycle.word_request"), value=words[0])
    return int(words[0])


def _decision_reply(ctx: Context, row: dict) -> Reply:
    data = json.loads(row["data"])
    if row["status"] == "rejected":
        return Reply(ctx.t("lifecycle.reply_rejected", id=row["id"], requester=_name(ctx, row["requested_by"])))
    if row["status"] == "approved":
        return Reply(ctx.t("lifecycle.reply_approved", id=row["id"], name=data["name"], channel=data["channel"]),
                     public=True)
    waiting = "communicator" if row["part"] == "manager" else "manager"
    return Reply(ctx.t("lifecycle.reply_part_approved", id=row["id"], part=ctx.t(f"lifecycle.part.{row['part']}"),
                       waiting=ctx.t(f"lifecycle.part.{waiting}")))


def cmd_konto_lifecycle(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    """/konto ansök|godkänn|avslå|ansökningar|intyga|infotext|stäng; anything else is refused."""
    sub = fold(words[0]) if words else ""
    rest = words[1:]
    if sub in ("ansok", "ansokan"):
        request_id = request_account(ctx, actor, parse_fields(ctx, rest))
        return Reply(ctx.t("lifecycle.reply_requested", id=request_id))
    if sub == "godkann":
        number = _request_number(ctx, rest, "lifecycle.usage_approve")
        if len(rest) > 1:
            raise ctx.refusal("lifecycle.usage_approve")
        return _decision_reply(ctx, decide(ctx, actor, number, True))
    if sub in ("avsla", "avslag"):
        number = _request_number(ctx, rest, "lifecycle.usage_reject")
        return _decision_reply(ctx, decide(ctx, actor, number, False, " ".join(rest[1:])))
    if sub == "ansokningar":
        return Reply(render_requests(ctx))
    if sub in ("intyga", "tvafaktor", "2fa"):
        account_id, extra = account_arg(ctx, rest, channel, "lifecycle.usage_attest")
        if extra:
            raise ctx.refusal("lifecycle.attest_no_text", id=account_id)
        attest_two_factor(ctx, actor, account_id)
        return Reply(ctx.t("lifecycle.reply_attested", account=ctx.label(account_id),
                           months=ctx.account(account_id).policy.accounts.two_factor_reattest_months))
    if sub in ("infotext", "information"):
        account_id, _ = account_arg(ctx, rest, channel, "lifecycle.usage_info")
        return Reply(information_text(ctx, account_id, ctx.lang))
    if sub in ("stang", "avsluta"):
        account_id, reason = account_arg(ctx, rest, channel, "lifecycle.usage_close")
        account = close_account(ctx, actor, account_id, " ".join(reason))
        return Reply(ctx.t("lifecycle.reply_closed", name=account.name), public=True)
    raise ctx.refusal("lifecycle.help")


def cmd_klarsprak(ctx: Context, actor: str, words: list[str], channel: str | None) -> Reply:
    """/klarspråk TEXT – LIX and long sentences of a draft reply (Q8)."""
    if len(words) == 1 and fold(words[0]) in ("hjalp", "help"):
        return Reply(ctx.t("lifecycle.klarsprak.usage"))
    text = " ".join(words).strip()
    feedback = reply_check(ctx, text) if text else ""
    if not feedback:
        raise ctx.refusal("lifecycle.klarsprak.usage")
    return Reply(feedback)


def do_action(ctx: Context, actor: str, name: str, value: str, reason: str = "") -> Reply:
    """The buttons on `account_request` and `two_factor_reminder` messages (for the adapters)."""
    if name == "two_factor_attest":
        attest_two_factor(ctx, actor, value)
        account = ctx.account(value)
        return Reply(ctx.t("lifecycle.reply_attested", account=ctx.label(account),
                           months=account.policy.accounts.two_factor_reattest_months))
    if name not in ("account_approve", "account_reject"):
        raise ctx.refusal("lifecycle.help")
    if not is_number(str(value)):
        raise ctx.refusal("error.bad_number", what=ctx.t("lifecycle.word_request"), value=value)
    return _decision_reply(ctx, decide(ctx, actor, int(value), name == "account_approve", reason))


COMMANDS = {"konto": cmd_konto_lifecycle, "klarsprak": cmd_klarsprak}
