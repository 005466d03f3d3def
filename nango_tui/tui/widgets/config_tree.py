"""The tree of nango.yaml: integrations, their syncs and actions, then the models and fields."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from nango_tui.config import Diagnostic, ModelDef, Project, Script, Sync
from nango_tui.config.types import describe


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for; `key` survives a rebuild (expansion and cursor are kept)."""

    kind: str  # integration | group | sync | action | model | field | detail
    key: str
    integration: str | None = None
    name: str | None = None
    line: int = 1
    script_path: str | None = None

    @property
    def is_script(self) -> bool:
        return self.kind in ("sync", "action")


@dataclass
class Problems:
    errors: int = 0
    warnings: int = 0

    def add(self, diag: Diagnostic) -> None:
        if diag.is_error:
            self.errors += 1
        else:
            self.warnings += 1

    def badge(self) -> Text:
        text = Text()
        if self.errors:
            text.append(f" ● {self.errors}", style="bold red")
        if self.warnings:
            text.append(f" ▲ {self.warnings}", style="bold yellow")
        return text


def _runs_text(sync: Sync) -> str:
    parts = [sync.runs or "?", sync.sync_type]
    if sync.track_deletes:
        parts.append("track deletes")
    if not sync.auto_start:
        parts.append("no auto start")
    return " · ".join(parts)


def problems_by_key(project: Project, diagnostics: list[Diagnostic]) -> dict[str, Problems]:
    """Attribute each diagnostic to the tree nodes it concerns (the node and its parents).

    A nango.yaml diagnostic belongs to the last node starting at or before its line; a script's
    diagnostic belongs to that script.
    """
    anchors: list[tuple[int, list[str]]] = []
    for key, integration in project.integrations.items():
        anchors.append((integration.line, [f"i:{key}"]))
        for script in integration.scripts():
            anchors.append((script.line, [f"i:{key}", f"s:{key}/{script.name}"]))
    if project.models:
        first = min(m.line for m in project.models.values())
        anchors.append((max(1, first - 1), ["models"]))
    for name, model in project.models.items():
        anchors.append((model.line, ["models", f"m:{name}"]))
    anchors.sort(key=lambda a: a[0])
    lines = [a[0] for a in anchors]
    by_path = {
        s.script_path: [f"i:{s.integration}", f"s:{s.integration}/{s.name}"] for s in project.scripts()
    }
    out: dict[str, Problems] = {}
    for diag in diagnostics:
        keys: list[str] = []
        if diag.file == project.config_file:
            at = bisect.bisect_right(lines, diag.line) - 1
            keys = anchors[at][1] if at >= 0 else []
        elif diag.file in by_path:
            keys = by_path[diag.file]
        for key in keys:
            out.setdefault(key, Problems()).add(diag)
    return out


