"""The generator against inputs.md: names, columns, rules, magnitudes, determinism."""

import csv
import gzip
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dagster_project.demo.demo_data import DemoConfig, generate, months
from dagster_project.feeds.fnr import is_valid_fnr
from dagster_project.feeds.inbox import scan_inbox
from dagster_project.feeds.reference import known_municipality_codes
from dagster_project.feeds.rules import HELSENORGE_SERVICES

CSV_HEADERS = {
    "helsenorge_usage": ["maaned", "kommunenummer", "tjeneste", "antall_besok", "antall_unike_brukere"],
    "helsenorge_offering": ["kommunenummer", "tjeneste", "tilbys_fra"],
    "kj_adoption": ["kommunenummer", "innfort_dato"],
    "pll_monthly": [
        "maaned",
        "kommunenummer",
        "tilrettelagt",
        "antall_pasienter_med_pll",
        "antall_oppslag",
        "antall_virksomheter_som_oppdaterer",
    ],
    "manual_observations": ["measure_id", "periode", "verdi", "kilde", "kommentar"],
    "meetings": ["organ", "dato", "motenummer", "saksnummer", "tittel", "etikett", "statusdato"],
}
LOOKUP_FIELDS = {
    "tidspunkt",
    "oppslag_id",
    "hpr_nummer",
    "pasient_fnr",
    "virksomhet_orgnr",
    "kommunenummer",
    "virksomhetstype",
    "handling",
}


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"))


def national(inbox: Path, month: str, service: str) -> int:
    rows = read(inbox / "helsenorge" / f"helsenorge_bruk_{month}.csv")
    return sum(int(r["antall_besok"]) for r in rows if r["tjeneste"] == service)


def test_every_family_is_written_and_every_name_matches_the_contract(demo_inbox_template: Path) -> None:
    scan = scan_inbox(demo_inbox_template)
    assert scan.unmatched == []
    families = {f.feed.name for f in scan.files}
    assert families == {
        "helsenorge_usage",
        "helsenorge_offering",
        "kj_lookups",
        "kj_adoption",
        "pll_monthly",
        "survey_citizens",
        "survey_personnel",
        "manual_observations",
        "manual_comments",
        "veikart_subgoals",
        "portfolio_initiatives",
        "meetings",
    }
    n_months = len(list(months("2021-01", "2022-12")))
    assert sum(f.feed.name == "helsenorge_usage" for f in scan.files) == n_months
    assert sum(f.feed.name == "kj_lookups" for f in scan.files) == 730  # every day of 2021 and 2022


def test_csv_files_have_exactly_the_contract_columns(demo_inbox_template: Path) -> None:
    for file in scan_inbox(demo_inbox_template).files:
        if file.feed.name in CSV_HEADERS:
            header = file.path.read_text(encoding="utf-8").splitlines()[0].split(";")
            assert header == CSV_HEADERS[file.feed.name], file.name


def test_helsenorge_rows_follow_the_row_rules(demo_inbox_template: Path) -> None:
    known = known_municipality_codes()
    for month in ("2021-01", "2022-12"):
        rows = read(demo_inbox_template / "helsenorge" / f"helsenorge_bruk_{month}.csv")
        keys = {(r["maaned"], r["kommunenummer"], r["tjeneste"]) for r in rows}
        assert len(keys) == len(rows)
        for r in rows:
            assert r["maaned"] == month
            assert r["kommunenummer"] in known
            assert r["tjeneste"] in HELSENORGE_SERVICES
            assert 0 <= int(r["antall_unike_brukere"]) <= int(r["antall_besok"])
        codes = {r["kommunenummer"] for r in rows} - {"9999"}
        assert len(codes) == 356  # the 2020 structure, before the 2024 reform


def test_national_magnitudes_are_realistic(demo_inbox_template: Path) -> None:
    inbox = demo_inbox_template
    for month in months("2021-01", "2022-12"):
        assert 10_000_000 < national(inbox, month, "timeavtaler") < 14_000_000, month
    baseline = [national(inbox, m, "timeavtaler") for m in months("2021-09", "2022-09")]
    assert abs(sum(baseline) / len(baseline) - 11_400_000) / 11_400_000 < 0.05
    proxy = [national(inbox, m, "pa_vegne_av_andre") for m in months("2021-09", "2022-09")]
    assert abs(sum(proxy) / len(proxy) - 506_000) / 506_000 < 0.05

    adopted = read(inbox / "kjernejournal" / "kj_innforing_2022-11-30.csv")
    assert 140 <= len(adopted) <= 155  # the catalog: 147 of 356 on 29.11.2022
    pll = read(inbox / "pll" / "pll_2022-11.csv")
    assert 5_000 <= sum(int(r["antall_pasienter_med_pll"]) for r in pll) <= 8_000

    population = pd.read_csv(Path("dbt_project/seeds/population.csv"))
    assert 5_300_000 < population[population.year == 2024].population.sum() < 5_700_000


