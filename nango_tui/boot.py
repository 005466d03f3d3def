"""Start-up work that is the same at every start, done once and kept for the next.

Every process of the program (the workbench, the commands, the dryrun child and the zygote)
begins with the same imports, and those compile the same things each time: ~100 regular
expressions through `re`'s pure-Python parser and compiler, and ~350 small functions that
`dataclasses` and `namedtuple` generate as source text and compile (~20-40 ms each kind at the
workbench's start). The entry points call `start()` first: it reads what an earlier start kept
(one file under the user's cache folder) and hands

* a regular expression's program (what `re._compiler.compile` computes for the pattern, its
  flags and this interpreter) straight to `_sre.compile`: the same Pattern object, equal to one
  compiled as usual (Pattern's `==` compares the program);
* a generated function's code object (what `compile()` makes of the exact source text) to
  `exec`/`eval` in `dataclasses`/`collections`, as their own call would have compiled it, and a
  string annotation's code object to `compile` in `typing` (`ForwardRef`).

What a start compiles that the file did not hold is kept, but only when it happens while a module
of the interpreter's library, site-packages or this package is being imported (its code's
constants, never a value: a pattern built from a secret, a user's model or script is never
written), until `stop()`; `save()` then writes the file. `stop()` puts `re` and the three modules
back as they were, so what runs after start-up (user code included) runs the stock functions.

The file is a marshal of the interpreter's own types (like a .pyc), read only when it is the
user's (a regular file, owned by the user, writable by nobody else, under a size limit; the same
rules as `tui/user_cache.py`, which uses `read_private_bytes`/`write_private_bytes` here) and
when it was written by the same interpreter build (version string, bytecode tag, `_sre`'s magic).
Anything else, or an entry that does not load, counts as no entry: it is compiled as usual.
The regular-expression hook uses CPython 3.11's private `re._compiler`/`re._parser` functions and
is installed only on CPython 3.11 (else every start compiles as usual). Deleting the file is
always safe; `NANGO_TUI_NO_BOOT_CACHE=1` turns all of this off (benchmarks/bench_boot.py's A/B).
"""

from __future__ import annotations
import __future__

import _frozen_importlib_external as _bootstrap_external  # (importlib.machinery's, loaded)
import _sre  # type: ignore[import-not-found]  # (no stub; built in)
import _thread
import builtins
import marshal
import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing costs a fresh interpreter ~3 ms)
    from collections.abc import Callable
    from types import CodeType, ModuleType
    from typing import Any

FILE_PREFIX = "boot-"
FORMAT = 2  # of the file: entries kept serialized, decoded when used (a process uses ~half)
DISABLE_VARIABLE = "NANGO_TUI_NO_BOOT_CACHE"  # set (non-empty): every start compiles as usual
MAX_BYTES = 32 * 1024 * 1024  # the workbench's and the child's together are ~1 MB
MAX_ENTRIES = 20_000  # over this (library upgrades leave old entries): keep only this start's

_CODE_TYPE = type((lambda: None).__code__)  # (not compile(): its first call costs ~4 ms)
_future_feature = type(__future__.annotations)


def cache_folder(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """`$XDG_CACHE_HOME/nango-tui` (~/.cache/nango-tui by default)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser(env.get("HOME", "~")), ".cache")
    return os.path.join(base, "nango-tui")


def read_private_bytes(path: str | os.PathLike[str], max_bytes: int) -> bytes | None:
    """The file's bytes when it is safe to trust: a regular file (not a link) owned by the user,
    writable by nobody else, at most `max_bytes`; else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.getuid()
            or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            or st.st_size > max_bytes
        ):
            return None
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= max_bytes else None
    except OSError:
        return None
    finally:
        os.close(fd)


