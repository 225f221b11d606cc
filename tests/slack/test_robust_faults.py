"""Issue 16 fault tests against the real `uppsikt run --http` process (tests/crash_bot.py): the database file
deleted or replaced while the process runs, a restart on an empty database, a second process on the same
database, bursts of connections and stalled uploads. Loopback only, every wait bounded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from tests.conftest import REPO
from tests.slack.signing import SIGNING_SECRET
from tests.slack.test_faults_crash import Bots, api, bots, get, poll  # noqa: F401


def start_refused(bots: Bots, extra_env: dict[str, str] | None = None) -> tuple[int, str]:
    """Start a process that is expected to refuse: (exit code, what it said)."""
    env = {**os.environ, "SLACK_BOT_TOKEN": bots.api.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": bots.api.base_url, "UPPSIKT_LOG_LEVEL": "INFO", **(extra_env or {})}
    proc = subprocess.run([sys.executable, "-m", "tests.crash_bot", "--db", str(bots.db), "--clock",
                           str(bots.clock_file)], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_database_file_deleted_while_running_is_seen_and_a_restart_on_nothing_is_refused(bots):
    run = bots.start()
    assert poll(lambda: get(run.base + "/healthz") == (200, "ok"))
    bots.db.unlink()
    status, text = get(run.base + "/healthz")
    assert status == 503 and "is gone" in text, text
    bots.kill()
    for suffix in ("-wal", "-shm"):
        bots.db.with_name(bots.db.name + suffix).unlink(missing_ok=True)
    code, said = start_refused(bots)
    assert code != 0 and "här fanns en databas förut" in said and "UPPSIKT_ALLOW_NEW_DATABASE=1" in said, said
    assert not bots.db.exists() or bots.db.stat().st_size == 0  # nothing created in its place


def test_the_database_file_replaced_while_running_is_seen(bots):
    run = bots.start()
    assert poll(lambda: get(run.base + "/healthz") == (200, "ok"))
    shutil.copy(bots.db, bots.tmp / "copy.db")
    os.replace(bots.tmp / "copy.db", bots.db)
    status, text = get(run.base + "/healthz")
    assert status == 503 and "was replaced" in text, text
    metrics = get(run.base + "/metrics")[1]
    assert re.search(r"^uppsikt_health_problem\{reason=\"database_file\"\} 1$", metrics, re.M), metrics


def test_a_second_process_on_the_same_database_is_refused_at_start_up(bots):
    """Issue 16 point 10: two processes on one database got "database is locked" on 19.5 % of the events and
    would both deliver the outbox; the second one now refuses to start, saying why, and the first goes on."""
    run = bots.start()
    code, said = start_refused(bots)
    assert code == 2 and "en annan Uppsikt-process använder redan databasen" in said, said
    assert get(run.base + "/healthz") == (200, "ok")
