"""Plain dicts and lists from a YAML file that remember where each key and value sits."""

from __future__ import annotations

from typing import Any

Mark = tuple[int, int]  # (line, column), 1-based


class YMap(dict[Any, Any]):
    """A mapping from the file, with the marks of its keys and values."""

    __slots__ = ("key_marks", "mark", "value_marks")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[Any, Mark] = {}
        self.value_marks: dict[Any, Mark] = {}

    def key_mark(self, key: Any) -> Mark:
        return self.key_marks.get(key, self.mark)

    def value_mark(self, key: Any) -> Mark:
        return self.value_marks.get(key, self.key_mark(key))


class YList(list[Any]):
    """A sequence from the file, with the mark of each item."""

    __slots__ = ("mark", "marks")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.marks: list[Mark] = []

    def item_mark(self, index: int) -> Mark:
        return self.marks[index] if 0 <= index < len(self.marks) else self.mark
