from dagster_project.feeds.csv_io import CsvRow, CsvTable, FileRejected
from dagster_project.feeds.reference import known_municipality_codes
from dagster_project.feeds.registry import feed_by_name
from dagster_project.feeds.rules import FileContext, check_rows

SPEC = feed_by_name("helsenorge_usage").extra["spec"]


def table(*rows: list[str]) -> CsvTable:
    return CsvTable(
        "utf-8",
        SPEC.columns,
        [CsvRow(i + 2, dict(zip(SPEC.columns, r, strict=True))) for i, r in enumerate(rows)],
        [],
    )


CTX = FileContext("helsenorge_bruk_2023-05.csv", "2023-05", known_municipality_codes())


def rules_of(*rows: list[str]) -> list[str]:
    _, quarantined = check_rows(table(*rows), SPEC, CTX)
    return [q[2].rule for q in quarantined]


def test_a_valid_row_passes() -> None:
    valid, quarantined = check_rows(table(["2023-05", "0301", "timeavtaler", "10", "5"]), SPEC, CTX)
    assert len(valid) == 1 and quarantined == []


def test_each_row_rule_names_its_rule() -> None:
    assert rules_of(["2023-05", "0301", "timeavtaler", "-1", "0"]) == ["negative_count"]
    assert rules_of(["2023-05", "0301", "timeavtaler", "3", "4"]) == ["unique_users_exceed_visits"]
    assert rules_of(["2023-05", "0301", "tannlege", "3", "1"]) == ["unknown_service"]
    assert rules_of(["2023-05", "0000", "timeavtaler", "3", "1"]) == ["unknown_municipality"]
    assert rules_of(["2023-05", "301", "timeavtaler", "3", "1"]) == ["invalid_municipality_code"]
    assert rules_of(["2023-05", "0301", "timeavtaler", "3,5", "1"]) == ["not_an_integer"]


def test_codes_from_before_the_reforms_and_unknown_9999_are_accepted() -> None:
    # 0101 Halden (2019), 3001 Halden (2020-2023), 1507 Ålesund (split in 2024), 9999 unknown
    for code in ("0101", "3001", "1507", "9999"):
        assert rules_of(["2023-05", code, "timeavtaler", "3", "1"]) == [], code


def test_a_repeated_key_is_quarantined_and_the_first_row_kept() -> None:
    valid, quarantined = check_rows(
        table(["2023-05", "0301", "timeavtaler", "3", "1"], ["2023-05", "0301", "timeavtaler", "4", "1"]),
        SPEC,
        CTX,
    )
    assert [r.line_number for r in valid] == [2]
    assert quarantined[0][0] == 3 and quarantined[0][2].rule == "duplicate_key"
    assert "line 2" in quarantined[0][2].message


def test_a_month_in_the_content_that_differs_from_the_name_rejects_the_file() -> None:
    try:
        check_rows(
            table(["2023-05", "0301", "timeavtaler", "3", "1"], ["2023-04", "0301", "resepter", "3", "1"]),
            SPEC,
            CTX,
        )
    except FileRejected as err:
        assert err.rule == "period_mismatch" and "line 3" in err.message
    else:
        raise AssertionError("expected the file to be rejected")
