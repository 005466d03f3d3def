"""One place for the infer workflow: pick the records, infer, propose a nango.yaml edit, apply it.

The CLI (`infer/command.py`) and the workbench (`tui/screens/infer_screen.py`) both call
`propose` then, if the user says so, `apply`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nango_tui.config import CONFIG_FILE, Project, Script, load_project, load_text
from nango_tui.config import types as T
from nango_tui.config.diagnostics import Diagnostic, DiagnosticList
from nango_tui.config.yamlnodes import parse as parse_yaml

from .compare import same_fields
from .render import mapping_source, model_yaml
from .schema import Inference, infer_models, pascal_name, singular
from .sources import (
    NoRecords,
    RecordSource,
    SourceError,
    from_recorded_results,
    from_recording,
    from_run_file,
    latest_run_file,
    recording_path,
)
from .yamledit import EditError, ModelsText, apply_models

SourceKind = Literal["auto", "run", "recording"]


class InferError(Exception):
    """The inference cannot be proposed or applied; the message says why and what to do."""


@dataclass
class Proposal:
    """Models inferred for one script, as an edit of nango.yaml and a mapping to paste."""

    root: Path
    script: Script
    model: str
    source: RecordSource
    inference: Inference
    old_text: str
    new_text: str
    mapping: str
    replaced: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    known_errors: set[tuple[str, str]] = field(default_factory=set)  # nango.yaml's errors before the edit

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text

    def diff(self) -> str:
        """A unified diff of nango.yaml (empty when nothing changes)."""
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                f"a/{CONFIG_FILE}",
                f"b/{CONFIG_FILE}",
            )
        )


@dataclass
class ApplyResult:
    """What `apply` did; `pending` are errors nango.yaml had before (models.py waits for their fix)."""

    written: bool
    models_py_written: bool
    problems: list[str]
    pending: list[str] = field(default_factory=list)


def _errors(diagnostics: Iterable[Diagnostic]) -> set[tuple[str, str]]:
    return {(d.code, d.message) for d in diagnostics if d.severity == "error"}


def _load(root: Path) -> tuple[Project, str, set[tuple[str, str]]]:
    """The project, nango.yaml's text, and its errors: only missing models are tolerated (infer defines them)."""
    path = root / CONFIG_FILE
    try:
        text = path.read_bytes().decode("utf-8")  # line ends as they are (CRLF kept)
    except (OSError, UnicodeDecodeError) as err:
        raise InferError(f"cannot read {path}: {err}") from None
    result = load_project(root)
    project = result.project or result.partial
    errors = [d for d in result.diagnostics if d.severity == "error"]
    blocking = [d for d in errors if d.code != "model_not_found"]
    if project is None or blocking:
        first = blocking[0] if blocking else None
        where = f" ({first.line}:{first.column}: {first.message})" if first else ""
        raise InferError(f"{path} has errors{where}; fix them first (`nango-tui validate --dir {root}`)")
    return project, text, _errors(errors)


def find_script(project: Project, name: str, integration: str | None = None) -> Script:
    found = project.find_script(name, integration)
    if len(found) == 1:
        return found[0]
    if not found:
        known = ", ".join(sorted(f"{s.integration}/{s.name}" for s in project.scripts())) or "none"
        raise InferError(f"no sync or action `{name}` in nango.yaml (there are: {known})")
    where = ", ".join(s.integration for s in found)
    raise InferError(f"`{name}` is in several integrations ({where}); say which with --integration-id")


def _written_outputs(text: str, script: Script) -> list[str]:
    """The script's `output` as nango.yaml writes it (the loader drops names of undefined models)."""
    root = parse_yaml(text, DiagnosticList(CONFIG_FILE))
    try:
        spec = root["integrations"][script.integration][script.folder.rstrip("s") + "s"][script.name]
        output = spec.get("output")
    except (KeyError, TypeError, AttributeError):
        return []
    items = output if isinstance(output, list) else [output]
    return [str(o).strip().removesuffix("[]").strip() for o in items if isinstance(o, str)]


def default_model(project: Project, script: Script, text: str = "") -> str:
    """The script's one output model when it has one, else a name made from the script's."""
    outputs = [o.removesuffix("[]") for o in script.output] if hasattr(script, "output") else []
    outputs = outputs or _written_outputs(text, script)
    models = [o for o in outputs if T.is_valid_model_name(o) and o.lower() not in T.TYPE_ALIASES]
    if len(models) == 1:
        return models[0]
    return pascal_name(script.integration) + pascal_name(singular(script.name))


def pick_source(root: Path, script: Script, kind: SourceKind, model: str | None) -> RecordSource:
    """The records for `kind`: a run's records file, or a recording; `auto` prefers the recording."""
    recording = recording_path(root, script.integration, script.name)
    run = latest_run_file(root, script.integration, script.name)
    if kind == "recording" or (kind == "auto" and recording.is_file()):
        return from_recording(recording)
    no_run = SourceError(
        f"no run of {script.integration}/{script.name} under .nango/runs"
        + (
            " and no results saved in its recording"
            if recording.is_file()
            else f" and no recording at {recording}"
        )
        + f"; run it first: `nango-tui dryrun {script.name} CONNECTION` "
        "(add --save-responses to record the API's responses)"
    )
    if run is not None:
        try:
            return from_run_file(run, model)
        except NoRecords as err:
            if not recording.is_file():
                raise
            try:  # an action's run saves no records: its output is in the recording
                return from_recorded_results(recording, model)
            except NoRecords:
                raise err from None
    if recording.is_file():
        try:
            return from_recorded_results(recording, model)
        except NoRecords:
            raise no_run from None
    raise no_run


