"""Receiving a supplier's e-invoice: what the schematrons (EN 16931 and the French CTC rules, run by
saxonche, each compiled once per process) add to reading the file (hardened lxml parse, its XSD,
the factur-x package's reading), for the package's CII and UBL fixtures and its Factur-X PDF,
interleaved in the same run, no AWS. The first check of each schematron (its compilation) is
timed apart: a cold EInvoicingFunction pays it once per schematron."""

from __future__ import annotations

import time
from pathlib import Path

from bench.timing import interleaved, spread

WARM_UP, REPETITIONS = 3, 30
FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "einvoice"
FILES = {
    "CII (Factur-X EN 16931 XML)": "factur-x-en16931.xml",
    "UBL 2.1": "ubl-21-en16931.xml",
    "Factur-X PDF": "invoice_EN16931.pdf",
}


def measure() -> list[dict]:
    from crm.finance.einvoice import received_parsing as parsing
    from crm.finance.einvoice import schematron

    rows = []
    for label, name in FILES.items():
        data = (FIXTURES / name).read_bytes()
        found = parsing.read(data)
        start = time.perf_counter()
        parsing.check_rules(found, name)  # compiles what this profile needs (cached once per process)
        first_ms = (time.perf_counter() - start) * 1000
        samples = interleaved(
            {"read": lambda d=data: parsing.read(d), "rules": lambda f=found, n=name: parsing.check_rules(f, n)}, WARM_UP, REPETITIONS
        )
        read_ms, read_p90 = spread(samples["read"])
        rules_ms, rules_p90 = spread(samples["rules"])
        rows.append(
            {
                "File": label,
                "Read + XSD ms (p90/median)": f"{read_ms:.1f} ({read_p90:.2f})",
                "Schematrons ms (p90/median)": f"{rules_ms:.1f} ({rules_p90:.2f})",
                "× read": f"{rules_ms / read_ms:.2f}",
                "First check (compiling) ms": f"{first_ms:.0f}",
                "Schematrons": ", ".join(s.name for s in schematron.schematrons(found.flavor, found.level)),
            }
        )
    return rows


if __name__ == "__main__":
    from bench.run import markdown

    print(markdown(measure()))
