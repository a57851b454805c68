"""`make bench`: every measure in one run, printed as Markdown tables and written to bench/results.md.

No measure asserts a time: each is a ratio against a floor measured in the same run, on the same
backend (moto in-process, or a fresh interpreter), with medians and their spread.
"""
from __future__ import annotations

import platform
import sys
import time
import warnings
from pathlib import Path

from bench import cold_import, handler_latency, requests_per_route

RESULTS = Path(__file__).with_name("results.md")

MEASURES = [
    (
        "AWS requests per route (ContactsFunction)",
        "One call per route of template.yaml's ContactsFunction, in-process with a real API Gateway event, on a tenant with "
        "groups, settings, a parent and child contact, notes, an archived alert email and uploaded attachments; "
        "counted on botocore's `before-call` event. `[idempotency]` marks calls to the IdempotencyTable.",
        requests_per_route.measure,
    ),
    (
        "Handler latency, in-process (moto)",
        f"GET /contacts/{{contact_id}} through the whole Lambda handler vs a bare GetItem of the same item through the same "
        f"boto3 Table; {handler_latency.WARM_UP} warm-up then {handler_latency.REPETITIONS} interleaved calls each.",
        handler_latency.measure,
    ),
    (
        "Cold import, fresh interpreter",
        f"Median of {cold_import.RUNS} runs (after one warm-up round) of importing each function's module, "
        "with the function's environment from template.yaml (Tracer disabled, as in the tests). Heavy modules: those in "
        "`sys.modules` afterwards, with the cumulative `-X importtime` of the import that first pulled each in.",
        cold_import.measure,
    ),
]


def markdown(rows: list[dict]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(row[h]) for h in header) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    warnings.filterwarnings("ignore", category=UserWarning, module=r"aws_lambda_powertools\..*")
    started = time.perf_counter()
    sections = []
    for title, note, measure in MEASURES:
        sections.append(f"### {title}\n\n{note}\n\n{markdown(measure())}\n")
        print(sections[-1], flush=True)
    footer = f"_Python {platform.python_version()} on {platform.system()} {platform.machine()}, {time.perf_counter() - started:.0f} s; ratios, not times, are the result._\n"
    print(footer)
    RESULTS.write_text("\n".join(sections) + "\n" + footer, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
