"""The dryrun dialog: environment, connection, input (validated live), metadata, last sync date.

    request = await app.push_screen_wait(DryrunDialog(project, script, root, "dev"))
    # or app.push_screen(DryrunDialog(...), callback); the result is a DryrunRequest or None

`ctrl+j` (also `ctrl+enter`) starts: the dialog dismisses with the request when every field is
valid, otherwise it shows what is wrong under the field and focuses it. `escape` cancels.
Given `start_run`, the dialog calls it with the request before it closes and the caller must
not start that request again; when `start_run` returns a future (the workbench's: its warm
child's fork), the dialog closes once that is done or after FORK_WAIT (0.05 s), and ignores
keys meanwhile. Given `after_start_drawn` (the workbench's `DryrunPane.after_start_drawn`), a
dialog that started a run is removed once that run's start is drawn, not as it closes.
The connection list comes from `runtime.connections.list_connections(root, env)` in a thread
(it may ask a Nango server); the first connection of the script's integration is preselected.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from nango_tui.dryrun.iotypes import check_input_text
from nango_tui.dryrun.request import DryrunRequest
from nango_tui.tui.connection_metadata import NONE as NO_METADATA
from nango_tui.tui.connection_metadata import OVERLAY, ConnectionMetadata, connection_metadata

# the replay choice: None = as the connection says (`replay: true`), True = always, False = never
REPLAY_CHOICES = {"auto": "replay if the connection does", "on": "replay mocks", "off": "live API"}
REPLAY_KEYS: dict[bool | None, str] = {None: "auto", True: "on", False: "off"}
REPLAY_VALUES = {key: value for value, key in REPLAY_KEYS.items()}
FORK_WAIT = 0.05  # seconds the dialog stays at most for its run's child to be forked


def environments(root: Path, current: str) -> list[str]:
    """Environment names the project knows: `dev`, `current`, connections.yaml's and NANGO_SECRET_KEY_<ENV>'s."""
    from nango_tui.runtime.local_env import list_environments

    return list_environments(root, current)


def compose_input_editor(input_type: str, text: str) -> ComposeResult:
    """The input of an action, as both the dryrun dialog and the Deployments pane's action dialog
    show it: the model's name, a JSON editor (`#input`) and the line its errors go to
    (`#input-error`, filled from `check_input_text`)."""
    with Horizontal(classes="field-row"):
        yield Label(f"Input\n{input_type}", classes="field-label")
        yield TextArea(text, language="json", tab_behavior="focus", compact=True, id="input")
    yield Static("", id="input-error", classes="field-error")


def input_template(type_name: str | None, project: Any) -> Any:
    """A starting value for an input of `type_name`: the model's required fields, empty."""
    if not type_name:
        return None
    text = type_name.strip()
    if text.endswith("[]"):
        return []
    model = project.models.get(text) if project is not None else None
    if model is None:
        return {"string": "", "number": 0, "integer": 0, "float": 0, "boolean": False, "bool": False}.get(
            text, {}
        )
    return {f.name: _placeholder(f.type) for f in model.fields if not f.optional}


def _placeholder(node: Any) -> Any:
    from nango_tui.config import types as t

    if isinstance(node, t.Primitive):
        return {"number": 0, "integer": 0, "bigint": 0, "boolean": False, "object": {}}.get(node.name, "")
    if isinstance(node, t.ArrayOf):
        return []
    if isinstance(node, (t.ModelRef, t.InlineObject)):
        return {}
    if isinstance(node, t.Literal):
        return node.value
    if isinstance(node, t.UnionOf) and node.members:
        return _placeholder(node.members[0])
    return ""


