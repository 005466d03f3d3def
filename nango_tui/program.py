"""The `nango-tui` program (its console script and `python -m nango_tui`): what a command needs
started before anything else is imported, then `cli.entry`.

`nango-tui test`'s critical path is the warm-up of the zygote its replays fork from: the zygote is
forked (or spawned) here, before the command line's imports and parser (`dryrun.prespawn`: forked
after importing what both processes import, once; spawned otherwise, its imports beginning
~25-45 ms after this function is called). `nango-tui dryrun`'s is its child's start-up: the child
is forked here, before any import but those both processes make (`dryrun.prefork`: ~35-45 ms
sooner than spawned after the command line's imports). The check is the one `cli.main` routes
by: the first argument names the command.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # (not typing's: importing it before the zygote's spawn delays that ~3-5 ms)
if TYPE_CHECKING:
    from nango_tui.dryrun.early import EarlyChild
    from nango_tui.dryrun.prefork import ForkedChild
    from nango_tui.dryrun.prespawn import SpawnedProcess
    from nango_tui.dryrun.zygote import Zygote

_test_zygote: tuple[SpawnedProcess, int] | None = None
_dryrun_child: tuple[ForkedChild, str] | None = None


def entry() -> None:
    """Start what the command needs first, then run it (`cli.entry`: never returns)."""
    try:
        _start_and_run()
    except KeyboardInterrupt:
        # a Ctrl-C before the command's own handler is in place (its imports, the parser): the
        # status `cli` gives an interrupted command, without a traceback; the zygote or child
        # started above ends as its pipe to this process closes
        import os

        os._exit(130)


def _start_and_run() -> None:
    global _test_zygote, _dryrun_child
    argv = sys.argv[1:]
    if argv[:1] == ["test"] and not {"-h", "--help"} & set(argv):
        import gc

        from nango_tui.dryrun.prespawn import spawn_zygote

        _test_zygote = spawn_zygote(replay=True)
        # the command's imports allocate much and free little: the collector's passes over them
        # are ~5-8% of this process's CPU, which the zygote's warm-up shares 2 cores with;
        # `regress.run_command` turns it on again before the first replay
        gc.disable()
    elif argv[:1] == ["dryrun"]:
        from nango_tui.dryrun.prefork import fork_child

        _dryrun_child = fork_child(argv[1:])
    from nango_tui import boot

    boot.start()  # before the imports (saved by cli.entry, or by the workbench at its first frame)
    from nango_tui.cli import entry as run

    run()


def take_test_zygote() -> Zygote | None:
    """The zygote `entry` started for `nango-tui test`, handed over once (None otherwise)."""
    global _test_zygote
    if _test_zygote is None:
        return None
    from nango_tui.dryrun.zygote import Zygote

    spawned, _test_zygote = _test_zygote, None
    return Zygote.adopt(spawned)


def take_dryrun_child() -> EarlyChild | None:
    """The child `entry` forked for `nango-tui dryrun`, handed over once (None otherwise)."""
    global _dryrun_child
    if _dryrun_child is None:
        return None
    from nango_tui.dryrun.early import EarlyChild

    (forked, root), _dryrun_child = _dryrun_child, None
    return EarlyChild.forked(forked, root)
