"""`nango-tui infer` end to end: the samples, three other real-shaped APIs, the nango.yaml edit, bad input."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nango_tui.config import load_project
from nango_tui.infer.compare import declared_shape, inferred_shape
from nango_tui.infer.proposal import InferError, apply, propose
from nango_tui.infer.sources import from_recorded_results, from_recording, records_in_bodies
from tests.support import warm_cli

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample-integrations"
FIXTURES = Path(__file__).parent / "fixtures" / "infer"
CLI = [sys.executable, "-m", "nango_tui"]

# Where an inferred model of a sample differs from the hand-written one, and why (docs/infer.md).
SAMPLE_NUANCES: dict[str, dict[str, str]] = {
    # the action's output has six fields whose values are strings and a boolean: the hand-written
    # model says `value?: any` (Salesforce fields can hold anything, and may be absent)
    "ContactField": {"value": "hand-written `value?: any`; inferred `value: string | boolean`"},
}


def _copy_samples(tmp_path: Path) -> Path:
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns(".nango", "__pycache__"))
    return root


def _sample_cases() -> list[tuple[str, str, str]]:
    """(integration, script, model) for every sample script with saved results."""
    project = load_project(SAMPLES).project
    assert project is not None
    cases = []
    for script in project.scripts():
        if (SAMPLES / script.integration / "mocks" / f"{script.name}.json").is_file():
            cases.append((script.integration, script.name, script.output[0]))
    return cases


@pytest.mark.parametrize(("integration", "name", "model"), _sample_cases())
def test_the_inferred_model_of_each_sample_equals_the_hand_written_one(
    integration: str, name: str, model: str
) -> None:
    project = load_project(SAMPLES).project
    assert project is not None
    if (integration, name) == ("github", "create-issue"):
        pytest.skip(
            "its one saved GithubIssue has only nulls where the model says `T | null`; the sync covers it"
        )
    records = from_recorded_results(SAMPLES / integration / "mocks" / f"{name}.json", model)
    proposal = propose(SAMPLES, name, integration=integration, records=records)
    assert proposal.model == model
    names = set(project.models) | {m.name for m in proposal.inference.models}
    for inferred in proposal.inference.models:
        declared = project.models[inferred.name]  # every nested model is the one nango.yaml names there
        want, got = declared_shape(declared), inferred_shape(inferred, names)
        allowed = SAMPLE_NUANCES.get(inferred.name, {})
        differing = {n for n in want.keys() | got.keys() if want.get(n) != got.get(n)}
        assert differing <= set(allowed), (inferred.name, {n: (want.get(n), got.get(n)) for n in differing})


def test_the_samples_models_need_no_change_from_their_own_records() -> None:
    for integration, name, model in [
        ("salesforce", "contacts", "Contact"),
        ("github", "issues", "GithubIssue"),
        ("linear", "issues", "LinearIssue"),
        ("linear", "teams", "LinearTeam"),
    ]:
        records = from_recorded_results(SAMPLES / integration / "mocks" / f"{name}.json", model)
        proposal = propose(SAMPLES, name, integration=integration, records=records)
        assert not proposal.changed and proposal.unchanged == [model], proposal.diff()


def test_a_run_made_now_against_a_demo_connection(tmp_path: Path) -> None:
    root = _copy_samples(tmp_path)
    done = warm_cli.run(
        [*CLI, "infer", "contacts", "salesforce-demo", "--dir", str(root), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["source"].startswith("the run ") and "Contact: 24 records" in out["source"]
    assert out["unchanged"] == ["Contact"] and out["diff"] == ""
    assert list((root / ".nango" / "runs").glob("*-salesforce-contacts.jsonl"))


def test_a_recording_of_raw_responses_proposes_a_mapping_that_reproduces_the_records(tmp_path: Path) -> None:
    """Salesforce's raw records (PascalCase, `attributes`) -> snake_case fields + a nested model."""
    root = _copy_samples(tmp_path)
    proposal = propose(root, "contacts", model="SalesforceContact", source="recording")
    assert proposal.added == ["SalesforceContactAttributes", "SalesforceContact"]
    fields = {f.name: (f.source, f.type, f.nullable) for f in proposal.inference.top.fields}
    assert fields["first_name"] == ("FirstName", "string", False)
    assert fields["email"] == ("Email", "string", True)
    assert fields["last_modified_date"] == ("LastModifiedDate", "date", False)
    result = apply(proposal)
    assert result.written and result.models_py_written and not result.problems
    records = _map_all(
        root, proposal.mapping, "to_salesforce_contact", from_recording(proposal.source.path).records
    )
    assert records[0]["first_name"] == "Ada" and records[0]["attributes"]["type"] == "Contact"


