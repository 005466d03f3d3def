"""The dev engine: watch the integrations folder, re-validate / regenerate / re-check on change.

async with DevEngine(root) as engine:
    async for update in engine.updates():   # DevUpdate(diagnostics, changed, ms, project, ...)
        ...
compile_with_codegen(root) -> (CompileResult, Generated)     # `nango-tui compile`
"""

from typing import Any

from .codegen_hook import Generated, compile_with_codegen, run_generate

__all__ = ["DevEngine", "DevUpdate", "Generated", "UpdateStream", "compile_with_codegen", "run_generate"]


def __getattr__(name: str) -> Any:
    # the engine pulls in watchfiles; `compile` does not need it, so it loads on first use
    if name in ("DevEngine", "DevUpdate", "UpdateStream"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(name)
