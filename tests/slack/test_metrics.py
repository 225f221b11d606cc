"""Observability in HTTP mode: GET /metrics (Prometheus 0.0.4), GET /healthz, structured logs with secrets masked."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from bot import logs, metrics
from bot.server import serve_http, serve_in_thread
from tests.conftest import REPO, Harness, local, stop_with_ctrl_c
from tests.slack.signing import SIGNING_SECRET, response_urls, slack, wait_for  # noqa: F401 (fixtures)

QUESTION = "När öppnar återvinningscentralen efter jul?"


def get(url: str, timeout: float = 10) -> tuple[int, str, str]:
    """(status, content type, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode("utf-8")


@pytest.fixture
def served(slack):
    """(driver, base URL): the Slack app and the bot behind a real HTTP server on 127.0.0.1."""
    servers = []

    def make(**kwargs):
        s = slack(**kwargs)
        server = serve_http(s.app, "127.0.0.1", 0, bot=s.bot)
        serve_in_thread(server)
        servers.append(server)
        return s, f"http://127.0.0.1:{server.server_address[1]}"

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(metrics, "CACHE_SECONDS", 0.0)  # every scrape reads the database


def scrape(base: str) -> dict[str, float]:
    status, ctype, body = get(base + "/metrics")
    assert status == 200, body
    assert ctype == "text/plain; version=0.0.4; charset=utf-8"
    check_format(body)
    return metrics.parse(body)


def check_format(body: str) -> None:
    """Every sample belongs to a family announced with HELP and TYPE just before it, values are numbers."""
    assert body.endswith("\n")
    announced: dict[str, str] = {}
    current = None
    for line in body.splitlines():
        if line.startswith("# HELP "):
            current = line.split()[2]
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert name == current and kind in ("counter", "gauge")
            announced[name] = kind
        else:
            name = line.split("{")[0].split(" ")[0]
            assert name == current, line
            float(line.rsplit(" ", 1)[1])
    assert {"uppsikt_events_total", "uppsikt_actions_total", "uppsikt_items", "uppsikt_items_overdue",
            "uppsikt_outbox_pending", "uppsikt_outbox_failed", "uppsikt_last_tick_timestamp_seconds",
            "uppsikt_crisis_mode"} <= set(announced)
    assert announced["uppsikt_events_total"] == "counter" and announced["uppsikt_items"] == "gauge"


# --------------------------------------------------------------------------- /metrics


def test_metrics_follow_what_happens(served, slack_api, fresh):
    s, base = served()
    m = scrape(base)
    assert m['uppsikt_items{status="open"}'] == 0 and m["uppsikt_outbox_pending"] == 0
    assert m["uppsikt_last_tick_timestamp_seconds"] == 0 and m["uppsikt_crisis_mode"] == 0

    for n in range(3):  # three comments through Slack, one through the Meta webhook path
        resp, _ = s.message("konto-facebook", f"{QUESTION} ({n})", integration="Meta")
        assert resp.status == 200
    s.bot.intake("instagram", "Var kan jag parkera vid simhallen?", source="meta", external_id="ig1")
    s.bot.intake("facebook", "Snyggt foto!", source="meta", external_id="fb1")
    s.bot.tick()
    m = scrape(base)
    assert m['uppsikt_events_total{source="slack",kind="comment"}'] == 3
    assert m['uppsikt_events_total{source="meta",kind="comment"}'] == 2
    assert m['uppsikt_items{status="open"}'] == 4 and m['uppsikt_items{status="noted"}'] == 1
    assert m['uppsikt_items{status="answered"}'] == 0  # every known status is there, 0 too
    assert m['uppsikt_actions_total{action="item.intake"}'] == 5
    assert m["uppsikt_last_tick_timestamp_seconds"] == s.now()
    assert m["uppsikt_items_overdue"] == 0

    assert s.bot.command("karin@example.se", "/kris på Stormen Ylva").ok
    assert s.bot.command("lena@example.se", "/uppsikt klart facebook").ok
    s.h.run_until(s.h.clock.now() + dt.timedelta(seconds=30))  # past Uppsikt's own per-channel rate limit
    m = scrape(base)
    assert m["uppsikt_crisis_mode"] == 1 and m['uppsikt_actions_total{action="crisis.on"}'] == 1
    assert m["uppsikt_outbox_pending"] == 0 and m["uppsikt_outbox_oldest_pending_seconds"] == 0
    audit = dict(s.bot.db.execute("SELECT action, COUNT(*) FROM audit GROUP BY action").fetchall())
    assert {k: v for k, v in m.items() if k.startswith("uppsikt_actions_total")} == {
        f'uppsikt_actions_total{{action="{a}"}}': n for a, n in audit.items()}

    # Slack goes down: the outbox fills up and ages; two days on, the questions are overdue
    slack_api.fail("chat.postMessage", status=500, times=50)
    s.h.clock.advance(dt.timedelta(days=2))
    s.bot.tick()
    wait_for(lambda: slack_api.calls_to("chat.postMessage") and s.bot.db.execute(
        "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts > 0").fetchone()[0])
    s.h.clock.advance(dt.timedelta(minutes=1))
    m = scrape(base)
    pending = s.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    assert pending and m["uppsikt_outbox_pending"] == pending
    assert m["uppsikt_outbox_oldest_pending_seconds"] >= 60
    assert m["uppsikt_items_overdue"] == 4
    assert s.bot.command("karin@example.se", "/kris av").ok
    assert scrape(base)["uppsikt_crisis_mode"] == 0


def test_metrics_are_cached_briefly_and_read_without_the_bots_lock(served):
    s, base = served()
    s.bot.intake("facebook", QUESTION, source="meta", external_id="c1")
    first = scrape(base)
    assert first['uppsikt_events_total{source="meta",kind="comment"}'] == 1
    got: list[dict] = []
    with s.bot.lock:  # a long entry point holds the lock: the figures still come, from the last snapshot
        s.bot.intake("facebook", QUESTION + "?", source="meta", external_id="c2")
        t = threading.Thread(target=lambda: got.append(scrape(base)))
        t.start()
        t.join(timeout=10)
    assert got and got[0]['uppsikt_events_total{source="meta",kind="comment"}'] == 1  # cached
    reader = metrics.reader(s.bot)
    reader.cache_seconds = 0
    with s.bot.lock:  # uncached: a read-only connection of its own sees what is committed, lock or not
        t = threading.Thread(target=lambda: got.append(scrape(base)))
        t.start()
        t.join(timeout=10)
    assert len(got) == 2 and got[1]['uppsikt_events_total{source="meta",kind="comment"}'] == 2
    assert got[1]["uppsikt_metrics_age_seconds"] < 1


def test_metrics_of_an_in_memory_bot_and_the_text_format(settings):
    h = Harness(settings, local(2026, 12, 7, 9, 0))
    h.bot.intake("facebook", QUESTION, source="slack", external_id="m1")
    body = metrics.render(h.bot)
    check_format(body)
    assert metrics.parse(body)['uppsikt_events_total{source="slack",kind="comment"}'] == 1
    fam = metrics.Family("x_total", "counter", "Help with a \\ and a\nnewline.").add(1.5, label='sa "hej"\\\n')
    assert metrics.exposition([fam]) == ('# HELP x_total Help with a \\\\ and a\\nnewline.\n# TYPE x_total counter\n'
                                         'x_total{label="sa \\"hej\\"\\\\\\n"} 1.5\n')
    assert metrics.exposition([metrics.Family("g", "gauge", "h").add(float("inf")).add(3.0)]).endswith(
        "g +Inf\ng 3\n")


def test_metrics_without_a_readable_database_answer_503(served, tmp_path, caplog):
    s, base = served()
    reader = metrics.reader(s.bot)
    reader.cache_seconds = 0
    reader.close()
    reader._path = str(tmp_path / "finns-inte" / "u.db")
    with caplog.at_level(logging.ERROR, logger="uppsikt.slack"):
        status, _, body = get(base + "/metrics")
    assert status == 503 and body.startswith("metrics unavailable:")
    assert "cannot read the figures" in caplog.text


# --------------------------------------------------------------------------- /healthz


def test_healthz_reports_a_stopped_scheduler_an_unreadable_database_and_a_stuck_bot(served, monkeypatch):
    s, base = served()
    assert get(base + "/healthz")[::2] == (503, "unhealthy: the scheduler has not ticked yet")
    s.bot.tick()
    assert get(base + "/healthz")[::2] == (200, "ok")
    s.h.clock.advance(dt.timedelta(minutes=5))
    assert get(base + "/healthz")[::2] == (200, "ok")  # five minutes is still fine
    s.h.clock.advance(dt.timedelta(seconds=61))
    assert get(base + "/healthz")[::2] == (503, "unhealthy: the last scheduler tick was 361 s ago (limit 300 s)")
    s.bot.tick()
    assert get(base + "/healthz")[0] == 200

    s.bot.db.conn.set_authorizer(lambda *args: sqlite3.SQLITE_DENY)  # nothing can be read any more
    try:
        status, ctype, body = get(base + "/healthz")
    finally:
        s.bot.db.conn.set_authorizer(None)
    assert status == 503 and ctype.startswith("text/plain")
    assert body.startswith("unhealthy: the database cannot be read (") and "not authorized" in body
    assert get(base + "/healthz")[0] == 200

    s.bot.db.execute("BEGIN")  # a transaction leaked by code that wrote without the lock and never finished
    try:
        status, _, body = get(base + "/healthz")
    finally:
        s.bot.db.execute("ROLLBACK")
    assert (status, body) == (503, "unhealthy: the database connection has stayed inside one transaction for "
                                   "more than 0.5 s: nothing is being committed")
    assert get(base + "/healthz")[0] == 200

    monkeypatch.setattr(metrics, "LOCK_TIMEOUT", 0.2)
    held, release = threading.Event(), threading.Event()

    def stuck() -> None:
        with s.bot.lock:
            held.set()
            release.wait(10)

    t = threading.Thread(target=stuck)
    t.start()
    try:
        held.wait(5)
        assert get(base + "/healthz")[::2] == (503, "unhealthy: the bot has been busy for more than 0.2 s")
    finally:
        release.set()
        t.join()
    assert get(base + "/healthz")[0] == 200


def test_without_a_bot_the_server_answers_healthz_ok_and_has_no_metrics(slack):
    s = slack()
    server = serve_http(s.app, "127.0.0.1", 0)
    serve_in_thread(server)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert get(base + "/healthz")[::2] == (200, "ok")
        assert get(base + "/metrics")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- uppsikt run --http, a real process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_uppsikt_run_http_serves_healthz_and_metrics_and_logs_json_without_secrets(tmp_path, slack_api):
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": slack_api.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": slack_api.base_url, "UPPSIKT_LOG_FORMAT": "json", "UPPSIKT_LOG_LEVEL": "INFO"}
    env.pop("SLACK_APP_TOKEN", None)
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1", "--port",
                                 str(port), "--db", str(tmp_path / "u.db")], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=err,
                                # started the way a non-interactive shell starts a background job: SIGINT
                                # ignored. The server must still stop on Ctrl+C (and on SIGTERM).
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        base = f"http://127.0.0.1:{port}"
        up = wait_for(lambda: "/slack/events" in stderr.read_text() or proc.poll() is not None, timeout=60)
        assert up and proc.poll() is None, stderr.read_text()
        assert get(base + "/healthz")[::2] == (200, "ok")  # run() ticks before it serves
        m = scrape(base)
        assert m["uppsikt_last_tick_timestamp_seconds"] == pytest.approx(time.time(), abs=120)
        assert slack_api.calls_to("auth.test")  # SLACK_API_URL: the token was checked against the mock
    finally:
        code = stop_with_ctrl_c(proc)  # what Ctrl+C does: run() stops the server and the scheduler
    assert code == 0, stderr.read_text()[-3000:]  # what the process said, if it did not stop
    text = stderr.read_text()
    assert slack_api.token not in text and SIGNING_SECRET not in text
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(r["logger"] == "uppsikt.jobs" and r["message"].startswith("scheduler started") for r in records)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)


