"""Helpers for the dryrun tests and benchmarks: a local HTTP API and an integrations folder.

The API is a handler on the tests' one HTTP server (127.0.0.1, real sockets). The folder is written by
hand: nango.yaml, models.py (with MODELS, as codegen writes it), connections.yaml and scripts.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.http_server import LocalServer, Reply, Request

TOKEN = "tok-SECRET-4f9a2c7e1b"  # must never appear in any output or saved file
NANGO_SECRET = "nango-sk-7d1e0b9c55"  # the fake Nango server's secret key: never shown either


def contacts(n: int, start: int = 0) -> list[dict]:
    return [
        {"id": f"c{i}", "first_name": f"First{i}", "last_name": f"Last{i}", "email": f"p{i}@example.com"}
        for i in range(start, start + n)
    ]


class Api(LocalServer):
    """A tiny paginated API: /contacts?cursor=N (pages), /contact-fields?id=..., /bad-records;
    /connection/* and /integrations/* imitate a Nango server. Started by `with Api() as api`."""

    def __init__(self, total: int = 7, page_size: int = 3) -> None:
        super().__init__(self._answer, name="dryrun-api")
        self.total = total
        self.page_size = page_size

    def _answer(self, request: Request) -> Reply:
        if request.path.startswith(("/connection/", "/integrations/")):  # a fake Nango server
            return self._nango(request)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _json(401, {"error": "unauthorized"})
        if request.path == "/contacts":
            return Reply(
                200, self.page(int(request.arg("cursor") or 0)), {"content-type": "application/json"}
            )
        if request.path == "/contact-fields":
            if request.arg("id") == "missing":
                return _json(404, {"error": "no such contact"})
            fields = [{"name": "email", "label": "Email", "type": "string"}]
            return _json(200, {"id": request.arg("id"), "fields": fields})
        if request.path == "/bad-records":
            bad = [{"id": "ok1", "first_name": "A", "last_name": "B"}, {"id": 5}, {"first_name": 3}]
            return _json(200, {"data": bad})
        if request.path == "/echo-token":
            return _json(200, {"data": [], "leak": TOKEN})
        return _json(404, {"error": "not found"})

    def _nango(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {NANGO_SECRET}":
            return _json(401, {"error": "unknown secret key"})
        if request.path == "/integrations/demo":
            return _json(200, {"data": {"unique_key": "demo", "provider": "demo"}})
        if request.path == "/connection/remote":
            return _json(
                200,
                {
                    "connection_id": "remote",
                    "provider_config_key": "demo",
                    "provider": "demo",
                    "credentials": {"type": "OAUTH2", "access_token": TOKEN},
                    "connection_config": {"base_url": self.url},
                    "metadata": {"from": "nango"},
                },
            )
        return _json(404, {"error": "unknown connection"})

    def page(self, start: int) -> bytes:
        """The page starting at record `start` (built on demand: the server's memory stays flat)."""
        if start >= self.total:
            return b'{"data":[],"next":null}'
        n = min(self.page_size, self.total - start)
        nxt = start + self.page_size if start + self.page_size < self.total else None
        return json.dumps({"data": contacts(n, start), "next": None if nxt is None else str(nxt)}).encode()


class PreparedApi(Api):
    """The same API with every page of /contacts built once, before it serves: the same bytes
    (records, sizes, cursors) as `Api.page`, served without its ~3 ms of CPU a page of 1,000
    (benchmarks: the API shares the measured command's cores, where a real API runs elsewhere)."""

    def __init__(self, total: int = 7, page_size: int = 3) -> None:
        super().__init__(total, page_size)
        self.pages = {start: Api.page(self, start) for start in range(0, max(total, 1), page_size)}

    def page(self, start: int) -> bytes:
        prepared = self.pages.get(start)
        return prepared if prepared is not None else Api.page(self, start)


def _json(status: int, body: object) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"content-type": "application/json"})


MODELS_PY = """\
from __future__ import annotations
from typing import Any, Optional
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


class ContactField(BaseModel):
    name: str
    label: str
    type: str
    value: Any = None


class ContactFields(BaseModel):
    id: str
    fields: list[ContactField]


MODELS = {"IdEntity": IdEntity, "Contact": Contact, "ContactField": ContactField, "ContactFields": ContactFields}
"""

CONTACTS_SYNC = """\
from nango_tui.sdk import NangoSync
from models import Contact


async def fetch_data(nango: NangoSync) -> None:
    await nango.log("starting", {"since": str(nango.last_sync_date)})
    async for page in nango.paginate(endpoint="/contacts", paginate={"type": "cursor", "cursor_path_in_response": "next", "cursor_name_in_request": "cursor", "response_path": "data"}):
        await nango.batch_save([Contact(**c) for c in page], "Contact")
"""

FETCH_FIELDS_ACTION = """\
from nango_tui.sdk import NangoAction, ActionError
from models import IdEntity, ContactFields


async def run_action(nango: NangoAction, input: IdEntity) -> ContactFields:
    if input.id == "boom":
        raise ActionError({"message": "cannot fetch boom", "code": 42})
    if input.id == "wrong":
        return {"id": 1}
    response = await nango.get("/contact-fields", params={"id": input.id})
    return ContactFields(**response.json())
"""

# name -> script source; every one is a sync with output Contact
FAULT_SYNCS = {
    "raises": "async def fetch_data(nango):\n    x = 1\n    raise ValueError('bad value here')\n",
    "exits": "import sys\n\nasync def fetch_data(nango):\n    sys.exit(3)\n",
    "os-exits": "import os\n\nasync def fetch_data(nango):\n    os._exit(4)\n",
    "loops": "async def fetch_data(nango):\n    n = 0\n    while True:\n        n += 1\n",
    "sleeps": "import asyncio\n\nasync def fetch_data(nango):\n    await asyncio.sleep(0.01)\n    await asyncio.sleep(3600)\n",
    "prints": (
        'import sys, os\n\nasync def fetch_data(nango):\n    print(\'hello from print\')\n    print(\'{"type": "done", "status": "ok"}\')\n'
        "    sys.stderr.write('to stderr\\n')\n    os.write(1, b'raw fd write\\n')\n"
        "    await nango.batch_save([{'id': 'p1', 'first_name': 'P', 'last_name': 'Q'}], 'Contact')\n"
    ),
    "memory": "async def fetch_data(nango):\n    hog = []\n    while True:\n        hog.append(bytearray(50_000_000))\n",
    "selfkill": "import os, signal\n\nasync def fetch_data(nango):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    "segfault": "import ctypes\n\nasync def fetch_data(nango):\n    ctypes.string_at(0)\n",
    "invalid": (
        "async def fetch_data(nango):\n    r = await nango.get('/bad-records')\n"
        "    await nango.batch_save(r.json()['data'], 'Contact')\n"
        "    await nango.log('after the batch')\n"
    ),
    "leaks": (
        "import os\n\nasync def fetch_data(nango):\n    conn = await nango.get_connection()\n    print('token is', conn['credentials']['access_token'])\n"
        "    os.write(2, ('raw stderr ' + conn['credentials']['access_token'] + '\\n').encode())\n"
        "    os.write(1, ('raw stdout ' + conn['credentials']['access_token'] + '\\n').encode())\n"
        "    r = await nango.get('/echo-token')\n    await nango.log(r.json())\n    raise RuntimeError('failing with ' + conn['credentials']['access_token'])\n"
    ),
    "no-entry": "def something_else():\n    pass\n",
    "chatty": "async def fetch_data(nango):\n    for i in range(2000):\n        print('line', i)\n",
    "meta": "async def fetch_data(nango):\n    await nango.log('meta', await nango.get_metadata(), 'since', nango.last_sync_date.isoformat())\n",
    "syntax": "async def fetch_data(nango):\n    x = (\n",
}


def nango_yaml(extra_syncs: list[str]) -> str:
    lines = [
        "integrations:",
        "  demo:",
        "    syncs:",
        "      contacts:",
        "        runs: every hour",
        "        output: Contact",
        "        endpoint: GET /contacts",
    ]
    for i, name in enumerate(extra_syncs):
        lines += [
            f"      {name}:",
            "        runs: every hour",
            "        output: Contact",
            f"        endpoint: GET /fault-{i}",
        ]
    lines += [
        "    actions:",
        "      fetch-fields:",
        "        input: IdEntity",
        "        output: ContactFields",
        "        endpoint: GET /contact-fields",
        "models:",
        "  IdEntity:",
        "    id: string",
        "  Contact:",
        "    id: string",
        "    first_name: string",
        "    last_name: string",
        "    email?: string | null",
        "  ContactField:",
        "    name: string",
        "    label: string",
        "    type: string",
        "    value?: any",
        "  ContactFields:",
        "    id: string",
        "    fields: ContactField[]",
    ]
    return "\n".join(lines) + "\n"


def connections_yaml(base_url: str, replay: bool = False) -> str:
    return (
        "environments:\n  dev:\n    connections:\n"
        f"      local:\n        integration: demo\n        provider: demo\n        base_url: {base_url}\n"
        f"        credentials: {{type: OAUTH2, access_token: {TOKEN}}}\n"
        + (
            f"      demo-replay:\n        integration: demo\n        provider: demo\n        base_url: {base_url}\n        replay: true\n"
            if replay
            else ""
        )
    )


def write_project(root: Path, base_url: str, contacts_sync: str = CONTACTS_SYNC) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "nango.yaml").write_text(nango_yaml(list(FAULT_SYNCS)))
    (root / "models.py").write_text(MODELS_PY)
    (root / "connections.yaml").write_text(connections_yaml(base_url, replay=True))
    syncs = root / "demo" / "syncs"
    actions = root / "demo" / "actions"
    syncs.mkdir(parents=True, exist_ok=True)
    actions.mkdir(parents=True, exist_ok=True)
    (syncs / "contacts.py").write_text(contacts_sync)
    (actions / "fetch-fields.py").write_text(FETCH_FIELDS_ACTION)
    for name, source in FAULT_SYNCS.items():
        (syncs / f"{name}.py").write_text(source)
    return root


FAULT_SYNCS["spawns"] = (  # logs the pid its child has outside the run's PID namespace, if any
    "import subprocess, sys\n\nasync def fetch_data(nango):\n"
    "    child = subprocess.Popen([sys.executable, '-c', 'import os, time; print(os.readlink(\"/proc/self\"), flush=True); time.sleep(60)'], stdout=subprocess.PIPE)\n"
    "    await nango.log('pid', int(child.stdout.readline()))\n"
)
