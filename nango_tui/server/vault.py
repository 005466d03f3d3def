"""Encryption at rest (credentials, environment keys) with a key kept outside the database.

The key is `NANGO_TUI_ENCRYPTION_KEY` (a Fernet key) when set, else `<data>/encryption.key`,
created 0600 at first start. Losing it makes the stored credentials unreadable (push them again).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets as _secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = "encryption.key"
ENV_KEY = "NANGO_TUI_ENCRYPTION_KEY"


class Vault:
    """Encrypts and decrypts small JSON values."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def open(cls, data_dir: Path) -> Vault:
        """The vault of a data folder (the env variable wins; else the key file, made on first use)."""
        from_env = os.environ.get(ENV_KEY)
        if from_env:
            return cls(from_env.encode())
        path = Path(data_dir) / KEY_FILE
        if not path.exists():
            write_private(path, Fernet.generate_key().decode())
        return cls(path.read_text().strip().encode())

    def seal(self, value: Any) -> str:
        return self._fernet.encrypt(json.dumps(value).encode()).decode()

    def open_value(self, token: str | None) -> Any:
        if not token:
            return None
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ValueError("stored credentials cannot be decrypted: the encryption key changed") from None


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600 from the start, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def key_hash(key: str) -> str:
    """How a secret key is looked up (sha256 hex)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_secret_key() -> str:
    """A fresh environment secret key (uuid-shaped like Nango's)."""
    raw = _secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
