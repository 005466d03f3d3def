"""The dev engine: watch the integrations folder, re-validate / regenerate / re-check on change.

    async with DevEngine(root) as engine:
        async for update in engine.updates():   # DevUpdate(diagnostics, changed, ms, project, ...)
            ...
    compile_with_codegen(root) -> (CompileResult, Generated)     # `nango-tui compile`
"""

from .codegen_hook import Generated, compile_with_codegen, run_generate
from .engine import DevEngine, DevUpdate

__all__ = ["DevEngine", "DevUpdate", "Generated", "compile_with_codegen", "run_generate"]
