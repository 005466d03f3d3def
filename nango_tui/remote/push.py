"""`nango-tui connections push ENV`: connections.yaml's connections of ENV, credentials resolved, sent
with Nango's `POST /connections`. A connection whose `${VAR}` is unset is skipped with the reason."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

from .http import ClientError, call, error_text, settings


def connection_body(connection: Any) -> dict[str, Any]:
    """Nango's import body for a resolved runtime Connection (plus `provider` and `replay`, ours)."""
    creds = connection.credentials
    credentials = creds.to_dict() if creds.type != "NONE" else {}
    if creds.type == "OAUTH2":
        for name in ("client_id", "client_secret"):
            if getattr(creds, name):
                credentials[name] = getattr(creds, name)
    config = dict(connection.connection_config)
    if connection.base_url:
        config["base_url"] = connection.base_url
    if connection.token_url:
        config["token_url"] = connection.token_url
    return {
        "provider_config_key": connection.integration,
        "connection_id": connection.id,
        "provider": connection.provider,
        "credentials": credentials,
        "connection_config": config,
        "metadata": dict(connection.metadata),
        "replay": bool(connection.replay),
    }


def run(root: Path, environment: str, out: IO[str] = sys.stdout, err: IO[str] = sys.stderr) -> int:
    """Push every connection of `environment`; 0 when all that could be resolved were accepted."""
    from nango_tui.runtime import connections
    from nango_tui.runtime.errors import ConnectionProblem

    try:
        host, key = settings(root, environment)
        infos = connections.list_connections(root, environment, include_nango=False)
    except (ClientError, ConnectionProblem) as exc:
        err.write(f"nango-tui connections push: {exc}\n")
        return 1
    if not infos:
        err.write(
            f"nango-tui connections push: connections.yaml has no connection in environment `{environment}`\n"
        )
        return 1
    failed = pushed = 0
    for info in infos:
        try:
            connection = connections.get_connection(root, environment, info.id, info.integration)
        except ConnectionProblem as exc:
            err.write(f"skipped {info.id}: {exc}\n")
            continue
        try:
            status, body = call("POST", host, key, "/connections", connection_body(connection))
        except ClientError as exc:
            err.write(f"nango-tui connections push: {exc}\n")
            return 1
        if status >= 400:
            failed += 1
            err.write(f"{info.id}: {error_text(status, body)}\n")
            continue
        pushed += 1
        out.write(
            f"pushed {info.id} ({info.integration}{', replays its recordings' if connection.replay else ''})\n"
        )
    out.write(f"{pushed} connection(s) pushed to {environment} at {host}\n")
    return 1 if failed else 0
