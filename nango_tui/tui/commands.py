"""The command palette's workbench commands: dryrun per script, generate, compile, open, environment."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from nango_tui.tui.app import WorkbenchApp


def open_infer(app: WorkbenchApp, integration: str, name: str) -> None:
    """Show the models inferred for one script (tui/screens/infer_screen.py)."""
    from nango_tui.tui.screens.infer_screen import InferScreen

    app.push_screen(InferScreen(app.root, integration, name))


class WorkbenchCommands(Provider):
    """Everything the workbench can do, by name."""

    def _commands(self) -> list[tuple[str, object, str]]:
        app: WorkbenchApp = self.app  # type: ignore[assignment]
        commands: list[tuple[str, object, str]] = [
            ("generate", app.action_generate, "write models.py and the missing scripts (g)"),
            ("compile", app.action_compile, "check nango.yaml, models.py and every script"),
        ]
        project = app.tree_project
        if project is not None:
            names = [s.name for s in project.scripts()]
            for script in project.scripts():
                label = (
                    script.name if names.count(script.name) == 1 else f"{script.integration}/{script.name}"
                )
                commands.append(
                    (
                        f"dryrun {label}",
                        partial(app.open_dryrun_dialog, script.integration, script.name),
                        f"{script.kind} of {script.integration}: pick a connection and run it",
                    )
                )
                commands.append(
                    (
                        f"infer {label}",
                        partial(open_infer, app, script.integration, script.name),
                        "models + mapping from its last run or recording, as a diff to apply",
                    )
                )
        for rel in app.project_files():
            commands.append((f"open {rel}", partial(app.open_file, rel), "show it in the script pane"))
        for env in app.environments:
            commands.append(
                (
                    f"deploy {env}",
                    partial(app.deploy, env),
                    f"compile, show what changes on the {env} server, deploy on y (Deployments pane)",
                )
            )
        for env in app.environments:
            mark = " (current)" if env == app.environment else ""
            commands.append(
                (
                    f"environment {env}",
                    partial(app.set_environment, env),
                    f"use the {env} environment's connections{mark}",
                )
            )
        return commands

    async def discover(self) -> Hits:
        for name, command, help_text in self._commands():
            yield DiscoveryHit(name, command, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)  # type: ignore[arg-type]
