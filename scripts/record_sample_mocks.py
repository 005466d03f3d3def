"""Re-record the saved responses of sample-integrations/ against the local provider imitations.

    .venv/bin/python scripts/record_sample_mocks.py [--dir sample-integrations] [NAME...]

For each sample script it copies the folder to a temporary one, writes a connections.yaml there
that points each integration at its imitation (tests/fake_providers, started on 127.0.0.1 with
a fake token), runs `dryrun --save-responses` with the inputs below, and copies the resulting
`<integration>/mocks/<name>.json` back. The imitation's address is then replaced by the real
provider's base URL in the mocks (replay matches requests by path, query and body, not by host),
so a re-recording only changes what really changed. It fails if a token ends up in a mocks file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fake_providers.samples import GITHUB_REPO, PUBLIC_BASE, TOKENS, all_providers, connections_yaml  # noqa: E402

# (integration, script, input, metadata, last_sync_date)
RECORDINGS = [
    ("salesforce", "contacts", None, None, None),
    ("salesforce", "fetch-fields", {"id": "0035g00000Xk001AAA"}, None, None),
    ("github", "issues", None, GITHUB_REPO, None),
    (
        "github",
        "create-issue",
        {
            "title": "Widgets vanish after an import",
            "body": "Steps: import a CSV of widgets, reload.",
            "labels": ["bug"],
        },
        GITHUB_REPO,
        None,
    ),
    ("linear", "issues", None, None, None),
    ("linear", "teams", None, None, None),
]


async def record_one(work: Path, integration: str, name: str, input, metadata, last_sync_date) -> dict:
    """Run one dryrun with --save-responses in `work`; its `done` event."""
    from nango_tui.dryrun import DryrunRequest, start_dryrun

    request = DryrunRequest(
        root=work,
        name=name,
        connection_id=f"{integration}-demo",
        integration=integration,
        input=input,
        metadata=metadata,
        last_sync_date=last_sync_date,
        save_responses=True,
        replay=False,
        timeout=60,
    )
    run = await start_dryrun(request)
    errors = []
    async for event in run.events():
        if event["type"] == "error":
            errors.append(event.get("message"))
    if run.done is None or run.done.get("status") != "ok":
        raise SystemExit(f"recording {integration}/{name} failed: {'; '.join(errors) or run.done}")
    return run.done


def publish(source: Path, target: Path, fake_url: str, integration: str) -> None:
    """Copy a recorded mocks file, the imitation's address replaced by the provider's."""
    text = source.read_text(encoding="utf-8").replace(fake_url, PUBLIC_BASE[integration])
    for token in TOKENS.values():
        if token in text:
            raise SystemExit(f"{source}: a token reached the saved responses; not copying it")
    mocks = json.loads(text)  # still valid JSON
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(mocks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=str(REPO / "sample-integrations"), help="the samples folder")
    parser.add_argument("names", nargs="*", help="only these scripts (name or integration/name)")
    args = parser.parse_args(argv)
    root = Path(args.dir).resolve()
    chosen = [r for r in RECORDINGS if not args.names or r[1] in args.names or f"{r[0]}/{r[1]}" in args.names]
    if not chosen:
        parser.error(f"no recording called {', '.join(args.names)}")
    with tempfile.TemporaryDirectory(prefix="nango-record-") as tmp:
        for integration, name, input, metadata, last_sync_date in chosen:
            # fresh imitations per recording: create-issue must not change what issues sees
            with all_providers() as servers:
                work = Path(tmp) / f"{integration}-{name}"
                shutil.copytree(
                    root, work, ignore=shutil.ignore_patterns(".nango", "__pycache__", "mocks", ".env")
                )
                (work / "connections.yaml").write_text(connections_yaml(servers), encoding="utf-8")
                done = asyncio.run(record_one(work, integration, name, input, metadata, last_sync_date))
                publish(
                    work / integration / "mocks" / f"{name}.json",
                    root / integration / "mocks" / f"{name}.json",
                    servers[integration].url,
                    integration,
                )
            print(
                f"recorded {integration}/mocks/{name}.json: {done.get('requests')} requests, {done.get('records')} records"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
