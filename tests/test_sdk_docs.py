"""Issue 11 point 10: docs/sdk.md documents every SDK member with its real signature, and only those."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from nango_tui.check.script import SDK_MEMBERS, python_name_of
from nango_tui.sdk import NangoAction, NangoSync
from tests.support.runtime_ctx import make_ctx

DOC = Path(__file__).resolve().parent.parent / "docs" / "sdk.md"
HEADING = re.compile(r"^### `nango\.(\w+)(?:\((.*)\))?`$", re.M)


def compact(fn) -> str:
    """A signature as the page writes it: names, defaults, `/`, `*`, `*args`, `**options`."""
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    out: list[str] = []
    star = False
    for index, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        if p.kind is p.VAR_POSITIONAL:
            out.append("*" + p.name)
            star = True
            continue
        if p.kind is p.VAR_KEYWORD:
            out.append("**" + p.name)
            continue
        out.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
        if p.kind is p.POSITIONAL_ONLY and (
            index + 1 == len(params) or params[index + 1].kind is not p.POSITIONAL_ONLY
        ):
            out.append("/")
    return ", ".join(out)


def members() -> dict[str, object]:
    ctx, _ = make_ctx("http://127.0.0.1:9")
    nango = NangoSync(ctx)
    return {n: getattr(type(nango), n, None) for n in dir(nango) if not n.startswith("_") and n != "aclose"}


def test_every_member_is_documented_with_its_signature_and_nothing_else():
    text = DOC.read_text(encoding="utf-8")
    documented = {m.group(1): m.group(2) for m in HEADING.finditer(text)}
    real = members()
    assert set(documented) == set(real), (set(real) - set(documented), set(documented) - set(real))
    for name, member in real.items():
        if inspect.isfunction(member):
            assert documented[name] == compact(member), name
        else:
            assert documented[name] is None, f"{name} is not a method"
    assert set(real) == set(SDK_MEMBERS)


def test_each_entry_names_nangos_name_and_it_maps_back():
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    for section in sections:
        name = HEADING.match("### " + section.splitlines()[0]).group(1)
        found = re.search(r"Nango: `(\w+)`", section)
        assert found, f"{name}: no Nango name"
        nango_name = found.group(1)
        assert nango_name == name or python_name_of(nango_name) == name or name in ("environment",), (
            name,
            nango_name,
        )


def test_the_readme_links_the_reference():
    readme = (DOC.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "docs/sdk.md" in readme


def test_action_members_are_the_sync_members_less_the_sync_only_ones():
    ctx, _ = make_ctx("http://127.0.0.1:9", kind="action")
    action = {n for n in dir(NangoAction(ctx)) if not n.startswith("_") and n != "aclose"}
    assert action < set(members())
