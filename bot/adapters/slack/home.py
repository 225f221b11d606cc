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
from bot.facade import Bot, Dashboard, from_epoch

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


def _item_blocks(bot: Bot, board: Dashboard) -> list[dict]:
    t = bot.t
    blocks = _header(t("slack.home.items_header"))
    if not board.items:
        return blocks + [_section(t("slack.home.no_items"))]
    for item in board.items[:MAX_ITEMS]:
        key = "slack.home.due_first" if item.status == "open" else "slack.home.due_full"
        due = t(key, due=_time(item.due_at)) if item.due_at else t("slack.home.no_due")
        if item.overdue:
            due = t("slack.home.overdue", due=due)
        text = t("slack.home.item_line", id=item.id, account=escape(item.account),
                 status=t(f"status.{item.status}"), due=due,
                 text=">" + truncate(escape(" ".join(item.text.split())), EXCERPT))
        blocks.append(_section(text, _button(ActionId.ANSWERED, t("action.answered"), str(item.id))))
    if len(board.items) > MAX_ITEMS:
        more = t("slack.home.more_items", count=len(board.items) - MAX_ITEMS)
        blocks.append({"type": "context", "elements": [_md(more)]})
    return blocks


def _duty_blocks(bot: Bot, board: Dashboard) -> list[dict]:
    t = bot.t
    blocks = _header(t("slack.home.duties_header"))
    if not board.duties:
        return blocks + [_section(t("slack.home.no_duties"))]
    for duty in board.duties[:MAX_DUTIES]:
        if duty.done_by is not None:
            text = t("slack.home.duty_done", account=escape(duty.account), platform=duty.platform,
                     who=escape(duty.done_by), time=from_epoch(duty.done_at).strftime("%H:%M"))
            blocks.append(_section(text))
        else:
            text = t("slack.home.duty_todo", account=escape(duty.account), platform=duty.platform)
            if duty.stand_in:
                text += "\n" + t("slack.home.duty_stand_in", why=escape(duty.stand_in))
            done = _button(ActionId.OVERSIGHT_DONE, t("action.oversight_done"), duty.account_id, primary=True)
            blocks.append(_section(text, done))
    return blocks


def _absence_blocks(bot: Bot, board: Dashboard) -> list[dict]:
    t = bot.t
    blocks = _header(t("slack.home.absences_header"))
    if not board.absences:
        return blocks + [_section(t("slack.home.no_absences"))]
    return blocks + _lines([
        t("slack.home.absence_line", start=a.start, end=a.end,
          substitute=escape(a.substitute) if a.substitute else "–", reason=escape(a.reason))
        for a in board.absences
    ])


def _overview_blocks(bot: Bot, board: Dashboard) -> list[dict]:
    t = bot.t
    lines = []
    for acc in board.overview or []:
        if acc.watched_by is not None:
            watched = t("slack.home.watched", who=escape(acc.watched_by))
        elif acc.responsible is not None:
            watched = t("slack.home.not_watched", who=escape(acc.responsible))
        else:
            watched = t("slack.home.no_watch")
        snapshot = "–"
        if acc.snapshot_due:
            snapshot = t("slack.home.snapshot_late", date=acc.snapshot_due) if acc.snapshot_overdue else acc.snapshot_due
        lines.append(t("slack.home.overview_line", account=escape(acc.account), id=acc.account_id, watched=watched,
                       overdue=acc.overdue, snapshot=snapshot))
    blocks = _header(t("slack.home.overview_header")) + _lines(lines)
    if board.accounts_total > MAX_OVERVIEW:
        blocks.append({"type": "context", "elements": [_md(t("slack.home.more_accounts",
                                                              count=board.accounts_total - MAX_OVERVIEW))]})
    return blocks


# --------------------------------------------------------------------------- the view


def build(bot: Bot, email: str | None) -> dict:
    """The Home view for a configured person (or a short explanation for anyone else)."""
    t = bot.t
    title = {"type": "header", "text": {"type": "plain_text", "text": "Uppsikt", "emoji": True}}
    board = bot.dashboard(email, max_accounts=MAX_OVERVIEW)
    if not board.known:
        return {"type": "home", "blocks": [title, _section(t("slack.home.unknown"))]}
    blocks = [
        title,
        _section(t("slack.home.hello", name=escape(board.first_name), time=board.now.strftime("%Y-%m-%d %H:%M"))),
        {"type": "actions", "elements": [_button(UiId.DOCUMENT_ACCOUNT, t("slack.home.document_account"))]},
        *_header(t("slack.home.crisis_header")),
        _section(escape(board.crisis)),
        *_item_blocks(bot, board),
        *_duty_blocks(bot, board),
        *_absence_blocks(bot, board),
    ]
    if board.overview is not None:
        blocks += _overview_blocks(bot, board)
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def validate(view: dict) -> None:
    """Raise SlackObjectFormationError when Slack would refuse the view."""
    View(**view).validate_json()


def publish(client: WebClient, bot: Bot, user_id: str, email: str | None) -> dict:
    view = build(bot, email)
    validate(view)
    client.views_publish(user_id=user_id, view=view)
    return view
