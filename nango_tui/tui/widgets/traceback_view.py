"""A run's traceback, one option per frame: each frame of the user's script is selectable and
`enter` opens its file at that line in the Script pane; other lines are shown, not selectable."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from nango_tui.tui.messages import OpenFile

_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+)')


@dataclass(frozen=True)
class FrameLine:
    """One traceback line (a frame with its source line, or any other line) and where it points."""

    text: str
    file: str | None = None  # relative to the project folder: a frame of the user's code
    line: int = 0


def frame_lines(traceback: str) -> list[FrameLine]:
    """The traceback as lines; a frame's source line is kept with it. Frames with a relative
    path (the child writes the project's files relative to its folder) point somewhere."""
    out: list[FrameLine] = []
    lines = traceback.rstrip().splitlines()
    index = 0
    while index < len(lines):
        text = lines[index]
        match = _FRAME.match(text)
        if match is None:
            out.append(FrameLine(text))
            index += 1
            continue
        # the source line follows a frame, indented deeper; an exception line does not
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if following.startswith("    ") and not _FRAME.match(following):
            text += "\n" + following
            index += 1
        index += 1
        path = match.group(1)
        inside = not path.startswith(("/", "<")) and ".." not in path.split("/")
        out.append(FrameLine(text, path if inside else None, int(match.group(2))))
    return out


class TracebackView(OptionList):
    """The traceback of the run's error; up/down move between the script's frames, enter opens one."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.frames: list[FrameLine] = []

    def show(self, traceback: str | None) -> None:
        """Show `traceback` (None hides the view); the innermost frame of the script is highlighted."""
        self.frames = frame_lines(traceback) if traceback else []
        self.clear_options()
        self.display = bool(self.frames)
        if not self.frames:
            return
        options = []
        for frame in self.frames:
            style = "cyan" if frame.file else "dim"
            prompt = Text(frame.text, style)
            if frame.file:
                prompt.append("  (enter: open)", "dim")
            options.append(Option(prompt, disabled=frame.file is None))
        self.add_options(options)
        openable = self.openable
        self.highlighted = openable[-1] if openable else None

    @property
    def openable(self) -> list[int]:
        """Indexes of the frames that open a file of the project (the script's frames)."""
        return [i for i, frame in enumerate(self.frames) if frame.file]

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        frame = self.frames[event.option_index]
        if frame.file:
            self.post_message(OpenFile(frame.file, frame.line, focus=True))
