"""Compatibility proof: Nango's official Node client, `@nangohq/node` 0.71.10 (tests/node/package-lock.json),
unmodified, against `nango-tui serve`. The client is npm-installed into tests/node/node_modules on first use."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.server_process import ServerProcess
from tests.support.server_project import connection_body, write_project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # real server processes; a loaded machine is slow

NODE_DIR = Path(__file__).parent / "node"


def _install() -> str | None:
    """None when the client is ready, else why it cannot be."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm are not installed (Node >= 20 is needed for @nangohq/node)"
    if (NODE_DIR / "node_modules" / "@nangohq" / "node" / "package.json").is_file():
        return None
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        return f"npm ci failed: {result.stderr[-500:]}"
    return None


@pytest.fixture(scope="module")
def node():
    why = _install()
    if why:
        pytest.skip(why)
    return NODE_DIR


@pytest.fixture(scope="module")
def server(tmp_path_factory, node, backend_url):
    base = tmp_path_factory.mktemp("node")
    proc = ServerProcess(base / "data", database=backend_url).start()
    project = write_project(base / "proj")
    assert proc.cli("deploy", "dev", "--dir", str(project), "--auto-confirm").returncode == 0
    proc.post("/connections", json=connection_body("c1", count=100, batch=30))
    proc.wait_for(
        lambda: [
            r
            for r in proc.get("/sync/runs?sync=items&provider_config_key=acme").json()["runs"]
            if r["status"] == "SUCCESS"
        ],
        what="the first sync",
    )
    yield proc
    proc.stop()


def run_node(server, scenario: str, **env: str) -> dict:
    result = subprocess.run(
        ["node", "compat.mjs", scenario],
        cwd=NODE_DIR,
        env={**os.environ, "NANGO_HOST": server.url, "NANGO_KEY": server.keys["dev"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_list_records_pages_filters_ids(server):
    out = run_node(server, "records")
    flat = [rid for page in out["pages"] for rid, _ in page]
    assert [len(p) for p in out["pages"]] == [40, 40, 20]
    assert sorted(flat) == sorted(f"i{k}" for k in range(100))
    assert out["added"] == 100 and out["deleted"] == 0 and out["ids"] == ["i1", "i2"]
    assert out["modifiedAfterFuture"] == 0
    assert (
        out["badLimit"]["status"] == 400
        and out["badLimit"]["data"]["error"]["code"] == "invalid_query_params"
    )
    assert out["unknownConnection"]["status"] == 404


def test_actions_including_action_error(server):
    out = run_node(server, "actions")
    assert out["echo"] == {"id": "x", "n": 3}
    assert out["fail"]["ok"] is False and out["fail"]["status"] == 500
    assert out["fail"]["data"] == {
        "error": {
            "message": "The action script failed with a runtime error",
            "code": "action_script_runtime_error",
            "payload": {"reason": "bad input", "id": "y"},
        }
    }
    assert out["asyncStarted"]["statusUrl"] == f"/action/{out['asyncStarted']['id']}"
    assert out["asyncResult"] == {"id": "z", "n": 1}


def test_trigger_pause_start_status_frequency_connection(server):
    out = run_node(server, "syncs")
    for call in ("trigger", "triggerFull", "pause", "start"):
        answer = out[call]
        assert (answer.get("data") if "status" in answer else answer) == {"success": True}, (call, answer)
    assert out["statusPaused"] == ["PAUSED"]
    assert out["status"]["name"] == "items" and out["status"]["connection_id"] == "c1"
    assert set(out["status"]) >= {
        "id",
        "status",
        "type",
        "finishedAt",
        "nextScheduledSyncAt",
        "frequency",
        "latestResult",
        "recordCount",
    }
    assert out["frequency"] == {"frequency": "every 7200s"}
    assert out["connection"]["credentials"]["apiKey"] == "sk-test-secret-value"
    assert out["connections"] == ["c1"] and out["integration"] == "acme"


def test_webhook_signatures_verify_with_the_client(server, local_server):
    local_server.route("POST", "/hook", lambda req: {"ok": True})
    server.request("PATCH", "/environment", json={"webhook_url": local_server.url + "/hook"})
    try:
        server.post("/connections", json=connection_body("w1", count=3, batch=3))
        hook = server.wait_for(
            lambda: [q for q in local_server.requests if q.path == "/hook"], what="a webhook"
        )[0]
    finally:
        server.request("PATCH", "/environment", json={"webhook_url": None})
    out = run_node(
        server,
        "webhook",
        WEBHOOK_BODY=hook.body.decode(),
        WEBHOOK_SIGNATURE=hook.headers["x-nango-signature"],
        WEBHOOK_HMAC=hook.headers["x-nango-hmac-sha256"],
    )
    assert out == {"legacy": True, "hmac": True, "tampered": False}


def test_readme_quick_start_and_node_snippet(tmp_path, node):
    """The README's server quick start, as written (the port aside), then its Node snippet."""
    import re

    from tests.support.paths import REPO

    section = (REPO / "README.md").read_text().split("## Deploy and serve")[1].split("\n## ")[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
    shell = [text for lang, text in blocks if lang == "sh"]
    snippet = next(text for lang, text in blocks if lang == "js")
    assert len(shell) == 2 and "nango-tui serve" in shell[0]
    key = re.search(r"NANGO_SECRET_KEY_DEV=(\S+)", shell[0]).group(1)
    server = ServerProcess(tmp_path / "data", env={"NANGO_SECRET_KEY_DEV": key}).start()
    try:
        if not (REPO / ".venv" / "bin" / "nango-tui").exists():
            pytest.skip("the README's commands use .venv/bin/nango-tui, which this checkout lacks")
        result = subprocess.run(
            ["bash", "-c", shell[1]],
            cwd=REPO,
            env={**os.environ, "NANGO_HOSTPORT": server.url},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert "pushed github-demo" in result.stdout
        server.wait_for(
            lambda: server.get(
                "/records?model=GithubIssue",
                key=key,
                headers={"Connection-Id": "github-demo", "Provider-Config-Key": "github"},
            ).json()["records"],
            what="the github-demo records",
        )
        script = NODE_DIR / f"readme-snippet-{os.getpid()}.mjs"
        script.write_text(snippet.replace("http://localhost:3003", server.url))
        try:
            ran = subprocess.run(
                ["node", script.name], cwd=NODE_DIR, capture_output=True, text=True, timeout=60
            )
        finally:
            script.unlink()
        assert ran.returncode == 0, ran.stderr
        count = int(ran.stdout.split()[0])
        assert count > 5 and "dark mode" in ran.stdout.lower()
    finally:
        server.stop()
