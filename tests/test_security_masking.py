"""The workbench's masking of connections.yaml and .env (issue 10 item 12): parsed, not matched.

Every spelling the connections loader accepts, and the usual .env names, must be masked; names
that hold no secret stay readable; lines keep their numbers.
"""

from __future__ import annotations

import pytest

from nango_tui.tui.masking import MASK, is_secret_name, mask_secrets

S = "s3cr3t-VALUE-x9"

YAML_CASES = {
    "snake": f"access_token: {S}\n",
    "camel": f"accessToken: {S}\n",
    "pascal": f"AccessToken: {S}\n",
    "kebab": f"access-token: {S}\n",
    "double-quoted key": f'"access_token": {S}\n',
    "single-quoted key": f"'api_key': {S}\n",
    "quoted value": f'password: "{S}"\n',
    "single-quoted value": f"password: '{S}'\n",
    "block literal": f"private_key: |\n  -----BEGIN-----\n  {S}\n  -----END-----\n",
    "block folded": f"client_secret: >-\n  {S}\n  more\n",
    "anchor elsewhere": f"defaults: &tok {S}\ncredentials:\n  type: OAUTH2\n  access_token: *tok\n",
    "anchor on the secret": f"refresh_token: &r {S}\nother: *r\n",
    "list value": f"api_keys:\n  - {S}\n  - other\n",
    "flow list": f"tokens: [{S}, b]\n",
    "flow mapping": f"credentials: {{type: API_KEY, apiKey: {S}}}\n",
    "nested credentials": f"environments:\n  dev:\n    connections:\n      c:\n        credentials:\n          type: BASIC\n          username: u\n          password: {S}\n",
    "credentials any key": f"credentials:\n  type: OAUTH2\n  whatever_name: {S}\n",
    "multi-line plain": f"secret: first\n  {S}\n",
    "comment after": f"token: {S}  # the token\n",
    "merge key": f"base: &b {{client_secret: {S}}}\nc:\n  <<: *b\n",
    "auth word": f"basic_auth: {S}\n",
    "pat": f"github_pat: {S}\n",
    "url password": f"base_url: https://user:{S}@example.com/api\n",
}

ENV_CASES = {
    "TOKEN": f"GITHUB_TOKEN={S}\n",
    "SECRET": f"NANGO_SECRET_KEY_DEV={S}\n",
    "DB_PASS": f"DB_PASS={S}\n",
    "X_AUTH": f"X_AUTH={S}\n",
    "KEY": f"OPENAI_API_KEY={S}\n",
    "PWD": f"MYSQL_PWD={S}\n",
    "export": f"export STRIPE_KEY={S}\n",
    "quoted": f'PASSWORD="{S}"\n',
    "spaces": f"  CLIENT_SECRET = {S}\n",
    "multi-line quoted": f'PRIVATE_KEY="-----BEGIN-----\n{S}\n-----END-----"\nNEXT=1\n',
    "url": f"DATABASE_URL=postgres://app:{S}@db:5432/x\n",
    "lower camel": f"apiToken={S}\n",
}


@pytest.mark.parametrize("text", YAML_CASES.values(), ids=YAML_CASES.keys())
def test_connections_yaml_secrets_are_masked(text: str):
    shown = mask_secrets(text, "/x/connections.yaml")
    assert S not in shown, shown
    assert MASK in shown
    assert shown.count("\n") == text.count("\n")  # line numbers stay true


@pytest.mark.parametrize("text", ENV_CASES.values(), ids=ENV_CASES.keys())
def test_dotenv_secrets_are_masked(text: str):
    shown = mask_secrets(text, "/x/.env")
    assert S not in shown, shown
    assert shown.count("\n") == text.count("\n")


def test_what_is_not_secret_stays_readable():
    text = (
        "environments:\n  dev:\n    connections:\n      c:\n        integration: github\n"
        "        provider: github\n        base_url: https://api.github.com\n"
        "        connection_config: {api_key_header: X-Api-Key, token_url: https://t/x}\n"
        "        credentials:\n          type: OAUTH2\n          access_token: ${GITHUB_TOKEN}\n"
    )
    shown = mask_secrets(text, "connections.yaml")
    assert shown == text  # a reference names a variable: no secret in it
    env = "NANGO_HOSTPORT=http://localhost:3003\nTOKEN=${OTHER}\nLOG_LEVEL=debug\n"
    assert mask_secrets(env, ".env.local") == env


def test_types_and_plain_keys_stay_visible():
    shown = mask_secrets(f"credentials:\n  type: API_KEY\n  apiKey: {S}\n", "connections.yml")
    assert "type: API_KEY" in shown and S not in shown


def test_a_file_that_does_not_parse_is_masked_whole():
    text = f"connections:\n  c:\n    access_token: {S}\n    bad: [unclosed\n    foo: {S}-2\n"
    shown = mask_secrets(text, "connections.yaml")
    assert S not in shown and "access_token:" in shown and shown.count("\n") == text.count("\n")


def test_other_files_are_untouched():
    assert mask_secrets(f"token: {S}\n", "nango.yaml") == f"token: {S}\n"


@pytest.mark.parametrize(
    "name,secret",
    [
        ("accessToken", True),
        ("DB_PASS", True),
        ("X_AUTH", True),
        ("passwordHint", True),
        ("api_key_header", False),
        ("token_url", False),
        ("BYPASS_CACHE", False),
        ("author", False),
        ("client_id", False),
        ("username", False),
    ],
)
def test_is_secret_name(name: str, secret: bool):
    assert is_secret_name(name) is secret


def test_deep_and_aliased_yaml_is_fast():
    import time

    bomb = "a: &a [x]\n" + "".join(
        f"a{i}: &a{i} [*{'a' if i == 0 else f'a{i - 1}'}, *{'a' if i == 0 else f'a{i - 1}'}]\n"
        for i in range(60)
    )
    started = time.monotonic()
    mask_secrets(bomb + f"token: {S}\n", "connections.yaml")
    assert time.monotonic() - started < 2
