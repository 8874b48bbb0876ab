"""The open publication with real clients, none of ours: pxwebpy (PxWebApi 2) against the running
server, pyjstat and jsonstat-validator on the JSON-stat files, rdflib + pyshacl on the catalogue,
Chromium on the served pages; and a publication switch under load."""

from __future__ import annotations

import json
import math
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest
from jsonstat_validator import validate_jsonstat
from pxweb import PxApi
from pyjstat import pyjstat
from pyshacl import validate
from rdflib import Graph

from dagster_project.gate.steward import STEWARD_PAGE_NAME, write_steward_page
from dagster_project.open_data.static import CATALOG_FILE, open_dir
from dagster_project.open_data.tables import OPEN_TABLES, period_code
from dagster_project.serve.app import API, running_server
from dagster_project.serve.load import run_load, second_publication
from dagster_project.settings import WarehousePaths
from tests.browser import Page, chromium_path

SHAPES = Path(__file__).parent / "dcat_ap_no_shapes.ttl"
CONTENT_COLUMNS = ("value", "numerator", "denominator", "n", "n_eff", "ci_low", "ci_high")


@pytest.fixture(scope="module")
def warehouse(gate_templates: tuple[Path, Path]) -> WarehousePaths:
    """The shared published warehouse (read only here: the server never writes)."""
    return WarehousePaths(gate_templates[1])


@pytest.fixture(scope="module")
def server(warehouse: WarehousePaths):
    with running_server(warehouse, max_cells=20_000) as url:
        yield url


