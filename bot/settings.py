"""Configuration: a municipality file plus its policy preset -> frozen dataclasses.

A municipality config (``config/example.toml``) names a policy preset
(``config/policies/<id>.toml``) and may override any policy value, for the whole
municipality (``[policy_overrides.<section>]``) or per account
(``[account.policy.<section>]``). Everything is validated at load time and every
problem is reported as ``file: key: what is wrong, what is expected``.
Secrets never live here; they come from the environment (see ``secrets_from_env``).
"""

from __future__ import annotations

import dataclasses
import functools
import datetime as dt
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

from bot.i18n import t
from bot.paths import EXAMPLE_CONFIG, POLICY_DIR

DEFAULT_CONFIG = EXAMPLE_CONFIG  # the shipped example (bot/paths.py: inside the package, config/ in a checkout)

GLOBAL_ROLES = (
    "communicator",
    "communications_chief",
    "crisis_group",
    "security_coordinator",
    "manager",
    "records_officer",  # arkivarie: legal holds on the archive (issue 12, R5)
)
PLATFORMS = ("facebook", "instagram", "linkedin", "youtube", "x", "tiktok", "threads", "other")
GROUND_IDS = (
    "offensive_remarks",
    "hate",
    "threats_crime",
    "illegal_imagery",
    "copyright",
    "profanity",
    "impersonation",
    "money_offers",
    "harmful_links",
    "advertising",
    "political",
    "personal_data",
    "personal_attack",
    "off_topic",
)
# Removals the law requires whatever the preset (R3, M2; Lagen (1998:112) om ansvar för elektroniska
# anslagstavlor 5 §): offensive and confidential personal data, threats and incitement, hets mot folkgrupp,
# child sexual abuse material. A preset or override may add grounds, never take these away: a policy that
# leaves one out is extended with it (docs/policies.md).
LAW_GROUNDS = ("hate", "threats_crime", "illegal_imagery", "personal_data")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
NUDGE_RE = re.compile(r"^(?:(\d{1,2})%|-(\d{1,2})h)$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class Office:
    hours: str = "08:00-17:00"

    @property
    def open(self) -> dt.time:
        return parse_time(self.hours.split("-")[0])

    @property
    def close(self) -> dt.time:
        return parse_time(self.hours.split("-")[1])


@dataclass(frozen=True)
class Deadlines:
    first_reply_days: int = 1
    full_answer_days: int = 5
    nudges: tuple[str, ...] = ("50%", "-2h")
    escalate_owner_at_deadline: bool = True
    escalate_communicator_after_days: int = 1
    # Synpunkter and critical comments get an assignee and a first-reply deadline like a question
    # (Vaggeryd "besvarar och bemöter frågor och negativa kommentarer"; Nora §5; Lekeberg 6.2).
    answer_synpunkter: bool = False


@dataclass(frozen=True)
class OversightPolicy:
    prompt_time: str = "08:30"
    reminder_time: str = "12:00"
    escalation_time: str = "15:00"
    max_days_without_check: int = 7
    intensified_every_hours: int = 3
    intensified_days: int = 2


@dataclass(frozen=True)
class Staffing:
    min_owners: int = 1
    min_editors: int = 1
    min_admins: int = 1
    require_substitute: bool = True


@dataclass(frozen=True)
class Snapshots:
    interval_months: int = 6


@dataclass(frozen=True)
class Moderation:
    grounds: tuple[str, ...] = GROUND_IDS
    repeat_offender_removals: int = 2
    repeat_offender_days: int = 90
    notify_security_on_crime: bool = True

    def __post_init__(self) -> None:
        """The grounds the law requires are always there (LAW_GROUNDS): appended when a policy omits them."""
        missing = tuple(g for g in LAW_GROUNDS if g not in self.grounds)
        if missing:
            object.__setattr__(self, "grounds", tuple(self.grounds) + missing)


@dataclass(frozen=True)
class CrisisPolicy:
    first_reply_hours: int = 2
    oversight_every_hours: int = 2


@dataclass(frozen=True)
class Records:
    retention_days: int = 90
    register_synpunkter: bool = True


@dataclass(frozen=True)
class AccountsPolicy:
    inactive_days: int = 90
    two_factor_reattest_months: int = 12
    require_two_factor: bool = True


@dataclass(frozen=True)
class PlatformPolicy:
    """Writing back to Facebook and Instagram from the card (issue 11).

    `write`: reply, hide, delete and block from Slack and Teams (needs a page token, docs/meta-write.md);
    `removal`: what a registered removal does on the platform, "hide" (avpublicera; undo the same day) or
    "delete" (hidden at once, deleted at the end of the day unless undone); `templates`: canned answers,
    each "Rubrik: text" with the placeholders {namn}, {konto} and {signatur}."""

    write: bool = False
    removal: str = "hide"
    templates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    id: str = "default"
    name: str = ""
    source: str = ""
    office: Office = field(default_factory=Office)
    deadlines: Deadlines = field(default_factory=Deadlines)
    oversight: OversightPolicy = field(default_factory=OversightPolicy)
    staffing: Staffing = field(default_factory=Staffing)
    snapshots: Snapshots = field(default_factory=Snapshots)
    moderation: Moderation = field(default_factory=Moderation)
    crisis: CrisisPolicy = field(default_factory=CrisisPolicy)
    records: Records = field(default_factory=Records)
    accounts: AccountsPolicy = field(default_factory=AccountsPolicy)
    platform: PlatformPolicy = field(default_factory=PlatformPolicy)


POLICY_SECTIONS: dict[str, type] = {
    "office": Office,
    "deadlines": Deadlines,
    "oversight": OversightPolicy,
    "staffing": Staffing,
    "snapshots": Snapshots,
    "moderation": Moderation,
    "crisis": CrisisPolicy,
    "records": Records,
    "accounts": AccountsPolicy,
    "platform": PlatformPolicy,
}
PLATFORM_REMOVALS = ("hide", "delete")

# --------------------------------------------------------------------------- municipality


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    manager: str


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    title: str
    unit: str
    roles: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    chat_id: str = ""  # optional platform user id (Slack U…, Teams object id)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else self.email

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Account:
    id: str
    platform: str
    name: str
    url: str
    unit: str
    channel: str
    owner: str
    editors: tuple[str, ...]
    substitute: str
    admins: tuple[str, ...] = ()
    purpose: str = ""
    audience: str = ""
    content: str = ""
    update_frequency: str = ""
    contact: str = ""
    external_id: str = ""
    policy: Policy = field(default_factory=Policy)

    @property
    def staff(self) -> tuple[str, ...]:
        """Everyone who may work on the account, owner first."""
        seen: dict[str, None] = {self.owner: None}
        for e in (*self.editors, self.substitute, *self.admins):
            if e:
                seen.setdefault(e, None)
        return tuple(seen)

    @property
    def administrators(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.owner, *self.admins)))


