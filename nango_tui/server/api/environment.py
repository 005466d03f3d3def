"""Our addition: `GET /environment` and `PATCH /environment` (webhook URLs of the key's environment)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..storage import environments as envs
from .common import ApiError, authed, db, json_body


@authed
async def get_environment(request: Request, env: envs.Environment) -> Response:
    fresh = await db(request, lambda c: envs.by_name(c, env.name))
    assert fresh is not None  # the request's own environment (authed found it)
    return JSONResponse(
        {
            "name": fresh.name,
            "webhook_url": fresh.webhook_url,
            "webhook_url_secondary": fresh.webhook_url_secondary,
            "always_notify": fresh.always_notify,
        }
    )


@authed
async def patch_environment(request: Request, env: envs.Environment) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "the body must be an object")
    urls = {}
    for field in ("webhook_url", "webhook_url_secondary"):
        value = body.get(field, getattr(env, field))
        if value is not None and (
            not isinstance(value, str) or not value.startswith(("http://", "https://"))
        ):
            raise ApiError(400, "invalid_body", f"`{field}` must be an http(s) URL or null")
        urls[field] = value
    always = body.get("always_notify", env.always_notify)
    if not isinstance(always, bool):
        raise ApiError(400, "invalid_body", "`always_notify` must be a boolean")
    await db(
        request,
        lambda c: envs.set_webhooks(c, env.id, urls["webhook_url"], urls["webhook_url_secondary"], always),
        write=True,
    )
    return await get_environment(request)
