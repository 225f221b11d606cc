"""`python -m bot.healthcheck`, the container's HEALTHCHECK: 0 on 200 from /healthz, 1 on 503 or no answer,
0 when there is no HTTP to ask (Socket Mode). Loopback only."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.healthcheck import check


@pytest.fixture
def server():
    answers = {"status": 200, "body": b"ok"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(answers["status"])
            self.end_headers()
            self.wfile.write(answers["body"])

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/healthz", answers
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_healthy_on_200(server):
    url, _ = server
    assert check({"UPPSIKT_HEALTHZ_URL": url}) == (0, "/healthz svarade 200: ok")


def test_unhealthy_on_503_with_the_reason(server):
    url, answers = server
    answers.update(status=503, body="ingen tick på 312 sekunder".encode())
    assert check({"UPPSIKT_HEALTHZ_URL": url}) == (1, "/healthz svarade 503: ingen tick på 312 sekunder")


def test_unhealthy_when_nothing_answers():
    code, text = check({"UPPSIKT_HEALTHZ_URL": "http://127.0.0.1:1/healthz"})  # loopback, nothing listens
    assert code == 1 and text.startswith("Inget svar från http://127.0.0.1:1/healthz")


def test_nothing_to_ask_without_an_address_and_a_bad_address_is_said():
    assert check({}) == (0, "Inget att fråga: UPPSIKT_HEALTHZ_URL är inte satt (Socket Mode har ingen HTTP-adress).")
    code, text = check({"UPPSIKT_HEALTHZ_URL": "file:///etc/passwd"})
    assert code == 1 and "ska vara en http- eller https-adress" in text
