"""A function imports only what its layers ship, locally as on Lambda.

The dev venv holds every layer's packages; on Lambda a function has only its own layers (the
Globals' and its own), so EInvoicingFunction has no shapely or numpy (GeoLayer) and the others no
saxonche (SchematronLayer). The local stack's instances (`infra.lambda_runtime`) and the
integration tests' in-process calls (`tests/support/lambdas.py`) hide the top-level modules of the
layers a function lacks: importing one raises ModuleNotFoundError there, as it would on AWS.

A layer's packages are the distributions its `requirements.lock` pins, named as the venv imports them.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.metadata
import re
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

from infra import template as tpl

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.M)


def _normalised(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


@cache
def _modules_of_distributions() -> dict[str, frozenset[str]]:
    """Distribution name -> the top-level modules it installs in this venv."""
    modules: dict[str, set[str]] = {}
    for module, distributions in importlib.metadata.packages_distributions().items():
        for distribution in distributions:
            modules.setdefault(_normalised(distribution), set()).add(module)
    return {name: frozenset(found) for name, found in modules.items()}


def layer_modules(content: Path) -> frozenset[str]:
    """The top-level modules a layer's locked distributions install (none without a lock)."""
    lock = content / "requirements.lock"
    if not lock.is_file():
        return frozenset()
    by_distribution = _modules_of_distributions()
    return frozenset().union(*(by_distribution.get(_normalised(name), ()) for name in _PIN.findall(lock.read_text())))


def absent_modules(logical_id: str, template: dict | None = None, root: Path | None = None) -> frozenset[str]:
    """Top-level modules some layer of the template ships but none of the function's layers."""
    template = template or tpl.load()
    root = root or tpl.ROOT
    own = set(tpl.functions(template)[logical_id].layers)
    shipped: dict[bool, set[str]] = {True: set(), False: set()}
    for layer, res in tpl.resources("AWS::Serverless::LayerVersion", template).items():
        shipped[layer in own] |= layer_modules(root / str(res["Properties"].get("ContentUri", "")))
    return frozenset(shipped[False] - shipped[True])


class _Hidden(importlib.abc.MetaPathFinder):
    def __init__(self, names: frozenset[str]):
        self.names = names

    def find_spec(self, fullname, path, target=None):
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not in this function's layers)", name=fullname)


def _top(name: str) -> str:
    return name.partition(".")[0]


def hide(names: Iterable[str]) -> dict[str, ModuleType]:
    """From now on, importing any of `names` (or their submodules) fails, even if imported before.
    Returns the modules it took out of sys.modules (for `hidden` to put back)."""
    names = frozenset(names)
    if not names:
        return {}
    taken = {name: sys.modules.pop(name) for name in [n for n in sys.modules if _top(n) in names]}
    sys.meta_path.insert(0, _Hidden(names))
    return taken


@contextlib.contextmanager
def hidden(names: Iterable[str]) -> Iterator[None]:
    """`hide` within the block; afterwards the modules imported before are back, not imported again."""
    names = frozenset(names)
    taken = hide(names)
    try:
        yield
    finally:
        finder = next((f for f in sys.meta_path if isinstance(f, _Hidden) and f.names == names), None)
        if finder is not None:
            sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if _top(n) in names]:
            del sys.modules[name]
        sys.modules.update(taken)