REACTION_ACTIONS = ("crisis", "remove", "take", "answered")
DEFAULT_REACTIONS: dict[str, str] = {
    "sos": "crisis",
    "rotating_light": "crisis",
    "wastebasket": "remove",
    "no_entry": "remove",
    "raising_hand": "take",
    "white_check_mark": "answered",
}


@dataclass(frozen=True)
class PublicContacts:
    """The municipality's own public contact details: never personal data (issue 15).

    `phones` holds each switchboard or service number as its national digits
    ("+46 123-45 60 00" -> "0123456000"); `email_domains` the lowercased domains of
    the municipality's own addresses (an address there, or on a subdomain, is public)."""

    phones: tuple[str, ...] = ()
    email_domains: tuple[str, ...] = ()

    def is_public_phone(self, written: str) -> bool:
        return national_digits(written) in self.phones

    def is_public_email(self, address: str) -> bool:
        domain = address.rsplit("@", 1)[-1].lower().rstrip(".")
        return any(domain == d or domain.endswith("." + d) for d in self.email_domains)


def national_digits(phone: str) -> str:
    """Digits of a Swedish phone number in national form: +46/0046 becomes a leading 0."""
    digits = "".join(c for c in phone if c.isdigit())
    if phone.strip().startswith("+46"):
        digits = "0" + digits[2:]
    elif digits.startswith("0046"):
        digits = "0" + digits[4:]
    return digits


_PUBLIC_PHONE = re.compile(r"^\+?[\d\s()-]+$")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")


SENT_MESSAGES_DAYS = 30  # how long a sent message is kept in the outbox (the chat keeps its own copy)
SENT_MESSAGES_DAYS_MAX = 36500


@dataclass(frozen=True)
class Municipality:
    name: str
    policy_id: str
    language: str = "sv"
    extra_days_off: tuple[dt.date, ...] = ()
    crisis_channel: str = "krisgruppen"
    communicator_channel: str = "kommunikation"
    primary_crisis_account: str = ""
    reactions: tuple[tuple[str, str], ...] = tuple(DEFAULT_REACTIONS.items())  # emoji name -> action
    public_contacts: PublicContacts = PublicContacts()
    # Issue 12: the archive creator (arkivbildare) named in E-ARK SIP packages and snapshots, e.g.
    # "Ekby kommun, kommunstyrelsen"; the municipality's name when not set. Its id is the organisation
    # number (organisationsnummer) or the archive's own code for it (FGS: IDENTIFICATIONCODE).
    archive_creator: str = ""
    archive_creator_id: str = ""
    sent_messages_days: int = SENT_MESSAGES_DAYS  # sent outbox rows are deleted after this many days (issue 17)


