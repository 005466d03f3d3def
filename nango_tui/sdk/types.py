"""Types scripts may use in annotations: the paginate dict's keys (Nango's names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypedDict


class PaginateConfig(TypedDict, total=False):
    """`nango.paginate(..., paginate=PaginateConfig(...))`; what is left out comes from the provider."""

    type: Literal["cursor", "link", "offset"]
    limit: int
    limit_name_in_request: str
    response_path: str  # dotted path to the records in the body ("data.items")
    in_body: bool  # paging parameters in the JSON body (default: yes for POST/PUT/PATCH, no for GET)
    on_page: Callable[[dict[str, Any]], Any]  # called after each page with {"next_page_param", "response"}
    cursor_path_in_response: str
    cursor_name_in_request: str
    link_rel_in_response_header: str
    link_path_in_response_body: str
    offset_name_in_request: str
    offset_start_value: int
    offset_calculation_method: Literal["per-page", "by-response-size"]
