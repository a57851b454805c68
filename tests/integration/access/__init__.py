"""The role x tenant matrix's data, one module per context (each adds its routes' rules, valid inputs
and the objects to probe them with), so a new context brings its own file."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def contexts() -> list[ModuleType]:
    """Every context module here, bottom layer first."""
    found = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__) if m.name != "roles"]
    return sorted(found, key=lambda m: (m.LAYER, m.__name__))
