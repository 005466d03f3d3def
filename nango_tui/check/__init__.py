"""check part (see DEVELOPERS.md)."""
