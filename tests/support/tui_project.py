"""Projects the workbench tests open: written here so that snapshots stay deterministic."""

from __future__ import annotations

import shutil
from pathlib import Path

from nango_tui.codegen import render_models
from nango_tui.config import load_project
from tests.support.paths import SAMPLES

CLEAN_YAML = """\
integrations:
    acme:
        syncs:
            customers:
                description: Fetches every customer
                runs: every hour
                sync_type: full
                output: Customer
                endpoint: GET /customers
        actions:
            create-customer:
                description: Creates one customer
                input: NewCustomer
                output: Customer
                endpoint: POST /customers
models:
    NewCustomer:
        name: string
        email?: string
    Customer:
        id: string
        name: string
        email: string | null
        tier: gold | silver
"""

SYNC_SOURCE = '''\
"""Every customer of Acme."""

from nango_tui.sdk import NangoSync

from models import Customer


async def fetch_data(nango: NangoSync) -> None:
    async for page in nango.paginate("/customers", paginate={"type": "cursor"}):
        customers = [Customer(id=c["id"], name=c["name"], email=c.get("email"), tier=c["tier"]) for c in page]
        await nango.batch_save(customers, "Customer")
'''

ACTION_SOURCE = '''\
"""Create one customer."""

from nango_tui.sdk import NangoAction

from models import Customer, NewCustomer


async def run_action(nango: NangoAction, input: NewCustomer) -> Customer:
    body = (await nango.post("/customers", json=input.model_dump())).json()
    return Customer(id=body["id"], name=body["name"], email=body.get("email"), tier="silver")
'''

# nango.yaml with two config errors (an unknown model, a bad schedule) and a broken script
BROKEN_YAML = CLEAN_YAML.replace(
    "output: Customer\n                endpoint: GET", "output: Client\n                endpoint: GET"
).replace("runs: every hour", "runs: every 5 seconds")
BROKEN_SCRIPT = ACTION_SOURCE.replace(
    "async def run_action(nango: NangoAction, input: NewCustomer) -> Customer:",
    "async def run_action(nango: NangoAction, input: NewCustomer) -> Customer\n",
)


def write_project(root: Path, yaml_text: str = CLEAN_YAML, action_source: str = ACTION_SOURCE) -> Path:
    """An `acme` project with one sync and one action (and models.py when codegen is present)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nango.yaml").write_text(yaml_text)
    (root / "acme" / "syncs").mkdir(parents=True, exist_ok=True)
    (root / "acme" / "actions").mkdir(parents=True, exist_ok=True)
    (root / "acme" / "syncs" / "customers.py").write_text(SYNC_SOURCE)
    (root / "acme" / "actions" / "create-customer.py").write_text(action_source)
    project = load_project(root).project
    if project is not None:
        (root / "models.py").write_text(render_models(project))
    return root


def copy_samples(dest: Path) -> Path:
    """A private copy of sample-integrations (tests never touch the real one)."""
    shutil.copytree(SAMPLES, dest, ignore=shutil.ignore_patterns(".nango", "__pycache__"))
    return dest
