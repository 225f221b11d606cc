"""Evaluate bot.core.classify against the labelled comments.

Usage: python tests/perf/classify_eval.py [labelled.jsonl] [--errors]

Prints support, precision, recall and F1 per tag and the micro average over all
tags; with --errors, every item whose predicted tag set differs from its label.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.classify import TAG_IDS, classify

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "labelled_comments.jsonl"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.support if self.support else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    per_tag: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in TAG_IDS})
    errors: list[tuple[str, set[str], set[str]]] = field(default_factory=list)

    @property
    def micro(self) -> Counts:
        return Counts(*(sum(getattr(c, k) for c in self.per_tag.values()) for k in ("tp", "fp", "fn")))


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate(rows: list[dict]) -> Report:
    report = Report()
    for row in rows:
        gold = set(row["tags"])
        predicted = {tag.id for tag in classify(row["text"])}
        for tag_id, counts in report.per_tag.items():
            counts.tp += tag_id in gold and tag_id in predicted
            counts.fp += tag_id in predicted and tag_id not in gold
            counts.fn += tag_id in gold and tag_id not in predicted
        if gold != predicted:
            report.errors.append((row["text"], gold, predicted))
    return report


def format_report(report: Report, n_items: int) -> str:
    lines = [f"{n_items} items", f"{'tag':<25}{'support':>8}{'prec':>8}{'recall':>8}{'F1':>8}"]
    rows = [*report.per_tag.items(), ("micro", report.micro)]
    for name, c in rows:
        lines.append(f"{name:<25}{c.support:>8}{c.precision:>8.3f}{c.recall:>8.3f}{c.f1:>8.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--errors", action="store_true", help="list misclassified items")
    args = parser.parse_args()
    rows = load(args.path)
    report = evaluate(rows)
    print(format_report(report, len(rows)))
    if args.errors:
        print(f"\n{len(report.errors)} items with a wrong tag set:")
        for text, gold, predicted in report.errors:
            missing, extra = sorted(gold - predicted), sorted(predicted - gold)
            print(f"- {text}\n    missing {missing or '-'}  extra {extra or '-'}")


if __name__ == "__main__":
    main()
