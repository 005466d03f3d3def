"""Edit nango.yaml's `models:` as text, by the loader's line marks: the rest stays byte for byte.

A model's block runs from its name's line to the line before the next model's name, less the
blank lines and the comments at (or left of) the model names' column just above the next one
(those belong to the next model). Replacing a model rewrites only its block; a new model goes
right after the block of the model it belongs to, or at the end of `models:`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nango_tui.config.diagnostics import DiagnosticList
from nango_tui.config.yamlnodes import YMap, parse


class EditError(Exception):
    """nango.yaml cannot be edited this way (it does not parse, `models` is not a mapping...)."""


@dataclass
class Block:
    start: int  # 0-based index of the model name's line
    end: int  # 0-based index one past the block's last line
    column: int  # 0-based column of the model name


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _trim(lines: list[str], start: int, end: int, column: int) -> int:
    """Move `end` up past blank lines and comments not indented deeper than `column`."""
    while end > start + 1:
        text = lines[end - 1]
        stripped = text.strip()
        if not stripped or (stripped.startswith("#") and _indent_of(text) <= column):
            end -= 1
            continue
        break
    return end


class ModelsText:
    """nango.yaml's lines and where each model (and `models:` itself) sits."""

    def __init__(self, text: str) -> None:
        diags = DiagnosticList("nango.yaml")
        root = parse(text, diags)
        if not isinstance(root, YMap):
            raise EditError("nango.yaml does not parse as a mapping; fix it first (`nango-tui validate`)")
        self.text = text
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        self.blocks: dict[str, Block] = {}
        # the file's indentation step, from the first nested mapping (`integrations:`' keys)
        self.step = next(
            (
                min(col for _, col in v.key_marks.values()) - 1
                for v in root.values()
                if isinstance(v, YMap) and v
            ),
            4,
        )
        self.models_line: int | None = None
        self.models_end = len(self.lines)
        top_lines = sorted(line - 1 for line, _ in root.key_marks.values())
        if "models" not in root:
            return
        self.models_line = root.key_mark("models")[0] - 1
        later = [n for n in top_lines if n > self.models_line]
        self.models_end = _trim(self.lines, self.models_line, later[0] if later else len(self.lines), 0)
        models = root.get("models")
        if models is None:
            return
        if not isinstance(models, YMap):
            raise EditError("nango.yaml's `models` is not a mapping; fix it first (`nango-tui validate`)")
        marks = sorted(((line - 1, col - 1, str(name)) for name, (line, col) in models.key_marks.items()))
        model_lines = [line for line, _, _ in marks]
        if len(set(model_lines)) != len(model_lines) or self.models_line in model_lines:
            raise EditError(
                "nango.yaml's `models` is written in flow style ({...}); write it as a block first"
            )
        for i, (line, col, name) in enumerate(marks):
            nxt = marks[i + 1][0] if i + 1 < len(marks) else self.models_end
            self.blocks[name] = Block(line, _trim(self.lines, line, nxt, col), col)

    def indents(self) -> tuple[str, str]:
        """(indent of model names, step to their fields), as the file does it (4 spaces otherwise)."""
        if not self.blocks:
            return " " * self.step, " " * self.step
        first = min(self.blocks.values(), key=lambda b: b.start)
        step = 4
        for block in self.blocks.values():
            if block.end > block.start + 1:
                for text in self.lines[block.start + 1 : block.end]:
                    if text.strip() and not text.lstrip().startswith("#"):
                        step = max(1, _indent_of(text) - block.column)
                        break
                break
        return " " * first.column, " " * step

    def block_text(self, name: str) -> str:
        block = self.blocks[name]
        return "".join(self.lines[block.start : block.end])


def apply_models(text: str, rendered: dict[str, list[str]], anchor: str) -> str:
    """`text` with each model of `rendered` (name -> its lines) replaced or added.

    Added models go after `anchor`'s block when `anchor` exists, else at the end of `models:`
    (a `models:` section is appended when there is none).
    """
    doc = ModelsText(text)
    lines = doc.lines
    # (index, replace_until, new lines), applied bottom-up so indices stay valid
    edits: list[tuple[int, int, list[str]]] = []
    added: list[str] = []
    for name, new in rendered.items():
        if name in doc.blocks:
            block = doc.blocks[name]
            edits.append((block.start, block.end, new))
        else:
            added.extend(new)
    if added:
        if anchor in doc.blocks:
            at = doc.blocks[anchor].end
            edits.append((at, at, added))
        elif doc.models_line is not None:
            at = doc.models_end
            if lines[doc.models_line].rstrip().endswith(("{}", "null", "~")):
                edits.append((doc.models_line, doc.models_line + 1, ["models:\n"]))
            edits.append((at, at, added))
        else:
            tail = ["\n"] if lines and lines[-1].strip() else []
            edits.append((len(lines), len(lines), [*tail, "models:\n", *added]))
    newline = "\r\n" if "\r\n" in text else "\n"  # the file's own line ends for the lines we write
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:end] = [
            line.replace("\n", newline) if not line.endswith("\r\n") else line for line in new
        ]
    return "".join(lines)
