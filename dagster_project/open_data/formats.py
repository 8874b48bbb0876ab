"""An open table's cube as JSON-stat 2.0, SSB-style CSV, XLSX and HTML."""

from __future__ import annotations

import html
import io
from datetime import datetime

from dagster_project.open_data.cube import WITHHELD, Cube
from dagster_project.open_data.tables import CONTENTS, REGION, TIME, OpenPublication, TableData

SOURCE = "Helsedirektoratet (ehelse-warehouse)"
# PxWebApi 2's outputFormatParams for tabular formats.
USE_CODES, USE_TEXTS, USE_CODES_AND_TEXTS = "UseCodes", "UseTexts", "UseCodesAndTexts"
SEPARATORS = {"SeparatorSemicolon": ";", "SeparatorTab": "\t", "SeparatorSpace": " "}
CSV_BOM = "\ufeff"


def updated(publication: OpenPublication) -> str:
    """The publication time as JSON-stat's `updated` (ISO 8601, UTC)."""
    return _iso(publication.published_at)


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def dimension_json(data: TableData, dim: str, codes: list[str], lang: str) -> dict:
    labels = data.labels[lang][dim]
    category: dict = {"index": {c: i for i, c in enumerate(codes)}, "label": {c: labels.get(c, c) for c in codes}}
    if dim == CONTENTS:
        category["unit"] = {c: _unit(data, c, lang) for c in codes}
    dimension = {"label": data.dimension_label(dim, lang), "category": category}
    dimension["extension"] = {"elimination": False, "show": "value"}
    notes = _dimension_notes(data, dim, codes)
    if notes:
        dimension["note"] = notes
    return dimension


def _unit(data: TableData, code: str, lang: str) -> dict:
    content = next(c for c in data.contents if c.code == code)
    if content.is_text:
        return {"label": "tekst" if lang == "no" else "text", "decimals": 0}
    if data.table.id == "fct_measure_value" and code in ("value", "ci_low", "ci_high", "numerator", "denominator"):
        label = "måleindikatorens enhet" if lang == "no" else "the measure's unit"
        return {"label": label, "decimals": 1}
    return {"label": "antall" if lang == "no" else "number", "decimals": 0}


def _dimension_notes(data: TableData, dim: str, codes: list[str]) -> list[str]:
    if dim != CONTENTS:
        return []
    return [f"{c.code}: {c.note}" for c in data.contents if c.code in codes and c.note]


def metadata_json(data: TableData, publication: OpenPublication, lang: str) -> dict:
    """The table's JSON-stat 2.0 metadata: every dimension and category, no values."""
    codes = data.categories
    return _dataset_head(data, publication, lang, {d: codes[d] for d in data.dimension_ids})


def _dataset_head(data: TableData, publication: OpenPublication, lang: str, codes: dict[str, list[str]]) -> dict:
    ids = data.dimension_ids
    roles = {"time": [TIME], "metric": [CONTENTS]}
    if REGION in ids:
        roles["geo"] = [REGION]
    notes = [data.description] if data.description else []
    notes.append(
        "Prikket (skjult av personvernhensyn): verdien er null og status ':'."
        if lang == "no"
        else "Withheld for confidentiality: value null and status ':'."
    )
    return {
        "version": "2.0",
        "class": "dataset",
        "label": data.label(lang),
        "source": SOURCE,
        "updated": updated(publication),
        "id": ids,
        "size": [len(codes[d]) for d in ids],
        "role": roles,
        "dimension": {d: dimension_json(data, d, codes[d], lang) for d in ids},
        "note": notes,
        "extension": {"px": {"tableid": data.table.id, "language": lang}, "publication_id": publication.publication_id},
    }


def jsonstat_dataset(cube: Cube, publication: OpenPublication, lang: str = "no", sparse: bool = False) -> dict:
    """A JSON-stat 2.0 dataset; `sparse` writes values as an object keyed by index (for large files)."""
    dataset = _dataset_head(cube.data, publication, lang, cube.codes)
    if sparse:
        dataset["value"] = {str(i): cube.values[i] for i in cube.present}
    else:
        dataset["value"] = cube.values
    if cube.withheld:
        dataset["status"] = {str(i): WITHHELD for i in sorted(cube.withheld)}
    return dataset


def _category_text(cube: Cube, dim: str, code: str, lang: str, style: str) -> str:
    label = cube.data.labels[lang][dim].get(code, code)
    if style == USE_CODES:
        return code
    if style == USE_CODES_AND_TEXTS and dim != CONTENTS and not label.startswith(code):
        return f"{code} {label}"
    return label


def _header(cube: Cube, lang: str) -> list[str]:
    """The long table's header: one column per dimension, then the value."""
    return [cube.data.dimension_label(d, lang) for d in cube.ids] + ["verdi" if lang == "no" else "value"]


def table_rows(cube: Cube, lang: str = "no", style: str = USE_CODES_AND_TEXTS) -> tuple[list[str], list[list]]:
    """Header and rows of the long table: one column per dimension and the value; only the cells
    that exist (a figure or withheld); a withheld cell's value is WITHHELD."""
    header = _header(cube, lang)
    rows = [
        [_category_text(cube, d, codes[d], lang, style) for d in cube.ids] + [WITHHELD if withheld else value]
        for codes, value, withheld in cube.cells()
    ]
    return header, rows


def _csv_number(value) -> str:
    """A figure the SSB way: decimal comma, no thousands separator, every digit kept."""
    if isinstance(value, float):
        text = repr(value)
        if text.endswith(".0"):
            text = text[:-2]
        return text.replace(".", ",")
    return str(value)


def _csv_field(value, separator: str) -> str:
    text = value if isinstance(value, str) else _csv_number(value)
    if any(ch in text for ch in (separator, '"', "\n", "\r")) or isinstance(value, str) and value != WITHHELD:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(cube: Cube, lang: str = "no", style: str = USE_CODES_AND_TEXTS, separator: str = ";") -> str:
    """SSB-style CSV: `;`, decimal comma, texts quoted, withheld as `:`, UTF-8 with BOM, CRLF."""
    header = _header(cube, lang)
    # Each category's field once (a table of 5 years by municipality has ~270 000 rows).
    fields = [
        {code: _csv_field(_category_text(cube, d, code, lang, style), separator) for code in cube.codes[d]}
        for d in cube.ids
    ]
    withheld_field = _csv_field(WITHHELD, separator)
    lines = [separator.join(_csv_field(h, separator) for h in header)]
    lines += [
        separator.join([*(f[c] for f, c in zip(fields, codes, strict=True)),
                        withheld_field if withheld else _csv_field(value, separator)])
        for codes, value, withheld in cube.cell_codes()
    ]  # fmt: skip
    return CSV_BOM + "\r\n".join(lines) + "\r\n"


def xlsx_bytes(cube: Cube, lang: str = "no", style: str = USE_CODES_AND_TEXTS) -> bytes:
    from openpyxl import Workbook

    header, rows = table_rows(cube, lang, style)
    book = Workbook()
    sheet = book.active
    sheet.title = cube.data.table.id[:31]
    sheet.append([cube.data.label(lang)])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def html_table(cube: Cube, lang: str = "no", style: str = USE_CODES_AND_TEXTS) -> str:
    header, rows = table_rows(cube, lang, style)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join(
        "<tr>"
        + "".join(f"<td>{html.escape(_csv_number(v) if not isinstance(v, str) else v)}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    title = html.escape(cube.data.label(lang))
    return (
        f'<!doctype html><html lang="{"nb" if lang == "no" else "en"}"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></body></html>"
    )
