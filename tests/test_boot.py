"""boot.py: the regex programs and generated code objects kept between starts.

Each test runs a fresh interpreter (the hooks patch `re`, `dataclasses` and `collections`
process-wide), with `$XDG_CACHE_HOME` in a temporary folder.
"""

from __future__ import annotations

import json
import marshal
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nango_tui import boot

pytestmark = pytest.mark.skipif(not boot.regex_hook_supported(), reason="the regex hook is CPython 3.11's")

# a library module (in a site-packages folder, as an installed one would be) that compiles
# regexes and generates code as it is imported
PROBE_MODULE = "boot_probe"
PROBE_SOURCE = '''
import collections, dataclasses, re, typing
REF = typing.ForwardRef("dict[str, list[Item]]")  # a string annotation's expression
SPECS = [
    (r"(?P<word>\\w+)-(\\d{2,})", re.IGNORECASE | re.MULTILINE),
    (rb"[\\x00-\\x1f]+(?:ab|cd)*?$", 0),
    ("""
    ^ (?P<key> [a-z_]+ ) \\s* = \\s* (?P<value> .* ) $   # key = value
    """, re.VERBOSE),
]
PATTERNS = [re.compile(p, f) for p, f in SPECS]
Point = collections.namedtuple("Point", "x y z", defaults=(0,))

@dataclasses.dataclass(frozen=True, order=True)
class Item:
    name: str
    count: int = 0
    tags: list = dataclasses.field(default_factory=list)
'''

# what a probe process prints: the patterns and generated code the probe module made, the hits
SHOW = r"""
import json, os, sys
from nango_tui import boot
boot.start()
import {module} as probe
import re, dataclasses, collections
later = re.compile("runtime-" + sys.argv[1])  # not while importing: never kept
stock_compile = boot._boot.regex_compile if boot._boot else re._compiler.compile
out = {{
    "hits": boot.hits(),
    "patterns": [[p.pattern if isinstance(p.pattern, str) else p.pattern.hex(), p.flags, p.groups,
                  dict(p.groupindex)] for p in probe.PATTERNS],
    "stock_equal": [p == stock_compile(s, f) for p, (s, f) in zip(probe.PATTERNS, probe.SPECS)],
    "match": probe.PATTERNS[0].match("Abc-123").groupdict(),
    "point": list(probe.Point(1, 2)),
    "item": repr(sorted([probe.Item("b", 2), probe.Item("a", 1, ["t"])])),
    "init_annotations": sorted(probe.Item.__init__.__annotations__),
    "ref": [probe.REF.__forward_code__ == compile("dict[str, list[Item]]", "<string>", "eval"),
            probe.REF.__forward_code__.co_filename, repr(probe.REF._evaluate(vars(probe), None, frozenset()))],
}}
boot.finish()
out["restored"] = [
    re._compiler.compile.__module__ == "re._compiler",
    "exec" not in vars(dataclasses),
    "eval" not in vars(collections),
    "compile" not in vars(__import__("typing")),
    not any(type(f).__name__ == "_PatchOnLoad" for f in sys.meta_path),
]
print(json.dumps(out))
"""


