"""Keep secrets written in connections.yaml or .env off the screen when the script pane shows them.

The files are parsed, not matched line by line: connections.yaml with the YAML composer (so
camelCase and quoted keys, block scalars, anchors used elsewhere through aliases, lists and
flow mappings are all seen), `.env` with its own small grammar (export, quotes spanning lines).
A value is masked when any key above it names a secret (`credentials`, `*token*`, `*secret*`,
`*password*`, `*_PASS`, `*_AUTH`, `*_KEY`...), keeping `credentials.type` and `${VAR}`
references visible. A URL's password (`scheme://user:pass@host`) is masked wherever it is.
A file that does not parse is masked whole (every value), never shown raw. The text keeps its
lines: each masked line becomes `***` at the same place, so line numbers stay true.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml

MASK = "***"

# parts of a key's name (lower-cased, `_`/`-` removed) that say its value is a secret
_SECRET_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "apikey",
    "privatekey",
    "credential",
    "signature",
    "cookie",
    "session",
    "authorization",
)
# whole words of a name (split at `_`, `-` and camelCase humps) that say the same
_SECRET_WORDS = frozenset({"pass", "pwd", "auth", "key", "pat", "dsn", "jwt", "bearer", "otp", "pin"})
# names that mention a secret but hold none (where a key goes, what kind of credential it is)
_PLAIN_NAMES = frozenset(
    {
        "type",
        "apikeyheader",
        "apikeyprefix",
        "apikeyquery",
        "tokenurl",
        "tokenheader",
        "tokenprefix",
        "expiresat",
        "providerconfigkey",
    }
)
_REFERENCE = re.compile(r"^[\"']?\$\{[A-Za-z_][A-Za-z0-9_]*\}[\"']?$")
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<secret>[^/\s@]+)(?=@)")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def is_secret_name(name: str) -> bool:
    """Whether a key or variable called `name` holds a secret (`accessToken`, `DB_PASS`, `X_AUTH`...)."""
    flat = re.sub(r"[^a-z0-9]", "", name.lower())
    if not flat or flat in _PLAIN_NAMES:
        return False
    if any(part in flat for part in _SECRET_PARTS):
        return True
    words = {w.lower() for w in _WORDS.findall(name)}
    return bool(words & _SECRET_WORDS)


def needs_masking(path: str) -> bool:
    name = PurePath(path).name
    return name in ("connections.yaml", "connections.yml") or name == ".env" or name.startswith(".env.")


def mask_secrets(text: str, path: str) -> str:
    """`text` with the values of secret keys replaced by `***` (files that hold credentials only)."""
    if not needs_masking(path):
        return text
    if PurePath(path).name.startswith(".env"):
        return _mask_urls(_mask_dotenv(text))
    return _mask_urls(_mask_yaml(text))


# -- spans --------------------------------------------------------------------------------------


def _apply(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace each [start, end) span line by line with ***, keeping every newline."""
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in sorted(set(spans)):
        if start < last:  # nested in a span already masked
            start = last
            if start >= end:
                continue
        out.append(text[last:start])
        piece = text[start:end]
        out.append(
            re.sub(r"(?m)^([ \t]*)\S.*$", lambda m: m.group(1) + MASK, piece) if "\n" in piece else MASK
        )
        last = end
    out.append(text[last:])
    return "".join(out)


def _mask_urls(text: str) -> str:
    return _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


# -- connections.yaml ----------------------------------------------------------------------------


def _mask_yaml(text: str) -> str:
    import yaml  # here: the workbench's first frame shows no connections.yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError, ValueError):
        return _mask_every_value(text)
    if root is None:
        return text
    spans: list[tuple[int, int]] = []
    seen: set[int] = set()
    # (node, secret?): iterative, so nesting depth is no limit; aliases are visited once
    todo: list[tuple[yaml.Node, bool]] = [(root, False)]
    while todo:
        node, secret = todo.pop()
        key = (id(node), secret)
        if key in seen:
            continue
        seen.add(key)
        if isinstance(node, yaml.ScalarNode):
            if secret and node.value and not _REFERENCE.match(node.value.strip()):
                spans.append(_value_span(text, node))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, secret) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
                if secret and name.lower() == "type":
                    todo.append((value_node, False))  # credentials.type: which kind, not a secret
                    continue
                todo.append((value_node, secret or is_secret_name(str(name))))
    return _apply(text, spans)


def _value_span(text: str, node: yaml.ScalarNode) -> tuple[int, int]:
    start, end = node.start_mark.index, node.end_mark.index
    if node.style in ("|", ">"):  # a block scalar: keep its `|` indicator line, mask the lines below
        newline = text.find("\n", start, end)
        if newline >= 0:
            start = newline + 1
    return start, max(start, end)


def _mask_every_value(text: str) -> str:
    """A file that does not parse: keep only keys, list dashes and comments in view."""
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if not stripped or stripped.startswith("#"):
            out.append(line)
            continue
        match = re.match(r"^(-\s+)?([^:#\s][^:#]*:)(\s+|$)", stripped)
        if match:
            rest = stripped[match.end() :]
            out.append(indent + match.group(0) + (MASK if rest.strip() else ""))
        elif stripped.startswith("-"):
            out.append(indent + "- " + MASK)
        else:
            out.append(indent + MASK)
    return "\n".join(out)


# -- .env ------------------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^(?P<head>\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*)(?P<value>.*)$")


def _mask_dotenv(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _ENV_LINE.match(line)
        if not match:
            out.append(line)
            i += 1
            continue
        value = match.group("value")
        secret = is_secret_name(match.group("name"))
        quote = value[:1] if value[:1] in ("'", '"') else ""
        # a quoted value may span lines (PEM keys): it ends at the line holding the closing quote
        end = i
        if quote and not _closes(value[1:], quote):
            while end + 1 < len(lines) and not _closes(lines[end + 1], quote):
                end += 1
            end = min(end + 1, len(lines) - 1)
        if secret and value.strip() and not _REFERENCE.match(value.strip()):
            out.append(match.group("head") + MASK)
            out.extend(MASK for _ in range(end - i))  # the value's other lines
        else:
            out.extend(lines[i : end + 1])
        i = end + 1
    return "\n".join(out)


def _closes(rest: str, quote: str) -> bool:
    escaped = False
    for char in rest:
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return True
    return False
