"""The one HTTP stack: a single aiohttp application for every HTTP mode of `uppsikt run`.

Routes, mounted by run mode (`build_server`):

==========================  ==========================================================  ===================
``GET  /healthz``           200 ``ok``, or 503 with the reason (bot/metrics.py `health`)  every HTTP mode
``GET  /metrics``           Prometheus text format (bot/metrics.py `render`)             every HTTP mode
``*    /webhooks/meta``     Meta's webhooks; ``/webhooks/intake`` the generic signed    given the secrets
                            intake (bot/adapters/webhooks.py)
``POST /slack/events``      Slack's HTTP mode (bot/adapters/slack/app.py `mount`)        ``--http``
``POST /api/messages``      Teams (bot/adapters/teams/app.py `mount`)                    ``--teams``
``GET  /rapporter/M.html``  the full monthly report behind a signed, expiring link      every HTTP mode
                            (``?exp=&sig=``, bot/report/links.py; 403/404 otherwise)
==========================  ==========================================================  ===================

A municipality that uses both Slack and Teams can mount both on one application and serve them
from one process (`build_server(bot, slack=..., teams=...)`, ``uppsikt run --teams --http``).

Everything that blocks (the facade's lock, SQLite, a chat platform's API) runs in worker threads;
the event loop only moves bytes. `serve_http` wraps the application in a small server object with
``server_address``, ``serve_forever``, ``shutdown`` and ``server_close`` (tests, embedding). The run
modes (`run_slack`, `run_teams`) start the scheduler in the same process unless another process
already holds the database's scheduler lock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import jobs, metrics
from bot.adapters import webhooks
from bot.facade import Bot, links_from_env
from bot.report import links
from bot.i18n import t
from bot.settings import Secrets, secrets_from_env

log = logging.getLogger("uppsikt.server")

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
WEBHOOKS_PATH = "/webhooks/{kind}"
REPORT_PATH = links.ROUTE
MAX_BODY_BYTES = 1_000_000
SLACK_PORT = 3000
TEAMS_PORT = 3978  # the Bot Framework's customary port
TEXT = "text/plain"
HTML = "text/html"
# The report is self-contained: inline styles, charts as data: images, nothing else may load or run.
REPORT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link's signature never leaves in a Referer
    "Cache-Control": "private, no-store",
}
SCHEDULER_KEY = web.AppKey("uppsikt.scheduler", object)
BACKLOG = 1024  # the listen backlog: a burst of connections waits for accept() instead of being reset (issue 16)
BODY_TIMEOUT_ENV = "UPPSIKT_BODY_TIMEOUT_SECONDS"
BODY_TIMEOUT_SECONDS = 15.0  # a request body not received within this long is answered 408 and dropped


def body_timeout() -> float:
    try:
        return max(0.1, float(os.environ.get(BODY_TIMEOUT_ENV, "") or BODY_TIMEOUT_SECONDS))
    except ValueError:
        return BODY_TIMEOUT_SECONDS


def bounded_body(timeout: float):
    """Middleware: read a request's body within `timeout` seconds, or answer 408 and close the connection. A
    stalled upload then costs a socket for `timeout` seconds and no worker thread (issue 16 point 8)."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.body_exists:
            try:
                await asyncio.wait_for(request.read(), timeout)
            except TimeoutError:
                log.warning("HTTP: a %s %s body did not arrive within %g s; answered 408", request.method,
                            request.path, timeout)
                return web.Response(status=408, text="request timeout", headers={"Connection": "close"})
        return await handler(request)

    return middleware


# --------------------------------------------------------------------------- the application