# -- three other APIs ------------------------------------------------------------------------------

OTHER_YAML = """\
# Three integrations whose models are still to be written.
integrations:
    hubspot:
        syncs:
            contacts:
                runs: every day
                output: HubspotContact
                endpoint: GET /contacts
    stripe:
        syncs:
            charges:
                runs: every day
                output: StripeCharge
                endpoint: GET /charges   # keep this comment
    zendesk:
        syncs:
            tickets:
                runs: every day
                output: ZendeskTicket
                endpoint: GET /tickets

models:
    # written by hand; must survive
    Note:
        id: string   # the note's id
        text: string
"""


def _other_project(tmp_path: Path) -> Path:
    root = tmp_path / "apis"
    root.mkdir()
    (root / "nango.yaml").write_text(OTHER_YAML)
    for api in ("hubspot", "stripe", "zendesk"):
        shutil.copytree(FIXTURES / api, root / api)
    return root


def _map_all(root: Path, mapping: str, function: str, raw: list[dict]) -> list[dict]:
    """Run the proposed mapping over raw items with the generated models.py; the records as dicts."""
    sys.path.insert(0, str(root))
    sys.modules.pop("models", None)
    try:
        importlib.invalidate_caches()
        namespace: dict = {}
        exec(compile(mapping, "<mapping>", "exec"), namespace)
        to_model = namespace[function]
        return [to_model(item).model_dump(mode="json", by_alias=True, exclude_unset=True) for item in raw]
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("models", None)


API_CASES = [
    ("contacts", "HubspotContact", "to_hubspot_contact"),
    ("charges", "StripeCharge", "to_stripe_charge"),
    ("tickets", "ZendeskTicket", "to_zendesk_ticket"),
]


def test_three_real_shaped_apis_infer_apply_and_map_every_record(tmp_path: Path) -> None:
    root = _other_project(tmp_path)
    proposals = []
    for name, model, _ in API_CASES:
        proposal = propose(root, name)
        assert proposal.model == model and proposal.source.raw
        result = apply(proposal)
        assert result.written and not result.problems
        proposals.append(proposal)
    assert result.models_py_written and not result.pending  # the last one made nango.yaml valid
    text = (root / "nango.yaml").read_text()
    # the rest of the file is as the user wrote it
    assert text.startswith(OTHER_YAML.split("models:")[0])
    assert "    # written by hand; must survive\n    Note:\n        id: string   # the note's id\n" in text
    assert "endpoint: GET /charges   # keep this comment" in text
    project = load_project(root).project
    assert project is not None
    types = {m: {f.name: f for f in project.models[m].fields} for m in project.models}

    hub = types["HubspotContact"]
    assert hub["properties"].type.name == "HubspotContactProperties"
    props = types["HubspotContactProperties"]
    assert props["company"].optional  # absent from most contacts
    assert "null" in _describe(props["phone"]) and _describe(props["createdate"]) == "date"
    assert _members(props["lifecyclestage"]) == {"lead", "subscriber", "customer", "opportunity"}

    charge = types["StripeCharge"]
    assert _members(charge["status"]) == {"succeeded", "failed", "pending"}
    assert _describe(charge["created"]) == "integer"  # unix seconds are not ISO dates
    assert _members(charge["customer"]) == {"string", "null"}
    assert types["StripeChargeMetadata"]["order_id"].optional
    assert _describe(types["StripeChargePaymentMethodDetailsCard"]["exp_year"]) == "integer"

    ticket = types["ZendeskTicket"]
    assert _members(ticket["priority"]) == {"low", "normal", "high", "urgent", "null"}
    assert _describe(ticket["tags"]) == "string[]"
    assert _describe(ticket["custom_fields"]) == "ZendeskTicketCustomField[]"
    assert _members(ticket["satisfaction_rating"]) == {"ZendeskTicketSatisfactionRating", "null"}
    assert _describe(ticket["due_at"]) == "any"  # always null: nothing to tell
    assert _describe(types["ZendeskTicketViaSource"]["from"]) == "object"

    for proposal, (_, _, function) in zip(proposals, API_CASES):
        raw = from_recording(proposal.source.path).records
        records = _map_all(root, proposal.mapping, function, raw)
        assert len(records) == len(raw) >= 30
    charges = _map_all(
        root, proposals[1].mapping, "to_stripe_charge", from_recording(proposals[1].source.path).records
    )
    assert charges[0]["billing_details"]["address"]["country"] in {"US", "DE", "FR"}


