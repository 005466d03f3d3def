"""The workflows, in one place: what `validate`, `generate`, `compile`, `dev`, `dryrun` and `test` do.

The command line (its renderers: `codegen/command.py`, `watch/terminal.py`, `dryrun/command.py`,
`dryrun/regress.py`) and the workbench run the same function for each workflow, named here, so the
two cannot drift: the workbench reaches codegen and check only through this module (an import
contract in pyproject.toml says so). Each function returns data; printing or showing it is the
caller's job. Parts are imported inside the functions: `nango-tui --help` and the workbench's
first paint stay fast.

deploy: `deploy_plan` is its first half (compile, then the body); `nango-tui deploy`
(`remote/deploy.run`) and the workbench's Deployments pane both send that body to the server
(`remote.api`), the CLI after its prompt, the workbench after its confirmation dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from nango_tui.check import CompileResult
    from nango_tui.codegen import GenerateReport
    from nango_tui.codegen.init import InitReport
    from nango_tui.config import LoadResult
    from nango_tui.dryrun import DryrunRequest, DryrunRun
    from nango_tui.dryrun.regress import ScriptResult
    from nango_tui.remote.deploy import DeployOptions, DeployPlan
    from nango_tui.watch import DevEngine, Generated


def __getattr__(name: str) -> Any:
    # `workflows.InitError` (what init_project raises when it refuses), loaded on first use
    if name == "InitError":
        from nango_tui.codegen.init import InitError

        return InitError
    raise AttributeError(name)


def init_project(path: Path, *, force: bool = False) -> InitReport:
    """`init`: a new integrations folder with a working example; raises InitError when it refuses."""
    from nango_tui.codegen.init import init_project as create

    return create(path, force=force)


def validate(root: Path) -> LoadResult:
    """Load and check nango.yaml (never raises for a user's mistake)."""
    from nango_tui.config import load_project

    return load_project(root)


def generate(root: Path) -> GenerateReport:
    """models.py, .nango/schema.json and a scaffold for every script that has none."""
    from nango_tui.codegen import generate as generate_files

    return generate_files(root)


def compile_project(root: Path, *, jobs: int | None = None) -> tuple[CompileResult, Generated]:
    """validate -> generate (models.py + missing scaffolds) -> check every script.

    The same generate step as the dev engine's (`watch.run_generate`), so `compile`, `dev` and
    the workbench leave the folder in the same state."""
    from nango_tui.watch.codegen_hook import compile_with_codegen

    return compile_with_codegen(root, jobs=jobs)


def dev_engine(root: Path, **tuning: int) -> DevEngine:
    """The dev engine (`compile` on every change); `async with` it and read `updates()`.
    `tuning`: DevEngine's `debounce_ms`, `step_ms`."""
    from nango_tui.watch import DevEngine

    return DevEngine(root, **tuning)


async def start_dryrun(request: DryrunRequest) -> DryrunRun:
    """Start one sync or action in a child process; raises DryrunSetupError with a user message."""
    from nango_tui.dryrun import start_dryrun as start

    return await start(request)


def begin_dryrun(request: DryrunRequest) -> Awaitable[DryrunRun]:
    """`start_dryrun` with the child's fork from the warm zygote asked for now (the workbench's
    ctrl+j); await the result once or `close()` it (see `dryrun.runner.begin_dryrun`)."""
    from nango_tui.dryrun.runner import begin_dryrun as begin

    return begin(request)


async def run_tests(root: Path, names: list[str] | None = None) -> list[ScriptResult]:
    """`test`: replay every selected script's saved responses and compare with its saved results."""
    from nango_tui.dryrun.regress import run_tests as replay_and_compare

    return await replay_and_compare(root, names)


def deploy_plan(options: DeployOptions) -> DeployPlan:
    """`deploy`'s first half: compile (must be clean; it regenerates models.py like `compile`),
    then the body of Nango's deploy calls for the scripts chosen (`reconcile` off)."""
    from nango_tui.remote.deploy import DeployPlan, deploy_body

    result, _generated = compile_project(options.root)
    plan = DeployPlan(list(result.diagnostics))
    errors = plan.errors
    if result.project is None or errors:
        plan.problem = f"compile found {len(errors)} error(s); fix them, nothing was deployed"
        return plan
    body = deploy_body(options.root, result.project, options, reconcile=False)
    if not body["flowConfigs"]:
        plan.problem = "nothing to deploy (no script matches --sync/--action/--integration)"
        return plan
    plan.body = body
    return plan