def write_private_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` at once (a reader sees the old file or the new one), 0600 in a
    0700 folder."""
    folder = os.path.dirname(os.fspath(path)) or "."
    os.makedirs(folder, mode=0o700, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{os.urandom(6).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def interpreter_key() -> tuple[object, ...]:
    """What the kept programs and code objects depend on: this interpreter's build."""
    return (
        FORMAT,
        sys.implementation.name,
        sys.version,
        sys.hexversion,
        sys.implementation.cache_tag,
        _sre.MAGIC,
        _sre.CODESIZE,
        sys.maxunicode,
    )


def cache_path(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The file of this interpreter (`boot-cpython-311.marshal` under `cache_folder()`)."""
    return os.path.join(cache_folder(environ), f"{FILE_PREFIX}{sys.implementation.cache_tag}.marshal")


def regex_hook_supported() -> bool:
    """The private `re` functions the regex hook calls are those of CPython 3.11."""
    return sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11) and _sre.CODESIZE == 4


class _Boot:
    """One process's start-up cache: what the file held, what this start added, the hooks."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.regexes: dict[tuple[str | bytes, int], tuple[Any, ...]] = {}
        self.codes: dict[tuple[str, str], bytes] = {}
        self.new_regexes: dict[tuple[str | bytes, int], tuple[Any, ...]] = {}
        self.new_codes: dict[tuple[str, str], CodeType] = {}
        self.hits = 0
        self.recording = False
        self.trusted: tuple[str, ...] | None = None
        self.restore: list[tuple[ModuleType, str, object, bool]] = []
        self.finder: _PatchOnLoad | None = None
        self.regex_compile: Callable[..., Any] | None = None
        self.lock = _thread.allocate_lock()  # save() from the workbench's thread and at its exit

    # -- the file ----------------------------------------------------------------------------

    def load(self) -> None:
        tables = _decode(read_private_bytes(self.path, MAX_BYTES))
        if tables is not None:
            self.regexes, self.codes = tables

    def save(self) -> bool:
        """Write the file when this start compiled anything the file did not hold (merged with
        what is in the file now: another process may have written since); True when written."""
        with self.lock:
            return self._save()

    def _save(self) -> bool:
        # snapshots (C-level copies): other threads may record while this one writes
        recorded_regexes, recorded_codes = dict(self.new_regexes), dict(self.new_codes)
        if not recorded_regexes and not recorded_codes:
            return False
        regexes, codes = _decode(read_private_bytes(self.path, MAX_BYTES)) or ({}, {})
        regexes.update(self.regexes)
        codes.update(self.codes)
        import array

        new_regexes = {
            k: (v[0], array.array("I", v[1]).tobytes(), *v[2:]) for k, v in recorded_regexes.items()
        }
        new_codes = {k: marshal.dumps(v) for k, v in recorded_codes.items()}
        regexes.update(new_regexes)
        codes.update(new_codes)
        if len(regexes) + len(codes) > MAX_ENTRIES:  # old entries pile up: keep this start's only
            regexes, codes = new_regexes, new_codes
        contents: Any = (interpreter_key(), regexes, codes)
        write_private_bytes(self.path, marshal.dumps(contents))
        for key in recorded_regexes:
            self.new_regexes.pop(key, None)
        for key in recorded_codes:
            self.new_codes.pop(key, None)
        self.regexes.update(new_regexes)  # (a later save in this process writes them again)
        self.codes.update(new_codes)
        return True

    # -- the hooks ---------------------------------------------------------------------------

    def install(self) -> None:
        """Patch `dataclasses`, `collections` and `re._compiler` now if imported, else as each
        is imported (importing them here would cost processes that never use them ~25 ms)."""
        self.recording = True
        patches: dict[str, Callable[[ModuleType], None]] = {
            "dataclasses": lambda module: self._shadow(module, "exec", self.exec_source),
            "collections": lambda module: self._shadow(module, "eval", self.eval_source),
            "typing": lambda module: self._shadow(module, "compile", self.compile_source),
        }
        if regex_hook_supported():
            patches["re._compiler"] = self._patch_regex_compiler
        for name in list(patches):
            if name in sys.modules:
                patches.pop(name)(sys.modules[name])
        if patches:
            self.finder = _PatchOnLoad(patches)
            finders = sys.meta_path
            at = next((i for i, f in enumerate(finders) if f is _bootstrap_external.PathFinder), 0)
            finders.insert(at, self.finder)

    def _patch_regex_compiler(self, compiler: ModuleType) -> None:
        self.regex_compile = compiler.compile
        self._patch(compiler, "compile", self.compile_regex)

    def _shadow(self, module: ModuleType, name: str, value: object) -> None:
        """A builtin shadowed in `module`'s namespace, when the module compiles with no
        `__future__` flags (as the hooks do): else (another Python's version of it) left alone."""
        if not any(isinstance(v, _future_feature) for v in list(vars(module).values())):
            self._patch(module, name, value)

    def _patch(self, module: ModuleType, name: str, value: object) -> None:
        had = name in vars(module)
        self.restore.append((module, name, vars(module).get(name), had))
        setattr(module, name, value)

    def uninstall(self) -> None:
        self.recording = False
        if self.finder is not None:
            try:
                sys.meta_path.remove(self.finder)
            except ValueError:
                pass
            self.finder = None
        for module, name, old, had in reversed(self.restore):
            if had:
                setattr(module, name, old)
            else:
                delattr(module, name)
        self.restore.clear()

    def compile_regex(self, p: Any, flags: int = 0) -> Any:
        """`re._compiler.compile` (CPython 3.11), its program taken from the file when kept."""
        if type(p) not in (str, bytes) or type(flags) is not int or flags & 128:  # 128: DEBUG prints
            return self.regex_compile(p, flags)  # type: ignore[misc]
        source = p if type(p) is bytes else _in_canonical_order(p)
        key = (source, flags)
        kept = self.regexes.get(key)
        if kept is not None:
            try:  # (its program kept as the bytes of 32-bit words: _sre.CODESIZE is 4)
                pattern = _sre.compile(p, kept[0], memoryview(kept[1]).cast("I").tolist(), *kept[2:])
            except Exception:  # not a program this interpreter accepts: compile it as usual
                self.regexes.pop(key, None)
            else:
                self.hits += 1
                return pattern
        import re

        compiler = re._compiler  # type: ignore[attr-defined]
        parsed = re._parser.parse(source, flags)  # type: ignore[attr-defined]
        code = compiler._code(parsed, flags)
        groupindex = parsed.state.groupdict
        indexgroup = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        args = (flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))
        pattern = _sre.compile(p, *args)
        if self.recording and self._importing_library():  # (opcodes are int subclasses: plain ints)
            self.new_regexes[key] = (args[0], [int(op) for op in code], *args[2:])
        return pattern

    def exec_source(self, source: object, globals: Any = None, locals: Any = None, /) -> None:
        """`exec` as `dataclasses` calls it, the generated source's code object kept."""
        if globals is None:  # the builtin's defaults: the caller's namespaces, not this frame's
            caller = sys._getframe(1)
            globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
        builtins.exec(self._code(source, "exec"), globals, locals)

    def eval_source(self, source: object, globals: Any = None, locals: Any = None, /) -> Any:
        """`eval` as `namedtuple` calls it, the generated source's code object kept."""
        if globals is None:
            caller = sys._getframe(1)
            globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
        return builtins.eval(self._code(source, "eval"), globals, locals)

    def compile_source(
        self,
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
    ) -> Any:
        """`compile` as `typing.ForwardRef` calls it (a string annotation's expression, ~800 at a
        dryrun child's start), the code object kept; `typing` has no `__future__` flags to inherit."""
        if filename == "<string>" and mode in ("eval", "exec") and not flags and optimize == -1:
            return self._code(source, mode)
        return builtins.compile(source, filename, mode, flags, True, optimize)

    def _code(self, source: Any, mode: str) -> Any:
        if type(source) is not str:
            return source
        key = (mode, source)
        kept = self.codes.get(key)
        if kept is not None:
            try:
                code = marshal.loads(kept)
            except Exception:  # (not one this interpreter wrote)
                code = None
            if type(code) is _CODE_TYPE:
                self.hits += 1
                return code
            self.codes.pop(key, None)
        # as exec/eval compile a string from those modules: no __future__ flags (neither
        # dataclasses nor collections has any; dont_inherit keeps this module's out too)
        code = compile(source, "<string>", mode, dont_inherit=True)
        if self.recording and self._importing_library():
            self.new_codes[key] = code
        return code

    def _importing_library(self) -> bool:
        """Whether this call comes from a module of the library or this package being imported,
        with nothing else (a user's code, a function called later) in between."""
        if self.trusted is None:
            self.trusted = _trusted_folders()
        frame = sys._getframe(2)
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith("<frozen importlib"):
                return True
            if not filename.startswith(self.trusted):
                return False
            frame = frame.f_back  # type: ignore[assignment]
        return False


class _PatchOnLoad:
    """A meta path finder that patches a module of the interpreter's library right after it is
    imported: the path finder's own spec, with a source loader that calls the patch at the end."""

    def __init__(self, patches: dict[str, Callable[[ModuleType], None]]) -> None:
        self.patches = patches

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        patch = self.patches.get(name)
        if patch is None:
            return None
        spec = _bootstrap_external.PathFinder.find_spec(name, path, target)
        loader = getattr(spec, "loader", None)
        if spec is None or type(loader) is not _bootstrap_external.SourceFileLoader:
            return None  # (not the usual source file: imported as usual, unpatched)
        del self.patches[name]
        spec.loader = _PatchingLoader(loader.name, loader.path, patch)
        return spec


class _PatchingLoader(_bootstrap_external.SourceFileLoader):
    def __init__(self, fullname: str, path: str, patch: Callable[[ModuleType], None]) -> None:
        super().__init__(fullname, path)
        self.patch = patch

    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        self.patch(module)


def _in_canonical_order(p: str) -> str:
    """`p` with `tokenize`'s group of string prefixes in sorted order.

    `tokenize` builds that group from a set, so its order (and the text of every pattern made
    with it, PseudoToken's ~950 characters) changes from one start to the next with hash
    randomization: kept under its own text, it never matched again, and each process that
    tokenizes (pydantic asks `inspect.signature` of `list` and `dict`: the workbench after its
    first frame) added one more ~8 KB entry and rewrote the whole file as it ended. The order
    does not change what matches: the prefixes are letters and each is followed by a quote
    there, so at most one of them can match at a given place. The program kept is the sorted
    one's; the Pattern keeps `p` as its text, as the stock compile would."""
    tokenize = sys.modules.get("tokenize")
    group = getattr(tokenize, "StringPrefix", None)
    if type(group) is not str or group not in p:
        return p
    canonical = _CANONICAL_GROUPS.get(group)
    if canonical is None:
        prefixes = group[1:-1].split("|")
        if (
            group[:1] != "("
            or group[-1:] != ")"
            or not all(x.isascii() and (x.isalpha() or not x) for x in prefixes)
        ):
            return p  # (not the letters-only group of CPython 3.11's tokenize)
        canonical = _CANONICAL_GROUPS[group] = "(" + "|".join(sorted(prefixes)) + ")"
    pieces = p.split(group)
    if not all(piece[:1] in ("'", '"') for piece in pieces[1:]):
        return p  # a use not followed by a quote: the order might matter there
    return canonical.join(pieces)


_CANONICAL_GROUPS: dict[str, str] = {}


def _trusted_folders() -> tuple[str, ...]:
    """The interpreter's library, the site-packages folders and this package's folder."""
    folders = {os.path.dirname(os.__file__), os.path.dirname(__file__)}
    folders.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.join(folder, "") for folder in folders if folder)


def _decode(
    data: bytes | None,
) -> tuple[dict[tuple[str | bytes, int], tuple[object, ...]], dict[tuple[str, str], bytes]] | None:
    """The file's two tables when `data` is a file this interpreter wrote, else None: each regex's
    arguments to `_sre.compile` (its program as bytes), each code object marshalled."""
    if not data:
        return None
    try:
        key, regexes, codes = marshal.loads(data)
    except Exception:  # truncated, another format...: as if there were no file
        return None
    if key != interpreter_key() or type(regexes) is not dict or type(codes) is not dict:
        return None
    regexes = {
        k: v
        for k, v in regexes.items()
        if type(k) is tuple and len(k) == 2 and type(v) is tuple and len(v) == 5 and type(v[1]) is bytes
    }
    codes = {k: v for k, v in codes.items() if type(k) is tuple and len(k) == 2 and type(v) is bytes}
    return regexes, codes


_boot: _Boot | None = None


def start(environ: dict[str, str] | None = None) -> None:
    """Read the kept start-up work and install the hooks (once per process; first thing an
    entry point does). Never fails: without a usable file every start compiles as usual."""
    global _boot
    env = os.environ if environ is None else environ
    if _boot is not None or env.get(DISABLE_VARIABLE):
        return
    _boot = _Boot(cache_path(environ))
    _boot.load()
    _boot.install()


def stop() -> None:
    """Start-up is over: nothing more is kept, `re`, `dataclasses`, `collections` and `typing` are back as
    they were (before any user code runs; before a zygote's first fork)."""
    if _boot is not None:
        _boot.uninstall()


def save() -> bool:
    """Write what this start compiled that the file did not hold (nothing when it held it all:
    every start after the first); True when the file was written. Never raises (a read-only
    home, a full disk, an entry marshal cannot write): the next start compiles as usual."""
    if _boot is None:
        return False
    try:
        return _boot.save()
    except Exception:  # (a cache: the command's own result and exit code come first)
        return False


def finish() -> bool:
    """`stop()`, then `save()`."""
    stop()
    return save()


def hits() -> int:
    """How many compiles this process took from the file (tests, benchmarks)."""
    return 0 if _boot is None else _boot.hits
