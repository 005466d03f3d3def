"""Errors the runtime raises; each carries a `kind` matching a dryrun `error` event kind.

Every message is already redacted: no credential ever reaches an exception text.
"""

from __future__ import annotations

from typing import Any


class RuntimeFailure(Exception):
    """Base of the runtime's errors. `kind` is the dryrun `error` kind to report it under."""

    kind = "http"


class HttpError(RuntimeFailure):
    """A response with an error status that was not (or no longer) retried.

    `status` is the HTTP status, `body` the provider's error body (parsed JSON when it is JSON,
    else text; redacted), `method`/`url` the request (URL redacted). `response` is the response
    itself, as in Nango (`err.response.status`, `.data`, `.headers`); None when there was none.
    """

    kind = "http"

    def __init__(
        self, method: str, url: str, status: int, body: Any, attempts: int = 1, response: Any = None
    ) -> None:
        self.response = response
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        self.attempts = attempts
        super().__init__(self._message())

    def _message(self) -> str:
        body = self.body
        if not isinstance(body, str):
            import json

            body = json.dumps(body, ensure_ascii=False, default=str)
        if len(body) > 2000:
            body = body[:2000] + "..."
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.method} {self.url} failed with status {self.status}{tries}: {body or '(empty body)'}"


class RequestFailed(RuntimeFailure):
    """No response at all: connection refused or reset, timeout, DNS... after every retry."""

    kind = "http"

    def __init__(self, method: str, url: str, reason: str, attempts: int = 1) -> None:
        self.method = method
        self.url = url
        self.reason = reason
        self.attempts = attempts
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"{method} {url} failed{tries}: {reason}")


class ReplayMiss(RuntimeFailure):
    """A request during a replay that the saved responses do not hold."""

    kind = "replay"

    def __init__(self, method: str, url: str, mocks_file: str | None = None, hint: str = "") -> None:
        self.method = method
        self.url = url
        where = f" in {mocks_file}" if mocks_file else ""
        text = f"no saved response for {method} {url}{where}"
        if hint:
            text += f"; {hint}"
        super().__init__(text)


class ConnectionProblem(RuntimeFailure):
    """The connection cannot be found or used (bad connections.yaml, Nango server error, no base URL...)."""

    kind = "connection"


class ConnectionNotFound(ConnectionProblem):
    """No connection with that id in the environment; the message lists the ones there are."""

    def __init__(self, message: str, available: list[str] | None = None) -> None:
        self.available = list(available or [])
        super().__init__(message)


class MocksFileError(RuntimeFailure):
    """The saved responses file is missing or not a valid mocks file."""

    kind = "replay"
