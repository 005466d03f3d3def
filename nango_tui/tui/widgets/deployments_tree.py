"""The Deployments pane's tree: environments -> integrations -> deployed scripts -> each
connection's sync -> its models and runs. Updated in place on every refresh (the cursor and
what is open stay put)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

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
        self._by_ref: dict[NodeRef, TreeNode[NodeRef]] = {}  # every node, by what it shows

    def action_cursor_first(self) -> None:
        self.cursor_line = 0

    def action_cursor_last(self) -> None:
        self.cursor_line = self.last_line

    @contextmanager
    def keeping_cursor(self) -> Iterator[None]:
        """Updates made inside leave the cursor on the node it was on (or, when that node went,
        on its nearest ancestor still there), with the lines laid out again at once.

        Why: Textual lays the lines out on the next idle; a key handled before that (a Down
        pressed while a refresh is applied, common on a busy machine) moves from a line number
        of the old layout, so a refresh that added or removed lines above the cursor sent it
        to the wrong node."""
        chain: list[NodeRef] = []
        node = self.cursor_node
        while node is not None:
            if node.data is not None:
                chain.append(node.data)
            node = node.parent
        yield
        if self.last_line < 0 or not chain:  # `last_line` lays the lines out now
            return
        target = next((found for ref in chain if (found := self.node_for(ref)) is not None), None)
        if target is not None and target is not self.cursor_node:
            self.move_cursor(target, animate=False)

    def set_children(self, node: TreeNode[NodeRef], wanted: Wanted, *, expand_new: bool = False) -> None:
        """Make `node`'s children exactly `wanted`: labels updated, new ones added in place,
        gone ones removed; a kept child keeps its own children and whether it is open."""
        existing = {child.data: child for child in node.children}
        keep = {ref for ref, _, _ in wanted}
        relabelled = False
        for ref, child in list(existing.items()):
            if ref not in keep:
                self._forget(child)
                child.remove()
                del existing[ref]
        for index, (ref, label, can_open) in enumerate(wanted):
            child = existing.get(ref)
            if child is None:
                before = node.children[index] if index < len(node.children) else None
                added = node.add(label, ref, before=before, allow_expand=can_open)
                self._by_ref[ref] = added
                if expand_new and can_open:
                    added.expand()
                continue
            if child.label != label:
                # TreeNode.set_label, without the repaint callback it queues per node (1,000
                # connections relabelled on each refresh were 1,000 callbacks, ~140 ms of the
                # loop): one repaint of the tree below covers them
                child._label = self.process_label(label)
                child._updates += 1  # part of the key of the node's cached line
                relabelled = True
            if child.allow_expand != can_open:  # the setter marks the line changed
                child.allow_expand = can_open
        if relabelled:
            self.refresh()

    def _forget(self, node: TreeNode[NodeRef]) -> None:
        stack = [node]
        while stack:
            gone = stack.pop()
            if gone.data is not None and self._by_ref.get(gone.data) is gone:
                del self._by_ref[gone.data]
            stack.extend(gone.children)

    def node_for(self, ref: NodeRef) -> TreeNode[NodeRef] | None:
        """The node showing `ref`, if the tree has it."""
        return self._by_ref.get(ref)

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