def _describe(field) -> str:
    from nango_tui.config import types as T

    return T.describe(field.type)


def _members(field) -> set[str]:
    from nango_tui.config import types as T

    if isinstance(field.type, T.UnionOf):
        return {T.describe(m) for m in field.type.members}
    return {T.describe(field.type)}


def test_records_are_found_where_each_api_keeps_them() -> None:
    bodies = {
        "hubspot": ("results",),
        "stripe": ("data",),
        "zendesk": ("tickets",),
    }
    for api, path in bodies.items():
        mocks = json.loads(next((FIXTURES / api / "mocks").glob("*.json")).read_text())
        records, where = records_in_bodies([ex["body"] for ex in mocks["exchanges"]])
        assert where == path and len(records) >= 30
    graphql = {"data": {"issues": {"nodes": [{"id": 1}, {"id": 2}], "pageInfo": {"hasNextPage": False}}}}
    assert records_in_bodies([graphql])[1] == ("data", "issues", "nodes")
    assert records_in_bodies([[{"id": 1}], [{"id": 2}]]) == ([{"id": 1}, {"id": 2}], ())
    assert records_in_bodies([{"id": 7, "name": "one"}]) == ([{"id": 7, "name": "one"}], None)


# -- the nango.yaml edit -----------------------------------------------------------------------------


def test_replacing_a_model_changes_only_its_lines(tmp_path: Path) -> None:
    root = _copy_samples(tmp_path)
    before = (root / "nango.yaml").read_text()
    proposal = propose(root, "contacts", source="recording")  # raw Salesforce: adds `attributes`
    assert proposal.replaced == ["Contact"] and proposal.added == ["ContactAttributes"]
    apply(proposal)
    after = (root / "nango.yaml").read_text()
    old_lines, new_lines = before.splitlines(), after.splitlines()
    start = old_lines.index("    Contact:")
    end = old_lines.index("    ContactField:")
    assert new_lines[:start] == old_lines[:start]  # comments, integrations, other models: byte for byte
    new_end = new_lines.index("    ContactField:")
    assert new_lines[new_end:] == old_lines[end:]
    assert new_lines[start:new_end] == [
        "    Contact:",
        "        id: string",  # the existing order kept, new fields after
        "        first_name: string",
        "        last_name: string",
        "        email: string | null",
        "        account_id: string | null",
        "        last_modified_date: date",
        "        attributes: ContactAttributes",
        "    ContactAttributes:",
        "        type: string",
        "        url: string",
    ]
    assert "class ContactAttributes(" in (root / "models.py").read_text()


def test_a_models_section_is_added_when_there_is_none(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "stripe", root / "stripe")
    yaml_text = "integrations:\n  stripe:\n    syncs:\n      charges:\n        runs: every day\n        output: Charge\n        endpoint: GET /charges\n"
    (root / "nango.yaml").write_text(yaml_text)
    proposal = propose(root, "charges")
    apply(proposal)
    text = (root / "nango.yaml").read_text()
    assert text.startswith(yaml_text + "\nmodels:\n  ChargeBillingDetailsAddress:\n    city: string | null\n")
    assert load_project(root).ok


def test_windows_line_ends_are_kept(tmp_path: Path) -> None:
    root = _other_project(tmp_path)
    crlf = OTHER_YAML.replace("\n", "\r\n")
    (root / "nango.yaml").write_bytes(crlf.encode())
    apply(propose(root, "charges"))
    data = (root / "nango.yaml").read_bytes()
    assert data.startswith(crlf.encode()) and b"\r\n    StripeCharge:\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_an_action_is_not_run_by_infer(tmp_path: Path) -> None:
    root = _copy_samples(tmp_path)
    done = _cli(root, "fetch-fields", "salesforce-demo")
    assert done.returncode == 1 and "is an action: run it with its input first" in done.stderr


