"""Reading the inbox's CSV files: `;`-separated, one header row, UTF-8 with or
without BOM, or Windows-1252 (legacy Excel exports). Anything else is
rejected with a reason that names the file and the position."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class FileRejected(Exception):
    """The whole file is refused: recorded in the ledger, nothing loaded."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class CsvRow:
    line_number: int  # 1-based line in the file; the header is line 1
    values: dict[str, str]


@dataclass(frozen=True)
class CsvTable:
    encoding: str
    columns: list[str]
    rows: list[CsvRow]
    malformed: list[tuple[int, list[str]]]  # rows whose field count differs from the header


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (BOM stripped) first, then Windows-1252."""
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise FileRejected(
            "encoding",
            f"NUL byte at byte {offset} (UTF-16 or a binary file?): only UTF-8 and Windows-1252 are accepted",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as err:
            raise _encoding_error(data, err.start, "file has a UTF-8 BOM but is not valid UTF-8") from err
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # A legacy export: every byte but five is defined in Windows-1252, so
        # this also catches files that are neither (those five bytes).
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as err:
        raise _encoding_error(data, err.start, "neither UTF-8 nor Windows-1252") from err


def _encoding_error(data: bytes, offset: int, what: str) -> FileRejected:
    line = data.count(b"\n", 0, offset) + 1
    return FileRejected("encoding", f"{what} (byte 0x{data[offset]:02x} at line {line})")


def read_csv(path: Path, required_columns: list[str]) -> CsvTable:
    """Parse a contract CSV. Rejects empty files and files missing required columns."""
    data = path.read_bytes()
    if not data.strip():
        raise FileRejected("empty_file", "the file is empty")
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FileRejected("empty_file", "the file has no header row") from None
    missing = [c for c in required_columns if c not in header]
    if missing:
        unexpected = [c for c in header if c not in required_columns]
        hint = f"; unexpected column(s): {', '.join(unexpected)}" if unexpected else ""
        raise FileRejected("missing_columns", f"line 1: missing column(s): {', '.join(missing)}{hint}")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise FileRejected("duplicate_columns", f"line 1: column(s) appear twice: {', '.join(duplicated)}")

    rows: list[CsvRow] = []
    malformed: list[tuple[int, list[str]]] = []
    start_line = 1
    for fields in _records(reader):
        line_number = start_line + 1
        spanned = reader.line_num - start_line
        start_line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue  # blank lines (a trailing newline in Excel exports) carry no data
        if spanned > 1 and _swallows_lines(fields, len(header)):
            raise FileRejected(
                "stray_quote",
                f"line {line_number}: a quote opened here runs to line {reader.line_num}, merging "
                f"{spanned} lines into one record (a stray quote pair?); the file is refused so no row is lost",
            )
        if len(fields) != len(header):
            malformed.append((line_number, fields))
            continue
        rows.append(CsvRow(line_number, {h: v.strip() for h, v in zip(header, fields, strict=True)}))
    if not rows and not malformed:
        raise FileRejected("empty_file", "the file has a header but no data rows")
    return CsvTable(encoding, header, rows, malformed)


# Python's csv refuses a field above this; a real field of any feed is far below it.
MAX_FIELD_CHARS = 131_072


def _records(reader) -> Iterator[list[str]]:
    """The reader's records; a field over the limit (or another csv error) rejects the file with its line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise FileRejected("malformed_csv", f"line {reader.line_num}: {err}") from None


def _swallows_lines(fields: list[str], header_width: int) -> bool:
    """A record over several lines that is malformed, or whose quoted text holds whole rows
    (a newline followed by the delimiter): data lines were eaten by a stray quote."""
    return len(fields) != header_width or any("\n" in f and ";" in f for f in fields)
