"""`nango-tui deploy ENV`: compile (must be clean), then Nango's two calls, with its confirmation rules.

`deploy_body` builds the body from a compiled project; `describe` words the server's confirmation
(the workbench shows the same lines). The compile step is `workflows.deploy_plan`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nango_tui import __version__

if TYPE_CHECKING:
    from nango_tui.config import Diagnostic

from .http import ClientError, call, error_text, settings


@dataclass
class DeployOptions:
    root: Path
    environment: str
    sync: str | None = None
    action: str | None = None
    integration: str | None = None
    version: str | None = None
    auto_confirm: bool = False
    allow_destructive: bool = False
    as_json: bool = False


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def flow_configs(root: Path, project: Any, options: DeployOptions) -> list[dict[str, Any]]:
    """Nango's flowConfigs for the scripts chosen (all of them unless --sync/--action/--integration)."""
    flows = []
    for script in project.scripts():
        if options.integration and script.integration != options.integration:
            continue
        if options.sync and (script.kind != "sync" or script.name != options.sync):
            continue
        if options.action and (script.kind != "action" or script.name != options.action):
            continue
        is_sync = script.kind == "sync"
        flow: dict[str, Any] = {
            "type": script.kind,
            "syncName": script.name,
            "providerConfigKey": script.integration,
            "models": list(script.output),
            "runs": script.runs if is_sync else None,
            "auto_start": script.auto_start if is_sync else False,
            "track_deletes": script.track_deletes if is_sync else False,
            "sync_type": script.sync_type if is_sync else None,
            "input": script.input,
            "endpoints": [
                {k: v for k, v in {"method": e.method, "path": e.path, "group": e.group}.items() if v}
                for e in script.endpoints
            ],
            "version": options.version or script.version,
            "metadata": {"description": script.description, "scopes": list(script.scopes)},
            "attributes": {},
            "webhookSubscriptions": list(script.webhook_subscriptions) if is_sync else [],
            "fileBody": {"py": (root / script.script_path).read_text(encoding="utf-8")},
        }
        mocks = _read(root / script.integration / "mocks" / f"{script.name}.json")
        if mocks is not None:
            flow["mocks"] = mocks
        flows.append(flow)
    return flows


def deploy_body(root: Path, project: Any, options: DeployOptions, reconcile: bool) -> dict[str, Any]:
    schema_text = _read(root / ".nango" / "schema.json")
    try:
        schema = json.loads(schema_text) if schema_text else None
    except ValueError:
        schema = None
    return {
        "flowConfigs": flow_configs(root, project, options),
        "nangoYamlBody": _read(root / "nango.yaml"),
        "modelsPy": _read(root / "models.py"),
        "jsonSchema": schema,
        "reconcile": reconcile,
        "debug": False,
        "singleDeployMode": bool(options.sync or options.action or options.integration),
        "sdkVersion": f"{__version__}-py",
    }


def describe(diff: dict[str, Any]) -> list[tuple[str, bool]]:
    """One line per change, Nango's wording; True marks a destructive line."""
    lines = []
    for entry in diff.get("newSyncs", []):
        n = entry["connections"]
        start = "will start syncing" if entry.get("auto_start") else "will be created (not started)"
        lines.append(
            (
                f"Sync {entry['name']} ({entry['providerConfigKey']}) is new: it {start} for {n} existing connection(s)",
                False,
            )
        )
    for entry in diff.get("updatedSyncs", []):
        lines.append((f"Sync {entry['name']} ({entry['providerConfigKey']}) is updated", False))
    for entry in diff.get("deletedSyncs", []):
        n = entry["connections"]
        lines.append(
            (
                f"Sync {entry['name']} ({entry['providerConfigKey']}) has been removed: its data will be deleted for {n} connection(s)",
                bool(n),
            )
        )
    for entry in diff.get("newActions", []):
        lines.append((f"Action {entry['name']} ({entry['providerConfigKey']}) is new", False))
    for entry in diff.get("updatedActions", []):
        lines.append((f"Action {entry['name']} ({entry['providerConfigKey']}) is updated", False))
    for entry in diff.get("deletedActions", []):
        lines.append((f"Action {entry['name']} ({entry['providerConfigKey']}) has been removed", False))
    for model in diff.get("deletedModels", []):
        lines.append((f"Model {model} has been removed: its records will be deleted", True))
    return lines


