"""Timestamps as fixed-width UTC strings with microseconds, so string order is time order.

`2026-11-30T06:37:53.123456Z` (27 characters) in every table and cursor, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

WIDTH = 27


def now() -> str:
    """The current time, fixed width."""
    return stamp(datetime.now(UTC))


def stamp(value: datetime) -> str:
    """A datetime as the fixed-width string (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(value: str) -> datetime:
    """Any ISO 8601 time (a date alone is midnight UTC); ValueError when it is not one."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def after(value: str, seconds: float) -> str:
    """`value` moved on by `seconds`."""
    return stamp(parse(value) + timedelta(seconds=seconds))


def iso_ms(value: str | None) -> str | None:
    """A stored time as Nango prints it (milliseconds, `Z`)."""
    if value is None:
        return None
    return value[:23] + "Z"
