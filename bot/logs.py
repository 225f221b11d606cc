"""Logging set-up: plain or JSON lines, and no secret ever written.

``configure()`` is called once by ``uppsikt`` (`bot.cli.main`):

* ``UPPSIKT_LOG_FORMAT=json`` writes one JSON object per line to stderr:
  ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
  ``message``, then every extra field given with ``log.info(..., extra={...})``,
  and ``exception`` / ``stack`` when there is one. Anything else (the default)
  writes ``2026-12-07 09:00:00,123 WARNING uppsikt.slack message``.
* ``UPPSIKT_LOG_LEVEL`` sets the level (default ``WARNING``; ``INFO`` and
  ``DEBUG`` tell more).
* `SecretFilter` sits on the handler, so every record passes it, whichever
  logger (Uppsikt's, slack_sdk's, aiohttp's, …) wrote it: anything shaped like
  a Slack token (``xoxb-…``, ``xoxp-…``, ``xoxa-…``, ``xapp-…``, …) and the
  value of every configured secret (``SLACK_BOT_TOKEN``, ``SLACK_APP_TOKEN``,
  ``SLACK_SIGNING_SECRET``, ``META_APP_SECRET``, ``META_VERIFY_TOKEN``,
  ``INTAKE_SECRET``, ``UPPSIKT_LINK_SECRET``, the Teams client secret) is replaced by ``***`` in the
  message, its arguments, extra fields and tracebacks.

Like `logging.basicConfig`, `configure` leaves a root logger that already has
handlers (pytest's, an embedding program's) alone unless ``force=True``.
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import IO

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
MASK = "***"
SECRET_ENV = (
    "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "META_APP_SECRET", "META_VERIFY_TOKEN",
    "INTAKE_SECRET", "MicrosoftAppPassword", "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET",
    "UPPSIKT_LINK_SECRET",
)
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words; no real secret is that short
TOKEN_RE = re.compile(r"(xox[a-z]|xapp)-[A-Za-z0-9-]+")
# Attributes every LogRecord has; anything else on a record came in through `extra=`.
STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def configured_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The secret values set in the environment (the ones `SecretFilter` masks by default)."""
    env = os.environ if env is None else env
    return [v for v in (env.get(name, "").strip() for name in SECRET_ENV) if len(v) >= MIN_SECRET_LENGTH]


class SecretFilter(logging.Filter):
    """Masks tokens and configured secrets in a record (in place, so every later handler sees the masked text)."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        # longest first, so a secret containing another is masked whole
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return TOKEN_RE.sub(lambda m: f"{m.group(1)}-{MASK}", text)

    def _masked(self, value: object) -> object:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, (int, float, bool)) or value is None:
            return value
        text = str(value)
        masked = self.mask(text)
        return masked if masked != text else value

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (a bad format string must not lose the record)
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in STANDARD_ATTRS:
                setattr(record, key, self._masked(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in STANDARD_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return jsonlib.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (so a replaced stderr, e.g. under pytest, is never stale)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:  # StreamHandler.__init__ assigns it
        pass


def configure(level: int | str | None = None, json: bool | None = None, *, secrets: Iterable[str] | None = None,
              stream: IO[str] | None = None, force: bool = False) -> logging.Handler | None:
    """Set up the root logger; returns the handler, or None when the root logger was configured already.

    `level` defaults to ``UPPSIKT_LOG_LEVEL`` (else WARNING), `json` to ``UPPSIKT_LOG_FORMAT == "json"``,
    `secrets` to the configured secrets (`configured_secrets`), `stream` to the current stderr.
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_uppsikt", False)]
    if root.handlers and not ours and not force:
        return None
    for old in ours if not force else list(root.handlers):
        root.removeHandler(old)
        old.close()
    if level is None:
        level = os.environ.get("UPPSIKT_LOG_LEVEL", "").strip().upper() or logging.WARNING
    if json is None:
        json = os.environ.get("UPPSIKT_LOG_FORMAT", "").strip().lower() == "json"
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if json else logging.Formatter(PLAIN_FORMAT))
    handler.addFilter(SecretFilter(configured_secrets() if secrets is None else secrets))
    handler._uppsikt = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    try:
        root.setLevel(level)
    except (TypeError, ValueError):  # an unknown UPPSIKT_LOG_LEVEL: say so, keep the default
        root.setLevel(logging.WARNING)
        logging.getLogger("uppsikt").warning("unknown UPPSIKT_LOG_LEVEL %r; using WARNING", level)
    return handler


__all__ = ["JsonFormatter", "SecretFilter", "configure", "configured_secrets"]
