"""Waiting on a Textual app under Pilot for a condition (never for a fixed time), and reading its screen."""

from __future__ import annotations

import time
from collections.abc import Callable


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 60.0, step: float = 0.05) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds, naming the condition.

    The timeout only bounds a failing test: the suite runs in parallel on machines other work loads."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition.__doc__ or condition}")
        await pilot.pause(step)


async def until(predicate: Callable[[], object], pilot, timeout: float = 60.0) -> None:
    """`wait_for` with the arguments the other way round (the workbench tests' spelling)."""
    await wait_for(pilot, predicate, timeout)


async def wait_for_text(pilot, app, *texts: str, timeout: float = 60.0) -> str:
    """Let the app run until its screen shows every one of `texts` (a repaint may trail the state it
    draws on a loaded machine); fail naming what is missing, with the screen."""
    deadline = time.monotonic() + timeout
    while True:
        text = screen_text(app)
        missing = [t for t in texts if t not in text]
        if not missing:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {missing!r} on the screen:\n{text}")
        await pilot.pause(0.05)


def screen_text(app) -> str:
    """The app's screen as plain text (what a user reads)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
