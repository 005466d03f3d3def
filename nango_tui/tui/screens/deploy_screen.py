"""The deploy confirmation: what the server says a deploy changes; `y` deploys, anything else not.

    ok = await app.push_screen_wait(DeployConfirmScreen(env, host, lines))   # True only on `y`

`lines` are `remote.deploy.describe(differences)`: (text, destructive); destructive lines are
marked `!` in red and the title says the deploy deletes data.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def confirmation_text(env: str, host: str, lines: list[tuple[str, bool]], scripts: int) -> Text:
    """The sheet the dialog shows (tests and the screenshot read it)."""
    destructive = any(flag for _, flag in lines)
    text = Text()
    text.append(f"Deploy {scripts} script{'s' if scripts != 1 else ''} to ", "bold")
    text.append(env, "bold cyan")
    text.append(f" at {host}\n\n")
    if not lines:
        text.append("No sync or action is new or removed: the scripts are updated in place.\n", "dim")
    for line, flag in lines:
        text.append("! " if flag else "  ", "bold red" if flag else "")
        text.append(line + "\n", "red" if flag else "")
    text.append("\n")
    if destructive:
        text.append("This deploy deletes data. ", "bold red")
    text.append("y: deploy    n / escape: cancel", "bold")
    return text


class DeployConfirmScreen(ModalScreen[bool]):
    """Dismissed with True on `y` only."""

    BINDINGS = [
        Binding("y", "deploy", "Deploy", id="deploy_confirm.yes"),
        Binding("n,escape", "cancel", "Cancel", id="deploy_confirm.no"),
    ]

    def __init__(self, env: str, host: str, lines: list[tuple[str, bool]], scripts: int) -> None:
        super().__init__()
        self.env, self.host, self.lines, self.scripts = env, host, lines, scripts
        self.destructive = any(flag for _, flag in lines)

    def compose(self) -> ComposeResult:
        with Vertical(id="deploy-box") as box:
            box.border_title = "Deploy · deletes data" if self.destructive else "Deploy"
            box.border_subtitle = "y deploys · n cancels"
            with VerticalScroll(id="deploy-lines"):
                yield Static(
                    confirmation_text(self.env, self.host, self.lines, self.scripts), id="deploy-text"
                )

    def action_deploy(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
