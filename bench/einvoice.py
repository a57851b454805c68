"""E-invoicing: issuing a business customer's invoice (POST /documents/{id}/issue: numbered, its
PDF rendered, its CII XML generated and checked against the XSD, embedded as Factur-X, stored)
against issuing the same invoice to a private customer (the plain PDF/A-3), interleaved in the
same run, through the whole FinanceFunction handler on moto; and the CII, UBL and embedding steps
alone against the render of the same issued invoice."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bench.env import stack
from bench.finance import BUSINESS, LEGAL_IDENTITY, TENANT, _ok
from bench.timing import interleaved, spread

WARM_UP, REPETITIONS = 3, 15
LINES = 5
PRIVATE = {"kind": "individual", "address": {"line1": "8 rue Victor Hugo", "postcode": "69002", "city": "Lyon", "country": "FR"}}


def _drafts(contact: str, count: int) -> Iterator[str]:
    line = {"description": "Entretien chaudière", "unit_price": 12000, "tax_rate": "S20"}
    drafts = [
        _ok("POST", "/documents", body={"type": "invoice", "contact_id": contact, "lines": [line] * LINES}).json["id"] for _ in range(count)
    ]
    return iter(drafts)


def _issuing(drafts: Iterator[str], issued: list[dict]) -> Callable[[], None]:
    def issue() -> None:
        issued.append(_ok("POST", f"/documents/{next(drafts)}/issue", headers={"If-Match": '"1"'}).json)

    return issue


def _row(measure: str, samples: list[int], floor_ms: float | None) -> dict:
    ms, p90 = spread(samples)
    return {
        "Measure": measure,
        "Median ms": f"{ms:.1f}",
        "p90/median": f"{p90:.2f}",
        "× plain": f"{ms / floor_ms:.2f}" if floor_ms else "1.00",
    }


def measure() -> list[dict]:
    from crm.finance import pdfs, service
    from crm.finance.einvoice import facturx, syntax

    rounds = WARM_UP + REPETITIONS
    with stack():
        _ok(
            "PATCH",
            "/finance/settings",
            role="admin",
            body={"tax_rates": [{"code": "S20", "name": "TVA", "rate": "20"}]},
            headers={"If-Match": '"0"'},
        )
        _ok("PUT", "/settings/legal", role="admin", body=LEGAL_IDENTITY, headers={"If-Match": '"0"'})
        group = _ok("POST", "/contact-groups", role="admin", body={"name": "Customers"}).json["id"]
        business = _ok("POST", "/contacts", body={"name": "ABC SARL", "group_id": group, **BUSINESS}).json["id"]
        private = _ok("POST", "/contacts", body={"name": "Anne Martin", "group_id": group, **PRIVATE}).json["id"]
        issued: dict[str, list[dict]] = {"factur-x": [], "plain": []}
        samples = interleaved(
            {
                "plain": _issuing(_drafts(private, rounds), issued["plain"]),
                "factur-x": _issuing(_drafts(business, rounds), issued["factur-x"]),
            },
            WARM_UP,
            REPETITIONS,
        )
        if {d["e_invoice"] for d in issued["factur-x"]} != {"factur-x"} or {d["e_invoice"] for d in issued["plain"]} != {"pdf"}:
            raise RuntimeError("the two kinds of issue did not make the files they are named for")
        document = service.get(TENANT, issued["factur-x"][-1]["id"])  # as stored, its legal facts with it
        steps = interleaved(
            {
                "render": lambda: pdfs.render(document, None),
                "cii": lambda: syntax.xml(document, "cii"),
                "ubl": lambda: syntax.xml(document, "ubl"),
                "embed": lambda: facturx.embed(pdfs.render(document, None), document, "Invoice", "en"),
            },
            WARM_UP,
            REPETITIONS * 2,
        )
    plain_ms, _ = spread(samples["plain"])
    render_ms, _ = spread(steps["render"])
    return [
        _row(f"issue a private customer's invoice ({LINES} lines): plain PDF/A-3", samples["plain"], None),
        _row(f"issue a business customer's invoice ({LINES} lines): Factur-X EN 16931", samples["factur-x"], plain_ms),
        {**_row("its render alone (crm.finance.pdfs.render)", steps["render"], None), "× plain": "(floor of the rows below)"},
        {**_row("CII XML + XSD (syntax.xml cii)", steps["cii"], None), "× plain": f"{spread(steps['cii'])[0] / render_ms:.2f} × render"},
        {
            **_row("UBL 2.1 XML + XSD (syntax.xml ubl)", steps["ubl"], None),
            "× plain": f"{spread(steps['ubl'])[0] / render_ms:.2f} × render",
        },
        {
            **_row("render + CII + embedding (facturx.embed)", steps["embed"], None),
            "× plain": f"{spread(steps['embed'])[0] / render_ms:.2f} × render",
        },
    ]


if __name__ == "__main__":
    from bench.run import markdown

    print(markdown(measure()))
