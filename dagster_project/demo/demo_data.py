"""Synthetic inbox that follows inputs.md exactly, with national magnitudes.

Every file gets its own random stream, seeded by (seed, family, period), so a
file's bytes do not depend on the requested range: widening the range adds
files and never restates the ones already written. gzip and xlsx containers
carry fixed timestamps for the same reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from dagster_project.demo.people import VIRKSOMHET_WEIGHTS, make_fnr
from dagster_project.feeds.pseudonym import DEMO_MARKER
from dagster_project.feeds.rules import HELSENORGE_SERVICES, VIRKSOMHETSTYPER
from dagster_project.settings import SEEDS_DIR

OSLO = ZoneInfo("Europe/Oslo")
REFORM_2024 = date(2024, 1, 1)
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)

# National visits a month in January 2021 and yearly growth. The timeavtaler
# and pa_vegne_av_andre levels put the Sept 2021-Sept 2022 mean near the
# catalog baselines (11.4 mill. and 0.506 mill.).
SERVICE_LEVELS = {
    "timeavtaler": (10_650_000, 0.04),
    "pa_vegne_av_andre": (462_000, 0.05),
    "digital_dialog_fastlege": (2_500_000, 0.06),
    "digihelsestasjon": (300_000, 0.12),
    "digihelse": (150_000, 0.15),
    "resepter": (4_000_000, 0.03),
    "journalinnsyn": (3_000_000, 0.05),
    "provesvar": (2_000_000, 0.06),
}
SEASON = (1.03, 1.02, 1.03, 0.99, 1.0, 0.98, 0.95, 0.98, 1.02, 1.03, 1.02, 0.97)  # a shallow summer dip
LOOKUPS_BY_TYPE = (6.0, 1.0, 3.0, 1.5, 1.0, 0.8, 0.8, 0.5)  # relative lookups per organisation
AGE_GROUPS = ("18-29", "30-44", "45-59", "60-74", "75+")
FAMILY_IDS = {
    "helsenorge_usage": 1,
    "helsenorge_offering": 2,
    "kj_lookups": 3,
    "kj_adoption": 4,
    "pll_monthly": 5,
    "survey_citizens": 6,
    "survey_personnel": 7,
    "manual_observations": 8,
    "adoption_dates": 9,
    "people": 10,
    "manual_comments": 11,
}


@dataclass(frozen=True)
class DemoConfig:
    inbox: Path
    first_month: str  # YYYY-MM
    last_month: str  # YYYY-MM, inclusive
    seed: int = 2023
    lookups_per_day: int = 160  # ~30 000 a year in 2021 (the catalog baseline); national scale is ~200 000 a day
    # "demo": every file built in Python, byte-for-byte reproducible. "national": the lookup
    # logs written by DuckDB (scale_data.py, ~1 s a day at 200 000 lookups) and full-size surveys.
    scale: str = "demo"


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    county: str
    population: int


# --------------------------------------------------------------------------- calendar


def last_full_month(today: date | None = None) -> str:
    today = today or date.today()
    first = today.replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def months(first: str, last: str) -> Iterator[str]:
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    while (year, month) <= end:
        yield f"{year:04d}-{month:02d}"
        month += 1
        if month > 12:
            year, month = year + 1, 1


def month_end(month: str) -> date:
    year, mon = map(int, month.split("-"))
    following = date(year + (mon == 12), mon % 12 + 1, 1)
    return following - timedelta(days=1)


def years_since_2021(day: date) -> float:
    return (day - date(2021, 1, 1)).days / 365.25


def interpolate(day: date, points: list[tuple[date, float]]) -> float:
    """Piecewise-linear value at day through (date, value) points, flat outside."""
    xs = [p[0].toordinal() for p in points]
    return float(np.interp(day.toordinal(), xs, [p[1] for p in points]))


def _columns(feed: str) -> list[str]:
    """The CSV header of a feed, from its declaration."""
    from dagster_project.feeds.registry import feed_by_name

    return feed_by_name(feed).extra["spec"].all_columns


def rng_for(seed: int, family: str, period: str) -> np.random.Generator:
    digits = int(period.replace("-", "") or 0)
    return np.random.default_rng([seed, FAMILY_IDS[family], digits])


# --------------------------------------------------------------------------- reference data


def load_structures() -> dict[str, list[Municipality]]:
    """Municipalities of the 2020 and 2024 structures (without 9999), with population."""
    munis = pd.read_csv(SEEDS_DIR / "municipalities.csv", dtype=str)
    pop = pd.read_csv(SEEDS_DIR / "population.csv", dtype={"municipality_code": str})
    structures = {}
    for valid_from, year in (("2020-01-01", 2020), ("2024-01-01", 2024)):
        rows = munis[(munis.valid_from == valid_from) & (munis.municipality_code != "9999")]
        people = pop[pop.year == year].set_index("municipality_code")["population"]
        structures[valid_from[:4]] = [
            Municipality(
                r.municipality_code,
                r.municipality_name,
                r.county_code,
                int(people.get(r.municipality_code, 0)),
            )
            for r in rows.itertuples()
        ]
    return structures


def load_code_map() -> dict[str, str]:
    """2020-structure code -> the 2024 code of its primary successor."""
    code_map = pd.read_csv(SEEDS_DIR / "municipality_code_map.csv", dtype=str)
    primary = code_map[code_map.is_primary_successor == "true"]
    return dict(zip(primary.source_code, primary.municipality_code, strict=True))


def structure_on(day: date) -> str:
    """Which structure a feed uses on a day: older files carry pre-2024 codes."""
    return "2024" if day >= REFORM_2024 else "2020"


# --------------------------------------------------------------------------- writing


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write atomically (tmp + rename, so a sensor never sees half a file); skip identical bytes."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def decimal_comma(value: float) -> str:
    text = f"{value:.1f}" if value != int(value) else str(int(value))
    return text.replace(".", ",")


def deterministic_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An xlsx whose bytes depend only on its content (fixed zip and document times)."""
    raw = io.BytesIO()
    with pd.ExcelWriter(raw, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2020-01-01T00:00:00Z", content)
            target.writestr(zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME), content)
    return fixed.getvalue()


