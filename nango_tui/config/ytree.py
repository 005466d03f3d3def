"""Plain dicts and lists from a YAML file that remember where each key and value sits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Mark = tuple[int, int]  # (line, column), 1-based
# (index of a key's line, the mapping's indent) -> the mark of the value after that key
ValueMarkOfLine = Callable[[int, int], Mark]


class YMap(dict[Any, Any]):
    """A mapping from the file, with the marks of its keys and values.

    The block reader (`blockyaml`) keeps only the line of each key (`key_rows`) and computes a
    mark when one is asked for: a big file has a million marks and the checks read a few. The
    PyYAML path fills `key_marks` and `value_marks` as it goes. Either way `key_mark`,
    `value_mark`, `key_marks` and `value_marks` answer the same.
    """

    __slots__ = ("_key_marks", "_value_marks", "indent", "key_rows", "mark", "value_mark_of_line")

    def __init__(
        self, mark: Mark, indent: int = 0, value_mark_of_line: ValueMarkOfLine | None = None
    ) -> None:
        # (dict.__new__ made the empty mapping: no dict.__init__ call, 50,000 of these in a big file)
        self.mark = mark
        self.indent = indent
        self.value_mark_of_line = value_mark_of_line
        if value_mark_of_line is None:
            self._key_marks: dict[Any, Mark] = {}
            self._value_marks: dict[Any, Mark] = {}
        else:
            self.key_rows: dict[Any, int] = {}  # key -> index of its line

    @property
    def key_marks(self) -> dict[Any, Mark]:
        """Every key's mark (a new dict for a block-read mapping)."""
        if self.value_mark_of_line is None:
            return self._key_marks
        return {key: self.key_mark(key) for key in self.key_rows}

    @property
    def value_marks(self) -> dict[Any, Mark]:
        """Every value's mark (a new dict for a block-read mapping)."""
        if self.value_mark_of_line is None:
            return self._value_marks
        return {key: self.value_mark(key) for key in self.key_rows}

    def key_mark(self, key: Any) -> Mark:
        if self.value_mark_of_line is None:
            return self._key_marks.get(key, self.mark)
        row = self.key_rows.get(key)
        return self.mark if row is None else (row + 1, self.indent + 1)

    def value_mark(self, key: Any) -> Mark:
        if self.value_mark_of_line is None:
            return self._value_marks.get(key, self.key_mark(key))
        row = self.key_rows.get(key)
        if row is None:
            return self.mark
        value = self[key]
        if isinstance(value, (YMap, YList)):  # a nested block starts on a line of its own
            return value.mark
        return self.value_mark_of_line(row, self.indent)


class YList(list[Any]):
    """A sequence from the file, with the mark of each item."""

    __slots__ = ("mark", "marks")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.marks: list[Mark] = []

    def item_mark(self, index: int) -> Mark:
        return self.marks[index] if 0 <= index < len(self.marks) else self.mark