def test_nango_yaml_changed_since_the_proposal_is_not_overwritten(tmp_path: Path) -> None:
    root = _other_project(tmp_path)
    proposal = propose(root, "charges")
    (root / "nango.yaml").write_text(OTHER_YAML + "# edited meanwhile\n")
    with pytest.raises(InferError, match="changed since"):
        apply(proposal)
    assert (root / "nango.yaml").read_text().endswith("# edited meanwhile\n")


# -- bad input ---------------------------------------------------------------------------------------


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return warm_cli.run(
        [*CLI, "infer", *args, "--dir", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_cli_shows_without_writing_when_not_asked(tmp_path: Path) -> None:
    root = _other_project(tmp_path)
    done = _cli(root, "tickets")
    assert done.returncode == 0, done.stderr
    assert (
        "+    ZendeskTicket:" in done.stdout
        and "def to_zendesk_ticket(raw: dict) -> ZendeskTicket:" in done.stdout
    )
    assert "nothing written" in done.stdout
    assert (root / "nango.yaml").read_text() == OTHER_YAML
    done = _cli(root, "tickets", "--apply")
    assert done.returncode == 0 and "wrote nango.yaml" in done.stdout
    assert "models.py is not regenerated" in done.stdout  # hubspot and stripe still lack their models
    assert "ZendeskTicket:" in (root / "nango.yaml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no sync or action `nope`"),
        (["charges", "--model", "bad name"], "is not a model name"),
        (["charges", "--from-run"], "no run of stripe/charges"),
        (["charges", "x-demo", "--from-recording"], "drop CONNECTION"),
        (["charges", "stripe-demo"], "fix them first"),  # no run while nango.yaml lacks models
    ],
)
def test_cli_bad_input_is_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    root = _other_project(tmp_path)
    done = _cli(root, *args)
    assert done.returncode in (1, 2), done
    assert message in done.stderr and "Traceback" not in done.stderr
    assert (root / "nango.yaml").read_text() == OTHER_YAML


def test_cli_unknown_connection(tmp_path: Path) -> None:
    root = _copy_samples(tmp_path)
    done = _cli(root, "contacts", "missing-conn")
    assert done.returncode == 1 and "missing-conn" in done.stderr and "Traceback" not in done.stderr, done


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"exchanges": []}', "no JSON object"),
        (
            '{"format": 1, "exchanges": [{"method": "GET", "url": "https://x", "status": 500, "body": {"a": 1}}]}',
            "no JSON object",
        ),
        ("[" * 100_000 + "]" * 100_000, "too deeply"),
    ],
    ids=["not-json", "no-exchanges", "only-errors", "deep"],
)
def test_broken_recordings(tmp_path: Path, content: str, message: str) -> None:
    root = _other_project(tmp_path)
    (root / "stripe" / "mocks" / "charges.json").write_text(content)
    done = _cli(root, "charges")
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("", "holds no saved records"),
        ('{"op": "delete", "model": "StripeCharge", "record": {"id": "x"}}\n', "holds no saved records"),
        ("garbage\n", "not a JSON line"),
        ('{"op": "save", "model": "M", "record": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "too deeply"),
    ],
    ids=["empty", "deletes-only", "garbage", "deep"],
)
def test_broken_run_files(tmp_path: Path, lines: str, message: str) -> None:
    root = _other_project(tmp_path)
    runs = root / ".nango" / "runs"
    runs.mkdir(parents=True)
    (runs / "20260101-000000-000000-stripe-charges.jsonl").write_text(lines)
    done = _cli(root, "charges", "--from-run")
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done


def test_flow_style_models_are_refused_not_mangled(tmp_path: Path) -> None:
    root = _other_project(tmp_path)
    text = OTHER_YAML.split("models:")[0] + "models: {Note: {id: string}}\n"
    (root / "nango.yaml").write_text(text)
    done = _cli(root, "charges", "--apply")
    assert done.returncode == 1 and "flow style" in done.stderr
    assert (root / "nango.yaml").read_text() == text