@dataclass(frozen=True)
class Settings:
    path: Path
    municipality: Municipality
    policy: Policy
    units: dict[str, Unit]
    people: dict[str, Person]
    accounts: dict[str, Account]

    def with_role(self, role: str) -> list[Person]:
        return [p for p in self.people.values() if role in p.roles]

    def person(self, email: str) -> Person | None:
        return self.people.get(email.lower())


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@functools.lru_cache(maxsize=256)
def parse_time(text: str) -> dt.time:
    m = TIME_RE.match(text.strip())
    if not m:
        raise ValueError(text)
    return dt.time(int(m.group(1)), int(m.group(2)))


# --------------------------------------------------------------------------- loading


class _Reporter:
    """Collects problems; messages come from the catalogue in the reporter's language."""

    def __init__(self, lang: str = "sv") -> None:
        self.lang = lang
        self.problems: list[Problem] = []

    def t(self, key: str, /, **values: object) -> str:
        return t(key, self.lang, **values)

    def add(self, file: Path | str, key: str, message: str) -> None:
        self.problems.append(Problem(_short(file), key, message))


def _short(path: Path | str) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _read_toml(path: Path, rep: _Reporter) -> dict | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        rep.add(path, "-", rep.t("config.file_missing"))
    except tomllib.TOMLDecodeError as exc:
        rep.add(path, "-", rep.t("config.bad_toml", error=exc))
    return None


def _type_name(tp: object, lang: str = "sv") -> str:
    name = {int: "int", bool: "bool", str: "str"}.get(tp, "list")  # type: ignore[arg-type]
    return t(f"config.type.{name}", lang)


def _coerce(value: object, tp: object) -> object:
    """Return value converted to tp, or raise TypeError."""
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is str:
        if isinstance(value, str):
            return value
    elif typing.get_origin(tp) is tuple:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
    raise TypeError


def _build_section(cls: type, data: dict, file: Path, prefix: str, rep: _Reporter, base: object | None = None) -> object:
    hints = typing.get_type_hints(cls)
    values = dataclasses.asdict(base) if base is not None else {}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items()}
    for key, value in data.items():
        if key not in hints:
            expected = ", ".join(hints)
            rep.add(file, f"{prefix}.{key}", rep.t("config.unknown_key", allowed=expected))
            continue
        try:
            values[key] = _coerce(value, hints[key])
        except TypeError:
            expected_type = _type_name(hints[key], rep.lang)
            rep.add(file, f"{prefix}.{key}", rep.t("config.wrong_type", value=repr(value), expected=expected_type))
    return cls(**values)


POLICY_MAXIMA = {
    ("deadlines", "first_reply_days"): 60, ("deadlines", "full_answer_days"): 60,
    ("deadlines", "escalate_communicator_after_days"): 60,
    ("oversight", "intensified_every_hours"): 24, ("oversight", "intensified_days"): 366,
    ("snapshots", "interval_months"): 120, ("moderation", "repeat_offender_days"): 3650,
    ("crisis", "first_reply_hours"): 168, ("crisis", "oversight_every_hours"): 24,
    ("records", "retention_days"): 36500, ("accounts", "inactive_days"): 36500,
    ("accounts", "two_factor_reattest_months"): 120,
}


