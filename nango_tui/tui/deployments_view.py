"""What the Deployments pane shows, as Rich text: tree labels and detail lines (no Textual here).

The data is `remote.api`'s typed bodies; `NodeRef` says what a tree node stands for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from rich.text import Text

if TYPE_CHECKING:
    from nango_tui.remote.api import Connection, ScriptConfig, SyncRun, SyncStatus

NodeKind = Literal["env", "integration", "script", "sync", "model", "run", "more"]
STATUS_STYLE = {
    "RUNNING": "bold cyan",
    "PAUSED": "yellow",
    "SUCCESS": "green",
    "ERROR": "bold red",
    "STOPPED": "dim",
    "WAITING": "cyan",
}
LOG_LINES_SHOWN = 200  # of a run's logs in the detail (l opens all of them)


@dataclass(frozen=True)
class NodeRef:
    """One node of the Deployments tree: an environment, an integration, a deployed script, one
    connection's sync, a model of it, or one of its runs."""

    kind: NodeKind
    env: str
    integration: str | None = None
    script: str | None = None
    script_type: str | None = None  # "sync" | "action"
    connection: str | None = None
    model: str | None = None
    run_id: str | None = None


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def relative(value: str | None, now: datetime | None = None) -> str:
    """`3 min ago`, `in 25 min`, `just now` (or '-' when unknown)."""
    moment = parse_time(value)
    if moment is None:
        return "-"
    now = now or datetime.now(UTC)
    seconds = (moment - now).total_seconds()
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 5:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            return f"in {amount}" if future else f"{amount} ago"
    return "just now"  # pragma: no cover - covered by the first test


def clock(value: str | None) -> str:
    """`2026-11-30 09:40:12` in UTC (what the server stores)."""
    moment = parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def env_label(env: str, note: str = "", error: bool = False) -> Text:
    text = Text(env, "bold")
    if note:
        text.append(f"  {note}", "red" if error else "dim")
    return text


def integration_label(key: str, connections: int | None) -> Text:
    """`acme  3 connections` (None: not known yet)."""
    text = Text(key, "bold cyan")
    if connections is not None:
        text.append(f"  {connections} connection{'s' if connections != 1 else ''}", "dim")
    return text


def script_label(script: ScriptConfig) -> Text:
    text = Text(script.label, "bold")
    text.append(f"  {script.type or '?'}", "magenta" if script.type == "action" else "cyan")
    if script.runs:
        text.append(f"  {script.runs}", "dim")
    if script.endpoints:
        first = script.endpoints[0]
        text.append(f"  {first.method} {first.path}", "dim")
    return text


def status_text(status: str) -> Text:
    return Text(f"● {status}", STATUS_STYLE.get(status, ""))


def total_records(status: SyncStatus) -> int:
    return sum(status.recordCount.values())


def sync_label(status: SyncStatus, now: datetime | None = None) -> Text:
    text = Text(status.connection_id, "bold")
    text.append("  ")
    text.append_text(status_text(status.status))
    total = total_records(status)
    text.append(f"  {total:,} record{'s' if total != 1 else ''}")
    text.append(f"  last {relative(status.finishedAt, now)}", "dim")
    if status.nextScheduledSyncAt:
        text.append(f"  next {relative(status.nextScheduledSyncAt, now)}", "dim")
    return text


def result_text(result: dict[str, dict[str, int]] | None) -> Text:
    """`+3 ~1 -0` summed over models."""
    added = sum(r.get("added", 0) for r in (result or {}).values())
    updated = sum(r.get("updated", 0) for r in (result or {}).values())
    deleted = sum(r.get("deleted", 0) for r in (result or {}).values())
    text = Text()
    text.append(f"+{added}", "green")
    text.append(f" ~{updated}", "yellow")
    text.append(f" -{deleted}", "red")
    return text