# --------------------------------------------------------------------------- adoption dates


def adoption_dates(
    munis: list[Municipality], rng: np.random.Generator, curve: list[tuple[date, float]], by_population: bool
) -> dict[str, date]:
    """Give each municipality the date the curve (cumulative share) reaches its place in a random order.

    by_population: the curve is a population share (Digihelsestasjon), else a share of municipalities.
    Municipalities beyond the curve's last value never adopt (no entry).
    """
    order = rng.permutation(len(munis))
    weights = np.array([munis[i].population if by_population else 1 for i in order], dtype=float)
    cumulative = (np.cumsum(weights) - weights / 2) / weights.sum()
    days = np.array([p[0].toordinal() for p in curve], dtype=float)
    shares = np.array([p[1] for p in curve])
    result = {}
    for position, share in zip(order, cumulative, strict=True):
        if share <= shares[-1]:
            result[munis[position].code] = date.fromordinal(int(np.interp(share, shares, days)))
    return result


def inherit_2024(dates_2020: dict[str, date], code_map: dict[str, str], full_map: pd.DataFrame) -> dict[str, date]:
    """Carry 2020-structure dates to 2024 codes: a successor adopted when its earliest predecessor did."""
    result: dict[str, date] = {}
    for row in full_map.itertuples():
        if row.source_code in dates_2020:
            d = dates_2020[row.source_code]
            result[row.municipality_code] = min(d, result.get(row.municipality_code, d))
    return result


