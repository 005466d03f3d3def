"""The Config pane: the nango.yaml tree, filterable; the highlighted node drives the script pane."""

from __future__ import annotations

from textual import on
from textual.widgets import Tree

from nango_tui.config import Diagnostic, Project
from nango_tui.tui.messages import OpenFile, ScriptSelected
from nango_tui.tui.widgets.config_tree import ConfigTree, NodeRef
from nango_tui.tui.widgets.pane import Pane


class ConfigPane(Pane):
    """Integrations, their syncs and actions, then the models; problems are marked ● / ▲."""

    TITLE = "Config"
    FILTER_PLACEHOLDER = "filter scripts and models…"
    HELP = """\
The tree of nango.yaml: each integration with its syncs and actions (schedule, endpoints,
input and output models), then the models with their fields and types.
A red ● counts errors under a node, a yellow ▲ warnings.

  up/down        move; the script pane follows the highlighted node
  right/left     expand / collapse (left on a leaf goes to its parent)
  enter, space   toggle a node
  d              dryrun the highlighted sync or action (opens the dialog)
  /              filter by name (Enter keeps it, Escape clears it)
"""

    def compose_body(self):
        yield ConfigTree(id="config-tree", classes="pane-body")

    @property
    def tree(self) -> ConfigTree:
        return self.query_one(ConfigTree)

    def show(self, project: Project | None, diagnostics: list[Diagnostic]) -> None:
        self.tree.show(project, diagnostics)

    def apply_filter(self, text: str) -> None:
        self.tree.apply_filter(text)

    @property
    def selected(self) -> NodeRef | None:
        return self.tree.selected

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        ref: NodeRef | None = event.node.data
        if ref is None:
            return
        project = self.tree.project
        if ref.script_path:
            self.post_message(
                ScriptSelected(
                    ref.integration or "",
                    ref.name or "",
                    ref.kind if ref.is_script else _kind_of(project, ref),
                    ref.script_path,
                )
            )
            self.post_message(OpenFile(ref.script_path, 1))
        elif project is not None and ref.kind in ("integration", "group", "model", "field"):
            self.post_message(OpenFile(project.config_file, ref.line))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        event.stop()


def _kind_of(project: Project | None, ref: NodeRef) -> str:
    if project is None:
        return "sync"
    for script in project.find_script(ref.name or "", ref.integration):
        return script.kind
    return "sync"
