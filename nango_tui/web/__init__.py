"""The workbench in a browser (textual-serve), guarded by a token beyond loopback."""
