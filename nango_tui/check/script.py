"""The checks of one script's source: syntax, entry point, SDK calls, models, names and imports."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

from nango_tui.config.diagnostics import Diagnostic
from nango_tui.config.models_parser import close_match

from .imports import ImportResolver, ModelsIndex

NodeIndex = dict[type, list[Any]]  # every node of a script's tree by its type

#: SDK methods that are coroutines (docs/sdk.md); calling one without `await` does nothing.
SDK_COROUTINES = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "proxy",
        "uncontrolled_fetch",
        "get_connection",
        "get_token",
        "get_integration",
        "get_webhook_url",
        "get_metadata",
        "set_metadata",
        "update_metadata",
        "get_field_mapping",
        "set_field_mapping",
        "get_environment_variables",
        "try_acquire_lock",
        "release_lock",
        "release_all_locks",
        "log",
        "batch_save",
        "batch_send",
        "batch_update",
        "batch_delete",
        "get_records_by_ids",
        "set_merging_strategy",
        "delete_records_from_previous_executions",
        "get_checkpoint",
        "save_checkpoint",
        "clear_checkpoint",
    }
)
#: every other public member a script may use on `nango` (a test checks both lists against the SDK)
SDK_PLAIN_MEMBERS = frozenset(
    {
        "paginate",
        "get_flow_attributes",
        "set_logger",
        "model_full_name",
        "connection_id",
        "provider_config_key",
        "provider",
        "environment",
        "dry_run",
        "ActionError",
        "last_sync_date",
        "track_deletes",
        "variant",
    }
)
SDK_MEMBERS = SDK_COROUTINES | SDK_PLAIN_MEMBERS
#: members only a sync has
SYNC_ONLY = frozenset(
    {
        "batch_save",
        "batch_send",
        "batch_update",
        "batch_delete",
        "get_records_by_ids",
        "set_merging_strategy",
        "delete_records_from_previous_executions",
        "get_checkpoint",
        "save_checkpoint",
        "clear_checkpoint",
        "last_sync_date",
        "track_deletes",
        "variant",
        "model_full_name",
    }
)
#: Nango names whose Python name is not just their snake_case
NANGO_RENAMED = {"getWebhookURL": "get_webhook_url", "batchSend": "batch_send"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def python_name_of(name: str) -> str | None:
    """The SDK's Python name for a Nango (camelCase) name, when there is one."""
    python = NANGO_RENAMED.get(name) or _CAMEL.sub("_", name).lower()
    return python if python != name and python in SDK_MEMBERS else None


BATCH_METHODS = ("batch_save", "batch_update", "batch_delete")
SDK_CLASSES = ("NangoSync", "NangoAction")
#: calls that take coroutines and await them later, so an un-awaited SDK call inside is fine
AWAITING_CALLS = frozenset(
    {"gather", "create_task", "ensure_future", "wait_for", "shield", "wait", "as_completed", "run"}
)
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})

#: pyflakes messages that mean the script fails when it runs; the others are warnings
PYFLAKES_ERRORS = {
    pyflakes_messages.UndefinedName: "undefined_name",
    pyflakes_messages.UndefinedLocal: "undefined_name",
    pyflakes_messages.UndefinedExport: "undefined_name",
}


@dataclass(frozen=True, slots=True)
class ScriptRole:
    """What the config says a script file is. `configured` is None when there is no usable config."""

    kind: str  # "sync" | "action" | "on-event"
    integration: str
    name: str
    configured: bool | None
    outputs: tuple[str, ...] = ()
    has_input: bool = False
    webhooks: bool = False  # a sync with webhook-subscriptions: it needs `on_webhook(nango, payload)`

    @property
    def entry(self) -> str | None:
        return {"sync": "fetch_data", "action": "run_action", "on-event": "on_event"}.get(self.kind)

    def expected_signature(self) -> str:
        if self.kind == "sync":
            return "async def fetch_data(nango: NangoSync) -> None"
        if self.kind == "on-event":
            return "async def on_event(nango: NangoAction) -> None"
        params = "nango: NangoAction, input" if self.has_input else "nango: NangoAction"
        return f"async def run_action({params})"


