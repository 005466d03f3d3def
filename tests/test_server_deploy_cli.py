"""`nango-tui deploy` and `connections push` against a real server: confirmation rules, versions,
destructive changes, compile errors, settings problems; OAuth2 refresh on the server."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import warm_cli
from tests.support.paths import SAMPLES
from tests.support.server_process import ServerProcess, free_port
from tests.support.server_project import NANGO_YAML, connection_body, write_project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # real server processes; a loaded machine is slow


@pytest.fixture(scope="module")
def server(tmp_path_factory, backend_url):
    base = tmp_path_factory.mktemp("deploycli")
    proc = ServerProcess(base / "data", database=backend_url).start()
    yield proc
    proc.stop()


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "proj")


def deploy(server, project, *args, environment="dev"):
    return server.cli("deploy", environment, "--dir", str(project), *args, environment=environment)


def test_off_a_terminal_it_asks_for_auto_confirm(server, project):
    result = deploy(server, project, environment="prod")
    assert result.returncode == 1
    assert "pass --auto-confirm" in result.stderr and "nothing was deployed" in result.stderr
    assert '"newSyncs"' in result.stdout and "Sync items (acme) is new" in result.stdout
    assert server.get("/integrations", key="prod").json() == {"data": []}


def test_versions_go_up_and_v_sets_them(server, project):
    first = deploy(server, project, "--auto-confirm", environment="prod")
    assert first.returncode == 0, first.stderr
    assert "items@v1" in first.stdout and "GET /items  -> records of acme/items" in first.stdout
    second = deploy(server, project, "--auto-confirm", environment="prod")
    assert "items@v2" in second.stdout and "echo@v2" in second.stdout
    third = deploy(server, project, "--auto-confirm", "--sync", "items", "-v", "7.0.0", environment="prod")
    assert third.returncode == 0 and "items@v7.0.0" in third.stdout and "echo" not in third.stdout
    as_json = deploy(server, project, "--auto-confirm", "--json", environment="prod")
    data = json.loads(as_json.stdout)
    assert {d["name"]: d["version"] for d in data["deployed"]}["items"] == "7.0.1"
    assert [s["name"] for s in data["differences"]["updatedSyncs"]] == ["items"]


def test_removing_a_sync_with_connections_needs_allow_destructive(server, project):
    assert deploy(server, project, "--auto-confirm").returncode == 0
    server.post("/connections", json=connection_body("d1", count=3))
    server.wait_for(
        lambda: server.get(
            "/records?model=Item", headers={"Connection-Id": "d1", "Provider-Config-Key": "acme"}
        ).json()["records"],
        what="records",
    )
    (project / "nango.yaml").write_text(
        NANGO_YAML.replace(
            "        syncs:\n            items:\n                runs: every 30min\n                sync_type: full\n                track_deletes: true\n                output: Item\n                endpoint: GET /items\n",
            "",
        )
    )
    (project / "acme" / "syncs" / "items.py").unlink()
    refused = deploy(server, project, "--auto-confirm")
    assert refused.returncode == 1 and "--allow-destructive" in refused.stderr
    assert (
        "! Sync items (acme) has been removed: its data will be deleted for 1 connection(s)" in refused.stdout
    )
    assert "! Model Item has been removed" in refused.stdout
    assert server.get(
        "/records?model=Item", headers={"Connection-Id": "d1", "Provider-Config-Key": "acme"}
    ).json()["records"]
    done = deploy(server, project, "--auto-confirm", "--allow-destructive")
    assert done.returncode == 0, done.stderr
    assert (
        server.get(
            "/records?model=Item", headers={"Connection-Id": "d1", "Provider-Config-Key": "acme"}
        ).json()["records"]
        == []
    )
    r = server.post("/sync/trigger", json={"syncs": ["items"], "provider_config_key": "acme"})
    assert r.status_code == 404


def test_interactive_prompt_answers(server, project, monkeypatch):
    from nango_tui.remote.deploy import DeployOptions, run
    from nango_tui.workflows import deploy_plan

    class Tty(io.StringIO):
        def isatty(self):
            return True

    for key, value in server.client_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CI", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert run(DeployOptions(project, "dev"), deploy_plan, out=out, err=err, stdin=Tty("n\n")) == 1
    assert "Do you want to continue? (y/N)" in out.getvalue() and "cancelled" in err.getvalue()
    out = io.StringIO()
    assert run(DeployOptions(project, "dev"), deploy_plan, out=out, err=io.StringIO(), stdin=Tty("y\n")) == 0
    assert "Successfully deployed" in out.getvalue()


def test_compile_errors_stop_the_deploy(server, project):
    (project / "acme" / "actions" / "echo.py").write_text(
        "async def run_action(nango, input):\n    return undefined_name\n"
    )
    before = server.get("/integrations/acme").status_code
    result = deploy(server, project, "--auto-confirm")
    assert result.returncode == 1 and "compile found" in result.stderr and "echo.py" in result.stderr
    assert server.get("/integrations/acme").status_code == before


def test_settings_problems_are_one_clear_line(server, project, tmp_path):
    env = server.client_env()
    import sys

    def run(**extra):
        return warm_cli.run(
            [sys.executable, "-m", "nango_tui", "deploy", "dev", "--dir", str(project), "--auto-confirm"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    cloud = run(NANGO_HOSTPORT="https://api.nango.dev")
    assert cloud.returncode == 1 and "cannot run Python scripts" in cloud.stderr
    nokey = run(NANGO_SECRET_KEY_DEV="")
    assert nokey.returncode == 1 and "NANGO_SECRET_KEY_DEV is not set" in nokey.stderr
    down = run(NANGO_HOSTPORT=f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 1 and "is `nango-tui serve` running?" in down.stderr
    wrong = run(NANGO_SECRET_KEY_DEV="wrong")
    assert wrong.returncode == 1 and "401" in wrong.stderr
    for r in (cloud, nokey, down, wrong):
        assert "Traceback" not in r.stderr
    nofolder = server.cli("deploy", "dev", "--dir", str(tmp_path / "none"))
    assert nofolder.returncode == 1 and "no nango.yaml" in nofolder.stderr


def test_connections_push_sample_demo_connections(server, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_ACCESS_TOKEN"))}
    assert clean is not None
    result = server.cli("connections", "push", "dev", "--dir", str(SAMPLES))
    assert result.returncode == 0, result.stderr
    assert "pushed github-demo (github, replays its recordings)" in result.stdout
    assert "skipped my-github" in result.stderr or "pushed my-github" in result.stdout
    listed = {c["connection_id"] for c in server.get("/connections").json()["connections"]}
    assert {"salesforce-demo", "github-demo", "linear-demo"} <= listed


def test_oauth2_token_refreshed_before_expiry(server, local_server):
    calls = []

    def token(req):
        calls.append(req.body.decode())
        return {"access_token": f"fresh-{len(calls)}", "refresh_token": "r2", "expires_in": 3600}

    local_server.route("POST", "/token", token)
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    body = connection_body("oa1")
    body["credentials"] = {"type": "OAUTH2", "access_token": "old", "refresh_token": "r1", "expires_at": soon}
    body["connection_config"] = {"token_url": local_server.url + "/token"}
    deploy_dir = write_project(server.data_dir.parent / "oauthproj")
    assert deploy(server, deploy_dir, "--auto-confirm").returncode == 0
    assert server.post("/connections", json=body).status_code == 200
    got = server.get("/connections/oa1?provider_config_key=acme&refresh_token=true").json()
    assert (
        got["credentials"]["access_token"].startswith("fresh-")
        and got["credentials"]["refresh_token"] == "r2"
    )
    assert "grant_type=refresh_token" in calls[0] and "refresh_token=r1" in calls[0]
    again = server.get("/connections/oa1?provider_config_key=acme").json()
    assert "refresh_token" not in again["credentials"]
    # the new connection's first sync fetched it too: still one refresh (a refresh token is used once)
    assert len(calls) == 1
    local_server.route("POST", "/token", lambda req: (400, {"error": "invalid_grant"}))
    failed = server.get("/connections/oa1?provider_config_key=acme&force_refresh=true")
    assert failed.status_code == 424 and failed.json()["error"]["code"] == "refresh_token_external_error"