def _validate_policy(policy: Policy, file: Path, prefix: str, rep: _Reporter) -> None:
    def bad(key: str, msg: str) -> None:
        rep.add(file, f"{prefix}{key}", msg)

    hours = policy.office.hours.split("-")
    if len(hours) != 2 or not all(TIME_RE.match(h.strip()) for h in hours):
        bad("office.hours", rep.t("config.bad_office_hours", value=repr(policy.office.hours)))
    elif policy.office.open >= policy.office.close:
        bad("office.hours", rep.t("config.office_order"))
    for key in ("prompt_time", "reminder_time", "escalation_time"):
        value = getattr(policy.oversight, key)
        if not TIME_RE.match(value):
            bad(f"oversight.{key}", rep.t("config.bad_time", value=repr(value)))
    o = policy.oversight
    if all(TIME_RE.match(getattr(o, k)) for k in ("prompt_time", "reminder_time", "escalation_time")):
        if not (o.prompt_time < o.reminder_time < o.escalation_time):
            bad("oversight", rep.t("config.oversight_order"))
    if not 1 <= o.max_days_without_check <= 7:
        bad("oversight.max_days_without_check", rep.t("config.max_days_range"))
    for key, lo in (("intensified_every_hours", 1), ("intensified_days", 1)):
        if getattr(o, key) < lo:
            bad(f"oversight.{key}", rep.t("config.at_least", min=lo))
    d = policy.deadlines
    if d.first_reply_days < 1:
        bad("deadlines.first_reply_days", rep.t("config.at_least_business_days", min=1))
    if d.full_answer_days < 1:
        bad("deadlines.full_answer_days", rep.t("config.at_least_business_days", min=1))
    if d.escalate_communicator_after_days < 0:
        bad("deadlines.escalate_communicator_after_days", rep.t("config.not_negative"))
    for n in d.nudges:
        m = NUDGE_RE.match(n)
        if not m or (m.group(1) and not 0 < int(m.group(1)) < 100) or (m.group(2) and int(m.group(2)) == 0):
            bad("deadlines.nudges", rep.t("config.bad_nudge", value=repr(n)))
    for g in policy.moderation.grounds:
        if g not in GROUND_IDS:
            bad("moderation.grounds", rep.t("config.unknown_ground", value=repr(g), allowed=", ".join(GROUND_IDS)))
    for sec, key in (
        ("staffing", "min_owners"), ("staffing", "min_editors"), ("staffing", "min_admins"),
        ("snapshots", "interval_months"), ("moderation", "repeat_offender_removals"),
        ("moderation", "repeat_offender_days"), ("crisis", "first_reply_hours"),
        ("crisis", "oversight_every_hours"), ("records", "retention_days"),
        ("accounts", "inactive_days"), ("accounts", "two_factor_reattest_months"),
    ):
        if getattr(getattr(policy, sec), key) < 1:
            bad(f"{sec}.{key}", rep.t("config.at_least", min=1))
    if policy.platform.removal not in PLATFORM_REMOVALS:
        bad("platform.removal", rep.t("graph.config.bad_removal", value=repr(policy.platform.removal)))
    for template in policy.platform.templates:
        title, sep, body = template.partition(":")
        if not sep or not title.strip() or not body.strip():
            bad("platform.templates", rep.t("graph.config.bad_template", value=repr(template)))
    # Upper bounds: larger values are no policy anyone means, and overflow date and epoch arithmetic at run time.
    for (sec, key), most in POLICY_MAXIMA.items():
        if getattr(getattr(policy, sec), key) > most:
            bad(f"{sec}.{key}", rep.t("config.at_most", max=most))


def _apply_overrides(policy: Policy, data: object, file: Path, prefix: str, rep: _Reporter) -> Policy:
    if not isinstance(data, dict):
        rep.add(file, prefix.rstrip("."), rep.t("config.overrides_not_table"))
        return policy
    changes: dict[str, object] = {}
    for section, values in data.items():
        cls = POLICY_SECTIONS.get(section)
        if cls is None:
            rep.add(file, f"{prefix}{section}", rep.t("config.unknown_policy_section", allowed=", ".join(POLICY_SECTIONS)))
            continue
        if not isinstance(values, dict):
            rep.add(file, f"{prefix}{section}", rep.t("config.section_not_table"))
            continue
        changes[section] = _build_section(cls, values, file, f"{prefix}{section}", rep, getattr(policy, section))
    return dataclasses.replace(policy, **changes)  # type: ignore[arg-type]


def load_policy(ref: str, relative_to: Path, rep: _Reporter, key: str) -> Policy | None:
    """A policy is named by id (config/policies/<id>.toml) or by a path."""
    candidates = [POLICY_DIR / f"{ref}.toml", relative_to.parent / ref, relative_to.parent / "policies" / f"{ref}.toml"]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        known = ", ".join(sorted(p.stem for p in POLICY_DIR.glob("*.toml")))
        rep.add(relative_to, key, rep.t("config.unknown_policy", value=repr(ref), known=known))
        return None
    data = _read_toml(path, rep)
    if data is None:
        return None
    head = data.pop("policy", {})
    unknown_head = set(head) - {"id", "name", "source"}
    for k in sorted(unknown_head):
        rep.add(path, f"policy.{k}", rep.t("config.unknown_policy_key", allowed="id, name, source"))
    policy = Policy(id=str(head.get("id", path.stem)), name=str(head.get("name", "")), source=str(head.get("source", "")))
    policy = _apply_overrides(policy, data, path, "", rep)
    _validate_policy(policy, path, "", rep)
    return policy


