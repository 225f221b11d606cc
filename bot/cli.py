"""Command line: uppsikt run | init | simulate | check-config | report | backup | import-history | route
| export (diarium, register, sip, release) | search | archive | forget | teams-package. The config and the database
come from flags, then UPPSIKT_CONFIG / UPPSIKT_DATA, then the defaults (bot/paths.py). Messages come from the
locale catalogue (bot/locales/*-cli.toml)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sqlite3
import sys
import threading
from pathlib import Path

from bot import paths
from bot.i18n import t
from bot.settings import ConfigError, check_config, load_settings

SLACK_PORT = 3000
TEAMS_PORT = 3978


def _settings(path: str):
    try:
        return load_settings(path)
    except ConfigError as exc:
        print(t("cli.config_has_problems", "sv"), file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        raise SystemExit(2) from None


def _bot(args, chat=None, clock=None):
    from bot.bootstrap import build
    from bot.store.db import StoreError

    settings = _settings(args.config)
    graph = None
    if getattr(args, "func", None) is cmd_run:  # issue 11: write back to Facebook and Instagram with page tokens
        from bot.adapters.meta.graph import GraphClient

        graph = GraphClient.from_env(list(settings.accounts))
    try:
        return build(settings, clock=clock, db=args.db, chat=chat, graph=graph)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ogiltigt datum {text!r}; skriv ÅÅÅÅ-MM-DD, till exempel 2026-12-01") from None


def cmd_check_config(args) -> int:
    args.path = str(paths.config_path(args.path))
    settings, problems = check_config(args.path)
    for p in problems:
        print(p)
    if problems:
        print(t("cli.problems_found", "sv", count=len(problems)), file=sys.stderr)
        return 2
    assert settings is not None
    for line in write_warnings(settings, os.environ):
        print(line)
    print(t("cli.config_clean", settings.municipality.language, path=args.path, municipality=settings.municipality.name,
            accounts=len(settings.accounts), people=len(settings.people), policy=settings.policy.id))
    for line in _departures(settings, Path(args.db)):  # --db, else UPPSIKT_DATA, else the default data folder
        print(line)
    return 0


def write_warnings(settings, env) -> list[str]:
    """Issue 11: accounts that write to Facebook or Instagram but have no page token (or no page id)."""
    from bot.core.platform import missing_tokens, token_env

    lang = settings.municipality.language
    lines = [t("graph.config.missing_token", lang, account=a.id, platform=a.platform, env=token_env(a.id))
             for a in missing_tokens(settings.accounts, env)]
    lines += [t("graph.config.missing_page_id", lang, account=a.id, platform=a.platform)
              for a in settings.accounts.values() if a.policy.platform.write and not a.external_id]
    return lines


def _departures(settings, db_path: Path) -> list[str]:
    """People the database still names (open items, stored accounts, absences) who are not in this config.
    The database is opened read-only; none there yet means nothing to say."""
    import sqlite_utils

    from bot.clock import SystemClock
    from bot.core import departed
    from bot.core.context import Context

    if not db_path.is_file():
        return []
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            ctx = Context(settings=settings, db=sqlite_utils.Database(conn), clock=SystemClock())
            return departed.describe(ctx, departed.find(ctx))
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [t("duty.check_db_unreadable", settings.municipality.language, path=db_path, error=exc)]


def _stopped(code: int) -> int:
    """A server mode has returned. If it ran and stopped (code 0 after Ctrl+C) and a non-daemon thread is
    still alive (APScheduler's workers are not daemon threads: a job still running, e.g. a delivery waiting
    on the chat platform), end the process now: everything is committed, and a stopped server must not be
    kept alive. A mode that refused to start (code 2) returns normally."""
    lingering = [t for t in threading.enumerate() if t.is_alive() and not t.daemon and t is not threading.main_thread()]
    if code == 0 and lingering:
        logging.getLogger("uppsikt").info("stopping; not waiting for %s", ", ".join(t.name for t in lingering))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _serving_bot(args):
    """The bot of a server: its router is prepared in the background, so no event waits for it (issue 17)."""
    bot = _bot(args)
    bot.prepare_router()
    return bot


def cmd_run(args) -> int:
    from bot.adapters.console import Console, ConsoleChat
    from bot.clock import FakeClock, SystemClock, to_local

    from bot import jobs
    from bot.settings import secrets_from_env

    secrets = secrets_from_env()
    if args.teams and not args.http:
        from bot.server import run_teams

        return _stopped(run_teams(_serving_bot(args), host=args.host, port=TEAMS_PORT if args.port is None else args.port,
                                  anonymous=args.anonymous, backup_folder=Path(args.db).parent / "backups",
                                  out=lambda text: print(text, file=sys.stderr, flush=True)))
    if args.http or (secrets.slack_bot_token and secrets.slack_app_token):  # Slack: Socket Mode, or HTTP with --http
        from bot.server import run_slack, teams_auth

        bot = _serving_bot(args)
        if args.start:
            print(bot.ctx.t("slack.run.no_start"), file=sys.stderr)
            return 2
        teams = None
        if args.teams:  # --teams --http: Slack and Teams served by one process, on one port
            teams = teams_auth(anonymous=args.anonymous, lang=bot.lang,
                               out=lambda text: print(text, file=sys.stderr, flush=True))
            if teams is None:
                return 2
        return _stopped(run_slack(bot, bot_token=secrets.slack_bot_token, app_token=secrets.slack_app_token,
                                  signing_secret=secrets.slack_signing_secret, http=args.http, host=args.host,
                                  teams=teams,
                                  port=SLACK_PORT if args.port is None else args.port,
                                  db_path=Path(args.db), backup_folder=Path(args.db).parent / "backups",
                                  out=lambda text: print(text, file=sys.stderr, flush=True)))
    try:
        clock = FakeClock(to_local(dt.datetime.fromisoformat(args.start))) if args.start else SystemClock()
    except ValueError:
        print(t("cli.bad_start", "sv", value=repr(args.start)), file=sys.stderr)
        return 2
    chat = ConsoleChat(clock)
    bot = _bot(args, chat=chat, clock=clock)  # one user at a console: the first question loads the router
    scheduler = None
    if not args.start:  # real time: the same scheduler as in production; simulated time ticks on `vänta`
        scheduler = jobs.start(bot, Path(args.db).parent / "backups")
    try:
        Console(bot, clock).loop(sys.stdin, interactive=sys.stdin.isatty(),
                                 history=Path(args.db).parent / paths.HISTORY_NAME)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def cmd_simulate(args) -> int:
    from bot import simulate

    settings = _settings(args.config)
    path = Path(args.scenario)
    if not path.is_file() and (paths.SCENARIO_DIR / f"{args.scenario}.toml").is_file():
        path = paths.SCENARIO_DIR / f"{args.scenario}.toml"  # a shipped scenario by name, e.g. crisis-day
    try:
        scenario = simulate.load_scenario(path)
    except simulate.ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    records, bot = simulate.run(settings, scenario, db=args.db)
    if args.json:
        print(simulate.json_lines(records, bot, scenario))
    else:
        print(simulate.render_text(records, bot.ctx.lang))
        print("\n" + simulate.oversight_report(bot, scenario))
    return 0


def cmd_report(args) -> int:
    from bot.clock import FakeClock, from_epoch
    from bot.core import oversight
    from bot.core.context import Refused

    bot = _bot(args)
    last_tick = bot.ctx.get_state("last_tick")
    if last_tick is not None and int(last_tick) > bot.ctx.now_ts():
        # A simulated run's database (`uppsikt simulate --db`) lives ahead of the real clock: report up to its end.
        bot.ctx.clock = FakeClock(from_epoch(int(last_tick)))
    try:
        rep = oversight.report(bot.ctx, args.from_, args.to)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    fmt = "json" if args.json else (args.format or "text")
    if fmt == "csv":
        from bot.core import monthly

        _write_out(bot, monthly.oversight_csv(bot.ctx, rep), args.out, sum(len(d) for d in rep.values()),
                   "records.cli_exported")
    elif fmt == "json":
        print(json.dumps(oversight.report_json(rep), ensure_ascii=False, indent=2))
    elif fmt == "text":
        print(oversight.render_report(bot.ctx, rep))
    else:
        print(bot.ctx.t("monthly.cli.bad_format", value=fmt), file=sys.stderr)
        return 2
    return 0


def cmd_report_month(args) -> int:
    """`uppsikt report month --month ÅÅÅÅ-MM [--out DIR] [--lang sv|en]`: the monthly report as HTML, PNG, SVG."""
    from bot.core import monthly
    from bot.core.context import Refused
    from bot.i18n import LANGUAGES

    bot = _bot(args)
    ctx = bot.ctx
    try:
        if args.lang and args.lang not in LANGUAGES:
            raise ctx.refusal("monthly.cli.bad_lang", value=args.lang)
        month = monthly.parse_month(ctx, args.month) if args.month else monthly.Month(
            ctx.today().year, ctx.today().month).previous()
        from bot.report import page

        rendered = page.render_month(ctx, month, args.lang or ctx.lang)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(f"uppsikt-rapport-{month.key}")
    path = page.write(rendered, out)
    from bot.report.charts import month_label

    print(ctx.t("monthly.cli.written", month=month_label(lambda k, **v: t(k, args.lang or ctx.lang, **v),
                                                         rendered.figures),
                path=path, charts=len(rendered.charts)))
    return 0


def cmd_backup(args) -> int:
    from bot.store.db import backup

    bot = _bot(args)
    target = backup(bot.db, args.path)
    print(t("cli.backup_saved", bot.ctx.lang, path=target))
    return 0


def cmd_import_history(args) -> int:
    from bot.core.context import Refused

    bot = _bot(args)
    try:
        n = bot.import_history(Path(args.file))
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        print(t("cli.nothing_imported", bot.ctx.lang), file=sys.stderr)
        return 2
    print(t("cli.imported", bot.ctx.lang, count=n))
    return 0


def cmd_route(args) -> int:
    from bot.core import items

    bot = _bot(args)
    ranking = items.router(bot.ctx).rank(args.text)
    account = next(iter(bot.ctx.accounts.values()))
    assignee, reason = items.choose_assignee(bot.ctx, account, args.text, bot.ctx.today())
    if args.json:
        print(json.dumps({"assignee": assignee, "ranking": [
            {"person": r.email, "score": round(r.score, 4), "reasons": list(r.reasons)} for r in ranking
        ]}, ensure_ascii=False))
    else:
        print(t("cli.assigned_to", bot.ctx.lang, person=assignee, reason=reason))
        for r in ranking:
            print(f"  {r.score:8.3f}  {r.email}  {'; '.join(r.reasons)}")
    return 0


# --------------------------------------------------------------------------- records (R1–R7, A3)


def _write_out(bot, text: str, out: str | None, count: int, key: str) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8", newline="")
        print(bot.ctx.t(key, count=count, path=out), file=sys.stderr)
    else:
        sys.stdout.write(text)


def _records_dates(ctx, args) -> tuple[dt.date | None, dt.date | None]:
    """Dates parsed here (not by argparse) so a bad one gets the Swedish message and exit code 2."""
    from bot.core.parsing import parse_date

    start = parse_date(ctx, args.from_, ctx.t("word.from")) if args.from_ else None
    end = parse_date(ctx, args.to, ctx.t("word.to")) if args.to else None
    return start, end


def cmd_export_diarium(args) -> int:
    from bot.core import records
    from bot.core.context import Refused

    bot = _bot(args)
    ctx = bot.ctx
    try:
        if args.format not in ("csv", "json"):
            raise ctx.refusal("records.cli_bad_format", value=args.format, known="csv, json")
        start, end = _records_dates(ctx, args)
        rows = records.export_diarium(ctx, start, end)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    text = records.export_csv(ctx, rows, args.separator) if args.format == "csv" else records.export_json(rows) + "\n"
    _write_out(bot, text, args.out, len(rows), "records.cli_exported")
    return 0


def cmd_export_register(args) -> int:
    from bot.core import records

    bot = _bot(args)
    ctx = bot.ctx
    if args.format not in ("html", "json"):
        print(ctx.t("records.cli_bad_format", value=args.format, known="html, json"), file=sys.stderr)
        return 2
    rows = records.register(ctx)
    text = (records.register_html(ctx, rows, fragment=args.fragment) if args.format == "html"
            else records.export_json(rows) + "\n")
    _write_out(bot, text, args.out, len(rows), "records.cli_register_saved")
    return 0


def cmd_export_sip(args) -> int:
    """`uppsikt export sip --account ID --from D --to D --out DIR`: an E-ARK SIP 2.1 / FGS package (issue 12)."""
    from bot.core.context import Refused
    from bot.core.parsing import parse_date
    from bot.export import sip
    from bot.export.pdfa import RenderingUnavailable

    bot = _bot(args)
    ctx = bot.reader() or bot.ctx  # a read connection: a running bot's writes never wait for the rendering
    try:
        start = parse_date(ctx, args.from_, ctx.t("word.from"))
        end = parse_date(ctx, args.to, ctx.t("word.to"))
        package = sip.write(ctx, args.account, start, end, Path(args.out))
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except RenderingUnavailable as exc:
        print(ctx.t("snapshots.sip.no_pdf", path=args.out, error=exc), file=sys.stderr)
        return 2
    account = sip.resolve_account(ctx, args.account)
    print(ctx.t("snapshots.sip.written", account=ctx.label(account.id) if account.id in ctx.accounts else account.name,
                start=start, end=end, path=package.path, count=package.objects, events=package.events,
                files=package.files))
    if package.attachments:
        print(ctx.t("media.cli_stored", count=package.attachments))
    if package.missing:
        print(ctx.t("media.sip_missing", count=package.missing))
    return 0


def cmd_search(args) -> int:
    from bot.core import records
    from bot.core.context import Refused

    bot = _bot(args)
    ctx = bot.reader() or bot.ctx  # a read connection: a running bot's writes never wait for it (issue 17)
    try:
        start, end = _records_dates(ctx, args)
        results = records.search(ctx, args.text, start, end, args.account.lower() if args.account else None)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(records.render_search(ctx, args.text, results))
    return 0


def cmd_export_release(args) -> int:
    """`uppsikt export release TEXT`: exactly what `uppsikt search TEXT` finds, each hit with its whole text (and,
    for an archived post, every version and event), for a release request (utlämnande, R7)."""
    from bot.core import records
    from bot.core.context import Refused

    bot = _bot(args)
    ctx = bot.reader() or bot.ctx
    try:
        if args.format not in ("csv", "json"):
            raise ctx.refusal("records.cli_bad_format", value=args.format, known="csv, json")
        start, end = _records_dates(ctx, args)
        results = records.search(ctx, args.text, start, end, args.account.lower() if args.account else None)
        rows = records.release_rows(ctx, results)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    text = (records.release_csv(ctx, rows, args.separator) if args.format == "csv"
            else records.export_json(rows) + "\n")
    _write_out(bot, text, args.out, len(rows), "archive.release.cli_exported")
    return 0


def cmd_archive_hold(args) -> int:
    """`uppsikt archive hold --account ID | --item N | --object N --reason TEXT --by E-POST`: a legal hold."""
    from bot.core import archive
    from bot.core.context import Refused

    bot = _bot(args)
    ctx = bot.ctx
    targets = [x for x in (args.account, args.item, args.object) if x is not None]
    try:
        if len(targets) != 1:
            raise ctx.refusal("archive.cli_target")
        for value, label in ((args.item, "--item"), (args.object, "--object")):
            if value is not None and not (value.isascii() and value.isdigit()):
                raise ctx.refusal("error.bad_number", what=label, value=value)
        with bot.lock:
            hold = archive.set_hold(ctx, args.by.lower(), args.reason, account_id=args.account.lower() if args.account
                                    else None, item_id=int(args.item) if args.item else None,
                                    object_id=int(args.object) if args.object else None)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(ctx.t("archive.cli_hold_saved", id=hold["id"]))
    print(archive.describe_hold(ctx, hold))
    return 0


def cmd_archive_release(args) -> int:
    from bot.core import archive
    from bot.core.context import Refused

    bot = _bot(args)
    ctx = bot.ctx
    try:
        if not (args.hold.isascii() and args.hold.isdigit()):
            raise ctx.refusal("error.bad_number", what=ctx.t("archive.number"), value=args.hold)
        with bot.lock:
            hold = archive.release_hold(ctx, args.by.lower(), int(args.hold))
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(ctx.t("archive.cli_released", id=hold["id"]))
    return 0


def cmd_archive_holds(args) -> int:
    from bot.core import archive

    bot = _bot(args)
    ctx = bot.reader() or bot.ctx
    found = archive.holds(ctx)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    elif not found:
        print(ctx.t("archive.no_holds"))
    else:
        print("\n".join([ctx.t("archive.holds_header"), *(archive.describe_hold(ctx, h) for h in found)]))
    return 0


def cmd_teams_package(args) -> int:
    from bot import install
    from bot.adapters.teams.cli import PackageError, build_package

    try:
        developer = install.check_developer({"name": args.developer, "websiteUrl": args.website,
                                             "privacyUrl": args.privacy, "termsOfUseUrl": args.terms})
        path = build_package(args.out, bot_id=args.bot_id, domain=args.domain, version=args.version)
    except (PackageError, install.InstallError) as exc:
        print(exc, file=sys.stderr)
        return 2
    warning = install.placeholder_warning(install.set_developer(path, developer))
    if warning:
        print(warning, file=sys.stderr)
    print(t("teams.package.built", "sv", path=path))
    return 0


def cmd_init(args) -> int:
    from bot import install

    folder = Path(args.dir) if args.dir else paths.user_config_dir()
    name = args.municipality
    if name is None and sys.stdin.isatty():
        try:
            name = input(t("init.ask_name", "sv"))
        except EOFError:
            name = ""
    try:
        written = install.init(folder, name or "", force=args.force, data=Path(args.data) if args.data else None)
    except install.InstallError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(t("init.written", "sv", config=written.config, env=written.env))
    print(t("init.next_steps", "sv", config=written.config, env=written.env, data=written.data))
    return 0


def _resolve_paths(args) -> None:
    """--config, --db and --data, then UPPSIKT_CONFIG and UPPSIKT_DATA, then the defaults (bot/paths.py)."""
    given = vars(args)
    if "config" in given:
        args.config = str(paths.config_path(args.config))
    if "db" in given:
        args.db = str(paths.db_path(args.db, given.get("data")))


def cmd_forget(args) -> int:
    from bot.core.context import Refused
    from bot.core.forget import forget

    bot = _bot(args)
    try:
        with bot.lock:
            report = forget(bot.ctx, args.author, args.by, dry_run=args.dry_run)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(report.render(bot.ctx))
    if not args.dry_run:
        print(bot.ctx.t("forget.cli_done"), file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="uppsikt", description="Uppsikt – tillsyn av kommunens sociala medier.")
    sub = ap.add_subparsers(dest="command")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", metavar="FIL", help="kommunens konfiguration (TOML); annars UPPSIKT_CONFIG")
        p.add_argument("--db", metavar="FIL", help="SQLite-databasen; annars uppsikt.db i datamappen")
        p.add_argument("--data", metavar="MAPP", help="datamappen (databas, säkerhetskopior, historik); annars UPPSIKT_DATA")

    p = sub.add_parser("run", help="starta boten: Slack (Socket Mode) med SLACK_BOT_TOKEN och SLACK_APP_TOKEN, "
                                     "annars konsolen")
    common(p)
    p.add_argument("--start", help="simulerad starttid i konsolen, t.ex. 2026-12-21T08:00 (annars riktig tid)")
    p.add_argument("--http", action="store_true",
                   help="Slack över HTTP: tar emot anrop på /slack/events "
                        "(kräver SLACK_BOT_TOKEN och SLACK_SIGNING_SECRET)")
    p.add_argument("--teams", action="store_true",
                   help="Microsoft Teams: tar emot anrop på /api/messages (kräver MicrosoftAppId, "
                        "MicrosoftAppPassword och MicrosoftAppTenantId)")
    p.add_argument("--anonymous", action="store_true",
                   help="bara med --teams och bara för lokal utveckling: tar emot anrop utan inloggning")
    p.add_argument("--port", type=int, default=None, help="port för --http (standard 3000) och --teams (standard 3978)")
    p.add_argument("--host", default="0.0.0.0", help="adress att lyssna på för --http och --teams (standard alla)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("teams-package", help="bygg zip-filen med Teams-appen att ladda upp")
    p.add_argument("--out", default="uppsikt-teams.zip")
    p.add_argument("--bot-id", default=None, help="Azure-botens app-id (standard: MicrosoftAppId)")
    p.add_argument("--domain", default=None, help="serverns domän, t.ex. uppsikt.kommun.se")
    p.add_argument("--version", default=None, help="appens version i Teams, t.ex. 1.0.1")
    p.add_argument("--developer", metavar="NAMN", help="utgivarens namn i Teams, t.ex. \"Ekby kommun\" (högst 32 tecken)")
    p.add_argument("--website", metavar="URL", help="kommunens webbplats, https://…")
    p.add_argument("--privacy", metavar="URL", help="sidan om personuppgifter, https://…")
    p.add_argument("--terms", metavar="URL", help="användarvillkoren, https://…")
    p.set_defaults(func=cmd_teams_package)

    p = sub.add_parser("init", help="skriv en konfiguration att börja med och en .env-mall")
    p.add_argument("dir", nargs="?", metavar="MAPP", help="mappen att skriva i (standard: din konfigurationsmapp)")
    p.add_argument("--municipality", metavar="NAMN", help="kommunens namn, t.ex. \"Ekby kommun\" (annars frågar jag)")
    p.add_argument("--data", metavar="MAPP", help="datamappen som skrivs i .env (standard: data i mappen)")
    p.add_argument("--force", action="store_true", help="skriv över filer som redan finns")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("check-config", help="kontrollera en konfiguration")
    p.add_argument("path", nargs="?", help="konfigurationen; annars UPPSIKT_CONFIG")
    p.add_argument("--db", default=None, help="databasen att jämföra med (standard: data/uppsikt.db om den finns)")
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("simulate", help="kör ett scenario på en simulerad klocka")
    p.add_argument("--config")
    p.add_argument("--scenario", required=True, help="en scenariofil, eller namnet på ett som följer med, "
                                                     "t.ex. ordinary-week")
    p.add_argument("--json", action="store_true")
    p.add_argument("--db", default=None,
                   help="spara den simulerade databasen här (till exempel för uppsikt report oversight --db)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("report", help="rapporter")
    rsub = p.add_subparsers(dest="report", required=True)
    r = rsub.add_parser("oversight", help="tillsynsrapport (O5)")
    common(r)
    r.add_argument("--from", dest="from_", type=_date, required=True)
    r.add_argument("--to", type=_date, required=True)
    r.add_argument("--json", action="store_true")
    r.add_argument("--format", default=None, metavar="FORMAT",
                   help="text (standard), json eller csv (semikolon och UTF-8 med BOM, för Excel)")
    r.add_argument("--out", help="spara i den här filen i stället för att skriva ut (csv)")
    r.set_defaults(func=cmd_report)
    r = rsub.add_parser("month", help="månadsrapport som HTML med diagram (PNG och SVG)")
    common(r)
    r.add_argument("--month", help="månaden, ÅÅÅÅ-MM (standard: förra månaden)")
    r.add_argument("--out", help="mapp att spara rapporten i (standard: uppsikt-rapport-ÅÅÅÅ-MM)")
    r.add_argument("--lang", default=None, help="sv (standard: kommunens språk) eller en")
    r.set_defaults(func=cmd_report_month)

    p = sub.add_parser("backup", help="säkerhetskopiera databasen (SQLite online backup)")
    common(p)
    p.add_argument("path")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("import-history", help="importera tidigare svar (CSV)")
    common(p)
    p.add_argument("file")
    p.set_defaults(func=cmd_import_history)

    p = sub.add_parser("route", help="visa vem en fråga skulle gå till (ändrar inget)")
    common(p)
    p.add_argument("text")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("export", help="exportera allmänna handlingar och kontoförteckningen")
    esub = p.add_subparsers(dest="export", required=True)
    e = esub.add_parser("diarium", help="poster att registrera i diariet under en period (R1–R3, R6)")
    common(e)
    e.add_argument("--from", dest="from_", required=True, help="från-datum, ÅÅÅÅ-MM-DD")
    e.add_argument("--to", required=True, help="till-datum, ÅÅÅÅ-MM-DD (dagen tas med)")
    e.add_argument("--format", default="csv", help="csv (standard) eller json")
    e.add_argument("--separator", default=";", choices=[";", ","], metavar="TECKEN",
                   help="kolumnavgränsare i CSV; standard är semikolon, som Excel med svenska inställningar väntar sig")
    e.add_argument("--out", help="spara i den här filen i stället för att skriva ut")
    e.set_defaults(func=cmd_export_diarium)
    e = esub.add_parser("register", help="förteckning över kommunens konton att publicera på webbplatsen (A3)")
    common(e)
    e.add_argument("--format", default="html", help="html (standard) eller json")
    e.add_argument("--fragment", action="store_true",
                   help="bara förteckningen (utan <html> och <head>) att klistra in i webbplatsens publiceringsverktyg")
    e.add_argument("--out", help="spara i den här filen i stället för att skriva ut")
    e.set_defaults(func=cmd_export_register)
    e = esub.add_parser("sip", help="arkivpaket (E-ARK SIP 2.1 / FGS Paketstruktur 2.0) för ett konto och en period")
    common(e)
    e.add_argument("--account", required=True, help="kontots id, till exempel facebook")
    e.add_argument("--from", dest="from_", required=True, help="från-datum, ÅÅÅÅ-MM-DD")
    e.add_argument("--to", required=True, help="till-datum, ÅÅÅÅ-MM-DD (dagen tas med)")
    e.add_argument("--out", required=True, metavar="MAPP", help="en ny eller tom mapp att skriva paketet i")
    e.set_defaults(func=cmd_export_sip)

    e = esub.add_parser("release", help="utlämnande: exakt det som uppsikt search hittar, med hela texten, alla "
                                        "versioner och händelser (R7)")
    common(e)
    e.add_argument("text", help="det du söker efter, som i uppsikt search")
    e.add_argument("--from", dest="from_", help="från-datum, ÅÅÅÅ-MM-DD")
    e.add_argument("--to", help="till-datum, ÅÅÅÅ-MM-DD")
    e.add_argument("--account", help="bara det här kontot (id)")
    e.add_argument("--format", default="json", help="json (standard) eller csv")
    e.add_argument("--separator", default=";", choices=[";", ","], metavar="TECKEN",
                   help="kolumnavgränsare i CSV; standard är semikolon")
    e.add_argument("--out", help="spara i den här filen i stället för att skriva ut")
    e.set_defaults(func=cmd_export_release)

    p = sub.add_parser("archive", help="arkivet: gallringsstopp (R5)")
    asub = p.add_subparsers(dest="archive", required=True)
    a = asub.add_parser("hold", help="stoppa gallring av ett konto, ett ärende eller ett arkiverat inlägg")
    common(a)
    a.add_argument("--account", help="kontots id: allt på kontot")
    a.add_argument("--item", help="ett ärendenummer")
    a.add_argument("--object", help="ett arkiverat inläggs nummer (står i uppsikt search --json)")
    a.add_argument("--reason", required=True, help="varför, till exempel \"Tvist KS 2026/45\"")
    a.add_argument("--by", required=True, help="vem som beslutar (arkivarie, kommunikationschef eller chefen för "
                                               "kontots förvaltning), e-post")
    a.set_defaults(func=cmd_archive_hold)
    a = asub.add_parser("release", help="häv ett gallringsstopp")
    common(a)
    a.add_argument("hold", help="gallringsstoppets nummer")
    a.add_argument("--by", required=True, help="vem som beslutar, e-post")
    a.set_defaults(func=cmd_archive_release)
    a = asub.add_parser("holds", help="visa gallringsstopp som gäller")
    common(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_archive_holds)

    p = sub.add_parser("search", help="sök i inlägg, svar, borttagna inlägg och arkivet med alla versioner (R7)")
    common(p)
    p.add_argument("text", help="det du söker efter, till exempel ett namn eller ett ord")
    p.add_argument("--from", dest="from_", help="från-datum, ÅÅÅÅ-MM-DD")
    p.add_argument("--to", help="till-datum, ÅÅÅÅ-MM-DD")
    p.add_argument("--account", help="bara det här kontot (id)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("forget", help="begäran om radering (GDPR art. 17): radera en skribents inlägg som inte "
                                      "är allmänna handlingar och berätta vad som sparas och varför")
    common(p)
    p.add_argument("--author", required=True, help="skribentens namn som det står på inläggen, t.ex. \"Kalle Karlsson\"")
    p.add_argument("--by", default="uppsikt", help="vem som handlägger begäran (loggas), t.ex. registrator@example.se")
    p.add_argument("--dry-run", action="store_true", help="visa vad som skulle raderas och sparas, ändra inget")
    p.set_defaults(func=cmd_forget)
    return ap


def main(argv: list[str] | None = None) -> int:
    from bot import logs

    from bot.cli_i18n import translated

    logs.configure()  # UPPSIKT_LOG_FORMAT=json: JSON lines; UPPSIKT_LOG_LEVEL; tokens and secrets masked
    with translated("sv"):  # argparse's "usage", "options", "error" in Swedish too
        ap = parser()
        args = ap.parse_args(argv)
        if not getattr(args, "func", None):
            ap.print_help()
            return 2
        _resolve_paths(args)
    try:
        return args.func(args)
    except sqlite3.DatabaseError as exc:  # disk full, read-only, I/O error… mid-command: the transaction rolled back
        from bot.i18n import t
        from bot.store.db import is_store_failure

        if not is_store_failure(exc):
            raise  # a bug, not the disk: keep the traceback
        print(t("store.cannot_open", "sv", path=getattr(args, "db", "?"), error=exc), file=sys.stderr)
        return 2
