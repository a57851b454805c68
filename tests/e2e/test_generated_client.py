"""A Python client generated from the served /openapi.json (openapi-python-client), and nothing
else, drives the API: the spec's operation ids, tags, security, schemas and error bodies are what
a generated client needs."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import requests

pytestmark = pytest.mark.e2e

PACKAGE = "generated_crm_client"


@pytest.fixture(scope="module")
def client_package(stack, tmp_path_factory):
    root = tmp_path_factory.mktemp("client")
    (root / "openapi.json").write_bytes(requests.get(f"{stack.base_url}/openapi.json", timeout=30).content)
    (root / "config.yaml").write_text("post_hooks: []\n")  # no formatter needed to run it
    generate = [sys.executable, "-m", "openapi_python_client", "generate", "--meta", "none"]
    options = ["--path", str(root / "openapi.json"), "--output-path", str(root / PACKAGE), "--config", str(root / "config.yaml")]
    done = subprocess.run([*generate, *options], capture_output=True, text=True, timeout=300, check=False)  # noqa: S603 - our interpreter, our arguments
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout  # every schema and operation made it into the client
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(package, operation: str):
    tag, name = operation.split(".")
    return importlib.import_module(f"{package.__name__}.api.{tag}.{name}")


def test_a_generated_client_creates_reads_fails_typed_and_pages(stack, client_package):
    models = importlib.import_module(f"{PACKAGE}.models")
    admin = client_package.AuthenticatedClient(base_url=stack.base_url, token=stack.token("client", "admin", "admin@client.example"))
    office = client_package.AuthenticatedClient(base_url=stack.base_url, token=stack.token("client", "office", "office@client.example"))

    group = _api(client_package, "contacts.create_group").sync_detailed(client=admin, body=models.GroupFields(name="Customers"))
    assert group.status_code == 201 and isinstance(group.parsed, models.Group)

    create = _api(client_package, "contacts.create_contact")
    created = create.sync_detailed(client=office, body=models.ContactFields(name="Société Lumière", group_id=group.parsed.id))
    assert created.status_code == 201 and isinstance(created.parsed, models.Contact)
    assert created.headers["location"] == f"/contacts/{created.parsed.id}" and created.headers["etag"] == '"1"'

    read = _api(client_package, "contacts.get_contact").sync_detailed(client=office, contact_id=created.parsed.id)
    assert read.status_code == 200 and read.parsed.name == "Société Lumière"

    missing = _api(client_package, "contacts.get_contact").sync_detailed(client=office, contact_id="01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem) and missing.parsed.status == 404

    bad = models.ContactFields(name="Off the map", group_id=group.parsed.id, location=models.Location(lat=91.0, lon=2.35))
    refused = create.sync_detailed(client=office, body=bad)
    assert refused.status_code == 422 and isinstance(refused.parsed, models.Problem)
    assert [e.field for e in refused.parsed.errors] == ["location.lat"]

    for name in ("Annexe A", "Annexe B"):
        assert create.sync_detailed(client=office, body=models.ContactFields(name=name, group_id=group.parsed.id)).status_code == 201
    list_contacts, seen, cursor = _api(client_package, "contacts.list_contacts"), [], None
    for _ in range(3):
        page = list_contacts.sync_detailed(client=office, limit=2, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200 and len(page.parsed.items) <= 2
        seen += [c.name for c in page.parsed.items]
        cursor = page.parsed.next_cursor
        if not isinstance(cursor, str):
            break
    assert sorted(seen) == ["Annexe A", "Annexe B", "Société Lumière"]