def parse_date(text: str) -> datetime:
    """An ISO date or date-time (`2024-01-31`, `2024-01-31T10:00:00Z`)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


class DryrunDialog(ModalScreen["DryrunRequest | None"]):
    """Builds a DryrunRequest for one sync or action."""

    BINDINGS = [
        Binding("ctrl+j", "start", "Start", id="dryrun_dialog.start", priority=True),
        Binding("ctrl+enter", "start", "Start", id="dryrun_dialog.start_enter", priority=True, show=False),
        Binding("escape", "cancel", "Cancel", id="dryrun_dialog.cancel"),
        Binding("ctrl+l", "since_last_run", "Since last run", id="dryrun_dialog.since_last_run"),
    ]

    def __init__(
        self,
        project: Any,
        script: Any,
        root: Path,
        environment: str = "dev",
        defaults: DryrunRequest | None = None,
        *,
        last_started: datetime | None = None,
        start_run: Callable[[DryrunRequest], Any] | None = None,
        after_start_drawn: Callable[[Callable[[], Any]], None] | None = None,
    ) -> None:
        super().__init__()
        self.last_started = last_started  # when this script's last run started (next last_sync_date)
        self.start_run = start_run
        self.after_start_drawn = after_start_drawn
        self.project = project
        self.script = script
        self.root = Path(root)
        self.environment = defaults.environment if defaults is not None else environment
        self.defaults = defaults
        self.kind = script.kind
        self.input_type: str | None = getattr(script, "input", None) if self.kind == "action" else None
        self._adapter: Any = None
        self._adapter_problem: str | None = None
        self._connections: list[Any] = []
        self._saved_inputs: dict | None = None  # the inputs the script's mocks were recorded with
        self.input_error: str | None = None
        self.metadata_error: str | None = None
        self.connections_loaded = False
        self._metadata: dict[str, ConnectionMetadata] = {}  # connection id -> what a run starts from
        self._started_request: DryrunRequest | None = None  # started: the dialog closes once it is forked

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        script = self.script
        with Vertical(id="dialog"):
            title = Text()
            title.append(f"Dryrun {self.kind} ", "bold")
            title.append(f"{script.integration}/{script.name}", "bold cyan")
            yield Static(title, id="dialog-title")
            with VerticalScroll(id="dialog-form"):
                with Horizontal(classes="field-row"):
                    yield Label("Environment", classes="field-label")
                    envs = environments(self.root, self.environment)
                    yield Select(
                        [(e, e) for e in envs],
                        value=self.environment,
                        allow_blank=False,
                        compact=True,
                        id="environment",
                    )
                    yield Label("Connection", classes="field-label short")
                    yield Select([], prompt="loading…", compact=True, id="connection")
                yield Static("", id="connection-note", classes="field-note")
                if self.kind == "action":
                    if self.input_type:
                        yield from compose_input_editor(self.input_type, self._initial_input())
                    else:
                        yield Static(f"{script.name} takes no input.", classes="field-note")
                with Horizontal(classes="field-row"):
                    yield Label("Metadata", classes="field-label")
                    yield TextArea(
                        self._initial_metadata(),
                        language="json",
                        tab_behavior="focus",
                        compact=True,
                        id="metadata",
                    )
                yield Static("", id="metadata-error", classes="field-error")
                yield Static("", id="metadata-note", classes="field-note")
                if self.kind == "sync":  # an action returns one output: no last sync, no record cap
                    with Horizontal(classes="field-row"):
                        yield Label("Last sync", classes="field-label")
                        last = self.defaults.last_sync_date if self.defaults is not None else None
                        yield Input(
                            last.isoformat() if last else "",
                            placeholder="ISO date; empty: full",
                            compact=True,
                            id="last-sync-date",
                        )
                        yield Label("Max records", classes="field-label short")
                        max_records = self.defaults.max_records if self.defaults is not None else None
                        yield Input(
                            str(max_records or ""),
                            placeholder="all",
                            type="integer",
                            compact=True,
                            id="max-records",
                        )
                    if self.last_started is not None:
                        yield Static(
                            Text.from_markup(
                                f"[b]ctrl+l[/b]: since the last run's start, {_iso(self.last_started)}"
                            ),
                            id="last-started-note",
                            classes="field-note",
                        )
                yield Static("", id="options-error", classes="field-error")
                with Horizontal(classes="field-row"):
                    yield Label("Responses", classes="field-label")
                    replay = self.defaults.replay if self.defaults is not None else None
                    yield Select(
                        [(label, value) for value, label in REPLAY_CHOICES.items()],
                        value=REPLAY_KEYS[replay],
                        allow_blank=False,
                        compact=True,
                        id="replay",
                    )
                    yield Checkbox(
                        "save them to mocks",
                        value=bool(self.defaults.save_responses) if self.defaults is not None else False,
                        compact=True,
                        id="save-responses",
                    )
            yield Static(
                Text.from_markup("[b]ctrl+j[/b] start  [b]escape[/b] cancel  [b]tab[/b] next field"),
                id="dialog-keys",
            )

    def _initial_input(self) -> str:
        if self.defaults is not None and self.defaults.input is not None:
            return json.dumps(self.defaults.input, indent=2, ensure_ascii=False)
        return json.dumps(input_template(self.input_type, self.project), indent=2, ensure_ascii=False)

    def _initial_metadata(self) -> str:
        if self.defaults is not None and self.defaults.metadata is not None:
            return json.dumps(self.defaults.metadata, indent=2, ensure_ascii=False)
        return ""

    def _note(self, selector: str, text: Text | str) -> None:
        """Show `text` under a field (hidden when empty, so the form stays compact)."""
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.display = bool(str(text))

    def on_mount(self) -> None:
        for note in self.query(".field-error, #connection-note, #metadata-note"):
            note.display = False
        if self.input_type:
            self._load_adapter()
            self._validate_input()
        self._load_connections(self.environment)
        first = self.query("#input").first() if self.input_type else None
        (first or self.query_one("#connection", Select)).focus()

    # -- connections ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="connections", exit_on_error=False)
    def _load_connections(self, environment: str) -> None:
        try:
            from nango_tui.runtime.connections import list_connections

            found = list_connections(self.root, environment)
            problem = None
        except Exception as exc:  # a broken connections.yaml or an unreachable server: say it
            found, problem = [], str(exc)
        if self._saved_inputs is None and any(c.replay for c in found):
            try:
                from nango_tui.dryrun.regress import saved_inputs

                self._saved_inputs = saved_inputs(self.root, self.script.integration, self.script.name) or {}
            except Exception:  # no readable mocks: nothing to prefill, the run will say why
                self._saved_inputs = {}
        try:
            files = {c.id: c.integration for c in found if c.source == "file"}
            self._metadata = connection_metadata(self.root, environment, files) if files else {}
        except Exception:  # connections.yaml's problem is already the note above: no metadata shown
            self._metadata = {}
        self.app.call_from_thread(self._show_connections, environment, found, problem)

    def _show_connections(self, environment: str, found: list, problem: str | None) -> None:
        if environment != self.environment or not self.is_attached:
            return  # another environment was picked meanwhile, or the dialog is gone
        integration = self.script.integration
        own = [c for c in found if not c.integration or c.integration == integration]
        self._connections = own
        select = self.query_one("#connection", Select)
        select.set_options([(c.id, c.id) for c in own])
        select.prompt = "pick a connection" if own else "no connection"
        wanted = self.defaults.connection_id if self.defaults is not None else None
        ids = [c.id for c in own]
        if own:
            select.value = wanted if wanted in ids else ids[0]
            self._connection_picked(str(select.value))
        elif problem:
            self._note("#connection-note", Text(problem, "red"))
        else:
            self._note(
                "#connection-note",
                Text(
                    f"No connection of {integration} in {environment}: add one to connections.yaml "
                    f"(environments: {{{environment}: {{connections: ...}}}}).",
                    "yellow",
                ),
            )
        self.connections_loaded = True

    @on(Select.Changed, "#connection")
    def _connection_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self._connection_picked(str(event.value))

    def _connection_picked(self, connection_id: str) -> None:
        """A replay connection answers only the recorded requests: start from the recorded inputs."""
        info = next((c for c in self._connections if c.id == connection_id), None)
        self._note("#metadata-note", self._metadata_note(info))
        if info is None or not info.replay:
            self._note("#connection-note", "")
            return
        self._note(
            "#connection-note",
            Text(f"replays {self.script.integration}/mocks/{self.script.name}.json (no network)", "dim"),
        )
        saved = self._saved_inputs or {}
        if self.defaults is not None or not saved:
            return
        if self.input_type and saved.get("input") is not None:
            editor = self.query_one("#input", TextArea)
            if editor.text == self._initial_input():
                editor.text = json.dumps(saved["input"], indent=2, ensure_ascii=False)
        if isinstance(saved.get("metadata"), dict):
            metadata = self.query_one("#metadata", TextArea)
            if not metadata.text.strip():
                metadata.text = json.dumps(saved["metadata"], indent=2, ensure_ascii=False)
        if self.kind == "sync" and saved.get("last_sync_date"):
            last = self.query_one("#last-sync-date", Input)
            if not last.value.strip():
                last.value = str(saved["last_sync_date"])

    def _metadata_note(self, info: Any) -> Text | str:
        """Which metadata a run of this connection gets when the Metadata field is left empty."""
        found = self._metadata.get(info.id) if info is not None and not info.replay else None
        if found is None:
            return ""
        if found.source == NO_METADATA:
            return Text("empty: the connection has no metadata", "dim")
        text = Text("empty: ", "dim")
        if found.source == OVERLAY:
            text.append("the metadata earlier runs set (.nango/metadata.json) ", "yellow")
            text.append(_compact(found.metadata))
            text.append(
                "; connections.yaml's: " + (_compact(found.configured) if found.configured else "none"), "dim"
            )
        else:
            text.append("connections.yaml's metadata ", "dim")
            text.append(_compact(found.metadata))
        return text

    @on(Select.Changed, "#environment")
    def _environment_changed(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value == self.environment:
            return
        self.environment = str(event.value)
        self.connections_loaded = False
        select = self.query_one("#connection", Select)
        select.set_options([])
        self._load_connections(self.environment)

    # -- validation -------------------------------------------------------------------------

    def _load_adapter(self) -> None:
        from nango_tui.dryrun.iotypes import ModelsError, adapter, load_models

        try:
            self._adapter = adapter(self.input_type, load_models(self.root))
        except ModelsError as exc:
            self._adapter_problem = f"cannot check the input: {exc}"

    @on(TextArea.Changed, "#input")
    def _input_changed(self) -> None:
        self._validate_input()

    @on(TextArea.Changed, "#metadata")
    def _metadata_changed(self) -> None:
        self._validate_metadata()

    def _validate_input(self) -> Any:
        """Parse and check the input; show the problem under the editor. Returns the value."""
        text = self.query_one("#input", TextArea).text
        value: Any = None
        error: str | None
        if not text.strip():
            error = f"{self.script.name} takes an input ({self.input_type}): write it as JSON"
        else:
            value, error = check_input_text(text, self._adapter, self.input_type)
        self.input_error = error
        if error:
            self._note("#input-error", Text(f"✘ {error}", "red"))
        elif self._adapter_problem:
            self._note("#input-error", Text(self._adapter_problem, "yellow"))
        else:
            self._note("#input-error", Text(f"✔ a valid {self.input_type}", "green"))
        return value

    def _validate_metadata(self) -> dict | None:
        text = self.query_one("#metadata", TextArea).text
        value, error = None, None
        if text.strip():
            try:
                value = json.loads(text)
                if not isinstance(value, dict):
                    error = "metadata must be a JSON object ({...})"
            except json.JSONDecodeError as exc:
                error = f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        self.metadata_error = error
        self._note("#metadata-error", Text(f"✘ {error}", "red") if error else "")
        return value if error is None else None

    # -- actions ----------------------------------------------------------------------------

    def build_request(self) -> tuple[DryrunRequest | None, str | None]:
        """The request the form describes, or (None, the id of the first field in error)."""
        first_bad: str | None = None
        input_value = None
        if self.input_type:
            input_value = self._validate_input()
            if self.input_error:
                first_bad = first_bad or "input"
        metadata = self._validate_metadata()
        if self.metadata_error:
            first_bad = first_bad or "metadata"
        options_error = []
        last_sync_date = None
        if self.kind == "sync":
            text = self.query_one("#last-sync-date", Input).value
            if text.strip():
                try:
                    last_sync_date = parse_date(text)
                except ValueError:
                    options_error.append(
                        f"last sync: {text.strip()!r} is not an ISO date (2024-01-31 or 2024-01-31T10:00:00Z)"
                    )
                    first_bad = first_bad or "last-sync-date"
        max_text = self.query_one("#max-records", Input).value.strip() if self.kind == "sync" else ""
        max_records = None
        if max_text:
            try:
                max_records = int(max_text)
                if max_records < 1:
                    raise ValueError
            except ValueError:
                options_error.append("max records: a whole number of at least 1, or empty for all")
                first_bad = first_bad or "max-records"
        self._note("#options-error", Text("✘ " + "; ".join(options_error), "red") if options_error else "")
        connection = self.query_one("#connection", Select).value
        if connection is Select.NULL or connection is None:
            self._note("#connection-note", Text("✘ pick a connection", "red"))
            first_bad = first_bad or "connection"
        if first_bad:
            return None, first_bad
        request = DryrunRequest(
            root=self.root,
            name=self.script.name,
            connection_id=str(connection),
            environment=self.environment,
            integration=self.script.integration,
            input=input_value,
            metadata=metadata,
            last_sync_date=last_sync_date,
            max_records=max_records,
        )
        request.replay = REPLAY_VALUES[str(self.query_one("#replay", Select).value)]
        request.save_responses = self.query_one("#save-responses", Checkbox).value
        if self.defaults is not None:  # keep what the dialog does not show
            request.validation = self.defaults.validation
            request.timeout = self.defaults.timeout
        return request, None

    def action_start(self) -> None:
        if self._started_request is not None:
            return  # started already: closing
        request, first_bad = self.build_request()
        if request is None:
            self.query_one(f"#{first_bad}").focus()
            self.app.bell()
            return
        if self.start_run is not None:
            forking = self.start_run(request)
            if isinstance(forking, asyncio.Future) and not forking.done():
                # the dialog closes once the run's child is forked (or FORK_WAIT passed): the
                # thread checking the request and asking for the fork then has the interpreter
                # to itself (closing the dialog is ~30 ms of this loop's work, during which that
                # thread waited for the GIL at each file it read), and the closing overlaps the
                # child's start. The workbench holds its frames meanwhile (DryrunPane.hold_frames).
                self._started_request = request
                forking.add_done_callback(lambda _forked: self._close_with(request))
                self.set_timer(FORK_WAIT, lambda: self._close_with(request))
                return
            self._dismiss_started(request)
            return
        self.dismiss(request)

    def _close_with(self, request: DryrunRequest) -> None:
        if self._started_request is request and self.is_attached:
            self._started_request = None
            self._dismiss_started(request)

    def _dismiss_started(self, request: DryrunRequest) -> None:
        """Close with a started run. Given `after_start_drawn`, the dialog's widgets are removed
        once the run's start is drawn, not as it closes: their teardown (~60 widgets, the focused
        field's blur restyle: ~10-15 ms of the loop) would come before the run's first records."""
        if self.after_start_drawn is not None:
            name = f"dryrun-dialog-closing-{id(self)}"
            self.app.install_screen(self, name)  # popped, not removed
            self.after_start_drawn(lambda: self._remove_closed(name))
        self.dismiss(request)

    def _remove_closed(self, name: str) -> None:
        app = self.app
        if app.uninstall_screen(name) is not None and self.is_attached and self is not app.screen:
            self.remove()

    def action_cancel(self) -> None:
        if self._started_request is not None:
            return  # started already: closing with its request
        self.dismiss(None)

    def action_since_last_run(self) -> None:
        """Fill the last sync date with the start of this script's last run."""
        if self.kind != "sync" or self.last_started is None:
            self.app.bell()
            return
        field = self.query_one("#last-sync-date", Input)
        field.value = _iso(self.last_started)
        field.focus()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _compact(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
