"""codegen part (see DEVELOPERS.md)."""
