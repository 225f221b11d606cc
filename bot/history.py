"""The history import: past answers from a CSV file (question,answer,answered_by,answered_at).

All rows or none: `load` refuses the whole file with every problem found, line by line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from bot.clock import to_epoch
from bot.core import items
from bot.core.context import Context, Refused
from bot.core.routing import HistoryAnswer
from bot.settings import EMAIL_RE


def load(ctx: Context, path: Path) -> int:
    """Load past answers; all rows or none (the caller holds the entry-point lock)."""
    rows, problems = parse_history_csv(ctx, path)
    if problems:
        raise Refused("\n".join(problems))
    with ctx.db.atomic():
        items.add_history(ctx, [r[0] for r in rows], [r[1] for r in rows], "import")
        ctx.audit("uppsikt", "history.import", str(path), rows=len(rows))
    return len(rows)


def parse_history_csv(ctx: Context, path: Path) -> tuple[list[tuple[HistoryAnswer, int]], list[str]]:
    problems: list[str] = []
    rows: list[tuple[HistoryAnswer, int]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [ctx.t("history.unreadable", path=path, error=exc)]
    reader = csv.DictReader(io.StringIO(text))
    expected = ["question", "answer", "answered_by", "answered_at"]
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != expected:
        return [], [ctx.t("history.bad_header", path=path, found=",".join(reader.fieldnames or []), expected=",".join(expected))]
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            problems.append(ctx.t("history.bad_columns", path=path, line=line))
            continue
        email = row["answered_by"].strip().lower()
        answer = row["answer"].strip()
        if not answer:
            problems.append(ctx.t("history.empty_answer", path=path, line=line))
        if not EMAIL_RE.match(email) or ctx.settings.person(email) is None:
            problems.append(ctx.t("history.unknown_person", path=path, line=line, email=row["answered_by"]))
        try:
            when = dt.datetime.fromisoformat(row["answered_at"].strip())
        except ValueError:
            problems.append(ctx.t("history.bad_time", path=path, line=line, value=row["answered_at"]))
            continue
        rows.append((HistoryAnswer(row["question"].strip(), answer, email), to_epoch(when)))
    if not rows and not problems:
        problems.append(ctx.t("history.no_rows", path=path))
    return rows, problems
