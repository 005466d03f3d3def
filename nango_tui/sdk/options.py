"""The options of nango.proxy()/get()/.../paginate(): Nango's config dict or Python keywords.

Both spellings of a key are accepted (`base_url_override` and Nango's `baseUrlOverride`); an
unknown key is a `SdkUsageError` naming the closest known one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, Literal, cast

from ..runtime.request_options import RequestOptions
from .errors import SdkUsageError

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
HTTP_METHODS: tuple[HttpMethod, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE")


class ProxyConfig(RequestOptions, total=False):
    """What `nango.proxy(...)` and the other request methods take (Nango's ProxyConfiguration,
    snake_case; camelCase accepted at run time): the request's options plus what picks the call."""

    endpoint: str
    method: HttpMethod
    decompress: bool
    connection_id: str
    provider_config_key: str
    paginate: dict[str, Any]  # only for nango.paginate()


#: The first argument of the request methods: the endpoint, or Nango's whole config dict.
ProxyArgument = str | ProxyConfig | None

KNOWN = frozenset(ProxyConfig.__required_keys__ | ProxyConfig.__optional_keys__)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
ALIASES = {"body": "json", "baseUrl": "base_url_override"}


def snake(name: str) -> str:
    """`baseUrlOverride` -> `base_url_override` (snake_case names pass unchanged)."""
    return _CAMEL.sub("_", name).lower() if name not in KNOWN else name


def normalise(
    call: str, config: Any, options: Mapping[str, Any], *, allow_paginate: bool = False
) -> ProxyConfig:
    """One options dict from a positional endpoint-or-config and keywords (keywords win)."""
    merged: dict[str, Any] = {}
    if isinstance(config, dict):
        items = list(config.items())
    elif config is None:
        items = []
    elif isinstance(config, str):
        items = [("endpoint", config)]
    else:
        raise SdkUsageError(
            f"{call}(): the first argument is the endpoint ('/contacts') or a config dict, "
            f"not {type(config).__name__}"
        )
    for key, value in [*items, *options.items()]:
        if not isinstance(key, str):
            raise SdkUsageError(f"{call}(): option names are text, not {key!r}")
        name = ALIASES.get(key) or snake(key)
        if name not in KNOWN or (name == "paginate" and not allow_paginate):
            known = sorted(KNOWN - ({"paginate"} if not allow_paginate else set()))
            guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean `{guess[0]}`?" if guess else f" (known: {', '.join(known)})"
            raise SdkUsageError(f"{call}(): unknown option `{key}`{hint}")
        merged[name] = value
    endpoint = merged.get("endpoint")
    if not endpoint or not isinstance(endpoint, str):
        raise SdkUsageError(f"{call}(): `endpoint` is required (a path such as '/contacts')")
    method = str(merged.get("method") or "GET").upper()
    if method not in HTTP_METHODS:
        raise SdkUsageError(
            f"{call}(): method {merged.get('method')!r} is not one of {', '.join(HTTP_METHODS)}"
        )
    merged["method"] = method
    if merged.get("json") is not None and merged.get("data") is not None:
        raise SdkUsageError(f"{call}(): give the body as `data` or `json`, not both")
    retry_on = merged.get("retry_on")
    if retry_on is not None and (
        not isinstance(retry_on, (list, tuple)) or not all(isinstance(s, int) for s in retry_on)
    ):
        raise SdkUsageError(f"{call}(): `retry_on` is a list of status codes such as [403, 409]")
    return cast(ProxyConfig, merged)
