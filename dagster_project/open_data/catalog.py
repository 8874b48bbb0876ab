"""The DCAT-AP-NO catalogue (Turtle) of the open tables, for data.norge.no to harvest."""

from __future__ import annotations

import calendar

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from dagster_project.open_data.tables import OpenPublication, TableData

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
# Norsk lisens for offentlige data (NLOD) 2.0, as data.norge.no names it (docs/decisions.md, issue 23).
LICENCE = URIRef("http://data.norge.no/nlod/no/2.0")
PUBLISHER = URIRef("https://data.brreg.no/enhetsregisteret/api/enheter/983544622")
PUBLISHER_NAME = "Helsedirektoratet"
PUBLISHER_ORGNR = "983544622"
THEME = URIRef(EU + "data-theme/HEAL")
SPATIAL = URIRef(EU + "country/NOR")
ACCESS_PUBLIC = URIRef(EU + "access-right/PUBLIC")
LANGUAGES = (URIRef(EU + "language/NOB"), URIRef(EU + "language/ENG"))
FORMATS = {
    "json": ("application/json", "JSON-stat 2.0", URIRef(EU + "file-type/JSON")),
    "csv": ("text/csv", "CSV (;, desimalkomma)", URIRef(EU + "file-type/CSV")),
}
API_PATH = "api/pxwebapi/v2"
DEFAULT_BASE_URL = "http://127.0.0.1:8080/"


def _base(base_url: str) -> str:
    return base_url if base_url.endswith("/") else base_url + "/"


def build_catalog(publication: OpenPublication, base_url: str = DEFAULT_BASE_URL) -> Graph:
    base = _base(base_url)
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("adms", ADMS)):
        graph.bind(prefix, namespace)
    modified = Literal(publication.published_at.replace(microsecond=0).isoformat() + "Z", datatype=XSD.dateTime)
    catalog = URIRef(base + "catalog.ttl#catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal("Oppfølging av Nasjonal e-helsestrategi: åpne data", lang="nb")))
    graph.add((catalog, DCTERMS.title, Literal("Follow-up of the national e-health strategy: open data", lang="en")))
    graph.add(
        (
            catalog,
            DCTERMS.description,
            Literal("Publiserte tall for måleindikatorene i Nasjonal e-helsestrategi 2023–2030.", lang="nb"),
        )
    )
    graph.add(
        (
            catalog,
            DCTERMS.description,
            Literal("Published figures of the measures of the national e-health strategy 2023-2030.", lang="en"),
        )
    )
    graph.add((catalog, DCTERMS.publisher, PUBLISHER))
    graph.add((catalog, DCTERMS.modified, modified))
    graph.add((catalog, DCTERMS.license, LICENCE))
    graph.add((catalog, FOAF.homepage, URIRef(base)))
    for language in LANGUAGES:
        graph.add((catalog, DCTERMS.language, language))
    _add_publisher(graph)
    for data in publication.tables.values():
        graph.add((catalog, DCAT.dataset, _add_dataset(graph, data, base, modified)))
    return graph


def _add_publisher(graph: Graph) -> None:
    graph.add((PUBLISHER, RDF.type, FOAF.Agent))
    graph.add((PUBLISHER, FOAF.name, Literal(PUBLISHER_NAME, lang="nb")))
    graph.add((PUBLISHER, DCTERMS.identifier, Literal(PUBLISHER_ORGNR)))


def _add_dataset(graph: Graph, data: TableData, base: str, modified: Literal) -> URIRef:
    table = data.table
    dataset = URIRef(f"{base}{API_PATH}/tables/{table.id}")
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.identifier, Literal(str(dataset))))
    graph.add((dataset, DCTERMS.title, Literal(table.label_nb, lang="nb")))
    graph.add((dataset, DCTERMS.title, Literal(table.label_en, lang="en")))
    graph.add((dataset, DCTERMS.description, Literal(_description_nb(data), lang="nb")))
    if data.description:  # dbt's description of the published table (English)
        graph.add((dataset, DCTERMS.description, Literal(data.description, lang="en")))
    graph.add((dataset, DCTERMS.publisher, PUBLISHER))
    graph.add((dataset, DCAT.theme, THEME))
    graph.add((dataset, DCTERMS.accessRights, ACCESS_PUBLIC))
    graph.add((dataset, DCTERMS.spatial, SPATIAL))
    graph.add((dataset, DCTERMS.modified, modified))
    graph.add((dataset, DCAT.keyword, Literal("e-helse", lang="nb")))
    graph.add((dataset, DCAT.keyword, Literal("e-health", lang="en")))
    for language in LANGUAGES:
        graph.add((dataset, DCTERMS.language, language))
    graph.add((dataset, DCAT.landingPage, URIRef(f"{base}{API_PATH}/tables/{table.id}")))
    _add_contact(graph, dataset)
    _add_temporal(graph, dataset, data)
    for extension, (media_type, title, file_type) in FORMATS.items():
        distribution = URIRef(f"{base}open/{table.id}.{extension}")
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(f"{table.label_nb} ({title})", lang="nb")))
        graph.add((distribution, DCTERMS.description, Literal(f"Hele tabellen som {title}.", lang="nb")))
        graph.add((distribution, DCAT.accessURL, distribution))
        graph.add((distribution, DCAT.downloadURL, distribution))
        graph.add((distribution, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media_type}")))
        graph.add((distribution, DCTERMS.format, file_type))
        graph.add((distribution, DCTERMS.license, LICENCE))
        graph.add((distribution, DCTERMS.modified, modified))
    api = URIRef(f"{base}{API_PATH}/tables/{table.id}/data")
    graph.add((dataset, DCAT.distribution, api))
    graph.add((api, RDF.type, DCAT.Distribution))
    graph.add((api, DCTERMS.title, Literal(f"{table.label_nb} (PxWebApi 2)", lang="nb")))
    graph.add((api, DCTERMS.description, Literal("Utvalg etter valueCodes, som SSBs PxWebApi 2.", lang="nb")))
    graph.add((api, DCAT.accessURL, api))
    graph.add((api, DCTERMS.license, LICENCE))
    graph.add((api, DCTERMS.format, FORMATS["json"][2]))
    return dataset


def _description_nb(data: TableData) -> str:
    contents = ", ".join(c.label_nb.lower() for c in data.contents)
    return f"{data.table.label_nb}. Statistikkvariabler: {contents}. Prikkede tall er merket ':'."


def _add_contact(graph: Graph, dataset: URIRef) -> None:
    contact = BNode()
    graph.add((dataset, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, Literal(PUBLISHER_NAME)))
    graph.add((contact, VCARD.hasURL, URIRef("https://www.helsedirektoratet.no/")))


def _add_temporal(graph: Graph, dataset: URIRef, data: TableData) -> None:
    if not data.first_period:
        return
    period = BNode()
    graph.add((dataset, DCTERMS.temporal, period))
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    graph.add((period, DCAT.startDate, Literal(_period_start(data.first_period), datatype=XSD.date)))
    graph.add((period, DCAT.endDate, Literal(_period_end(data.last_period), datatype=XSD.date)))


def _period_start(code: str) -> str:
    year, _, month = code.partition("M")
    return f"{year}-{month or '01'}-01"


def _period_end(code: str) -> str:
    year, _, month = code.partition("M")
    month_number = int(month or 12)
    return f"{year}-{month_number:02d}-{calendar.monthrange(int(year), month_number)[1]:02d}"


def catalog_turtle(publication: OpenPublication, base_url: str = DEFAULT_BASE_URL) -> str:
    return build_catalog(publication, base_url).serialize(format="turtle")
