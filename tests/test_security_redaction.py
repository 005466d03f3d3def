"""Secrets with `"`, `\\` or a newline are masked everywhere (issue 10 item 4).

A real dryrun (child process, CLI) with a connection whose secrets hold the characters JSON,
URLs and YAML escape. The script shows them every way it can: nango.log, print, stderr, a raw
fd write, a record, its output and an exception. Nothing shown or saved may contain a secret
in any encoding: raw, JSON-escaped (ASCII or not), URL-encoded, or inside a Basic credential.
A raw write to fd 2 reaches the parent split into lines: each line of a multi-line secret
(8 characters or more, as in a PEM key) is masked on its own there.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from nango_tui.runtime.redaction import Redactor

SECRETS = [
    'tok"quoted"Secret1',
    "tok\\back\\slash\\Secret2",
    "tok-line-one\nline-two-xx\nSecret3-end",  # like a PEM key: lines of 8+ characters
    'mix"of\\all\nthree\tand é ünïcode Secret4',
]

NANGO_YAML = """\
integrations:
  demo:
    syncs:
      leaky:
        runs: every hour
        output: Thing
        endpoint: GET /things
    actions:
      leak-output:
        output: Thing
        endpoint: GET /thing
models:
  Thing:
    id: string
    name: string
"""

MODELS_PY = """\
from pydantic import BaseModel


class Thing(BaseModel):
    id: str
    name: str


MODELS = {"Thing": Thing}
"""

LEAKY_SYNC = """\
import os
import sys


async def fetch_data(nango):
    conn = await nango.get_connection()
    secret = conn["credentials"]["access_token"]
    await nango.log("log", secret)
    await nango.log({"nested": [secret]})
    print("print", secret)
    sys.stderr.write("stderr " + secret + "\\n")
    os.write(2, ("raw fd " + secret + "\\n").encode())
    await nango.batch_save([{"id": "1", "name": secret}], "Thing")
    raise RuntimeError("failing with " + secret)
"""

LEAK_OUTPUT = """\
async def run_action(nango, input=None):
    conn = await nango.get_connection()
    return {"id": "1", "name": conn["credentials"]["access_token"]}
"""


def encodings(secret: str) -> list[str]:
    dumped = [json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]]
    return sorted({secret, quote(secret, safe=""), quote_plus(secret), *dumped}, key=len)


def _project(root: Path, secret: str) -> Path:
    (root / "nango.yaml").write_text(NANGO_YAML)
    (root / "models.py").write_text(MODELS_PY)
    (root / "demo" / "syncs").mkdir(parents=True)
    (root / "demo" / "actions").mkdir(parents=True)
    (root / "demo" / "syncs" / "leaky.py").write_text(LEAKY_SYNC)
    (root / "demo" / "actions" / "leak-output.py").write_text(LEAK_OUTPUT)
    connections = {
        "environments": {
            "dev": {
                "connections": {
                    "local": {
                        "integration": "demo",
                        "provider": "unauthenticated",
                        "base_url": "http://127.0.0.1:9",
                        "credentials": {"type": "OAUTH2", "access_token": secret},
                    }
                }
            }
        }
    }
    (root / "connections.yaml").write_text(json.dumps(connections))  # JSON is YAML: every escape exact
    return root


def _run_cli(argv: list[str]) -> tuple[int, str]:
    from nango_tui.cli import build_parser
    from nango_tui.dryrun.command import run_command

    out, err = io.StringIO(), io.StringIO()
    code = run_command(build_parser().parse_args(argv), out, err)
    return code, out.getvalue() + err.getvalue()


def _assert_clean(text: str, secret: str, where: str) -> None:
    for form in encodings(secret):
        assert form not in text, f"{where} shows the secret as {form!r}"
    tail = "Secret" + secret.split("Secret")[1][0]  # what is left of a secret split at its newline
    assert tail not in text, f"{where} shows part of the secret ({tail!r})"


@pytest.mark.parametrize("secret", SECRETS, ids=["quote", "backslash", "newline", "all"])
def test_dryrun_never_shows_or_saves_an_escaped_secret(tmp_path: Path, secret: str):
    root = _project(tmp_path, secret)
    code, human = _run_cli(["dryrun", "leaky", "local", "--dir", str(root)])
    assert code == 1 and "failing with ***" in human, human
    _assert_clean(human, secret, "the human output")
    code, stream = _run_cli(["dryrun", "leaky", "local", "--dir", str(root), "--json"])
    assert code == 1
    events = [json.loads(line) for line in stream.splitlines() if line.startswith("{")]
    assert any(e["type"] == "error" for e in events)
    _assert_clean(stream, secret, "--json")
    _assert_clean(json.dumps(events, ensure_ascii=False), secret, "the decoded --json events")
    code, out = _run_cli(["dryrun", "leak-output", "local", "--dir", str(root), "--json"])
    assert code == 0 and '"***"' in out
    _assert_clean(out, secret, "an action's output")
    for path in root.rglob("*"):
        if path.is_file() and path.name != "connections.yaml":
            _assert_clean(path.read_text(errors="replace"), secret, str(path.relative_to(root)))


@pytest.mark.parametrize("secret", SECRETS)
def test_redactor_masks_every_encoding_of_a_secret(secret: str):
    redactor = Redactor([secret])
    for form in encodings(secret):
        assert redactor.text(f"<{form}>") == "<***>", form
    assert redactor.text(json.dumps({"k": secret})) == '{"k": "***"}'
    assert redactor.redact_value({"a": [secret + "!"]}, by_name=False) == {"a": ["***!"]}


def test_basic_credentials_with_special_characters_are_masked():
    redactor = Redactor()
    redactor.add_basic("us:er", 'p"a\\ss\nword')
    token = base64.b64encode(b'us:er:p"a\\ss\nword').decode()
    assert redactor.text(f"Authorization: Basic {token}") == "Authorization: Basic ***"
    assert redactor.text(json.dumps('p"a\\ss\nword')) == '"***"'


META_SECRET = "meta-SECRET-91c3e07d"
META_SYNC = f"""\
async def fetch_data(nango):
    meta = await nango.get_metadata()
    await nango.log(
        "token", meta["token"] == "{META_SECRET}",
        "nested", meta["auth"]["key"] == "{META_SECRET}",
        "note", meta["note"] == "prefix-{META_SECRET}",
        "cursor", meta.get("cursor"),
    )
    await nango.update_metadata({{"cursor": (meta.get("cursor") or 0) + 1, "auth": {{**meta["auth"], "region": "us"}}}})
