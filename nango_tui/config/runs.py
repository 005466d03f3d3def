"""Parse a sync's `runs` ("every hour", "every 30min", "every half hour") into seconds."""

from __future__ import annotations

import functools
import re

MIN_SECONDS = 30

_UNITS: dict[str, int] = {}
for _names, _secs in (
    (("ms", "msec", "msecs", "millisecond", "milliseconds"), 0),
    (("s", "sec", "secs", "second", "seconds"), 1),
    (("m", "min", "mins", "minute", "minutes"), 60),
    (("h", "hr", "hrs", "hour", "hours"), 3600),
    (("d", "day", "days"), 86400),
    (("w", "week", "weeks"), 7 * 86400),
    (("y", "yr", "yrs", "year", "years"), 365 * 86400),
):
    for _name in _names:
        _UNITS[_name] = _secs

_AMOUNT_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z]+)$")
_WORDS = {"half hour": 1800, "half an hour": 1800, "quarter hour": 900}


class RunsError(ValueError):
    """`runs` could not be understood, or is too frequent."""


@functools.lru_cache(maxsize=1024)  # a big nango.yaml repeats a few schedules thousands of times
def parse_runs(text: str) -> int:
    """Seconds between runs; raises RunsError with a message a newcomer understands."""
    raw = text
    text = " ".join(text.strip().lower().split())
    if not text.startswith("every "):
        raise RunsError(f'"{raw}" is not a schedule: `runs` must start with "every", e.g. "every hour"')
    rest = text[len("every ") :].strip()
    seconds: float | None = None
    if rest in _WORDS:
        seconds = _WORDS[rest]
    elif rest in _UNITS and _UNITS[rest] > 0:
        seconds = _UNITS[rest]
    else:
        total = 0.0
        matched = False
        # allow "1h30m" and "1 hour 30 minutes"
        for part in re.findall(r"\d+(?:\.\d+)?\s*[a-z]+", rest):
            m = _AMOUNT_RE.match(part.strip())
            if not m or m.group(2) not in _UNITS:
                matched = False
                break
            total += float(m.group(1)) * (_UNITS[m.group(2)] or 0.001)
            matched = True
        if matched and re.sub(r"\d+(?:\.\d+)?\s*[a-z]+", "", rest).strip() == "":
            seconds = total
    if seconds is None:
        raise RunsError(
            f'cannot understand the schedule "{raw}"; write it like "every hour", "every 30min", '
            '"every half hour" or "every 6 hours"'
        )
    if seconds < MIN_SECONDS:
        raise RunsError(f'"{raw}" is too frequent: a sync can run at most every {MIN_SECONDS} seconds')
    return int(seconds)
