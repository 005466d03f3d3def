"""nango-tui: a terminal workbench for building API integrations the Nango way."""

import sys

__version__ = "0.1.0"

# httpx's package imports its command-line client (rich, click, pygments: ~90 ms of CPU, a fifth
# of a dryrun child's start-up) whenever those happen to be installed; nothing here uses it. A None
# entry makes that optional import fail, so httpx defines its placeholder `main` instead.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]
