"""Script scaffolding: a starting file for a sync or action that has none yet.

A scaffold follows DESIGN.md's script API, imports exactly what it uses (so pyflakes and the
project's checks find nothing), and runs without failing: a sync logs that it is not written
yet and saves nothing; an action raises an ActionError saying so. The example code to start
from (a paginate + batch_save, or a request + return) is in comments, built from the declared
models and endpoint.
"""

from __future__ import annotations

import re
import unicodedata

from nango_tui.config import Action, Project, Script, Sync
from nango_tui.config import types as T

from .models_py import class_names, py_literal

_PRIMITIVE_ANNOTATION = {
    "string": "str",
    "number": "float",
    "integer": "int",
    "bigint": "int",
    "boolean": "bool",
    "date": "datetime",
    "object": "dict",
    "any": "Any",
}


class _Imports:
    def __init__(self) -> None:
        self.stdlib: dict[str, set[str]] = {}
        self.sdk: set[str] = set()
        self.models: set[str] = set()

    def render(self) -> str:
        blocks = []
        if self.stdlib:
            blocks.append(
                "\n".join(f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(self.stdlib.items()))
            )
        if self.sdk:
            blocks.append(f"from nango_tui.sdk import {', '.join(sorted(self.sdk))}")
        if self.models:
            blocks.append(f"from models import {', '.join(sorted(self.models))}")
        return "\n\n".join(blocks)


class _Annotator:
    """Python annotations for a script's input/output types, collecting the imports they need."""

    def __init__(self, project: Project, imports: _Imports) -> None:
        self.project = project
        self.classes = class_names(project)
        self.imports = imports

    def of_text(self, text: str) -> str:
        return self.of(T.parse_type_text(text, self.project.models))

    def of(self, node: T.TypeNode) -> str:
        if isinstance(node, T.Primitive):
            name = _PRIMITIVE_ANNOTATION.get(node.name, "Any")
            if name == "datetime":
                self.imports.stdlib.setdefault("datetime", set()).add("datetime")
            elif name == "Any":
                self.imports.stdlib.setdefault("typing", set()).add("Any")
            return name
        if isinstance(node, T.Literal):
            if node.value is None:
                return "None"
            self.imports.stdlib.setdefault("typing", set()).add("Literal")
            return f"Literal[{py_literal(node.value)}]"
        if isinstance(node, T.ModelRef) and node.name in self.classes:
            cls = self.classes[node.name]
            self.imports.models.add(cls)
            return cls
        if isinstance(node, T.ArrayOf):
            return f"list[{self.of(node.item)}]"
        if isinstance(node, T.UnionOf):
            parts: list[str] = []
            for member in node.members:
                if isinstance(member, T.Literal) and member.undefined:
                    continue
                text = self.of(member)
                if text not in parts:
                    parts.append(text)
            return " | ".join(parts) or "None"
        self.imports.stdlib.setdefault("typing", set()).add("Any")
        return "Any"


def _escape_controls(text: str, keep: str = "") -> str:
    """Control characters (NUL, CR, U+2028...) as Python escapes, except those in `keep`."""
    return "".join(
        c
        if c in keep or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")
        else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        for c in text
    )


def _comment(text: str) -> str:
    """Text safe on one comment line: a newline in it can never start a line of code."""
    return _escape_controls(text.replace("\\", "\\\\"))


def _docstring(text: str, indent: str = "") -> str:
    text = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = _escape_controls(text.replace("\r\n", "\n"), keep="\n\t")
    lines = [line.rstrip() for line in text.splitlines()]
    body = "\n".join((indent + line) if line else "" for line in lines)
    return f'{indent}"""{body.lstrip()}\n{indent}"""' if len(lines) > 1 else f'{indent}"""{body.lstrip()}"""'


