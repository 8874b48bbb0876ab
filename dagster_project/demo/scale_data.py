"""Kjernejournal lookup logs at national scale (200 000 lookups a day), written
by DuckDB itself: one COPY ... TO 'kj_oppslag_<day>.jsonl.gz' per day.

The demo generator (demo_data.py) builds each record in Python, which is fine
for demo volumes but would take hours for a year of 73 million events. Here
every column is a vectorised SQL expression over a pool of valid
fødselsnumre, HPR numbers and organisations, so a day takes about a second.
The files follow inputs.md exactly, like the demo's; unlike the demo's they
are not byte-for-byte reproducible (DuckDB's random() in parallel threads).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.demo.people import VIRKSOMHET_WEIGHTS, make_fnr
from dagster_project.feeds.rules import VIRKSOMHETSTYPER

N_PATIENTS = 200_000
N_PERSONNEL = 20_000
N_ORGANISATIONS = 3_000


def pools(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    rng = np.random.default_rng(seed)
    patients = pd.DataFrame(
        {"i": np.arange(N_PATIENTS), "fnr": [make_fnr(rng, rng.random() < 0.05) for _ in range(N_PATIENTS)]}
    )
    personnel = pd.DataFrame(
        {
            "i": np.arange(N_PERSONNEL),
            "hpr": rng.choice(np.arange(1_000_000, 9_999_999), N_PERSONNEL, replace=False).astype(str),
        }
    )
    codes = pd.read_csv(Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "municipalities.csv", dtype=str)
    codes = codes[(codes.valid_from == "2024-01-01") & (codes.municipality_code != "9999")].municipality_code.to_numpy()
    organisations = pd.DataFrame(
        {
            "i": np.arange(N_ORGANISATIONS),
            "orgnr": rng.choice(np.arange(810_000_000, 999_999_999), N_ORGANISATIONS, replace=False).astype(str),
            "kommunenummer": rng.choice(codes, N_ORGANISATIONS),
            "virksomhetstype": rng.choice(VIRKSOMHETSTYPER, N_ORGANISATIONS, p=VIRKSOMHET_WEIGHTS),
        }
    )
    for name, frame in (("patients", patients), ("personnel", personnel), ("organisations", organisations)):
        con.register(f"{name}_frame", frame)
        con.execute(f"create or replace temp table {name} as select * from {name}_frame")
        con.unregister(f"{name}_frame")


def lookups_sql(day: date, per_day: int) -> str:
    """A day's random lookups over the pools (pools(): tables patients, personnel, organisations),
    in clear, with their local time: the one recipe of the national-scale lookups (this module's
    files and benchmarks/daily_run.py's raw zone written directly)."""
    return f"""
        with events as (
            select
                cast('{day.isoformat()}' as timestamp) + to_seconds(cast(floor(random() * 86400) as bigint))
                    as local_time,
                cast(floor(random() * {N_PATIENTS}) as integer) as patient,
                cast(floor(random() * {N_PERSONNEL}) as integer) as person,
                cast(floor(random() * random() * {N_ORGANISATIONS}) as integer) as organisation,
                random() < 0.08 as shares
            from range({per_day})
        )
        select
            e.local_time,
            cast(gen_random_uuid() as varchar) as oppslag_id,
            h.hpr as hpr_nummer,
            p.fnr as pasient_fnr,
            o.orgnr as virksomhet_orgnr,
            o.kommunenummer,
            o.virksomhetstype,
            case when e.shares then 'del' else 'les' end as handling
        from events as e
        inner join patients as p on e.patient = p.i
        inner join personnel as h on e.person = h.i
        inner join organisations as o on e.organisation = o.i
    """


def write_lookup_days(folder: Path, first_day: date, days: int, per_day: int = 200_000, seed: int = 2023) -> list[Path]:
    """Write `days` daily lookup logs of `per_day` lookups each into folder (kjernejournal/ layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set TimeZone = 'Europe/Oslo'")
    con.execute(f"select setseed({(seed % 1000) / 1000})").fetchall()
    pools(con, seed)
    written = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        path = folder / f"kj_oppslag_{day.isoformat()}.jsonl.gz"
        con.execute(
            f"""
            copy (
                select
                    strftime(local_time, '%Y-%m-%dT%H:%M:%S')
                        || strftime(cast(local_time as timestamptz), '%z')[1:3] || ':00' as tidspunkt,
                    oppslag_id, hpr_nummer, pasient_fnr, virksomhet_orgnr, kommunenummer, virksomhetstype, handling
                from ({lookups_sql(day, per_day)})
                order by local_time
            ) to '{path}' (format json, compression gzip)
            """
        )
        written.append(path)
    con.close()
    return written
