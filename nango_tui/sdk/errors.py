"""Errors a script raises or meets."""

from __future__ import annotations

from typing import Any


class ActionError(Exception):
    """Raised by an action to fail with a payload the caller sees (Nango's ActionError)."""

    type = "action_script_runtime_error"

    def __init__(self, payload: Any = None) -> None:
        self.payload = payload
        if isinstance(payload, dict) and isinstance(payload.get("message"), str):
            text = payload["message"]
        elif isinstance(payload, str):
            text = payload
        else:
            import json

            text = json.dumps(payload, default=str)
        super().__init__(text)


class SdkUsageError(Exception):
    """A script used the SDK wrongly (unknown model, a model that is not an output, bad paginate...)."""


class RecordLimitReached(Exception):
    """max_records records have been saved; the run ends cleanly ("limit reached")."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"record limit reached: {limit} records")


class InvalidRecordsError(Exception):
    """With validation on, a batch held invalid records (each already reported as an `invalid` event)."""

    def __init__(self, model: str, count: int, first_error: str = "") -> None:
        self.model = model
        self.count = count
        detail = f": {first_error}" if first_error else ""
        super().__init__(f"{count} invalid {model} record{'s' if count != 1 else ''}{detail}")


class InvalidInputError(Exception):
    """With validation on, the action's input does not match nango.yaml's `input`."""
