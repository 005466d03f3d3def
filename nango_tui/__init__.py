"""nango-tui: a terminal workbench for building API integrations the Nango way."""

__version__ = "0.1.0"
