from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample-integrations"
CORPUS = REPO.parent / "shared" / "corpus" / "nango-yaml"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.yaml")) if CORPUS.is_dir() else []


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


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
