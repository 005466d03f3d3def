"""Connections from connections.yaml (+ ${ENV}, .env) and from a fake Nango server on 127.0.0.1."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from nango_tui.runtime.connections import get_connection, list_connections, read_dotenv
from nango_tui.runtime.errors import ConnectionNotFound, ConnectionProblem
from nango_tui.sdk import NangoAction
from tests.support.http_server import LocalServer, Reply
from tests.support.runtime_ctx import make_ctx

CONNECTIONS = """\
environments:
  dev:
    environment_variables:
      REGION: eu
    connections:
      gh-local:
        integration: github
        provider: github
        credentials:
          type: OAUTH2
          access_token: ${GH_TEST_TOKEN}
        metadata: {team: core}
      sf-local:
        integration: salesforce-prod
        provider: salesforce
        connection_config: {instance_url: "https://acme.my.salesforce.com"}
        credentials: {type: API_KEY, api_key: "${SF_KEY}"}
      demo:
        integration: github
        provider: github
        replay: true
  prod:
    connections:
      gh-prod: {integration: github, credentials: {type: BASIC, username: me, password: pw}}
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    for name in (
        "GH_TEST_TOKEN",
        "SF_KEY",
        "NANGO_SECRET_KEY_DEV",
        "NANGO_SECRET_KEY_PROD",
        "NANGO_HOSTPORT",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "connections.yaml").write_text(CONNECTIONS)
    (tmp_path / ".env").write_text(
        '# local secrets\nGH_TEST_TOKEN="ghp_fromdotenv_123456"\nexport SF_KEY=sfkey_abcdef # comment\n'
    )
    return tmp_path


def test_list_connections_has_no_secrets(folder):
    infos = list_connections(folder, "dev")
    assert [(c.id, c.integration, c.provider, c.source, c.replay) for c in infos] == [
        ("gh-local", "github", "github", "file", False),
        ("sf-local", "salesforce-prod", "salesforce", "file", False),
        ("demo", "github", "github", "file", True),
    ]
    assert "ghp_" not in repr(infos)
    assert [c.id for c in list_connections(folder, "prod")] == ["gh-prod"]
    assert list_connections(folder, "staging") == []


