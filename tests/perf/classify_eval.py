"""Evaluate bot.core.classify: per-tag precision and recall on held-apart comments.

Usage:
    python tests/perf/classify_eval.py                 # held-out part of eval_comments.jsonl beside labelled_comments.jsonl
    python tests/perf/classify_eval.py --split dev --errors   # the development part, with every wrong tag set
    python tests/perf/classify_eval.py PATH [--errors]  # any labelled JSONL file, all of it

tests/data/eval_comments.jsonl was written before the rules were tuned on it and
is split into a development part (tune on it, read its errors) and a held-out
part (report only; never read its errors while tuning). Each line's `split`
field records the part; it is sha256(text) mod 3 == 0 -> heldout (see
docs/quality.md), checked by tests/unit/test_eval_sets.py. The earlier labelled
set (labelled_comments.jsonl) was written together with the rules and is shown
beside it for comparison. The municipality's public contact details for the
example municipality come from config/example.toml.

Prints support, precision, recall and F1 per tag and the micro average.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.core import classify as classify_module
from bot.core.classify import TAG_IDS, classify

DATA = Path(__file__).resolve().parents[1] / "data"
DEFAULT_PATH = DATA / "labelled_comments.jsonl"
EVAL_PATH = DATA / "eval_comments.jsonl"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "config" / "example.toml"
SPLITS = ("dev", "heldout")


def split_of(text: str) -> str:
    """The fixed split procedure: a third of the comments, chosen by a hash of the text, is held out."""
    return "heldout" if int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % 3 == 0 else "dev"


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


def load(path: Path, split: str | None = None) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if split is None or r.get("split") == split]


def _public_contacts():
    """The example municipality's own public contact details, when this version of the bot knows them."""
    if "public" not in inspect.signature(classify).parameters:
        return None
    from bot.settings import load_settings

    return load_settings(EXAMPLE_CONFIG).municipality.public_contacts


def evaluate(rows: list[dict], public=None) -> Report:
    report = Report()
    for tag_id in sorted({t for row in rows for t in row["tags"]} - set(report.per_tag)):
        report.per_tag[tag_id] = Counts()  # a gold tag this version of the classifier does not know
    kwargs = {"public": public} if public is not None else {}
    for row in rows:
        gold = set(row["tags"])
        predicted = {tag.id for tag in classify(row["text"], **kwargs)}
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


def format_beside(left: tuple[str, Report, int], right: tuple[str, Report, int]) -> str:
    """Two reports side by side: support, precision and recall per tag."""
    (lname, lrep, ln), (rname, rrep, rn) = left, right
    head = f"{'':<25}{lname + f' ({ln})':^24}  {rname + f' ({rn})':^24}"
    cols = f"{'tag':<25}" + f"{'support':>8}{'prec':>8}{'recall':>8}" * 2
    lines = [head, cols]
    tags = list(dict.fromkeys([*lrep.per_tag, *rrep.per_tag]))
    for name in [*tags, "micro"]:
        cells = []
        for rep in (lrep, rrep):
            c = rep.micro if name == "micro" else rep.per_tag.get(name, Counts())
            cells.append(f"{c.support:>8}{c.precision:>8.3f}{c.recall:>8.3f}")
        lines.append(f"{name:<25}" + "".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", type=Path, help="a labelled JSONL file (default: the two sets)")
    parser.add_argument("--split", choices=SPLITS, default="heldout", help="part of eval_comments.jsonl")
    parser.add_argument("--errors", action="store_true", help="list misclassified items")
    args = parser.parse_args()
    public = _public_contacts()
    if args.path:
        rows = load(args.path)
        report = evaluate(rows, public)
        print(format_report(report, len(rows)))
    else:
        rows = load(EVAL_PATH, args.split)
        report = evaluate(rows, public)
        labelled = load(DEFAULT_PATH)
        print(format_beside((f"eval {args.split}", report, len(rows)),
                            ("labelled", evaluate(labelled, public), len(labelled))))
        if args.errors and args.split == "heldout":
            parser.error("--errors is for the dev part: the held-out part is read only to report")
    if args.errors:
        print(f"\n{len(report.errors)} items with a wrong tag set:")
        for text, gold, predicted in report.errors:
            missing, extra = sorted(gold - predicted), sorted(predicted - gold)
            print(f"- {text}\n    missing {missing or '-'}  extra {extra or '-'}")


if __name__ == "__main__":
    main()
