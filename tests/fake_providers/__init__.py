"""Local imitations of the providers the sample integrations call, served on 127.0.0.1.

Each module (salesforce, github, linear) holds a fixed, deterministic data set and a request
handler shaped like the real API (paths, pagination, filters, error bodies, bearer check).
`start_<name>(port=0)` returns a started `FakeServer`; `python -m tests.fake_providers.<name>
--port N` serves one from a terminal. They exist to record the samples' mocks and to test the
runtime against something real; they are not part of the package.
"""

from .base import FakeServer, Response

__all__ = ["FakeServer", "Response"]
