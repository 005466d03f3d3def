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
    # issue 11 point 7: at least 100, each with its auth mode and base URL
    assert len([p for p in providers().values() if p.auth_mode in ("OAUTH2", "API_KEY", "BASIC")]) >= 100


def test_the_shipped_providers_json_is_providers_yaml():
    """A run reads providers.json; it must hold exactly what providers.yaml says."""
    import hashlib
    import json

    from nango_tui.runtime import providers as module

    data = json.loads(module.PROVIDERS_JSON.read_text(encoding="utf-8"))
    current = hashlib.sha256(module.PROVIDERS_FILE.read_bytes()).hexdigest() == data["source_sha256"]
    assert current, (
        "providers.yaml changed: run `python -m nango_tui.runtime.providers` to write providers.json"
    )
    assert data["providers"] == module.read_source()


def test_a_missing_or_stale_providers_json_falls_back_to_the_yaml(tmp_path, monkeypatch):
    from nango_tui.runtime import providers as module

    stale = tmp_path / "providers.json"
    stale.write_text('{"source_sha256": "0", "providers": {"made-up": {"base_url": "https://x"}}}')
    monkeypatch.setattr(module, "PROVIDERS_JSON", stale)
    assert module._raw_providers() == module.read_source()
    stale.write_text("{not json")
    assert module._raw_providers() == module.read_source()
    monkeypatch.setattr(module, "PROVIDERS_JSON", tmp_path / "absent.json")
    assert module._raw_providers() == module.read_source()


def test_base_urls_match_nangos_so_template_paths_do_not_double_up():
    table = providers()
    assert table["google-calendar"].base_url == "https://www.googleapis.com"
    assert table["jira"].base_url == "https://api.atlassian.com"
    assert table["hubspot"].base_url == "https://api.hubapi.com"
    assert table["zendesk"].base_url == "https://${connectionConfig.subdomain}.zendesk.com"
    assert table["notion"].headers == {"notion-version": "2022-06-28"}
    assert table["shopify"].token_header == "x-shopify-access-token" and table["shopify"].token_prefix == ""
    assert table["hubspot"].retry == {"remaining": "x-hubspot-ratelimit-remaining"}
    assert table["zendesk"].retry == {"after": ["retry-after"]}
    assert table["github"].retry["error_code"] == ["403", "5xx", "401", "429"]


def test_alternatives_and_templated_headers_render_from_the_connection_config():
    from types import SimpleNamespace

    from nango_tui.runtime.providers import base_url, provider_headers

    intercom = providers()["intercom"]
    eu = SimpleNamespace(id="c", base_url=None, connection_config={"region": "eu"})
    plain = SimpleNamespace(id="c", base_url=None, connection_config={})
    assert base_url(intercom, eu) == "https://api.eu.intercom.io"
    assert base_url(intercom, plain) == "https://api.intercom.io"
    harvest = providers()["harvest"]
    assert provider_headers(harvest, plain)["user-agent"] == "App (support@nango.dev)"
    assert provider_headers(harvest, SimpleNamespace(connection_config={"appDetails": "Mine (me@x)"})) == {
        "user-agent": "Mine (me@x)"
    }


@pytest.mark.parametrize("name", sorted(providers()))
def test_provider_entry_is_valid(name):
    p = providers()[name]
    assert p.auth_mode in ("OAUTH2", "API_KEY", "BASIC", "NONE")
    assert (p.base_url is None) == (name == "unauthenticated")
    if p.base_url:
        for alternative in p.base_url.split(" || "):
            assert alternative.startswith(("https://", "http://", "${connectionConfig.")), alternative
            assert not alternative.endswith("/")
    if p.auth_mode == "OAUTH2":
        assert p.token_url and p.token_url.startswith(("https://", "${connectionConfig.")), (
            "OAuth2 needs a token URL for local refresh"
        )
    if p.auth_mode == "API_KEY":
        assert p.api_key["in"] in ("header", "query") and p.api_key["name"]
    if p.paginate:
        resolve_config(None, p.paginate)  # raises when the default is not usable as it stands
    if p.retry:
        assert set(p.retry) <= {"at", "after", "remaining", "error_code"} and p.retry
