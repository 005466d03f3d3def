"""dryrun/pydantic_plugins.py: pydantic's plugin discovery is skipped in a run's child only when no
installed distribution declares a pydantic plugin; a declared one still runs. Each case in a
fresh interpreter (the stand-in lives in sys.modules)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from nango_tui.dryrun.pydantic_plugins import no_plugin_declared

PROBE = textwrap.dedent(
    """
    import sys
    from nango_tui.dryrun import child
    child._warm_up()
    from pydantic import BaseModel
    class Contact(BaseModel):
        id: str
    assert Contact.model_validate({"id": "c1"}).id == "c1"
    import fake_plugin
    print("metadata imported:", "importlib.metadata" in sys.modules, "plugin calls:", fake_plugin.CALLS)
    """
)

PLUGIN = textwrap.dedent(
    """
    CALLS = []

    class Plugin:
        def new_schema_validator(self, schema, schema_type, schema_type_path, schema_kind, config, plugin_settings):
            CALLS.append(schema_type_path.name)
            return None, None, None

    plugin = Plugin()
    """
)


def _site(tmp_path: Path, declared: bool) -> Path:
    site = tmp_path / "site"
    (site / "fake_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "fake_plugin.py").write_text(PLUGIN)
    points = "[console_scripts]\nx = y:z\n" + (
        "\n[pydantic]\nfake = fake_plugin:plugin\n" if declared else ""
    )
    (site / "fake_plugin-1.0.dist-info" / "entry_points.txt").write_text(points)
    (site / "fake_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-plugin\nVersion: 1.0\n"
    )
    return site


def _probe(site: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, env=env, cwd=site
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_without_a_declared_plugin_pydantic_does_not_look_for_one(tmp_path):
    assert _probe(_site(tmp_path, declared=False)) == "metadata imported: False plugin calls: []"


def test_a_declared_plugin_is_still_found_and_used(tmp_path):
    out = _probe(_site(tmp_path, declared=True))
    assert out.startswith("metadata imported: True plugin calls: [") and "'Contact'" in out


def test_what_the_scan_cannot_read_leaves_the_discovery_to_pydantic(tmp_path):
    site = _site(tmp_path, declared=False)
    assert no_plugin_declared([str(site), str(tmp_path / "missing")])
    spaced = tmp_path / "spaced"
    (spaced / "p-1.0.dist-info").mkdir(parents=True)
    (spaced / "p-1.0.dist-info" / "entry_points.txt").write_text("[ pydantic ]\np = q:r\n")
    assert not no_plugin_declared([str(spaced)])
    archive = tmp_path / "lib.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    assert not no_plugin_declared([str(archive)])  # a zip on sys.path
    egg = tmp_path / "eggs"
    (egg / "old-1.0-py3.11.egg").mkdir(parents=True)
    assert not no_plugin_declared([str(egg)])
    info_file = tmp_path / "infofile"
    info_file.mkdir()
    (info_file / "legacy.egg-info").write_text("Name: legacy\n")  # an .egg-info file, not a folder
    assert not no_plugin_declared([str(info_file)])
