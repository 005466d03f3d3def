"""The test suite (a package: helpers live in tests/support and are imported as tests.support.*).

The suite starts hundreds of Python processes (the CLI, dryrun children, serve, workers); with a
shell's PYTHONDONTWRITEBYTECODE each of them compiled the package's modules from source again,
and each pytest process rewrote the assertions of every test module, helper and Hypothesis
module again. Bytecode is cached for the test run as it is on any installed copy (xdist's workers
and every subprocess inherit this environment; __pycache__ is ignored by git). Here rather than
in conftest.py: pytest imports this package first, so conftest.py's own imports (Hypothesis:
~1 s of CPU a process to rewrite) are cached too.
"""

import os
import sys

os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False