def _str(d: dict, key: str, file: Path, prefix: str, rep: _Reporter, required: bool = True, default: str = "") -> str:
    value = d.get(key, None)
    if value is None:
        if required:
            rep.add(file, f"{prefix}.{key}", rep.t("config.missing_text"))
        return default
    if not isinstance(value, str):
        rep.add(file, f"{prefix}.{key}", rep.t("config.wrong_type", value=repr(value), expected=_type_name(str, rep.lang)))
        return default
    return value.strip()


def _strlist(d: dict, key: str, file: Path, prefix: str, rep: _Reporter) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        rep.add(file, f"{prefix}.{key}", rep.t("config.wrong_type_list", value=repr(value)))
        return ()
    return tuple(v.strip() for v in value)


def _check_keys(d: dict, allowed: tuple[str, ...], file: Path, prefix: str, rep: _Reporter) -> None:
    for k in d:
        if k not in allowed:
            rep.add(file, f"{prefix}.{k}", rep.t("config.unknown_key", allowed=", ".join(allowed)))


MUNI_KEYS = (
    "name", "policy", "language", "extra_days_off", "crisis_channel", "communicator_channel", "primary_crisis_account",
    "public_phones", "public_email_domains", "archive_creator", "archive_creator_id", "sent_messages_days",
)
PERSON_KEYS = ("email", "name", "title", "unit", "roles", "expertise", "chat_id")
UNIT_KEYS = ("id", "name", "manager")
ACCOUNT_KEYS = (
    "id", "platform", "name", "url", "unit", "channel", "owner", "editors", "substitute", "admins",
    "purpose", "audience", "content", "update_frequency", "contact", "external_id", "policy",
)
TOP_KEYS = ("municipality", "policy_overrides", "reactions", "unit", "person", "account")


def check_config(path: Path | str = DEFAULT_CONFIG, lang: str = "sv") -> tuple[Settings | None, list[Problem]]:
    """Load and validate; returns (settings or None, every problem found).

    Problems are written in `lang` (Swedish by default). The municipality's own
    `language` key lives in the file being checked, so it cannot choose the
    language of the report: the caller does.
    """
    path = Path(path)
    rep = _Reporter(lang)
    data = _read_toml(path, rep)
    if data is None:
        return None, rep.problems
    for k in data:
        if k not in TOP_KEYS:
            rep.add(path, k, rep.t("config.unknown_section", allowed=", ".join(TOP_KEYS)))

    m = data.get("municipality")
    if not isinstance(m, dict):
        rep.add(path, "municipality", rep.t("config.municipality_missing"))
        return None, rep.problems
    _check_keys(m, MUNI_KEYS, path, "municipality", rep)
    policy_ref = _str(m, "policy", path, "municipality", rep)
    days_off: list[dt.date] = []
    raw_days_off = m.get("extra_days_off", [])
    if not isinstance(raw_days_off, list):
        rep.add(path, "municipality.extra_days_off", rep.t("config.bad_date", value=repr(raw_days_off)))
        raw_days_off = []
    for i, d in enumerate(raw_days_off):
        if isinstance(d, dt.date) and not isinstance(d, dt.datetime):
            days_off.append(d)
        else:
            rep.add(path, f"municipality.extra_days_off[{i}]", rep.t("config.bad_date", value=repr(d)))
    language = _str(m, "language", path, "municipality", rep, required=False, default="sv")
    if language not in ("sv", "en"):
        rep.add(path, "municipality.language", rep.t("config.unknown_language", value=repr(language)))
        language = "sv"
    muni = Municipality(
        name=_str(m, "name", path, "municipality", rep),
        policy_id=policy_ref,
        language=language,
        extra_days_off=tuple(days_off),
        crisis_channel=_str(m, "crisis_channel", path, "municipality", rep, required=False, default="krisgruppen"),
        communicator_channel=_str(m, "communicator_channel", path, "municipality", rep, required=False, default="kommunikation"),
        primary_crisis_account=_str(m, "primary_crisis_account", path, "municipality", rep, required=False),
        archive_creator=_str(m, "archive_creator", path, "municipality", rep, required=False),
        archive_creator_id=_str(m, "archive_creator_id", path, "municipality", rep, required=False),
    )
    reactions = _load_reactions(data.get("reactions"), path, rep)
    muni = dataclasses.replace(muni, reactions=reactions, public_contacts=_load_public_contacts(m, path, rep),
                               sent_messages_days=_sent_messages_days(m, path, rep))
    policy = load_policy(policy_ref, path, rep, "municipality.policy") if policy_ref else None
    policy = policy or Policy()
    if "policy_overrides" in data:
        policy = _apply_overrides(policy, data["policy_overrides"], path, "policy_overrides.", rep)
        _validate_policy(policy, path, "policy_overrides.", rep)

    units = _load_units(data, path, rep)
    people = _load_people(data, path, rep, units)
    accounts = _load_accounts(data, path, rep, people, units, policy)
    _check_cross(muni, units, people, accounts, path, rep)

    settings = Settings(path=path, municipality=muni, policy=policy, units=units, people=people, accounts=accounts)
    return (None if rep.problems else settings), rep.problems


