"""What a `request` event shows of one HTTP exchange: headers and bodies, redacted and bounded.

Each body is cut to `BODY_LIMIT` bytes (after redaction, so a cut never halves a secret into
view); `*_body_cut` says how many bytes were left out. Sensitive headers (Authorization,
cookies, API-key headers...) are masked whole and every known secret value is masked wherever
it appears (`Redactor`). Bodies that are not text are shown as "<N bytes of TYPE>".
"""

from __future__ import annotations

import json
from typing import Any

from .redaction import Redactor

BODY_LIMIT = 64 * 1024  # bytes of each body a request event carries
JSON_PARSED_UP_TO = 4 * 1024 * 1024  # bigger JSON bodies are masked by secret value only


def body_fields(prefix: str, text: str | None) -> dict[str, Any]:
    """`{prefix}_body` (cut to BODY_LIMIT bytes) and `{prefix}_body_cut` when it was cut."""
    if text is None:
        return {f"{prefix}_body": None}
    raw = text.encode("utf-8")
    if len(raw) <= BODY_LIMIT:
        return {f"{prefix}_body": text}
    kept = raw[:BODY_LIMIT].decode("utf-8", errors="ignore")
    return {f"{prefix}_body": kept, f"{prefix}_body_cut": len(raw) - len(kept.encode("utf-8"))}


def _text_of(content: bytes, content_type: str) -> str:
    if not content:
        return ""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(content):,} bytes of {content_type or 'binary data'}>"
    if "\x00" in text:
        return f"<{len(content):,} bytes of {content_type or 'binary data'}>"
    return text


def request_fields(
    redactor: Redactor, headers: Any, json_body: Any, data: Any, content: bytes | None
) -> dict[str, Any]:
    """The request side of a `request` event: headers and body, redacted and bounded."""
    if json_body is not None:
        body: str | None = json.dumps(redactor.redact_value(json_body), ensure_ascii=False)
    elif data is not None:
        body = json.dumps(redactor.redact_value(data), ensure_ascii=False)
    elif content:
        body = redactor.text(_text_of(content, ""))
    else:
        body = None
    return {"request_headers": redactor.headers(headers), **body_fields("request", body)}


def response_fields(redactor: Redactor, headers: Any, content: bytes) -> dict[str, Any]:
    """The response side of a `request` event: headers and body, redacted and bounded.

    A JSON body also has the values of secret-named keys masked (`access_token`, `password`...),
    as a request body has: a token endpoint's answer must not reach the screen either."""
    text = _text_of(content, headers.get("content-type", ""))
    if len(content) <= JSON_PARSED_UP_TO and text[:1] in ("{", "["):
        try:
            text = json.dumps(
                redactor.redact_value(json.loads(text)), ensure_ascii=False, separators=(",", ":")
            )
        except (ValueError, RecursionError):
            pass
    text = redactor.text(text)
    return {"response_headers": redactor.headers(headers), **body_fields("response", text)}