def check_source(
    rel_path: str, source: str | bytes, role: ScriptRole | None, resolver: ImportResolver, models: ModelsIndex
) -> list[Diagnostic]:
    """Every diagnostic of one script's source text (not sorted)."""
    out: list[Diagnostic] = []
    with warnings.catch_warnings(record=True) as caught:
        # the parser's own warnings (invalid escape sequences, `is` with a literal ...) become
        # diagnostics instead of text on stderr
        warnings.simplefilter("always")
        try:
            tree = ast.parse(source, filename=rel_path)
        except SyntaxError as err:
            return [_syntax_diag(rel_path, err)]
        except ValueError as err:  # e.g. a NUL byte
            return [Diagnostic(rel_path, 1, 1, "error", "syntax_error", f"cannot parse the script: {err}")]
        except (RecursionError, MemoryError):
            return [
                Diagnostic(
                    rel_path, 1, 1, "error", "syntax_error", "the script is nested too deeply to parse"
                )
            ]
        compiled = True
        try:
            compile(tree, rel_path, "exec", dont_inherit=True)
        except (
            SyntaxError
        ) as err:  # what the parser lets through: `await` outside async, misplaced return ...
            out.append(_syntax_diag(rel_path, err))
            compiled = False
        except (ValueError, RecursionError) as err:
            out.append(
                Diagnostic(rel_path, 1, 1, "error", "syntax_error", f"cannot compile the script: {err}")
            )
            compiled = False
    for warning in caught:
        if issubclass(warning.category, (SyntaxWarning, DeprecationWarning)) and warning.filename == rel_path:
            out.append(
                Diagnostic(
                    rel_path,
                    max(warning.lineno or 1, 1),
                    1,
                    "warning",
                    "syntax_warning",
                    str(warning.message),
                )
            )
    if compiled:
        try:
            out.extend(_pyflakes(rel_path, tree))
        except RecursionError:  # pyflakes recurses; a legal but absurdly nested script
            pass
    nodes = _index(tree)
    walker = _ScriptWalker(rel_path, role, models.class_models())
    walker.run(nodes)
    out.extend(walker.out)
    if role is not None and role.entry and role.configured is not False:
        out.extend(_entry_point(rel_path, tree, role))
        if role.webhooks:
            out.extend(_webhook_handler(rel_path, tree, role))
    out.extend(_imports(rel_path, nodes, resolver, models))
    return out


def _index(tree: ast.Module) -> NodeIndex:
    """Every node of the tree by its type: one walk instead of one per check (the biggest cost)."""
    nodes: NodeIndex = {}
    stack: list[ast.AST] = [tree]
    pop, push = stack.pop, stack.append
    AST = ast.AST
    while stack:
        node = pop()
        nodes.setdefault(type(node), []).append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
    for group in nodes.values():  # source order, for stable output
        if group and hasattr(group[0], "lineno"):
            group.sort(key=lambda n: (n.lineno, n.col_offset))
    return nodes


def _syntax_diag(rel_path: str, err: SyntaxError) -> Diagnostic:
    line = max(err.lineno or 1, 1)
    column = max(err.offset or 1, 1)
    end_line = err.end_lineno if err.end_lineno and err.end_lineno >= line else None
    end_column = err.end_offset if end_line and err.end_offset and err.end_offset > 0 else None
    message = err.msg or "invalid syntax"
    return Diagnostic(
        rel_path, line, column, "error", "syntax_error", message, end_line=end_line, end_column=end_column
    )


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _pyflakes(rel_path: str, tree: ast.Module) -> list[Diagnostic]:
    out = []
    for msg in pyflakes_checker.Checker(tree, filename=rel_path).messages:
        text = msg.message % msg.message_args
        line, column = msg.lineno, msg.col + 1
        code = PYFLAKES_ERRORS.get(type(msg))
        if code:
            out.append(Diagnostic(rel_path, line, column, "error", code, text, hint="define or import it"))
        elif isinstance(msg, pyflakes_messages.UnusedImport):
            out.append(
                Diagnostic(rel_path, line, column, "warning", "unused_import", text, hint="remove the import")
            )
        else:
            out.append(
                Diagnostic(
                    rel_path, line, column, "warning", _CAMEL.sub("_", type(msg).__name__).lower(), text
                )
            )
    return out


