"""tui/widgets part (see DEVELOPERS.md)."""
