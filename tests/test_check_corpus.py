"""Fresh scaffolds of every real nango.yaml in the corpus pass every script check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nango_tui.check import compile_project
from nango_tui.codegen import generate
from tests.support.paths import corpus_files, needs_corpus


@needs_corpus
@pytest.mark.parametrize("config", corpus_files(), ids=lambda p: p.name)
def test_fresh_scaffolds_of_a_corpus_file_are_clean(config: Path, tmp_path: Path):
    shutil.copy(config, tmp_path / "nango.yaml")
    assert generate(tmp_path).ok
    result = compile_project(tmp_path)
    assert result.project is not None
    assert len(result.scripts) == len(result.project.scripts())
    outside_config = [d.format() for d in result.diagnostics if d.file != "nango.yaml"]
    assert outside_config == []
    assert not [d.format() for d in result.diagnostics if d.code in ("missing_script", "orphan_script")]
