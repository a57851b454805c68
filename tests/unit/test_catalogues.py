"""The gettext catalogues a translator edits (infra/messages.py, `make messages`): every message the
code writes is translated in every language, the compiled files are those of the .po files, and
no problem text escapes the catalogues."""

from __future__ import annotations

import ast
import gettext
import json
import re
from pathlib import Path

import pytest

from infra import messages as catalogues

LAYER = catalogues.ROOT / "layers/crm/crm"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Domain errors and the words their texts are given in: (callable, index of the text argument).
TEXT_ARGUMENTS = {
    **dict.fromkeys(
        (
            "CrmError",
            "Unauthorized",
            "Forbidden",
            "NotFound",
            "Conflict",
            "PreconditionFailed",
            "PayloadTooLarge",
            "Invalid",
            "PreconditionRequired",
            "TooManyRequests",
            "Unavailable",
        ),
        0,
    ),
    "FieldError": 1,
    "invalid": 1,
}
DOMAINS = [pytest.param(d, id=d.name) for d in catalogues.DOMAINS]
LANGUAGES = catalogues.languages()


def _translations(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_of_the_code_is_translated(domain, language):
    po = catalogues.read(domain.po(language))
    missing = []
    for message in catalogues.extracted(domain):
        if not message.id:
            continue
        found = po.get(message.id)
        if found is None or found.fuzzy or not all(_translations(found)):
            missing.append(message.id)
    assert not missing, f"untranslated in {domain.po(language)} (run `make messages`, then translate): {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_the_placeholders(domain, language):
    wrong = []
    for message in catalogues.read(domain.po(language)):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for text in _translations(message):
            found = set(PLACEHOLDER.findall(text))
            # A plural form may leave the number out ("un contact"), never invent a placeholder.
            if not found <= wanted or (len(ids) == 1 and found != wanted):
                wrong.append((message.id, text))
    assert not wrong, f"placeholders differ from the English in {domain.po(language)}: {wrong}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogues_are_those_of_the_po_files(language):
    po = catalogues.read(catalogues.SERVER.po(language))
    expected: dict = {}
    for message in po:
        if not message.id or message.fuzzy or not all(_translations(message)):
            continue
        if isinstance(message.id, tuple):
            expected |= {(message.id[0], i): text for i, text in enumerate(message.string)}
        else:
            expected[message.id] = message.string
    mo = catalogues.SERVER.po(language).with_suffix(".mo")
    with open(mo, "rb") as f:
        compiled = {k: v for k, v in gettext.GNUTranslations(f)._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert compiled == expected, f"{mo} is stale: run `make messages`"
    site = catalogues.SITE_MESSAGES / f"{language}.json"
    assert json.loads(site.read_text(encoding="utf-8")) == catalogues.site_messages(catalogues.read(catalogues.BOOKING.po(language))), (
        f"{site} is stale: run `make messages`"
    )


def _calls(tree: ast.AST, names: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name in names:
                yield name, node


def _sources() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(LAYER.rglob("*.py"))]


def test_pybabel_sees_every_message_the_code_writes():
    """pybabel's Python extractor misses a tr() nested in another call inside tr()'s arguments."""
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogues.extracted(catalogues.SERVER) if m.id}
    unseen = []
    for path, tree in _sources():
        for _, call in _calls(tree, {"tr", "tr_n"}):
            first = call.args[0] if call.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value not in extracted:
                unseen.append(f"{path.relative_to(catalogues.ROOT)}:{call.lineno} {first.value!r}")
            elif not isinstance(first, ast.Constant):
                unseen.append(f"{path.relative_to(catalogues.ROOT)}:{call.lineno}: tr() of something not a literal")
    assert not unseen, f"messages pybabel cannot extract (compute them outside the enclosing call): {unseen}"


def _plain_text(node: ast.AST) -> bool:
    """A text written in place (a literal, an f-string, a concatenation or a join): no catalogue sees it."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("join", "format")


def test_problem_texts_and_validators_messages_go_through_the_catalogue():
    plain = []
    for path, tree in _sources():
        for name, call in _calls(tree, set(TEXT_ARGUMENTS)):
            index = TEXT_ARGUMENTS[name]
            if len(call.args) > index and _plain_text(call.args[index]):
                plain.append(f"{path.relative_to(catalogues.ROOT)}:{call.lineno} {name}")
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            decorators = {ast.unparse(d).split("(")[0].rsplit(".", 1)[-1] for d in function.decorator_list}
            if decorators & {"field_validator", "model_validator"}:
                for _, raised in _calls(function, {"ValueError"}):
                    if raised.args and _plain_text(raised.args[0]):
                        plain.append(f"{path.relative_to(catalogues.ROOT)}:{raised.lineno} ValueError in a validator")
    assert not plain, f"texts a reader gets that no catalogue holds (wrap them in tr()): {plain}"
