"""The Script pane: one file of the project, highlighted, read-only, following changes on disk."""

from __future__ import annotations

from pathlib import Path

from nango_tui.config import Diagnostic
from nango_tui.tui.masking import mask_secrets
from nango_tui.tui.widgets.code_view import CodeView
from nango_tui.tui.widgets.pane import Pane

POLL_SECONDS = 0.5  # a stat() per interval: the view follows the file without a watcher thread


class ScriptPane(Pane):
    """Shows `path` (relative to the project root); `e` opens it in $EDITOR at the cursor line."""

    TITLE = "Script"
    FILTER_PLACEHOLDER = "find in file…"
    HELP = """\
The selected script, or nango.yaml, or models.py: read-only, with line numbers.
The view reloads when the file changes on disk. Lines with problems are marked ● / ▲.

  up/down, j/k   move the cursor line        pageup/pagedown, home/end
  left/right     scroll sideways
  e              open the file in $EDITOR at the cursor line (the workbench waits)
  /              find text (Enter keeps it); n jumps to the next match
"""

    def __init__(self, root: Path, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.root = root
        self.path: str | None = None
        self.exists = False
        self._stamp: tuple[float, int] | None = None
        self._diagnostics: list[Diagnostic] = []

    def compose_body(self):
        yield CodeView(id="code-view", classes="pane-body")

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self.reload_if_changed, name="script-follow")
        self.watch(self.view, "cursor_line", lambda _: self._update_subtitle(), init=False)

    @property
    def view(self) -> CodeView:
        return self.query_one(CodeView)

    @property
    def cursor_line(self) -> int:
        """The 1-based line under the cursor."""
        return self.view.cursor_line + 1

    def open(self, path: str, line: int | None = None, column: int | None = None) -> None:
        """Show `path`; keep the cursor when it is already shown and no line is given."""
        same = path == self.path
        self.path = path
        if same and self._stat() == self._stamp and self._stamp is not None:
            if line is not None:
                self.view.goto(line, column=column)
            return
        self._load(line if (line is not None or same) else 1)
        if line is not None and column is not None:
            self.view.goto(line, column=column)

    def _stat(self) -> tuple[float, int] | None:
        try:
            st = (self.root / self.path).stat() if self.path else None
        except OSError:
            return None
        return (st.st_mtime, st.st_size) if st else None

    def _load(self, line: int | None) -> None:
        full = self.root / (self.path or "")
        self._stamp = self._stat()
        try:
            text = mask_secrets(full.read_text(encoding="utf-8", errors="replace"), self.path or "")
            self.exists = True
        except OSError:
            self.exists = False
            text = f"# {self.path} does not exist yet.\n# Press g to generate the missing scripts and models.py.\n"
        self.view.load(text, self.path or "", line)
        self._update_marks()
        self.border_title = f"Script · {self.path}"
        self._update_subtitle()

    def reload_if_changed(self) -> bool:
        """Reload when the file's mtime or size changed; True when it did."""
        if self.path is None:
            return False
        stamp = self._stat()
        if stamp == self._stamp:
            return False
        self._load(None)
        return True

    def show_diagnostics(self, diagnostics: list[Diagnostic]) -> None:
        self._diagnostics = list(diagnostics)
        self._update_marks()

    def _update_marks(self) -> None:
        marks: dict[int, str] = {}
        for d in self._diagnostics:
            if d.file == self.path and (marks.get(d.line) != "error"):
                marks[d.line] = d.severity
        self.view.set_marks(marks)

    def _update_subtitle(self) -> None:
        self.border_subtitle = (
            f"{self.view.cursor_line + 1}/{self.view.line_count}" if self.exists else "missing"
        )

    def apply_filter(self, text: str) -> None:
        if text:
            self.view.search(text)
        else:
            self.view.search("")
        self._update_subtitle()
