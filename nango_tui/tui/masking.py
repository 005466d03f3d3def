"""Keep secrets written in connections.yaml or .env off the screen when the script pane shows them."""

from __future__ import annotations

import re
from pathlib import PurePath

MASK = "***"
_SECRET_WORD = r"(?:access_token|refresh_token|id_token|api_key|apikey|api_token|password|passwd|client_secret|secret|secret_key|private_key|token)"
# `key: value` in YAML (also `- key: value` and flow `{key: value, ...}` members)
_YAML_PAIR = re.compile(
    r"(?P<key>(?<![\w-])" + _SECRET_WORD + r"\s*:\s*)(?P<value>\$\{[^}]*\}|\"[^\"]*\"|'[^']*'|[^\s,}#]+)",
    re.IGNORECASE,
)
# `NAME=value` in .env, where NAME mentions a secret
_ENV_PAIR = re.compile(
    r"^(?P<key>\s*(?:export\s+)?[A-Za-z0-9_]*(?:TOKEN|SECRET|KEY|PASSWORD|PASSWD)[A-Za-z0-9_]*\s*=\s*)(?P<value>.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_REFERENCE = re.compile(r"^[\"']?\$\{[A-Za-z_][A-Za-z0-9_]*\}[\"']?$")


def _mask(match: re.Match) -> str:
    value = match.group("value")
    if _REFERENCE.match(value.strip()):
        return match.group(0)  # `${GITHUB_TOKEN}` names a variable: no secret in it
    return match.group("key") + MASK


def needs_masking(path: str) -> bool:
    name = PurePath(path).name
    return name in ("connections.yaml", "connections.yml") or name == ".env" or name.startswith(".env.")


def mask_secrets(text: str, path: str) -> str:
    """`text` with the values of secret-looking keys replaced by `***` (files that hold credentials only)."""
    if not needs_masking(path):
        return text
    if PurePath(path).name.startswith(".env"):
        return _ENV_PAIR.sub(_mask, text)
    return _YAML_PAIR.sub(_mask, text)