@dataclass
class DeployPlan:
    """What a deploy would send: the body, or why there is none (compile errors, nothing chosen)."""

    diagnostics: list[Diagnostic]
    body: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def run(
    options: DeployOptions,
    plan_deploy: Callable[[DeployOptions], DeployPlan],
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    stdin: TextIO = sys.stdin,
) -> int:
    """The whole command; 0 deployed, 1 not (each reason printed once). `plan_deploy` is
    `workflows.deploy_plan` (compile, then the body), passed in by the cli."""
    from nango_tui.console import Out, print_diagnostics

    root = options.root
    if not (root / "nango.yaml").is_file():
        err.write(
            f"nango-tui deploy: no nango.yaml in {root.resolve()}: pass the integrations folder with --dir\n"
        )
        return 1
    try:
        host, key = settings(root, options.environment)
    except ClientError as exc:
        err.write(f"nango-tui deploy: {exc}\n")
        return 1
    plan = plan_deploy(options)
    if plan.errors:
        print_diagnostics(plan.diagnostics, Out(err))
    if plan.body is None:
        err.write(f"nango-tui deploy: {plan.problem}\n")
        return 1
    body = plan.body
    try:
        status, diff = call("POST", host, key, "/sync/deploy/confirmation", body)
        if status != 200:
            err.write(f"nango-tui deploy: {error_text(status, diff)}\n")
            return 1
        if not _confirmed(diff, options, out, err, stdin):
            return 1
        body["reconcile"] = True
        status, results = call("POST", host, key, "/sync/deploy", body)
    except ClientError as exc:
        err.write(f"nango-tui deploy: {exc}\n")
        return 1
    if status != 200:
        err.write(f"nango-tui deploy: {error_text(status, results)}\n")
        return 1
    if options.as_json:
        out.write(json.dumps({"differences": diff, "deployed": results}, indent=2) + "\n")
        return 0
    names = ", ".join(f"{r['name']}@v{r['version']}" for r in results)
    out.write(f"Successfully deployed the functions to {options.environment}: {names}\n")
    served = [(e, r) for r in results for e in r.get("endpoints", [])]
    if served:
        out.write(f"Endpoints served by {host}:\n")
        for endpoint, result in served:
            kind = "records of" if result["type"] == "sync" else "action"
            out.write(
                f"  {endpoint['method']} {endpoint['path']}  -> {kind} {result['providerConfigKey']}/{result['name']}\n"
            )
    return 0


def _confirmed(diff: dict[str, Any], options: DeployOptions, out: TextIO, err: TextIO, stdin: TextIO) -> bool:
    auto = options.auto_confirm or os.environ.get("NANGO_DEPLOY_AUTO_CONFIRM", "").lower() == "true"
    lines = describe(diff)
    destructive = any(flag for _, flag in lines)
    if auto and (not destructive or options.allow_destructive):
        return True
    if not options.as_json:
        out.write(json.dumps(diff, indent=2) + "\n")
    for text, flag in lines:
        out.write(("! " if flag else "  ") + text + "\n")
    interactive = hasattr(stdin, "isatty") and stdin.isatty() and not os.environ.get("CI")
    if not interactive:
        flags = "--auto-confirm and --allow-destructive" if destructive else "--auto-confirm"
        why = "this deploy deletes data" if destructive else "nothing can confirm the changes off a terminal"
        err.write(f"nango-tui deploy: {why}; pass {flags} to deploy (CI), nothing was deployed\n")
        return False
    question = (
        "This deploy deletes data. Continue? (y/N) " if destructive else "Do you want to continue? (y/N) "
    )
    out.write(question)
    out.flush()
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        err.write("nango-tui deploy: cancelled, nothing was deployed\n")
        return False
    return True