@pytest.fixture
def probe_env(tmp_path: Path) -> dict[str, str]:
    library = tmp_path / "lib" / "site-packages"  # a folder boot counts as the library's
    library.mkdir(parents=True)
    (library / f"{PROBE_MODULE}.py").write_text(PROBE_SOURCE)
    path = os.pathsep.join(filter(None, [str(library), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=path)


def run_probe(env: dict[str, str], code: str = SHOW, arg: str = "x") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code.format(module=PROBE_MODULE), arg],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stock(env: dict[str, str]) -> dict:
    """The same probe without boot (the interpreter's own compile)."""
    return run_probe(env, SHOW.replace("boot.start()", "pass"))


def cache_file(env: dict[str, str]) -> Path:
    return Path(boot.cache_path(env))


def kept(env: dict[str, str]) -> tuple[dict, dict]:
    key, regexes, codes = marshal.loads(cache_file(env).read_bytes())
    assert key == boot.interpreter_key()
    return regexes, codes


def test_a_second_start_takes_the_same_patterns_and_code_from_the_file(probe_env) -> None:
    first = run_probe(probe_env)
    assert cache_file(probe_env).is_file()
    assert stat.S_IMODE(cache_file(probe_env).stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_file(probe_env).parent.stat().st_mode) == 0o700
    second = run_probe(probe_env)
    assert second["hits"] >= first["hits"] + 3 + 2  # 3 patterns, namedtuple's __new__, the dataclass' methods
    reference = stock(probe_env)
    for out in (first, second):
        assert out["stock_equal"] == [True, True, True]  # Pattern == compares the program
        assert out["restored"] == [True, True, True, True, True]
        for name in ("patterns", "match", "point", "item", "init_annotations", "ref"):
            assert out[name] == reference[name], name
        assert out["ref"][:2] == [True, "<string>"]


def test_the_file_holds_import_time_constants_only(probe_env) -> None:
    run_probe(probe_env, arg="s3cr3t-token-value")
    regexes, codes = kept(probe_env)
    patterns = {p for p, _ in regexes}
    assert (
        r"(?P<word>\w+)-(\d{2,})" in patterns and rb"[\x00-\x1f]+(?:ab|cd)*?$" in patterns
    )  # compiled while the library module was imported
    assert not any("s3cr3t" in (p if isinstance(p, str) else p.decode("latin-1")) for p in patterns)
    assert any("Point" in source or "_tuple_new" in source for _, source in codes)
    assert any("__create_fn__" in source for _, source in codes)
    assert ("eval", "dict[str, list[Item]]") in codes
    assert all(mode in ("exec", "eval") for mode, _ in codes)


def test_user_code_imported_from_elsewhere_is_not_kept(probe_env, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "models.py").write_text(
        "import re, dataclasses\nSECRET = re.compile('user-pattern-[0-9]+')\n"
        "@dataclasses.dataclass\nclass UserModel:\n    secret_field_name: str\n"
    )
    code = SHOW.replace(
        "import {module} as probe",
        f"sys.path.insert(0, {str(project)!r}); import models\nimport {{module}} as probe",
    )
    run_probe(probe_env, code)
    regexes, codes = kept(probe_env)
    assert not any("user-pattern" in str(p) for p, _ in regexes)
    assert not any("secret_field_name" in source for _, source in codes)


@pytest.mark.parametrize(
    "spoil",
    [
        "truncated",
        "garbage",
        "another_interpreter",
        "group_writable",
        "someone_elses",
        "a_link",
        "bad_programs",
        "bad_code_objects",
        "too_large",
    ],
)
def test_a_wrong_or_foreign_file_is_ignored(probe_env, tmp_path: Path, spoil: str) -> None:
    reference = stock(probe_env)
    run_probe(probe_env)
    path = cache_file(probe_env)
    data = path.read_bytes()
    if spoil == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif spoil == "garbage":
        path.write_bytes(os.urandom(4096))
    elif spoil == "another_interpreter":
        _, regexes, codes = marshal.loads(data)
        path.write_bytes(marshal.dumps(((boot.FORMAT, "cpython", "3.11.0 (elsewhere)"), regexes, codes)))
    elif spoil == "group_writable":
        path.chmod(0o620)
    elif spoil == "someone_elses":
        if os.getuid() != 0:
            pytest.skip("chown to another user needs root")
        os.chown(path, 12345, 12345)
    elif spoil == "a_link":
        real = tmp_path / "elsewhere.marshal"
        path.rename(real)
        path.symlink_to(real)
    elif spoil == "bad_programs":  # the right key, but programs _sre refuses: compiled as usual
        key, regexes, codes = marshal.loads(data)
        regexes = {k: (v[0], bytes([0x9F, 0x86, 1, 0]) * 4, *v[2:]) for k, v in regexes.items()}
        path.write_bytes(marshal.dumps((key, regexes, codes)))
    elif spoil == "bad_code_objects":  # the right key, but not code objects: compiled as usual
        key, regexes, codes = marshal.loads(data)
        codes = {k: marshal.dumps(("not", "code")) if i % 2 else b"\xff" * 9 for i, k in enumerate(codes)}
        path.write_bytes(marshal.dumps((key, regexes, codes)))
    elif spoil == "too_large":
        path.write_bytes(data + b"\0" * (boot.MAX_BYTES + 1 - len(data)))
    out = run_probe(probe_env)
    if spoil not in ("bad_programs", "bad_code_objects"):
        assert out["hits"] == 0
    for name in ("patterns", "match", "point", "item", "init_annotations"):
        assert out[name] == reference[name], name
    assert out["stock_equal"] == [True, True, True]


def test_a_file_problem_is_no_error(probe_env, tmp_path: Path) -> None:
    """A cache folder that cannot be written: the command works, nothing is kept."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    env = dict(probe_env, XDG_CACHE_HOME=str(blocked))
    assert run_probe(env)["patterns"] == stock(env)["patterns"]


def test_saves_merge_with_what_another_process_wrote(probe_env) -> None:
    run_probe(probe_env)
    first, _ = kept(probe_env)
    code = SHOW.replace("import {module} as probe", "import {module} as probe\nimport email.utils, fnmatch")
    run_probe(probe_env, code)
    both, _ = kept(probe_env)
    assert set(first) < set(both)


def test_the_programs_entry_points_keep_and_reuse_the_file(tmp_path: Path) -> None:
    """`nango-tui validate` as a user runs it writes the file; the next run takes its
    regexes from it (boot.start in program.entry, boot.finish in cli.entry)."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    samples = Path(__file__).resolve().parent.parent / "sample-integrations"
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "nango_tui", "validate", "--dir", str(samples)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    regexes, codes = kept(env)
    assert regexes and codes
    before = cache_file(env).stat().st_mtime_ns
    subprocess.run(
        [sys.executable, "-m", "nango_tui", "validate", "--dir", str(samples)],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert cache_file(env).stat().st_mtime_ns == before  # it held everything: not written again


def test_the_dryrun_child_keeps_its_imports_before_user_code(tmp_path: Path) -> None:
    """A cold child (`python -m nango_tui.dryrun.child`) keeps its imports' work and stops
    before it reads a request (so before models.py or a script)."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run(
        [sys.executable, "-m", "nango_tui.dryrun.child"],
        env=env,
        input="\n",  # no request: the child exits after its warm-up
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    regexes, codes = kept(env)
    assert regexes and any("__create_fn__" in source for _, source in codes)


def test_stop_restores_the_stock_functions_in_process(monkeypatch) -> None:
    """In this process too (then put back): after stop() nothing of boot is left."""
    import collections
    import dataclasses
    import re
    import typing

    compile_before = re._compiler.compile
    monkeypatch.setattr(boot, "_boot", None)
    monkeypatch.setenv("XDG_CACHE_HOME", "/nonexistent-cache-folder")
    boot.start()
    try:
        assert re._compiler.compile is not compile_before
        assert re.compile(r"stop-(\d+)-" + "x", re.I).match("STOP-12-X")
        assert "exec" in vars(dataclasses) and "eval" in vars(collections) and "compile" in vars(typing)
        # (dont_inherit: this file's `from __future__ import annotations` is no flag of typing's)
        stock = compile("list[int]", "<string>", "eval", dont_inherit=True)
        assert typing.ForwardRef("list[int]").__forward_code__ == stock
    finally:
        boot.stop()
    assert re._compiler.compile is compile_before
    assert "exec" not in vars(dataclasses) and "eval" not in vars(collections)
    assert "compile" not in vars(typing)
    assert not boot.save()  # nothing was compiled under an import: nothing to write


def test_the_off_switch_compiles_everything_as_usual(probe_env) -> None:
    run_probe(probe_env)  # the file is there
    off = dict(probe_env, NANGO_TUI_NO_BOOT_CACHE="1")
    out = run_probe(off)
    assert out["hits"] == 0
    assert out["patterns"] == stock(off)["patterns"]


def test_a_failing_save_is_no_error(monkeypatch) -> None:
    """Whatever goes wrong while writing (here an entry marshal refuses), the program goes on."""
    fresh = boot._Boot("/nonexistent-folder/boot.marshal")
    fresh.new_codes[("exec", "x = 1")] = compile("x = 1", "<string>", "exec", dont_inherit=True)
    monkeypatch.setattr(boot, "_boot", fresh)

    def refuse(value: object) -> bytes:
        raise ValueError("unmarshallable object")

    monkeypatch.setattr(boot.marshal, "dumps", refuse)
    assert boot.save() is False


def test_a_module_with_future_flags_keeps_its_builtins() -> None:
    """The hooks compile as a module without `__future__` imports does; another Python's
    dataclasses (or typing...) that had one would be left alone."""
    import types

    module = types.ModuleType("with_future")
    exec("from __future__ import annotations", vars(module))
    plain = types.ModuleType("plain")
    fresh = boot._Boot("/nonexistent-folder/boot.marshal")
    fresh._shadow(module, "exec", fresh.exec_source)
    fresh._shadow(plain, "exec", fresh.exec_source)
    assert "exec" not in vars(module)
    assert vars(plain)["exec"] == fresh.exec_source
    fresh.uninstall()
    assert "exec" not in vars(plain)


WORKBENCH = r"""
import asyncio, json, marshal, os, re, sys
from nango_tui import boot
boot.start()  # as program.entry
from pathlib import Path
os.environ["NANGO_TUI_KEYMAP"] = "/nonexistent"
from nango_tui.tui.app import WorkbenchApp

async def main():
    app = WorkbenchApp(Path(sys.argv[1]), watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        while not os.path.isfile(boot.cache_path()):  # written after the first frame
            await pilot.pause(0.05)
        hooked = re._compiler.compile.__module__ == "nango_tui.boot"
        assert "imaplib" not in sys.modules
        import imaplib  # a later screen's import: compiles its regexes as it is imported
    written = boot.finish()  # as cli.entry at the program's end
    _, regexes, _ = marshal.loads(open(boot.cache_path(), "rb").read())
    kept = any(pattern == imaplib.Continuation.pattern for pattern, _ in regexes)
    print(json.dumps({"hooked_after_first_frame": hooked, "written_at_exit": written, "kept": kept}))

asyncio.run(main())
"""


def test_the_workbench_keeps_what_it_imports_after_its_first_frame(tmp_path: Path) -> None:
    """The workbench writes the file at its first frame and keeps the hooks (it runs no user
    code): what its warm-up and later screens import is kept at the program's end."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    samples = Path(__file__).resolve().parent.parent / "sample-integrations"
    done = subprocess.run(
        [sys.executable, "-c", WORKBENCH, str(samples)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # written by the app's own save as it closes (on_unmount) or by boot.finish() after it
    assert out["hooked_after_first_frame"] is True
    assert out["kept"] is True


TOKENIZING_MODULE = "boot_tokenizing_probe"
TOKENIZING_SOURCE = """
import inspect, io, tokenize
SIGNATURE = str(inspect.signature(list))  # as pydantic asks of a default_factory (it tokenizes)
SOURCE = "x = rb'a' + Rb\\"\\"\\"b\\"\\"\\" + f'{y}' + u\\"c\\" # note\\n"
TOKENS = [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(SOURCE).readline)]
"""
TOKENIZING_SHOW = r"""
import json, re, sys, tokenize
from nango_tui import boot
boot.start()
import boot_tokenizing_probe as probe
pseudo = tokenize._compile(tokenize.PseudoToken)
print(json.dumps({"hits": boot.hits(), "written": boot.finish(), "tokens": probe.TOKENS,
                  "signature": probe.SIGNATURE, "group": tokenize.StringPrefix,
                  "pattern_is_own_text": pseudo.pattern == tokenize.PseudoToken,
                  "stock_equal": pseudo == re._compiler.compile(tokenize.PseudoToken, 0)}))
"""


def test_tokenize_patterns_are_kept_whatever_the_hash_seed(probe_env) -> None:
    """tokenize's patterns hold its string prefixes in a set's order, new at each start: kept
    in one order, so the next start (another hash seed) takes them from the file, writes nothing,
    and tokenizes the same."""
    library = Path(probe_env["PYTHONPATH"].split(os.pathsep)[0])
    (library / f"{TOKENIZING_MODULE}.py").write_text(TOKENIZING_SOURCE)
    code = TOKENIZING_SHOW.replace("{", "{{").replace("}", "}}")

    def start(seed: str) -> dict:
        return run_probe(dict(probe_env, PYTHONHASHSEED=seed), code)

    first = start("1")
    regexes, _ = kept(probe_env)
    stock_run = run_probe(dict(probe_env, PYTHONHASHSEED="2"), code.replace("boot.start()", "pass"))
    seeds = [str(seed) for seed in range(2, 40)]
    second = next(out for out in map(start, seeds) if out["group"] != first["group"])  # another order
    assert first["written"] is True
    assert second["written"] is False  # nothing new: the file is not rewritten
    assert kept(probe_env)[0].keys() == regexes.keys()
    assert second["hits"] > first["hits"]
    for out in (first, second):
        assert out["tokens"] == stock_run["tokens"]
        assert out["signature"] == stock_run["signature"] == "(iterable=(), /)"
        assert out["pattern_is_own_text"] is True
    assert stock_run["stock_equal"] is True
