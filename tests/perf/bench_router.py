"""The router at scale on real Swedish sentences (issue 17 points 1 and 6).

    python tests/perf/bench_router.py                               # 1,000 people; 1k, 10k, 100k answers
    python tests/perf/bench_router.py --million                     # 100k and 1M answers: memory and load at 1M
    python tests/perf/bench_router.py --answers 1000000 --no-baseline --dir /tmp/b   # again: only the restart
    python tests/perf/bench_router.py --grow 1000000 --step 100000  # memory and CPU as one router grows to 1M
    python tests/perf/bench_router.py --count 100000 1000000        # what the index holds, counted, not built
    python tests/perf/bench_router.py --answers 100000 --profile /tmp/router.prof   # cProfile of the decisions
    python tests/perf/bench_router.py --answers 100000 --people 10 100 1000

The history is built from real sentences, not random words: the questions of
/work/shared/data/swefaq_dev.jsonl (ten categories, with the sentences of their
answers) and of tests/data/routing_ekby.jsonl (the example municipality's
colleagues, with their answers). A past answer is one real question of a topic
(a third of them followed by a second one of the same topic, the way citizens
ask two things at once) and one to three real sentences of that topic's answers.
Each person works mostly (70 %) on one topic and otherwise on a second one. The
new questions routed are the citizens' comments tagged as questions in
tests/data/labelled_comments.jsonl and tests/data/eval_comments.jsonl, which are
in no history.

Each size runs in fresh child processes: one builds the index from a real SQLite
file (`router_index.load_or_build`, as a first start does) and saves it; one is a
restart that loads the saved index, adds the answers recorded since (`--since`,
default 100: a day's, as the nightly save leaves it), and routes its first
question (what the first citizen after a restart waits for); it then times every
decision. Peak RSS is the child's (`resource.getrusage`: ru_maxrss), taken before
the baseline is built: the restart child holds what a running bot holds; "without
router" is its RSS before the index is read (interpreter, numpy, the bot's modules).

Baseline in the same run: a plain BM25 router (k1 1.2, b 0.75, character
3-5-grams within words, an inverted index of each person's concatenated history,
scoring every posting of every query n-gram), built and timed on the same
history and questions. The ratio is Uppsikt's time over the baseline's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bot.core import router_index  # noqa: E402
from bot.core.routing import HistoryAnswer  # noqa: E402
from bot.core.textnorm import char_ngrams, words  # noqa: E402
from bot.store.db import open_db  # noqa: E402

SWEFAQ = REPO.parent.parent / "shared" / "data" / "swefaq_dev.jsonl"
if not SWEFAQ.is_file():
    SWEFAQ = Path("/work/shared/data/swefaq_dev.jsonl")
DATA = REPO / "tests" / "data"


def machine() -> str:
    """The machine and its load, printed with every run."""
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, load average {load}")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 15]


def topics() -> list[tuple[list[str], list[str]]]:
    """(questions, answer sentences) per topic, all real text."""
    out: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for r in _jsonl(SWEFAQ):
        q, a = out[f"faq-{r['category_id']}"]
        q.append(r["question"])
        a.extend(_sentences(r["candidate_answers"][r["label"]]))
    for r in _jsonl(DATA / "routing_ekby.jsonl"):
        if r.get("person"):
            q, a = out[f"ekby-{r['person']}"]
            q.append(r["question"])
            a.extend(_sentences(r["answer"]) or [r["answer"]])
    return [(q, a) for q, a in out.values() if q and a]


def new_questions() -> list[str]:
    rows = _jsonl(DATA / "labelled_comments.jsonl") + _jsonl(DATA / "eval_comments.jsonl")
    return [r["text"] for r in rows if "question" in r.get("tags", [])]


def people(n: int) -> list[str]:
    return [f"person{i:04d}@example.se" for i in range(n)]


def history(n_people: int, answers: int, seed: int = 17) -> list[HistoryAnswer]:
    return list(generate(n_people, answers, seed))


def generate(n_people: int, answers: int, seed: int = 17):
    """The history's answers one by one (a million need not be in memory at once)."""
    rng = random.Random(seed)
    pools = topics()
    emails = people(n_people)
    home = [(i % len(pools), (i * 7 + 3) % len(pools)) for i in range(n_people)]
    for _ in range(answers):
        p = rng.randrange(n_people)
        questions, sentences = pools[home[p][0] if rng.random() < 0.7 else home[p][1]]
        question = rng.choice(questions)
        if rng.random() < 1 / 3:
            question += " " + rng.choice(questions)
        answer = " ".join(rng.sample(sentences, min(len(sentences), rng.randint(1, 3))))
        yield HistoryAnswer(question, answer, emails[p])


def settings_for(n_people: int) -> SimpleNamespace:
    return SimpleNamespace(people={e: SimpleNamespace(email=e, expertise=()) for e in people(n_people)})


