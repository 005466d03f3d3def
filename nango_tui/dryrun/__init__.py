"""Run one sync or action in a child process and stream its events (see runner.py).

    from nango_tui.dryrun import DryrunRequest, DryrunSetupError, start_dryrun
    run = await start_dryrun(DryrunRequest(root, "contacts", "my-connection"))
    async for event in run.events(): ...      # ends with exactly one `done`
    await run.cancel()                        # the child is gone within 1 s

Names are imported lazily so the child process (`python -m nango_tui.dryrun.child`) starts
without the parent's machinery.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a fresh interpreter ~3 ms: `nango-tui test` imports this first
if TYPE_CHECKING:
    from typing import Any

_EXPORTS = {
    "DryrunRequest": "request",
    "DryrunSetupError": "request",
    "DryrunRun": "runner",
    "start_dryrun": "runner",
    "begin_dryrun": "runner",
    "run_sync": "runner",
    "Tally": "events",
    "HumanRenderer": "render",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nango_tui.dryrun' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"nango_tui.dryrun.{module}"), name)
