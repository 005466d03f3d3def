"""Where the repository, its samples and the shared corpus are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
SAMPLES = REPO / "sample-integrations"
CORPUS = REPO.parent / "shared" / "corpus" / "nango-yaml"


def corpus_files() -> list[Path]:
    """The corpus's nango.yaml files (none when ../shared/corpus is absent)."""
    return sorted(CORPUS.glob("*.yaml")) if CORPUS.is_dir() else []


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
