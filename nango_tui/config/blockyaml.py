"""A fast reader for the block-style YAML that nango.yaml files are written in.

PyYAML's C composer reads about 1 MB/s once it builds a node with two marks for every scalar;
a nango.yaml is almost always plain block mappings, `- item` lists, single-line quoted strings
and `|` blocks. This reader takes exactly that subset, line by line, straight to `YMap`/`YList`
with the same values, marks and duplicate-key diagnostics the PyYAML path gives
(tests/test_config_blockyaml.py compares the two on every corpus file and on fuzzed text).
Anything outside the subset (flow collections, anchors, tags, folded or indented-indicator
blocks, multi-line plain or quoted scalars, tabs, odd line breaks, a syntax error) makes it
answer `None`, and the caller reads the text with PyYAML: the reader never guesses.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .ytree import Mark, YList, YMap

_MAX_DEPTH = 200

# Characters the reader accepts at all: printable text and "\n". A tab, "\r", NEL, U+2028/9,
# a BOM or a control character sends the text to PyYAML, which knows their rules.
_OUTSIDE_SUBSET = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_ASCII_SUBSET = bytes(range(0x20, 0x7F)) + b"\n"  # the ASCII characters the reader accepts
# `key:` or `key: rest`; a key is a plain scalar without ':' or '#' that does not start with an
# indicator, '.' (document end) or '<' (merge keys).
_KEY = re.compile(r"([^\s#'\"\[\]{},&*!|>%@`?:\-.<](?:[^:#]|:(?=[^ ]))*?) *(:)(?: +(.*))?$")
# one line (no "\n") as (indent, key, rest, other): `key` and `rest` for a `key: rest` line whose
# key holds no ':' (the hot case), else `other` holds the line after its indent (blank, comment,
# dash ...). The key is runs of non-spaces joined by spaces (greedy: no lazy per-character retry
# of ` *:`)
_LINE = re.compile(r"( *)(?:([^\s#'\"\[\]{},&*!|>%@`?:\-.<][^:#\n ]*(?: +[^:#\n ]+)*) *:(?: +(.*))?|(.*))$")
_PLAIN_FIRST_BAD = frozenset("#'\"[]{},&*!|>%@`")
# first characters the hot loop leaves to `value` (quotes, blocks, indicators, comments)
_NOT_PLAIN_FIRST = _PLAIN_FIRST_BAD | frozenset("-?:")
_MISSING = object()
_keys: dict[str, str] = {}
_constructor = yaml.constructor.SafeConstructor()
_resolver = yaml.resolver.Resolver()
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int": _constructor.construct_yaml_int,
    "tag:yaml.org,2002:float": _constructor.construct_yaml_float,
    "tag:yaml.org,2002:bool": _constructor.construct_yaml_bool,
}


def scalar(node: yaml.ScalarNode) -> Any:
    """The Python value of a scalar node, as both readers give it (timestamps stay text)."""
    tag = node.tag
    if tag == "tag:yaml.org,2002:str":
        return node.value
    if tag == "tag:yaml.org,2002:null":
        return None
    build = _SCALAR_TAGS.get(tag)
    if build is not None:
        try:
            return build(node)
        except Exception:  # `!!int ''`, `!!bool maybe`...: PyYAML raises IndexError, KeyError
            return node.value
    return node.value


_plain_values: dict[str, Any] = {}
# the first characters of every implicit tag's text (ints, floats, bools, nulls, merge...): a
# plain scalar starting with any other character is a string, without trying the regexes
_RESOLVED_FIRST = frozenset(first for first in _resolver.yaml_implicit_resolvers if first)


def _plain(text: str) -> Any:
    """A plain scalar's value, resolved as PyYAML resolves it (memoised: a file repeats a few)."""
    if text and text[0] not in _RESOLVED_FIRST:
        return text
    try:
        return _plain_values[text]
    except KeyError:
        pass
    tag: str = _resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    value = scalar(yaml.ScalarNode(tag, text))
    if len(_plain_values) < 100_000:
        _plain_values[text] = value
    return value


