"""The template's functions, run the way Lambda runs them.

Each invocation runs in an execution environment of its function (`infra.lambda_instances`): a
process of its own with only that function's environment (the template's variables, Lambda's own
and the AWS endpoint of the local moto), one invocation at a time, more instances when invocations
overlap, the template's Timeout enforced. A function whose code is missing or whose init fails
does not stop the stack: invoking it raises `FunctionUnavailable` (retried on the next call).

The stack's own process also imports each handler module once (`load`), under a unique module
name since every function's module is called `app`, to describe it (its OpenAPI spec) and to
report import errors at start; that copy never handles an invocation. It runs under the union of
every function's environment (`stack_environment`), with POWERTOOLS_SERVICE_NAME set to the
function's own value while its module is imported (that is when Powertools reads it).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from infra import template as tpl
from infra.lambda_instances import INIT_TIMEOUT_S, FunctionUnavailable, Instance, InstancePool
from infra.lambda_runtime import RuntimeSpec
from infra.layer_imports import absent_modules
from infra.local_clock import LAYER_CLOCK

__all__ = ["FunctionRegistry", "FunctionUnavailable", "LocalFunction"]

log = logging.getLogger(__name__)

_module_counter = itertools.count(1)
_import_lock = threading.RLock()
MAX_INSTANCES = 4  # per function, unless its ReservedConcurrentExecutions says fewer
# What a Lambda environment has besides the function's variables; nothing else of this process
# (no developer's AWS profile, proxy or PYTHONPATH) reaches a function.
RUNTIME_VARIABLES = {
    "TZ": "UTC",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
}
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TMPDIR")


@dataclass
class LocalFunction:
    logical_id: str
    name: str  # physical name
    code_dir: Path
    handler: str  # module.function, e.g. app.handler
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]  # the template's variables, resolved
    max_instances: int = MAX_INSTANCES
    runtime_environment: dict[str, str] = field(default_factory=dict)  # the AWS endpoint and credentials of the local moto
    clock: Callable[[], datetime] | None = None  # the stack's clock, which the functions read (None: real time)
    absent_modules: frozenset[str] = frozenset()  # what the layers it lacks ship: its instances cannot import them
    module: ModuleType | None = None
    load_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pool: InstancePool | None = field(default=None, repr=False)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{tpl.REGION}:{tpl.ACCOUNT}:function:{self.name}"

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir.joinpath(*module.split(".")).with_suffix(".py")

    # ------------------------------------------------------------ invocations

    def invoke(self, event: Any) -> Any:
        """handler(event, context) in an instance of its own; waits for the result. Raises
        FunctionUnavailable (init failed), FunctionError (the handler raised), FunctionTimeout."""
        if not self.module_path.exists():
            raise FunctionUnavailable(f"{self.logical_id}: {self.module_path} does not exist")
        context = {
            "function_name": self.name,
            "function_version": "$LATEST",
            "invoked_function_arn": self.arn,
            "memory_limit_in_mb": self.memory_mb,
            "aws_request_id": str(uuid.uuid4()),
            "log_group_name": f"/aws/lambda/{self.name}",
            "timeout_ms": self.timeout_s * 1000,
        }
        return self._instances().run(lambda instance: instance.invoke(event, context, self.timeout_s, self.clock))

    def _instances(self) -> InstancePool:
        with self._lock:
            if self._pool is None:
                self._pool = InstancePool(self._new_instance, self.max_instances)
            return self._pool

    def _new_instance(self) -> Instance:
        spec = RuntimeSpec(
            code_dir=str(self.code_dir),
            handler=self.handler,
            environment=self.lambda_environment(),
            clock=LAYER_CLOCK if self.clock is not None else None,
            absent=tuple(sorted(self.absent_modules)),
        )
        return Instance(self.logical_id, spec, INIT_TIMEOUT_S + self.timeout_s)

    def lambda_environment(self) -> dict[str, str]:
        """Everything an instance's os.environ holds."""
        passed = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
        own = {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "_HANDLER": self.handler,
        }
        return {**passed, **RUNTIME_VARIABLES, **own, **self.runtime_environment, **self.environment}

    def instance_counts(self) -> dict[str, int]:
        return self._pool.counts if self._pool is not None else {"instances": 0, "busy": 0}

    def stop(self) -> None:
        """Stop every instance (the next invocation starts a new one)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    # ------------------------------------------------------------ the stack's own copy

    def load(self) -> ModuleType:
        """Import the handler module into this process once (retried on every call until it
        works), to describe the function; invocations never run here."""
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

    def __init__(
        self,
        refs: dict[str, str],
        template: dict | None = None,
        root: Path | None = None,
        runtime_environment: dict[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        """`runtime_environment`: what every instance gets besides its function's own variables
        (the local moto's endpoint and credentials); `clock`: the time the functions read."""
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
                max_instances=min(MAX_INSTANCES, int({**globals_fn, **props}.get("ReservedConcurrentExecutions", MAX_INSTANCES))),
                runtime_environment=dict(runtime_environment or {}),
                clock=clock,
                absent_modules=absent_modules(logical_id, self.template, self.root),
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

    def instances(self) -> dict[str, dict[str, int]]:
        """Logical id -> how many instances run, and how many of them are invoked right now."""
        return {fn.logical_id: fn.instance_counts() for fn in self.functions.values()}

    def stop(self) -> None:
        """Stop every instance of every function."""
        for fn in self.functions.values():
            fn.stop()


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
            if callable(clear) and not isinstance(value, type) and getattr(value, "__module__", None) == name:
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
