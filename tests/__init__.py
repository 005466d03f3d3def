"""The test suite (a package: helpers live in tests/support and are imported as tests.support.*).

The suite starts hundreds of Python processes (the CLI, dryrun children, serve, workers); with a
shell's PYTHONDONTWRITEBYTECODE each of them compiled the package's modules from source again,
and each pytest process rewrote the assertions of every test module, helper and Hypothesis
module again. Bytecode is cached for the test run as it is on any installed copy (xdist's workers
and every subprocess inherit this environment; __pycache__ is ignored by git). Here rather than
in conftest.py: pytest imports this package first, so conftest.py's own imports (Hypothesis:
~1 s of CPU a process to rewrite) are cached too.

The cyclic garbage collector runs less often in the test processes than Python's default
(700, 10, 10): a worker running the workbench tests spent ~20% of its CPU there, mostly in 35
full collections of ~0.2 s each over 42 tests of test_tui_app.py (each app leaves a heap of
cycles; the worker's heap grows through the run). With (10000, 20, 10): 7 full collections,
its CPU 47.6 -> 43.2 s, its peak memory 141 -> 274 MB. Only these processes: the workbench's own
policy (tui/gc_policy.py) still applies on top, and the processes the tests start keep
Python's defaults.
"""

import gc
import os
import sys

os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

gc.set_threshold(10_000, 20, 10)