def _snake(name: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return text or "record"


def _endpoint_path(script: Script) -> tuple[str, str]:
    if script.endpoints:
        return script.endpoints[0].method.upper(), script.endpoints[0].path
    return ("GET" if isinstance(script, Sync) else "POST"), "/" + script.name


def _mapper(model_name: str, cls: str, project: Project, func: str) -> list[str]:
    """A function turning one API item into a record: required keys read, optional ones commented."""
    model = project.models[model_name]
    lines = [
        "",
        "",
        f"def {func}(item: dict) -> {cls}:",
        f'    """One item of the API\'s response as a {cls} record (adjust the keys to the API\'s)."""',
        f"    return {cls}.model_validate(",
        "        {",
    ]
    for f in model.fields:
        key = py_literal(f.name)
        described = _comment(T.describe(f.type))
        if f.optional or T.allows_undefined(f.type):
            lines.append(f"            # {key}: item.get({key}),  # optional: {described}")
        elif isinstance(f.type, T.UnionOf) and any(
            isinstance(m, T.Literal) and m.value is None and not m.undefined for m in f.type.members
        ):
            lines.append(f"            {key}: item.get({key}),  # {described}")
        else:
            lines.append(f"            {key}: item[{key}],  # {described}")
    lines += ["        }", "    )"]
    return lines


def _sync_source(sync: Sync, project: Project) -> str:
    imports = _Imports()
    imports.sdk.add("NangoSync")
    classes = class_names(project)
    outputs = [o for o in sync.output if o in project.models]
    summary = sync.description.strip() or f"Sync `{sync.name}` of {sync.integration}."
    facts = f"Runs {sync.runs or 'on its schedule'}, {sync.sync_type}"
    if outputs:
        facts += "; saves " + ", ".join(outputs) + " records"
    if sync.input:
        facts += f"; its metadata is a {sync.input}"
    facts += "."
    doc = f"{summary}\n\n{facts}\nGenerated by `nango-tui generate`; the file is yours: generate never touches it again."
    _, path = _endpoint_path(sync)

    mappers: list[str] = []
    save_lines: list[str] = []
    used_funcs: set[str] = set()
    for model_name in outputs:
        cls = classes[model_name]
        imports.models.add(cls)
        func = "to_" + _snake(model_name)
        while func in used_funcs:
            func += "_"
        used_funcs.add(func)
        mappers += _mapper(model_name, cls, project, func)
        save_lines.append(
            f"    #     await nango.batch_save([{func}(item) for item in page], {py_literal(model_name)})"
        )

    body = [
        "",
        "",
        "async def fetch_data(nango: NangoSync) -> None:",
        '    """Fetches the records from the API and saves them with nango.batch_save."""',
        "    # Not written yet: this run saves nothing. An example to start from; set the provider",
        "    # API's path and its pagination (cursor, link or offset):",
        "    #",
    ]
    if sync.input:
        body.append("    # metadata = await nango.get_metadata()  # " + _comment(sync.input))
    body.append("    # async for page in nango.paginate(")
    body.append(f"    #     endpoint={py_literal(path)},")
    if sync.sync_type == "incremental":
        body.append(
            '    #     params={"updated_since": nango.last_sync_date.isoformat()} if nango.last_sync_date else {},'
        )
    body.append("    #     # leave `paginate` out to use the provider's default pagination")
    body.append(
        '    #     paginate={"type": "cursor", "cursor_path_in_response": "next", "cursor_name_in_request": "cursor", "response_path": "results"},'
    )
    body.append("    # ):")
    body += save_lines or ['    #     await nango.log(f"{len(page)} items")']
    body.append(
        f"    await nango.log({py_literal(sync.name + ': fetch_data is not written yet; nothing was saved')})"
    )
    if sync.webhook_subscriptions:
        body += _webhook_handler(sync)
    return _assemble(doc, imports, body + mappers)


def _webhook_handler(sync: Sync) -> list[str]:
    """`on_webhook(nango, payload)`: what Nango runs for the sync's webhook subscriptions."""
    subscriptions = ", ".join(sync.webhook_subscriptions)
    return [
        "",
        "",
        "async def on_webhook(nango: NangoSync, payload: dict) -> None:",
        f'    """Handles a webhook of the subscriptions: {_doc_text(subscriptions)}.',
        "",
        f"    Try it: `nango-tui dryrun {_doc_text(sync.name)} CONNECTION_ID --webhook @payload.json`.",
        '    """',
        f"    await nango.log({py_literal(sync.name + ': on_webhook is not written yet; payload received')}, payload)",
    ]


def _doc_text(text: str) -> str:
    """`text` safe inside a triple-quoted docstring on one line."""
    return "".join(c for c in text if c.isprintable()).replace("\\", "\\\\").replace('"', "'")


#: on-events of nango.yaml and what they are for (Nango's names)
ON_EVENTS = {
    "post-connection-creation": "runs after a connection is created",
    "pre-connection-deletion": "runs before a connection is deleted",
    "validate-connection": "checks a new connection's credentials; raise ActionError to refuse it",
}


def on_event_source(integration: str, event: str, name: str) -> str:
    """The starting source of an on-events script: `async def on_event(nango)`."""
    imports = _Imports()
    imports.sdk.add("NangoAction")
    what = ON_EVENTS.get(event, "runs on an event of the connection")
    doc = (
        f"The {event} script `{name}` of {integration}: it {what}.\n\n"
        f"Try it with `nango-tui dryrun {name} CONNECTION_ID`.\n"
        "Generated by `nango-tui generate`; the file is yours: generate never touches it again."
    )
    body = [
        "",
        "",
        "async def on_event(nango: NangoAction) -> None:",
        f'    """{what[0].upper() + what[1:]}."""',
        "    # e.g. connection = await nango.get_connection(); await nango.set_metadata({...})",
        f"    await nango.log({py_literal(name + ': on_event is not written yet')})",
    ]
    return _assemble(doc, imports, body)


def _action_source(action: Action, project: Project) -> str:
    imports = _Imports()
    imports.sdk.update(("ActionError", "NangoAction"))
    annotate = _Annotator(project, imports)
    params = "nango: NangoAction"
    input_node = T.parse_type_text(action.input, project.models) if action.input else None
    if action.input:
        params += f", input: {annotate.of_text(action.input)}"
    output_node: T.TypeNode | None = None
    if len(action.output) == 1:
        output_node = T.parse_type_text(action.output[0], project.models)
    elif action.output:
        output_node = T.UnionOf(tuple(T.parse_type_text(o, project.models) for o in action.output))
    returns = annotate.of(output_node) if output_node is not None else "None"

    method, path = _endpoint_path(action)
    summary = action.description.strip() or f"Action `{action.name}` of {action.integration}."
    doc = (
        f"{summary}\n\nExposed as {method} {path}. Until it is written it fails with an ActionError saying so.\n"
        "Generated by `nango-tui generate`; the file is yours: generate never touches it again."
    )
    request = f"    # response = await nango.{method.lower()}({py_literal(path)}"
    if method != "GET" and input_node is not None:
        if isinstance(input_node, T.ModelRef):
            request += ", data=input"
        else:
            request += ', data={"input": input}'
    request += ")"
    body = [
        "",
        "",
        f"async def run_action({params}) -> {returns}:",
        '    """Calls the API and returns the output nango.yaml declares."""',
        "    # Not written yet. An example to start from; set the provider API's path:",
        "    #",
        request,
        *_example_return(output_node, project),
        f'    raise ActionError({{"message": {py_literal(action.name + " is not written yet")}}})',
    ]
    return _assemble(doc, imports, body)


def _example_return(node: T.TypeNode | None, project: Project) -> list[str]:
    classes = class_names(project)
    if isinstance(node, T.ModelRef) and node.name in classes:
        return [f"    # return {classes[node.name]}.model_validate(response.json())"]
    if isinstance(node, T.ArrayOf) and isinstance(node.item, T.ModelRef) and node.item.name in classes:
        return [f"    # return [{classes[node.item.name]}.model_validate(item) for item in response.json()]"]
    if isinstance(node, T.Primitive) and node.name == "boolean":
        return ["    # return response.is_success"]
    if isinstance(node, T.Primitive) and node.name == "string":
        return ["    # return response.text"]
    if node is None:
        return ["    # return None"]
    return ["    # return response.json()"]


def _assemble(doc: str, imports: _Imports, body: list[str]) -> str:
    return _docstring(doc) + "\n\n" + imports.render() + "\n" + "\n".join(body) + "\n"


def scaffold_source(script: Script, project: Project) -> str:
    """The starting source of a sync's or action's script (deterministic)."""
    if isinstance(script, Sync):
        return _sync_source(script, project)
    if isinstance(script, Action):
        return _action_source(script, project)
    raise TypeError(f"not a sync or an action: {script!r}")
