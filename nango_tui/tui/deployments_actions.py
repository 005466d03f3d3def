"""What the Deployments pane's keys do: deploy, trigger, pause/start, frequency, run an action,
logs, records. Each request runs in a thread worker of the pane; each answer is on screen (a toast,
the inspector or a dialog), and the tree refreshes after a change."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text

from nango_tui.tui.deployments_view import NodeRef

if TYPE_CHECKING:
    from nango_tui.remote.api import ServerClient
    from nango_tui.tui.widgets.deployments_pane import DeploymentsPane

MODE_WORDS = {"incremental": "triggered", "full_refresh": "full resync of"}


def _sync_target(pane: DeploymentsPane, ref: NodeRef | None) -> NodeRef | None:
    """The sync a key acts on: a script (every connection) or one connection's sync."""
    if ref is None or ref.kind not in ("script", "sync", "model", "run") or ref.script_type != "sync":
        pane.notify("Highlight a deployed sync (or one connection's sync) first", severity="warning")
        return None
    return ref


def _in_thread(
    pane: DeploymentsPane, env: str, work: Callable[[ServerClient], Any], done: Callable[[Any], None]
) -> None:
    """Run `work(client)` in a thread; `done(result)` on the event loop, or the error as a toast."""
    client = pane.client_for(env)
    if client is None:
        return

    def run() -> None:
        from nango_tui.remote.api import ServerError

        try:
            result = work(client)
        except ServerError as exc:
            pane.app.call_from_thread(pane.notify, str(exc), severity="error", timeout=8)
            return
        pane.app.call_from_thread(done, result)

    pane.run_worker(run, thread=True, group="deployments-act", exit_on_error=False)


def _answered(pane: DeploymentsPane, env: str, text: str) -> None:
    pane.notify(text, title=env, timeout=5)
    pane.refresh_env(env)


def trigger(pane: DeploymentsPane, ref: NodeRef | None, mode: str) -> None:
    target = _sync_target(pane, ref)
    if target is None or target.integration is None or target.script is None:
        return
    where = target.connection or "every connection"
    integration, sync, connection = target.integration, target.script, target.connection
    _in_thread(
        pane,
        target.env,
        lambda client: client.trigger(integration, sync, connection, mode),
        lambda _: _answered(pane, target.env, f"{MODE_WORDS.get(mode, mode)} {sync} for {where}"),
    )


def pause_or_start(pane: DeploymentsPane, ref: NodeRef | None) -> None:
    """Pause a sync that runs on its schedule; start a paused one."""
    target = _sync_target(pane, ref)
    if target is None or target.integration is None or target.script is None:
        return
    integration, sync, connection = target.integration, target.script, target.connection
    if connection is not None:
        status = pane.sync_status(NodeRef("sync", target.env, integration, sync, "sync", connection))
        paused = status is not None and status.status in ("PAUSED", "STOPPED")
    else:
        snap = pane.snapshots.get(target.env)
        statuses = snap.statuses.get((integration, sync), []) if snap else []
        paused = bool(statuses) and all(s.status in ("PAUSED", "STOPPED") for s in statuses)
    where = connection or "every connection"
    if paused:
        _in_thread(
            pane,
            target.env,
            lambda client: client.start(integration, sync, connection),
            lambda _: _answered(pane, target.env, f"started {sync} for {where}"),
        )
    else:
        _in_thread(
            pane,
            target.env,
            lambda client: client.pause(integration, sync, connection),
            lambda _: _answered(pane, target.env, f"paused {sync} for {where}"),
        )


def frequency(pane: DeploymentsPane, ref: NodeRef | None) -> None:
    """Ask for one connection's frequency (`every 1h`; empty: back to the script's `runs`)."""
    from nango_tui.tui.screens.prompt_screen import PromptScreen

    target = _sync_target(pane, ref)
    if target is None or target.integration is None or target.script is None:
        return
    if target.connection is None:
        pane.notify("The frequency is per connection: highlight one connection's sync", severity="warning")
        return
    status = pane.sync_status(target)
    integration, sync, connection = target.integration, target.script, target.connection

    def answered(text: str | None) -> None:
        if text is None:
            return
        value = text.strip() or None
        _in_thread(
            pane,
            target.env,
            lambda client: client.update_frequency(integration, sync, connection, value),
            lambda new: _answered(pane, target.env, f"{sync} for {connection} now runs {new}"),
        )

    pane.app.push_screen(
        PromptScreen(
            f"Frequency of {sync} for {connection}",
            placeholder="every 1h (30 s at least); empty: the script's runs",
            note=f"now: {status.frequency if status is not None else '?'}",
        ),
        answered,
    )


