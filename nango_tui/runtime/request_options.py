"""How one HTTP call is sent: the one options type of `HttpClient.request`, the SDK's request
methods (proxy/get/post/put/patch/delete/paginate, through `sdk.options.ProxyConfig`) and the
paginator. `None` for a key means its default, as leaving it out does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict, cast

ResponseType = Literal["json", "text", "arraybuffer", "blob", "stream", "document"]


class RequestOptions(TypedDict, total=False):
    """The options that shape one request (Nango's ProxyConfiguration, snake_case)."""

    params: Any  # query: dict, pairs or "a=1&b=2"
    headers: dict[str, Any] | None
    data: Any  # the body: dict/list as JSON, str/bytes as they are (runtime/body.py)
    json: Any  # the body as JSON (httpx's name)
    retries: int | None
    base_url_override: str | None
    response_type: ResponseType | None
    retry_on: list[int] | None
    retry_header: dict[str, Any] | None  # {"at": header(s)} (epoch) or {"after": header(s)} (seconds)


REQUEST_OPTION_NAMES = frozenset(RequestOptions.__required_keys__ | RequestOptions.__optional_keys__)


def request_options(options: Mapping[str, Any]) -> RequestOptions:
    """The keys of `options` that shape the request (the others pick a connection, a page...)."""
    return cast(RequestOptions, {k: v for k, v in options.items() if k in REQUEST_OPTION_NAMES})
