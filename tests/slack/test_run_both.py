"""A municipality with both Slack and Teams: `uppsikt run --teams --http` serves both from one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO, stop_with_ctrl_c
from tests.slack.signing import SIGNING_SECRET, wait_for
from tests.slack.test_metrics import free_port, get


def post(url: str, body: bytes, content_type: str) -> int:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_uppsikt_run_teams_http_serves_slack_and_teams_on_one_port(tmp_path, slack_api):
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": slack_api.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": slack_api.base_url}
    env.pop("SLACK_APP_TOKEN", None)
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--teams", "--http", "--anonymous", "--host",
                                 "127.0.0.1", "--port", str(port), "--db", str(tmp_path / "u.db")], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        base = f"http://127.0.0.1:{port}"
        up = wait_for(lambda: "/slack/events" in stderr.read_text() or proc.poll() is not None, timeout=60)
        assert up and proc.poll() is None, stderr.read_text()
        assert wait_for(lambda: get(base + "/healthz")[0] == 200, timeout=20), stderr.read_text()
        assert get(base + "/metrics")[0] == 200
        # Slack's route: an unsigned request is refused by the signature check
        assert post(base + "/slack/events", b"command=%2Fuppsikt", "application/x-www-form-urlencoded") == 401
        # Teams's route, on the same port: the SDK refuses an activity without a conversation
        assert post(base + "/api/messages", json.dumps({"type": "message"}).encode(), "application/json") == 400
    finally:
        code = stop_with_ctrl_c(proc)  # what Ctrl+C does: run() stops the server and the scheduler
    assert code == 0, stderr.read_text()[-3000:]