def build_server(bot: Bot | None, *, slack: Any = None, teams: Any = None, teams_chat: Any = None,
                 secrets: Secrets | None = None) -> web.Application:
    """The one application: /healthz and /metrics always (without a bot /healthz is a bare "ok" and there
    are no metrics), the intake webhooks given `secrets`, Slack given its Bolt `App`, Teams given its
    `TeamsAuth` (and optionally the `TeamsChat` to use)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[bounded_body(body_timeout())])

    async def health(request: web.Request) -> web.Response:
        status, text = await asyncio.to_thread(metrics.health, bot) if bot is not None else (200, "ok")
        return web.Response(status=status, text=text, content_type=TEXT)

    async def scrape(request: web.Request) -> web.Response:
        try:
            body = await asyncio.to_thread(metrics.render, bot)
        except Exception as exc:  # noqa: BLE001 (a scrape must never take the server down)
            log.error("metrics: cannot read the figures: %s", exc)
            return web.Response(status=503, text=f"metrics unavailable: {exc}", content_type=TEXT)
        return web.Response(body=body.encode("utf-8"), headers={"Content-Type": metrics.CONTENT_TYPE})

    async def report(request: web.Request) -> web.Response:
        """The full monthly report behind a signed, expiring link (the monthly post carries it)."""
        query = request.rel_url.query
        status, text = await asyncio.to_thread(bot.report_page, request.match_info["month"],  # type: ignore[union-attr]
                                               query.get("exp", ""), query.get("sig", ""))
        kind = HTML if status == 200 else TEXT
        return web.Response(status=status, text=text, content_type=kind, charset="utf-8", headers=REPORT_HEADERS)

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        resp = await asyncio.to_thread(webhooks.handle, bot, secrets or Secrets(), request.method, request.path,
                                       dict(request.query), dict(request.headers), body)
        if resp is None:
            raise web.HTTPNotFound()
        return web.Response(status=resp.status, body=resp.body, headers={"Content-Type": resp.content_type})

    app.router.add_get(HEALTH_PATH, health)
    if bot is not None:
        app.router.add_get(METRICS_PATH, scrape)
        app.router.add_get(REPORT_PATH, report)
        if secrets is not None:
            app.router.add_route("*", WEBHOOKS_PATH, webhook)
    if slack is not None:
        from bot.adapters.slack.app import mount as mount_slack

        mount_slack(app, slack)
    if teams is not None:
        from bot.adapters.teams.app import mount as mount_teams

        if bot is None:
            raise ValueError("Teams needs the bot")
        mount_teams(app, bot, auth=teams, chat=teams_chat)
    return app


def with_scheduler(app: web.Application, bot: Bot, backup_folder: Path | None) -> web.Application:
    """Start the scheduler after the application's own start-up hooks (a chat port attached first, so the
    catch-up tick can post already) and shut it down with the application."""

    async def start_jobs(app: web.Application) -> None:
        app[SCHEDULER_KEY] = await asyncio.to_thread(jobs.start, bot, backup_folder)

    async def stop_jobs(app: web.Application) -> None:
        running = app.get(SCHEDULER_KEY)
        if running is not None:
            await asyncio.to_thread(running.shutdown, False)

    app.on_startup.append(start_jobs)
    app.on_cleanup.append(stop_jobs)
    return app


# --------------------------------------------------------------------------- a server object (tests, embedding)


class HttpServer:
    """The application on a socket bound at once (port 0 picks a free one); `serve_forever` in any thread."""

    def __init__(self, app: web.Application, host: str, port: int):
        self.app = app
        self.socket = socket.create_server((host, port), reuse_port=False, backlog=BACKLOG)
        self.server_address = self.socket.getsockname()[:2]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopped = threading.Event()
        self._ready = threading.Event()

    def serve_forever(self) -> None:
        try:
            asyncio.run(self._serve())
        finally:
            self._stopped.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            await web.SockSite(runner, self.socket, backlog=BACKLOG).start()
            self._ready.set()
            await self._stop.wait()
        finally:
            self._ready.set()
            await runner.cleanup()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return self._ready.wait(timeout)

    def shutdown(self) -> None:
        """Stop `serve_forever` and wait until it has returned."""
        self.wait_ready()
        if self._loop is not None and self._stop is not None and not self._stopped.is_set():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._stopped.wait(10)

    def server_close(self) -> None:
        self.socket.close()


def serve_http(app: Any, host: str = "0.0.0.0", port: int = SLACK_PORT, *, bot: Bot | None = None,
               secrets: Secrets | None = None) -> HttpServer:
    """Slack's HTTP mode on the one stack: POST /slack/events, GET /healthz and, given the bot, GET /metrics
    and (given its secrets) the intake webhooks. Call `serve_forever` on it (or `serve_in_thread`)."""
    return HttpServer(build_server(bot, slack=app, secrets=secrets), host, port)


def serve_in_thread(server: HttpServer) -> threading.Thread:
    """Serve in a daemon thread (tests, embedding); stop with server.shutdown()."""
    thread = threading.Thread(target=server.serve_forever, name="uppsikt-http", daemon=True)
    thread.start()
    server.wait_ready()
    return thread


# --------------------------------------------------------------------------- running


def database_file(bot: Bot) -> Path | None:
    """The bot's SQLite file (None for an in-memory database)."""
    return bot.database_file()