def _get(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_the_run_wrote_the_open_files_and_pyjstat_and_the_validator_read_them(warehouse: WarehousePaths) -> None:
    folder = open_dir(warehouse.parquet_dir)
    for table in OPEN_TABLES:
        dataset = json.loads((folder / f"{table.id}.json").read_text(encoding="utf-8"))
        assert validate_jsonstat(dataset), table.id
        frame = pyjstat.Dataset.read(json.dumps(dataset)).write("dataframe")
        assert len(frame) == math.prod(dataset["size"])
        csv = (folder / f"{table.id}.csv").read_bytes()
        assert csv.startswith(b"\xef\xbb\xbf") and b";" in csv.splitlines()[0]
    assert (folder / CATALOG_FILE).stat().st_size > 1000


def _published_cells(db: Path) -> tuple[dict, set]:
    """{(measure, region, content, Tid): value} and the withheld cells, straight from published.duckdb."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            f"select measure_id, geography_code, period, is_suppressed, {', '.join(CONTENT_COLUMNS)} "
            "from marts.fct_measure_value where measure_id like '4.%'"
        ).fetchall()
    finally:
        con.close()
    values, withheld = {}, set()
    for measure, region, period, suppressed, *figures in rows:
        for column, figure in zip(CONTENT_COLUMNS, figures, strict=True):
            key = (measure, region, column, period_code(period))
            if suppressed:
                withheld.add(key)
            elif figure is not None:
                values[key] = figure
    return values, withheld


def test_pxwebpy_reads_exactly_the_published_values(server: str, warehouse: WarehousePaths) -> None:
    api = PxApi(server + API, language="no", disable_cache=True, max_workers=1)
    assert {t["id"] for t in api.all_tables()} == {t.id for t in OPEN_TABLES}
    variables = api.get_table_variables("fct_measure_value")
    assert list(variables) == ["measure", "Region", "ContentsCode", "Tid"]
    assert variables["Region"]["category"]["label"]["0"] == "Hele landet"
    rows = api.get_table_data(
        "fct_measure_value",
        value_codes={"measure": "4.*", "Region": "*", "ContentsCode": list(CONTENT_COLUMNS), "Tid": "*"},
        show="code",
    )
    got = {(r["måleindikator"], r["region"], r["statistikkvariabel"], r["periode"]): r["value"] for r in rows}
    expected, withheld = _published_cells(warehouse.published_db)
    assert withheld, "the fixture publication has withheld cells"
    assert {k: v for k, v in got.items() if v is not None} == expected
    assert all(got[key] is None for key in withheld)  # withheld: missing, never the figure


def test_withheld_cells_carry_ssbs_status_and_nothing_else(server: str, warehouse: WarehousePaths) -> None:
    _, withheld = _published_cells(warehouse.published_db)
    measure, region, _, period = sorted(withheld)[0]
    query = f"valueCodes[measure]={measure}&valueCodes[Region]={region}&valueCodes[Tid]={period}"
    status, body, _ = _get(f"{server}{API}/tables/fct_measure_value/data?{query}")
    dataset = json.loads(body)
    assert status == 200 and dataset["value"] == [None] * len(dataset["value"])
    assert set(dataset["status"].values()) == {":"} and len(dataset["status"]) == len(dataset["value"])
    status, csv, _ = _get(f"{server}{API}/tables/fct_measure_value/data?{query}&outputFormat=csv")
    lines = csv.decode("utf-8-sig").strip().split("\r\n")
    assert all(line.endswith(";:") for line in lines[1:]) and len(lines) == 1 + len(dataset["value"])


def test_formats_selections_and_errors_as_pxwebapi_gives_them(server: str) -> None:
    table = f"{server}{API}/tables/fct_measure_value"
    status, body, _ = _get(f"{table}/data?valueCodes[measure]=4.2.6&valueCodes[Region]=0&valueCodes[Tid]=top(3)")
    dataset = json.loads(body)
    assert status == 200 and validate_jsonstat(dataset)
    assert len(dataset["dimension"]["Tid"]["category"]["index"]) == 3
    status, body, headers = _get(f"{table}/data?valueCodes[measure]=4.2.6&valueCodes[Region]=0&outputFormat=xlsx")
    assert status == 200 and body[:2] == b"PK" and headers["x-publication-id"]
    status, body, _ = _get(f"{table}/data?valueCodes[measure]=4.2.6&valueCodes[Region]=0&outputFormat=html")
    assert status == 200 and b"<table>" in body
    status, body, _ = _get(f"{table}/data?valueCodes[measure]=4.2.6&valueCodes[Region]=0&lang=en")
    assert json.loads(body)["dimension"]["ContentsCode"]["category"]["label"]["value"] == "Value"
    for url, code, detail in (
        (f"{server}{API}/tables/nope/metadata", 404, "Non-existent table 'nope'"),
        (f"{table}/data?valueCodes[Region]=9999", 400, "Non-existent value '9999' for variable 'Region'"),
        (f"{table}/data?outputFormat=px", 400, "Unsupported outputFormat 'px'"),
        (f"{table}/data", 403, "Too many cells selected"),
        (f"{table}/metadata?lang=sv", 400, "Unsupported language 'sv'"),
    ):
        status, body, headers = _get(url)
        problem = json.loads(body)
        assert (status, problem["status"]) == (code, code) and detail in problem["detail"], url
        assert headers["content-type"] == "application/problem+json"


def test_the_catalogue_is_dcat_ap_no(server: str) -> None:
    status, body, _ = _get(f"{server}/catalog.ttl")
    graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
    shapes = Graph().parse(SHAPES, format="turtle")
    conforms, _, report = validate(graph, shacl_graph=shapes, inference="none")
    assert status == 200 and conforms, report
    titles = graph.query(
        "select ?lang (count(?t) as ?n) where { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
        "<http://purl.org/dc/terms/title> ?t . bind(lang(?t) as ?lang) } group by ?lang"
    )
    assert {str(lang): int(n) for lang, n in titles} == {"nb": len(OPEN_TABLES), "en": len(OPEN_TABLES)}


@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")
def test_chromium_opens_the_served_report_quality_page_and_archive(published_env, tmp_path: Path) -> None:
    paths = WarehousePaths(published_env[1])
    write_steward_page(paths, paths.root / STEWARD_PAGE_NAME)
    page = Page(tmp_path / "chromium-profile")
    try:
        with running_server(paths) as url:
            seen = {}
            for path in ("/status_report.html", f"/{STEWARD_PAGE_NAME}", "/archive", "/"):
                page.open(url + path)
                seen[path] = page.evaluate("document.body.innerText")
    finally:
        page.close()
    assert page.errors == []
    assert "strategiske e-helseindikatorer" in seen["/status_report.html"]
    assert "Publiseringsarkiv" in seen["/archive"] and len(seen["/archive"].splitlines()) >= 3
    assert seen[f"/{STEWARD_PAGE_NAME}"].strip()


def test_no_request_fails_or_mixes_while_publications_switch(published_env, tmp_path: Path) -> None:
    paths = WarehousePaths(published_env[1])
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    shutil.copy(paths.published_db, a)
    second_publication(a, b)
    query = f"{API}/tables/fct_measure_value/data?valueCodes[measure]=4.2.6&valueCodes[ContentsCode]=value"
    with running_server(paths) as url:
        result = run_load(url + query, paths.published_db, [b, a], clients=4, seconds=4, switch_every=0.3)
    assert result.failures == [] and result.mixed == [], result.summary()
    assert len(result.served) == 2 and result.switches >= 5, result.summary()  # both were served


def test_the_documented_pxwebpy_example(server: str, warehouse: WarehousePaths) -> None:
    from examples.open_data.read_with_pxwebpy import measure_series

    series = measure_series(server)
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        expected = con.execute(
            "select period, value from marts.fct_measure_value where measure_id = '4.2.6' and geography_code = '0'"
        ).fetchall()
    finally:
        con.close()
    published = {period_code(p): v for p, v in expected}
    got = {p: None if math.isnan(v) else v for p, v in zip(series["period"], series["value"], strict=True)}
    assert len(got) == 12 and sum(v is not None for v in got.values()) >= 6
    assert got == {period: published.get(period) for period in got}


def test_every_publication_writes_the_open_files() -> None:
    """`ehelse run` materializes transform_and_publish: the open files come after `published`."""
    import dagster as dg

    from dagster_project.definitions import defs

    job = defs.resolve_job_def("transform_and_publish")
    assert dg.AssetKey(["open_data"]) in job.asset_layer.selected_asset_keys
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey(["published"]) in graph.get(dg.AssetKey(["open_data"])).parent_keys
