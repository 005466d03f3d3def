from nango_tui.cli import main

raise SystemExit(main())
