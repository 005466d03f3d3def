"""Where the server is and which key opens an environment (Nango CLI's rules), and one JSON call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFAULT_HOST = "http://localhost:3003"


class ClientError(Exception):
    """A one-paragraph message for the user; the command exits 1."""


def settings(root: Path, environment: str) -> tuple[str, str]:
    """(host, secret key) from the shell or the folder's .env; NANGO_HOSTPORT defaults to localhost:3003."""
    from nango_tui.runtime.connections import environment as env_vars

    env = env_vars(root)
    host = (env.get("NANGO_HOSTPORT") or DEFAULT_HOST).rstrip("/")
    if "api.nango.dev" in host or "nango.dev" in host.split("//")[-1].split("/")[0]:
        raise ClientError(
            f"NANGO_HOSTPORT is {host}: Nango's cloud cannot run Python scripts. Start `nango-tui serve` and "
            f"point NANGO_HOSTPORT at it (default {DEFAULT_HOST})"
        )
    if not host.startswith(("http://", "https://")):
        raise ClientError(f"NANGO_HOSTPORT must be an http(s) URL, not {host!r}")
    var = f"NANGO_SECRET_KEY_{environment.upper().replace('-', '_')}"
    key = env.get(var)
    if not key:
        raise ClientError(
            f"{var} is not set: export it (or add it to .env) with the key `nango-tui serve` printed for `{environment}`"
        )
    return host, key


def call(
    method: str, host: str, key: str, path: str, body: Any = None, timeout: float = 60.0
) -> tuple[int, Any]:
    """One request; (status, parsed JSON or text). ClientError when the server cannot be reached."""
    import httpx

    try:
        with httpx.Client(timeout=timeout, verify=tls_context()) as client:
            response = client.request(
                method,
                f"{host}{path}",
                content=json.dumps(body).encode() if body is not None else None,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
    except httpx.HTTPError as exc:
        raise ClientError(
            f"cannot reach the server at {host} ({type(exc).__name__}); is `nango-tui serve` running?"
        ) from None
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text[:500]


def error_text(status: int, body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        text = f"{err.get('code')}: {err.get('message') or ''}".strip()
        for item in (err.get("errors") or [])[:10]:
            path = ".".join(str(p) for p in item.get("path", []))
            text += f"\n  {path}: {item.get('message')}"
        return f"the server answered {status}: {text}"
    return f"the server answered {status}: {body}"


_TLS: Any = None


def tls_context() -> Any:
    """One verifying TLS context per process (httpx builds one per client: ~40-60 ms of CPU)."""
    global _TLS
    if _TLS is None:
        import httpx

        _TLS = httpx.create_ssl_context()
    return _TLS