# --------------------------------------------------------------------------- the baseline


class PlainBM25:
    """A plain BM25 router: character 3-5-grams, inverted index, every posting of every query n-gram."""

    def __init__(self, answers: list[HistoryAnswer]) -> None:
        tf: dict[str, Counter[int]] = defaultdict(Counter)
        self.emails: list[str] = []
        index: dict[str, int] = {}
        length: Counter[int] = Counter()
        for a in answers:
            e = index.setdefault(a.answered_by, len(index))
            if e == len(self.emails):
                self.emails.append(a.answered_by)
            grams = [g for w in words(a.question + " " + a.answer) for g in char_ngrams(w)]
            length[e] += len(grams)
            for g in grams:
                tf[g][e] += 1
        n = len(self.emails)
        average = sum(length.values()) / max(n, 1)
        self.norm = [1.2 * (1 - 0.75 + 0.75 * length[e] / average) for e in range(n)]
        self.postings = {g: (math.log(1 + (n - len(c) + 0.5) / (len(c) + 0.5)), list(c.items())) for g, c in tf.items()}

    def rank(self, text: str) -> list[tuple[float, str]]:
        scores: dict[int, float] = defaultdict(float)
        for g in {g for w in words(text) for g in char_ngrams(w)}:
            entry = self.postings.get(g)
            if entry is None:
                continue
            idf, postings = entry
            for e, f in postings:
                scores[e] += idf * f * 2.2 / (f + self.norm[e])
        return sorted((-s, self.emails[e]) for e, s in scores.items())


