"""Interleaved timing: each measured call in turn, round after round, so drift (a busy core, a
garbage collection) hits all alike; medians after a warm-up, with their spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved(calls: dict[str, Callable[[], object]], warm_up: int, repetitions: int) -> dict[str, list[int]]:
    """Nanoseconds per call of each of `calls`, one after the other in an order that rotates each
    round; the first `warm_up` rounds are dropped."""
    names = list(calls)
    samples: dict[str, list[int]] = {name: [] for name in names}
    for i in range(warm_up + repetitions):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter_ns()
            calls[name]()
            elapsed = time.perf_counter_ns() - start
            if i >= warm_up:
                samples[name].append(elapsed)
    return samples


def spread(samples: list[int]) -> tuple[float, float]:
    """(median in ms, p90/median)."""
    median = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1]
    return median / 1e6, p90 / median


def paired_difference_ms(samples: list[int], floor: list[int]) -> float:
    """Median of the per-round differences (the rounds interleave both calls), in ms."""
    return statistics.median(s - f for s, f in zip(samples, floor, strict=False)) / 1e6
