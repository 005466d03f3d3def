"""dryrun part (see DEVELOPERS.md)."""
