"""watch part (see DEVELOPERS.md)."""
