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


def test_the_database_file_deleted_while_running_is_seen_and_a_restart_on_nothing_is_refused(bots, monkeypatch):
    run = bots.start()
    assert poll(lambda: get(run.base + "/healthz") == (200, "ok"))
    bots.db.unlink()
    status, text = get(run.base + "/healthz")
    assert status == 503 and "is gone" in text, text
    bots.kill()
    for suffix in ("-wal", "-shm"):
        bots.db.with_name(bots.db.name + suffix).unlink(missing_ok=True)
    code, said = start_refused(bots)
    assert code == 2 and "här fanns en databas förut" in said and "UPPSIKT_ALLOW_NEW_DATABASE=1" in said, said
    code, said = start_refused(bots)  # and again: the empty file opening made is no excuse
    assert code == 2 and "här fanns en databas förut" in said, said
    bots.runs.clear()
    monkeypatch.setenv("UPPSIKT_ALLOW_NEW_DATABASE", "1")  # told to: starts on an empty database
    run = bots.start()
    assert get(run.base + "/healthz")[0] in (200, 503)
    monkeypatch.delenv("UPPSIKT_ALLOW_NEW_DATABASE")


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


# --------------------------------------------------------------------------- bursts of connections, stalled uploads

BURST_CONNECTIONS = 300
STALLED = 200
BODY_TIMEOUT = 2.0


def proc_status(pid: int, field: str) -> int:
    for line in open(f"/proc/{pid}/status", encoding="ascii"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_300_concurrent_connections_are_all_served_and_stalled_uploads_time_out(bots, monkeypatch):
    """Issue 16 point 8 on the one aiohttp stack: the old ThreadingHTTPServer reset 135 of 300 concurrent
    connections (backlog 5) and 1,100 stalled uploads held 1,105 threads."""
    import asyncio

    monkeypatch.setenv("UPPSIKT_BODY_TIMEOUT_SECONDS", str(BODY_TIMEOUT))
    run = bots.start()
    port = int(run.base.rsplit(":", 1)[1])
    pid = run.proc.pid

    async def one_get() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        return data

    async def burst() -> list:
        return await asyncio.gather(*(one_get() for _ in range(BURST_CONNECTIONS)), return_exceptions=True)

    answers = asyncio.run(burst())
    failures = [a for a in answers if not (isinstance(a, bytes) and a.startswith(b"HTTP/1.1 200"))]
    assert not failures, f"{len(failures)} of {BURST_CONNECTIONS} not served: {failures[:3]}"

    threads_before, fds_before = proc_status(pid, "Threads"), open_fds(pid)

    async def stalled() -> list:
        conns = []
        for _ in range(STALLED):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100000\r\n\r\n{\"type\": ")  # … and nothing more
            await writer.drain()
            conns.append((reader, writer))
        await asyncio.sleep(0.5)
        during = (proc_status(pid, "Threads"), open_fds(pid))
        answers = await asyncio.gather(*(asyncio.wait_for(r.read(), BODY_TIMEOUT + 20) for r, _ in conns),
                                       return_exceptions=True)
        for _, w in conns:
            w.close()
        return [during, answers]

    (threads_during, fds_during), stalled_answers = asyncio.run(stalled())
    assert threads_during <= threads_before + 5, (threads_before, threads_during)  # no thread per connection
    assert fds_during >= fds_before + STALLED // 2  # the sockets really were open meanwhile
    timed_out = [a for a in stalled_answers if isinstance(a, bytes) and a.startswith(b"HTTP/1.1 408")]
    assert len(timed_out) == STALLED, [a[:40] if isinstance(a, bytes) else a for a in stalled_answers[:3]]
    assert poll(lambda: open_fds(pid) <= fds_before + 5, timeout=20), (fds_before, open_fds(pid))
    assert get(run.base + "/healthz") == (200, "ok")