def test_python_dotenv_is_imported_only_for_a_dotenv_file(tmp_path):
    """Reading connections.yaml without a .env does not import python-dotenv (whose package
    imports tempfile too): `nango-tui test`'s parent reads it before every replay."""
    import subprocess
    import sys

    (tmp_path / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      c:\n        integration: github\n"
    )
    code = (
        "import sys; from pathlib import Path; from nango_tui.runtime.connections import list_connections;"
        f" print([c.id for c in list_connections(Path({str(tmp_path)!r}), include_nango=False)],"
        " 'dotenv' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "['c'] False", done.stderr


def test_get_connection_expands_env_from_dotenv_and_environment(folder, monkeypatch):
    conn = get_connection(folder, "dev", "gh-local", "github")
    assert conn.credentials.type == "OAUTH2" and conn.credentials.access_token == "ghp_fromdotenv_123456"
    assert conn.metadata == {"team": "core"} and conn.source == "file"
    assert "ghp_fromdotenv" not in repr(conn)
    monkeypatch.setenv("GH_TEST_TOKEN", "ghp_fromshell_999999")  # the shell wins over .env
    assert get_connection(folder, "dev", "gh-local").credentials.access_token == "ghp_fromshell_999999"
    sf = get_connection(folder, "dev", "sf-local")
    assert sf.credentials.api_key == "sfkey_abcdef"
    assert sf.connection_config["instance_url"].startswith("https://acme")
    assert get_connection(folder, "dev", "demo").replay is True
    basic = get_connection(folder, "prod", "gh-prod")
    assert basic.credentials.username == "me" and basic.provider == "github"


def test_missing_connection_lists_the_environment(folder):
    with pytest.raises(ConnectionNotFound) as info:
        get_connection(folder, "dev", "nope")
    message = str(info.value)
    assert "no connection `nope`" in message and "demo, gh-local, sf-local" in message
    with pytest.raises(ConnectionNotFound, match="has no connections.*NANGO_SECRET_KEY_STAGING"):
        get_connection(folder, "staging", "x")


def test_bad_connections_yaml_is_located(tmp_path, monkeypatch):
    monkeypatch.delenv("UNSET_VAR_FOR_TEST", raising=False)
    (tmp_path / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      a:\n        integration: x\n        credentails: {}\n"
    )
    with pytest.raises(ConnectionProblem, match=r"connections.yaml:6:9: unknown key `credentails`"):
        get_connection(tmp_path, "dev", "a")
    (tmp_path / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      a:\n        integration: x\n"
        "        credentials: {type: OAUTH2, access_token: '${UNSET_VAR_FOR_TEST}'}\n"
    )
    with pytest.raises(ConnectionProblem, match=r"connections.yaml:4:7: \$\{UNSET_VAR_FOR_TEST\} is not set"):
        get_connection(tmp_path, "dev", "a")
    (tmp_path / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      a: {integration: x, credentials: {type: TOKEN}}\n"
    )
    with pytest.raises(ConnectionProblem, match="must be one of OAUTH2, API_KEY, BASIC"):
        get_connection(tmp_path, "dev", "a")
    (tmp_path / "connections.yaml").write_text("environments: [\n")
    with pytest.raises(ConnectionProblem, match=r"connections.yaml:\d+:\d+: this is not valid YAML"):
        list_connections(tmp_path)
    (tmp_path / "connections.yaml").write_text(
        "environments:\n  dev:\n    connections:\n      a: {integration: x}\n"
    )
    with pytest.raises(ConnectionProblem, match="belongs to integration `x`, not `y`"):
        get_connection(tmp_path, "dev", "a", "y")


def test_read_dotenv(tmp_path):
    (tmp_path / ".env").write_text("A=1\n\n# c\nB='two words'\nC=x=y\nbad line\n")
    assert read_dotenv(tmp_path) == {"A": "1", "B": "two words", "C": "x=y"}


SECRET_KEY = "nango_sk_test_0000111122223333"


def _fake_nango(server: LocalServer, *, expired: bool = False) -> None:
    def auth_ok(req):
        return req.headers.get("authorization") == f"Bearer {SECRET_KEY}"

    def connection(req):
        if not auth_ok(req):
            return 401, {"error": "unauthorized"}
        if req.arg("provider_config_key") != "my-github":
            return 404, {"error": "unknown"}
        forced = req.arg("force_refresh") == "true"
        expires = datetime.now(UTC) + (timedelta(hours=1) if forced or not expired else -timedelta(hours=1))
        return {
            "id": 1,
            "connection_id": "remote-1",
            "provider_config_key": "my-github",
            "provider": "github",
            "credentials": {
                "type": "OAUTH2",
                "access_token": "ghu_fresh_token_1" if forced else "ghu_old_token_0",
                "expires_at": expires.isoformat().replace("+00:00", "Z"),
            },
            "connection_config": {"base_url": server.url},
            "metadata": {"owner": "acme"},
        }

    server.route("GET", "/connection/remote-1", connection)
    server.route(
        "GET",
        "/connection",
        lambda r: (
            {
                "connections": [
                    {"connection_id": "remote-1", "provider_config_key": "my-github", "provider": "github"}
                ]
            }
            if auth_ok(r)
            else (401, {})
        ),
    )
    server.route(
        "GET",
        "/integrations/my-github",
        lambda r: {"data": {"unique_key": "my-github", "provider": "github"}} if auth_ok(r) else (401, {}),
    )
    server.route("GET", "/environment-variables", Reply(200, [{"name": "REGION", "value": "us"}]))


def test_nango_server_source(folder, monkeypatch, local_server):
    _fake_nango(local_server)
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", SECRET_KEY)
    monkeypatch.setenv("NANGO_HOSTPORT", local_server.url)
    conn = get_connection(folder, "dev", "remote-1", "my-github")
    assert conn.source == "nango" and conn.provider == "github" and conn.integration == "my-github"
    assert conn.credentials.access_token == "ghu_old_token_0" and conn.metadata == {"owner": "acme"}
    assert SECRET_KEY in conn.secrets() and SECRET_KEY not in repr(conn)
    ids = [c.id for c in list_connections(folder, "dev")]
    assert ids == ["gh-local", "sf-local", "demo", "remote-1"]
    with pytest.raises(ConnectionNotFound) as info:
        get_connection(folder, "dev", "remote-2", "my-github")
    assert "remote-1" in str(info.value) and local_server.url in str(info.value)


def test_nango_server_secret_key_from_dotenv_and_wrong_key(folder, monkeypatch, local_server):
    _fake_nango(local_server)
    (folder / ".env").write_text(
        f"NANGO_SECRET_KEY_DEV=wrong_key_000000\nNANGO_HOSTPORT={local_server.url}\n"
    )
    with pytest.raises(ConnectionProblem) as info:
        get_connection(folder, "dev", "remote-1", "my-github")
    assert "refused the secret key" in str(info.value) and "wrong_key" not in str(info.value)


def test_nango_server_unreachable_is_clear(folder, monkeypatch):
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", SECRET_KEY)
    monkeypatch.setenv("NANGO_HOSTPORT", "http://127.0.0.1:9")
    with pytest.raises(ConnectionProblem, match="cannot reach the Nango server at http://127.0.0.1:9"):
        get_connection(folder, "dev", "remote-1", "my-github")


async def test_expired_nango_token_is_refetched_with_force_refresh(folder, monkeypatch, local_server):
    _fake_nango(local_server, expired=True)
    local_server.route(
        "GET",
        "/user",
        lambda r: (
            {"login": "me"} if r.headers.get("authorization") == "Bearer ghu_fresh_token_1" else (401, {})
        ),
    )
    monkeypatch.setenv("NANGO_SECRET_KEY_DEV", SECRET_KEY)
    monkeypatch.setenv("NANGO_HOSTPORT", local_server.url)
    conn = get_connection(folder, "dev", "remote-1", "my-github")
    assert conn.credentials.is_expired()
    ctx, events = make_ctx(None, connection=conn, root=folder)
    nango = NangoAction(ctx)
    assert (await nango.get("/user")).json() == {"login": "me"}
    assert [r.arg("force_refresh") for r in local_server.calls("GET", "/connection/remote-1")] == [
        None,
        "true",
    ]
    assert await nango.get_environment_variables() == [{"name": "REGION", "value": "us"}]
    await nango.aclose()
    text = events.text()
    assert "ghu_fresh_token_1" not in text and SECRET_KEY not in text


async def test_environment_variables_from_connections_yaml(folder):
    conn = get_connection(folder, "dev", "gh-local")
    ctx, _ = make_ctx(None, connection=conn, root=folder)
    nango = NangoAction(ctx)
    assert await nango.get_environment_variables() == [{"name": "REGION", "value": "eu"}]
    conn_info = await nango.get_connection()
    assert conn_info["connection_id"] == "gh-local" and conn_info["metadata"] == {"team": "core"}
    await nango.aclose()


def test_connection_secrets_cover_credentials_and_secret_config_only():
    from nango_tui.runtime.connections import Connection, Credentials

    conn = Connection(
        id="c",
        integration="i",
        provider="p",
        credentials=Credentials("BASIC", username="bob", password="pw_very_secret"),
        connection_config={
            "client_secret": "cs_abcdefgh",
            "token_url": "https://h/token",
            "api_key_header": "X-Api-Key",
            "subdomain": "acme",
            "webhook_signing_key": "whk_12345678",
        },
    )
    secrets = conn.secrets()
    assert {"pw_very_secret", "cs_abcdefgh", "whk_12345678"} <= set(secrets)
    assert "https://h/token" not in secrets and "X-Api-Key" not in secrets and "acme" not in secrets
    import base64

    assert base64.b64encode(b"bob:pw_very_secret").decode() in secrets


async def test_async_variants(folder):
    from nango_tui.runtime.connections import aget_connection, alist_connections

    assert (await aget_connection(folder, "dev", "demo")).replay is True
    assert [c.id for c in await alist_connections(folder, "prod")] == ["gh-prod"]


def test_repr_of_a_connection_and_context_shows_no_secret():
    from nango_tui.runtime.connections import Connection, Credentials
    from tests.support.runtime_ctx import make_ctx as _make

    conn = Connection(
        id="c",
        integration="i",
        provider="p",
        connection_config={"client_secret": "cs_SECRET_123"},
        credentials=Credentials(
            "OAUTH2",
            access_token="at_SECRET_123",
            refresh_token="rt_SECRET_123",
            client_secret="cs2_SECRET_123",
        ),
    )
    ctx, _ = _make(None, connection=conn)
    text = repr(conn) + repr(ctx) + str(conn.info())
    assert "SECRET" not in text


async def test_get_connection_of_another_connection(folder):
    conn = get_connection(folder, "dev", "gh-local")
    ctx, events = make_ctx(None, connection=conn, root=folder)
    nango = NangoAction(ctx)
    other = await nango.get_connection("salesforce-prod", "sf-local")
    assert other["credentials"] == {
        "type": "API_KEY",
        "apiKey": "sfkey_abcdef",
        "raw": {"apiKey": "sfkey_abcdef"},
    }
    assert other["connection_id"] == "sf-local" and other["errors"] == [] and "created_at" in other
    await nango.log("other:", other)
    assert "sfkey_abcdef" not in events.text()  # learnt as a secret
    with pytest.raises(ConnectionNotFound):
        await nango.get_connection("github", "nope")
    await nango.aclose()


def test_dotenv_follows_python_dotenv(tmp_path):
    (tmp_path / ".env").write_text(
        "export A=1 # a comment\nB=\"line\\nbreak\"\nC='${NOT_EXPANDED}'\nD=${ALSO_NOT}\nbroken line\nE=5\n"
    )
    assert read_dotenv(tmp_path) == {
        "A": "1",
        "B": "line\nbreak",
        "C": "${NOT_EXPANDED}",
        "D": "${ALSO_NOT}",
        "E": "5",
    }


def test_environments_come_from_one_loader(tmp_path, monkeypatch):
    from nango_tui.runtime.local_env import list_environments

    for name in [n for n in os.environ if n.startswith("NANGO_SECRET_KEY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("NANGO_SECRET_KEY_STAGING", "sk-1")
    (tmp_path / ".env").write_text("NANGO_SECRET_KEY_PROD=sk-2\n")
    (tmp_path / "connections.yaml").write_text("environments:\n  dev: {}\n  qa: {}\n")
    envs = list_environments(tmp_path, "eu")
    assert envs[:3] == ["dev", "eu", "qa"] and sorted(envs[3:]) == ["prod", "staging"]
    (tmp_path / "connections.yaml").write_text(
        "environments: [broken\n"
    )  # reported by whoever lists connections
    assert sorted(list_environments(tmp_path)) == ["dev", "prod", "staging"]
    with pytest.raises(ConnectionProblem, match=r"^connections.yaml:\d+:\d+: "):
        list_connections(tmp_path, "dev", include_nango=False)


def test_a_connection_crosses_to_the_dryrun_child_unchanged_or_not_at_all():
    """What a dryrun's parent hands its child (`connection_to_json`): equal once decoded, secrets
    included; a value JSON would change (a date in the metadata) means the child looks it up itself."""
    import json
    from datetime import date

    from nango_tui.runtime.connection_model import (
        Connection,
        Credentials,
        connection_from_json,
        connection_to_json,
    )

    connection = Connection(
        id="c",
        integration="demo",
        provider="salesforce",
        source="nango",
        base_url="https://x.example",
        credentials=Credentials(
            "OAUTH2", access_token="tok", refresh_token="ref", expires_at=datetime(2030, 1, 2, tzinfo=UTC)
        ),
        connection_config={"instance_url": "https://y.example", "client_secret": "shh", "n": [1, 2.5]},
        metadata={"a": {"b": None}},
        nango_host="http://127.0.0.1:1",
        nango_secret_key="sk",
        location="connections.yaml:3:5",
    )
    data = connection_to_json(connection)
    assert data is not None
    back = connection_from_json(json.loads(json.dumps(data)))
    assert back == connection and back.secrets() == connection.secrets()
    connection.metadata["when"] = date(2024, 1, 1)
    assert connection_to_json(connection) is None
    connection.metadata["when"] = (1, 2)  # a tuple would come back a list
    assert connection_to_json(connection) is None
