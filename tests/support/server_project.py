"""A small integrations folder for server tests: no HTTP, behaviour driven by the connection's metadata.

`items` (full, track_deletes) saves metadata.count records `{id: "i<k>", n: k + metadata.shift}` in
batches of metadata.batch with metadata.delay seconds between them, and fails after metadata.fail_after
records when set. `fail` raises ActionError({"reason": "bad input", "id": ...}); `echo` returns its input.
"""

from __future__ import annotations

from pathlib import Path

NANGO_YAML = """\
integrations:
    acme:
        syncs:
            items:
                runs: every 30min
                sync_type: full
                track_deletes: true
                output: Item
                endpoint: GET /items
        actions:
            echo:
                input: Item
                output: Item
                endpoint: POST /echo
            fail:
                input: IdEntity
                output: Item
                endpoint: POST /fail
models:
    IdEntity:
        id: string
    Item:
        id: string
        n: number
"""

ITEMS = """\
import asyncio

from nango_tui.sdk import NangoSync

from models import Item


async def fetch_data(nango: NangoSync) -> None:
    meta = await nango.get_metadata()
    count = int(meta.get("count", 10))
    batch = int(meta.get("batch", 100))
    delay = float(meta.get("delay", 0))
    shift = int(meta.get("shift", 0))
    fail_after = meta.get("fail_after")
    await nango.log("last_sync_date", nango.last_sync_date)
    done = 0
    while done < count:
        size = min(batch, count - done)
        await nango.batch_save([Item(id=f"i{k}", n=k + shift) for k in range(done, done + size)], "Item")
        done += size
        if fail_after is not None and done >= int(fail_after):
            raise RuntimeError("failed on purpose")
        if delay:
            await asyncio.sleep(delay)
"""

ECHO = """\
from nango_tui.sdk import NangoAction

from models import Item


async def run_action(nango: NangoAction, input: Item) -> Item:
    return input
"""

FAIL = """\
from nango_tui.sdk import ActionError, NangoAction

from models import IdEntity, Item


async def run_action(nango: NangoAction, input: IdEntity) -> Item:
    raise ActionError({"reason": "bad input", "id": input.id})
"""


def write_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "nango.yaml").write_text(NANGO_YAML)
    for rel, text in {
        "acme/syncs/items.py": ITEMS,
        "acme/actions/echo.py": ECHO,
        "acme/actions/fail.py": FAIL,
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def connection_body(connection_id: str = "c1", **metadata) -> dict:
    return {
        "provider_config_key": "acme",
        "connection_id": connection_id,
        "provider": "acme",
        "credentials": {"type": "API_KEY", "apiKey": "sk-test-secret-value"},
        "connection_config": {"base_url": "http://127.0.0.1:9"},
        "metadata": metadata,
    }


def acme_headers(connection_id: str = "c1") -> dict:
    return {"Connection-Id": connection_id, "Provider-Config-Key": "acme"}
