"""The providers data file is coherent: every entry usable as it stands."""

from __future__ import annotations

import pytest

from nango_tui.runtime.pagination import resolve_config
from nango_tui.runtime.providers import providers

REQUIRED = [
    "github",
    "gitlab",
    "salesforce",
    "hubspot",
    "slack",
    "notion",
    "linear",
    "jira",
    "zendesk",
    "intercom",
    "stripe",
    "shopify",
    "asana",
    "airtable",
    "google-calendar",
    "google-drive",
    "google-sheets",
    "unauthenticated",
]


def test_the_issue_providers_are_there():
    assert set(REQUIRED) <= set(providers())


@pytest.mark.parametrize("name", sorted(providers()))
def test_provider_entry_is_valid(name):
    p = providers()[name]
    assert p.auth_mode in ("OAUTH2", "API_KEY", "BASIC", "NONE")
    assert (p.base_url is None) == (name == "unauthenticated")
    if p.base_url:
        assert p.base_url.startswith(("https://", "${connectionConfig.")) and not p.base_url.endswith("/")
    if p.auth_mode == "OAUTH2":
        assert p.token_url and p.token_url.startswith("https://"), (
            "OAuth2 needs a token URL for local refresh"
        )
    if p.auth_mode == "API_KEY":
        assert p.api_key["in"] in ("header", "query") and p.api_key["name"]
    if p.paginate:
        resolve_config(None, p.paginate)  # raises when the default is not usable as it stands
    if p.retry:
        assert p.retry["at"] and p.retry.get("type", "seconds") in ("epoch", "seconds", "date", "ms")
