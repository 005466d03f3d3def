"""tui part (see DEVELOPERS.md)."""