def show_logs(pane: DeploymentsPane, ref: NodeRef | None) -> None:
    """A run's logs and error in the inspector (scrollable, c copies them)."""
    from nango_tui.tui.screens.inspector_screen import Copy, InspectorScreen

    run = pane.sync_run(ref) if ref is not None and ref.kind == "run" else None
    if run is None:
        pane.notify("Highlight a run (under a connection's sync) to read its logs", severity="warning")
        return
    lines: list[Text | str] = []
    if run.error:
        lines.append(Text("error", "bold red"))
        lines.extend(Text(line, "red") for line in run.error.splitlines())
        lines.append("")
    logs = run.logs or ""
    lines.extend(logs.splitlines() or [Text("(no logs)", "dim")])
    title = f"run {run.run_id} of {run.sync} · {run.status}"
    pane.app.push_screen(InspectorScreen(title, lines, [Copy("c", "Logs", (run.error or "") + "\n" + logs)]))


def browse_records(pane: DeploymentsPane, ref: NodeRef) -> None:
    """The served records of one model of one connection (`GET /records`, paged by cursor)."""
    from nango_tui.tui.screens.served_records_screen import ServedRecordsScreen

    client = pane.client_for(ref.env)
    if client is None or ref.integration is None or ref.connection is None or ref.model is None:
        return
    fields: list[str] = []
    model = pane.project.models.get(ref.model) if pane.project is not None else None
    if model is not None:
        fields = [f.name for f in model.fields]
    pane.app.push_screen(ServedRecordsScreen(client, ref.integration, ref.connection, ref.model, fields))


def trigger_action(pane: DeploymentsPane, ref: NodeRef | None) -> None:
    """Pick a connection, write the input (checked against its model), run the action."""
    from nango_tui.tui.screens.action_dialog import ActionDialog

    if ref is None or ref.kind != "script" or ref.script_type != "action" or ref.integration is None:
        pane.notify("Highlight a deployed action first", severity="warning")
        return
    script = pane.script_config(ref)
    snap = pane.snapshots.get(ref.env)
    if script is None or snap is None:
        return
    connections = [c.connection_id for c in snap.connections if c.provider_config_key == ref.integration]
    if not connections:
        pane.notify(f"{ref.integration} has no connection in {ref.env}", severity="warning")
        return
    integration, name = ref.integration, script.name

    def answered(choice: tuple[str, Any] | None) -> None:
        if choice is None:
            return
        connection, value = choice
        pane.notify(f"running {name} for {connection}…", timeout=2)
        _in_thread(
            pane,
            ref.env,
            lambda client: client.trigger_action(integration, connection, name, value),
            partial(_show_output, pane, name, connection),
        )

    dialog = ActionDialog(pane.project, pane.root, integration, name, script.input, connections)
    pane.app.push_screen(dialog, answered)


def _show_output(pane: DeploymentsPane, name: str, connection: str, output: Any) -> None:
    from nango_tui.tui.inspection import pretty_body
    from nango_tui.tui.screens.inspector_screen import Copy, InspectorScreen

    text = json.dumps(output, indent=2, ensure_ascii=False)
    title = f"{name} for {connection}: output"
    pane.app.push_screen(InspectorScreen(title, pretty_body(text), [Copy("c", "Output", text)]))


# -- deploy -------------------------------------------------------------------------------------


def deploy(pane: DeploymentsPane, env: str) -> None:
    """compile -> the server's confirmation -> DeployConfirmScreen -> deploy only on `y`."""
    client = pane.client_for(env)
    if client is None:
        return
    pane.notify(f"deploy to {env}: compiling…", timeout=2)

    def prepare() -> None:
        from nango_tui.remote.api import ServerError
        from nango_tui.remote.deploy import DeployOptions
        from nango_tui.workflows import deploy_plan

        plan = deploy_plan(DeployOptions(pane.root, env))
        if plan.errors:
            pane.post_message(pane.DeployBlocked(plan.diagnostics, plan.problem or ""))
            return
        if plan.body is None:
            pane.app.call_from_thread(pane.notify, plan.problem or "nothing to deploy", severity="warning")
            return
        try:
            differences = client.deploy_confirmation(plan.body)
        except ServerError as exc:
            pane.app.call_from_thread(pane.notify, str(exc), severity="error", timeout=8)
            return
        pane.app.call_from_thread(_confirm, pane, env, client, plan.body, differences)

    pane.run_worker(prepare, thread=True, group="deploy", exclusive=True, exit_on_error=False)


def _confirm(pane: DeploymentsPane, env: str, client: ServerClient, body: dict, differences: dict) -> None:
    from nango_tui.remote.deploy import describe
    from nango_tui.tui.screens.deploy_screen import DeployConfirmScreen

    def answered(yes: bool | None) -> None:
        if not yes:
            pane.notify("deploy cancelled: nothing was deployed", timeout=4)
            return
        _in_thread(
            pane,
            env,
            lambda c: c.deploy(body),
            lambda results: _answered(
                pane,
                env,
                "deployed "
                + ", ".join(f"{r.get('name')}@v{r.get('version')}" for r in results)
                + f" to {env}",
            ),
        )

    screen = DeployConfirmScreen(env, client.host, describe(differences), len(body["flowConfigs"]))
    pane.app.push_screen(screen, answered)
