"""`nango-tui infer`'s arguments (light: the parser is built for every `--help`)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help="the sync or action whose records to infer from")
    p.add_argument(
        "connection",
        metavar="CONNECTION",
        nargs="?",
        help="run NAME against this connection now and infer from that run (demo connections replay offline)",
    )
    p.add_argument("--integration-id", help="the integration, when NAME is in several")
    p.add_argument("--model", metavar="NAME", help="the model to write (default: the script's output model)")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--from-run",
        action="store_true",
        help="infer from the records of the script's last run (.nango/runs)",
    )
    src.add_argument(
        "--from-recording",
        action="store_true",
        help="infer from the API's responses saved in <integration>/mocks/NAME.json (the default when it exists)",
    )
    act = p.add_mutually_exclusive_group()
    act.add_argument("--apply", action="store_true", help="write nango.yaml and models.py without asking")
    act.add_argument(
        "--no-apply", action="store_true", help="only show the proposal (the default when piped)"
    )
    p.add_argument(
        "--json", action="store_true", help="print the proposal as one JSON object (implies --no-apply)"
    )
