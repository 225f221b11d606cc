"""The App Home tab: what one person is responsible for, read from the core.

For everyone: my open items sorted by deadline (with an "answered" button),
my oversight duties today (accounts where I am the responsible person today,
`staff.responsible_for`), my absences and the crisis status. Communicators
also get an overview of every account: watched today, overdue items and the
next snapshot (`records.snapshot_status`). Published with ``views.publish``
when the tab is opened and after a button on it is used. The view stays
within Slack's limits (100 blocks, 3000 characters per section) and is
validated with ``slack_sdk.models.views.View`` before it is sent.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.adapters.slack.blocks import escape, split_lines, truncate
from bot.adapters.slack.ids import ActionId, UiId
from bot.bootstrap import Bot
from bot.clock import from_epoch
from bot.core import crisis, items, oversight, records, staff
from bot.core.context import Context

MAX_ITEMS = 15
MAX_DUTIES = 10
MAX_OVERVIEW = 40
EXCERPT = 200
SECTION_MAX = 3000
MAX_BLOCKS = 100


def _md(text: str) -> dict:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str, accessory: dict | None = None) -> dict:
    block = {"type": "section", "text": _md(truncate(text, SECTION_MAX))}
    if accessory:
        block["accessory"] = accessory
    return block


def _header(text: str) -> list[dict]:
    return [{"type": "divider"}, {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}]


def _button(action_id: str, label: str, value: str = "", primary: bool = False) -> dict:
    b = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label[:75], "emoji": True}}
    if value:
        b["value"] = value
    if primary:
        b["style"] = "primary"
    return b


def _lines(lines: list[str]) -> list[dict]:
    return [_section(chunk) for chunk in split_lines("\n".join(lines), SECTION_MAX, 5)]


def _time(ts: int | None) -> str:
    return from_epoch(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


# --------------------------------------------------------------------------- parts


def my_items(ctx: Context, email: str) -> list[dict]:
    """Open items assigned to `email`, earliest deadline first (items without a deadline last)."""
    marks = ",".join("?" * len(items.OPEN_STATUSES))
    rows = list(ctx.db.query(
        f"SELECT * FROM items WHERE assignee = ? AND status IN ({marks}) "
        "ORDER BY COALESCE(CASE status WHEN 'open' THEN first_reply_due ELSE full_answer_due END, 1e18), id",
        [email, *items.OPEN_STATUSES],
    ))
    return rows


def _item_blocks(ctx: Context, email: str) -> list[dict]:
    rows = my_items(ctx, email)
    blocks = _header(ctx.t("slack.home.items_header"))
    if not rows:
        return blocks + [_section(ctx.t("slack.home.no_items"))]
    now = ctx.now_ts()
    for item in rows[:MAX_ITEMS]:
        due_ts = item["first_reply_due"] if item["status"] == "open" else item["full_answer_due"]
        key = "slack.home.due_first" if item["status"] == "open" else "slack.home.due_full"
        due = ctx.t(key, due=_time(due_ts)) if due_ts else ctx.t("slack.home.no_due")
        if due_ts and due_ts < now:
            due = ctx.t("slack.home.overdue", due=due)
        account = ctx.accounts.get(item["account_id"])
        name = account.name if account else item["account_id"]
        text = ctx.t("slack.home.item_line", id=item["id"], account=escape(name),
                     status=ctx.t(f"status.{item['status']}"), due=due,
                     text=">" + truncate(escape(" ".join(item["text"].split())), EXCERPT))
        blocks.append(_section(text, _button(ActionId.ANSWERED, ctx.t("action.answered"), str(item["id"]))))
    if len(rows) > MAX_ITEMS:
        more = ctx.t("slack.home.more_items", count=len(rows) - MAX_ITEMS)
        blocks.append({"type": "context", "elements": [_md(more)]})
    return blocks


def _duty_blocks(ctx: Context, email: str) -> list[dict]:
    day = ctx.today()
    blocks = _header(ctx.t("slack.home.duties_header"))
    duties = []
    for acc in ctx.accounts.values():
        who, why = staff.responsible_for(ctx, acc, day)
        if who == email and oversight.is_watch_day(ctx, acc, day):
            duties.append((acc, why))
    if not duties:
        return blocks + [_section(ctx.t("slack.home.no_duties"))]
    for acc, why in duties[:MAX_DUTIES]:
        checks = oversight.checks_on(ctx, acc.id, day)
        if checks:
            last = checks[-1]
            text = ctx.t("slack.home.duty_done", account=escape(acc.name), platform=acc.platform,
                         who=escape(ctx.person(last["person"]).name),
                         time=from_epoch(last["checked_at"]).strftime("%H:%M"))
            blocks.append(_section(text))
        else:
            text = ctx.t("slack.home.duty_todo", account=escape(acc.name), platform=acc.platform)
            if why:
                text += "\n" + ctx.t("slack.home.duty_stand_in", why=escape(why))
            done = _button(ActionId.OVERSIGHT_DONE, ctx.t("action.oversight_done"), acc.id, primary=True)
            blocks.append(_section(text, done))
    return blocks


def _absence_blocks(ctx: Context, email: str) -> list[dict]:
    blocks = _header(ctx.t("slack.home.absences_header"))
    rows = staff.absences(ctx, email, on_or_after=ctx.today())
    if not rows:
        return blocks + [_section(ctx.t("slack.home.no_absences"))]
    return blocks + _lines([
        ctx.t("slack.home.absence_line", start=a.start, end=a.end,
              substitute=escape(ctx.person(a.substitute).name) if a.substitute else "–", reason=escape(a.reason))
        for a in rows
    ])


def _overview_blocks(ctx: Context) -> list[dict]:
    day = ctx.today()
    late: dict[str, int] = {}
    for item in items.overdue(ctx):
        late[item["account_id"]] = late.get(item["account_id"], 0) + 1
    snapshots = {s["account_id"]: s for s in records.snapshot_status(ctx)}
    lines = []
    accounts = list(ctx.accounts.values())
    for acc in accounts[:MAX_OVERVIEW]:
        checks = oversight.checks_on(ctx, acc.id, day)
        if checks:
            watched = ctx.t("slack.home.watched", who=escape(ctx.person(checks[-1]["person"]).name))
        elif oversight.is_watch_day(ctx, acc, day):
            who = staff.responsible_for(ctx, acc, day)[0]
            watched = ctx.t("slack.home.not_watched", who=escape(ctx.person(who).name))
        else:
            watched = ctx.t("slack.home.no_watch")
        snap = snapshots.get(acc.id)
        snapshot = "–"
        if snap:
            snapshot = ctx.t("slack.home.snapshot_late", date=snap["next_due"]) if snap["overdue"] else snap["next_due"]
        lines.append(ctx.t("slack.home.overview_line", account=escape(acc.name), id=acc.id, watched=watched,
                           overdue=late.get(acc.id, 0), snapshot=snapshot))
    blocks = _header(ctx.t("slack.home.overview_header")) + _lines(lines)
    if len(accounts) > MAX_OVERVIEW:
        blocks.append({"type": "context", "elements": [_md(ctx.t("slack.home.more_accounts",
                                                                  count=len(accounts) - MAX_OVERVIEW))]})
    return blocks


# --------------------------------------------------------------------------- the view


def build(ctx: Context, email: str | None) -> dict:
    """The Home view for a configured person (or a short explanation for anyone else)."""
    title = {"type": "header", "text": {"type": "plain_text", "text": "Uppsikt", "emoji": True}}
    person = ctx.settings.person(email) if email else None
    if person is None:
        return {"type": "home", "blocks": [title, _section(ctx.t("slack.home.unknown"))]}
    blocks = [
        title,
        _section(ctx.t("slack.home.hello", name=escape(person.first_name), time=ctx.now().strftime("%Y-%m-%d %H:%M"))),
        {"type": "actions", "elements": [_button(UiId.DOCUMENT_ACCOUNT, ctx.t("slack.home.document_account"))]},
        *_header(ctx.t("slack.home.crisis_header")),
        _section(escape(crisis.status_text(ctx))),
        *_item_blocks(ctx, person.email),
        *_duty_blocks(ctx, person.email),
        *_absence_blocks(ctx, person.email),
    ]
    if person.has_role("communicator"):
        blocks += _overview_blocks(ctx)
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def validate(view: dict) -> None:
    """Raise SlackObjectFormationError when Slack would refuse the view."""
    View(**view).validate_json()


def publish(client: WebClient, bot: Bot, user_id: str, email: str | None) -> dict:
    with bot.lock:
        view = build(bot.ctx, email)
    validate(view)
    client.views_publish(user_id=user_id, view=view)
    return view
