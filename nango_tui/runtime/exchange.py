"""What a `request` event shows of one HTTP exchange: headers and bodies, redacted and bounded.

Each body is cut to `BODY_LIMIT` bytes; `*_body_cut` says how many bytes were left out. The cost
is bounded by the limit whatever the body's size: only the first `BODY_LIMIT + MARGIN` bytes
are decoded and redacted, then cut at `BODY_LIMIT` (so a secret starting before the cut lies
whole inside the redacted part: a cut never shows half a secret). Sensitive headers
(Authorization, cookies, API-key headers...) are masked whole, every known secret value is
masked wherever it appears (`Redactor`), and in JSON bodies the values of secret-named keys
(`access_token`, `password`...) too. Bodies that are not text show as "<N bytes of TYPE>".
"""

from __future__ import annotations

import json
import re
from typing import Any

from .redaction import MASK, SENSITIVE_KEYS, Redactor

BODY_LIMIT = 64 * 1024  # bytes of each body a request event carries
MARGIN = 4096  # redacted beyond the cut, so that no secret (up to this long) is cut in half

# "secret_name": "value" in JSON text that is cut (and so cannot be parsed)
_SECRET_PAIR = re.compile(
    r'("(?:' + "|".join(re.escape(k) for k in sorted(SENSITIVE_KEYS)) + r')"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)

_QUOTED_KEYS = tuple(f'"{k.lower()}"' for k in sorted(SENSITIVE_KEYS))
# how those end ('ken"', 'key"'...): 4 finds rule out most texts (each find over 64 KiB: ~40 us)
_QUOTED_ENDINGS = tuple(sorted({key[-4:] for key in _QUOTED_KEYS}))
# characters that `re.IGNORECASE` matches with an ASCII letter though `str.lower` does not give it
_FOLD_TO_ASCII = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
# Those four endings made alike, in either case ([eokr] to "%", [nydt] to "#": each becomes
# '%%#"'), so that one find over ASCII text rules out most texts (~0.07 ms on 64 KiB, where
# lower() and the four finds took ~0.25 ms: once a page in a dryrun, issue 18).
_ENDINGS_ALIKE = bytes.maketrans(b"eokrEOKRnydtNYDT", b"%%%%%%%%########")
_ALIKE_ENDING = b'%%#"'


def _mask_secret_pairs(text: str) -> str:
    """`_SECRET_PAIR` applied; the regex (a few ms on 64 KiB) runs only when a sensitive key
    appears quoted in the text at all (C-speed finds decide that: first how such a key ends,
    then the keys)."""
    if text.isascii():
        if _ALIKE_ENDING not in text.encode("ascii").translate(_ENDINGS_ALIKE):
            return text
        probe = text.lower()
    else:
        probe = text.translate(_FOLD_TO_ASCII).lower()
    if not any(end in probe for end in _QUOTED_ENDINGS) or not any(key in probe for key in _QUOTED_KEYS):
        return text
    return _SECRET_PAIR.sub(rf'\1"{MASK}"', text)


def _decoded(content: bytes) -> str | None:
    """The body as text (a multi-byte character cut at the end is dropped); None when binary."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(content) - 3:
            return None  # not UTF-8 text
        text = content[: err.start].decode("utf-8", errors="ignore")
    return None if "\x00" in text else text


def body_fields(prefix: str, redactor: Redactor, content: bytes, content_type: str = "") -> dict[str, Any]:
    """`{prefix}_body` (redacted, at most BODY_LIMIT bytes) and `{prefix}_body_cut` if cut."""
    if not content:
        return {f"{prefix}_body": ""}
    head = content[: BODY_LIMIT + MARGIN]
    text = _decoded(head)
    if text is None:
        return {f"{prefix}_body": f"<{len(content):,} bytes of {content_type or 'binary data'}>"}
    whole = len(head) == len(content)
    if whole and text.lstrip()[:1] in ("{", "["):
        try:
            text = json.dumps(
                redactor.redact_value(json.loads(text)), ensure_ascii=False, separators=(",", ":")
            )
        except (ValueError, RecursionError):
            text = _mask_secret_pairs(text)
    else:
        text = _mask_secret_pairs(text)
    text = redactor.text(text)
    raw = text.encode("utf-8")
    if whole and len(raw) <= BODY_LIMIT:
        return {f"{prefix}_body": text}
    kept = raw[:BODY_LIMIT].decode("utf-8", errors="ignore")
    return {f"{prefix}_body": kept, f"{prefix}_body_cut": max(0, len(content) - len(kept.encode("utf-8")))}


def request_fields(
    redactor: Redactor, headers: Any, json_body: Any, data: Any, content: bytes | None
) -> dict[str, Any]:
    """The request side of a `request` event: headers and body, redacted and bounded."""
    if json_body is not None:
        raw = json.dumps(redactor.redact_value(json_body), ensure_ascii=False).encode("utf-8")
    elif data is not None:
        raw = json.dumps(redactor.redact_value(data), ensure_ascii=False).encode("utf-8")
    else:
        raw = content or b""
    fields = body_fields("request", redactor, raw)
    if not raw:
        fields["request_body"] = None
    return {"request_headers": redactor.headers(headers), **fields}


def response_fields(redactor: Redactor, headers: Any, content: bytes) -> dict[str, Any]:
    """The response side of a `request` event: headers and body, redacted and bounded."""
    fields = body_fields("response", redactor, content, headers.get("content-type", ""))
    return {"response_headers": redactor.headers(headers), **fields}
