"""What the inspector shows of an HTTP exchange or a record, as lines; copy-as-curl.

No Textual here. A request event (see `runtime/exchange.py`) carries both sides' headers and
bodies, already redacted and cut at 64 KiB by the runtime; this only lays them out.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from rich.text import Text

PRETTY_UP_TO = 1 << 20  # JSON bodies up to this size are indented (Python's indenting encoder is slow)
FOLD = 1000  # characters a line of a body too big to indent is folded at


def pretty_body(text: str | None) -> list[str]:
    """A body's lines: JSON indented (2 spaces), anything else as it came. A body over
    PRETTY_UP_TO is shown as it came, long lines folded (the runtime's events carry 64 KiB)."""
    if not text:
        return []
    if len(text) > PRETTY_UP_TO:
        return [line[i : i + FOLD] for line in text.splitlines() for i in range(0, max(len(line), 1), FOLD)]
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False).splitlines()
        except (ValueError, RecursionError):
            pass
    return text.splitlines()


def _size(n: Any) -> str:
    if not isinstance(n, (int, float)):
        return "?"
    return f"{n:,.0f} B" if n < 1024 else f"{n / 1024:,.1f} KB" if n < 1 << 20 else f"{n / (1 << 20):,.1f} MB"


def _headers(headers: Any) -> list[Text]:
    if not isinstance(headers, dict) or not headers:
        return [Text("  (none)", "dim")]
    out = []
    for name, value in headers.items():
        line = Text("  ")
        line.append(f"{name}: ", "cyan")
        line.append(str(value))
        out.append(line)
    return out


def _body(event: dict, side: str, pretty: list[str] | None) -> list[Text | str]:
    if f"{side}_body" not in event:
        return [Text("  (not kept: the pane keeps the bodies of the first 200 requests of a run)", "dim")]
    body = event.get(f"{side}_body")
    if body is None:
        return [Text("  (no body)", "dim")]
    if body == "":
        return [Text("  (empty)", "dim")]
    lines: list[Text | str] = list(pretty if pretty is not None else body.splitlines())
    cut = event.get(f"{side}_body_cut")
    if cut:
        lines.append(
            Text(
                f"… {_size(cut)} more not shown: a request event carries the first 64 KiB of a body", "yellow"
            )
        )
    return lines


def request_lines(event: dict, response_pretty: list[str] | None = None) -> list[Text | str]:
    """The whole exchange: the summary, then request headers/body, then response headers/body."""
    status = event.get("status")
    head = Text()
    head.append(f"{event.get('method', '?')} ", "bold")
    head.append(str(event.get("url", "")))
    lines: list[Text | str] = [head]
    facts = Text()
    style = (
        "green"
        if isinstance(status, int) and status < 300
        else "yellow"
        if isinstance(status, int) and status < 400
        else "red"
    )
    facts.append(str(status) if status is not None else "no response", f"bold {style}")
    facts.append(
        f" · {event.get('ms') or 0:,.0f} ms · attempt {event.get('attempt') or 1} · {_size(event.get('bytes'))}"
    )
    if event.get("error"):
        facts.append(f" · {event['error']}", "red")
    lines.append(facts)
    lines.append(Text(""))
    if "request_headers" not in event:
        lines.append(
            Text("This run's events carry no headers or bodies (recorded by an older version).", "dim")
        )
        return lines
    lines.append(Text("Request headers", "bold"))
    lines += _headers(event.get("request_headers"))
    lines.append(Text("Request body", "bold"))
    lines += _body(event, "request", pretty_body(event.get("request_body")))
    lines.append(Text(""))
    lines.append(Text("Response headers", "bold"))
    lines += _headers(event.get("response_headers"))
    lines.append(Text("Response body", "bold"))
    lines += _body(event, "response", response_pretty)
    return lines


def as_curl(event: dict) -> str:
    """The request as a curl command line (masked values stay masked: put your token in)."""
    parts = ["curl", "-X", str(event.get("method", "GET")), shlex.quote(str(event.get("url", "")))]
    for name, value in (event.get("request_headers") or {}).items():
        if name.lower() in ("content-length", "host", "accept-encoding", "connection"):
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = event.get("request_body")
    if body:
        parts += ["--data-raw", shlex.quote(body)]
    return " ".join(parts)


def record_lines(title: str, record: Any) -> list[Text | str]:
    """A record (or any JSON value) with a title line."""
    return [Text(title, "bold"), *json.dumps(record, indent=2, ensure_ascii=False, default=str).splitlines()]
