"""The workbench's footer: Textual's Footer, recomposed only when what it shows changes, and
saying when its keys are first on the screen."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Footer


class WorkbenchFooter(Footer):
    """Textual's Footer recomposes on every focus change (13-60 ms of remounting and restyling
    its keys, also when they stay the same: moving between panes, starting a dryrun). This one
    skips a recompose that would show the same keys. It posts `KeysShown` once, after the
    recompose that first puts its keys on the screen: the workbench's first full frame; what is
    not on that frame waits for it (`WorkbenchApp.warm_up`)."""

    class KeysShown(Message):
        """The footer's keys are composed: the next refresh draws the first full frame."""

    _keys_shown = False
    _first_composed = False  # the keys were composed once (Textual's own flag is private)
    _shown: Any = None  # what the keys on the screen were composed from
    recomposes = 0  # recomposes done (tests read it)

    def shown_keys(self) -> Any:
        """What `compose` would draw now, as a comparable value (None: the keys are not ready)."""
        if not self._first_composed:
            return None
        app = self.app
        keys = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                tooltip,
                (binding.group.description, binding.group.compact) if binding.group else None,
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
        )
        return keys, self.show_command_palette, self.compact, app.ENABLE_COMMAND_PALETTE

    def compose(self) -> ComposeResult:
        if not self._first_composed and self.is_attached:
            # Textual's Footer composes nothing until the screen says its bindings changed, then
            # recomposes after a refresh: the first frame had no keys and a second one came for
            # them. The screen's and the app's keys are known now: say so as the screen would
            # (the recompose it asks for after the refresh finds the same keys and is skipped);
            # a focus change that adds keys recomposes as before.
            self._first_composed = True
            self.bindings_changed(self.screen)
        self._shown = self.shown_keys()
        for widget in super().compose():
            if self.compact and type(widget).__name__ == "FooterKey":  # not public in Textual 8.2
                # each key sets this class on itself once mounted (its `compact` watcher), which
                # restyled it: set beforehand, the watcher finds it there and restyles nothing
                widget.set_class(True, "-compact", update=False)
            yield widget

    def on_mount(self) -> None:
        super().on_mount()
        self._announce()

    def _announce(self) -> None:
        if not self._keys_shown and self.children:
            self._keys_shown = True
            self.post_message(self.KeysShown())

    async def recompose(self) -> None:
        shown = self.shown_keys()
        if shown is not None and shown == self._shown and self.children:
            return  # the same keys: nothing to remount
        self.recomposes += 1
        await super().recompose()
        self._announce()
