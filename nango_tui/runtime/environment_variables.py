"""nango.get_environment_variables(): connections.yaml's variables, or the Nango server's."""

from __future__ import annotations

from typing import Any

from .connections import file_environment_variables
from .errors import ConnectionProblem


async def environment_variables(ctx: Any) -> dict[str, str]:
    """The environment's variables as {name: value}."""
    conn = ctx.connection
    if conn.source == "nango" and conn.nango_host and conn.nango_secret_key:
        import httpx

        try:
            from .http import tls_context

            async with httpx.AsyncClient(timeout=ctx.http_timeout, verify=tls_context()) as client:
                response = await client.get(
                    f"{conn.nango_host}/environment-variables",
                    headers={"Authorization": f"Bearer {conn.nango_secret_key}"},
                )
        except httpx.HTTPError as err:
            raise ConnectionProblem(
                f"cannot reach the Nango server at {conn.nango_host}: {type(err).__name__}"
            ) from None
        if response.status_code >= 400:
            raise ConnectionProblem(
                f"the Nango server at {conn.nango_host} answered {response.status_code} to GET /environment-variables"
            )
        body = response.json()
        items = body if isinstance(body, list) else body.get("data", []) if isinstance(body, dict) else []
        return {str(i.get("name")): str(i.get("value")) for i in items if isinstance(i, dict)}
    return file_environment_variables(ctx.root, ctx.environment)
