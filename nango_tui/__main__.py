from nango_tui.cli import entry

entry()