@dataclass(frozen=True)
class Adoption:
    digihelsestasjon: dict[str, dict[str, date]]
    ungdom: dict[str, dict[str, date]]
    digihelse: dict[str, dict[str, date]]
    kjernejournal: dict[str, dict[str, date]]
    pll: dict[str, dict[str, date]]


def plan_adoption(seed: int, structures: dict[str, list[Municipality]]) -> Adoption:
    rng = rng_for(seed, "adoption_dates", "0")
    full_map = pd.read_csv(SEEDS_DIR / "municipality_code_map.csv", dtype=str)
    code_map = load_code_map()
    base = structures["2020"]

    def both(dates: dict[str, date]) -> dict[str, dict[str, date]]:
        return {"2020": dates, "2024": inherit_2024(dates, code_map, full_map)}

    digihelsestasjon = adoption_dates(
        base,
        rng,
        [
            (date(2019, 6, 1), 0.0),
            (date(2022, 11, 30), 0.46),
            (date(2025, 12, 31), 0.74),
            (date(2028, 6, 1), 0.9),
        ],
        by_population=True,
    )
    ungdom = {
        c: d + timedelta(days=int(rng.integers(90, 540))) for c, d in digihelsestasjon.items() if rng.random() < 0.7
    }
    digihelse = adoption_dates(
        base,
        rng,
        [(date(2022, 1, 1), 0.0), (date(2024, 1, 1), 0.2), (date(2027, 1, 1), 0.6)],
        by_population=True,
    )
    # 147 of 356 municipalities by 29.11.2022 (the catalog baseline).
    kjernejournal = adoption_dates(
        base,
        rng,
        [
            (date(2019, 1, 1), 0.0),
            (date(2022, 11, 29), 147 / 356),
            (date(2024, 6, 30), 0.8),
            (date(2026, 3, 1), 1.0),
        ],
        by_population=False,
    )
    pll = adoption_dates(
        [m for m in base if m.code != "4601"],
        rng,
        [
            (date(2023, 1, 1), 0.0),
            (date(2023, 12, 31), 0.15),
            (date(2025, 12, 31), 0.7),
            (date(2027, 12, 31), 1.0),
        ],
        by_population=False,
    )
    pll["4601"] = date(2022, 10, 1)  # the pilot in Bergen
    return Adoption(both(digihelsestasjon), both(ungdom), both(digihelse), both(kjernejournal), both(pll))


# --------------------------------------------------------------------------- families


def municipality_shares(munis: list[Municipality], rng: np.random.Generator) -> np.ndarray:
    pop = np.array([m.population for m in munis], dtype=float)
    shares = pop / pop.sum() * rng.lognormal(0.0, 0.1, len(munis))
    return shares / shares.sum()


def helsenorge_usage(cfg: DemoConfig, month: str, structures: dict[str, list[Municipality]]) -> bytes:
    rng = rng_for(cfg.seed, "helsenorge_usage", month)
    end = month_end(month)
    munis = structures[structure_on(end)]
    shares = municipality_shares(munis, rng)
    rows: list[list[object]] = []
    for service in HELSENORGE_SERVICES:
        level, growth = SERVICE_LEVELS[service]
        national = level * (1 + growth) ** years_since_2021(end) * SEASON[end.month - 1]
        national *= rng.normal(1.0, 0.01)
        unknown = int(national * 0.003)  # 9999: users whose municipality is not known
        visits = np.floor((national - unknown) * shares).astype(int)
        uniques = np.floor(visits * rng.uniform(0.35, 0.6, len(munis))).astype(int)
        rows += [[month, m.code, service, int(v), int(u)] for m, v, u in zip(munis, visits, uniques, strict=True)]
        rows.append([month, "9999", service, unknown, int(unknown * 0.5)])
    return csv_bytes(_columns("helsenorge_usage"), rows)


