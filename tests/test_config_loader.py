"""The nango.yaml loader: objects, defaults, and every check at its exact line and column."""

from __future__ import annotations

import textwrap

import pytest

from nango_tui.config import load_project, load_text
from nango_tui.config.types import ArrayOf, InlineObject, Literal, ModelRef, Primitive, UnionOf
from tests.support import warm_cli


def load(text: str):
    return load_text(textwrap.dedent(text).lstrip("\n"))


def codes(result) -> list[tuple[int, int, str, str]]:
    return [(d.line, d.column, d.severity, d.code) for d in result.diagnostics]


GOOD = """
integrations:
    salesforce:
        syncs:
            contacts:
                runs: every 30min
                output: Contact
                sync_type: incremental
                endpoint: GET /contacts
                scopes: api, offline_access
        actions:
            fetch-fields:
                input: IdEntity
                output: ContactFields
                endpoint:
                    method: post
                    path: /fields
                    group: Fields
        on-events:
            post-connection-creation:
                - setup
models:
    IdEntity:
        id: string
    Timestamps:
        created_at: date
        updated_at?: date
    Contact:
        __extends: Timestamps
        id: string
        email: string | null
        kind: WORK | HOME
        tags: string[]
        address:
            city: string
            zip?: number
        __string: any
    ContactFields:
        id: string
        fields: ContactField[]
    ContactField:
        name: string
"""


def test_good_file_loads_into_objects_with_defaults():
    result = load(GOOD)
    assert result.diagnostics == []
    project = result.project
    sync = project.integrations["salesforce"].syncs["contacts"]
    assert sync.runs_seconds == 1800
    assert sync.output == ["Contact"]
    assert sync.sync_type == "incremental"
    assert sync.track_deletes is False and sync.auto_start is True
    assert sync.scopes == ["api", "offline_access"]
    assert [str(e) for e in sync.endpoints] == ["GET /contacts"]
    assert sync.script_path == "salesforce/syncs/contacts.py"
    action = project.integrations["salesforce"].actions["fetch-fields"]
    assert action.input == "IdEntity" and action.output == ["ContactFields"]
    assert action.endpoints[0].method == "POST" and action.endpoints[0].group == "Fields"
    assert action.script_path == "salesforce/actions/fetch-fields.py"
    assert project.integrations["salesforce"].on_events == {"post-connection-creation": ["setup"]}


def test_model_type_trees_and_extends():
    contact = load(GOOD).project.models["Contact"]
    names = [f.name for f in contact.fields]
    assert names == ["created_at", "updated_at", "id", "email", "kind", "tags", "address"]
    by_name = {f.name: f for f in contact.fields}
    assert by_name["updated_at"].optional is True
    assert by_name["created_at"].type == Primitive("date")
    assert by_name["email"].type == UnionOf((Primitive("string"), Literal(None)))
    assert by_name["kind"].type == UnionOf((Literal("WORK"), Literal("HOME")))
    assert by_name["tags"].type == ArrayOf(Primitive("string"))
    address = by_name["address"].type
    assert isinstance(address, InlineObject)
    assert [(f.name, f.optional) for f in address.fields] == [("city", False), ("zip", True)]
    assert contact.extra == Primitive("any")
    assert contact.extends == ("Timestamps",)
    fields = load(GOOD).project.models["ContactFields"].field("fields")
    assert fields.type == ArrayOf(ModelRef("ContactField"))
    # lines and columns of fields point at the key in the file
    assert (by_name["email"].line, by_name["email"].column) == (30, 9)


