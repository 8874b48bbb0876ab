from pathlib import Path

import pytest

from dagster_project.feeds.csv_io import FileRejected, read_csv

COLUMNS = ["kommunenummer", "navn"]


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("kommunenummer;navn\r\n0301;Bærum Øst Ås\r\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "kommunenummer;navn\n0301;Bærum Øst Ås\n".encode(), "utf-8-sig"),
        ("kommunenummer;navn\n0301;Bærum Øst Ås\n".encode("cp1252"), "windows-1252"),
    ],
)
def test_utf8_bom_and_windows_1252_keep_norwegian_letters(tmp_path: Path, data: bytes, encoding: str) -> None:
    table = read_csv(write(tmp_path, data), COLUMNS)
    assert table.encoding == encoding
    assert table.columns == COLUMNS  # a BOM never sticks to the first column name
    assert table.rows[0].values == {"kommunenummer": "0301", "navn": "Bærum Øst Ås"}
    assert table.rows[0].line_number == 2


def test_utf16_is_rejected_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as err:
        read_csv(write(tmp_path, "kommunenummer;navn\n0301;Oslo\n".encode("utf-16")), COLUMNS)
    assert err.value.rule == "encoding"
    assert "UTF-8" in err.value.message


def test_bytes_undefined_in_windows_1252_are_rejected_with_the_line(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as err:
        read_csv(write(tmp_path, b"kommunenummer;navn\n0301;Oslo\n0302;\x81x\n"), COLUMNS)
    assert err.value.rule == "encoding"
    assert "line 3" in err.value.message


def test_missing_or_renamed_column_rejects_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as err:
        read_csv(write(tmp_path, b"kommunenr;navn\n0301;Oslo\n"), COLUMNS)
    assert err.value.rule == "missing_columns"
    assert "kommunenummer" in err.value.message and "kommunenr" in err.value.message


@pytest.mark.parametrize("data", [b"", b"\n\n", b"kommunenummer;navn\n"])
def test_empty_files_are_rejected(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(FileRejected) as err:
        read_csv(write(tmp_path, data), COLUMNS)
    assert err.value.rule == "empty_file"


def test_rows_with_a_wrong_field_count_are_kept_for_quarantine(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, b"kommunenummer;navn\n0301;Oslo\n0302;a;b\n"), COLUMNS)
    assert [r.line_number for r in table.rows] == [2]
    assert table.malformed == [(3, ["0302", "a", "b"])]
