"""sdk part (see DEVELOPERS.md)."""
