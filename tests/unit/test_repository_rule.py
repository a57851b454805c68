"""The import-linter rule "a context calls other contexts' services, never their repositories"
covers every repository module, including those named `<thing>_repository` (import-linter's
wildcards cannot match part of a name, so they are listed in pyproject.toml one by one)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRM = ROOT / "layers" / "crm" / "crm"


def _forbidden() -> set[str]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (rule,) = [c for c in contracts if c["name"].startswith("A context calls other contexts' services")]
    return set(rule["forbidden_modules"])


def test_every_named_repository_module_is_forbidden_to_other_contexts():
    named = {f"crm.{path.parent.name}.{path.stem}" for path in CRM.glob("*/*_repository.py")}
    assert named, "no <thing>_repository module found: the glob is wrong"
    assert named <= _forbidden(), f"add to pyproject.toml's forbidden_modules: {sorted(named - _forbidden())}"