def test_yaml_list_as_a_type_is_an_array():
    result = load(
        """
        integrations: {}
        models:
            M:
                values:
                    - string
                    - number
        """
    )
    assert result.ok
    assert result.project.models["M"].field("values").type == ArrayOf(
        UnionOf((Primitive("string"), Primitive("number")))
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        # duplicate key: YAML keeps the last silently; we say so at the second key
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: every hour
                            output: C
                            runs: every day
                            endpoint: GET /a
            models:
                C:
                    id: string
            """,
            [(7, 17, "error", "duplicate_key")],
        ),
        # output names no model, with a close match
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: every hour
                            output: Contat
                            endpoint: GET /a
            models:
                Contact:
                    id: string
            """,
            [(6, 25, "error", "model_not_found")],
        ),
        # input names no model
        (
            """
            integrations:
                sf:
                    actions:
                        a:
                            input: Missing
                            endpoint: GET /a
            models: {}
            """,
            [(5, 24, "error", "model_not_found")],
        ),
        # sync output without id
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: every hour
                            output: C
                            endpoint: GET /a
            models:
                C:
                    name: string
            """,
            [(6, 25, "error", "model_missing_id")],
        ),
        # the same endpoint twice
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: every hour
                            output: C
                            endpoint: GET /a
                    actions:
                        b:
                            endpoint: GET /a
            models:
                C:
                    id: string
            """,
            [(10, 27, "error", "duplicate_endpoint")],
        ),
        # two outputs, one endpoint
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: every hour
                            output: [C, D]
                            endpoint: GET /a
            models:
                C:
                    id: string
                D:
                    id: string
            """,
            [(7, 27, "error", "endpoints_mismatch")],
        ),
        # runs that cannot be parsed, runs too frequent
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: sometimes
                            output: C
                            endpoint: GET /a
                        b:
                            runs: every 10s
                            output: D
                            endpoint: GET /b
            models:
                C:
                    id: string
                D:
                    id: string
            """,
            [(5, 23, "error", "invalid_runs"), (9, 23, "error", "invalid_runs")],
        ),
        # endpoint without a method, endpoint mapping without a path
        (
            """
            integrations:
                sf:
                    actions:
                        a:
                            endpoint: /a
                        b:
                            endpoint:
                                method: GET
            models: {}
            """,
            [(5, 27, "error", "invalid_endpoint"), (8, 21, "error", "invalid_endpoint")],
        ),
        # a sync and an action whose script names collide
        (
            """
            integrations:
                sf:
                    syncs:
                        Users:
                            runs: every hour
                            output: C
                            endpoint: GET /a
                    actions:
                        users:
                            endpoint: GET /b
            models:
                C:
                    id: string
            """,
            [(9, 13, "error", "duplicate_script_name")],
        ),
        # unknown keys, with a did-you-mean
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: every hour
                            output: C
                            endpoint: GET /a
                            track_delete: true
            models:
                C:
                    id: string
            extra: 1
            """,
            [(8, 17, "error", "additional_property"), (12, 1, "error", "additional_property")],
        ),
        # unsupported type syntax, extends a missing model, bad model name
        (
            """
            integrations: {}
            models:
                A:
                    x: Record<string, any>
                B:
                    __extends: Nope
                my-model:
                    id: string
            """,
            [
                (4, 12, "error", "type_syntax_error"),
                (6, 20, "error", "model_extends_not_found"),
                (7, 5, "error", "invalid_model_name"),
            ],
        ),
        # a cycle of references is a warning only
        (
            """
            integrations: {}
            models:
                A:
                    b: B
                B:
                    a: A[]
            """,
            [(3, 5, "warning", "cyclic_model")],
        ),
        # a word that looks like a misspelt model
        (
            """
            integrations: {}
            models:
                Address:
                    city: string
                A:
                    home: Adress
            """,
            [(6, 15, "warning", "model_not_found_fallback")],
        ),
        # a number where a name belongs
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: every hour
                            output: 42
                            endpoint: GET /a
            models: {}
            """,
            [(6, 25, "error", "invalid_type")],
        ),
        # a sync without runs
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            output: C
                            endpoint: GET /a
            models:
                C:
                    id: string
            """,
            [(4, 13, "error", "missing_runs")],
        ),
        # wrong sync_type and a non-boolean flag
        (
            """
            integrations:
                sf:
                    syncs:
                        a:
                            runs: every hour
                            output: C
                            endpoint: GET /a
                            sync_type: partial
                            track_deletes: yes please
            models:
                C:
                    id: string
            """,
            [(8, 28, "error", "invalid_sync_type"), (9, 32, "error", "invalid_type")],
        ),
    ],
)
def test_each_check_at_its_line(text, expected):
    result = load(text)
    assert sorted(codes(result)) == sorted(expected), [d.format() for d in result.diagnostics]
    if any(e[2] == "error" for e in expected):
        assert result.project is None
    for d in result.diagnostics:
        assert d.message and d.file == "nango.yaml"


def test_model_not_found_hint_suggests_close_name():
    result = load(
        """
        integrations:
            sf:
                syncs:
                    a:
                        runs: every hour
                        output: contact
                        endpoint: GET /a
        models:
            Contact:
                id: string
        """
    )
    (diag,) = result.diagnostics
    assert diag.hint == "did you mean `Contact`?"


def test_version_1_file_gets_one_clear_error():
    result = load(
        """
        integrations:
            github:
                issues:
                    runs: every hour
                    returns: Issue
                prs:
                    runs: every hour
                    returns: Issue
        models:
            Issue:
                id: string
        """
    )
    assert codes(result) == [(2, 5, "error", "version_1_format")]
    assert "version-1" in result.diagnostics[0].message


@pytest.mark.parametrize(
    "text, code, line, column",
    [
        ("", "empty_file", 1, 1),
        ("# nothing but a comment\n", "empty_file", 1, 1),
        ("- a\n- b\n", "invalid_structure", 1, 1),
        ("just words\n", "invalid_structure", 1, 1),
        ("integrations:\n\tsf: {}\n", "yaml_tab", 2, 1),
        ("integrations: [unclosed\nmodels: {}\n", "yaml_syntax", 2, 7),
        ("integrations:\n  a: b\n c: d\n", "yaml_syntax", 3, 2),
        ("models: {}\n", "missing_integrations", 1, 1),
        ("integrations: 3\n", "invalid_type", 1, 15),
    ],
)
def test_broken_files_are_diagnostics_not_exceptions(text, code, line, column):
    result = load_text(text)
    assert result.project is None
    first = result.diagnostics[0]
    assert (first.code, first.line, first.column) == (code, line, column), first.format()


def test_missing_file_and_folder(tmp_path):
    result = load_project(tmp_path)
    assert [d.code for d in result.diagnostics] == ["missing_file"]
    assert "init" in result.diagnostics[0].hint
    result = load_project(tmp_path / "nope")
    assert [d.code for d in result.diagnostics] == ["missing_file"]


def test_binary_junk_is_a_diagnostic(tmp_path):
    (tmp_path / "nango.yaml").write_bytes(b"integrations:\n  a: \xff\xfe\x00\n")
    result = load_project(tmp_path)
    (diag,) = result.diagnostics
    assert (diag.code, diag.line, diag.column) == ("invalid_encoding", 2, 6)


def test_tab_inside_a_plain_scalar_is_accepted_like_nango():
    text = "integrations: {}\nmodels:\n  M:\n    mode: A | B\t| C\n    other: x\t| y\n"
    result = load_text(text)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.project.models["M"].field("mode").type == UnionOf(
        (Literal("A"), Literal("B"), Literal("C"))
    )


def test_partial_project_survives_errors():
    result = load(
        """
        integrations:
            sf:
                syncs:
                    good:
                        runs: every hour
                        output: C
                        endpoint: GET /a
                    bad:
                        runs: never
                        output: C
                        endpoint: GET /b
        models:
            C:
                id: string
        """
    )
    assert result.project is None
    assert "good" in result.partial.integrations["sf"].syncs
    assert "C" in result.partial.models


def test_output_as_list_of_model_and_literal_io():
    result = load(
        """
        integrations:
            sf:
                actions:
                    many:
                        input: C[]
                        output: boolean
                        endpoint: POST /many
        models:
            C:
                id: string
        """
    )
    assert result.ok
    action = result.project.integrations["sf"].actions["many"]
    assert action.input == "C[]" and action.output == ["boolean"]
    assert [d.code for d in result.diagnostics] == ["model_is_literal"]


def test_a_field_written_as_x_and_x_optional_keeps_the_last_in_the_first_place():
    result = load(
        """
        integrations:
          a:
            syncs:
              s: {runs: every hour, output: M, endpoint: GET /m}
        models:
          M:
            id: string
            name: string
            name?: number
            x??: boolean
            x?: string
          N:
            __extends: M
            id?: number
        """
    )
    assert result.ok, result.diagnostics
    m, n = result.project.models["M"], result.project.models["N"]
    assert [(f.name, f.optional, f.line) for f in m.fields] == [
        ("id", False, 7),
        ("name", True, 9),
        ("x?", True, 10),
        ("x", True, 11),
    ]
    assert [f.name for f in m.declared] == ["id", "name", "name", "x?", "x"]  # as written
    assert [(f.name, f.optional, f.line) for f in n.fields] == [
        ("id", True, 14),
        ("name", True, 9),
        ("x?", True, 10),
        ("x", True, 11),
    ]


CASE_TWINS = """\
integrations:
  demo:
    syncs:
      users:
        runs: every hour
        output: User
        endpoint: GET /users
