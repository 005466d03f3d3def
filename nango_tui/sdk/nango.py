"""NangoAction and NangoSync: the object a script receives (docs/sdk.md)."""

from __future__ import annotations

from .action import LOG_LEVELS, NangoAction, format_log_args
from .sync import NangoSync

__all__ = ["LOG_LEVELS", "NangoAction", "NangoSync", "format_log_args"]
