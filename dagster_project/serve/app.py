"""The ASGI app (Starlette): PxWebApi 2's table list, metadata and data over the current
publication, the catalogue, the static open files and the report pages.

Publications switch atomically: the publication replaces published.duckdb by rename, and
`CurrentPublication` reads a new file (new inode) whole into an immutable OpenPublication
before any request sees it; a request takes one OpenPublication and answers from it alone,
so it never mixes two publications, and a request that arrives while the new one is read is
answered from the previous one instead of waiting or failing.
"""

from __future__ import annotations

import html
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dagster_project.open_data.catalog import catalog_turtle
from dagster_project.open_data.cube import MAX_DATA_CELLS, SelectionError, TooManyCells, build_cube, select, split_codes
from dagster_project.open_data.formats import (
    SEPARATORS,
    USE_CODES,
    USE_CODES_AND_TEXTS,
    USE_TEXTS,
    csv_text,
    html_table,
    jsonstat_dataset,
    metadata_json,
    updated,
    xlsx_bytes,
)
from dagster_project.open_data.static import open_dir
from dagster_project.open_data.tables import OpenPublication, TableData, load_publication
from dagster_project.publication.publish import archived_publications
from dagster_project.settings import WarehousePaths

log = logging.getLogger(__name__)

API = "/api/pxwebapi/v2"
LANGUAGES = {"no": "Norsk", "en": "English"}
LANGUAGE_ALIASES = {"nb": "no", "no": "no", "en": "en"}
OUTPUT_FORMATS = ("json-stat2", "csv", "xlsx", "html")
REPORT_PAGE, STEWARD_PAGE = "status_report.html", "quality.html"


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class CurrentPublication:
    """The publication in published.duckdb now, re-read when the file is replaced."""

    def __init__(self, published_db: Path) -> None:
        self.published_db = published_db
        self._publication: OpenPublication | None = None
        self._key: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def _file_key(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.published_db)
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def get(self) -> OpenPublication:
        key = self._file_key()
        current = self._publication
        if current is not None and key == self._key:
            return current
        # One request reads the new file; the others keep answering from the previous publication.
        if not self._lock.acquire(blocking=current is None):
            return current
        try:
            if self._publication is None or key != self._key:
                self._read(key)
        finally:
            self._lock.release()
        if self._publication is None:
            raise ApiError(503, "Service Unavailable", f"No publication yet: {self.published_db} does not exist")
        return self._publication

    def _read(self, key: tuple[int, int] | None) -> None:
        if key is None:
            return
        try:
            publication = load_publication(self.published_db)
        except Exception as error:  # a file replaced while read: keep the previous one, retry next request
            log.warning("could not read %s (%s): still serving the previous publication", self.published_db, error)
            return
        self._publication, self._key = publication, key
        log.info("serving publication %s", publication.publication_id)


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    """An error as PxWebApi 2 gives it: RFC 7807 problem details."""
    body = {"type": f"https://httpstatuses.io/{status}", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _language(request: Request) -> str:
    lang = request.query_params.get("lang", "no").lower()
    if lang not in LANGUAGE_ALIASES:
        raise ApiError(400, "Bad Request", f"Unsupported language '{lang}': use one of {', '.join(LANGUAGES)}")
    return LANGUAGE_ALIASES[lang]


def _table(publication: OpenPublication, table_id: str) -> TableData:
    data = publication.tables.get(table_id)
    if data is None:
        raise ApiError(404, "Not Found", f"Non-existent table '{table_id}'")
    return data


def _table_summary(request: Request, data: TableData, publication: OpenPublication, lang: str) -> dict:
    link = str(request.url_for("table", table_id=data.table.id))
    return {
        "type": "Table",
        "id": data.table.id,
        "label": data.label(lang),
        "description": data.description,
        "updated": updated(publication),
        "firstPeriod": data.first_period,
        "lastPeriod": data.last_period,
        "category": "public",
        "variableNames": [data.dimension_label(d, lang) for d in data.dimension_ids],
        "discontinued": False,
        "source": "Helsedirektoratet",
        "subjectCode": "helse",
        "timeUnit": "Monthly",
        "paths": [[{"id": "ehelse", "label": "E-helse"}]],
        "links": [
            {"rel": "self", "hreflang": lang, "href": f"{link}?lang={lang}"},
            {"rel": "metadata", "hreflang": lang, "href": f"{link}/metadata?lang={lang}"},
            {"rel": "data", "hreflang": lang, "href": f"{link}/data?lang={lang}&outputFormat=json-stat2"},
        ],
    }


class OpenApi:
    """The endpoints, over one CurrentPublication."""

    def __init__(self, paths: WarehousePaths, max_cells: int = MAX_DATA_CELLS) -> None:
        self.paths = paths
        self.current = CurrentPublication(paths.published_db)
        self.max_cells = max_cells

    def config(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "apiVersion": "2.0.0",
                "appVersion": "ehelse-warehouse",
                "languages": [{"id": k, "label": v} for k, v in LANGUAGES.items()],
                "defaultLanguage": "no",
                "maxDataCells": self.max_cells,
                "maxCallsPerTimeWindow": 0,
                "timeWindow": 10,
                "license": "https://data.norge.no/nlod/no/2.0",
                "sourceReferences": [{"language": "no", "text": "Kilde: Helsedirektoratet"}],
                "defaultDataFormat": "json-stat2",
                "dataFormats": list(OUTPUT_FORMATS),
                "features": [],
            }
        )

    def tables(self, request: Request) -> JSONResponse:
        lang = _language(request)
        publication = self.current.get()
        query = request.query_params.get("query", "").lower()
        found = [
            _table_summary(request, data, publication, lang)
            for data in publication.tables.values()
            if not query or query in data.label(lang).lower() or query in data.table.id
        ]
        size = int(request.query_params.get("pageSize") or max(len(found), 1))
        number = int(request.query_params.get("pageNumber") or 1)
        page = found[(number - 1) * size : number * size]
        return JSONResponse(
            {
                "language": lang,
                "tables": page,
                "page": {
                    "pageNumber": number,
                    "pageSize": size,
                    "totalElements": len(found),
                    "totalPages": max(1, -(-len(found) // size)),
                },
                "links": [],
            }
        )

    def table(self, request: Request) -> JSONResponse:
        lang = _language(request)
        publication = self.current.get()
        data = _table(publication, request.path_params["table_id"])
        return JSONResponse({"language": lang, **_table_summary(request, data, publication, lang)})

    def metadata(self, request: Request) -> JSONResponse:
        lang = _language(request)
        publication = self.current.get()
        data = _table(publication, request.path_params["table_id"])
        return JSONResponse(metadata_json(data, publication, lang))

    async def data(self, request: Request) -> Response:
        body = await request.body() if request.method == "POST" else b""
        return await run_in_threadpool(self._data, request, body)

    def _data(self, request: Request, body: bytes) -> Response:
        lang = _language(request)
        output = request.query_params.get("outputFormat", "json-stat2").lower()
        if output not in OUTPUT_FORMATS:
            raise ApiError(400, "Bad Request", f"Unsupported outputFormat '{output}': use {', '.join(OUTPUT_FORMATS)}")
        params = _format_params(request.query_params.get("outputFormatParams", ""))
        publication = self.current.get()
        data = _table(publication, request.path_params["table_id"])
        value_codes = _value_codes(request, body)
        try:
            codes = select(data, value_codes, self.max_cells)
        except TooManyCells as error:
            raise ApiError(403, "Forbidden", str(error)) from None
        except SelectionError as error:
            raise ApiError(400, "Bad Request", str(error)) from None
        cube = build_cube(data, codes)
        headers = {"X-Publication-Id": publication.publication_id}
        style = next((p for p in params if p in (USE_CODES, USE_TEXTS, USE_CODES_AND_TEXTS)), USE_CODES_AND_TEXTS)
        if output == "csv":
            separator = next((SEPARATORS[p] for p in params if p in SEPARATORS), ";")
            text = csv_text(cube, lang, style, separator)
            return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
        if output == "xlsx":
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            return Response(xlsx_bytes(cube, lang, style), media_type=media, headers=headers)
        if output == "html":
            return HTMLResponse(html_table(cube, lang, style), headers=headers)
        return JSONResponse(jsonstat_dataset(cube, publication, lang), headers=headers)

    def catalog(self, request: Request) -> Response:
        publication = self.current.get()
        text = catalog_turtle(publication, str(request.base_url))
        return Response(text, media_type="text/turtle; charset=utf-8")

    def index(self, request: Request) -> HTMLResponse:
        publication = self.current.get()
        items = "".join(
            f'<li><a href="{API}/tables/{html.escape(t)}/data?outputFormat=html">{html.escape(d.label("no"))}</a>'
            f' (<a href="{API}/tables/{html.escape(t)}/metadata">metadata</a>)</li>'
            for t, d in publication.tables.items()
        )
        return HTMLResponse(
            '<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Åpne data</title></head><body>'
            f"<h1>Åpne data: oppfølging av e-helsestrategien</h1><p>Publisering {publication.publication_id}, "
            f"{updated(publication)}</p><ul>{items}</ul>"
            f'<p><a href="/{REPORT_PAGE}">Statusrapport</a> · <a href="/{STEWARD_PAGE}">Kvalitet</a> · '
            '<a href="/archive">Publiseringsarkiv</a> · <a href="/catalog.ttl">DCAT-AP-NO-katalog</a></p></body></html>'
        )

    def page(self, request: Request) -> Response:
        name = request.url.path.lstrip("/")
        file = self.paths.root / name
        if not file.is_file():
            raise ApiError(404, "Not Found", f"{name} has not been written yet (ehelse run, ehelse quality)")
        return FileResponse(file, media_type="text/html; charset=utf-8")

    def archive(self, request: Request) -> HTMLResponse:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in reversed(archived_publications(self.paths)))
        return HTMLResponse(
            '<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Publiseringsarkiv</title></head>'
            f"<body><h1>Publiseringsarkiv</h1><p>Nyeste først.</p><ul>{items}</ul></body></html>"
        )


def _format_params(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _value_codes(request: Request, body: bytes) -> dict[str, list[str]]:
    """valueCodes[<dimension>]=a,b from the query string, or a POST body's selection."""
    codes: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("valueCodes[") and key.endswith("]"):
            codes.setdefault(key[len("valueCodes[") : -1], []).extend(split_codes(value))
    if body:
        try:
            selection = json.loads(body).get("selection", [])
            for item in selection:
                codes[item["variableCode"]] = [str(v) for v in item["valueCodes"]]
        except (ValueError, AttributeError, KeyError, TypeError):
            raise ApiError(400, "Bad Request", "The body is not a PxWebApi 2 selection") from None
    return codes


async def _api_error(request: Request, error: ApiError) -> JSONResponse:
    return _problem(error.status, error.title, error.detail)


def create_app(paths: WarehousePaths, max_cells: int = MAX_DATA_CELLS) -> Starlette:
    api = OpenApi(paths, max_cells)
    routes = [
        Route("/", api.index),
        Route(f"{API}/config", api.config),
        Route(f"{API}/tables", api.tables),
        Route(f"{API}/tables/{{table_id}}", api.table, name="table"),
        Route(f"{API}/tables/{{table_id}}/metadata", api.metadata),
        Route(f"{API}/tables/{{table_id}}/data", api.data, methods=["GET", "POST"]),
        Route("/catalog.ttl", api.catalog),
        Route(f"/{REPORT_PAGE}", api.page),
        Route(f"/{STEWARD_PAGE}", api.page),
        Route("/archive", api.archive),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # browsers ask; nothing to show
        Mount("/open", app=StaticFiles(directory=open_dir(paths.parquet_dir), check_dir=False)),
    ]
    return Starlette(routes=routes, exception_handlers={ApiError: _api_error})


def serve(paths: WarehousePaths, host: str = "127.0.0.1", port: int = 8080) -> None:
    uvicorn.run(create_app(paths), host=host, port=port, log_level="info")


@contextmanager
def running_server(paths: WarehousePaths, max_cells: int = MAX_DATA_CELLS) -> Iterator[str]:
    """The server on a free loopback port in a thread (tests, benchmark): yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(paths, max_cells), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the open-data server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
