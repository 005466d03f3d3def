"""The CSS the workbench parsed, kept for its next start (tui/css_cache.py): used only when it is
the same CSS, theme and Textual, and only from a file that is the user's own."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from nango_tui.tui.app import WorkbenchApp
from nango_tui.tui.css_cache import MAX_BYTES, CachedStylesheet, cache_path, parser_stamp
from tests.support.pilot import until
from tests.support.tui_project import write_project

pytestmark = pytest.mark.usefixtures("shared_warm_child")

SIZE = (100, 32)
CSS = "Static { color: $primary; padding: 0 1; }\n#x.y > Label { text-style: bold; }\n"
VARIABLES = {"primary": "#0178d4"}


def rules_of(stylesheet: CachedStylesheet) -> list[tuple]:
    stylesheet.add_source(CSS, read_from=("app.tcss", ""))
    stylesheet.parse()
    return [(str(rule.selector_set), rule.styles.get_rules()) for rule in stylesheet.rules]


@pytest.fixture
def cache_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "nango-tui" / "textual-css.pickle"


def test_a_second_stylesheet_reads_the_rules_the_first_parsed(cache_file: Path) -> None:
    first = CachedStylesheet(variables=VARIABLES, path=cache_file)
    parsed = rules_of(first)
    assert first.parsed_here == 1 and first.save()
    assert cache_file.stat().st_mode & 0o777 == 0o600
    assert cache_file.parent.stat().st_mode & 0o777 == 0o700
    second = CachedStylesheet(variables=VARIABLES, path=cache_file)
    assert rules_of(second) == parsed
    assert second.parsed_here == 0
    assert not second.save()  # nothing new: the file stays as it is


def test_another_theme_or_another_textual_parses_again(cache_file: Path, monkeypatch) -> None:
    first = CachedStylesheet(variables=VARIABLES, path=cache_file)
    rules_of(first)
    first.save()
    other_theme = CachedStylesheet(variables={"primary": "#ff0000"}, path=cache_file)
    assert rules_of(other_theme)[0][1]["color"] != rules_of(first)[0][1]["color"]
    assert other_theme.parsed_here == 1
    monkeypatch.setattr("nango_tui.tui.css_cache.parser_stamp", lambda: ("another textual",))
    other_textual = CachedStylesheet(variables=VARIABLES, path=cache_file)
    rules_of(other_textual)
    assert other_textual.parsed_here == 1


def test_a_theme_changed_after_the_file_was_read_parses_again(cache_file: Path) -> None:
    first = CachedStylesheet(variables=VARIABLES, path=cache_file)
    rules_of(first)
    first.save()
    second = CachedStylesheet(variables=VARIABLES, path=cache_file)
    rules_of(second)
    second.set_variables({"primary": "#ff0000"})
    second.add_source("Label { color: $primary; }", read_from=("other.tcss", ""))
    second.parse()
    assert second.parsed_here == 2  # both sources, with the new colour


def write_bad(cache_file: Path, data: bytes, mode: int = 0o600) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_bytes(data)
    os.chmod(cache_file, mode)


@pytest.mark.parametrize(
    "case",
    [
        "garbage",
        "truncated",
        "not a dict",
        "group-writable",
        "world-writable",
        "symlink",
        "too large",
        "folder",
    ],
)
def test_a_file_not_safe_or_not_readable_is_ignored_and_the_css_parsed(
    cache_file: Path, tmp_path: Path, case: str
) -> None:
    good = CachedStylesheet(variables=VARIABLES, path=tmp_path / "good.pickle")
    expected = rules_of(good)
    good.save()
    data = (tmp_path / "good.pickle").read_bytes()
    if case == "garbage":
        write_bad(cache_file, b"\x00not a pickle")
    elif case == "truncated":
        write_bad(cache_file, data[: len(data) // 2])
    elif case == "not a dict":
        write_bad(cache_file, pickle.dumps(["rules"]))
    elif case == "group-writable":
        write_bad(cache_file, data, 0o620)
    elif case == "world-writable":
        write_bad(cache_file, data, 0o602)
    elif case == "symlink":
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.symlink_to(tmp_path / "good.pickle")
    elif case == "too large":
        write_bad(cache_file, data + b"\x00" * (MAX_BYTES + 1 - len(data)))
    elif case == "folder":
        cache_file.mkdir(parents=True)
    stylesheet = CachedStylesheet(variables=VARIABLES, path=cache_file)
    assert rules_of(stylesheet) == expected
    assert stylesheet.parsed_here == 1


def test_the_file_is_under_the_users_cache_folder() -> None:
    assert cache_path({"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"}) == Path(
        "/x/cache/nango-tui/textual-css.pickle"
    )
    assert cache_path({"HOME": "/home/u"}) == Path("/home/u/.cache/nango-tui/textual-css.pickle")
    assert parser_stamp() == parser_stamp()


async def first_frame(root: Path) -> tuple[str, int, bool]:
    """The screen at the first frame, the sources parsed by then, and the cache file after the warm-up."""
    app = WorkbenchApp(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shot = app.export_screenshot()
        parsed = app.stylesheet.parsed_here
        await until(lambda: app.deployments_mounted(), pilot)
        await until(lambda: app.stylesheet.cache_file.is_file(), pilot)
        return shot, parsed, app.stylesheet.cache_file.is_file()


async def test_the_workbench_parses_its_css_once_and_draws_the_same_frame_from_the_cache(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("NANGO_TUI_KEYMAP", str(tmp_path / "no-keymap.yaml"))
    monkeypatch.delenv("NANGO_TUI_THEME", raising=False)
    root = write_project(tmp_path / "acme-demo")
    cold_shot, cold_parsed, saved = await first_frame(root)
    assert cold_parsed > 20 and saved
    warm_shot, warm_parsed, _ = await first_frame(root)
    assert warm_parsed == 0
    assert warm_shot == cold_shot
