"""The status table `ehelse status` prints, read from a publication only."""

from __future__ import annotations

from datetime import date

import duckdb
from tabulate import tabulate

STATUS_LABELS = {
    "green": "grønn",
    "yellow": "gul",
    "red": "rød",
    "no_target": "uten mål",
    "no_data": "mangler data",
}


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.1f}"


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, columns left-aligned under a dashed header. The cells are text as
    the caller formatted them ("1 234", "-", "012"): tabulate must not parse them as numbers."""
    cells = [[str(c) for c in row] for row in rows]
    return tabulate(cells, headers=header, tablefmt="simple", disable_numparse=True, stralign="left")


class AsOfOutOfRange(Exception):
    pass


def resolve_as_of(con: duckdb.DuckDBPyConnection, as_of: date | None) -> date:
    """The as-of date to show: the publication's own by default; another date must lie within
    measure_status_daily (from the first plan version's valid_from to the publication's as-of date)."""
    first, last = con.execute("select min(as_of_date), max(as_of_date) from marts.measure_status_daily").fetchone()
    if as_of is None:
        return con.execute("select max(as_of_date) from marts.measure_status").fetchone()[0]
    if not first <= as_of <= last:
        raise AsOfOutOfRange(
            f"as-of date {as_of:%Y-%m-%d} is outside this publication ({first:%Y-%m-%d} .. {last:%Y-%m-%d}); "
            f"`ehelse run --as-of {as_of:%Y-%m-%d}` publishes the status as of that date"
        )
    return as_of


def has_plan_versions(con: duckdb.DuckDBPyConnection) -> bool:
    """True for a publication with the plan over time (issue 21): measure_status_daily has
    plan_version and target steps; an archived publication from before has neither."""
    return bool(
        con.execute(
            "select count(*) from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'measure_status_daily' and column_name = 'target_expired'"
        ).fetchone()[0]
    )


def target_label(target: float | None, target_year: int | None, expired: bool) -> str:
    """The target with its step's year; an expired step says so (indicators.md: never judged
    silently as if the target were current)."""
    if target is None:
        return "-"
    if target_year is None:
        return _number(target)
    return f"{_number(target)} ({target_year}{', utløpt' if expired else ''})"


def format_status(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> str:
    """Status per measure and goal as of a date, read from the publication's daily status rows."""
    day = resolve_as_of(con, as_of)
    if has_plan_versions(con):
        target_columns = "s.target_year, s.target_expired"
        measure_table = (
            "marts.dim_measure_version as m on s.measure_id = m.measure_id and s.plan_version = m.plan_version"
        )
    else:
        target_columns = "null as target_year, false as target_expired"
        measure_table = "marts.dim_measure as m on s.measure_id = m.measure_id"
    measures = con.execute(
        f"""
        select s.measure_id, m.name_nb, s.latest_period, s.latest_value, s.target_value, s.status,
               s.status_is_uncertain, {target_columns}
        from marts.measure_status_daily as s
        inner join {measure_table}
        where s.as_of_date = ?
        order by s.goal_id, cast(string_split(s.measure_id, '.')[2] as int) nulls first,
                 coalesce(cast(string_split(s.measure_id, '.')[3] as int), 0)
        """,
        [day],
    ).fetchall()
    goals = con.execute(
        """
        select goal_id, goal_name_nb, n_indicators, n_green, n_yellow, n_red, n_no_target, n_no_data
        from marts.goal_summary_daily where as_of_date = ? order by goal_id = 0, goal_id
        """,
        [day],
    ).fetchall()
    publication = con.execute(
        "select publication_id, published_at from marts.publication_log order by published_at desc limit 1"
    ).fetchone()
    rows = [
        [
            mid,
            (name[:48] + "…") if len(name) > 49 else name,
            period or "-",
            _number(value),
            target_label(target, target_year, expired),
            STATUS_LABELS.get(status, status) + (" (usikker)" if uncertain else ""),
        ]
        for mid, name, period, value, target, status, uncertain, target_year, expired in measures
    ]
    out = [f"Status per {day:%d.%m.%Y}: publication {publication[0]} ({publication[1]:%Y-%m-%d %H:%M} UTC)", ""]
    out.append(format_table(["measure", "name", "latest period", "value", "target", "status"], rows))
    out.append("")
    goal_rows = [
        [
            str(g[0]) if g[0] else "alle",
            g[1],
            str(g[2]),
            str(g[3]),
            str(g[4]),
            str(g[5]),
            str(g[6]),
            str(g[7]),
        ]
        for g in goals
    ]
    out.append(
        format_table(["goal", "name", "indicators", "green", "yellow", "red", "no target", "no data"], goal_rows)
    )
    total = next(g for g in goals if g[0] == 0)
    out.append("")
    out.append(f"{total[4]}/{total[2]} strategiske e-helseindikatorer er gule, {total[5]}/{total[2]} røde.")
    expired_years = sorted({int(m[7]) for m in measures if m[8]})
    if expired_years:
        out.append(
            "Måltallene gjaldt til "
            + ", ".join(f"31.12.{year}" for year in expired_years)
            + ": de er utløpt, og statusen måles fortsatt mot siste måltall i planen til en ny versjon gir nye."
        )
    return "\n".join(out)
