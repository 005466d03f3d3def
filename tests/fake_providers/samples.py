"""Point the sample integrations at the imitations: start them all, and a connections.yaml for them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from . import github, linear, salesforce
from .base import FakeServer

GITHUB_REPO = {"owner": "acme", "repo": "widgets"}
# what each imitation stands for in saved responses
PUBLIC_BASE = {
    "salesforce": "https://acme.my.salesforce.com",
    "github": "https://api.github.com",
    "linear": "https://api.linear.app",
}
TOKENS = {"salesforce": salesforce.TOKEN, "github": github.TOKEN, "linear": linear.TOKEN}
STARTERS = {
    "salesforce": salesforce.start_salesforce,
    "github": github.start_github,
    "linear": linear.start_linear,
}


@contextmanager
def all_providers() -> Iterator[dict[str, FakeServer]]:
    """A fresh imitation of each provider, stopped on exit."""
    servers: dict[str, FakeServer] = {}
    try:
        for key, start in STARTERS.items():
            servers[key] = start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def connections_yaml(servers: dict[str, FakeServer]) -> str:
    """A connections.yaml whose `<integration>-demo` connections reach the imitations (not replayed)."""
    import yaml

    conns = {
        "salesforce-demo": {
            "integration": "salesforce",
            "provider": "salesforce",
            "credentials": {"type": "OAUTH2", "access_token": salesforce.TOKEN},
            "connection_config": {"instance_url": servers["salesforce"].url},
        },
        "github-demo": {
            "integration": "github",
            "provider": "github",
            "base_url": servers["github"].url,
            "credentials": {"type": "OAUTH2", "access_token": github.TOKEN},
            "metadata": GITHUB_REPO,
        },
        "linear-demo": {
            "integration": "linear",
            "provider": "linear",
            "base_url": servers["linear"].url,
            "credentials": {"type": "OAUTH2", "access_token": linear.TOKEN},
        },
    }
    return yaml.safe_dump({"environments": {"dev": {"connections": conns}}}, sort_keys=False)
