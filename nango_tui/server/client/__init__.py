"""Clients of a runtime server: `deploy` and `connections push` (Nango's calls, over HTTP)."""