def helsenorge_offering(day: date, adoption: Adoption) -> bytes:
    structure = structure_on(day)
    rows = []
    for service, dates in (
        ("digihelsestasjon", adoption.digihelsestasjon),
        ("digihelsestasjon_ungdom", adoption.ungdom),
        ("digihelse", adoption.digihelse),
    ):
        rows += [[code, service, d.isoformat()] for code, d in sorted(dates[structure].items()) if d <= day]
    return csv_bytes(_columns("helsenorge_offering"), rows)


def kj_adoption(day: date, adoption: Adoption) -> bytes:
    dates = adoption.kjernejournal[structure_on(day)]
    rows = [[code, d.isoformat()] for code, d in sorted(dates.items()) if d <= day]
    return csv_bytes(_columns("kj_adoption"), rows)


def pll_month(cfg: DemoConfig, month: str, structures: dict[str, list[Municipality]], adoption: Adoption) -> bytes:
    rng = rng_for(cfg.seed, "pll_monthly", month)
    end = month_end(month)
    structure = structure_on(end)
    munis = structures[structure]
    dates = adoption.pll[structure]
    arranged = np.array([m.code in dates and dates[m.code] <= end for m in munis])
    national = interpolate(
        end,
        [
            (date(2022, 9, 30), 0),
            (date(2022, 11, 30), 6_500),
            (date(2023, 12, 31), 25_000),
            (date(2025, 12, 31), 110_000),
            (date(2028, 12, 31), 300_000),
        ],
    )
    pop = np.array([m.population for m in munis], dtype=float) * arranged * rng.lognormal(0, 0.2, len(munis))
    patients = np.floor(national * pop / pop.sum()).astype(int) if pop.sum() else np.zeros(len(munis), int)
    lookups = np.floor(patients * rng.uniform(1.5, 3.0, len(munis))).astype(int)
    updaters = np.where(arranged, np.ceil(patients / 40).astype(int), 0)
    rows = [
        [month, m.code, "ja" if a else "nei", int(p), int(lk), int(u)]
        for m, a, p, lk, u in zip(munis, arranged, patients, lookups, updaters, strict=True)
    ]
    return csv_bytes(_columns("pll_monthly"), rows)


@dataclass(frozen=True)
class People:
    fnr: list[str]
    hpr: list[str]
    org_nr: list[str]
    org_type: list[str]
    org_code_2020: list[str]
    org_weight: np.ndarray


def plan_people(seed: int, structures: dict[str, list[Municipality]]) -> People:
    rng = rng_for(seed, "people", "0")
    fnr = [make_fnr(rng, d_number=rng.random() < 0.05) for _ in range(6000)]
    hpr = [str(n) for n in rng.choice(np.arange(1_000_000, 9_999_999), 2500, replace=False)]
    munis = structures["2020"]
    pop = np.array([m.population for m in munis], dtype=float)
    n_orgs = 500
    org_type_idx = rng.choice(len(VIRKSOMHETSTYPER), n_orgs, p=VIRKSOMHET_WEIGHTS)
    org_muni = rng.choice(len(munis), n_orgs, p=pop / pop.sum())
    weights = np.array([LOOKUPS_BY_TYPE[i] for i in org_type_idx]) * rng.lognormal(0, 0.5, n_orgs)
    return People(
        fnr=fnr,
        hpr=hpr,
        org_nr=[str(n) for n in rng.choice(np.arange(810_000_000, 999_999_999), n_orgs, replace=False)],
        org_type=[VIRKSOMHETSTYPER[i] for i in org_type_idx],
        org_code_2020=[munis[i].code for i in org_muni],
        org_weight=weights / weights.sum(),
    )


