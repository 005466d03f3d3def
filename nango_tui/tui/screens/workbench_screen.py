"""The main screen: the four panes and the workbench's keys (actions live on the app)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget

from nango_tui.tui.layout_map import compositor_for_this_textual
from nango_tui.tui.widgets.config_pane import ConfigPane
from nango_tui.tui.widgets.problems_pane import ProblemsPane
from nango_tui.tui.widgets.script_pane import ScriptPane
from nango_tui.tui.widgets.workbench_footer import WorkbenchFooter
from nango_tui.tui.widgets.workbench_header import WorkbenchHeader

PANES = ("config", "script", "problems", "dryrun", "deployments")

# (key, description) of the keys the footer leaves out, for the help screen
EXTRA_KEYS = [
    ("ctrl+p", "command palette: dryrun <name>, generate, compile, open <file>, environment, theme"),
    ("escape", "stop the running dryrun (in the Dryrun pane); close a dialog"),
    ("ctrl+j / ctrl+enter", "start the run (in the dryrun dialog)"),
    ("s", "save the records of a run to a JSON-lines file (in the Dryrun pane)"),
    ("keymap.yaml", "your own keys: `binding-id: key` a line, in ~/.config/nango-tui/keymap.yaml"),
]


class WorkbenchScreen(Screen):
    """Config and Problems on the left, Script and Dryrun (or Deployments, F6) on the right."""

    ALLOW_IN_MAXIMIZED_VIEW = "WorkbenchFooter"  # a zoomed pane keeps the keys (Textual's: "Footer")

    BINDINGS = [
        Binding("q", "app.quit", "Quit", id="workbench.quit"),
        Binding("g", "app.generate", "Generate", id="workbench.generate"),
        Binding("d", "app.dryrun_dialog", "Dryrun", id="workbench.dryrun"),
        Binding("r", "app.rerun", "Re-run", id="workbench.rerun"),
        Binding("e", "app.edit", "Edit", id="workbench.edit"),
        Binding("slash", "app.filter", "Filter", key_display="/", id="workbench.filter"),
        Binding("f1", "app.help", "Help", id="workbench.help"),
        Binding("z", "app.zoom", "Zoom", id="workbench.zoom"),
        Binding("tab", "app.next_pane(1)", "Next pane", show=False, id="workbench.next_pane"),
        Binding("shift+tab", "app.next_pane(-1)", "Previous pane", show=False, id="workbench.previous_pane"),
        Binding("f2", "app.focus_pane('config')", "Config pane", show=False, id="workbench.pane_config"),
        Binding("f3", "app.focus_pane('script')", "Script pane", show=False, id="workbench.pane_script"),
        Binding(
            "f4", "app.focus_pane('problems')", "Problems pane", show=False, id="workbench.pane_problems"
        ),
        Binding("f5", "app.focus_pane('dryrun')", "Dryrun pane", show=False, id="workbench.pane_dryrun"),
        Binding(
            "f6",
            "app.focus_pane('deployments')",
            "Deployments pane",
            show=False,
            id="workbench.pane_deployments",
        ),
    ]

    def __init__(self, script_pane: ScriptPane, dryrun_pane: Widget) -> None:
        super().__init__(id="workbench")
        self._compositor = compositor_for_this_textual()  # one arrangement a layout (layout_map.py)
        self._script_pane = script_pane
        self._dryrun_pane = dryrun_pane
        # the Deployments pane (F6) shares the right column; the app mounts it after the first frame

    def compose(self) -> ComposeResult:
        yield WorkbenchHeader(icon="≡")
        with Horizontal(id="columns"):
            with Vertical(id="left"):
                yield ConfigPane(id="config")
                yield ProblemsPane(id="problems")
            with Vertical(id="right"):
                yield self._script_pane
                yield self._dryrun_pane
        yield WorkbenchFooter(show_command_palette=self.app.size.width >= 100)

    def on_mount(self) -> None:
        self.app.workbench_mounted()  # type: ignore[attr-defined]

    _resumed = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own (private) handler: Textual calls each class's in MRO order. The first
        # resume is the app's start: every widget was styled as it was mounted, with the same
        # stylesheet, so Textual's restyle of the whole screen then (~4% of the first frame's
        # CPU) would compute the same styles again. Later resumes (a dialog closed) restyle.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self) -> None:
        # under 100 columns the footer needs the palette hint's room (ctrl+p still works; F1 says so)
        self.query_one(WorkbenchFooter).show_command_palette = self.size.width >= 100
