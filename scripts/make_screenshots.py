"""Rewrite screenshots/*.svg: the workbench's main screens on a copy of sample-integrations.

    .venv/bin/python scripts/make_screenshots.py

Runs the app headless (Textual's test driver) at a fixed size and theme, drives it with the
same keys a user presses, and saves each screen as SVG. The dryrun uses the demo connections,
which replay the saved responses: no network, no account.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nango_tui.tui.app import WorkbenchApp  # noqa: E402

OUT = REPO / "screenshots"
THEME = "textual-dark"
SIZE = (110, 34)


async def wait_until(pilot, predicate, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise SystemExit(f"timed out while taking screenshots ({predicate})")
        await pilot.pause(0.05)


def copy_samples(dest: Path) -> Path:
    shutil.copytree(
        REPO / "sample-integrations", dest, ignore=shutil.ignore_patterns(".nango", "__pycache__")
    )
    return dest


async def shoot(root: Path, name: str, keys, size=SIZE, watch: bool = False, ready=None, after=None) -> None:
    app = WorkbenchApp(root, watch=watch, theme=THEME)
    async with app.run_test(size=size) as pilot:
        if watch:
            await wait_until(pilot, lambda: "DiagnosticsUpdated" in app.messages_seen)
        for key in keys:
            if key == "wait-run":  # the dryrun started by the keys before has ended
                await wait_until(pilot, lambda: "RunFinished" in app.messages_seen)
                await pilot.pause(0.3)
                continue
            await pilot.press(key)
            await pilot.pause(0.05)
        if ready is not None:
            await wait_until(pilot, lambda: ready(app))
        await pilot.pause(0.3)
        app.save_screenshot(f"{name}.svg", str(OUT))
        if after is not None:
            await after(pilot)
    print(f"screenshots/{name}.svg")


def is_screen(name: str):
    return lambda app: type(app.screen).__name__ == name


async def main() -> int:
    OUT.mkdir(exist_ok=True)
    os.environ["NANGO_TUI_KEYMAP"] = str(OUT / "no-such-keymap.yaml")  # the default keys, whoever runs it
    os.environ.pop("NANGO_TUI_THEME", None)
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_samples(Path(tmp) / "sample-integrations")
        # 1. the workbench on the samples, a sync selected
        await shoot(root, "workbench", ["down", "down"], watch=True)
        # 2. the dryrun dialog, then 3. the finished run
        await shoot(
            root,
            "dryrun-dialog",
            ["down", "down", "d"],
            ready=lambda app: is_screen("DryrunDialog")(app) and getattr(app.screen, "_connections", None),
        )
        await shoot(
            root,
            "dryrun-done",
            ["down", "down", "d", "ctrl+j"],
            ready=lambda app: "RunFinished" in app.messages_seen,
        )
        # 3b. the request inspector on that run (Requests tab, enter), and 3c. a record at 80x24
        await shoot(
            root,
            "request-inspector",
            [
                "down",
                "down",
                "d",
                "ctrl+j",
                "wait-run",
                "right_square_bracket",
                "right_square_bracket",
                "enter",
            ],
            ready=is_screen("RequestInspector"),
        )
        await shoot(
            root,
            "dryrun-80x24",
            ["down", "down", "d", "ctrl+j", "wait-run", "down", "down", "z"],
            size=(80, 24),
        )
        # 4. the command palette
        await shoot(root, "palette", ["ctrl+p", *"dryrun"], ready=is_screen("CommandPalette"))
        # 5. help for the focused pane
        await shoot(root, "help", ["f1"], ready=is_screen("HelpScreen"))
        # 6. 80x24
        await shoot(root, "80x24", ["down", "down", "f3", "down"], size=(80, 24))
        # 7. problems: a mistake in nango.yaml and one in a script
        config = root / "nango.yaml"
        config.write_text(config.read_text().replace("runs: every 30min", "runs: every 10 seconds", 1))
        script = root / "salesforce" / "syncs" / "contacts.py"
        script.write_text(
            script.read_text().replace(
                "async def fetch_data(nango: NangoSync)", "def fetch_data(nango: NangoSync)", 1
            )
        )
        await shoot(root, "problems", ["f4"], watch=True)
    with tempfile.TemporaryDirectory() as tmp:
        await deployments(Path(tmp))
    return 0


async def deployments(tmp: Path) -> None:
    """8. the Deployments pane against a real `serve`: the deploy confirmation, the tree with a
    connection's sync open, and served records at 80x24."""
    from nango_tui.tui.deployments_view import NodeRef
    from tests.support.server_process import ServerProcess

    root = copy_samples(tmp / "sample-integrations")
    with ServerProcess(tmp / "data") as server:
        assert server.cli("connections", "push", "dev", "--dir", str(root)).stdout
        os.environ["NANGO_HOSTPORT"] = server.url
        os.environ["NANGO_SECRET_KEY_DEV"] = server.keys["dev"]
        await shoot(root, "deploy-confirm", ["f6", "D"], ready=is_screen("DeployConfirmScreen"))
        assert server.cli("deploy", "dev", "--dir", str(root), "--auto-confirm").returncode == 0
        headers = {"Connection-Id": "salesforce-demo", "Provider-Config-Key": "salesforce"}
        server.wait_for(lambda: server.get("/records?model=Contact", headers=headers).json()["records"])

        async def open_contacts(app, pilot) -> None:
            pane = app.deployments_pane
            await wait_until(
                pilot, lambda: pane.tree.node_for(NodeRef("script", "dev", "salesforce", "contacts", "sync"))
            )
            for ref in (
                NodeRef("script", "dev", "salesforce", "contacts", "sync"),
                NodeRef("sync", "dev", "salesforce", "contacts", "sync", "salesforce-demo"),
            ):
                await wait_until(pilot, lambda r=ref: pane.tree.node_for(r))
                pane.tree.node_for(ref).expand()
            model = NodeRef("model", "dev", "salesforce", "contacts", "sync", "salesforce-demo", "Contact")
            await wait_until(pilot, lambda: pane.tree.node_for(model))
            await wait_until(
                pilot, lambda: any(n.data.kind == "run" for n in pane.tree.node_for(model).parent.children)
            )
            await pilot.pause(0.2)
            sync = pane.tree.node_for(
                NodeRef("sync", "dev", "salesforce", "contacts", "sync", "salesforce-demo")
            )
            pane.tree.move_cursor(sync)
            return pane.tree.node_for(model)

        for name, size, browse in (("deployments", SIZE, False), ("served-records-80x24", (80, 24), True)):
            app = WorkbenchApp(root, watch=False, theme=THEME)
            async with app.run_test(size=size) as pilot:
                await pilot.press("f6")
                model_node = await open_contacts(app, pilot)
                if browse:
                    app.deployments_pane.tree.move_cursor(model_node)
                    await pilot.pause(0.2)
                    await pilot.press("enter")
                    await wait_until(pilot, lambda app=app: getattr(app.screen, "loads", 0) >= 1)
                await pilot.pause(0.4)
                app.save_screenshot(f"{name}.svg", str(OUT))
            print(f"screenshots/{name}.svg")


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