def _webhook_handler(rel_path: str, tree: ast.Module, role: ScriptRole) -> list[Diagnostic]:
    """A sync with webhook-subscriptions handles them in `async def on_webhook(nango, payload)`."""
    found = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "on_webhook":
            found = node
    expected = "async def on_webhook(nango: NangoSync, payload) -> None"
    if found is None:
        return [
            Diagnostic(
                rel_path,
                1,
                1,
                "warning",
                "missing_webhook_handler",
                f'the sync "{role.name}" has webhook-subscriptions but no `{expected}`: its webhooks are ignored',
                hint="add the function (`nango-tui generate` scaffolds it in new scripts)",
            )
        ]
    args = found.args
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    most = float("inf") if args.vararg else len(positional)
    problems = []
    if isinstance(found, ast.FunctionDef):
        problems.append("must be async")
    if not required <= 2 <= most:
        problems.append("takes (nango, payload)")
    return [
        Diagnostic(
            rel_path,
            found.lineno,
            found.col_offset + 1,
            "error",
            "entry_signature",
            f"`on_webhook` {p}: `{expected}`",
        )
        for p in problems
    ]


def _entry_point(rel_path: str, tree: ast.Module, role: ScriptRole) -> list[Diagnostic]:
    entry = role.entry
    expected = role.expected_signature()
    what = f'the {role.kind} "{role.name}"'
    found: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry:
            found = node  # the last definition wins, as in Python
    if found is None:
        return [
            Diagnostic(
                rel_path,
                1,
                1,
                "error",
                "missing_entry_point",
                f"{what} must define `{expected}`",
                hint=f"Nango calls `{entry}` to run it",
            )
        ]
    out = []
    where = (found.lineno, found.col_offset + 1)
    if isinstance(found, ast.FunctionDef):
        out.append(
            Diagnostic(
                rel_path,
                *where,
                "error",
                "entry_not_async",
                f"`{entry}` must be async: `{expected}`",
                hint=f"write `async def {entry}(...)`",
            )
        )
    # an action runs as run_action(nango) or run_action(nango, input), whatever nango.yaml says
    want_range = (1, 2) if role.kind == "action" else (1, 1)
    args = found.args
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    most = float("inf") if args.vararg else len(positional)
    kw_required = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    fits = any(required <= n <= most for n in range(want_range[0], want_range[1] + 1)) and not kw_required
    got = ", ".join(a.arg for a in positional) or "no parameters"
    if not fits:
        out.append(
            Diagnostic(
                rel_path,
                *where,
                "error",
                "entry_signature",
                f"`{entry}` takes ({got}); expected `{expected}`",
                hint="an action takes (nango) or (nango, input)" if role.kind == "action" else None,
            )
        )
    elif role.kind == "action" and role.configured and role.has_input and most < 2:
        out.append(
            Diagnostic(
                rel_path,
                *where,
                "warning",
                "input_not_taken",
                f"{what} declares an `input` in nango.yaml but `{entry}` takes ({got}): the input is not passed",
                hint=f"write `{expected}` to use it",
            )
        )
    return out


def _imports(
    rel_path: str, nodes: NodeIndex, resolver: ImportResolver, models: ModelsIndex
) -> list[Diagnostic]:
    out = []
    guarded = _guarded_imports(nodes)
    for node in sorted(
        nodes.get(ast.ImportFrom, []) + nodes.get(ast.Import, []), key=lambda n: (n.lineno, n.col_offset)
    ):
        if isinstance(node, ast.ImportFrom):
            where = (node.lineno, node.col_offset + 1)
            if node.level:
                out.append(
                    Diagnostic(
                        rel_path,
                        *where,
                        "error",
                        "unresolved_import",
                        "relative imports do not work in a script (scripts are loaded by path)",
                        hint="import from a module in the integrations folder by its name",
                    )
                )
                continue
            top = (node.module or "").split(".")[0]
            if top == "models":
                out.extend(_models_import(rel_path, node, models))
            elif id(node) not in guarded and not resolver.resolves(top):
                out.append(_unresolved(rel_path, where, node.module or top))
        elif isinstance(node, ast.Import) and id(node) not in guarded:
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top == "models":
                    if not models.exists:
                        out.append(_no_models(rel_path, node))
                elif not resolver.resolves(top):
                    out.append(_unresolved(rel_path, (node.lineno, node.col_offset + 1), alias.name))
    return out


def _unresolved(rel_path: str, where: tuple[int, int], module: str) -> Diagnostic:
    return Diagnostic(
        rel_path,
        *where,
        "error",
        "unresolved_import",
        f"cannot find the module `{module}` in this environment or the integrations folder",
        hint=f"install it (pip install ...) or add {module.split('.')[0]}.py to the integrations folder",
    )


