"""The arguments of `nango-tui dryrun` (kept apart so `nango-tui --help` imports nothing heavy)."""

from __future__ import annotations

import argparse
import math


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help="the sync or action to run (as named in nango.yaml)")
    p.add_argument(
        "connection_id",
        metavar="CONNECTION_ID",
        help="the connection to run against (connections.yaml or the Nango server)",
    )
    p.add_argument(
        "-e",
        "--environment",
        default="dev",
        metavar="ENV",
        help="the environment of the connection (default: dev)",
    )
    p.add_argument("--integration-id", metavar="KEY", help="the integration, when NAME exists in several")
    p.add_argument("--input", metavar="JSON|@file", help="the action's input, as JSON or @file.json")
    p.add_argument(
        "--webhook",
        metavar="JSON|@file",
        help="run the sync's webhook handler (on_webhook) with this payload instead of fetch_data",
    )
    p.add_argument(
        "--metadata", metavar="JSON|@file", help="stub the connection's metadata with this JSON object"
    )
    p.add_argument(
        "--last-sync-date", metavar="DATE", help="the sync's last_sync_date (ISO date or date-time)"
    )
    p.add_argument("--validation", action="store_true", help="an invalid record fails the run")
    p.add_argument(
        "--save-responses",
        action="store_true",
        help="save every HTTP exchange to <integration>/mocks/<name>.json",
    )
    p.add_argument(
        "--replay",
        action="store_true",
        default=None,
        help="answer every request from the saved responses (no network)",
    )
    p.add_argument("--max-records", type=_positive_int, metavar="N", help="stop cleanly after N records")
    p.add_argument("--timeout", type=_positive_float, metavar="S", help="stop the run after S seconds")
    p.add_argument("--json", action="store_true", help="print the event stream as JSON lines")
    p.add_argument("--output", metavar="FILE", help="write every record to FILE as JSON lines")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


MAX_TIMEOUT = 7 * 24 * 3600.0  # a week: past that, say "no --timeout"


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if math.isnan(value) or value <= 0 or value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds more than 0 and at most {MAX_TIMEOUT:.0f} (a week); leave it out for no limit"
        )
    return value
