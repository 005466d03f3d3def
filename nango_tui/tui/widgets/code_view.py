"""A read-only source view: Pygments colours, line numbers, a cursor line, windowed rendering.

Only the visible lines are turned into strips (and cached), so a long models.py costs no more
to show than a short script.
"""

from __future__ import annotations

import sys

from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

SYNC_LEX_CHARS = 8_000  # longer files are coloured by a thread (Pygments' YAML lexer: ~0.1 ms/line)
MARK_STYLES = {"error": Style(color="red", bold=True), "warning": Style(color="yellow", bold=True)}


def syntax_theme_for(theme_name: str, dark: bool) -> str:
    """The Pygments/Rich syntax theme matching a Textual theme (ANSI themes keep terminal colours)."""
    if theme_name.startswith("ansi"):
        return "ansi_dark" if dark else "ansi_light"
    return "github-dark" if dark else "default"


PLAIN = None  # the token type of a line shown before (or without) its colours


def lexers_imported() -> bool:
    """Whether Pygments' lexers are imported yet (~0.1-0.3 s: never before the first frame)."""
    return "pygments.lexers" in sys.modules


def plain_lines(text: str) -> list[list[tuple[object, str]]]:
    """`text` as uncoloured lines (no Pygments needed)."""
    lines: list[list[tuple[object, str]]] = [[(PLAIN, part)] if part else [] for part in text.split("\n")]
    if len(lines) > 1 and not lines[-1] and text.endswith("\n"):
        lines.pop()
    return lines


def lex_lines(text: str, filename: str) -> list[list[tuple[object, str]]]:
    """Split `text` into lines of (token type, text) pairs."""
    from pygments.lexers import TextLexer, get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_for_filename(filename, stripnl=False, ensurenl=False, tabsize=4)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False, ensurenl=False)
    lines: list[list[tuple[object, str]]] = [[]]
    for ttype, value in lexer.get_tokens(text):
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append([])
            if part:
                lines[-1].append((ttype, part))
    if len(lines) > 1 and not lines[-1] and text.endswith("\n"):
        lines.pop()
    return lines


