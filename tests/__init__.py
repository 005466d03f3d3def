"""The test suite (a package: helpers live in tests/support and are imported as tests.support.*)."""
