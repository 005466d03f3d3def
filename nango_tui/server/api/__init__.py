"""Nango's public HTTP API over the server's storage (Starlette)."""
