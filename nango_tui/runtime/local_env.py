"""The one loader of a project's local settings: `.env`, connections.yaml and the environments.

`.env` is read with python-dotenv (`KEY=value`, `export KEY=value`, quotes, `# comments`; no
`${VAR}` interpolation inside it); a variable set in the shell wins over `.env`. connections.yaml
is parsed once by the config part's bounded YAML reader, with line/column for every problem.
Connections (`connections.py`), the Nango server client (`nango_server.py`), the dryrun and the
workbench all read these files through here.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.diagnostics import DiagnosticList
from ..config.files import read_user_file
from ..config.yamlnodes import YMap, decode, parse
from .errors import ConnectionProblem

CONNECTIONS_FILE = "connections.yaml"
DOTENV_FILE = ".env"
DEFAULT_NANGO_HOST = "https://api.nango.dev"
SECRET_KEY_PREFIX = "NANGO_SECRET_KEY_"
_SECRET_KEY_VAR = re.compile(r"^NANGO_SECRET_KEY_([A-Z0-9_]+)$")
ENTRY_KEYS = frozenset(
    {
        "integration",
        "provider",
        "base_url",
        "credentials",
        "connection_config",
        "metadata",
        "replay",
        "token_url",
    }
)

# ---------------------------------------------------------------------------------------------
# .env and the environment


def read_dotenv(root: Path) -> dict[str, str]:
    """The variables of `<root>/.env` (an unreadable or missing file has none)."""
    try:
        text = read_user_file(Path(root) / DOTENV_FILE).decode("utf-8")
    except (OSError, UnicodeDecodeError):  # a FIFO or /dev/zero is refused, not read forever
        return {}
    from dotenv.parser import parse_stream  # (only with a .env: its package imports tempfile too)

    return {
        binding.key: binding.value
        for binding in parse_stream(io.StringIO(text))
        if binding.key is not None and binding.value is not None and not binding.error
    }


def environment(root: Path) -> dict[str, str]:
    """`.env` overlaid by the real environment (a variable set in the shell wins)."""
    env = read_dotenv(root)
    env.update(os.environ)
    return env


def nango_secret_key(env: dict[str, str], environment_name: str) -> str | None:
    """The Nango secret key of `environment_name` (NANGO_SECRET_KEY_<ENV>), if set."""
    return env.get(f"{SECRET_KEY_PREFIX}{environment_name.upper().replace('-', '_')}") or None


def nango_host(env: dict[str, str]) -> str:
    """NANGO_HOSTPORT, or Nango's cloud."""
    return (env.get("NANGO_HOSTPORT") or DEFAULT_NANGO_HOST).rstrip("/")


# ---------------------------------------------------------------------------------------------
# connections.yaml


def _where(node: Any, key: Any = None) -> str:
    if isinstance(node, YMap):
        line, col = node.key_mark(key) if key is not None else node.mark
        return f"{CONNECTIONS_FILE}:{line}:{col}"
    return f"{CONNECTIONS_FILE}:1:1"


def _environments_of_file(root: Path) -> dict[Any, Any] | None:
    """connections.yaml's `environments` mapping; None when there is no file (or it is empty)."""
    path = Path(root) / CONNECTIONS_FILE
    if not path.is_file():
        return None
    diags = DiagnosticList(CONNECTIONS_FILE)
    try:
        data_bytes = read_user_file(path)
    except OSError as err:
        raise ConnectionProblem(f"cannot read {CONNECTIONS_FILE}: {err.strerror or err}") from None
    text = decode(data_bytes, diags)
    data = parse(text, diags) if text is not None else None
    if diags.items:
        d = diags.items[0]
        raise ConnectionProblem(f"{CONNECTIONS_FILE}:{d.line}:{d.column}: {d.message}")
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("environments"), dict):
        raise ConnectionProblem(
            f"{_where(data)}: connections.yaml must hold `environments: {{<env>: {{connections: {{<id>: ...}}}}}}`"
        )
    envs: dict[Any, Any] = data["environments"]
    return envs


@dataclass
class FileEntry:
    """One connection of connections.yaml, as written (before `${VAR}` expansion), and where."""

    id: str
    data: dict[str, Any]
    line: int
    column: int


def connection_entries(root: Path, environment_name: str) -> tuple[list[FileEntry], dict[str, Any]]:
    """The connection entries of one environment in connections.yaml, and the environment's mapping.

    Raises ConnectionProblem (with file:line:column) for a file that is not as DESIGN.md says."""
    envs = _environments_of_file(root)
    if envs is None:
        return [], {}
    env = envs.get(environment_name)
    if env is None:
        return [], {}
    if not isinstance(env, dict):
        raise ConnectionProblem(
            f"{_where(envs, environment_name)}: environment `{environment_name}` must be a mapping"
        )
    conns = env.get("connections") or {}
    if not isinstance(conns, dict):
        raise ConnectionProblem(
            f"{_where(env, 'connections')}: `connections` must be a mapping of connection ids"
        )
    entries: list[FileEntry] = []
    for conn_id, entry in conns.items():
        if not isinstance(entry, dict):
            raise ConnectionProblem(f"{_where(conns, conn_id)}: connection `{conn_id}` must be a mapping")
        unknown = [k for k in entry if k not in ENTRY_KEYS]
        if unknown:
            raise ConnectionProblem(
                f"{_where(entry, unknown[0])}: unknown key `{unknown[0]}` in connection `{conn_id}` "
                f"(allowed: {', '.join(sorted(ENTRY_KEYS))})"
            )
        line, col = conns.key_mark(conn_id) if isinstance(conns, YMap) else (1, 1)
        entries.append(FileEntry(str(conn_id), entry, line, col))
    return entries, env


def list_environments(root: Path, current: str | None = None) -> list[str]:
    """`dev` (and `current`) first, then connections.yaml's environments and those with a
    NANGO_SECRET_KEY_<ENV> (shell or .env). A broken connections.yaml adds none: whoever reads
    its connections reports the problem."""
    names = ["dev", *([current] if current else [])]
    try:
        names += [str(name) for name in _environments_of_file(root) or {}]
    except ConnectionProblem:
        pass
    for variable in environment(root):
        match = _SECRET_KEY_VAR.match(variable)
        if match:
            names.append(match.group(1).lower())
    return list(dict.fromkeys(names))