def key_text(value: Any, written: str) -> str:
    """A key as a string, the way both readers turn `1:`, `true:` or `~:` into one."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return written if isinstance(value, (bool, float)) else str(value)


class NotInSubset(Exception):
    """The text uses YAML this reader leaves to PyYAML."""


# a line's (indent, key, value, rest): see `_Reader.row`
_Row = tuple[int, str | None, Any, str]
_SKIP: _Row = (-1, None, None, "")  # the row of a blank or comment line
_COMPOUND = object()  # a row's value when the entry's value is not a plain scalar on its line
_BAD_PLAIN = object()  # ... when it is one this reader leaves to PyYAML (`a: b: c`, `a: b:`)


def _plain_rest(rest: str) -> Any:
    """The value of a plain scalar that is the rest of a `key: rest` line, or `_BAD_PLAIN`."""
    cut = rest.find(" #")
    if cut >= 0:
        rest = rest[:cut]
    plain = rest.rstrip(" ")
    if ": " in plain or plain[-1] == ":":
        return _BAD_PLAIN
    if plain[0] not in _RESOLVED_FIRST:
        return plain
    value = _plain_values.get(plain, _MISSING)
    return _plain(plain) if value is _MISSING else value


def _key_of(written: str) -> str:
    """The key a plain key written so stands for (memoised)."""
    try:
        return _keys[written]
    except KeyError:
        key = key_text(_plain(written), written)
        if len(_keys) < 100_000:
            _keys[written] = key
        return key


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        # a line's text -> its row (indent, key, value, rest), computed once per distinct text:
        # a nango.yaml repeats most of its lines (`id: string`, `runs: every day`...), and the
        # hot loop reads a repeated line with one dict lookup
        self.rows: dict[str, _Row] = {}
        self.count = len(self.lines)
        self.i = 0
        self.duplicates: list[tuple[int, int, str, Mark]] = []

    def row(self, line: str) -> _Row:
        """(indent, key, value, rest) of a line, remembered in `rows`. A blank or comment line is
        `_SKIP`. For a `key: rest` line whose key holds no ':', `key` is the key and `value` the
        plain scalar's value, or `_COMPOUND` with `rest` what follows the colon; for any other
        line `key` is None and `rest` the text after the indent (a dash, a key holding ':'...)."""
        match = _LINE.match(line)
        assert match is not None  # the pattern's last branch takes any line
        spaces, written, rest, other = match.groups("")
        found: _Row
        if written:
            key = _key_of(written)
            if rest and rest[0] not in _NOT_PLAIN_FIRST:
                found = (len(spaces), key, _plain_rest(rest), "")
            else:
                found = (len(spaces), key, _COMPOUND, rest)
        elif other and other[0] != "#":
            found = (len(spaces), None, None, other)
        else:
            found = _SKIP
        self.rows[line] = found
        return found

    def peek(self) -> tuple[int, str] | None:
        """(indent, text) of the next line holding content; skips blank and comment lines."""
        lines = self.lines
        while self.i < self.count:
            line = lines[self.i]
            text = line.lstrip(" ")
            if text and text[0] != "#":
                return len(line) - len(text), text
            self.i += 1
        return None

    def mapping(self, indent: int, depth: int, first: str | None = None) -> YMap:
        """The block mapping whose keys sit at `indent`; `first` is an entry already on the line
        (after a sequence's dash)."""
        if depth > _MAX_DEPTH:
            raise NotInSubset
        lines, count, i = self.lines, self.count, self.i
        known, row_of = self.rows.get, self.row
        out = YMap((i + 1, indent + 1), indent, self.value_mark_of_line)
        key_rows = out.key_rows
        not_plain_first = _NOT_PLAIN_FIRST
        column = indent + 1
        # the line of the last entry when its value is a plain scalar (else -1): lines more
        # indented after it continue that scalar
        open_row = -1
        value: Any
        while True:
            if first is None:  # the next line with content (this loop is the hot one)
                while i < count:
                    line = lines[i]
                    at, key, value, rest = known(line) or row_of(line)
                    if at >= 0:
                        break
                    i += 1
                else:
                    self.i = i
                    return out
                if at != indent:
                    if at > indent and open_row >= 0:
                        i = self.fold_plain(out, open_row, indent)
                        open_row = -1
                        continue
                    self.i = i
                    if at < indent:
                        return out
                    raise NotInSubset
                if key is None:  # not a simple `key: rest` line: a key holding ':', a dash...
                    written, rest = self.key_line(rest, i)
                    key = _key_of(written)
                    value = _plain_rest(rest) if rest and rest[0] not in not_plain_first else _COMPOUND
            else:
                written, rest = self.key_line(first, i)
                first = None
                key = _key_of(written)
                value = _plain_rest(rest) if rest and rest[0] not in not_plain_first else _COMPOUND
            row = i
            if value is not _COMPOUND:  # a plain scalar, read with its line
                if value is _BAD_PLAIN:
                    raise NotInSubset
                open_row = row
                i = row + 1
                reported = -1
            else:
                reported = len(self.duplicates)
                i = row + 1
                if not rest:  # `key:` alone, usually opening a nested mapping: found here at once
                    while i < count:
                        line = lines[i]
                        next_at, next_key, _, _ = known(line) or row_of(line)
                        if next_at >= 0:
                            break
                        i += 1
                    if i < count and next_key is not None and next_at > indent:
                        self.i = i
                        value = self.mapping(next_at, depth + 1)
                    else:  # a sequence, a mapping whose first key holds ':', nothing...
                        self.i = row + 1
                        value = self.value("", indent, depth)
                else:
                    self.i = i
                    value = self.value(rest, indent, depth)
                i = self.i
                open_row = -1
            if key in out:
                # PyYAML's path never reads a repeated key's value: nothing inside it is reported
                if reported >= 0:
                    del self.duplicates[reported:]
                self.duplicates.append((row + 1, column, key, (key_rows[key] + 1, column)))
                continue
            out[key] = value
            key_rows[key] = row

    def fold_plain(self, out: YMap, row: int, indent: int) -> int:
        """Fold the lines continuing the plain scalar of the entry on line `row` into its value;
        the index of the line after them."""
        tail, end = self.plain_tail(row + 1, indent)
        if end == row + 1:  # nothing continues it (a comment came first): the deeper line is not ours
            self.i = end
            raise NotInSubset
        match = _KEY.match(self.lines[row], indent)
        assert match is not None and match.group(3)  # read as `key: plain` a moment ago
        rest = match.group(3)
        cut = rest.find(" #")
        plain = (rest[:cut] if cut >= 0 else rest).rstrip(" ")
        key = _keys.get(match.group(1)) or key_text(_plain(match.group(1)), match.group(1))
        if out.key_rows.get(key) == row:  # not a repeated key (whose value is dropped)
            out[key] = _plain(plain + tail)
        return end

    def key_line(self, text: str, i: int) -> tuple[str, str]:
        """(key as written, rest) of a mapping entry the row regex did not split."""
        match = _KEY.match(text)
        if match is None:
            self.i = i
            raise NotInSubset
        written, rest = match.group(1, 3)
        return written, rest or ""

    def plain_tail(self, i: int, indent: int) -> tuple[str, int]:
        """The continuation lines of a plain scalar (more indented than its key), folded as YAML
        folds them, and the index of the line after them."""
        lines, count = self.lines, self.count
        pieces: list[str] = []
        blanks = 0
        end = i
        while i < count:
            line = lines[i]
            text = line.strip(" ")
            if not text:
                blanks += 1
                i += 1
                continue
            if len(line) - len(line.lstrip(" ")) <= indent or text[0] == "#":
                break
            if text[0] in _NOT_PLAIN_FIRST or ": " in text or " #" in text or text[-1] == ":":
                self.i = i
                raise NotInSubset
            pieces.append("\n" * blanks if blanks else " ")
            pieces.append(text)
            blanks = 0
            i += 1
            end = i
        return "".join(pieces), end

    def value(self, rest: str, indent: int, depth: int) -> Any:
        """The value after a `key:` whose line continues with `rest` (the line is consumed)."""
        if not rest or rest[0] == "#":
            head = self.peek()
            if head is not None:
                at, text = head
                if at > indent:
                    if text[0] == "-" and (len(text) == 1 or text[1] == " "):
                        return self.sequence(at, depth + 1)
                    return self.mapping(at, depth + 1)
                if at == indent and text[0] == "-" and (len(text) == 1 or text[1] == " "):
                    return self.sequence(at, depth + 1)
            return None
        return self.scalar(rest, indent)

    def value_mark_of_line(self, row: int, indent: int) -> Mark:
        """The mark of the value after the key at `indent` on line `row` (0-based): where its
        text starts, or just after the colon when nothing follows it there. A value that is a
        nested block carries its own mark (`YMap.value_mark` asks it)."""
        line = self.lines[row]
        colon = line.find(":", indent)
        after = line[colon + 1 :]
        if after and after[0] != " ":  # the key holds a ':' of its own: `_KEY` knows where it ends
            match = _KEY.match(line, indent)
            assert match is not None  # the line was read as `key: rest` at this indent
            colon, after = match.start(2), line[match.end(2) :]
        rest = after.lstrip(" ")
        if not rest or rest[0] == "#":
            return (row + 1, colon + 2)
        return (row + 1, len(line) - len(rest) + 1)

    def sequence(self, indent: int, depth: int) -> YList:
        if depth > _MAX_DEPTH:
            raise NotInSubset
        out = YList((self.i + 1, indent + 1))
        while True:
            head = self.peek()
            if head is None:
                break
            at, text = head
            if at < indent or (at == indent and not (text[0] == "-" and (len(text) == 1 or text[1] == " "))):
                break
            if at > indent:
                raise NotInSubset
            line = self.i + 1
            item = text[1:].lstrip(" ")
            item_col = indent + len(text) - len(item)
            value: Any
            mark: Mark
            if not item or item[0] == "#":
                self.i += 1
                nxt = self.peek()
                if nxt is not None and nxt[0] > indent:
                    if nxt[1][0] == "-" and (len(nxt[1]) == 1 or nxt[1][1] == " "):
                        value = self.sequence(nxt[0], depth + 1)
                    else:
                        value = self.mapping(nxt[0], depth + 1)
                    mark = value.mark
                else:
                    value, mark = None, (line, indent + 2)
            elif item[0] == "-" and (len(item) == 1 or item[1] == " "):
                raise NotInSubset
            elif _KEY.match(item):
                value = self.mapping(item_col, depth + 1, first=item)
                mark = (line, item_col + 1)
            else:
                if item[0] in "|>":
                    raise NotInSubset
                self.i += 1
                value, mark = self.scalar(item, indent), (line, item_col + 1)
            out.append(value)
            out.marks.append(mark)
        return out

    def scalar(self, rest: str, indent: int) -> Any:
        """A scalar starting on this line (already consumed unless it is a `|` block)."""
        first = rest[0]
        if first == "|" or first == ">":
            return self.literal(rest, indent)
        if first == "'" or first == '"':
            return _quoted(rest)
        if first in _PLAIN_FIRST_BAD or (first in "-?:" and (len(rest) == 1 or rest[1] == " ")):
            raise NotInSubset
        cut = rest.find(" #")
        if cut >= 0:
            rest = rest[:cut]
        rest = rest.rstrip(" ")
        if ": " in rest or rest.endswith(":"):
            raise NotInSubset
        return _plain(rest)

    def literal(self, header: str, indent: int) -> str:
        """A `|` or `>` block with `-`, `+` or no chomping indicator; its lines follow, more
        indented than its key. A folded block with more-indented lines is left to PyYAML."""
        chomp = header[1:2] if header[1:2] in ("-", "+") else ""
        tail = header[1 + len(chomp) :]
        if tail and not (tail.startswith(" ") and (not tail.strip() or tail.lstrip(" ")[0] == "#")):
            raise NotInSubset
        lines = self.lines
        start = self.i
        body_indent = None
        j = start
        while j < self.count:
            line = lines[j]
            text = line.lstrip(" ")
            at = len(line) - len(text)
            if text:
                if body_indent is None:
                    if at <= indent:
                        break
                    body_indent = at
                elif at < body_indent:
                    break
            elif body_indent is not None and at > body_indent:
                raise NotInSubset  # spaces beyond the block's indent on an empty line
            elif body_indent is None and line:
                raise NotInSubset  # leading blank lines holding spaces: PyYAML's rules apply
            j += 1
        if body_indent is None:
            raise NotInSubset
        body = lines[start:j]
        self.i = j
        end = len(body)
        while end and not body[end - 1].strip(" "):
            end -= 1
        content = [line[body_indent:] for line in body[:end]]
        trailing = len(body) - end
        broken = j < self.count or end < len(body)  # a line break follows the last content line
        text = "\n".join(content) if header[0] == "|" else _fold(content)
        if chomp == "-":
            return text
        if chomp == "+":
            if not broken:
                return text
            # every break after the last content line is kept; the file's own last line has none
            breaks = trailing + (1 if j < self.count else 0)
            if j == self.count and trailing:
                breaks = trailing
            return text + "\n" * breaks
        return text + "\n" if broken else text


def _fold(content: list[str]) -> str:
    """A folded block's lines: a break between two lines is a space, each empty line a break."""
    out: list[str] = []
    previous_empty = True
    for line in content:
        if line[:1] == " ":
            raise NotInSubset  # more-indented lines keep their breaks: PyYAML's rules apply
        if not line:
            out.append("\n")
            previous_empty = True
            continue
        if not previous_empty:
            out.append(" ")
        out.append(line)
        previous_empty = False
    return "".join(out)


def _quoted(rest: str) -> str:
    """A single-line quoted scalar followed by nothing but an optional comment."""
    quote = rest[0]
    if quote == '"':
        end = rest.find('"', 1)
        if end < 0 or "\\" in rest[:end]:
            raise NotInSubset
        value = rest[1:end]
    else:
        pieces = []
        pos = 1
        while True:
            end = rest.find("'", pos)
            if end < 0:
                raise NotInSubset
            pieces.append(rest[pos:end])
            if rest[end + 1 : end + 2] == "'":
                pieces.append("'")
                pos = end + 2
                continue
            break
        value = "".join(pieces)
    after = rest[end + 1 :]
    if after and not (after[0] == " " and (not after.strip(" ") or after.lstrip(" ")[0] == "#")):
        raise NotInSubset
    return value


def read(text: str) -> tuple[YMap, list[tuple[int, int, str, Mark]]] | None:
    """The file as a `YMap` and its duplicate keys (line, column, key, first mark), or None when
    it is not a block mapping in the subset (read it with PyYAML then)."""
    if (
        # ASCII: anything but the printable range and "\n" is left once those are deleted (in C,
        # a byte table: a tenth of `isprintable`'s time on 10 MB)
        text.encode("ascii").translate(None, _ASCII_SUBSET)
        if text.isascii()
        else _OUTSIDE_SUBSET.search(text)
    ):
        return None
    reader = _Reader(text)
    try:
        head = reader.peek()
        if head is None or head[0] != 0:
            return None
        root = reader.mapping(0, 0)
        if reader.peek() is not None:
            return None
    except (NotInSubset, RecursionError):
        return None
    finally:
        reader.rows = {}  # the mappings keep the lines (for their marks), not the rows
    return root, reader.duplicates