def test_pll_reaches_about_25000_at_the_end_of_2023(tmp_path: Path) -> None:
    generate(DemoConfig(inbox=tmp_path, first_month="2023-12", last_month="2024-01", lookups_per_day=1))
    rows = read(tmp_path / "pll" / "pll_2023-12.csv")
    assert 22_000 <= sum(int(r["antall_pasienter_med_pll"]) for r in rows) <= 28_000
    after_reform = read(tmp_path / "helsenorge" / "helsenorge_bruk_2024-01.csv")
    assert len({r["kommunenummer"] for r in after_reform} - {"9999"}) == 357


def test_lookup_logs_carry_every_field_valid_numbers_and_the_files_date(demo_inbox_template: Path) -> None:
    path = demo_inbox_template / "kjernejournal" / "kj_oppslag_2022-03-27.jsonl.gz"  # the day DST starts
    records = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    assert records
    for r in records:
        assert set(r) == LOOKUP_FIELDS
        assert is_valid_fnr(r["pasient_fnr"])
        assert r["hpr_nummer"].isdigit() and len(r["virksomhet_orgnr"]) == 9
        assert r["tidspunkt"][:10] == "2022-03-27" and r["tidspunkt"][-6:] in ("+01:00", "+02:00")
        assert r["handling"] in ("les", "del")


def test_survey_workbooks_have_the_data_and_codebook_sheets(demo_inbox_template: Path) -> None:
    book = pd.read_excel(
        demo_inbox_template / "surveys" / "helsepersonellundersokelsen_2021.xlsx",
        sheet_name=None,
        dtype={"fylkesnummer": str},
    )
    assert set(book) == {"data", "sporsmal"}
    data = book["data"]
    assert 2_000 <= len(data) <= 3_000 and data.respondent_id.is_unique
    assert (data.vekt > 0).all()
    assert data.HP_DIGITALE_FERDIGHETER.isna().all()  # new in 2022: not asked in 2021
    assert set(data.HP_EPJ_FORNOYD.dropna().astype(int)) <= {1, 2, 3, 4, 5, 9}
    assert set(book["sporsmal"].columns) == {"sporsmal_id", "tekst"}


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_and_a_wider_range_restates_nothing(tmp_path: Path) -> None:
    a, b, wide, other = (tmp_path / n for n in ("a", "b", "wide", "other"))
    for folder, first, seed in (
        (a, "2023-11", 1),
        (b, "2023-11", 1),
        (wide, "2023-10", 1),
        (other, "2023-11", 2),
    ):
        generate(DemoConfig(inbox=folder, first_month=first, last_month="2023-12", seed=seed, lookups_per_day=3))
    assert digest(a) == digest(b)
    assert all(digest(wide)[name] == sha for name, sha in digest(a).items() if "manual" not in name)
    assert digest(a) != digest(other)


@pytest.mark.parametrize("day", [date(2022, 11, 30)])
def test_offering_snapshots_never_list_a_future_start(demo_inbox_template: Path, day: date) -> None:
    rows = read(demo_inbox_template / "helsenorge" / f"helsenorge_tjenestetilbud_{day}.csv")
    assert rows and all(date.fromisoformat(r["tilbys_fra"]) <= day for r in rows)


def test_the_national_scale_writes_lookup_logs_with_duckdb_and_full_size_surveys(tmp_path: Path) -> None:
    generate(
        DemoConfig(inbox=tmp_path, first_month="2025-12", last_month="2025-12", lookups_per_day=2000, scale="national")
    )
    days = sorted((tmp_path / "kjernejournal").glob("kj_oppslag_*.jsonl.gz"))
    assert len(days) == 31
    records = [json.loads(line) for line in gzip.decompress(days[0].read_bytes()).decode().splitlines()]
    assert len(records) == 2000 and set(records[0]) == LOOKUP_FIELDS
    assert all(is_valid_fnr(r["pasient_fnr"]) and r["tidspunkt"].startswith("2025-12-01T") for r in records)
    assert len({r["oppslag_id"] for r in records}) == 2000
    citizens = pd.read_excel(tmp_path / "surveys" / "innbyggerundersokelsen_2025.xlsx", sheet_name="data")
    assert 4_500 <= len(citizens) <= 5_500
    assert scan_inbox(tmp_path).unmatched == []