# --------------------------------------------------------------------------- children


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timings(rank, questions: list[str]) -> dict:
    times = []
    cpu = time.process_time()
    for q in questions:
        start = time.perf_counter()
        rank(q)
        times.append(1000 * (time.perf_counter() - start))
    cpu = 1000 * (time.process_time() - cpu) / len(questions)
    times.sort()
    return {"mean": statistics.fmean(times), "median": times[len(times) // 2],
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "cpu": cpu}


def child_build(db: Path, n_people: int, answers: int) -> dict:
    start = time.perf_counter()
    conn = open_db(db).conn
    conn.executemany("INSERT INTO history_answers (question, answer, answered_by, answered_at, source) "
                     "VALUES (?, ?, ?, 0, 'bench')", ((a.question, a.answer, a.answered_by)
                                                      for a in generate(n_people, answers)))
    conn.commit()
    generated = time.perf_counter() - start
    before = _rss_mb()
    cpu, start = time.process_time(), time.perf_counter()
    loaded = router_index.load_or_build(conn, settings_for(n_people), db)
    built, built_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    router_index.save(router_index.path_for(db), loaded)  # what the nightly save costs (under the bot's lock)
    saved = time.perf_counter() - start
    return {"generated_s": generated, "build_s": built, "build_cpu_s": built_cpu, "answers": loaded.count,
            "save_s": saved,
            "index_mb": router_index.path_for(db).stat().st_size / 2**20, "build_rss_mb": _rss_mb(),
            "rss_before_build_mb": before}


def child_restart(db: Path, n_people: int, baseline: bool, since: int) -> dict:
    """A restart: `since` answers recorded after the index was saved, then the first question."""
    conn = sqlite3.connect(db)
    extra = history(n_people, since, seed=99)
    conn.executemany("INSERT INTO history_answers (question, answer, answered_by, answered_at, source) "
                     "VALUES (?, ?, ?, 0, 'bench')", [(a.question, a.answer, a.answered_by) for a in extra])
    conn.commit()
    questions = new_questions()
    people = router_index.experts(settings_for(n_people))
    before = _rss_mb()  # the interpreter, numpy, the bot's modules and SQLite: what is not the router
    cpu, start = time.process_time(), time.perf_counter()
    read = router_index._read(router_index.path_for(db), people, conn)
    read_s = time.perf_counter() - start
    caught = router_index.catch_up(read, conn)
    loaded_s, loaded_cpu = time.perf_counter() - start, time.process_time() - cpu
    read.router.rank(questions[0])
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    out = {"read_s": read_s, "load_s": loaded_s, "load_cpu_s": loaded_cpu, "first_decision_s": first,
           "first_cpu_s": first_cpu, "caught_up": caught, "questions": len(questions), "rss_before_mb": before}
    loaded = read
    rank = loaded.router.rank
    if os.environ.get("BENCH_ROUTER_PROFILE"):  # --profile FILE: where a decision's time goes
        import cProfile

        profiler = cProfile.Profile()
        profiler.runcall(lambda: [rank(q) for q in questions])
        profiler.dump_stats(os.environ["BENCH_ROUTER_PROFILE"])
    best = min((_timings(rank, questions) for _ in range(3)), key=lambda t: t["mean"])
    out |= {"ms": best, "ms_top5": min((_timings(lambda q: rank(q, 5), questions) for _ in range(3)),
                                       key=lambda t: t["mean"]), "rss_mb": _rss_mb()}
    if baseline:
        rows = [row for row in conn.execute("SELECT question, answer, answered_by FROM history_answers ORDER BY id")]
        start = time.perf_counter()
        bm25 = PlainBM25([HistoryAnswer(*row) for row in rows])
        out["baseline_build_s"] = time.perf_counter() - start
        out["baseline_ms"] = min((_timings(bm25.rank, questions) for _ in range(3)), key=lambda t: t["mean"])
    return out


def _rss_now_mb() -> float:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


def grow(n_people: int, answers: int, step: int, folder: Path) -> None:
    """Memory and CPU as the history grows: one router fed the history in batches of 5,000 answers (as a
    start's catch-up reads them), the figures printed every `step` answers; then saved, and read back in a
    fresh child (load time, RSS, decisions). No SQLite: only the router is measured."""
    sys.path.insert(0, str(REPO))
    from bot.core.routing import Router

    router = Router(router_index.experts(settings_for(n_people)))
    before = _rss_now_mb()
    print(f"grow: {n_people} people, RSS before the router {before:.0f} MB", flush=True)
    print("answers   cpu(s)  rss-now  peak-rss  profile-postings  precedent-postings", flush=True)
    batch: list[HistoryAnswer] = []
    cpu = time.process_time()
    for i, answer in enumerate(generate(n_people, answers), 1):
        batch.append(answer)
        if len(batch) == 5000 or i == answers:
            router.add_history(batch)
            batch = []
        if i % step == 0 or i == answers:
            postings = sum(len(v[0]) for v in router._profiles._postings.values())
            precedent = sum(len(v[0]) for v in router._questions._postings.values())
            print(f"{i:9,d} {time.process_time() - cpu:8.1f} {_rss_now_mb():7.0f}MB {_rss_mb():7.0f}MB "
                  f"{postings:12,d} {precedent:12,d}", flush=True)
    path = folder / "grown.router"
    start = time.perf_counter()
    router_index.save(path, router_index.Loaded(router, answers, answers, 0))
    print(f"saved in {time.perf_counter() - start:.2f}s: {path.stat().st_size / 2**20:.0f} MB", flush=True)
    del router
    r = _child(["--child", "load", str(path), str(n_people), str(answers)])
    print(f"fresh process: read {r['read_s']:.2f}s (cpu {r['read_cpu_s']:.2f}s), RSS {r['rss_now_mb']:.0f} MB "
          f"(before reading {r['rss_before_mb']:.0f} MB), peak RSS {r['rss_mb']:.0f} MB; ms/decision mean / median / "
          f"p99 {r['ms']['mean']:.2f} / {r['ms']['median']:.2f} / {r['ms']['p99']:.2f} cpu {r['ms']['cpu']:.2f}",
          flush=True)


def count(n_people: int, sizes: list[int]) -> None:
    """What the index holds at each size, counted without building it: profile postings (distinct
    person x n-gram pairs, the bulk of its memory) and evidence entries (distinct person x term pairs).
    The same answers as every other mode, so the count at 100k can be checked against a built index."""
    from bot.core.routing import _grams, _terms

    words_of: list[set[str]] = [set() for _ in range(n_people)]
    index = {e: i for i, e in enumerate(people(n_people))}
    done = 0
    print("answers   profile-postings  evidence-entries  n-grams  terms", flush=True)
    for i, answer in enumerate(generate(n_people, max(sizes)), 1):
        words_of[index[answer.answered_by]].update(words(answer.question), words(answer.answer))
        if i in sizes:
            grams = [set(g for w in ws for g in _grams(w)) for ws in words_of]
            terms = [_terms(tuple(sorted(ws))) for ws in words_of]
            print(f"{i:9,d} {sum(map(len, grams)):16,d} {sum(map(len, terms)):16,d} "
                  f"{len(set().union(*grams)):8,d} {len(set().union(*terms)):6,d}", flush=True)
            done += 1
    assert done == len(set(sizes))


def child_load(path: Path, n_people: int) -> dict:
    """Read a saved index (no database: `_load` directly) and time decisions."""
    import pickle

    questions = new_questions()
    people = router_index.experts(settings_for(n_people))
    before = _rss_now_mb()
    cpu, start = time.process_time(), time.perf_counter()
    with path.open("rb") as f:
        pickle.load(f)
        router = router_index._load(f)
    router.use_keywords(people)
    out = {"read_s": time.perf_counter() - start, "read_cpu_s": time.process_time() - cpu, "rss_before_mb": before}
    out["rss_now_mb"] = _rss_now_mb()
    out["ms"] = min((_timings(router.rank, questions) for _ in range(3)), key=lambda t: t["mean"])
    out["rss_mb"] = _rss_mb()
    return out


def _child(args: list[str]) -> dict:
    result = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--people", type=int, nargs="+", default=[1_000])
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain BM25 router")
    parser.add_argument("--million", action="store_true",
                        help="100k and 1,000,000 answers (the memory budget); the baseline only at 100k")
    parser.add_argument("--since", type=int, default=100,
                        help="answers recorded after the index was last saved (the nightly save: a day's)")
    parser.add_argument("--dir", type=Path, help="keep the database and the saved index here; when they are "
                        "there already (same people and answers), skip the build and measure the restart again")
    parser.add_argument("--grow", type=int, metavar="ANSWERS",
                        help="feed one router up to ANSWERS answers (first --people), printing memory every --step")
    parser.add_argument("--step", type=int, default=100_000)
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="cProfile one pass of the decisions in the restart child into FILE "
                        "(read it with: python -m pstats FILE, then sort tottime, stats 15)")
    parser.add_argument("--count", type=int, nargs="+", metavar="ANSWERS",
                        help="count what the index holds at these sizes without building it (first --people)")
    parser.add_argument("--child", nargs=4, metavar=("KIND", "DB", "PEOPLE", "ANSWERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, db, n_people, answers = args.child
        if kind == "build":
            print(json.dumps(child_build(Path(db), int(n_people), int(answers))))
        elif kind == "load":
            print(json.dumps(child_load(Path(db), int(n_people))))
        else:
            print(json.dumps(child_restart(Path(db), int(n_people), kind.endswith("+baseline"), int(kind.split(":")[1].split("+")[0]))))
        return
    if args.million:
        args.answers = [100_000, 1_000_000]
    if args.profile:
        os.environ["BENCH_ROUTER_PROFILE"] = str(args.profile.resolve())
    print(machine())
    if args.count:
        count(args.people[0], args.count)
        return
    if args.grow:
        with tempfile.TemporaryDirectory() as tmp:
            grow(args.people[0], args.grow, args.step, Path(tmp))
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return
    pools = topics()
    print(f"text: {len(pools)} topics, {sum(len(q) for q, _ in pools)} real questions, "
          f"{sum(len(a) for _, a in pools)} real answer sentences; {len(new_questions())} new questions routed")
    print(f"restart: the saved index read, {args.since} answers recorded since added, the first question routed")
    print("people  answers   build (cpu)     index (save)  build-peak-rss | restart: read / +catch-up (cpu)  "
          "first-decision (cpu)  peak-rss (without router) | "
          "ms/decision mean / median / p99 cpu-mean (top 5) | plain BM25 build, ms mean / p99 cpu | ratio")
    for n_people in args.people:
        for answers in args.answers:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp) if args.dir is None else args.dir / f"{n_people}-{answers}"
                folder.mkdir(parents=True, exist_ok=True)
                db = folder / "uppsikt.db"
                kept = folder / "build.json"
                if kept.is_file() and router_index.path_for(db).is_file():
                    b = json.loads(kept.read_text()) | {"reused": True}
                    print(f"(reusing the database and index built in {folder}: the build figures are that run's)")
                else:
                    b = _child(["--child", "build", str(db), str(n_people), str(answers)])
                    kept.write_text(json.dumps(b))
                baseline = not args.no_baseline and not (args.million and answers > 100_000)
                r = _child(["--child", f"restart:{args.since}" + ("+baseline" if baseline else ""), str(db),
                            str(n_people), str(answers)])
            ms = r["ms"]
            line = (f"{n_people:6d} {answers:8,d} {b['build_s']:7.1f}s ({b['build_cpu_s']:.1f}s) {b['index_mb']:6.0f}MB ({b['save_s']:.2f}s) "
                    f"{b['build_rss_mb']:6.0f}MB | {r['read_s']:5.2f}s / {r['load_s']:5.2f}s ({r['load_cpu_s']:.2f}s) "
                    f"{r['first_decision_s']:6.2f}s ({r['first_cpu_s']:.2f}s) {r['rss_mb']:6.0f}MB "
                    f"({r['rss_before_mb']:.0f}MB) | "
                    f"{ms['mean']:6.2f} / {ms['median']:5.2f} / {ms['p99']:6.2f} cpu {ms['cpu']:5.2f} "
                    f"({r['ms_top5']['mean']:.2f})")
            if "baseline_ms" in r:
                base = r["baseline_ms"]
                line += (f" | {r['baseline_build_s']:6.1f}s {base['mean']:6.2f} / {base['p99']:6.2f} cpu {base['cpu']:5.2f}"
                         f" | {ms['mean'] / base['mean']:.2f}")
            print(line, flush=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
