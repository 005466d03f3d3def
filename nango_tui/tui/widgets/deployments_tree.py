"""The Deployments pane's tree: environments -> integrations -> deployed scripts -> each
connection's sync -> its models and runs. Updated in place on every refresh (the cursor and
what is open stay put)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets._tree import TreeNode

from nango_tui.tui.deployments_view import NodeRef

Wanted = list[tuple[NodeRef, Text, bool]]  # (what, label, can open) in the order shown


class DeploymentsTree(Tree[NodeRef]):
    """A tree whose nodes carry a `NodeRef`; `set_children` reconciles one level."""

    BINDINGS = [
        Binding("home", "cursor_first", "First line", show=False, id="deployments.first"),
        Binding("end", "cursor_last", "Last line", show=False, id="deployments.last"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("deployments", id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 2

    def action_cursor_first(self) -> None:
        self.cursor_line = 0

    def action_cursor_last(self) -> None:
        self.cursor_line = self.last_line

    def set_children(self, node: TreeNode[NodeRef], wanted: Wanted, *, expand_new: bool = False) -> None:
        """Make `node`'s children exactly `wanted`: labels updated, new ones added in place,
        gone ones removed; a kept child keeps its own children and whether it is open."""
        existing = {child.data: child for child in node.children}
        keep = {ref for ref, _, _ in wanted}
        for ref, child in list(existing.items()):
            if ref not in keep:
                child.remove()
                del existing[ref]
        for index, (ref, label, can_open) in enumerate(wanted):
            child = existing.get(ref)
            if child is None:
                before = node.children[index] if index < len(node.children) else None
                added = node.add(label, ref, before=before, allow_expand=can_open)
                if expand_new and can_open:
                    added.expand()
                continue
            if child.label != label:
                child.set_label(label)
            child.allow_expand = can_open

    def node_for(self, ref: NodeRef) -> TreeNode[NodeRef] | None:
        """The node showing `ref`, if the tree has it."""
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.data == ref:
                return node
            stack.extend(node.children)
        return None

    def open_nodes(self) -> list[NodeRef]:
        """Every expanded node's ref (what a refresh must fetch)."""
        out: list[NodeRef] = []
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.is_expanded and node.data is not None:
                out.append(node.data)
                stack.extend(node.children)
        return out
