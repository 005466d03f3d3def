"""`nango-tui infer`: print the proposed nango.yaml diff and mapping; apply it when asked."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from nango_tui.console import Out

from .proposal import InferError, Proposal, apply, propose
from .schema import InferredModel
from .sources import SourceError, from_run_file

# (root, name, connection, integration) -> the records file of a run made now
RunNow = Callable[[Path, str, str, str | None], Path]


def _models_json(models: list[InferredModel]) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "fields": [
                {
                    "name": f.name,
                    "source": f.source,
                    "type": f.type,
                    "optional": f.optional,
                    "nullable": f.nullable,
                }
                for f in m.fields
            ],
        }
        for m in models
    ]


def _print(proposal: Proposal, out: Out) -> None:
    out.line(out.style(f"inferred from {proposal.source.described}", "dim"))
    if proposal.source.truncated:
        out.line(
            out.style("(only the first records were read: the source is larger than the limit)", "yellow")
        )
    diff = proposal.diff()
    if diff:
        for line in diff.splitlines():
            style = ("green",) if line.startswith("+") else ("red",) if line.startswith("-") else ()
            out.line(out.style(line, *style))
    else:
        out.line(
            f"nango.yaml already holds these models ({', '.join(proposal.unchanged)}): nothing to change"
        )
    out.line()
    out.line(proposal.mapping.rstrip())
    out.line()


def _ask(question: str) -> bool:
    sys.stdout.write(question)
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in {"y", "yes"}


def _refuse_actions(root: Path, name: str, integration: str | None) -> None:
    """An action needs its input: run it with `dryrun`, then infer from that run's recording."""
    from nango_tui.config import load_project

    project = load_project(root).partial
    found = project.find_script(name, integration) if project is not None else []
    if len(found) == 1 and found[0].kind == "action":
        raise InferError(
            f"{name} is an action: run it with its input first "
            f"(`nango-tui dryrun {name} CONNECTION --input JSON --save-responses`), then `nango-tui infer {name}`"
        )


def run_command(args: argparse.Namespace, run_now: RunNow | None = None) -> int:
    """The `infer` command; `run_now` makes a run when CONNECTION is given."""
    out = Out()
    err = Out(sys.stderr)
    root = Path(args.dir)
    if args.connection and args.from_recording:
        err.line(
            "nango-tui infer: --from-recording reads a saved recording; drop CONNECTION, or use --from-run"
        )
        return 2
    try:
        records = None
        if args.connection:
            if run_now is None:  # pragma: no cover - the CLI always passes it
                raise InferError("cannot run a script from here")
            _refuse_actions(root, args.name, args.integration_id)
            records_file = run_now(root, args.name, args.connection, args.integration_id)
            records = from_run_file(records_file, args.model)
        source: Literal["auto", "run", "recording"] = (
            "run" if args.from_run else "recording" if args.from_recording else "auto"
        )
        proposal = propose(
            root, args.name, integration=args.integration_id, model=args.model, source=source, records=records
        )
    except (InferError, SourceError) as exc:
        err.line(f"nango-tui infer: {exc}")
        return 1
    if args.json:
        out.line(
            json.dumps(
                {
                    "source": proposal.source.described,
                    "model": proposal.model,
                    "models": _models_json(proposal.inference.models),
                    "replaced": proposal.replaced,
                    "added": proposal.added,
                    "unchanged": proposal.unchanged,
                    "diff": proposal.diff(),
                    "mapping": proposal.mapping,
                }
            )
        )
        return 0
    _print(proposal, out)
    if not proposal.changed:
        return 0
    wanted = args.apply or (
        not args.no_apply and sys.stdin.isatty() and _ask("Write nango.yaml and regenerate models.py? [y/N] ")
    )
    if not wanted:
        out.line("nothing written (run again with --apply to write nango.yaml and models.py)")
        return 0
    try:
        result = apply(proposal)
    except InferError as exc:
        err.line(f"nango-tui infer: {exc}")
        return 1
    out.line(
        f"wrote nango.yaml ({', '.join(proposal.replaced + proposal.added)})"
        + (" and models.py" if result.models_py_written else "")
    )
    if result.pending:
        out.line("models.py is not regenerated until nango.yaml's other errors are fixed:")
        for problem in result.pending:
            out.line(f"  {problem}")
    for problem in result.problems:
        err.line(problem)
    return 1 if result.problems else 0
