"""tui/screens part (see DEVELOPERS.md)."""
