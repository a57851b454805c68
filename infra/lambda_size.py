"""What each function of template.yaml unpacks to on Lambda: its CodeUri plus every layer it gets.

Lambda refuses a function whose code and layers unpack to more than 250 MB (262,144,000 bytes,
i.e. 250 MiB). Each layer is built the way `sam build` builds it: its own Makefile's
`build-<LogicalId>` target (layers/*/Makefile: the lock's wheels for Lambda's platform, then the
trimming), into a cache directory keyed by a hash of the layer's sources, so a second run builds
nothing. A function's layers are the Globals' and its own (SAM prepends the Globals'). Sizes are
the sum of the files' sizes, as Lambda counts the unzipped deployment package.

`python -m infra.lambda_size` prints the table and exits 1 when a function passes `BUDGET_MIB`
(`make size`, part of `make test`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infra import template as tpl

LAMBDA_LIMIT_MIB = 250
# 20 MiB under the limit: a locked dependency's upgrade moves a layer by a few MiB (numpy and
# Pillow grew ~5 MiB each between majors), and the crm package grows with every context; the gate
# should fail on the commit that eats the margin, not on the deploy that passes the limit.
BUDGET_MIB = 230
MIB = 1024 * 1024
STALE_S = 24 * 3600


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "crm" / "lambda-layers"


def _files(directory: Path) -> list[Path]:
    """What a build ships from `directory`: no bytecode, no egg-info (the layers' Makefiles and sam
    build leave them out)."""
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and not any(part == "__pycache__" or part.endswith((".egg-info", ".pyc")) for part in path.relative_to(directory).parts)
    )


def sources_hash(directory: Path) -> str:
    """A digest of every file the layer's build reads (its Makefile, lock and copied code)."""
    digest = hashlib.sha256()
    for path in _files(directory):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_layer(logical_id: str, content: Path, cache: Path) -> Path:
    """The layer's build output (its `python/` directory's parent), built once per sources hash."""
    target = cache / f"{logical_id}-{sources_hash(content)}"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{logical_id}-", dir=cache))
    # uv comes from the venv (make setup), as `make build` puts it on SAM's PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    try:
        subprocess.run(
            [  # noqa: S607 - make from PATH, as sam build runs it
                "make",
                "--silent",
                "--no-print-directory",
                "-f",
                str(content / "Makefile"),
                f"build-{logical_id}",
                f"ARTIFACTS_DIR={scratch}",
            ],
            check=True,
            env=env,
        )
        scratch.rename(target)  # a concurrent run that finished first keeps its copy
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for stale in cache.glob(f"{logical_id}-*"):  # other sources' builds, a day old: the cache stays small
        if stale != target and time.time() - stale.stat().st_mtime > STALE_S:
            shutil.rmtree(stale, ignore_errors=True)
    return target


def unpacked_bytes(directory: Path) -> int:
    return sum(path.lstat().st_size for path in _files(directory))


def layer_sizes(template: dict, root: Path, cache: Path) -> dict[str, int]:
    sizes = {}
    for logical_id, res in tpl.resources("AWS::Serverless::LayerVersion", template).items():
        content = root / res["Properties"]["ContentUri"]
        if res.get("Metadata", {}).get("BuildMethod") == "makefile":
            sizes[logical_id] = unpacked_bytes(build_layer(logical_id, content, cache))
        else:
            sizes[logical_id] = unpacked_bytes(content)
    return sizes


def function_sizes(template: dict, root: Path, layers: dict[str, int]) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Logical id -> (unpacked bytes of its code and layers, its layers)."""
    return {
        logical_id: (unpacked_bytes(root / fn.code_uri) + sum(layers[layer] for layer in fn.layers), fn.layers)
        for logical_id, fn in tpl.functions(template).items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-mib", type=float, default=BUDGET_MIB)
    args = parser.parse_args(argv)
    template = tpl.load()
    layers = layer_sizes(template, tpl.ROOT, cache_root())
    functions = function_sizes(template, tpl.ROOT, layers)
    print(f"{'layer':<32} {'MiB':>7}")
    for name, size in sorted(layers.items()):
        print(f"{name:<32} {size / MIB:>7.1f}")
    print(f"\n{'function':<32} {'MiB':>7}  layers")
    over = []
    for name, (size, names) in sorted(functions.items(), key=lambda item: -item[1][0]):
        flag = "  OVER BUDGET" if size > args.budget_mib * MIB else ""
        print(f"{name:<32} {size / MIB:>7.1f}  {', '.join(names)}{flag}")
        if flag:
            over.append(name)
    if over:
        print(
            f"\n{len(over)} function(s) unpack to more than {args.budget_mib:g} MiB (Lambda refuses {LAMBDA_LIMIT_MIB} MiB): {', '.join(over)}",
            file=sys.stderr,
        )
        return 1
    print(f"\nevery function within {args.budget_mib:g} MiB (Lambda's limit: {LAMBDA_LIMIT_MIB} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
