"""Helpers for the dryrun pane tests and benchmark (no tests here).

`write_project` writes a small integrations folder whose scripts need no HTTP: a sync that
makes `records` records and `logs` log lines (from its metadata), a sync that saves a few
records then blocks (a deterministic "in progress"), a sync with invalid records, and an
action that raises ActionError for the id "boom". `PaneApp` mounts the pane alone and keeps
every message the pane posts.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer

from nango_tui.config import load_project
from nango_tui.tui.screens.dryrun_dialog import DryrunDialog
from nango_tui.tui.widgets.dryrun_pane import DryrunPane
from tests.support.paths import REPO

DRYRUN_TCSS = REPO / "nango_tui" / "tui" / "dryrun.tcss"
SECRET = "k-SECRET-93ab71c2"

NANGO_YAML = """\
integrations:
  demo:
    syncs:
      contacts:
        runs: every hour
        output: Contact
        endpoint: GET /contacts
      blocks:
        runs: every hour
        output: Contact
        endpoint: GET /blocks
      sloppy:
        runs: every hour
        output: Contact
        endpoint: GET /sloppy
    actions:
      lookup:
        input: IdEntity
        output: Contact
        endpoint: GET /lookup
  other:
    syncs:
      tickets:
        runs: every hour
        output: Ticket
        endpoint: GET /tickets
models:
  IdEntity:
    id: string
  Contact:
    id: string
    first_name: string
    last_name: string
    email?: string | null
  Ticket:
    id: string
    title: string
"""

MODELS_PY = """\
from __future__ import annotations
from typing import Optional
from pydantic import BaseModel, ConfigDict


class IdEntity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    first_name: str
    last_name: str
    email: Optional[str] = None


class Ticket(BaseModel):
    id: str
    title: str


MODELS = {"IdEntity": IdEntity, "Contact": Contact, "Ticket": Ticket}
"""

CONNECTIONS_YAML = f"""\
environments:
  dev:
    connections:
      local:
        integration: demo
        provider: demo
        base_url: http://127.0.0.1:9
        credentials: {{type: API_KEY, api_key: {SECRET}}}
      second:
        integration: demo
        provider: demo
        base_url: http://127.0.0.1:9
        credentials: {{type: API_KEY, api_key: {SECRET}}}
  prod:
    connections:
      live:
        integration: demo
        provider: demo
        base_url: http://127.0.0.1:9
        credentials: {{type: API_KEY, api_key: {SECRET}}}
"""

CONTACTS_SYNC = """\
from nango_tui.sdk import NangoSync
from models import Contact


async def fetch_data(nango: NangoSync) -> None:
    meta = await nango.get_metadata() or {}
    total, logs = int(meta.get("records", 10)), int(meta.get("logs", 10))
    for start in range(0, max(total, logs), 1000):
        for i in range(start, min(start + 1000, logs)):
            await nango.log(f"fetched item {i}", level="error" if i % 100 == 7 else "info")
        batch = [
            Contact(id=f"c{i}", first_name=f"First{i}", last_name=f"Last{i}", email=None)
            for i in range(start, min(start + 1000, total))
        ]
        if batch:
            await nango.batch_save(batch, "Contact")
"""

BLOCKS_SYNC = """\
import asyncio
from nango_tui.sdk import NangoSync
from models import Contact


async def fetch_data(nango: NangoSync) -> None:
    await nango.log("saving the first page")
    await nango.batch_save([Contact(id=f"c{i}", first_name="Grace", last_name=f"Hopper{i}") for i in range(5)], "Contact")
    await nango.log("waiting for the next page", level="warn")
    await asyncio.sleep(3600)
"""

SLOPPY_SYNC = """\
from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    await nango.batch_save([
        {"id": "ok1", "first_name": "A", "last_name": "B"},
        {"id": 5, "first_name": "C"},
        {"first_name": 3, "last_name": "D"},
    ], "Contact")
"""

LOOKUP_ACTION = """\
from nango_tui.sdk import NangoAction, ActionError
from models import IdEntity, Contact


async def run_action(nango: NangoAction, input: IdEntity) -> Contact:
    if input.id == "boom":
        raise ActionError({"message": "no contact boom", "code": 404})
    return Contact(id=input.id, first_name="Ada", last_name="Lovelace")
"""

TICKETS_SYNC = """\
async def fetch_data(nango):
    await nango.batch_save([{"id": "t1", "title": "First"}], "Ticket")
"""


def write_project(root: Path) -> Path:
    """The integrations folder described in the module docstring; returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nango.yaml").write_text(NANGO_YAML)
    (root / "models.py").write_text(MODELS_PY)
    (root / "connections.yaml").write_text(CONNECTIONS_YAML)
    files = {
        "demo/syncs/contacts.py": CONTACTS_SYNC,
        "demo/syncs/blocks.py": BLOCKS_SYNC,
        "demo/syncs/sloppy.py": SLOPPY_SYNC,
        "demo/actions/lookup.py": LOOKUP_ACTION,
        "other/syncs/tickets.py": TICKETS_SYNC,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def load(root: Path):
    result = load_project(root)
    assert result.project is not None, result.diagnostics
    return result.project


class PaneApp(App):
    """The dryrun pane alone, with a footer; records the messages the pane posts."""

    CSS_PATH = [str(DRYRUN_TCSS)]

    def __init__(self, project, starter=None) -> None:
        super().__init__()
        self.project = project
        self.starter = starter
        self.messages: list = []

    def compose(self) -> ComposeResult:
        yield DryrunPane(self.project, starter=self.starter)
        yield Footer()

    def on_mount(self) -> None:
        self.theme = "textual-dark"

    @property
    def pane(self) -> DryrunPane:
        return self.query_one(DryrunPane)

    def on_dryrun_pane_run_started(self, message: DryrunPane.RunStarted) -> None:
        self.messages.append(message)

    def on_dryrun_pane_run_finished(self, message: DryrunPane.RunFinished) -> None:
        self.messages.append(message)

    def on_dryrun_pane_progress(self, message: DryrunPane.Progress) -> None:
        self.messages.append(message)

    def on_dryrun_pane_records_saved(self, message: DryrunPane.RecordsSaved) -> None:
        self.messages.append(message)

    def of(self, kind: type) -> list:
        return [m for m in self.messages if isinstance(m, kind)]


UNSET = object()


class DialogApp(App):
    """The dryrun dialog alone; `result` is what it was dismissed with (UNSET while open)."""

    CSS_PATH = [str(DRYRUN_TCSS)]

    def __init__(self, dialog_args) -> None:
        super().__init__()
        self.dialog_args = dialog_args
        self.result = UNSET

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.push_screen(DryrunDialog(*self.dialog_args[0], **self.dialog_args[1]), self._dismissed)

    def _dismissed(self, result) -> None:
        self.result = result

    @property
    def dialog(self) -> DryrunDialog:
        assert isinstance(self.screen, DryrunDialog)
        return self.screen


def make_dialog_app(root, name, environment="dev", defaults=None) -> DialogApp:
    """A DialogApp for script `name` of the project at `root`."""
    project = load(root)
    script = project.find_script(name)[0]
    return DialogApp(((project, script, root, environment), {"defaults": defaults}))