def _no_models(rel_path: str, node: ast.stmt) -> Diagnostic:
    return Diagnostic(
        rel_path,
        node.lineno,
        node.col_offset + 1,
        "error",
        "unresolved_import",
        "models.py does not exist yet",
        hint="run `nango-tui generate` (or `compile`) to write it",
    )


def _models_import(rel_path: str, node: ast.ImportFrom, models: ModelsIndex) -> list[Diagnostic]:
    if node.module != "models":
        return [_unresolved(rel_path, (node.lineno, node.col_offset + 1), node.module or "models")]
    names = models.names()
    if names is None:
        return [_no_models(rel_path, node)] if not models.exists else []
    out = []
    for alias in node.names:
        if alias.name == "*" or alias.name in names:
            continue
        guess = close_match(alias.name, [n for n in names if not n.startswith("_")])
        hint = (
            f"did you mean {guess}?" if guess else "declare the model in nango.yaml's `models:` and save it"
        )
        line = getattr(alias, "lineno", node.lineno)
        column = getattr(alias, "col_offset", node.col_offset) + 1
        out.append(
            Diagnostic(
                rel_path,
                line,
                column,
                "error",
                "unknown_model_import",
                f"models.py defines no `{alias.name}`",
                hint=hint,
            )
        )
    return out


def _guarded_imports(nodes: NodeIndex) -> set[int]:
    """Imports inside `try: ... except ImportError:`: the script expects them to be missing."""
    guarded: set[int] = set()
    for node in nodes.get(ast.Try, []) + nodes.get(getattr(ast, "TryStar", ast.Try), []):
        if any(_catches_import_error(h) for h in node.handlers):
            for stmt in node.body:
                for inner in ast.walk(stmt):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        guarded.add(id(inner))
    return guarded


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(t, ast.Name) and t.id in IMPORT_ERRORS for t in types)


