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