class CodeView(ScrollView, can_focus=True):
    """Shows one file read-only; the cursor line is what `e` opens in the editor."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="code.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="code.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="code.page_up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="code.page_down"),
        Binding("home", "goto_line(1)", "Top", show=False, id="code.top"),
        Binding("end", "goto_end", "Bottom", show=False, id="code.bottom"),
        Binding("left,h", "scroll_left", "Left", show=False, id="code.left"),
        Binding("right,l", "scroll_right", "Right", show=False, id="code.right"),
        Binding("n", "next_match", "Next match", show=False, id="code.next_match"),
    ]

    DEFAULT_CSS = """
    CodeView { background: $surface; }
    CodeView > .code-view--gutter { color: $text-muted; }
    CodeView > .code-view--cursor { background: $boost; }
    CodeView:focus > .code-view--cursor { background: $primary 25%; }
    CodeView > .code-view--match { background: $warning 30%; }
    """
    COMPONENT_CLASSES = {"code-view--gutter", "code-view--cursor", "code-view--match"}

    cursor_line: reactive[int] = reactive(0, always_update=True)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.filename = ""
        self.text = ""
        self._lines: list[list[tuple[object, str]]] = [[]]
        self._plain: list[str] = [""]
        self._marks: dict[int, str] = {}
        self._cache: dict[tuple[int, bool, bool], tuple[Strip, Style]] = {}
        self._search = ""
        self._syntax_theme = None
        self.cursor_column: int | None = None  # 0-based column marked on the cursor line (a problem's)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self._syntax_theme = None
        self._cache.clear()
        self.refresh()

    # -- content -----------------------------------------------------------------------------
    def load(self, text: str, filename: str, line: int | None = None) -> None:
        """Show `text` (named `filename` for its lexer); keep the cursor unless `line` is given.

        A long file, or any file before Pygments is imported (the first one: its import would
        delay the workbench's first frame), shows plain at once and gets its colours from a thread
        a moment later.
        """
        self.text = text
        self.filename = filename
        expanded = text.expandtabs(4)
        if len(expanded) <= SYNC_LEX_CHARS and lexers_imported():
            self._set_lines(lex_lines(expanded, filename))
        else:
            self._set_lines(plain_lines(expanded))
            self.call_after_refresh(self._lex_in_background, expanded, filename)
        target = line if line is not None else self.cursor_line + 1
        self.goto(target)
        self.refresh()

    def _set_lines(self, lines: list[list[tuple[object, str]]]) -> None:
        self._lines = lines or [[]]
        self._plain = ["".join(v for _, v in parts) for parts in self._lines]
        self._cache.clear()
        width = max((len(p) for p in self._plain), default=0) + self.gutter_width + 1
        self.virtual_size = Size(width, len(self._lines))

    @work(thread=True, exclusive=True, group="code-view-lex", exit_on_error=False)
    def _lex_in_background(self, text: str, filename: str) -> None:
        lines = lex_lines(text, filename)
        self.app.call_from_thread(self._apply_lexed, text, filename, lines)

    def _apply_lexed(self, text: str, filename: str, lines: list[list[tuple[object, str]]]) -> None:
        if filename == self.filename and text == self.text.expandtabs(4):
            self._set_lines(lines)
            self.refresh()

    def set_marks(self, marks: dict[int, str]) -> None:
        """Lines (1-based) to flag in the gutter, with their severity."""
        self._marks = dict(marks)
        self._cache.clear()
        self.refresh()

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def gutter_width(self) -> int:
        return len(str(len(self._lines))) + 3

    def line_text(self, line: int) -> str:
        """The plain text of a 1-based line ('' past the end)."""
        return self._plain[line - 1] if 0 < line <= len(self._plain) else ""

    # -- cursor --------------------------------------------------------------------------------
    def goto(self, line: int, center: bool = True, column: int | None = None) -> None:
        """Put the cursor on a 1-based line (and mark a 1-based column) and scroll it into view."""
        self.cursor_column = column - 1 if column and column > 0 else None
        self._cache.clear()
        self.cursor_line = max(0, min(line - 1, len(self._lines) - 1))
        self._scroll_cursor_into_view(center)
        if self.cursor_column is not None:
            width = max(1, self.scrollable_content_region.width - self.gutter_width)
            x = int(self.scroll_offset.x)
            if not (x <= self.cursor_column < x + width):
                self.scroll_to(x=max(0, self.cursor_column - width // 2), animate=False, immediate=True)

    def _scroll_cursor_into_view(self, center: bool = False) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_offset.y)
        y = self.cursor_line
        if center and not (top <= y < top + height):
            self.scroll_to(y=max(0, y - height // 2), animate=False, immediate=True)
        elif y < top:
            self.scroll_to(y=y, animate=False, immediate=True)
        elif y >= top + height:
            self.scroll_to(y=y - height + 1, animate=False, immediate=True)

    def watch_cursor_line(self) -> None:
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self.goto(self.cursor_line + 1 + delta, center=False)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.goto(self.cursor_line + 1 + direction * height, center=False)

    def action_goto_line(self, line: int) -> None:
        self.goto(line, center=False)

    def action_goto_end(self) -> None:
        self.goto(len(self._lines), center=False)

    def on_click(self, event: events.Click) -> None:
        self.goto(int(self.scroll_offset.y) + event.y + 1, center=False)

    # -- search (the pane's `/` filter) ----------------------------------------------------------
    def search(self, text: str) -> bool:
        """Highlight `text` and move to its next occurrence from the cursor; False when absent."""
        self._search = text.lower()
        self._cache.clear()
        self.refresh()
        return self._jump_to_match(start=self.cursor_line)

    def action_next_match(self) -> None:
        self._jump_to_match(start=self.cursor_line + 1)

    def _jump_to_match(self, start: int) -> bool:
        if not self._search:
            return False
        count = len(self._plain)
        for offset in range(count):
            index = (start + offset) % count
            if self._search in self._plain[index].lower():
                self.goto(index + 1)
                return True
        return False

    # -- rendering -----------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._syntax_theme = None

    def _token_style(self, ttype: object) -> Style:
        if ttype is PLAIN:
            return Style()
        if self._syntax_theme is None:
            from rich.syntax import Syntax  # imports Pygments: only once a file has its colours

            self._syntax_theme = Syntax.get_theme(
                syntax_theme_for(self.app.theme, self.app.current_theme.dark)
            )
        style = self._syntax_theme.get_style_for_token(ttype)
        return Style(color=style.color, bold=style.bold, italic=style.italic, underline=style.underline)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = int(scroll_y) + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        is_cursor = index == self.cursor_line
        key = (index, is_cursor, self.has_focus)
        cached = self._cache.get(key)
        if cached is None:
            background = self._line_background(is_cursor)
            cached = (self._build_line(index, is_cursor, background), background)
            if len(self._cache) > 2000:
                self._cache.clear()
            self._cache[key] = cached
        strip, background = cached  # (the background with its line: each is a walk of the ancestors)
        gutter = self.gutter_width
        code = strip.crop(gutter + int(scroll_x), gutter + int(scroll_x) + max(0, width - gutter))
        line = Strip.join([strip.crop(0, gutter), code])
        return line.extend_cell_length(width, background).crop(0, width)

    def _line_background(self, is_cursor: bool) -> Style:
        base = self.rich_style
        if is_cursor:
            return base + self.get_component_rich_style("code-view--cursor")
        return base

    def _build_line(self, index: int, is_cursor: bool, base: Style) -> Strip:
        gutter_style = base + self.get_component_rich_style("code-view--gutter", partial=True)
        mark = self._marks.get(index + 1)
        digits = len(str(len(self._lines)))
        segments = [Segment(f"{index + 1:>{digits}}", gutter_style)]
        if mark:
            segments.append(Segment(" ●", base + MARK_STYLES.get(mark, MARK_STYLES["warning"])))
            segments.append(Segment(" ", base))
        else:
            segments.append(Segment("   ", base))
        match_style = self.get_component_rich_style("code-view--match", partial=True)
        plain_lower = self._plain[index].lower()
        matches = _match_spans(plain_lower, self._search)
        if is_cursor and self.cursor_column is not None:
            matches = [*matches, (self.cursor_column, self.cursor_column + 1)]
            if self.cursor_column >= len(plain_lower):
                segments_tail = self.cursor_column - len(plain_lower)
            else:
                segments_tail = -1
        else:
            segments_tail = -1
        column = 0
        for ttype, value in self._lines[index]:
            style = base + self._token_style(ttype)
            if not matches:
                segments.append(Segment(value, style))
            else:
                for piece, hit in _split_by_spans(value, column, matches):
                    segments.append(Segment(piece, style + match_style if hit else style))
            column += len(value)
        if segments_tail >= 0:  # the marked column is past the end of the line
            segments.append(Segment(" " * segments_tail, base))
            segments.append(Segment(" ", base + match_style))
        return Strip(segments)


def _match_spans(text: str, needle: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if not needle:
        return spans
    start = text.find(needle)
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + len(needle))
    return spans


def _split_by_spans(value: str, offset: int, spans: list[tuple[int, int]]):
    """Cut a token's text at the match boundaries; yields (piece, inside a match)."""
    cuts = {0, len(value)}
    for a, b in spans:
        for edge in (a - offset, b - offset):
            if 0 < edge < len(value):
                cuts.add(edge)
    points = sorted(cuts)
    for a, b in zip(points, points[1:]):
        middle = offset + a
        yield value[a:b], any(s <= middle < e for s, e in spans)