class _ScriptWalker:
    """SDK calls without `await`, batch_* with a model that is not an output, print() calls."""

    def __init__(self, rel_path: str, role: ScriptRole | None, class_models: dict[str, str]) -> None:
        self.rel_path = rel_path
        self.class_models = class_models
        self.role = role
        self.out: list[Diagnostic] = []
        self.sdk_names = {"nango"}
        self.model_classes: dict[str, str] = {}  # local name -> name imported from models
        self.fine: set[int] = set()  # ids of calls that are awaited or handed to something that awaits

    def run(self, nodes: NodeIndex) -> None:
        for node in nodes.get(ast.ImportFrom, []):
            if node.module == "models" and not node.level:
                self.model_classes.update((a.asname or a.name, a.name) for a in node.names)
        self._collect_sdk_names(nodes)
        self._mark_fine(nodes)
        for node in nodes.get(ast.Call, []):
            self._call(node)
        for node in nodes.get(ast.Attribute, []):
            self._member(node)

    def _member(self, node: ast.Attribute) -> None:
        """`nango.<name>`: a member the SDK has, or an error saying which one to use."""
        if not (isinstance(node.value, ast.Name) and node.value.id in self.sdk_names):
            return
        name = node.attr
        if name.startswith("_"):
            return
        if name not in SDK_MEMBERS:
            python = python_name_of(name)
            if python is not None:
                self._add(
                    node,
                    "error",
                    "nango_name",
                    f"`{node.value.id}.{name}` is Nango's TypeScript name: use `{python}`",
                    hint=f"write `{node.value.id}.{python}` (the SDK uses Python names; see docs/sdk.md)",
                )
                return
            guess = close_match(name, sorted(SDK_MEMBERS)) or close_match(
                _CAMEL.sub("_", name).lower(), sorted(SDK_MEMBERS)
            )
            self._add(
                node,
                "error",
                "unknown_sdk_member",
                f"`{node.value.id}.{name}` does not exist in the SDK",
                hint=f"did you mean `{guess}`?" if guess else "see docs/sdk.md for what `nango` offers",
            )
            return
        role = self.role
        if role is not None and role.kind != "sync" and name in SYNC_ONLY and name not in BATCH_METHODS:
            self._add(
                node,
                "error",
                "sync_only_member",
                f"`{node.value.id}.{name}` exists only in a sync (NangoSync), not in {role.kind} scripts",
            )

    def _collect_sdk_names(self, nodes: NodeIndex) -> None:
        entry = self.role.entry if self.role else None
        for node in (
            nodes.get(ast.FunctionDef, []) + nodes.get(ast.AsyncFunctionDef, []) + nodes.get(ast.Lambda, [])
        ):
            params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            if entry and getattr(node, "name", None) == entry and params:
                self.sdk_names.add(params[0].arg)
            for param in params:
                if param.annotation is not None and _names_sdk_class(param.annotation):
                    self.sdk_names.add(param.arg)

    def _mark_fine(self, nodes: NodeIndex) -> None:
        for node in nodes.get(ast.Await, []):
            if isinstance(node.value, ast.Call):
                self.fine.add(id(node.value))
        for node in nodes.get(ast.Call, []):
            if _call_name(node.func) in AWAITING_CALLS:
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    self.fine.update(id(n) for n in ast.walk(arg) if isinstance(n, ast.Call))
        for node in nodes.get(ast.FunctionDef, []):  # a plain function returning the coroutine to its caller
            for inner in _own_nodes(node):
                if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Call):
                    self.fine.add(id(inner.value))
        for node in nodes.get(ast.Lambda, []):
            if isinstance(node.body, ast.Call):
                self.fine.add(id(node.body))

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "print":
            self._add(
                node,
                "warning",
                "print_call",
                "print() output does not reach the script's logs",
                hint="use `await nango.log(...)`",
            )
            return
        if not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.sdk_names
        ):
            return
        method = func.attr
        call_text = f"{func.value.id}.{method}(...)"
        if method in SDK_COROUTINES and id(node) not in self.fine:
            self._add(
                node,
                "error",
                "sdk_call_not_awaited",
                f"`{call_text}` is a coroutine and is not awaited: it does nothing",
                hint=f"write `await {call_text}`",
            )
        if method in BATCH_METHODS:
            self._batch(node, method)

    def _batch(self, node: ast.Call, method: str) -> None:
        role = self.role
        if role is not None and role.kind == "action":
            self._add(
                node,
                "error",
                "batch_in_action",
                f"an action cannot call `{method}`: it returns its output instead",
                hint="return the result from run_action",
            )
            return
        model = (
            node.args[1]
            if len(node.args) > 1
            else next((k.value for k in node.keywords if k.arg == "model"), None)
        )
        if model is None:
            if not any(isinstance(a, ast.Starred) for a in node.args) and not any(
                k.arg is None for k in node.keywords
            ):
                self._add(
                    node,
                    "error",
                    "batch_model_missing",
                    f'`{method}` needs the model name: `{method}(records, "Model")`',
                )
            return
        if isinstance(model, ast.Constant) and isinstance(model.value, str):
            name, shown = model.value, f'"{model.value}"'
        elif isinstance(model, ast.Name) and model.id in self.model_classes:
            # a class imported from models.py: MODELS says which model it is (codegen renames clashes)
            imported = self.model_classes[model.id]
            name, shown = self.class_models.get(imported, imported), f"`{model.id}`"
        else:
            return
        if role is None or role.kind != "sync" or not role.configured:
            return
        outputs = [o.removesuffix("[]") for o in role.outputs]
        if name in outputs:
            return
        listed = ", ".join(outputs) or "none"
        guess = close_match(name, outputs)
        hint = f"did you mean {guess!r}?" if guess else "add the model to the sync's `output:` in nango.yaml"
        self._add(
            model,
            "error",
            "unknown_output_model",
            f'{shown} is not an output of the sync "{role.name}" (outputs: {listed})',
            hint=hint,
        )

    def _add(
        self, node: ast.expr | ast.stmt, severity: str, code: str, message: str, hint: str | None = None
    ) -> None:
        self.out.append(
            Diagnostic(
                self.rel_path,
                node.lineno,
                node.col_offset + 1,
                severity,  # type: ignore[arg-type]
                code,
                message,
                hint=hint,
                end_line=node.end_lineno,
                end_column=node.end_col_offset + 1 if node.end_col_offset is not None else None,
            )
        )


def _names_sdk_class(annotation: ast.AST) -> bool:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id in SDK_CLASSES:
            return True
        if isinstance(node, ast.Attribute) and node.attr in SDK_CLASSES:
            return True
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and any(c in node.value for c in SDK_CLASSES)
        ):
            return True
    return False


def _call_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not descending into nested functions."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
