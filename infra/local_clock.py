"""The local stack's clock: real time until a test sets it (POST /_local/clock), then that time,
standing still or running on from there.

The scheduler runner reads it, and so do the functions: while the stack runs, the layer's clock
(`LAYER_CLOCK`, crm.platform.clock.now) is this clock, in the stack's own process and in every
function instance (whose clock asks the stack for the time: infra/lambda_runtime.py), so a function
that arms the next occurrence of a series "after now" sees the same now as the runner that fired
it. An end-to-end test moves the clock across a daylight-saving change instead of waiting for one.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime

LAYER_CLOCK = "crm.platform.clock:now"  # where the functions read the time (module:function)


class LocalClock:
    def __init__(self, base: Callable[[], datetime] | None = None):
        self._base = base or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._set: tuple[datetime, datetime] | None = None  # (the time set, the base time then)
        self._running = False

    def __call__(self) -> datetime:
        base = self._base()
        with self._lock:
            if self._set is None:
                return base
            when, then = self._set
            return when + (base - then) if self._running else when

    @property
    def is_set(self) -> bool:
        return self._set is not None

    @property
    def running(self) -> bool:
        return self._set is None or self._running

    def set(self, when: datetime, *, running: bool = False) -> None:
        """From now on the time is `when` (aware), standing still unless `running`."""
        if when.tzinfo is None:
            raise ValueError("the time needs a UTC offset")
        with self._lock:
            self._set, self._running = (when.astimezone(UTC), self._base()), running

    def reset(self) -> None:
        """Back to the base clock (real time, or the one the stack was given)."""
        with self._lock:
            self._set, self._running = None, False

    def install(self) -> Callable[[], None]:
        """Make the layer's clock this one; returns what puts the previous one back."""
        module_name, _, name = LAYER_CLOCK.partition(":")
        module = importlib.import_module(module_name)
        previous = getattr(module, name)
        setattr(module, name, self)

        def restore() -> None:
            setattr(module, name, previous)

        return restore