# --------------------------------------------------------------------------- structured logs
# (The tests log on "tests.logs": slack_bolt's App(name="uppsikt") copies the root logger's level onto the
# "uppsikt" logger when an app is built, so under pytest that logger is pinned to whatever root had then.)


@pytest.fixture
def root_logger():
    """The root logger, restored afterwards (pytest's own handlers included)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


SECRET = "hemlig-signeringsnyckel-123"
TOKENS = ("xoxb-1111-2222-abcdefABCDEF", "xoxp-9-8-7-userToken", "xapp-1-A0ABC-123-def456", "xoxa-2-abc")


def test_json_lines_with_extra_fields_and_exceptions(root_logger):
    out = io.StringIO()
    handler = logs.configure("INFO", json=True, stream=out, force=True, secrets=[SECRET])
    assert handler is not None and root_logger.level == logging.INFO
    log = logging.getLogger("tests.logs")
    log.info("ärende %s tilldelat\nandra raden", 17, extra={"item": 17, "account": "facebook"})
    log.debug("syns inte")
    try:
        raise ValueError("trasig")
    except ValueError:
        log.exception("det gick fel")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # one JSON object per line, newlines escaped inside
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "ärende 17 tilldelat\nandra raden" and first["level"] == "INFO"
    assert first["logger"] == "tests.logs" and first["item"] == 17 and first["account"] == "facebook"
    assert dt.datetime.fromisoformat(first["time"]).tzinfo is not None and first["time"].endswith("Z")
    assert second["level"] == "ERROR" and "ValueError: trasig" in second["exception"]


def test_tokens_and_configured_secrets_are_masked_everywhere(root_logger):
    for as_json in (True, False):
        out = io.StringIO()
        logs.configure("DEBUG", json=as_json, stream=out, force=True, secrets=[SECRET, "k0rt"])
        log = logging.getLogger("tests.logs")
        log.warning("token %s och %s", TOKENS[0], SECRET)
        log.warning("Authorization: Bearer " + TOKENS[1])
        log.info("socket %s", {"app_token": TOKENS[2]}, extra={"token": TOKENS[3], "nested": [SECRET]})
        logging.getLogger("slack_sdk.web.base_client").debug("Sending a request - token: %s", TOKENS[0])
        try:
            raise RuntimeError(f"Slack sa nej till {TOKENS[0]} med {SECRET}")
        except RuntimeError:
            log.exception("fel")
        log.warning("pinkod k0rt")  # a four-character secret is masked too, when it is configured …
        text = out.getvalue()
        assert text.count("***") >= 8
        for secret in (*TOKENS, SECRET, "1111-2222", "userToken", "k0rt"):
            assert secret not in text, (as_json, secret)
        assert "xoxb-***" in text and "xapp-***" in text and "pinkod ***" in text
    out = io.StringIO()
    logs.configure("INFO", json=False, stream=out, force=True, secrets=["abc"])
    logging.getLogger("tests.logs").info("abc")
    assert "abc" in out.getvalue()  # … but nothing shorter: it would mask ordinary words


def test_configure_reads_the_environment_and_leaves_a_configured_root_alone(root_logger, monkeypatch):
    monkeypatch.setenv("UPPSIKT_LOG_FORMAT", "json")
    monkeypatch.setenv("UPPSIKT_LOG_LEVEL", "info")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    assert logs.configure() is None  # pytest's handlers are there: like basicConfig, nothing changes
    out = io.StringIO()
    logs.configure(stream=out, force=True)
    logging.getLogger("tests.logs").info("nyckeln är %s", SECRET)
    record = json.loads(out.getvalue())
    assert record["level"] == "INFO" and record["message"] == "nyckeln är ***"
    again = io.StringIO()
    logs.configure(stream=again)  # ours is replaced, not doubled
    logging.getLogger("tests.logs").info("en gång")
    assert out.getvalue().count("\n") == 1 and again.getvalue().count("\n") == 1
    assert sum(1 for h in root_logger.handlers if getattr(h, "_uppsikt", False)) == 1
    monkeypatch.setenv("UPPSIKT_LOG_FORMAT", "text")
    plain = io.StringIO()
    logs.configure(stream=plain, force=True)
    logging.getLogger("tests.logs").warning("vanlig rad")
    assert plain.getvalue().rstrip().endswith("WARNING tests.logs vanlig rad") and not plain.getvalue().startswith("{")