class ConfigTree(Tree[NodeRef]):
    """The config as a tree; the highlighted sync/action/model drives the script pane."""

    BINDINGS = [
        Binding("right", "expand_node", "Expand", show=False, id="tree.expand"),
        Binding("left", "collapse_or_parent", "Collapse", show=False, id="tree.collapse"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        # a Text root label: Tree parses a str as Rich markup, whose emoji pass imports Rich's
        # table of emoji names (~11 M instructions of the first frame) for a hidden root
        super().__init__(Text("nango.yaml"), id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 2
        self.project: Project | None = None
        self.diagnostics: list[Diagnostic] = []
        self.filter_text = ""
        self._expanded: set[str] | None = None  # None: the default expansion
        self._marks: dict[str, Problems] = {}
        self.rebuilds = 0  # how many times the tree was rebuilt (tests read it)
        self.stale = False  # nango.yaml cannot be read now: the tree is its last readable version
        # collapsed nodes whose children are added when first expanded (a model's fields, a
        # script's details: ~500 of hubspot's ~600 nodes, each a Tree.add with its refresh)
        self._unfilled: dict[int, Callable[[TreeNode[NodeRef]], None]] = {}

    # -- building ------------------------------------------------------------------------------
    def show(self, project: Project | None, diagnostics: list[Diagnostic]) -> None:
        """Rebuild from a (possibly partial) project, keeping expansion and cursor.

        Nothing is rebuilt when the project is the same object and no node's marks changed
        (a script save that fixes nothing visible in the tree costs nothing here).
        """
        if project is None and self.project is not None:
            # nango.yaml cannot be read now (mid-edit): keep the last tree, say it is stale
            self.diagnostics = list(diagnostics)
            if not self.stale:
                self.stale = True
                self._rebuild()
            return
        marks = problems_by_key(project, list(diagnostics)) if project is not None else {}
        if (
            project is not None
            and project is self.project
            and marks == self._marks
            and self.root.children
            and not self.stale
        ):
            self.diagnostics = list(diagnostics)
            return
        self.stale = False
        self.project = project
        self.diagnostics = list(diagnostics)
        self._marks = marks
        self._rebuild()

    def apply_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self._rebuild()

    def _matches(self, *names: str) -> bool:
        return not self.filter_text or any(self.filter_text in n.lower() for n in names if n)

    def _remember(self) -> tuple[set[str], str | None]:
        expanded: set[str] = set()

        def walk(node: TreeNode[NodeRef]) -> None:
            for child in node.children:
                if child.is_expanded and child.data is not None:
                    expanded.add(child.data.key)
                walk(child)

        if self.root.children:
            walk(self.root)
        cursor = self.cursor_node.data.key if self.cursor_node and self.cursor_node.data else None
        return expanded, cursor

    def _rebuild(self) -> None:
        if self.root.children:
            self._expanded, cursor = self._remember()
        else:
            cursor = None
        self.clear()
        self._unfilled.clear()
        project = self.project
        if project is None:
            self.root.add_leaf(
                Text("nango.yaml could not be read", style="bold red"), NodeRef("detail", "none")
            )
            return
        self.rebuilds += 1
        problems = self._marks
        if self.stale:
            self.root.add_leaf(
                Text("nango.yaml cannot be read: the last readable version (see Problems)", style="bold red"),
                NodeRef("detail", "stale"),
            )
        for key, integration in project.integrations.items():
            scripts = [s for s in integration.scripts() if self._matches(key, s.name)]
            if not scripts and not self._matches(key):
                continue
            label = Text(key, style="bold") + problems.get(f"i:{key}", Problems()).badge()
            inode = self._add(
                self.root, label, NodeRef("integration", f"i:{key}", key, line=integration.line), default=True
            )
            for kind, group in (("sync", integration.syncs), ("action", integration.actions)):
                members = [s for s in group.values() if s in scripts]
                if not members:
                    continue
                gref = NodeRef("group", f"g:{key}/{kind}", key, line=members[0].line)
                gnode = self._add(inode, Text(f"{kind}s", style="italic"), gref, default=True)
                for script in members:
                    self._add_script(gnode, script, problems)
        models = [m for m in project.models.values() if self._matches(m.name, *(f.name for f in m.fields))]
        if models:
            mlabel = Text("models", style="bold") + problems.get("models", Problems()).badge()
            mnode = self._add(
                self.root, mlabel, NodeRef("group", "models", line=models[0].line), default=True
            )
            for model in models:
                label = Text(model.name) + Text(f" {len(model.fields)}", style="dim")
                label += problems.get(f"m:{model.name}", Problems()).badge()
                node = self._add(
                    mnode,
                    label,
                    NodeRef("model", f"m:{model.name}", name=model.name, line=model.line),
                    default=False,
                )
                self._fill_later(node, partial(self._add_fields, model=model))
        self._restore_cursor(cursor or "")

    def _add(self, parent: TreeNode[NodeRef], label: Text, ref: NodeRef, default: bool) -> TreeNode[NodeRef]:
        expand = self.filter_text != "" or (default if self._expanded is None else ref.key in self._expanded)
        return parent.add(label, ref, expand=expand)

    def _fill_later(self, node: TreeNode[NodeRef], fill: Callable[[TreeNode[NodeRef]], None]) -> None:
        """Add `node`'s children now if it is expanded, else when it first is."""
        if node.is_expanded:
            fill(node)
        else:
            self._unfilled[node.id] = fill

    def fill(self, node: TreeNode[NodeRef]) -> None:
        """Add the children of a node built collapsed (nothing if it has them already)."""
        fill = self._unfilled.pop(node.id, None)
        if fill is not None:
            fill(node)

    @on(Tree.NodeExpanded)
    def _expanded_node(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        self.fill(event.node)  # enter, space, a click (the event goes on to the pane)

    @staticmethod
    def _add_fields(node: TreeNode[NodeRef], model: ModelDef) -> None:
        for f in model.fields:
            text = Text(f.name + ("?" if f.optional else ""))
            text.append(": " + describe(f.type), style="dim")
            node.add_leaf(text, NodeRef("field", f"f:{model.name}.{f.name}", name=model.name, line=f.line))

    def _add_script(self, parent: TreeNode[NodeRef], script: Script, problems: dict[str, Problems]) -> None:
        key = f"s:{script.integration}/{script.name}"
        label = Text(script.name) + problems.get(key, Problems()).badge()
        ref = NodeRef(script.kind, key, script.integration, script.name, script.line, script.script_path)
        node = self._add(parent, label, ref, default=False)
        self._fill_later(node, partial(self._add_details, script=script))

    @staticmethod
    def _add_details(node: TreeNode[NodeRef], script: Script) -> None:
        key = f"s:{script.integration}/{script.name}"
        details: list[str] = []
        if isinstance(script, Sync):
            details.append(_runs_text(script))
        details.extend(str(e) for e in script.endpoints)
        if script.input:
            details.append(f"input {script.input}")
        if script.output:
            details.append(f"output {', '.join(script.output)}")
        if script.scopes:
            details.append(f"scopes {', '.join(script.scopes)}")
        for i, detail in enumerate(details):
            node.add_leaf(
                Text(detail, style="dim"),
                NodeRef(
                    "detail", f"{key}#{i}", script.integration, script.name, script.line, script.script_path
                ),
            )

    def _restore_cursor(self, key: str) -> None:
        """Put the cursor back on the node with `key` now (a deferred move could undo a key press)."""
        line = 0

        def walk(node: TreeNode[NodeRef]) -> bool:
            nonlocal line
            for child in node.children:
                if child.data is not None and child.data.key == key:
                    return True
                line += 1
                if child.is_expanded and walk(child):
                    return True
            return False

        self.cursor_line = line if walk(self.root) else 0

    # -- navigation ----------------------------------------------------------------------------
    def select_script(self, integration: str, name: str) -> bool:
        """Move the cursor to a sync or action; False when it is not in the tree."""
        key = f"s:{integration}/{name}"

        def find(node: TreeNode[NodeRef]) -> TreeNode[NodeRef] | None:
            for child in node.children:
                if child.data is not None and child.data.key == key:
                    return child
                found = find(child)
                if found is not None:
                    return found
            return None

        node = find(self.root)
        if node is None:
            return False
        parent = node.parent
        while parent is not None:
            self.fill(parent)
            parent.expand()
            parent = parent.parent
        self.move_cursor(node)
        return True

    def action_expand_node(self) -> None:
        if self.cursor_node is not None:
            self.fill(self.cursor_node)
            self.cursor_node.expand()

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.children:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    @property
    def selected(self) -> NodeRef | None:
        node = self.cursor_node
        return node.data if node is not None else None
