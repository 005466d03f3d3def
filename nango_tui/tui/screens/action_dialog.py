"""Trigger a deployed action on the server: a connection and the input, checked as you type.

    choice = await app.push_screen_wait(ActionDialog(project, root, "acme", "echo", "Item", ["c1"]))
    # (connection id, input value) or None

The input editor is the dryrun dialog's: a JSON TextArea started from `input_template`, checked
against the input model of the project's models.py (`dryrun.iotypes`), the problem under it.
ctrl+j (or ctrl+enter) triggers, escape cancels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static, TextArea

from nango_tui.dryrun.iotypes import check_input_text
from nango_tui.tui.screens.dryrun_dialog import compose_input_editor, input_template


class ActionDialog(ModalScreen["tuple[str, Any] | None"]):
    """Dismissed with (connection, input) when the input is valid, else None (escape)."""

    BINDINGS = [
        Binding("ctrl+j", "run", "Trigger", id="action_dialog.run", priority=True),
        Binding("ctrl+enter", "run", "Trigger", id="action_dialog.run_enter", priority=True, show=False),
        Binding("escape", "cancel", "Cancel", id="action_dialog.cancel"),
    ]

    def __init__(
        self,
        project: Any,
        root: Path,
        integration: str,
        name: str,
        input_type: str | None,
        connections: list[str],
    ) -> None:
        super().__init__()
        self.project, self.root = project, Path(root)
        self.integration, self.action_name, self.input_type = integration, name, input_type
        self.connections = connections
        self._adapter: Any = None
        self._adapter_problem: str | None = None
        self.input_error: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                Text.assemble(
                    ("Trigger action ", "bold"), (f"{self.integration}/{self.action_name}", "bold cyan")
                ),
                id="dialog-title",
            )
            with Horizontal(classes="field-row"):
                yield Label("Connection", classes="field-label")
                yield Select(
                    [(c, c) for c in self.connections],
                    value=self.connections[0],
                    allow_blank=False,
                    compact=True,
                    id="connection",
                )
            if self.input_type:
                template = input_template(self.input_type, self.project)
                yield from compose_input_editor(
                    self.input_type, json.dumps(template, indent=2, ensure_ascii=False)
                )
            else:
                yield Static(f"{self.action_name} takes no input.", classes="field-note")
            yield Static(
                Text.from_markup("[b]ctrl+j[/b] trigger  [b]escape[/b] cancel  [b]tab[/b] next field"),
                id="dialog-keys",
            )

    def on_mount(self) -> None:
        if self.input_type:
            from nango_tui.dryrun.iotypes import ModelsError, adapter, load_models

            try:
                self._adapter = adapter(self.input_type, load_models(self.root))
            except ModelsError as exc:
                self._adapter_problem = f"cannot check the input: {exc}"
            self._validate()
            self.query_one("#input", TextArea).focus()

    @on(TextArea.Changed, "#input")
    def _changed(self) -> None:
        self._validate()

    def _validate(self) -> Any:
        """Parse and check the input; the problem (or a tick) under the editor."""
        text = self.query_one("#input", TextArea).text
        value, error = check_input_text(text, self._adapter, self.input_type)
        self.input_error = error
        note = self.query_one("#input-error", Static)
        if error:
            note.update(Text(f"✘ {error}", "red"))
        elif self._adapter_problem:
            note.update(Text(self._adapter_problem, "yellow"))
        else:
            note.update(Text(f"✔ a valid {self.input_type}", "green"))
        return value

    def action_run(self) -> None:
        value = self._validate() if self.input_type else None
        if self.input_error:
            self.query_one("#input").focus()
            self.app.bell()
            return
        self.dismiss((str(self.query_one("#connection", Select).value), value))

    def action_cancel(self) -> None:
        self.dismiss(None)
