"""The workbench's footer: Textual's Footer that says when its keys are first on the screen."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Footer


class WorkbenchFooter(Footer):
    """Posts `KeysShown` once, after the recompose that first puts its keys on the screen: the
    workbench's first full frame. What is not on that frame waits for it (`WorkbenchApp.warm_up`)."""

    class KeysShown(Message):
        """The footer's keys are composed: the next refresh draws the first full frame."""

    _keys_shown = False

    async def recompose(self) -> None:
        await super().recompose()
        if not self._keys_shown and self.children:
            self._keys_shown = True
            self.post_message(self.KeysShown())
