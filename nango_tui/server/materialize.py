"""A deployed script as a folder the dryrun runner can run: nango.yaml, models.py, the script, its mocks.

One folder per script version (`<data>/scripts/<script id>/`), written once and never changed, so a
run in flight keeps the version it started with while a deploy writes the next one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import sqlalchemy as sa

from .storage import deployments as deps


class UnsafePath(ValueError):
    pass


def _inside(root: Path, rel: str) -> Path:
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UnsafePath(f"{rel!r} would be written outside {root}")
    return target


def script_folder(engine: sa.Engine, data_dir: Path, script_id: int) -> Path:
    """The folder of script version `script_id` (made on first use)."""
    base = Path(data_dir) / "scripts"
    folder = base / str(int(script_id))
    if (folder / "nango.yaml").is_file():
        return folder
    with engine.connect() as conn:
        row = deps.script_by_id(conn, script_id)
        if row is None:
            raise LookupError(f"no deployed script {script_id}")
        deployment = deps.deployment_of(conn, row.deployment_id)
        if deployment is None:
            raise LookupError(f"no deployment {row.deployment_id} for script {script_id}")
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{script_id}-", dir=base))
    kind_dir = "syncs" if row.type == "sync" else "actions"
    files = {
        "nango.yaml": deployment.nango_yaml or "",
        "models.py": deployment.models_py or "",
        f"{row.integration}/{kind_dir}/{row.name}.py": row.source,
    }
    if row.mocks:
        files[f"{row.integration}/mocks/{row.name}.json"] = row.mocks
    for rel, text in files.items():
        target = _inside(tmp, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    try:
        os.rename(tmp, folder)
    except OSError:  # another run made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
