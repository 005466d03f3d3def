"""The workbench app: wires the panes to the headless engines through messages and workers.

Nothing is computed here: loading is `config`, checking is the `watch` dev engine, writing is
`codegen`, running is `dryrun` (inside the Dryrun pane). Slow work runs in workers that post
messages back; the event loop only routes them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SuspendNotSupported
from textual.css.query import NoMatches

from nango_tui import boot, workflows
from nango_tui.config import Diagnostic, LoadResult, Project, Script
from nango_tui.tui import gc_policy, project_cache
from nango_tui.tui.css_cache import CachedStylesheet
from nango_tui.tui.editor import editor_command
from nango_tui.tui.engine_bridge import EngineBridge
from nango_tui.tui.keymap import binding_ids, keymap_path, load_keymap, unknown_ids
from nango_tui.tui.messages import (
    DiagnosticsSnapshot,
    DiagnosticsUpdated,
    EngineFailed,
    OpenFile,
    ScriptSelected,
)
from nango_tui.tui.screens.workbench_screen import EXTRA_KEYS, PANES, WorkbenchScreen
from nango_tui.tui.widgets.config_pane import ConfigPane
from nango_tui.tui.widgets.dryrun_pane import DryrunPane
from nango_tui.tui.widgets.pane import Pane
from nango_tui.tui.widgets.problems_pane import ProblemsPane
from nango_tui.tui.widgets.script_pane import ScriptPane
from nango_tui.tui.widgets.workbench_footer import WorkbenchFooter

if TYPE_CHECKING:
    from nango_tui.tui.widgets.deployments_pane import DeploymentsPane

TUI_DIR = Path(__file__).parent
THEME_VARIABLE = "NANGO_TUI_THEME"
WARM_CHILD_AFTER = 1.0  # seconds after the first frame: the warm dryrun child's imports wait for it
WARM_UP_LATEST = 5.0  # seconds after mounting: `warm_up` runs then if no footer keys called it


def _workbench_commands() -> type:
    from nango_tui.tui.commands import WorkbenchCommands  # the palette's, imported when it opens

    return WorkbenchCommands


class WorkbenchApp(App[int]):
    """The workbench on one integrations folder."""

    # absolute, so that subclasses (tests, probes) living elsewhere find the styles
    CSS_PATH = [TUI_DIR / "app.tcss", TUI_DIR / "dryrun.tcss", TUI_DIR / "deployments.tcss"]
    TITLE = "nango-tui"
    COMMANDS = App.COMMANDS | {_workbench_commands}
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, root: Path, *, watch: bool = True, theme: str | None = None) -> None:
        super().__init__()
        # the CSS parsed at the last start, read back (tui/css_cache.py); before a theme is set
        self.stylesheet = CachedStylesheet(variables=self.get_css_variables())
        self.root = Path(root).resolve()
        self.watch_enabled = watch
        # nango.yaml's last load read back when its bytes are the same (tui/project_cache.py)
        self._next_start = project_cache.NextStart(project_cache.load(self.root))
        self.load_result: LoadResult = self._next_start.load.result
        self.diagnostics: list[Diagnostic] = list(self.load_result.diagnostics)
        self.environment = "dev"
        self._environments: list[str] | None = None  # read when first asked (not for the first frame)
        self.selected_script: tuple[str, str] | None = None  # (integration, name)
        self.last_request: Any = None
        self.keymap: dict[str, str] = {}  # binding id -> keys, from keymap.yaml
        self.messages_seen: list[str] = []  # names of the engine/dryrun messages handled (tests read it)
        self.engine = EngineBridge(self.root, self.post_message)
        self._zygote: Any = None  # dryrun.zygote.Zygote once started
        self.sub_title = f"{self.root.name} · {self.environment}"
        chosen = theme or os.environ.get(THEME_VARIABLE)
        if chosen and chosen in self.available_themes:
            self.theme = chosen
        self.dryrun_pane = DryrunPane(self.tree_project)
        self.script_pane = ScriptPane(self.root, id="script")
        self._deployments_pane: DeploymentsPane | None = None  # made and mounted after the first frame
        self._deployments_mounting: Any = None  # the AwaitMount of that mount
        self._warmed = False

    # -- state ---------------------------------------------------------------------------------
    @property
    def tree_project(self) -> Project | None:
        """The project the tree shows: the checked one, or what parsed despite errors."""
        return self.load_result.project or self.load_result.partial

    def script(self, integration: str, name: str) -> Script | None:
        project = self.tree_project
        found = project.find_script(name, integration) if project else []
        return found[0] if found else None

    def project_files(self) -> list[str]:
        """nango.yaml, models.py, connections.yaml and every script present on disk."""
        files = [f for f in ("nango.yaml", "models.py", "connections.yaml") if (self.root / f).is_file()]
        project = self.tree_project
        if project is not None:
            files.extend(s.script_path for s in project.scripts() if (self.root / s.script_path).is_file())
        return files

    @property
    def environments(self) -> list[str]:
        """`dev`, connections.yaml's environments and those with a key (read on first use)."""
        if self._environments is None:
            from nango_tui.runtime.local_env import list_environments

            self._environments = list_environments(self.root)
        return self._environments

    @property
    def deployments_pane(self) -> DeploymentsPane:
        """The Deployments pane (F6); made on first use, mounted by `mount_deployments_pane`."""
        if self._deployments_pane is None:
            from nango_tui.tui.widgets.deployments_pane import DeploymentsPane

            pane = DeploymentsPane(self.root, self.environments, self.environment)
            pane.project = self.tree_project
            pane.display = False  # until F6, also before it is mounted
            self._deployments_pane = pane
        return self._deployments_pane

    def deployments_mounted(self) -> bool:
        pane = self._deployments_pane
        return pane is not None and pane.is_mounted

    async def mount_deployments_pane(self) -> DeploymentsPane:
        """Mount the Deployments pane (hidden) in the right column, once; returns it composed."""
        pane = self.deployments_pane
        if self._deployments_mounting is None:
            right = self.screen_stack[0].query_one("#right")
            if not right.is_attached:  # the app is closing
                return pane
            self._deployments_mounting = right.mount(pane)
        await self._deployments_mounting  # a second caller waits for the same mount
        return pane

    # -- start and stop ------------------------------------------------------------------------
    def get_default_screen(self) -> WorkbenchScreen:
        return WorkbenchScreen(self.script_pane, self.dryrun_pane)

    def workbench_mounted(self) -> None:
        """Fill the panes (the workbench screen calls this once its panes exist)."""
        self.keymap, problem = load_keymap(keymap_path())
        if self.keymap:
            self.set_keymap(self.keymap)
        if problem:
            self.notify(problem + "; the default keys apply", severity="error", timeout=10)
        if self.keymap:
            self.call_after_refresh(self._check_keymap_ids)
        self.config_pane.show(self.tree_project, self.diagnostics)
        self.problems_pane.show(self.diagnostics, checking=self.watch_enabled)
        self.script_pane.show_diagnostics(self.diagnostics)
        self.script_pane.open(
            self.load_result.project.config_file if self.load_result.project else "nango.yaml", 1
        )
        self.config_pane.focus_body()
        if not (self.root / "nango.yaml").exists():
            from nango_tui.tui.screens.init_screen import InitScreen

            empty = not any(self.root.iterdir())
            self.push_screen(InitScreen(self.root, empty), self._init_answered)
            self.call_after_refresh(self.warm_up)  # the dialog is the first frame: no footer keys
        elif not self.load_result.project and self.load_result.partial is None and self.diagnostics:
            self.show_error("nango.yaml cannot be loaded", "\n".join(d.format() for d in self.diagnostics))
            self.call_after_refresh(self.warm_up)
        self.set_timer(WARM_UP_LATEST, self.warm_up)  # in case the footer's keys never came

    def on_workbench_footer_keys_shown(self, event: WorkbenchFooter.KeysShown) -> None:
        # the refresh after this draws the first full frame: what it does not show starts then
        self.call_after_refresh(self.warm_up)

    def warm_up(self) -> None:
        """After the first full frame: the dev engine's first compile (it would compete with the
        first paint for the GIL), the panes' `/` bars and the Deployments pane (mounted hidden),
        and a second later the warm dryrun child."""
        if self._warmed:
            return
        self._warmed = True
        gc_policy.first_frame_drawn()
        if self.watch_enabled:
            self.run_dev_engine()
        for pane in self.screen_stack[0].query(Pane):
            if pane.is_attached:  # not when the app closed at its first frame
                pane.filter_bar()  # each pane's `/` bar, hidden (the help lists its keys)
        self.run_worker(self.mount_deployments_pane(), group="warm-up", exit_on_error=False)
        self.run_worker(self._save_for_next_start, thread=True, group="warm-up", exit_on_error=False)
        self.set_timer(WARM_CHILD_AFTER, self.start_warm_dryrun_child)

    def _save_for_next_start(self, closing: bool = False) -> None:
        """The parsed CSS and nango.yaml's load result kept for the next start: in a thread after
        the first frame (~10 ms of pickling), or as the app closes if that came first."""
        # what the first frame compiled (boot.py); the hooks stay for what the warm-up and later
        # screens import (~600 regexes and generated functions: the dev engine, the Deployments
        # pane's client, the dialogs), written as the program ends (cli.entry); this process
        # never runs a user's code
        boot.save()
        problem = self._next_start.save(self.stylesheet)
        if problem and not closing:
            self.call_from_thread(self.notify, problem, severity="warning")

    def start_warm_dryrun_child(self) -> None:
        """A zygote the dryruns fork from (no start-up, no imports: the first record sooner)."""
        from nango_tui.dryrun.runner import use_zygote
        from nango_tui.dryrun.zygote import Zygote

        if self._zygote is None:
            self._zygote = Zygote.start()
            use_zygote(self._zygote)

    def stop_warm_dryrun_child(self) -> None:
        from nango_tui.dryrun.runner import use_zygote

        if self._zygote is not None:
            use_zygote(None)
            self._zygote.close()
            self._zygote = None

    def _check_keymap_ids(self) -> None:
        """Say which ids of keymap.yaml name no binding (after the first frame: it imports the dialog)."""
        from nango_tui.tui.screens.dryrun_dialog import DryrunDialog  # noqa: F401 - loaded lazily: its bindings count

        unknown = unknown_ids(self.keymap, binding_ids())
        if unknown:
            self.notify(
                f"{keymap_path()}: unknown binding id{'s' if len(unknown) > 1 else ''} "
                + ", ".join(unknown)
                + " (F1 lists the ids)",
                severity="warning",
                timeout=10,
            )

    def _init_answered(self, create: bool | None) -> None:
        if create:
            self._init_project()

    @work(thread=True, exclusive=True, group="init", exit_on_error=False)
    def _init_project(self) -> None:
        """`nango-tui init` on the folder (missing files only), then reload everything."""
        try:
            report = workflows.init_project(self.root, force=True)
        except workflows.InitError as err:
            self.call_from_thread(self.show_error, "The project could not be created", str(err))
            return
        self.call_from_thread(self._project_created, report)

    def _project_created(self, report: Any) -> None:
        from nango_tui.config import load_project

        self.load_result = load_project(self.root)
        self._environments = None  # read again when next asked
        self.apply_diagnostics(
            DiagnosticsSnapshot(list(self.load_result.diagnostics), [], 0.0, self.load_result.project)
        )
        self.script_pane.open("nango.yaml", 1)
        self.config_pane.focus_body()
        self.notify(
            f"created {len(report.created)} files; README.md says what next", title="New project", timeout=8
        )

    def action_quit(self) -> None:
        self.stop_dev_engine()
        self.exit(0)

    def on_unmount(self) -> None:
        self.stop_dev_engine()
        self.stop_warm_dryrun_child()
        self._save_for_next_start(closing=True)  # `q` at the first frame came before the warm-up

    # -- panes ---------------------------------------------------------------------------------
    @property
    def config_pane(self) -> ConfigPane:
        return self.screen_stack[0].query_one("#config", ConfigPane)

    @property
    def problems_pane(self) -> ProblemsPane:
        return self.screen_stack[0].query_one("#problems", ProblemsPane)

    def current_pane_id(self) -> str | None:
        widget = self.focused
        while widget is not None:
            if widget.id in PANES:
                return widget.id
            widget = widget.parent  # type: ignore[assignment]
        return None

    def action_focus_pane(self, pane_id: str) -> None:
        if pane_id == "deployments" and not self.deployments_mounted():
            self._open_deployments()  # F6 before the warm-up mounted it
            return
        if pane_id in ("script", "dryrun", "deployments"):
            self.show_deployments(pane_id == "deployments")
        pane = self.screen_stack[0].query_one(f"#{pane_id}")
        if isinstance(pane, Pane) or hasattr(pane, "focus_body"):
            pane.focus_body()  # type: ignore[attr-defined]
        elif pane.focusable:
            pane.focus()
        else:
            target = next((w for w in pane.query("*") if w.focusable), None)
            if target is not None:
                target.focus()

    def action_next_pane(self, step: int) -> None:
        if self.screen.maximized is not None:  # zoomed: the other panes are hidden, stay here
            self.bell()
            return
        current = self.current_pane_id()
        shown = [p for p in PANES if self._pane_shown(p)]
        index = shown.index(current) if current in shown else -step
        self.action_focus_pane(shown[(index + step) % len(shown)])

    def _pane_shown(self, pane_id: str) -> bool:
        try:
            return self.screen_stack[0].query_one(f"#{pane_id}").display
        except NoMatches:  # the Deployments pane before it is mounted
            return False

    @work(group="open-deployments", exclusive=True, exit_on_error=False)
    async def _open_deployments(self, environment: str | None = None) -> None:
        """Mount the Deployments pane if need be, show it; then deploy to `environment` if given."""
        await self.mount_deployments_pane()
        self.action_focus_pane("deployments")
        if environment is not None:
            self.deployments_pane.deploy(environment)

    def show_deployments(self, visible: bool) -> None:
        """The right column shows Deployments (F6) or Script + Dryrun (F3, F5)."""
        if not self.deployments_mounted():
            if visible:
                self._open_deployments()
            return
        pane = self.deployments_pane
        if pane.display == visible:
            return
        if self.screen.maximized is not None:
            self.screen.minimize()
        pane.shown(visible)  # first: its request goes out before the new layout is drawn
        pane.display = visible
        self.script_pane.display = not visible
        self.dryrun_pane.display = not visible

    def action_zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        pane_id = self.current_pane_id()
        if pane_id:
            screen.maximized = screen.query_one(f"#{pane_id}")  # any pane, focusable or not

    def action_filter(self) -> None:
        pane_id = self.current_pane_id()
        pane = self.screen_stack[0].query_one(f"#{pane_id}") if pane_id else None
        if isinstance(pane, Pane):
            pane.open_filter()
        elif pane is not None and hasattr(pane, "open_filter"):
            pane.open_filter()
        else:
            self.notify(
                "Nothing to filter here: focus the Config, Script or Problems pane", severity="warning"
            )

    def action_help(self) -> None:
        pane_id = self.current_pane_id() or "config"
        pane = self.screen_stack[0].query_one(f"#{pane_id}")
        title = getattr(pane, "TITLE", "") or pane_id.capitalize()
        text = getattr(pane, "HELP", "") or f"The {title} pane."
        keys = []
        for binding in WorkbenchScreen.BINDINGS:
            key = self.keymap.get(binding.id or "", binding.key_display or binding.key)
            keys.append(("/" if key == "slash" else key, f"{binding.description}  ({binding.id})"))
        keys += EXTRA_KEYS
        pane_keys: list[tuple[str, str]] = []
        seen: set[str] = set()
        parts = getattr(pane, "help_parts", None)  # the pane's own keys and those of its parts
        for part in parts() if parts else [type(w) for w in (pane, *pane.query("*"))]:
            for b in getattr(part, "BINDINGS", []):
                if getattr(b, "id", None) and b.id not in seen:
                    seen.add(b.id)
                    key = self.keymap.get(b.id, b.key_display or b.key)
                    pane_keys.append(("/" if key == "slash" else key, f"{b.description}  ({b.id})"))
        from nango_tui.tui.screens.help_screen import HelpScreen

        self.push_screen(HelpScreen(title, text, keys, pane_keys))

    def show_error(self, title: str, text: str) -> None:
        """An error that needs attention: a modal whose text can be copied."""
        from nango_tui.tui.screens.error_screen import ErrorScreen

        self.push_screen(ErrorScreen(title, text))

    # -- selection and files -------------------------------------------------------------------
    @on(OpenFile)
    def _open_file(self, event: OpenFile) -> None:
        self.messages_seen.append("OpenFile")
        self.open_file(event.path, event.line, event.column, focus=event.focus)

    def open_file(self, path: str, line: int = 1, column: int | None = None, focus: bool = True) -> None:
        """Show a project file in the script pane at a line."""
        self.script_pane.open(path, line, column)
        if focus:
            self.script_pane.focus_body()

    @on(ScriptSelected)
    def _script_selected(self, event: ScriptSelected) -> None:
        self.messages_seen.append("ScriptSelected")
        self.selected_script = (event.integration, event.name)
        script = self.script(event.integration, event.name)
        if script is not None:
            self.dryrun_pane.show_script(script)

    def action_edit(self) -> None:
        path = self.script_pane.path
        if path is None:
            return
        full = self.root / path
        if not full.exists():
            self.notify(f"{path} does not exist yet: press g to generate it", severity="warning")
            return
        command = editor_command(full, self.script_pane.cursor_line)
        try:
            try:
                with self.suspend():
                    code = subprocess.call(command)
            except SuspendNotSupported:  # headless (tests): nothing to hand over, run it as is
                code = subprocess.call(command, stdin=subprocess.DEVNULL)
        except OSError as err:
            self.show_error(
                "The editor could not start",
                f"{' '.join(command)}\n\n{err.strerror or err}: set EDITOR (or VISUAL) to an installed editor.",
            )
            return
        self.script_pane.reload_if_changed()
        if code:
            self.notify(f"the editor exited with status {code}", severity="warning")

    # -- the dev engine (Problems) -------------------------------------------------------------
    @work(thread=True, exclusive=True, group="dev-engine", exit_on_error=False)
    def run_dev_engine(self) -> None:
        """Run the dev engine in its own event loop, posting each (coalesced) update."""
        try:
            self.engine.run()
        except Exception as err:  # the engine's own failure is shown, never a crash
            self.post_message(EngineFailed(f"{type(err).__name__}: {err}"))

    def stop_dev_engine(self) -> None:
        self.engine.stop()

    @on(DiagnosticsUpdated)
    def _diagnostics_updated(self, event: DiagnosticsUpdated) -> None:
        snapshot = self.engine.take(event.snapshot)
        self.messages_seen.append("DiagnosticsUpdated")
        self.apply_diagnostics(snapshot)

    def apply_diagnostics(self, snapshot: DiagnosticsSnapshot) -> None:
        """Show one set of diagnostics everywhere; reload the tree when nango.yaml changed."""
        self.diagnostics = list(snapshot.diagnostics)
        config_changed = not snapshot.changed or any(Path(c).name == "nango.yaml" for c in snapshot.changed)
        if config_changed:
            if self._next_start.saved:  # the next start gets this one instead, when the app closes
                self._next_start = project_cache.NextStart(project_cache.load(self.root, fresh=True))
            else:
                self._next_start.load = project_cache.load(self.root, fresh=True)
            self.load_result = self._next_start.load.result
            self.dryrun_pane.project = self.tree_project
            if self._deployments_pane is not None:
                self._deployments_pane.project = self.tree_project
        self.config_pane.show(self.tree_project, self.diagnostics)
        self.problems_pane.show(self.diagnostics)
        self.script_pane.show_diagnostics(self.diagnostics)
        self.script_pane.reload_if_changed()
        if snapshot.changed:
            clean = not any(d.is_error for d in self.diagnostics)
            self.dryrun_pane.files_saved(list(snapshot.changed), clean)

    @on(EngineFailed)
    def _engine_failed(self, event: EngineFailed) -> None:
        self.messages_seen.append("EngineFailed")
        self.problems_pane.show(self.diagnostics)
        self.show_error(
            "The dev engine stopped", event.text + "\n\nThe Problems pane shows the last known diagnostics."
        )

    # -- generate and compile ------------------------------------------------------------------
    def action_generate(self) -> None:
        self.notify("generating…", timeout=1.5)
        self._generate()

    @work(thread=True, exclusive=True, group="generate", exit_on_error=False)
    def _generate(self) -> None:
        try:
            report = workflows.generate(self.root)
        except Exception as err:
            self.call_from_thread(self.show_error, "generate failed", f"{type(err).__name__}: {err}")
            return
        self.call_from_thread(self._generated, report)

    def _generated(self, report: Any) -> None:
        errors = [d for d in getattr(report, "diagnostics", []) if d.is_error]
        if errors:
            self.notify(
                f"generate wrote nothing: {len(errors)} error(s) in nango.yaml (see Problems)",
                severity="error",
                timeout=6,
            )
            return
        parts = []
        if getattr(report, "models_written", False):
            parts.append("models.py")
        created = list(getattr(report, "created", []))
        if created:
            parts.append(
                f"{len(created)} new script{'s' if len(created) != 1 else ''}: " + ", ".join(created)
            )
        text = "wrote " + "; ".join(parts) if parts else "nothing to write: everything is up to date"
        for label, items in (
            ("backed up", getattr(report, "backed_up", [])),
            ("orphaned", getattr(report, "orphaned", [])),
        ):
            if items:
                text += f"\n{label}: " + ", ".join(items)
        self.notify(text, title="generate", timeout=6)
        self.script_pane.reload_if_changed()

    def action_compile(self) -> None:
        self.notify("compiling…", timeout=1.5)
        self._compile()

    @work(thread=True, exclusive=True, group="compile", exit_on_error=False)
    def _compile(self) -> None:
        try:
            result, _generated = workflows.compile_project(self.root)
        except Exception as err:
            self.call_from_thread(self.show_error, "compile failed", f"{type(err).__name__}: {err}")
            return
        self.call_from_thread(self._compiled, result)

    def _compiled(self, result: Any) -> None:
        self.apply_diagnostics(
            DiagnosticsSnapshot(list(result.diagnostics), [], result.seconds * 1000, result.project)
        )
        errors = sum(1 for d in result.diagnostics if d.is_error)
        warnings = len(result.diagnostics) - errors
        severity = "error" if errors else "information"
        self.notify(
            f"compile: {errors} error(s), {warnings} warning(s) in {result.seconds:.2f} s", severity=severity
        )

    # -- environments and dryruns --------------------------------------------------------------
    def set_environment(self, environment: str) -> None:
        self.environment = environment
        self.sub_title = f"{self.root.name} · {environment}"
        self.notify(f"environment: {environment}")

    def selection(self) -> tuple[str, str] | None:
        """The script `d` runs: the tree's sync/action, else the script the script pane shows."""
        ref = self.config_pane.selected
        if self.current_pane_id() == "config":
            return (ref.integration or "", ref.name or "") if ref is not None and ref.script_path else None
        project = self.tree_project
        shown = project.script_by_path(self.script_pane.path or "") if project is not None else None
        if shown is not None:
            return (shown.integration, shown.name)
        return self.selected_script

    def action_dryrun_dialog(self) -> None:
        selection = self.selection()
        if selection is None:
            self.notify("Select a sync or action in the Config tree first", severity="warning")
            return
        self.open_dryrun_dialog(*selection)

    def open_dryrun_dialog(self, integration: str, name: str) -> None:
        """Open the dryrun dialog for one script, prefilled (palette: `dryrun <name>`)."""
        self.selected_script = (integration, name)
        self.config_pane.tree.select_script(integration, name)
        self._open_dialog(integration, name)

    @work(exclusive=True, group="dryrun-dialog", exit_on_error=False)
    async def _open_dialog(self, integration: str, name: str) -> None:
        from nango_tui.tui.screens.dryrun_dialog import DryrunDialog  # loaded on the first `d`

        script = self.script(integration, name)
        if script is None:
            self.notify(f"{integration}/{name} is no longer in nango.yaml", severity="warning")
            return
        last = self.last_request
        defaults = (
            last
            if last is not None and last.name == name and last.integration in (None, integration)
            else None
        )
        previous = self.dryrun_pane.results_for(script)
        last_started = previous.started_at if previous is not None and previous.state == "done" else None
        dialog = DryrunDialog(
            self.tree_project,
            script,
            self.root,
            self.environment,
            defaults,
            last_started=last_started,
            start_run=self._start_run,  # started before the dialog closes (issue 18: ctrl+j)
            after_start_drawn=self.dryrun_pane.after_start_drawn,  # its teardown after that frame
        )
        request = await self.push_screen_wait(dialog)
        if request is not None:
            self.action_focus_pane("dryrun")

    def start_dryrun(self, request: Any) -> None:
        self._start_run(request)
        self.action_focus_pane("dryrun")

    def _start_run(self, request: Any) -> Any:
        self.last_request = request
        return self.dryrun_pane.start(request)  # the warm child's fork, for the dialog to wait on

    # DryrunPane.RunStarted / RunFinished reach these by Textual's handler naming
    def on_dryrun_pane_run_started(self, event: Any) -> None:
        self.messages_seen.append("RunStarted")
        self.last_request = getattr(event, "request", self.last_request)

    def on_dryrun_pane_run_finished(self, event: Any) -> None:
        self.messages_seen.append("RunFinished")
        status = getattr(event, "status", "")
        self.notify(f"dryrun {status}", severity="error" if status == "failed" else "information")

    def action_rerun(self) -> None:
        self.dryrun_pane.rerun_last()

    # -- deployments ---------------------------------------------------------------------------
    def deploy(self, environment: str) -> None:
        """Deploy the project to `environment` from the Deployments pane (palette: `deploy <env>`)."""
        if not self.deployments_mounted():
            self._open_deployments(environment)
            return
        self.action_focus_pane("deployments")
        self.deployments_pane.deploy(environment)

    def on_deployments_pane_deploy_blocked(self, event: DeploymentsPane.DeployBlocked) -> None:
        self.apply_diagnostics(DiagnosticsSnapshot(list(event.diagnostics), [], 0.0, None))
        self.action_focus_pane("problems")
        self.notify(event.text or "compile found errors: nothing was deployed", severity="error", timeout=8)


def run_app(path: Path) -> int:
    """Open the workbench on `path`; returns the process exit code."""
    app = WorkbenchApp(path)
    result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
