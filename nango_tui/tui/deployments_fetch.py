"""What the Deployments pane asks a server, in one blocking call per refresh (run in a thread).

`EnvLink` knows an environment's address and key (Nango CLI's rules: `NANGO_HOSTPORT`,
`NANGO_SECRET_KEY_<ENV>`, from the shell or the folder's .env) and keeps one HTTP client for it.
`fetch(link, wanted)` reads the environment's scripts and connections, then the statuses and
runs of what the tree has open, and returns an `EnvSnapshot`; a failure is its `error` line.
No Textual here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nango_tui.remote.api import (
        Connection,
        IntegrationScripts,
        ScriptConfig,
        ServerClient,
        SyncRun,
        SyncStatus,
    )

RUNS_SHOWN = 10  # runs listed under one connection's sync


class EnvLink:
    """An environment's server address and client; `problem` when its settings are missing."""

    def __init__(self, root: Path, env: str) -> None:
        from nango_tui.remote.api import ServerClient
        from nango_tui.remote.http import DEFAULT_HOST, ClientError, settings

        self.env = env
        self.host = DEFAULT_HOST
        self.problem: str | None = None
        self.client: ServerClient | None = None
        try:
            self.host, key = settings(root, env)
        except ClientError as exc:
            self.problem = str(exc)
            return
        self.client = ServerClient(self.host, key)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


@dataclass(frozen=True)
class Wanted:
    """What the tree has open in one environment: sync scripts and connections' syncs."""

    scripts: frozenset[tuple[str, str]] = frozenset()  # (integration, sync)
    syncs: frozenset[tuple[str, str, str]] = frozenset()  # (integration, sync, connection)


@dataclass
class EnvSnapshot:
    env: str
    host: str
    error: str | None = None
    integrations: list[IntegrationScripts] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    statuses: dict[tuple[str, str], list[SyncStatus]] = field(default_factory=dict)
    runs: dict[tuple[str, str, str], list[SyncRun]] = field(default_factory=dict)
    problems: dict[tuple[str, ...], str] = field(default_factory=dict)  # a part that failed
    seconds: float = 0.0
    partial: bool = False  # the scripts only: connections and statuses follow

    def script(self, integration: str | None, name: str | None) -> ScriptConfig | None:
        """A deployed script's config, by integration and name."""
        for scripts in self.integrations:
            if scripts.providerConfigKey == integration:
                for script in [*scripts.syncs, *scripts.actions]:
                    if script.name == name:
                        return script
        return None

    def status(self, integration: str | None, sync: str | None, connection: str | None) -> SyncStatus | None:
        """One connection's sync status, when this answer (or one before it) has it."""
        for status in self.statuses.get((integration or "", sync or ""), []):
            if status.connection_id == connection:
                return status
        return None

    def run(
        self, integration: str | None, sync: str | None, connection: str | None, run_id: str | None
    ) -> SyncRun | None:
        for run in self.runs.get((integration or "", sync or "", connection or ""), []):
            if str(run.run_id) == run_id:
                return run
        return None

    def keep_unasked(self, previous: EnvSnapshot) -> None:
        """Take from `previous` the statuses and runs this answer did not ask for (asked before the
        tree opened them) or failed to get, of scripts still deployed: an answer that says nothing
        about a part leaves it as it was shown."""
        deployed = {(i.providerConfigKey, s.name) for i in self.integrations for s in i.syncs}
        for key, statuses in previous.statuses.items():
            if key in deployed and key not in self.statuses:
                self.statuses[key] = statuses
        for run_key, runs in previous.runs.items():
            if run_key[:2] in deployed and run_key not in self.runs:
                self.runs[run_key] = runs


def fetch(
    link: EnvLink, wanted: Wanted, on_scripts: Callable[[EnvSnapshot], None] | None = None
) -> EnvSnapshot:
    """Everything the tree shows of one environment; never raises for a server's answer.
    `on_scripts` gets a partial snapshot as soon as the scripts are known (a first screen
    before the connections, which can be thousands)."""
    from nango_tui.remote.api import ServerError

    started = time.perf_counter()
    snap = EnvSnapshot(link.env, link.host)
    client = link.client
    if client is None:
        snap.error = link.problem
        return snap
    try:
        snap.integrations = client.scripts_config()
        if on_scripts is not None:
            on_scripts(EnvSnapshot(link.env, link.host, integrations=snap.integrations, partial=True))
        snap.connections = client.connections()
    except ServerError as exc:
        snap.error = str(exc)
        return snap
    deployed = {(i.providerConfigKey, s.name) for i in snap.integrations for s in i.syncs}
    for integration, sync in sorted(wanted.scripts & deployed):
        try:
            snap.statuses[(integration, sync)] = client.sync_status(integration, sync)
        except ServerError as exc:
            snap.problems[(integration, sync)] = str(exc)
    for integration, sync, connection in sorted(wanted.syncs):
        if (integration, sync) not in deployed:
            continue
        try:
            snap.runs[(integration, sync, connection)] = client.sync_runs(
                integration, sync, connection, RUNS_SHOWN
            )
        except ServerError as exc:
            snap.problems[(integration, sync, connection)] = str(exc)
    snap.seconds = time.perf_counter() - started
    return snap
