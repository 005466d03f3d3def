"""Small integrations folders shared by the tests (one copy of each YAML, not one per test file)."""

from __future__ import annotations

from pathlib import Path

from nango_tui.codegen import generate

# one sync and one action of a CRM; used by the compile, dev and dev-engine tests
CRM_YAML = """\
integrations:
  crm:
    syncs:
      contacts:
        runs: every hour
        output: Contact
        endpoint: GET /contacts
    actions:
      ping:
        output: Pong
        endpoint: GET /ping
models:
  Contact:
    id: string
    name: string
  Pong:
    ok: boolean
"""
CRM_SYNC = "crm/syncs/contacts.py"
CRM_ACTION = "crm/actions/ping.py"


def write_crm_project(root: Path, *, generated: bool = True) -> Path:
    """CRM_YAML in `root`, with models.py and the scaffolds written by `generate` unless told not to."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nango.yaml").write_text(CRM_YAML)
    if generated:
        report = generate(root)
        assert report.ok, report.diagnostics
    return root