def _owned(project: Project, target: str) -> set[str]:
    """`target` and the models only it uses (directly or through them): those it may rewrite."""
    used_by: dict[str, set[str]] = {}
    for model in project.models.values():
        for f in model.fields:
            for ref in T.referenced_models(f.type):
                used_by.setdefault(ref, set()).add(model.name)
        for ext in model.extends:
            used_by.setdefault(ext, set()).add(model.name)
    io: set[str] = set()
    for script in project.scripts():
        for name in [*getattr(script, "output", []), getattr(script, "input", None) or ""]:
            io.add(name.removesuffix("[]"))
    owned = {target}
    grew = True
    while grew:
        grew = False
        for name, users in used_by.items():
            if name not in owned and name not in io and users and users <= owned:
                owned.add(name)
                grew = True
    return owned


def propose(
    root: Path,
    name: str,
    *,
    integration: str | None = None,
    model: str | None = None,
    source: SourceKind = "auto",
    records: RecordSource | None = None,
) -> Proposal:
    """Infer the models of one script's records and the nango.yaml that would hold them."""
    root = Path(root)
    project, text, known_errors = _load(root)
    script = find_script(project, name, integration)
    if model is not None and not T.is_valid_model_name(model):
        raise InferError(f"--model {model!r} is not a model name (letters, digits and _ only)")
    try:
        chosen = records or pick_source(root, script, source, model)
    except SourceError as err:
        raise InferError(str(err)) from None
    target = model or default_model(project, script, text)
    owned = _owned(project, target)
    hints = {
        (m, f.name): next(iter(T.referenced_models(f.type)))
        for m in owned
        if m in project.models
        for f in project.models[m].fields
        if len(T.referenced_models(f.type)) == 1
    }
    inference = infer_models(chosen.records, target, set(project.models) - owned, hints)
    try:
        doc = ModelsText(text)
    except EditError as err:
        raise InferError(str(err)) from None
    indent, step = doc.indents()
    rendered: dict[str, list[str]] = {}
    replaced, added, unchanged = [], [], []
    names = set(project.models) | {m.name for m in inference.models}
    for m in inference.models:
        declared = project.models.get(m.name)
        if declared is not None:
            if same_fields(declared, m, names):
                unchanged.append(m.name)  # kept as written: its comments, `__extends`, order
                continue
            order = {f.name: i for i, f in enumerate(declared.fields)}
            m.fields.sort(key=lambda f: order.get(f.name, len(order)))
        lines = model_yaml(m, indent if m.name not in doc.blocks else " " * doc.blocks[m.name].column, step)
        if m.name in doc.blocks:
            if doc.block_text(m.name) == "".join(lines):
                unchanged.append(m.name)
                continue
            replaced.append(m.name)
        else:
            added.append(m.name)
        rendered[m.name] = lines
    new_text = apply_models(text, rendered, target) if rendered else text
    if rendered:
        check = load_text(new_text, root)
        new_errors = [
            d for d in check.diagnostics if d.severity == "error" and (d.code, d.message) not in known_errors
        ]
        if new_errors:
            first = new_errors[0]
            raise InferError(
                f"the inferred models would make nango.yaml invalid ({first.line}:{first.column}: "
                f"{first.message}); nothing was changed"
            )
    return Proposal(
        root=root,
        script=script,
        model=target,
        source=chosen,
        inference=inference,
        old_text=text,
        new_text=new_text,
        mapping=mapping_source(inference.models, chosen.described),
        replaced=replaced,
        added=added,
        unchanged=unchanged,
        known_errors=known_errors,
    )


def apply(proposal: Proposal) -> ApplyResult:
    """Write the proposed nango.yaml (if it did not change meanwhile) and regenerate models.py."""
    from nango_tui.codegen.generate import generate, write_atomic

    path = proposal.root / CONFIG_FILE
    try:
        current = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InferError(f"cannot read {path}: {err}") from None
    if current != proposal.old_text:
        raise InferError(f"{path} changed since the models were inferred; run infer again")
    if not proposal.changed:
        return ApplyResult(False, False, [])
    try:
        write_atomic(path, proposal.new_text)
    except OSError as err:
        raise InferError(f"could not write {path}: {err.strerror or err}") from None
    report = generate(proposal.root)
    problems: list[str] = []
    pending: list[str] = []
    for d in report.diagnostics:
        if d.severity != "error":
            continue
        text = f"{d.file}:{d.line}:{d.column}: {d.message}"
        (pending if (d.code, d.message) in proposal.known_errors else problems).append(text)
    return ApplyResult(True, bool(report.models_written), problems, pending)