def stop_on_signals() -> None:
    """Ctrl+C (SIGINT) and a platform's stop (SIGTERM) end the server cleanly, even when the process was
    started with SIGINT ignored (as background jobs of a non-interactive shell are)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def run_slack(bot: Bot, *, bot_token: str, app_token: str = "", signing_secret: str = "", http: bool = False,
              host: str = "0.0.0.0", port: int = SLACK_PORT, db_path: Path, backup_folder: Path | None = None,
              teams: Any = None, out: Callable[[str], None] = print) -> int:
    """Run the bot in Slack until interrupted: Socket Mode, or HTTP with `http` (then, given `teams`, Teams
    too on the same server). Returns the exit code."""
    from bot.adapters.slack.app import connect, socket_mode

    lock = jobs.scheduler_lock(db_path)
    if lock is None:  # issue 16 point 10: one process per database (two would deliver every message twice)
        out(bot.t("robust.store_in_use", path=db_path, lock=jobs.lock_path(db_path)))
        return 2
    if not bot.check_store_identity(out):  # issue 16 point 4: not on an empty database where one lived
        lock.close()
        return 2
    app = connect(bot, bot_token=bot_token, signing_secret=signing_secret, http=http, out=out)
    if app is None:
        lock.close()
        return 2
    if http:  # only an HTTP mode serves the full report behind the monthly post's link (before the first tick)
        bot.report_links = links_from_env()
    bot.deliver_in_background()  # listeners acknowledge as soon as their work is committed
    scheduler = jobs.start(bot, backup_folder)
    server: HttpServer | None = None
    stop_on_signals()
    try:
        if http:
            server = HttpServer(build_server(bot, slack=app, teams=teams, secrets=secrets_from_env()), host, port)
            out(bot.t("slack.run.http", host=host, port=server.server_address[1]))
            server.serve_forever()
        else:
            out(bot.t("slack.run.socket_mode"))
            socket_mode(app, app_token)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.server_close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if lock is not None:
            lock.close()
    return 0


def serve_app(bot: Bot, auth: Any, *, backup_folder: Path | None = None, scheduler: bool = True,
              secrets: Secrets | None = None) -> web.Application:
    """Teams on the one stack, with the scheduler started after the chat port is attached (catch-up tick
    included) and shut down with the app. `scheduler=False` when another process runs it."""
    from bot.adapters.teams.chat import TeamsChat

    app = build_server(bot, teams=auth, teams_chat=TeamsChat(bot, app_id=auth.app_id), secrets=secrets)
    bot.deliver_in_background()  # button presses are answered as soon as their work is committed
    return with_scheduler(app, bot, backup_folder) if scheduler else app


def run_teams(bot: Bot, *, host: str = "0.0.0.0", port: int = TEAMS_PORT, anonymous: bool = False,
              backup_folder: Path | None = None, env: Mapping[str, str] | None = None,
              out: Callable[[str], None] = print) -> int:
    """Run the bot in Teams until interrupted (serves /api/messages, runs the scheduler). Returns the exit code.

    Credentials come from `env` (default: the process environment), see `teams.app.auth_from_env`;
    `anonymous` is for local development only.
    """
    from bot.adapters.teams.app import TeamsConfigError, auth_from_env

    lang = bot.lang
    try:
        auth = auth_from_env(env, anonymous=anonymous, lang=lang)
    except TeamsConfigError as exc:
        out(str(exc))
        return 2
    if anonymous:
        out(t("teams.run.anonymous", lang))
    db_file = database_file(bot)
    lock = jobs.scheduler_lock(db_file) if db_file else None
    if db_file is not None and lock is None:  # issue 16 point 10: one process per database
        out(t("robust.store_in_use", lang, path=db_file, lock=jobs.lock_path(db_file)))
        return 2
    if not bot.check_store_identity(out):  # issue 16 point 4: not on an empty database where one lived
        if lock is not None:
            lock.close()
        return 2
    if backup_folder is None and db_file is not None:
        backup_folder = db_file.parent / "backups"
    bot.report_links = links_from_env(env)  # the monthly post links to GET /rapporter/ÅÅÅÅ-MM.html
    app = serve_app(bot, auth, backup_folder=backup_folder, scheduler=db_file is None or lock is not None,
                    secrets=secrets_from_env(env))
    out(t("teams.run.listening", lang, host=host, port=port))
    try:
        web.run_app(app, host=host, port=port, print=None, backlog=BACKLOG)
    finally:
        if lock is not None:
            lock.close()
    return 0


def teams_auth(env: Mapping[str, str] | None = None, *, anonymous: bool = False, lang: str = "sv",
               out: Callable[[str], None] = print) -> Any:
    """Teams credentials for a combined Slack+Teams server, or None after telling `out` what is missing."""
    from bot.adapters.teams.app import TeamsConfigError, auth_from_env

    try:
        return auth_from_env(env if env is not None else os.environ, anonymous=anonymous, lang=lang)
    except TeamsConfigError as exc:
        out(str(exc))
        return None


__all__ = ["HttpServer", "build_server", "run_slack", "run_teams", "serve_app", "serve_http", "serve_in_thread",
           "with_scheduler"]