"""
META_CONNECTIONS = """\
environments:
  dev:
    connections:
      local:
        integration: demo
        provider: unauthenticated
        base_url: http://127.0.0.1:9
        metadata:
          token: ${META_TOKEN}
          note: prefix-${META_TOKEN}
          region: eu
          auth:
            key: ${META_TOKEN}
            region: eu
"""


def test_saved_metadata_keeps_the_variable_references_a_user_wrote(tmp_path: Path):
    """update_metadata on a connections.yaml connection: .nango/metadata.json holds connections.yaml's
    `${VAR}` references where its values are unchanged, never the secrets they expand to, and a
    later run sees the expanded values again."""
    root = _project(tmp_path, "tok-unused-Secret0")
    (root / "nango.yaml").write_text(
        NANGO_YAML.replace(
            "      leaky:",
            "      meta:\n        runs: every hour\n        output: Thing\n        endpoint: GET /meta\n      leaky:",
        )
    )
    (root / "demo" / "syncs" / "meta.py").write_text(META_SYNC)
    (root / "connections.yaml").write_text(META_CONNECTIONS)
    (root / ".env").write_text(f"META_TOKEN={META_SECRET}\n")

    def run() -> str:
        code, out = _run_cli(["dryrun", "meta", "local", "--dir", str(root), "--json"])
        assert code == 0, out
        logs = [e["message"] for e in map(json.loads, out.splitlines()) if e["type"] == "log"]
        return next(m for m in logs if m.startswith("token"))

    assert run() == "token True nested True note True cursor None"
    saved = (root / ".nango" / "metadata.json").read_text()
    assert META_SECRET not in saved
    assert json.loads(saved)["dev"]["demo"]["local"] == {
        "token": "${META_TOKEN}",
        "note": "prefix-${META_TOKEN}",
        "region": "eu",
        "auth": {"key": "${META_TOKEN}", "region": "us"},
        "cursor": 1,
    }
    assert run() == "token True nested True note True cursor 1"  # expanded again for the next run
    assert META_SECRET not in (root / ".nango" / "metadata.json").read_text()
    assert json.loads((root / ".nango" / "metadata.json").read_text())["dev"]["demo"]["local"]["cursor"] == 2


WRITTEN = {"token": "${X}", "n": 1, "deep": {"k": "${X}"}}
EXPANDED = {"token": "s3cret", "n": 1, "deep": {"k": "s3cret"}}


@pytest.mark.parametrize(
    ("left", "saved"),
    [
        ({"token": "s3cret", "n": 1}, {"token": "${X}", "n": 1}),  # unchanged: as written
        ({"token": "other", "n": 1}, {"token": "other", "n": 1}),  # set by the script: as given
        ({"token": True, "n": True}, {"token": True, "n": True}),  # True is not 1
        ({"n": 2}, {"n": 2}),  # set_metadata without the others
        (EXPANDED, WRITTEN),
        ({"deep": {"k": "s3cret", "new": 1}}, {"deep": {"k": "${X}", "new": 1}}),
        ({"copy": "s3cret"}, {"copy": "s3cret"}),  # a script's own copy elsewhere: as given
    ],
)
def test_metadata_saved_as_written_reads_back_as_the_run_left_it(left: dict, saved: dict):
    from nango_tui.runtime.metadata_store import as_run_sees, as_written

    assert as_written(left, EXPANDED, WRITTEN) == saved
    assert as_run_sees(saved, WRITTEN, EXPANDED) == left