def _sent_messages_days(m: dict, path: Path, rep: _Reporter) -> int:
    """`sent_messages_days`: days a sent message stays in the outbox before the daily clean-up deletes it."""
    value = m.get("sent_messages_days", SENT_MESSAGES_DAYS)
    key = "municipality.sent_messages_days"
    if isinstance(value, bool) or not isinstance(value, int):
        rep.add(path, key, rep.t("config.wrong_type", value=repr(value), expected=_type_name(int, rep.lang)))
    elif value < 1:
        rep.add(path, key, rep.t("config.at_least", min=1))
    elif value > SENT_MESSAGES_DAYS_MAX:
        rep.add(path, key, rep.t("config.at_most", max=SENT_MESSAGES_DAYS_MAX))
    else:
        return value
    return SENT_MESSAGES_DAYS


def _load_public_contacts(m: dict, path: Path, rep: _Reporter) -> PublicContacts:
    """`public_phones` and `public_email_domains`: the municipality's own, never flagged as personal data."""
    phones, domains = [], []
    for i, phone in enumerate(_strlist(m, "public_phones", path, "municipality", rep)):
        digits = national_digits(phone)
        if not _PUBLIC_PHONE.match(phone) or not 6 <= len(digits) <= 13 or not digits.startswith("0"):
            rep.add(path, f"municipality.public_phones[{i}]", rep.t("config.bad_public_phone", value=repr(phone)))
        else:
            phones.append(digits)
    for i, domain in enumerate(_strlist(m, "public_email_domains", path, "municipality", rep)):
        folded = domain.lower().removeprefix("@")
        if not _DOMAIN.match(folded):
            rep.add(path, f"municipality.public_email_domains[{i}]", rep.t("config.bad_email_domain", value=repr(domain)))
        else:
            domains.append(folded)
    return PublicContacts(tuple(dict.fromkeys(phones)), tuple(dict.fromkeys(domains)))


def _load_reactions(data: object, path: Path, rep: _Reporter) -> tuple[tuple[str, str], ...]:
    """`[reactions]` maps emoji names (without colons) to crisis, remove, take or answered."""
    if data is None:
        return tuple(DEFAULT_REACTIONS.items())
    if not isinstance(data, dict):
        rep.add(path, "reactions", rep.t("config.reactions_not_table"))
        return tuple(DEFAULT_REACTIONS.items())
    out: list[tuple[str, str]] = []
    for emoji, action in data.items():
        if action not in REACTION_ACTIONS:
            allowed = ", ".join(REACTION_ACTIONS)
            rep.add(path, f"reactions.{emoji}", rep.t("config.unknown_reaction", value=repr(action), allowed=allowed))
            continue
        out.append((emoji.strip(":"), action))
    return tuple(out)


def _table_list(data: dict, key: str, path: Path, rep: _Reporter) -> list[tuple[int, dict]]:
    items = data.get(key, [])
    if not isinstance(items, list):
        rep.add(path, key, rep.t("config.not_table_list", key=key))
        return []
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            out.append((i, item))
        else:
            rep.add(path, f"{key}[{i}]", rep.t("config.not_table", key=key))
    return out


def _load_units(data: dict, path: Path, rep: _Reporter) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for i, u in _table_list(data, "unit", path, rep):
        prefix = f"unit[{i}]"
        _check_keys(u, UNIT_KEYS, path, prefix, rep)
        uid = _str(u, "id", path, prefix, rep)
        if uid in units:
            rep.add(path, f"{prefix}.id", rep.t("config.duplicate_unit", value=repr(uid)))
            continue
        units[uid] = Unit(id=uid, name=_str(u, "name", path, prefix, rep), manager=_str(u, "manager", path, prefix, rep).lower())
    return units


