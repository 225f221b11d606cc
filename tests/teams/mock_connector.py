"""A local mock of the Bot Framework / Teams connector, served by aiohttp on 127.0.0.1.

Its URL is the ``serviceUrl`` of the activities the tests post, so everything the
SDK sends back (replies, proactive posts, card updates, member look-ups,
conversation creation) lands here and is recorded:

* ``POST /v3/conversations`` – create a conversation -> ``{"id": "a:chat-<n>"}``
* ``POST /v3/conversations/{id}/activities`` – send -> ``{"id": "<n>"}``
* ``POST /v3/conversations/{id}/activities/{replyToId}`` – reply -> ``{"id": "<n>"}``
* ``PUT /v3/conversations/{id}/activities/{activityId}`` – update -> ``{"id": activityId}``
* ``GET /v3/conversations/{id}/members/{userId}`` – a member (from `members`) or 404
* ``GET /v3/conversations/{id}/pagedMembers`` – every member, two per page
* ``GET /v3/teams/{teamId}/conversations`` – the team's channels (from `teams`)

`fail(status, times=, retry_after=, method=, path_contains=)` makes the next
matching calls fail (429 with Retry-After, 500, 404 …). Everything runs on the
`LoopThread` the tests share with the app.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


class LoopThread:
    """An asyncio loop in a daemon thread: the servers run there, the test code stays synchronous."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="teams-test-loop", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@dataclass
class Call:
    method: str
    path: str
    conversation: str = ""
    activity_id: str = ""  # the replied-to or updated activity
    body: Any = None
    status: int = 200
    result_id: str = ""  # the id the mock gave a new activity

    @property
    def text(self) -> str:
        """The activity's text, or the text of its card (TextRuns, TextBlocks and facts), for assertions."""
        body = self.body or {}
        parts = [body.get("text") or ""]
        for attachment in body.get("attachments") or []:
            parts.append(card_text(attachment.get("content") or {}))
        return "\n".join(p for p in parts if p)

    @property
    def card(self) -> dict | None:
        for attachment in (self.body or {}).get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment.get("content")
        return None


def card_text(card: dict) -> str:
    out: list[str] = []
    for element in card.get("body") or []:
        kind = element.get("type")
        if kind == "RichTextBlock":
            out.append("".join(r.get("text", "") for r in element.get("inlines") or []))
        elif kind == "TextBlock":
            out.append(element.get("text", ""))
        elif kind == "FactSet":
            out += [f"{f['title']}: {f['value']}" for f in element.get("facts") or []]
    return "\n".join(out)


def verbs(card: dict | None) -> list[str]:
    """The core action names of a card's buttons, in order."""
    return [a["data"]["uppsikt"] for e in (card or {}).get("body", []) if e.get("type") == "ActionSet"
            for a in e.get("actions", [])]


@dataclass
class Failure:
    status: int
    times: int
    retry_after: str | None = None
    method: str | None = None
    path_contains: str | None = None


@dataclass
class MockConnector:
    members: dict[str, dict] = field(default_factory=dict)  # Teams user id -> member JSON
    teams: dict[str, list[dict]] = field(default_factory=dict)  # team id -> [{"id", "name"}]
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    base_url: str = ""

    def __post_init__(self) -> None:
        self._ids = itertools.count(1000)
        self._runner: web.AppRunner | None = None
        self.activities: dict[str, dict] = {}  # activity id -> latest body (after updates)

    # ------------------------------------------------------------------ lifecycle (call on the loop)
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{user}", self._member)
        app.router.add_get("/v3/conversations/{conversation}/pagedMembers", self._paged_members)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        app.router.add_get("/v3/teams/{team}/conversations", self._channels)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ scripting
    def fail(self, status: int, *, times: int = 1, retry_after: float | None = None, method: str | None = None,
             path_contains: str | None = None) -> None:
        self.failures.append(Failure(status, times, None if retry_after is None else str(retry_after), method,
                                     path_contains))

    def _failure(self, request: web.Request) -> web.Response | None:
        for f in self.failures:
            if f.times > 0 and (f.method is None or f.method == request.method) and \
                    (f.path_contains is None or f.path_contains in request.path):
                f.times -= 1
                headers = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
                return web.json_response({"error": {"code": "Throttled" if f.status == 429 else "Error"}},
                                         status=f.status, headers=headers)
        return None

    # ------------------------------------------------------------------ reading what happened
    def sent(self, conversation: str | None = None) -> list[Call]:
        """New messages (sends and replies), optionally in one conversation (thread suffix ignored)."""
        return [c for c in self.calls if c.method == "POST" and c.status < 300 and "/activities" in c.path
                and (conversation is None or c.conversation.split(";")[0] == conversation)]

    def updates(self, activity_id: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT" and c.status < 300
                and (activity_id is None or c.activity_id == activity_id)]

    def texts(self, conversation: str | None = None) -> list[str]:
        return [c.text for c in self.sent(conversation)]

    def last(self, conversation: str | None = None) -> Call:
        return self.sent(conversation)[-1]

    def clear(self) -> None:
        self.calls.clear()

    # ------------------------------------------------------------------ handlers
    async def _record(self, request: web.Request) -> tuple[Call, web.Response | None]:
        body = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        call = Call(request.method, request.path, request.match_info.get("conversation", ""),
                    request.match_info.get("activity", ""), body)
        self.calls.append(call)
        failed = self._failure(request)
        if failed is not None:
            call.status = failed.status
        return call, failed

    async def _send(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed is not None:
            return failed
        call.result_id = str(next(self._ids))
        self.activities[call.result_id] = call.body
        return web.json_response({"id": call.result_id}, status=201)

    _reply = _send

    async def _update(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed is not None:
            return failed
        if call.activity_id not in self.activities:
            call.status = 404
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        self.activities[call.activity_id] = call.body
        return web.json_response({"id": call.activity_id})

    async def _create(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed is not None:
            return failed
        call.result_id = f"a:chat-{next(self._ids)}"
        return web.json_response({"id": call.result_id}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed is not None:
            return failed
        member = self.members.get(request.match_info["user"])
        if member is None:
            call.status = 404
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(member)

    async def _paged_members(self, request: web.Request) -> web.Response:
        """Two members per page, so paging is exercised."""
        call, failed = await self._record(request)
        if failed is not None:
            return failed
        members = sorted(self.members.values(), key=lambda m: m["id"])
        start = int(request.query.get("continuationToken") or 0)
        page = members[start:start + 2]
        token = str(start + 2) if start + 2 < len(members) else None
        return web.json_response({"members": page, **({"continuationToken": token} if token else {})})

    async def _channels(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed is not None:
            return failed
        return web.json_response({"conversations": self.teams.get(request.match_info["team"], [])})
