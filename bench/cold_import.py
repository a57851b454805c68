"""Cold import of each function's module, each in a fresh interpreter, against the floor every
function pays anyway: `import boto3` and Powertools' Logger and Metrics, constructed.

Lambda's layout is reproduced: the function's code directory is the working directory (its module
is `app`) and the layer's `crm` package is on PYTHONPATH. The environment is the function's own,
from template.yaml, plus the tests' AWS_ENV; no AWS call happens at import (the cursor keys are
read from SSM on first use). No function constructs a Tracer: the X-Ray SDK is not imported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import Counter

from infra import template
from tests.conftest import AWS_ENV

RUNS = 7
HEAVY = ("numpy", "shapely", "reportlab", "babel", "aws_xray_sdk", "schwifty", "saxonche")
BABEL_DATA = "babel locale data"  # Babel's CLDR data for a locale, loaded by the first format or plural rule
FLOOR = "import boto3\nfrom aws_lambda_powertools import Logger, Metrics\nLogger(); Metrics()"
RESOLVER = (
    f"{FLOOR}\nfrom aws_lambda_powertools.event_handler import APIGatewayRestResolver\nAPIGatewayRestResolver(enable_validation=True)"
)
PROBE = """
import sys, time
start = time.perf_counter()
{imports}
elapsed = time.perf_counter() - start
loaded = [m for m in {heavy!r} if m in sys.modules]
if getattr(sys.modules.get("babel.localedata"), "_cache", None):
    loaded.append({babel_data!r})
print(elapsed * 1000, ",".join(loaded))
"""


def _targets() -> list[tuple[str, str, str, str]]:
    """(label, working directory, import statements, whose environment): the floor, the resolver's
    share of it, then every function."""
    root = str(template.ROOT)
    targets = [
        ("floor: import boto3 + Powertools Logger(), Metrics() constructed", root, FLOOR, "ContactsFunction"),
        (
            "floor + the REST resolver every API function routes with (Powertools event handler, pydantic)",
            root,
            RESOLVER,
            "ContactsFunction",
        ),
    ]
    for logical_id, fn in template.functions().items():
        module = fn.handler.rsplit(".", 1)[0]
        targets.append((f"{logical_id}: {fn.code_uri}{module}.py", str(template.ROOT / fn.code_uri), f"import {module}", logical_id))
    return targets


def _run(cwd: str, imports: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess:
    code = PROBE.format(imports=imports, heavy=HEAVY, babel_data=BABEL_DATA)
    return subprocess.run([sys.executable, *flags, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True)


def _timed(cwd: str, imports: str, env: dict[str, str]) -> tuple[float, list[str]]:
    """(import ms, heavy packages in sys.modules afterwards)."""
    ms, _, loaded = _run(cwd, imports, env).stdout.strip().partition(" ")
    return float(ms), [m for m in loaded.split(",") if m]


def _heavy_ms(cwd: str, imports: str, env: dict[str, str]) -> Counter[str]:
    """Cumulative import time of each heavy package where the module's own code first pulls it in
    (what a lazy import would save), from one `-X importtime` run."""
    entries = []  # (depth, name, cumulative µs), in completion order: children before parents
    for line in _run(cwd, imports, env, "-X", "importtime").stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[1].strip().isdigit():
            name = fields[2].rstrip()
            entries.append(((len(name) - len(name.lstrip())) // 2, name.strip(), int(fields[1])))
    spent: Counter[str] = Counter()
    ancestors: list[tuple[int, bool]] = []  # (depth, inside a heavy package) from the root down
    for depth, name, cumulative in reversed(entries):  # parents before children
        while ancestors and ancestors[-1][0] >= depth:
            ancestors.pop()
        inside = bool(ancestors) and ancestors[-1][1]
        heavy = name.split(".")[0] in HEAVY
        if heavy and not inside:
            spent[name.split(".")[0]] += cumulative / 1000
        ancestors.append((depth, inside or heavy))
    return spent


def environment(logical_id: str) -> dict[str, str]:
    """A function's environment as Lambda gives it (template.yaml's), with the layer on PYTHONPATH."""
    refs = template.local_refs()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    return {**base, **AWS_ENV, "PYTHONPATH": str(template.ROOT / "layers" / "crm"), **template.function_environment(logical_id, refs)}


def loaded_at_import(logical_id: str) -> list[str]:
    """The heavy packages (and Babel's locale data) a function's module loads at import, in a fresh interpreter."""
    fn = template.functions()[logical_id]
    module = fn.handler.rsplit(".", 1)[0]
    return _timed(str(template.ROOT / fn.code_uri), f"import {module}", environment(logical_id))[1]


def measure() -> list[dict]:
    targets = _targets()
    envs = [environment(logical_id) for *_, logical_id in targets]
    samples: list[list[float]] = [[] for _ in targets]
    loaded: list[list[str]] = [[] for _ in targets]
    failed: dict[int, str] = {}  # a module that does not import gets a row saying why
    for run in range(RUNS + 1):  # round 0 warms the page cache and the .pyc files, and is dropped
        for i, (_, cwd, imports, _) in enumerate(targets):  # interleaved, so drift hits all alike
            if i in failed:
                continue
            try:
                ms, loaded[i] = _timed(cwd, imports, envs[i])
            except subprocess.CalledProcessError as e:
                failed[i] = (e.stderr.strip().splitlines() or ["no output"])[-1]
                continue
            if run:
                samples[i].append(ms)
    floor = statistics.median(samples[0])
    rows = []
    for i, (label, cwd, imports, _) in enumerate(targets):
        if i in failed:
            rows.append(
                {
                    "Module": label,
                    "Median ms": "—",
                    "max/median": "—",
                    "× floor": "—",
                    "Heavy modules loaded (ms)": f"import failed: {failed[i]}",
                }
            )
            continue
        median = statistics.median(samples[i])
        heavy = _heavy_ms(cwd, imports, envs[i]) if loaded[i] else Counter()
        rows.append(
            {
                "Module": label,
                "Median ms": f"{median:.0f}",
                "max/median": f"{max(samples[i]) / median:.2f}",
                "× floor": f"{median / floor:.2f}",
                "Heavy modules loaded (ms)": ", ".join(f"{m} ({heavy[m]:.0f})" for m in loaded[i]) or "none",
            }
        )
    return rows