def kj_lookups(cfg: DemoConfig, day: date, people: People, code_map: dict[str, str]) -> bytes:
    rng = rng_for(cfg.seed, "kj_lookups", day.isoformat())
    growth = 0.5 + 0.2 * years_since_2021(day)
    weekday = 0.55 if day.weekday() >= 5 else 1.0
    n = max(1, int(cfg.lookups_per_day * growth * weekday * rng.normal(1, 0.05)))
    seconds = np.sort(rng.integers(0, 86_400, n))
    orgs = rng.choice(len(people.org_nr), n, p=people.org_weight)
    patients = rng.integers(0, len(people.fnr), n)
    personnel = rng.integers(0, len(people.hpr), n)
    shares = rng.random(n) < 0.08
    ids = rng.bytes(16 * n)
    midnight = datetime(day.year, day.month, day.day)
    after_reform = day >= REFORM_2024
    lines = []
    for i in range(n):
        local = (midnight + timedelta(seconds=int(seconds[i]))).replace(tzinfo=OSLO)
        org = orgs[i]
        code = people.org_code_2020[org]
        record = {
            "tidspunkt": local.isoformat(),
            "oppslag_id": str(uuid.UUID(bytes=ids[16 * i : 16 * i + 16], version=4)),
            "hpr_nummer": people.hpr[personnel[i]],
            "pasient_fnr": people.fnr[patients[i]],
            "virksomhet_orgnr": people.org_nr[org],
            "kommunenummer": code_map[code] if after_reform else code,
            "virksomhetstype": people.org_type[org],
            "handling": "del" if shares[i] else "les",
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as gz:
        gz.write(("\n".join(lines) + "\n").encode("utf-8"))
    return buffer.getvalue()


SURVEY_QUESTIONS = {
    "survey_citizens": ("innbygger", "INB", 3000),
    "survey_personnel": ("helsepersonell", "HP", 2500),
}
NATIONAL_SURVEY_SIZES = {"survey_citizens": 5000, "survey_personnel": 3000}


def survey_workbook(cfg: DemoConfig, family: str, year: int, structures: dict[str, list[Municipality]]) -> bytes:
    survey, prefix, size = SURVEY_QUESTIONS[family]
    if cfg.scale == "national":
        size = NATIONAL_SURVEY_SIZES[family]
    rng = rng_for(cfg.seed, family, str(year))
    questions = pd.read_csv(SEEDS_DIR / "survey_questions.csv", dtype=str)
    questions = questions[questions.survey == survey]
    catalog = first_plan_catalog()
    munis = structures["2024" if year >= 2024 else "2020"]
    pop = np.array([m.population for m in munis], dtype=float)
    n = int(size * rng.uniform(0.9, 1.1))
    home = rng.choice(len(munis), n, p=pop / pop.sum())
    weights = rng.lognormal(0, 0.35, n)
    data = pd.DataFrame(
        {
            "respondent_id": [f"{prefix}{year}-{i:05d}" for i in range(1, n + 1)],
            "vekt": np.round(weights / weights.mean(), 4),
            "fylkesnummer": [munis[i].county for i in home],
            "aldersgruppe": rng.choice(AGE_GROUPS if survey == "innbygger" else AGE_GROUPS[:4], n),
            "kjonn": rng.choice(["K", "M"], n),
        }
    )
    for q in questions.itertuples():
        data[q.question_code] = answers(rng, n, year, q.scale, catalog.loc[q.measure_id])
    sporsmal = questions.rename(columns={"question_code": "sporsmal_id", "question_text_nb": "tekst"})
    return deterministic_xlsx({"data": data, "sporsmal": sporsmal[["sporsmal_id", "tekst"]]})


def first_plan_catalog() -> pd.DataFrame:
    """The 2023 plan's measures with their first target step (target_value), indexed by measure_id:
    the demo's answers move toward the plan the demo years were judged by."""
    catalog = pd.read_csv(SEEDS_DIR / "measure_catalog.csv", dtype=str)
    catalog = catalog[catalog.plan_version == "2023"]
    steps = pd.read_csv(SEEDS_DIR / "measure_target_steps.csv", dtype=str)
    first_steps = steps[steps.plan_version == "2023"].sort_values("target_year").drop_duplicates("measure_id")
    return catalog.merge(first_steps, on=["measure_id", "plan_version"], how="left").set_index("measure_id")


def answers(rng: np.random.Generator, n: int, year: int, scale: str, measure: pd.Series) -> pd.Series:
    """Answer codes whose positive share moves from baseline toward (most of) the target."""
    if pd.isna(measure.baseline_value):  # new in 2022: not asked before
        if year < 2022:
            return pd.Series([pd.NA] * n, dtype="Int64")
        p_positive = 0.62 if scale != "yesno" else 0.38
    else:
        baseline = float(measure.baseline_value) / 100
        target = float(measure.target_value) / 100 if not pd.isna(measure.target_value) else baseline
        progress = min(max((year - 2021) / 4, 0), 1)
        p_positive = baseline + (target - baseline) * progress * rng.uniform(0.5, 1.0)
    u = rng.random(n)
    if scale == "yesno":
        codes = np.where(u < p_positive, 1, 2)
    else:
        codes = np.where(
            u < p_positive, rng.choice([4, 5], n, p=[0.6, 0.4]), rng.choice([1, 2, 3], n, p=[0.2, 0.3, 0.5])
        )
    extra = rng.random(n)
    result = pd.Series(codes, dtype="Int64")
    result[extra < 0.06] = 9  # vet ikke
    result[extra > 0.98] = pd.NA  # not asked
    return result


MANUAL_SERIES = {
    "1.5": (2022, [17, 18, 19, 19]),
    "1.6": (2021, [115678, 122400, 129800, 137100, 144000]),
    "3.1": (2021, [291, 318, 347, 371, 402]),
    "3.2.1": (2022, [8, 9, 11, 12]),
    "4.2.3": (2022, [0, 12.5, 43.8, 81.3]),
    "4.2.4": (2022, [0, 21000, 164000, 612000]),
    "5.1": (2023, [70, 74, 79]),
    # 5.2-5.4 come from the roadmap and portfolio feeds (their own demo writers), which cover 2022 on.
}


def manual_observations(cfg: DemoConfig) -> bytes:
    last_full_year = int(cfg.last_month[:4]) - (cfg.last_month[5:] != "12")
    rows = []
    for measure_id, (first_year, values) in MANUAL_SERIES.items():
        for offset, value in enumerate(values):
            year = first_year + offset
            if int(cfg.first_month[:4]) <= year <= last_full_year:
                rows.append([measure_id, str(year), decimal_comma(value), "Helsedirektoratet", "Årlig rapportering"])
    return csv_bytes(_columns("manual_observations"), rows)


# (id, gjelder_fra, kommentar, forfatter, kategori): the stewards' assessments, a measure's or
# its indicator's, and per goal (mal-N) and for the whole report (rapport) under seed 001's headings.
MANUAL_COMMENTS = (
    ("1.1", "2023-03-01", "Positive bevegelser: stadig flere bestiller time på Helsenorge.", "Norsk helsenett", ""),
    ("1.3", "2024-03-01", "Endringen fra 2022 ligger innenfor usikkerheten i undersøkelsen.", "Helsedirektoratet", ""),
    (
        "4.2",
        "2023-09-01",
        "Kjernejournal er tatt i bruk i de fleste kommuner; PLL er i utprøving.",
        "Norsk helsenett",
        "",
    ),
    ("4.2", "2024-09-01", "PLL tas i bruk i flere kommuner etter utprøvingen i Bergen.", "Norsk helsenett", ""),
    (
        "4.2.2",
        "2024-03-01",
        "Oppslag per uke (snitt i året), sammenlignbart med utgangspunktet.",
        "Norsk helsenett",
        "",
    ),
    (
        "5.2",
        "2024-03-01",
        "Forsinkelser i utvikling skyldes særlig prioriteringer i porteføljen.",
        "Helsedirektoratet",
        "",
    ),
    ("mal-1", "2024-03-01", "Digihelsestasjon er tatt i bruk i flere kommuner.", "Helsedirektoratet", "hoydepunkt"),
    ("mal-1", "2024-03-01", "Bruken av timeavtaler på Helsenorge øker.", "Helsedirektoratet", "positiv_bevegelse"),
    ("mal-2", "2024-03-01", "Innføringen av PLL tar lengre tid enn planlagt.", "Helsedirektoratet", "laeringspunkt"),
    ("mal-4", "2024-03-01", "NUIT ba om tall for dokumentdeling per aktørtype.", "NUIT", "innspill"),
    ("mal-5", "2024-03-01", "Veikartet planlegges per kvartal fra 2026.", "Helsedirektoratet", "grep"),
    ("rapport", "2024-03-01", "6 av 16 indikatorer er gule; ingen er røde.", "Helsedirektoratet", "hoydepunkt"),
)


def manual_comments(cfg: DemoConfig) -> bytes:
    """The comments in force by the end of the last month (a later delivery adds the later ones)."""
    last_day = month_end(cfg.last_month).isoformat()
    rows = [list(row) for row in MANUAL_COMMENTS if row[1] <= last_day]
    return csv_bytes(_columns("manual_comments"), rows)


# --------------------------------------------------------------------------- entry point


def generate(cfg: DemoConfig) -> dict[str, int]:
    """Write the inbox; returns files written per feed (unchanged files are not rewritten).

    The feeds of the shared demo world (one adoption plan, one population of patients)
    are written here; a feed that declares its own demo writer writes its files itself.
    """
    from dagster_project.feeds.registry import feed_by_name, feeds

    structures = load_structures()
    adoption = plan_adoption(cfg.seed, structures)
    people = plan_people(cfg.seed, structures)
    code_map = load_code_map()
    written: dict[str, int] = {}

    def put(feed: str, period: str, data: bytes) -> None:
        changed = write_if_changed(cfg.inbox / feed_by_name(feed).inbox_path(period), data)
        written[feed] = written.get(feed, 0) + int(changed)

    # The development pseudonym key may serve this inbox, and no other (pseudonym.check_key).
    cfg.inbox.mkdir(parents=True, exist_ok=True)
    (cfg.inbox / DEMO_MARKER).write_text("written by `ehelse demo-data`: synthetic data only\n")
    month_list = list(months(cfg.first_month, cfg.last_month))
    for month in month_list:
        end = month_end(month)
        put("helsenorge_usage", month, helsenorge_usage(cfg, month, structures))
        put("helsenorge_offering", str(end), helsenorge_offering(end, adoption))
        put("kj_adoption", str(end), kj_adoption(end, adoption))
        put("pll_monthly", month, pll_month(cfg, month, structures, adoption))
        day = date.fromisoformat(f"{month}-01")
        while cfg.scale == "demo" and day <= end:
            put("kj_lookups", str(day), kj_lookups(cfg, day, people, code_map))
            day += timedelta(days=1)
    if cfg.scale == "national":
        from dagster_project.demo.scale_data import write_lookup_days

        first_day = date.fromisoformat(f"{cfg.first_month}-01")
        n_days = (month_end(cfg.last_month) - first_day).days + 1
        write_lookup_days(cfg.inbox / "kjernejournal", first_day, n_days, cfg.lookups_per_day, cfg.seed)
        written["kj_lookups"] = n_days
    last = date.fromisoformat(f"{cfg.last_month}-01")
    for year in range(int(cfg.first_month[:4]), last.year + 1):
        if year < last.year or last.month == 12:
            for family in SURVEY_QUESTIONS:
                put(family, str(year), survey_workbook(cfg, family, year, structures))
    put("manual_observations", "all", manual_observations(cfg))
    put("manual_comments", "all", manual_comments(cfg))
    for feed in feeds():
        for relative, data in feed.demo(cfg) if feed.demo else ():
            written[feed.name] = written.get(feed.name, 0) + int(write_if_changed(cfg.inbox / relative, data))
    return written
