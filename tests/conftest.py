from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.http_server import local_server  # noqa: F401 - the fixture, for every test module


@pytest.fixture
def project_dir(tmp_path: Path):
    """A function that writes a nango.yaml (and other files) into a temporary folder."""

    def make(yaml_text: str, files: dict[str, str] | None = None) -> Path:
        (tmp_path / "nango.yaml").write_text(yaml_text)
        for rel, content in (files or {}).items():
            target = tmp_path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        return tmp_path

    return make
