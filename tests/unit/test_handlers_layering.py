"""Lambda handlers call services: none imports a repository (only a repository knows keys) or
boto3 (no AWS call in a handler). The layers between the crm packages themselves are import-linter's
contracts in pyproject.toml (make lint)."""

from __future__ import annotations

import ast

import pytest

from infra import template

HANDLERS = sorted({template.ROOT / fn.code_uri / f"{fn.handler.rsplit('.', 1)[0]}.py" for fn in template.functions().values()})


def imported(path) -> set[str]:
    """Every module a file imports, `from a import b` counted as both a and a.b."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_every_function_of_the_template_has_a_handler_file():
    assert HANDLERS and all(path.exists() for path in HANDLERS)


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.parent.name)
def test_a_handler_imports_services_never_a_repository_or_boto3(path):
    modules = imported(path)
    assert not [m for m in modules if m.startswith("crm.") and m.split(".")[-1] == "repository"]
    assert not [m for m in modules if m.split(".")[0] in ("boto3", "botocore")]


def test_the_check_sees_a_repository_import(tmp_path):
    sneaky = tmp_path / "app.py"
    sneaky.write_text("from crm.contacts import repository as repo\n")
    assert "crm.contacts.repository" in imported(sneaky)
