"""tui/dom_classes.py: Textual's per-class set-up of widget classes, done with less work, gives
every class the same attributes as Textual's own `DOMNode.__init_subclass__`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import textual

from nango_tui.tui import dom_classes

pytestmark = pytest.mark.skipif(
    textual.__version__ != dom_classes.TEXTUAL_VERSION, reason="reproduces one Textual release"
)

# every DOMNode class of Textual's widgets and of the workbench, each class's attributes as the
# set-up left them; the classes that change a base after its definition test the namespace check
DESCRIBE = textwrap.dedent(
    r"""
    import importlib, json, pkgutil, sys
    if sys.argv[1] == "fast":
        from nango_tui.tui import dom_classes
        assert dom_classes.install()
    import textual.app, textual.widgets
    from textual.dom import DOMNode
    from textual.reactive import reactive, var
    for name in textual.widgets.__all__:
        getattr(textual.widgets, name)
    import nango_tui.tui.app, nango_tui.tui.widgets, nango_tui.tui.screens
    for package in (nango_tui.tui.widgets, nango_tui.tui.screens):
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")

    class Base(textual.widgets.Static):
        count = reactive(0)
        def compute_total(self): return 1

    class Mixin:
        def _compute_mixed(self): return 2
        flag = var(False)

    class Child(Mixin, Base, inherit_bindings=False, inherit_css=False):
        count = reactive(5)
        BINDINGS = [("x", "noop", "X")]

    Base.added = reactive("later")  # a base changed after its definition
    Base.compute_later = lambda self: 3

    class GrandChild(Child):
        pass

    def classes(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from classes(sub)

    out = {}
    for cls in classes(DOMNode):
        key = f"{cls.__module__}.{cls.__qualname__}"
        out[key] = {
            "reactives": [[name, id(value)] for name, value in cls._reactives.items()],
            "computes": sorted(cls._computes),
            "css_type_name": cls._css_type_name,
            "css_type_names": sorted(cls._css_type_names),
            "inherit": [cls._inherit_css, cls._inherit_bindings, cls._inherit_component_classes],
            "bindings": repr(sorted(
                (key, [(b.key, b.action, b.description, b.show, b.priority, b.id) for b in bindings])
                for key, bindings in cls._merged_bindings.key_to_bindings.items()
            )) if cls._merged_bindings is not None else None,
        }
    print(json.dumps(out))
    """
)


def describe(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DESCRIBE, mode],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_widget_class_gets_the_same_attributes_as_textuals_own_set_up() -> None:
    fast = describe("fast")
    stock = describe("stock")
    assert len(stock) > 150  # Textual's widgets and the workbench's
    assert "__main__.GrandChild" in stock
    assert stock["__main__.GrandChild"]["computes"] == ["later", "mixed", "total"]
    assert "added" in [name for name, _ in stock["__main__.GrandChild"]["reactives"]]
    assert fast.keys() == stock.keys()
    for key in stock:
        assert {k: v for k, v in fast[key].items() if k != "reactives"} == {
            k: v for k, v in stock[key].items() if k != "reactives"
        }, key
        assert [name for name, _ in fast[key]["reactives"]] == [
            name for name, _ in stock[key]["reactives"]
        ], key


def test_the_workbench_start_uses_it_and_another_textual_keeps_its_own(monkeypatch) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from nango_tui.tui import dom_classes; print(dom_classes.install())"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "True"
    monkeypatch.setattr(dom_classes, "_installed", False)
    monkeypatch.setattr(textual, "__version__", "9.0.0")
    from textual.dom import DOMNode

    before = DOMNode.__dict__["__init_subclass__"]
    assert dom_classes.install() is False
    assert DOMNode.__dict__["__init_subclass__"] is before
