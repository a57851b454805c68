"""The template's functions, loaded and invoked in-process the way Lambda would run them.

Each function's handler module (`app` in its CodeUri) is loaded by file path under a unique
module name, because every function has a module called `app`. Loading is lazy and retried, so
a function that does not exist yet (or fails to import) does not stop the stack; invoking it
raises `FunctionUnavailable`.

All functions share one process, so the environment is the union of every function's resolved
environment (`stack_environment`). The one variable that differs between functions,
POWERTOOLS_SERVICE_NAME, is set to the function's own value while its module is imported (that is
when Powertools reads it).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import logging
import os
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from chalice.local import LambdaContext

from infra import template as tpl

log = logging.getLogger(__name__)

_module_counter = itertools.count(1)
_import_lock = threading.RLock()


class FunctionUnavailable(RuntimeError):
    """The function's code is missing or failed to import."""


@dataclass
class LocalFunction:
    logical_id: str
    name: str  # physical name
    code_dir: Path
    handler: str  # module.function, e.g. app.handler
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]
    module: ModuleType | None = None
    load_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{tpl.REGION}:{tpl.ACCOUNT}:function:{self.name}"

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir.joinpath(*module.split(".")).with_suffix(".py")

    def load(self) -> ModuleType:
        """Import the handler module once (retried on every call until it works)."""
        if self.module is not None:
            return self.module
        with self._lock:
            if self.module is not None:
                return self.module
            path = self.module_path
            if not path.exists():
                self.load_error = f"{path} does not exist"
                raise FunctionUnavailable(f"{self.logical_id}: {self.load_error}")
            module_name = f"_crm_local_{self.logical_id}_{next(_module_counter)}"
            try:
                self.module = _import_file(module_name, path, self.code_dir, self.environment)
                self.load_error = None
            except Exception as exc:
                self.load_error = f"{type(exc).__name__}: {exc}"
                log.exception("%s: importing %s failed", self.logical_id, path)
                raise FunctionUnavailable(f"{self.logical_id}: {self.load_error}") from exc
            return self.module

    @property
    def handler_callable(self):
        module = self.load()
        fn = getattr(module, self.handler.rpartition(".")[2], None)
        if fn is None:
            raise FunctionUnavailable(f"{self.logical_id}: {self.module_path} has no {self.handler.rpartition('.')[2]}()")
        return fn

    def context(self) -> LambdaContext:
        ctx = LambdaContext(function_name=self.name, memory_size=self.memory_mb, max_runtime_ms=self.timeout_s * 1000)
        ctx.invoked_function_arn = self.arn
        ctx.log_group_name = f"/aws/lambda/{self.name}"
        ctx.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        return ctx

    def invoke(self, event: Any) -> Any:
        """Call handler(event, context) in this thread; exceptions propagate."""
        return self.handler_callable(event, self.context())


def _import_file(module_name: str, path: Path, code_dir: Path, environment: dict[str, str]) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    with _import_lock:
        saved_service = os.environ.get("POWERTOOLS_SERVICE_NAME")
        if "POWERTOOLS_SERVICE_NAME" in environment:
            os.environ["POWERTOOLS_SERVICE_NAME"] = environment["POWERTOOLS_SERVICE_NAME"]
        sys.path.insert(0, str(code_dir))  # Lambda puts the CodeUri on sys.path
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(code_dir))
            if saved_service is None:
                os.environ.pop("POWERTOOLS_SERVICE_NAME", None)
            else:
                os.environ["POWERTOOLS_SERVICE_NAME"] = saved_service
    return module


class FunctionRegistry:
    """Every AWS::Serverless::Function of the template, by logical id, name or ARN."""

    def __init__(self, refs: dict[str, str], template: dict | None = None, root: Path | None = None):
        self.template = template or tpl.load()
        self.root = root or tpl.ROOT
        globals_fn = self.template.get("Globals", {}).get("Function", {})
        self.functions: dict[str, LocalFunction] = {}
        for logical_id, fn in tpl.functions(self.template).items():
            props = self.template["Resources"][logical_id]["Properties"]
            self.functions[logical_id] = LocalFunction(
                logical_id=logical_id,
                name=refs.get(logical_id, logical_id),
                code_dir=(self.root / fn.code_uri).resolve(),
                handler=fn.handler,
                memory_mb=int(props.get("MemorySize", globals_fn.get("MemorySize", 128))),
                timeout_s=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
                environment=tpl.function_environment(logical_id, refs, self.template),
            )

    def __getitem__(self, logical_id: str) -> LocalFunction:
        return self.functions[logical_id]

    def __iter__(self):
        return iter(self.functions.values())

    def find(self, name_or_arn: str) -> LocalFunction | None:
        """By logical id, physical name, or (qualified) Lambda ARN."""
        name = name_or_arn
        if name.startswith("arn:"):
            parts = name.split(":")
            name = parts[6] if len(parts) > 6 else name  # arn:aws:lambda:region:account:function:NAME[:qualifier]
        for fn in self.functions.values():
            if name in (fn.logical_id, fn.name):
                return fn
        return None

    def load_all(self) -> dict[str, str]:
        """Try to import every function; return logical id -> 'loaded' or the reason it is not."""
        status = {}
        for fn in self.functions.values():
            try:
                fn.load()
                status[fn.logical_id] = "loaded"
            except FunctionUnavailable:
                status[fn.logical_id] = fn.load_error or "unavailable"
        return status

    def status(self) -> dict[str, str]:
        return {fn.logical_id: "loaded" if fn.module is not None else (fn.load_error or "not loaded") for fn in self.functions.values()}


def layer_packages(template: dict, root: Path) -> list[str]:
    """Top-level Python packages the template's layers ship (layers/crm/ -> ["crm"])."""
    names = []
    for res in tpl.resources("AWS::Serverless::LayerVersion", template).values():
        content = root / str(res["Properties"].get("ContentUri", ""))
        for base in (content, content / "python"):
            if base.is_dir():
                names += [d.name for d in sorted(base.iterdir()) if (d / "__init__.py").exists()]
    return names


def cold_start(packages: list[str], keep: tuple[str, ...] = ()) -> int:
    """Forget what already-imported layer modules cached (functools caches at module level, but
    those of the modules in `keep`) and Powertools' cached parameters, as a new Lambda container
    would: clients built for another moto, settings and SSM values read for another environment.
    Returns how many caches were cleared."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    cleared = 0
    for name, module in list(sys.modules.items()):
        if module is None or name in keep or not any(name == p or name.startswith(p + ".") for p in packages):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()
                cleared += 1
    return cleared


def stack_environment(registry: FunctionRegistry, aws: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """The union of every function's environment, the AWS variables for moto, and `extra`."""
    env: dict[str, str] = {}
    for fn in registry:
        for key, value in fn.environment.items():
            if key in env and env[key] != value and key != "POWERTOOLS_SERVICE_NAME":
                log.warning("functions disagree on %s (%r vs %r); using %r", key, env[key], value, value)
            env[key] = value
    env.pop("POWERTOOLS_SERVICE_NAME", None)
    env.update(aws)
    env["POWERTOOLS_TRACE_DISABLED"] = "true"
    env.update(extra or {})
    return env


class EnvironmentPatch:
    """Set variables in os.environ and put the old values back on `restore()`."""

    def __init__(self, values: dict[str, str]):
        self.values = dict(values)
        self._saved: dict[str, str | None] = {}

    def apply(self) -> None:
        for key, value in self.values.items():
            self._saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def restore(self) -> None:
        for key, old in self._saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        self._saved.clear()
