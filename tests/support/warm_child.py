"""One warm dryrun child (zygote) per test process for the workbench and Dryrun pane tests.

A workbench started under Pilot starts a zygote a second after its first frame
(`WorkbenchApp.start_warm_dryrun_child`): `python -m nango_tui.dryrun.zygote`, ~0.45 s of CPU for
its interpreter and imports, in nearly every Pilot test, most of which never run a dryrun (26
zygotes in 33 workbench tests). The `shared_warm_child` fixture (tests/conftest.py) makes
`Zygote.start` lend this process's one zygote instead: each app gets its own parent-side handle
(`BorrowedZygote`: its own event loop binding, its own runs) on the same real process and socket,
so a dryrun is still a real fork of a real zygote with real pipes, guard and sandbox. Closing the
handle ends the runs it forked (as the end of an app's own zygote would) and leaves the process
for the next app. `warm_dryrun_children` makes a handle the runner's default (`use_zygote`) for a
test: the Dryrun pane tests' runs fork from it, as the workbench's do after its warm-up, instead
of each starting a cold interpreter. What a fresh zygote's own life does (start, end with its
socket) and cold children stay tested where they are the subject: tests/test_dryrun_process.py,
tests/test_dryrun.py and tests/test_web.py start their own.
"""

from __future__ import annotations

import contextlib
import os
import signal

from nango_tui.dryrun.zygote import Zygote

_start = Zygote.start  # the real one, before the fixture replaces it
_shared: dict[bool, Zygote] = {}  # replay -> this process's zygote


class BorrowedZygote(Zygote):
    """One app's handle on the shared zygote process."""

    def __init__(self, shared: Zygote) -> None:
        super().__init__(shared._proc, shared._sock)
        self._shared = shared

    def close(self) -> None:
        if not self._detach():  # the shared process and its socket stay for the next app
            return
        for pid in list(self._children):  # a run forked by this app ends with it, as with its own zygote
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if self._starting or self._buffer:
            # a reply is owed to this handle: the next one would read it as its own
            self._shared.close()


def borrow(env: dict[str, str] | None = None, *, replay: bool = False) -> Zygote:
    """`Zygote.start`'s stand-in: a handle on this process's zygote (started on first use)."""
    shared = _shared.get(replay)
    if shared is None or not shared.alive:
        shared = _shared[replay] = _start(env, replay=replay)
    return BorrowedZygote(shared)


def close_all() -> None:
    """End the shared zygotes (at the end of the session)."""
    for shared in _shared.values():
        shared.close()
    _shared.clear()
