"""The channel-health check and backfill run (issue 12 points 1 and 2): the Graph API side.

`ChannelWatch.run` asks the Bot which accounts are due (bot/core/channels.py `plans`), then per account,
outside the entry-point lock, reads the token (`debug_token`), the Page's webhook subscription
(`subscribed_apps`) and the account's recent posts with their comments and replies since the last event
seen (newest first, a page at a time with Meta's `after` cursors, bounded by `MAX_POSTS`/`MAX_PAGES` and
`POST_LOOKBACK_DAYS`), and hands what it found back through the Bot's methods: `channel_checked` (problems,
alarms, repair) and `backfill_delivery` (one delivery through bot/core/deliveries.py, all or nothing). A read
that fails part-way delivers nothing and is tried again (`backfill_failed`, with a growing wait).

The scheduler runs it every few minutes (bot/jobs.py; the core decides what is due: the daily check from
06:30, retries) and once at start-up in a thread of its own, so a slow or unreachable Graph API never holds up
the start, the lock or the tick. One run at a time: a run that finds another under way returns at once.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from bot.core import channels
from bot.core.channels import Check, Plan
from bot.core.platform import GraphError, MetaPort

if TYPE_CHECKING:
    from bot.facade import Bot

log = logging.getLogger("uppsikt.channels")


class ChannelWatch:
    def __init__(self, bot: Bot, port: MetaPort):
        self.bot = bot
        self.port = port
        self._running = threading.Lock()

    def run(self, startup: bool = False) -> dict[str, list[str]]:
        """Check every account that is due (all of them at `startup`); returns account -> problem codes."""
        if not self._running.acquire(blocking=False):
            return {}
        try:
            out = {}
            for plan in self.bot.channel_plans(startup, self.port.has_token):
                try:
                    out[plan.account_id] = self._one(plan)
                except Exception:  # noqa: BLE001 - one account's failure never stops the others' checks
                    log.exception("channel health: the check of account %s failed", plan.account_id)
            return out
        finally:
            self._running.release()

    def _one(self, plan: Plan) -> list[str]:
        check = Check(started_at=self.bot.now_ts())
        account_id = plan.account_id
        try:
            check.token = self.port.token_info(account_id)
        except GraphError as exc:
            if exc.kind == "token":
                check.token_error = str(exc)
            else:
                check.error, check.error_kind = str(exc), exc.kind
        if check.token is not None and check.token.valid:
            page = check.token.profile_id or plan.owner_id  # an Instagram account's webhooks: its linked Page
            try:
                check.subscriptions = self.port.subscribed_apps(account_id, page)
            except GraphError as exc:  # e.g. pages_manage_metadata withdrawn: the scopes say so
                log.warning("channel health: subscribed_apps of account %s: %s (%s)", account_id, exc.kind, exc)
            try:
                check.rows = self._read(plan)
            except GraphError as exc:
                check.error, check.error_kind = str(exc), exc.kind
        outcome = self.bot.channel_checked(account_id, check, plan.reason)
        codes = [p["code"] for p in outcome.problems]
        if check.rows is not None:
            try:
                result = self.bot.backfill_delivery(account_id, check)
            except Exception as exc:  # noqa: BLE001 - rolled back whole; tried again later
                log.exception("channel health: storing the backfill of account %s failed", account_id)
                self.bot.backfill_failed(account_id, plan.since, f"store: {type(exc).__name__}: {exc}")
            else:
                log.info("channel health: account %s checked (%s); backfill since %s: %s", account_id,
                         plan.reason, plan.since, result.counts)
        elif not check.token_error and not (check.token is not None and not check.token.valid):
            # Meta could not be read (network, 5xx, rate limit): nothing was taken in; try again later.
            self.bot.backfill_failed(account_id, plan.since, f"read: {check.error_kind}: {check.error}")
            log.warning("channel health: account %s could not be read (%s); tried again later", account_id,
                        check.error_kind)
        return codes

    def _read(self, plan: Plan) -> list[dict]:
        """The account's posts since `plan.since` (and those up to POST_LOOKBACK_DAYS older, for their new
        comments) with their comments and replies, as Graph JSON rows tagged `_kind` and `_parent`."""
        account_id, source = plan.account_id, plan.source
        oldest_post = plan.since - channels.POST_LOOKBACK_DAYS * 86400
        posts: list[dict] = []
        after = ""
        for _ in range(channels.MAX_PAGES):
            chunk = self.port.posts(account_id, source, plan.owner_id, after)
            done = False
            for row in chunk.rows:
                created = channels.created_of(row)
                if (created is not None and created < oldest_post) or len(posts) >= channels.MAX_POSTS:
                    done = True
                    break
                posts.append(row)
            if done or not chunk.after:
                break
            after = chunk.after
        rows: list[dict] = []
        for post in posts:
            created = channels.created_of(post) or 0
            if created >= plan.since:
                rows.append({**post, "_kind": "post"})
            if source == "instagram" and post.get("comments_count") == 0:
                continue
            updated = channels.created_of({"created_time": post.get("updated_time")}) if source == "facebook" else None
            if updated is not None and updated < plan.since:
                continue  # Facebook: no comment since (a comment moves the post's updated_time)
            rows += self._comments(plan, str(post["id"]))
        return rows

    def _comments(self, plan: Plan, post_id: str) -> list[dict]:
        out: list[dict] = []
        after = ""
        for _ in range(channels.MAX_PAGES):
            chunk = self.port.comments(plan.account_id, plan.source, post_id, after)
            older = False
            for row in chunk.rows:
                nested = row.get("replies") if isinstance(row.get("replies"), dict) else {}
                parent = row.get("parent") if isinstance(row.get("parent"), dict) else {}
                comment = {k: v for k, v in row.items() if k != "replies"}
                created = channels.created_of(row)
                if created is not None and created < plan.since:
                    older = True
                else:
                    out.append({**comment, "_kind": "comment", "_parent": str(parent.get("id") or post_id)})
                for reply in nested.get("data") or []:  # Instagram: replies come with their comment
                    if isinstance(reply, dict) and (channels.created_of(reply) or 0) >= plan.since:
                        out.append({**reply, "_kind": "comment", "_parent": str(row.get("id", ""))})
            # Facebook lists newest first: past `since` there is nothing more to read. Instagram's order is not
            # documented: read on (bounded).
            if (older and plan.source == "facebook") or not chunk.after:
                break
            after = chunk.after
        return out


__all__ = ["ChannelWatch"]
