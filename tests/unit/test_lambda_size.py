"""infra/lambda_size.py adds up what Lambda unpacks per function: its code and every layer it gets,
the Globals' and its own, each layer built once by its own Makefile (cached by its sources)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from infra import lambda_size

MAKEFILE = """HERE := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))

build-{name}:
\tmkdir -p "$(ARTIFACTS_DIR)/python"
\thead -c {size} /dev/zero > "$(ARTIFACTS_DIR)/python/blob"
\techo built >> "$(BUILD_LOG)"
"""


def _layer(root: Path, name: str, size: int) -> dict:
    content = root / "layers" / name
    content.mkdir(parents=True)
    (content / "Makefile").write_text(MAKEFILE.format(name=name, size=size))
    return {
        "Type": "AWS::Serverless::LayerVersion",
        "Properties": {"ContentUri": f"layers/{name}/"},
        "Metadata": {"BuildMethod": "makefile"},
    }


def _function(root: Path, name: str, size: int, layers: list[str]) -> dict:
    code = root / "functions" / name
    (code / "__pycache__").mkdir(parents=True)
    (code / "app.py").write_bytes(b"x" * size)
    (code / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"x" * 10_000)  # never shipped
    props = {"CodeUri": f"functions/{name}/", "Handler": "app.handler"}
    if layers:
        props["Layers"] = [{"Ref": layer} for layer in layers]
    return {"Type": "AWS::Serverless::Function", "Properties": props}


def test_a_function_counts_its_code_and_the_globals_layers_and_its_own(tmp_path, monkeypatch):
    build_log = tmp_path / "builds.log"
    monkeypatch.setenv("BUILD_LOG", str(build_log))
    template = {
        "Globals": {"Function": {"Layers": [{"Ref": "Core"}]}},
        "Resources": {
            "Core": _layer(tmp_path, "Core", 3000),
            "Heavy": _layer(tmp_path, "Heavy", 5000),
            "Plain": _function(tmp_path, "plain", 100, []),
            "Loaded": _function(tmp_path, "loaded", 200, ["Heavy"]),
        },
    }
    cache = tmp_path / "cache"

    layers = lambda_size.layer_sizes(template, tmp_path, cache)
    assert layers == {"Core": 3000, "Heavy": 5000}
    assert lambda_size.function_sizes(template, tmp_path, layers) == {
        "Plain": (3100, ("Core",)),
        "Loaded": (8200, ("Core", "Heavy")),
    }

    assert lambda_size.layer_sizes(template, tmp_path, cache) == layers
    assert build_log.read_text().count("built") == 2  # the second run built nothing

    (tmp_path / "layers" / "Heavy" / "Makefile").write_text(MAKEFILE.format(name="Heavy", size=7000))
    assert lambda_size.layer_sizes(template, tmp_path, cache)["Heavy"] == 7000  # a changed layer is built again
    assert len(list(cache.glob("Heavy-*"))) == 2  # the previous build stays a day (another checkout may use it)
    for build in cache.glob("Heavy-*"):
        os.utime(build, (time.time() - 2 * 86400,) * 2)
    (tmp_path / "layers" / "Heavy" / "Makefile").write_text(MAKEFILE.format(name="Heavy", size=9000))
    assert lambda_size.layer_sizes(template, tmp_path, cache)["Heavy"] == 9000
    assert len(list(cache.glob("Heavy-*"))) == 1  # builds older than a day are gone
