"""Search at 10,000 contacts (GET /contacts?q=...), issue 3.

One tenant holds 10,000 contacts from a deterministic generator (random.Random(7)): people and
businesses with French names (accents included, common surnames far more common than rare ones),
references, addresses with postcodes and cities, emails and phones in the formats people type.
They are made by crm.contacts.service.create, its transactions collected and batch-written
(bench.bulk). For a few representative queries: the DynamoDB requests one search makes, the items
they read, the contacts on the first page and over every page, and the median in-process time of
the whole handler against the floor, a bare Query with the search's own key condition (the query
term's partition, `begins_with` the term, Limit 50) through the same boto3 Table, and against that
Query plus a BatchGetItem of the contacts it names (the two requests the search makes), all
interleaved.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable

from boto3.dynamodb.conditions import Key

from bench import bulk
from bench.env import AwsCalls, breakdown, stack
from bench.partitions import partitioned, same_as_moto
from bench.timing import interleaved, spread
from crm.contacts import search, service
from crm.contacts.models import ContactFields
from crm.platform import aws
from crm.platform.auth import principal_from_claims
from crm.platform.keys import tenant_key
from crm.platform.pagination import DEFAULT_LIMIT
from tests.support.lambdas import LambdaContext, api_event, call, claims, module

TENANT, SEED, CONTACTS = "bench", 7, 10_000
WARM_UP, REPETITIONS = 3, 20

SURNAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèbvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Müller",
    "Lefèvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martínez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Léger",
    "Martineau",
    "Marty",
    "Martel",
    "Mallet",
    "Maréchal",
    "Ménard",
    "Mérieux",
    "Étienne",
    "Éluard",
    "Hébert",
    "Périer",
    "Prévost",
    "Thérond",
    "Crépin",
    "Lebœuf",
]
FIRST_NAMES = [
    "Jean",
    "Marie",
    "Pierre",
    "Michel",
    "Anne",
    "Philippe",
    "Nathalie",
    "Isabelle",
    "Alain",
    "Sylvie",
    "Catherine",
    "Éric",
    "Hélène",
    "Frédéric",
    "Céline",
    "Stéphane",
    "Sébastien",
    "Émilie",
    "Jérôme",
    "François",
    "Françoise",
    "Thérèse",
    "André",
    "Agnès",
    "Clément",
    "Léa",
    "Chloé",
    "Inès",
    "Noémie",
    "Zoé",
    "Gaëlle",
    "Maëlle",
    "Loïc",
    "Martine",
    "Marc",
    "Marcel",
    "Margaux",
    "Maxime",
    "Manon",
    "Mathilde",
    "Julien",
    "Camille",
    "Nicolas",
    "Laurent",
    "Sophie",
    "Thomas",
    "Hugo",
    "Lucas",
    "Élodie",
]
TRADES = (
    "Boulangerie",
    "Pharmacie",
    "Garage",
    "Hôtel",
    "Restaurant",
    "Boucherie",
    "Crèche",
    "Clinique",
    "Cabinet",
    "Société",
    "SCI",
    "Copropriété",
    "Résidence",
    "École élémentaire",
    "École maternelle",
    "Collège",
    "Mairie",
    "EHPAD",
    "Supermarché",
    "Brasserie",
    "Salon de coiffure",
    "Café",
    "Entrepôt",
    "Agence",
    "Laboratoire",
)
PLACES = (
    "du Centre",
    "de la Gare",
    "des Écoles",
    "du Marché",
    "Les Érables",
    "Les Tilleuls",
    "Saint-Éloi",
    "Jules Ferry",
    "Victor Hugo",
    "du Château",
    "de l'Église",
    "Pasteur",
    "Les Mimosas",
    "du Port",
    "Bellevue",
    "Émile Zola",
    "Sainte-Thérèse",
)
# (city, postcode prefix, postcodes, weight, lat, lon): big cities far more often than small ones.
CITIES = (
    ("Paris", "750", 20, 40, 48.857, 2.352),
    ("Marseille", "130", 16, 16, 43.296, 5.370),
    ("Lyon", "6900", 9, 10, 45.764, 4.836),
    ("Toulouse", "310", 1, 9, 43.605, 1.444),
    ("Nice", "060", 1, 7, 43.710, 7.262),
    ("Nantes", "440", 1, 6, 47.218, -1.554),
    ("Montpellier", "340", 1, 6, 43.611, 3.877),
    ("Strasbourg", "670", 1, 5, 48.573, 7.752),
    ("Bordeaux", "330", 1, 5, 44.838, -0.579),
    ("Lille", "590", 1, 5, 50.629, 3.057),
    ("Rennes", "350", 1, 4, 48.117, -1.678),
    ("Saint-Étienne", "420", 1, 3, 45.440, 4.387),
    ("Le Havre", "766", 1, 3, 49.494, 0.108),
    ("Grenoble", "380", 1, 3, 45.188, 5.724),
    ("Dijon", "210", 1, 3, 47.322, 5.041),
    ("Nîmes", "300", 1, 3, 43.837, 4.360),
    ("Aix-en-Provence", "131", 1, 2, 43.529, 5.447),
    ("Martigues", "135", 1, 1, 43.405, 5.048),
    ("Clermont-Ferrand", "630", 1, 2, 45.777, 3.087),
    ("Orléans", "450", 1, 2, 47.903, 1.909),
    ("Besançon", "250", 1, 2, 47.238, 6.024),
    ("Évry", "910", 1, 1, 48.629, 2.441),
    ("Évreux", "270", 1, 1, 49.027, 1.151),
    ("Épinal", "880", 1, 1, 48.172, 6.449),
    ("Écully", "6913", 1, 1, 45.774, 4.777),
    ("Béziers", "345", 1, 1, 43.344, 3.216),
    ("Cannes", "064", 1, 2, 43.552, 7.017),
    ("Antibes", "066", 1, 1, 43.580, 7.125),
    ("Mérignac", "337", 1, 1, 44.842, -0.646),
    ("Créteil", "940", 1, 1, 48.790, 2.455),
)
STREETS = ("rue", "avenue", "boulevard", "place", "impasse", "chemin", "allée", "quai")
STREET_NAMES = (
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "de la Paix",
    "des Lilas",
    "Pasteur",
    "du Général de Gaulle",
    "de l'Église",
    "Émile Zola",
    "des Écoles",
    "du Moulin",
    "Gambetta",
    "Saint-Honoré",
    "de Verdun",
    "des Peupliers",
)
DOMAINS = ("gmail.com", "orange.fr", "free.fr", "wanadoo.fr", "sfr.fr", "laposte.net", "outlook.fr", "hotmail.fr", "yahoo.fr")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-.")).lower()


def _phone(rng: random.Random) -> str:
    national = f"0{rng.choice('6677123459')}" + "".join(f"{rng.randrange(100):02d}" for _ in range(4))
    style = rng.random()
    if style < 0.45:
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    if style < 0.7:
        return national
    if style < 0.85:
        return ".".join(national[i : i + 2] for i in range(0, 10, 2))
    return "+33 " + national[1] + " " + " ".join(national[i : i + 2] for i in range(2, 10, 2))


def contacts(rng: random.Random, group_ids: list[str]) -> list[dict]:
    """CONTACTS contact bodies, as POST /contacts takes them."""
    surname_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(SURNAMES))]  # Martin first, Lebœuf rare
    city_weights = [c[3] for c in CITIES]
    numbers = rng.sample(range(1, 1_000_000), CONTACTS)
    bodies = []
    for i in range(CONTACTS):
        surname = rng.choices(SURNAMES, surname_weights)[0]
        first = rng.choice(FIRST_NAMES)
        city, prefix, spread_, _, lat, lon = rng.choices(CITIES, city_weights)[0]
        postcode = prefix + f"{rng.randrange(1, spread_ + 1):0{5 - len(prefix)}d}" if spread_ > 1 else prefix.ljust(5, "0")
        business = rng.random() < 0.55
        if business:
            name = f"{rng.choice(TRADES)} {surname if rng.random() < 0.6 else rng.choice(PLACES)}"
            if rng.random() < 0.15:
                name += f" {city}"
        else:
            name = f"{surname} {first}" if rng.random() < 0.6 else f"{first} {surname}"
        body: dict = {
            "name": name,
            "group_id": group_ids[0] if rng.random() < 0.8 else rng.choice(group_ids),
            "address": {
                "line1": f"{rng.randrange(1, 180)} {rng.choice(STREETS)} {rng.choice(STREET_NAMES)}",
                "city": city,
                "postcode": postcode,
                "country": "FR",
            },
        }
        if rng.random() < 0.85:
            body["reference"] = f"CLI-{numbers[i]:06d}"
        if rng.random() < 0.75:
            body["location"] = {"lat": round(lat + rng.uniform(-0.05, 0.05), 5), "lon": round(lon + rng.uniform(-0.05, 0.05), 5)}
            body["zone"] = {"kind": "circle", "radius_m": rng.choice((20, 30, 50, 100))}
        if rng.random() < 0.7:
            local = f"{_ascii(first)}.{_ascii(surname)}" if rng.random() < 0.7 else f"contact{rng.randrange(100)}"
            domain = rng.choice(DOMAINS) if not business or rng.random() < 0.4 else f"{_ascii(surname)}-{rng.randrange(10, 99)}.fr"
            body["main_contact"] = {"name": f"{first} {surname}", "email": f"{local}@{domain}"}
        if rng.random() < 0.6:
            body["on_site_contact"] = {
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choices(SURNAMES, surname_weights)[0]}",
                "phone": _phone(rng),
            }
        if business and rng.random() < 0.5:
            body["opening_hours"] = {
                "time_zone": "Europe/Paris",
                "weekly": {d: [{"open": "08:00", "close": "12:00"}, {"open": "14:00", "close": "18:00"}] for d in WEEKDAYS},
            }
        bodies.append(body)
    return bodies


def _load() -> list[dict]:
    """The tenant's groups (through the API) and contacts (bulk); returns the contacts' bodies."""
    groups = [
        call("POST", "/contact-groups", tenant=TENANT, role="admin", body={"name": n}).json["id"]
        for n in ("Customers", "Prospects", "Suppliers")
    ]
    bodies = contacts(random.Random(SEED), groups)
    principal = principal_from_claims(claims(TENANT, "office"))
    with bulk.collected() as operations:
        for body in bodies:
            service.create(principal, ContactFields.model_validate(body))
    bulk.write(operations)
    return bodies


def _queries(bodies: list[dict]) -> list[tuple[str, str]]:
    rare = next(b["reference"] for b in bodies[4217:] if b.get("reference"))
    return [("common name prefix", "Mart"), ("rare exact reference", rare), ("phone prefix", "06 12"), ("accented prefix", "Éco")]


def _all_pages(get: Callable[[str | None], dict]) -> tuple[int, int, int]:
    """(pages, contacts returned, distinct contacts) following next_cursor to the end."""
    pages, seen = 0, []
    cursor = None
    while True:
        page = get(cursor)
        pages += 1
        seen += [c["id"] for c in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return pages, len(seen), len(set(seen))


def measure() -> list[dict]:
    calls = AwsCalls()
    with stack(calls):
        bodies = _load()
        handler, context = module("ContactsFunction").handler, LambdaContext("ContactsFunction")
        table = aws.table()
        queries = _queries(bodies)

        def event(q: str, cursor: str | None = None) -> dict:
            return api_event("GET", "/contacts", query={"q": q, "cursor": cursor}, user=claims(TENANT, "office"))[1]

        def search_page(q: str, cursor: str | None = None) -> dict:
            reply = handler(event(q, cursor), context)
            if reply["statusCode"] != 200:
                raise RuntimeError(f"GET /contacts?q={q} -> {reply['statusCode']}: {reply['body']}")
            return json.loads(reply["body"])

        def bare_query(term: str) -> Callable[[], dict]:
            condition = Key("PK").eq(tenant_key(TENANT, "SEARCH", term[0])) & Key("SK").begins_with(term)
            return lambda: table.query(KeyConditionExpression=condition, Limit=DEFAULT_LIMIT)

        def bare_query_and_contacts(query: Callable[[], dict]) -> Callable[[], None]:
            def run() -> None:
                found = dict.fromkeys(i["contact_id"] for i in query()["Items"])
                keys = [{"PK": tenant_key(TENANT, "CONTACT", contact_id), "SK": "CONTACT"} for contact_id in found]
                if keys:
                    table.meta.client.batch_get_item(RequestItems={table.name: {"Keys": keys}})

            return run

        rows, measured = [], {}
        with partitioned():
            for label, q in queries:
                term = search.query_term(q)
                same_as_moto(lambda q=q: search_page(q))
                calls.take(), calls.take_items_read()
                first = search_page(q)
                counts, read = calls.take(), calls.take_items_read()
                total, operations = breakdown(counts, "dynamodb")
                pages, returned, distinct = _all_pages(lambda cursor, q=q: search_page(q, cursor))
                query = bare_query(term)
                rows.append(
                    {
                        "Search": f"{label}: q={q!r} (term {term!r})",
                        "Term items / contacts on page 1": f"{query()['Count']} / {len(first['items'])}",
                        "DynamoDB requests": total,
                        "DynamoDB operations": operations,
                        "Items read": read,
                        "All pages: pages, contacts (distinct)": f"{pages}, {returned} ({distinct})",
                    }
                )
                measured |= {
                    f"Query {label}": query,
                    f"both {label}": bare_query_and_contacts(query),
                    f"handler {label}": lambda e=event(q): handler(e, context),  # noqa: B008 - bound once per query
                }
            samples = interleaved(measured, WARM_UP, REPETITIONS)
    for row, (label, _) in zip(rows, queries, strict=False):
        (query_ms, query_spread), (both_ms, both_spread), (handler_ms, handler_spread) = (
            spread(samples[f"{k} {label}"]) for k in ("Query", "both", "handler")
        )
        row |= {
            "Query ms": f"{query_ms:.1f} ({query_spread:.2f})",
            "Query + BatchGetItem ms": f"{both_ms:.1f} ({both_spread:.2f})",
            "Handler ms": f"{handler_ms:.1f} ({handler_spread:.2f})",
            "× Query": f"{handler_ms / query_ms:.2f}",
            "× (Query + BatchGetItem)": f"{handler_ms / both_ms:.2f}",
        }
    return rows
