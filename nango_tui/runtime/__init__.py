"""runtime part (see DEVELOPERS.md)."""