def _load_people(data: dict, path: Path, rep: _Reporter, units: dict[str, Unit]) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for i, p in _table_list(data, "person", path, rep):
        prefix = f"person[{i}]"
        _check_keys(p, PERSON_KEYS, path, prefix, rep)
        email = _str(p, "email", path, prefix, rep).lower()
        if email and not EMAIL_RE.match(email):
            rep.add(path, f"{prefix}.email", rep.t("config.bad_email", value=repr(email)))
        if email in people:
            rep.add(path, f"{prefix}.email", rep.t("config.duplicate_person", value=repr(email)))
            continue
        unit = _str(p, "unit", path, prefix, rep)
        if unit and unit not in units:
            rep.add(path, f"{prefix}.unit", rep.t("config.unknown_unit_known", value=repr(unit), known=", ".join(units)))
        roles = _strlist(p, "roles", path, prefix, rep)
        for r in roles:
            if r not in GLOBAL_ROLES:
                allowed = ", ".join(GLOBAL_ROLES)
                rep.add(path, f"{prefix}.roles", rep.t("config.unknown_role", value=repr(r), allowed=allowed))
        people[email] = Person(
            email=email,
            name=_str(p, "name", path, prefix, rep),
            title=_str(p, "title", path, prefix, rep),
            unit=unit,
            roles=roles,
            expertise=_strlist(p, "expertise", path, prefix, rep),
            chat_id=_str(p, "chat_id", path, prefix, rep, required=False),
        )
    return people


def _load_accounts(
    data: dict, path: Path, rep: _Reporter, people: dict[str, Person], units: dict[str, Unit], policy: Policy
) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for i, a in _table_list(data, "account", path, rep):
        prefix = f"account[{i}]"
        _check_keys(a, ACCOUNT_KEYS, path, prefix, rep)
        aid = _str(a, "id", path, prefix, rep)
        if aid and not ID_RE.match(aid):
            rep.add(path, f"{prefix}.id", rep.t("config.bad_account_id", value=repr(aid)))
        if aid in accounts:
            rep.add(path, f"{prefix}.id", rep.t("config.duplicate_account", value=repr(aid)))
            continue
        platform = _str(a, "platform", path, prefix, rep)
        if platform and platform not in PLATFORMS:
            allowed = ", ".join(PLATFORMS)
            rep.add(path, f"{prefix}.platform", rep.t("config.unknown_platform", value=repr(platform), allowed=allowed))
        unit = _str(a, "unit", path, prefix, rep)
        if unit and unit not in units:
            rep.add(path, f"{prefix}.unit", rep.t("config.unknown_unit", value=repr(unit)))
        owner = _str(a, "owner", path, prefix, rep).lower()
        editors = tuple(e.lower() for e in _strlist(a, "editors", path, prefix, rep))
        admins = tuple(e.lower() for e in _strlist(a, "admins", path, prefix, rep))
        substitute = _str(a, "substitute", path, prefix, rep, required=False).lower()
        for key, emails in (("owner", [owner]), ("editors", editors), ("admins", admins), ("substitute", [substitute])):
            for e in emails:
                if e and e not in people:
                    rep.add(path, f"{prefix}.{key}", rep.t("config.unknown_person", value=repr(e)))
        acc_policy = policy
        if "policy" in a:
            acc_policy = _apply_overrides(policy, a["policy"], path, f"{prefix}.policy.", rep)
            _validate_policy(acc_policy, path, f"{prefix}.policy.", rep)
        channel = _str(a, "channel", path, prefix, rep).lstrip("#")
        accounts[aid] = Account(
            id=aid,
            platform=platform,
            name=_str(a, "name", path, prefix, rep),
            url=_str(a, "url", path, prefix, rep, required=False),
            unit=unit,
            channel=channel,
            owner=owner,
            editors=editors,
            substitute=substitute,
            admins=admins,
            purpose=_str(a, "purpose", path, prefix, rep, required=False),
            audience=_str(a, "audience", path, prefix, rep, required=False),
            content=_str(a, "content", path, prefix, rep, required=False),
            update_frequency=_str(a, "update_frequency", path, prefix, rep, required=False),
            contact=_str(a, "contact", path, prefix, rep, required=False),
            external_id=_str(a, "external_id", path, prefix, rep, required=False),
            policy=acc_policy,
        )
        _check_staffing(accounts[aid], path, prefix, rep)
    return accounts


def staffing_shortfalls(st: Staffing, owner: str, editors: typing.Sequence[str], administrators: typing.Sequence[str],
                        substitute: str) -> list[tuple[str, dict[str, int]]]:
    """Rule A4, the one place it is written: what a set of staff lacks against the policy's minimums, as
    (shortfall, values) with shortfall owners, editors, admins, substitute_missing or substitute_is_owner.
    The config check and an account request (bot/core/accounts.py) each word it in their own sentences."""
    out: list[tuple[str, dict[str, int]]] = []
    owners = 1 if owner else 0
    if owners < st.min_owners:
        out.append(("owners", {"count": owners, "min": st.min_owners}))
    editors = [e for e in editors if e != owner]
    if len(editors) < st.min_editors:
        out.append(("editors", {"count": len(editors), "min": st.min_editors}))
    if len(administrators) < st.min_admins:
        out.append(("admins", {"count": len(administrators), "min": st.min_admins}))
    if st.require_substitute and not substitute:
        out.append(("substitute_missing", {}))
    elif substitute and substitute == owner:
        out.append(("substitute_is_owner", {}))
    return out