models:
  Ab:
    id: string
  AB:
    id: string
  User:
    id: string
    friend: aB
"""


@pytest.mark.parametrize("seed", ["1", "4", "5"])
def test_the_guess_among_models_differing_only_by_case_does_not_change_with_the_hash_seed(tmp_path, seed):
    """The case-insensitive guess is the last model declared (as a dict keeps it), whatever the
    process's hash seed (a set of the names gave `AB` under seed 1 and `Ab` under 4 and 5)."""
    import os
    import sys

    (tmp_path / "nango.yaml").write_text(CASE_TWINS)
    done = warm_cli.run(
        [sys.executable, "-m", "nango_tui", "validate", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"},
        timeout=60,
    )
    assert "model_not_found_fallback" in done.stdout + done.stderr
    assert "did you mean `AB`?" in done.stdout + done.stderr


_HEAP_AFTER_LOADS = """
import gc, sys
from nango_tui.config import heap, load_text
from tests.support.projects import CRM_YAML

project = load_text(CRM_YAML).project
young = {id(o) for o in gc.get_objects(generation=0)}
print("aged", id(project) not in young and id(project.models) not in young, gc.get_freeze_count())
heap.freeze()
frozen = gc.get_freeze_count()
load_text(CRM_YAML)
print("kept", heap.frozen(), gc.get_freeze_count() >= frozen > 0)
"""


def test_a_load_ages_what_it_built_and_leaves_a_frozen_heap_frozen():
    """The loader files what it built with the old objects (no young collection walks it), but
    never hands a heap that a workbench, zygote or server froze back to the collector; in a process
    of its own, since a frozen heap stays frozen."""
    import subprocess
    import sys

    from tests.support.paths import REPO

    done = subprocess.run(
        [sys.executable, "-c", _HEAP_AFTER_LOADS], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.stdout.split("\n")[:2] == ["aged True 0", "kept True True"], done.stdout + done.stderr
