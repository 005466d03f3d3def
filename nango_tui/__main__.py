from nango_tui.program import entry

entry()
