"""Command line: uppsikt run | simulate | check-config | report | backup | import-history | route."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from bot.settings import DEFAULT_CONFIG, REPO_ROOT, ConfigError, check_config, load_settings

DEFAULT_DB = REPO_ROOT / "data" / "uppsikt.db"


def _settings(path: str):
    try:
        return load_settings(path)
    except ConfigError as exc:
        print("Konfigurationen har fel (rätta dem och försök igen):", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        raise SystemExit(2) from None


def _bot(args, chat=None, clock=None):
    from bot.bootstrap import build
    from bot.store.db import StoreError

    try:
        return build(_settings(args.config), clock=clock, db=args.db, chat=chat)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ogiltigt datum {text!r}; skriv ÅÅÅÅ-MM-DD, till exempel 2026-12-01") from None


def cmd_check_config(args) -> int:
    settings, problems = check_config(args.path)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} fel hittades.", file=sys.stderr)
        return 2
    assert settings is not None
    print(f"{args.path}: inga fel. {settings.municipality.name}: {len(settings.accounts)} konton, "
          f"{len(settings.people)} personer, policy {settings.policy.id}.")
    return 0


def cmd_run(args) -> int:
    from bot.adapters.console import Console, ConsoleChat
    from bot.clock import FakeClock, SystemClock, to_local

    clock = FakeClock(to_local(dt.datetime.fromisoformat(args.start))) if args.start else SystemClock()
    chat = ConsoleChat(clock)
    bot = _bot(args, chat=chat, clock=clock)
    Console(bot, clock).loop(sys.stdin, interactive=sys.stdin.isatty())
    return 0


def cmd_simulate(args) -> int:
    from bot import simulate

    settings = _settings(args.config)
    try:
        scenario = simulate.load_scenario(Path(args.scenario))
    except simulate.ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    records, bot = simulate.run(settings, scenario)
    print(simulate.json_lines(records, bot) if args.json else simulate.render_text(records))
    return 0


def cmd_report(args) -> int:
    from bot.core import oversight
    from bot.core.context import Refused

    bot = _bot(args)
    try:
        rep = oversight.report(bot.ctx, args.from_, args.to)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(oversight.report_json(rep), ensure_ascii=False, indent=2))
    else:
        print(oversight.render_report(bot.ctx, rep))
    return 0


def cmd_backup(args) -> int:
    from bot.store.db import backup

    bot = _bot(args)
    target = backup(bot.db, args.path)
    print(f"Säkerhetskopia sparad: {target}")
    return 0


def cmd_import_history(args) -> int:
    from bot.core.context import Refused

    bot = _bot(args)
    try:
        n = bot.import_history(Path(args.file))
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        print("Inget importerades.", file=sys.stderr)
        return 2
    print(f"{n} svar importerade.")
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
        print(f"Tilldelas: {assignee} ({reason})")
        for r in ranking:
            print(f"  {r.score:8.3f}  {r.email}  {'; '.join(r.reasons)}")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="uppsikt", description="Uppsikt – tillsyn av kommunens sociala medier.")
    sub = ap.add_subparsers(dest="command")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", default=str(DEFAULT_CONFIG), help="kommunens konfiguration (TOML)")
        p.add_argument("--db", default=str(DEFAULT_DB), help="SQLite-databasen")

    p = sub.add_parser("run", help="starta boten (konsolen som standard)")
    common(p)
    p.add_argument("--start", help="simulerad starttid i konsolen, t.ex. 2026-12-21T08:00 (annars riktig tid)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check-config", help="kontrollera en konfiguration")
    p.add_argument("path", nargs="?", default=str(DEFAULT_CONFIG))
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("simulate", help="kör ett scenario på en simulerad klocka")
    p.add_argument("--config", default=str(DEFAULT_CONFIG))
    p.add_argument("--scenario", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("report", help="rapporter")
    rsub = p.add_subparsers(dest="report", required=True)
    r = rsub.add_parser("oversight", help="tillsynsrapport (O5)")
    common(r)
    r.add_argument("--from", dest="from_", type=_date, required=True)
    r.add_argument("--to", type=_date, required=True)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_report)

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
    return ap


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ap = parser()
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 2
    return args.func(args)
