"""Textual's per-class set-up of its widget classes, with the same results and less work.

Textual's `DOMNode.__init_subclass__` runs for every widget class as it is defined (~70 at the
workbench's first frame, Textual's own included) and walks every class of its MRO each time: an
`isinstance` per attribute for the reactives (~38,000 calls) and `dir(cls)` (every name of the
MRO, sorted) for the `compute_` methods (~34,000 `startswith`): ~5% of the first frame's CPU.
`install()` (the workbench's start, before Textual's widgets are imported) replaces it with one
that reads each base class's own attributes once and remembers what it found for that class:
the same `_reactives` (same order), `_computes`, `_css_type_name(s)` and `_merged_bindings`
(tests/test_tui_dom_classes.py compares them with Textual's for every class).

A base class's remembered attributes are read again when its namespace has changed size (a class
attribute added or removed after its definition). Only for the Textual release this copies
(`TEXTUAL_VERSION`, pinned in pyproject.toml): with any other, Textual's own method stays.
"""

from __future__ import annotations

from typing import Any

import textual
from textual.dom import DOMNode
from textual.reactive import Reactive

TEXTUAL_VERSION = "8.2.8"  # the release whose DOMNode.__init_subclass__ this reproduces
COMPUTE_PREFIXES = ("_compute_", "compute_")

# class -> (its namespace's size when read, its own reactives, its own compute method names)
_own: dict[type, tuple[int, dict[str, Reactive[Any]], tuple[str, ...]]] = {}
_installed = False


def _own_attributes(cls: type) -> tuple[dict[str, Reactive[Any]], tuple[str, ...]]:
    namespace = cls.__dict__
    found = _own.get(cls)
    if found is not None and found[0] == len(namespace):
        return found[1], found[2]
    reactives = {name: value for name, value in namespace.items() if isinstance(value, Reactive)}
    computes = tuple(name for name in namespace if name.startswith(COMPUTE_PREFIXES))
    _own[cls] = (len(namespace), reactives, computes)
    return reactives, computes


def _init_subclass(
    cls: type[DOMNode],
    inherit_css: bool = True,
    inherit_bindings: bool = True,
    inherit_component_classes: bool = True,
) -> None:
    """What Textual 8.2.8's `DOMNode.__init_subclass__` sets on `cls`, each base read once."""
    super(DOMNode, cls).__init_subclass__()
    reactives: dict[str, Reactive[Any]] = {}
    compute_names: set[str] = set()
    for base in reversed(cls.__mro__):
        own_reactives, own_computes = _own_attributes(base)
        if own_reactives:
            reactives.update(own_reactives)
        compute_names.update(own_computes)
    cls._reactives = reactives
    cls._inherit_css = inherit_css
    cls._inherit_bindings = inherit_bindings
    cls._inherit_component_classes = inherit_component_classes
    bases = cls._css_bases(cls)
    cls._css_type_name = bases[0].__name__
    cls._merged_bindings = cls._merge_bindings()
    cls._css_type_names = frozenset(base.__name__ for base in bases)
    # dir(cls) is the names of every class in the MRO: the same names, without sorting them
    cls._computes = frozenset(name.lstrip("_")[8:] for name in compute_names)


def install() -> bool:
    """Use `_init_subclass` for the widget classes defined from now on (once; before Textual's
    widgets are imported); False, and Textual's own method kept, for another Textual release."""
    global _installed
    if _installed:
        return True
    if textual.__version__ != TEXTUAL_VERSION:
        return False
    DOMNode.__init_subclass__ = classmethod(_init_subclass)  # type: ignore[assignment,method-assign]
    _installed = True
    return True