# A4 shortfall -> (config field, catalogue key, the values its sentence uses)
_CONFIG_STAFFING = {
    "owners": ("owner", "config.no_owner", ("min",)),
    "editors": ("editors", "config.too_few_editors", ("count", "min")),
    "admins": ("admins", "config.too_few_admins", ("count", "min")),
    "substitute_missing": ("substitute", "config.no_substitute", ()),
    "substitute_is_owner": ("substitute", "config.substitute_is_owner", ()),
}


def _check_staffing(acc: Account, path: Path, prefix: str, rep: _Reporter) -> None:
    """Rule A4: owner, editors, administrators and a substitute."""
    for shortfall, values in staffing_shortfalls(acc.policy.staffing, acc.owner, acc.editors, acc.administrators,
                                                 acc.substitute):
        field, key, names = _CONFIG_STAFFING[shortfall]
        rep.add(path, f"{prefix}.{field}", rep.t(key, **{n: values[n] for n in names}))


def _check_cross(
    muni: Municipality, units: dict[str, Unit], people: dict[str, Person], accounts: dict[str, Account],
    path: Path, rep: _Reporter,
) -> None:
    if not accounts:
        rep.add(path, "account", rep.t("config.no_accounts"))
    for role in ("communicator", "crisis_group", "security_coordinator"):
        if not any(role in p.roles for p in people.values()):
            label = rep.t(f"config.role_label.{role}")
            rep.add(path, "person.roles", rep.t("config.missing_role", role=repr(role), label=label))
    for uid, unit in units.items():
        if unit.manager and unit.manager not in people:
            rep.add(path, f"unit[{uid}].manager", rep.t("config.unknown_person", value=repr(unit.manager)))
    if muni.primary_crisis_account and muni.primary_crisis_account not in accounts:
        rep.add(
            path, "municipality.primary_crisis_account",
            rep.t("config.unknown_crisis_account", value=repr(muni.primary_crisis_account), known=", ".join(accounts)),
        )
    channels: dict[str, str] = {}
    for acc in accounts.values():
        if acc.channel in channels:
            taken = rep.t("config.channel_taken", value=repr(acc.channel), account=repr(channels[acc.channel]))
            rep.add(path, f"account[{acc.id}].channel", taken)
        channels[acc.channel] = acc.id
        if acc.external_id and any(o.external_id == acc.external_id for o in accounts.values() if o.id != acc.id):
            rep.add(path, f"account[{acc.id}].external_id", rep.t("config.external_id_taken", value=repr(acc.external_id)))


def load_settings(path: Path | str = DEFAULT_CONFIG, lang: str = "sv") -> Settings:
    """Load and validate; a ConfigError lists every problem, written in `lang`."""
    settings, problems = check_config(path, lang)
    if settings is None:
        raise ConfigError(problems)
    return settings


# --------------------------------------------------------------------------- secrets


@dataclass(frozen=True)
class Secrets:
    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    meta_app_secret: str = ""  # Meta app secret: verifies X-Hub-Signature-256 on POST /webhooks/meta
    meta_verify_token: str = ""  # chosen by you, typed into Meta's webhook settings: GET /webhooks/meta handshake
    intake_secret: str = ""  # shared with Power Automate / Zapier / Make: signs POST /webhooks/intake

    def __repr__(self) -> str:  # never print secrets
        shown = {f.name: ("***" if getattr(self, f.name) else "") for f in dataclasses.fields(self)}
        return f"Secrets({shown})"


def secrets_from_env(env: typing.Mapping[str, str] | None = None) -> Secrets:
    env = os.environ if env is None else env
    return Secrets(
        slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
        slack_app_token=env.get("SLACK_APP_TOKEN", ""),
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
        meta_app_secret=env.get("META_APP_SECRET", ""),
        meta_verify_token=env.get("META_VERIFY_TOKEN", ""),
        intake_secret=env.get("INTAKE_SECRET", ""),
    )


__all__ = [
    "Account", "ConfigError", "Municipality", "Person", "Policy", "Problem", "Secrets", "Settings", "Unit",
    "check_config", "load_settings", "secrets_from_env",
]