def model_label(model: str, count: int, result: dict[str, int] | None) -> Text:
    text = Text(model, "cyan")
    text.append(f"  {count:,} record{'s' if count != 1 else ''}")
    if result:
        text.append("  last run ")
        text.append_text(result_text({model: result}))
    text.append("  (enter: browse)", "dim")
    return text


def run_label(run: SyncRun) -> Text:
    text = Text(f"run {run.run_id}", "bold")
    text.append("  ")
    text.append_text(status_text(run.status))
    text.append(f"  {run.mode or run.type or ''}", "dim")
    text.append("  ")
    text.append_text(result_text(run.result))
    text.append(f"  {clock(run.started_at)}", "dim")
    return text


def _row(name: str, value: str | Text) -> Text:
    line = Text(f"{name:<14}", "dim")
    line.append_text(value if isinstance(value, Text) else Text(value))
    return line


def script_detail(
    integration: str, script: ScriptConfig, host: str, connections: int, now: datetime | None = None
) -> list[Text]:
    lines = [
        Text.assemble((script.label, "bold"), f"  {script.type} of ", (integration, "bold cyan")),
        _row("deployed", f"{clock(script.last_deployed)} UTC ({relative(script.last_deployed, now)})"),
    ]
    if script.type == "sync":
        lines.append(_row("runs", script.runs or "-"))
        lines.append(
            _row(
                "sync",
                f"{script.sync_type or '-'}"
                + (", track deletes" if script.track_deletes else "")
                + (", auto start" if script.auto_start else ", started by hand"),
            )
        )
        lines.append(_row("models", ", ".join(script.returns) or "-"))
    else:
        lines.append(_row("input", script.input or "-"))
        lines.append(_row("output", ", ".join(script.returns) or "-"))
    lines.append(_row("connections", str(connections)))
    for endpoint in script.endpoints:
        lines.append(_row("endpoint", f"{endpoint.method} {host}{endpoint.path}"))
    if script.description:
        lines.append(Text(script.description, "italic"))
    keys = "t trigger  f full resync  p pause/start" if script.type == "sync" else "a trigger the action"
    lines.append(Text(keys, "dim"))
    return lines


def sync_detail(integration: str, status: SyncStatus, now: datetime | None = None) -> list[Text]:
    lines = [
        Text.assemble((status.name, "bold"), " of ", (status.connection_id, "bold"), f" ({integration})  "),
        _row("status", status_text(status.status)),
        _row("last run", f"{clock(status.finishedAt)} ({relative(status.finishedAt, now)})"),
        _row(
            "next run",
            f"{clock(status.nextScheduledSyncAt)} ({relative(status.nextScheduledSyncAt, now)})"
            if status.nextScheduledSyncAt
            else "- (not scheduled)",
        ),
        _row("frequency", status.frequency or "-"),
    ]
    for model, count in status.recordCount.items():
        last = status.latestResult.get(model)
        value = Text(f"{count:,} records")
        if last:
            value.append("  last run ")
            value.append_text(result_text({model: last}))
        lines.append(_row(model, value))
    lines.append(Text("t trigger  f full resync  p pause/start  F frequency  enter: models and runs", "dim"))
    return lines


def run_detail(run: SyncRun) -> list[Text]:
    lines = [
        Text.assemble((f"run {run.run_id}", "bold"), f" of {run.sync}  "),
        _row("status", status_text(run.status)),
        _row("mode", f"{run.type or '-'} / {run.mode or '-'}"),
        _row("started", clock(run.started_at)),
        _row("finished", clock(run.finished_at)),
        _row("result", result_text(run.result)),
    ]
    if run.error:
        lines.append(Text("error", "bold red"))
        lines.extend(Text(line, "red") for line in run.error.splitlines()[:40])
    logs = (run.logs or "").splitlines()
    lines.append(Text(f"logs ({len(logs)} lines; l opens them all)", "bold"))
    lines.extend(Text(line) for line in logs[-LOG_LINES_SHOWN:])
    return lines


def connection_count(connections: list[Connection], integration: str) -> int:
    return sum(1 for c in connections if c.provider_config_key == integration)
