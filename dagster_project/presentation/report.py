"""The council's status report (bokmål), as one self-contained HTML file.

Modelled on the status slide of Nasjonalt e-helseråd (March 2024): the
headline "N av 16 strategiske e-helseindikatorer er gule", then per goal each
headline indicator with its traffic light, latest value and period, baseline,
target and a small chart with the expected trajectory; survey intervals; data
freshness; the quality gate behind the publication.

It reads only a publication (published.duckdb, or an archived one under
published/archive/<id>/), and shows the status as of a date: the rows of
marts.measure_status_daily and goal_summary_daily for that date, so the
status rule is never restated here. Charts are Vega-Lite (Altair) rendered
to inline SVG by vl-convert, so the file needs no network and runs no
script. Every status is told by a symbol and a word as well as a colour;
stewards' comments are plain text, escaped by the template.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd
import vl_convert as vlc
from jinja2 import Environment, FileSystemLoader, select_autoescape

from dagster_project.feeds.registry import display_names
from dagster_project.presentation.meeting import MeetingView, find_meeting, meeting_view
from dagster_project.presentation.status import has_plan_versions, resolve_as_of
from dagster_project.publication.publish import open_publication
from dagster_project.settings import WarehousePaths

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS = {
    "green": {"label": "Grønn", "symbol": "●", "colour": "#1a7f37", "rank": 4},
    "yellow": {"label": "Gul", "symbol": "▲", "colour": "#b58100", "rank": 2},
    "red": {"label": "Rød", "symbol": "■", "colour": "#c62828", "rank": 1},
    "no_data": {"label": "Mangler data", "symbol": "?", "colour": "#6b7280", "rank": 3},
    "no_target": {"label": "Uten måltall", "symbol": "○", "colour": "#4b5563", "rank": 5},
}
# d3-format has no nb-NO number locale: the Norwegian one spelled out (space between thousands, decimal comma).
NUMBER_LOCALE = {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", " kr"]}


def number(value: float | None, kind: str = "count") -> str:
    """Norwegian number format: space between thousands, decimal comma; percent with ' %';
    kind "integer" for counts of things (files, rows) that never have decimals."""
    if value is None or pd.isna(value):
        return "–"
    if kind == "percent":
        return f"{value:.1f}".replace(".", ",") + " %"
    if kind == "integer":
        return f"{int(value):,d}".replace(",", " ")
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    return text.replace(",", " ").replace(".", ",")


def achieved_percent(fraction: float | None) -> str:
    """The achieved fraction in percent, cut (not rounded) to one decimal: the thresholds (0.9,
    0.5, or a catalog override in whole tenths of a percent) are never crossed by the display,
    so f = 0.4999 shows 49,9 % beside Rød, never 50 %."""
    if fraction is None or pd.isna(fraction):
        return "–"
    return f"{math.floor(round(fraction * 1000, 6)) / 10:.1f}".replace(".", ",") + " %"


@dataclass
class MeasureView:
    measure_id: str
    name: str
    unit: str
    kind: str
    status: str
    latest_period: str | None
    latest_value: str
    baseline: str
    baseline_period: str
    target: str
    target_year: int | None
    expected: str
    achieved: str
    interval: str | None
    is_uncertain: bool
    comment: str | None
    comment_author: str | None
    chart_svg: str | None
    notes: list[str] = field(default_factory=list)  # bokmål: expired target, moving away, why no target


@dataclass
class IndicatorView:
    indicator_id: str
    name: str
    status: str
    measures: list[MeasureView] = field(default_factory=list)
    comment: str | None = None  # shown once when every measure shows the same (the indicator's) comment
    comment_author: str | None = None


@dataclass
class CommentView:
    heading: str
    text: str
    author: str | None


# Seed 001's headings for a goal's or the report's comments, in the slides' order (kategori, inputs.md).
COMMENT_HEADINGS = {
    "hoydepunkt": "Høydepunkter",
    "positiv_bevegelse": "Positive bevegelser",
    "laeringspunkt": "Læringspunkter",
    "innspill": "Innspill fra NUIT",
    "grep": "Pågående grep",
    None: "Kommentar",
}


@dataclass
class InitiativeView:
    initiative_id: str
    name: str
    owner: str | None
    status: str
    summary: str  # bokmål: due, done, late, pointing to red


@dataclass
class GoalView:
    goal_id: int
    name: str
    counts: dict[str, int]
    indicators: list[IndicatorView] = field(default_factory=list)
    comments: list[CommentView] = field(default_factory=list)
    initiatives: list[InitiativeView] = field(default_factory=list)


def initiatives_by_goal(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[int, list[InitiativeView]]:
    """Seed 000 figure 6's "Status initiativ": each strategic initiative's status as of as_of
    (marts.initiative_status_daily), per goal; a publication from before has none."""
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'initiative_status_daily'"
    ).fetchone()[0]
    if not found:
        return {}
    rows = con.execute(
        "select * from marts.initiative_status_daily where as_of_date = ? order by initiative_id", [as_of]
    ).df()
    by_goal: dict[int, list[InitiativeView]] = {}
    for r in rows.itertuples():
        if r.status == "no_data":
            summary = "Ingen delmål i veikartet er knyttet til initiativet."
        else:
            summary = f"{r.n_due} av {r.n_subgoals} delmål forfalt, {r.n_done} fullført, {r.n_late} forsinket" + (
                f", {r.n_pointing_to_red} peker mot rødt" if r.n_pointing_to_red else ""
            )
        owner = r.owner if pd.notna(r.owner) else None
        view = InitiativeView(r.initiative_id, r.name_nb, owner, r.status, summary)
        by_goal.setdefault(int(r.goal_id), []).append(view)
    return by_goal


def comments_in_force(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[int | None, list[CommentView]]:
    """The goal (mal-N, keyed by N) and report (rapport, keyed by None) comments in force on
    as_of, under seed 001's headings in the slides' order; a publication from before has none."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'report_comments'"
    ).fetchone()[0]
    if not found:
        return {}
    rows = con.execute(
        "select goal_id, comment_category, comment_nb, comment_author from marts.report_comments "
        "where valid_from <= ? and (valid_until is null or ? < valid_until) order by valid_from",
        [as_of, as_of],
    ).fetchall()
    order = list(COMMENT_HEADINGS)
    by_goal: dict[int | None, list[CommentView]] = {}
    for goal_id, category, text, author in sorted(rows, key=lambda r: order.index(r[1])):
        key = None if goal_id is None else int(goal_id)
        by_goal.setdefault(key, []).append(CommentView(COMMENT_HEADINGS[category], text, author))
    return by_goal


def _read(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def chart_dates(dates: pd.Series | list, status_grain: str) -> pd.Series:
    """Where a point is drawn: a yearly value in the middle of its own year (at its period end,
    31 December, it would sit under the next year's tick); a monthly one at its period end."""
    stamps = pd.Series(pd.to_datetime(dates))
    if status_grain == "year":
        return pd.to_datetime(stamps.dt.year.astype(str) + "-07-01")
    return stamps


def trajectory_chart(measure: pd.Series, values: pd.DataFrame) -> str | None:
    """Values over time with the expected line from baseline to target, as SVG."""
    if values.empty:
        return None
    grain = getattr(measure, "status_grain", "month")
    frame = values.assign(date=chart_dates(values["period_end_date"], grain).to_numpy())
    layers = []
    if pd.notna(measure.baseline_value) and pd.notna(measure.target_value) and pd.notna(measure.baseline_date):
        line = pd.DataFrame(
            {
                "date": chart_dates([measure.baseline_date, f"{int(measure.target_year)}-12-31"], grain).to_numpy(),
                "value": [measure.baseline_value, measure.target_value],
                "serie": ["Forventet bane", "Forventet bane"],
            }
        )
        layers.append(alt.Chart(line).mark_line(strokeDash=[4, 3], color="#6b7280").encode(x="date:T", y="value:Q"))
        layers.append(
            alt.Chart(line).mark_point(color="#6b7280", shape="diamond", filled=True).encode(x="date:T", y="value:Q")
        )
    if frame["ci_low"].notna().any():
        layers.append(
            alt.Chart(frame).mark_rule(color="#1f4e79", opacity=0.5).encode(x="date:T", y="ci_low:Q", y2="ci_high:Q")
        )
    layers.append(
        alt.Chart(frame)
        .mark_line(point=len(frame) < 30, color="#1f4e79")
        .encode(
            # Years on the axis (a month name without its year says little over 2021-2025).
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1})),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        )
    )
    chart = alt.layer(*layers).properties(width=300, height=100)
    return vlc.vegalite_to_svg(chart.to_dict(), format_locale=NUMBER_LOCALE, time_format_locale="nb-NO")


@dataclass
class SubGoalView:
    subgoal_id: str
    solution: str
    title: str
    phase: str
    planned: str
    forecast: str
    delay_days: int
    prioritised: bool


@dataclass
class RoadmapGoalView:
    goal_id: int
    name: str
    subgoals: list[SubGoalView] = field(default_factory=list)


PHASE_NB = {"utvikling": "utvikling", "innforing": "innføring"}


def _norwegian_date(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d.%m.%Y}"


def _has_mart(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?", [table]
        ).fetchone()[0]
    )


def roadmap_summary(
    con: duckdb.DuckDBPyConnection, goals: pd.DataFrame, as_of: date | None = None
) -> tuple[str | None, list[RoadmapGoalView]]:
    """The council's opening section: per goal, the roadmap's sub-goals that point to red, in
    the snapshot in force on as_of (the latest on or before it, marts.roadmap_subgoals_history),
    with the snapshot's date. A publication made before that table existed shows the latest
    snapshot (marts.roadmap_subgoals); one made before the roadmap feed existed: (None, [])."""
    order = "order by strategisk_mal, prioritert_av_radsmodellen desc, losning, planlagt_dato, delmaal_id"
    if as_of and _has_mart(con, "roadmap_subgoals_history"):
        snapshot = con.execute(
            "select max(snapshot_date) from marts.roadmap_subgoals_history where snapshot_date <= ?", [as_of]
        ).fetchone()[0]
        rows = con.execute(
            f"select * from marts.roadmap_subgoals_history where points_to_red and snapshot_date = ? {order}",
            [snapshot],
        ).df()
    elif _has_mart(con, "roadmap_subgoals"):
        snapshot = con.execute("select max(snapshot_date) from marts.roadmap_subgoals").fetchone()[0]
        rows = _read(con, f"select * from marts.roadmap_subgoals where points_to_red {order}")
    else:
        return None, []
    if snapshot is None:
        return None, []
    views = [RoadmapGoalView(int(g.goal_id), g.goal_name_nb) for g in goals.itertuples() if int(g.goal_id) != 0]
    by_goal = {v.goal_id: v for v in views}
    for r in rows.itertuples():
        view = by_goal.get(int(r.strategisk_mal))
        if view is not None:
            view.subgoals.append(
                SubGoalView(
                    subgoal_id=r.delmaal_id,
                    solution=r.losning,
                    title=r.tittel,
                    phase=PHASE_NB.get(r.fase, r.fase),
                    planned=_norwegian_date(r.planlagt_dato),
                    forecast=_norwegian_date(r.prognose_dato) or "ingen prognose",
                    delay_days=int(r.delay_days),
                    prioritised=bool(r.prioritert_av_radsmodellen),
                )
            )
    return _norwegian_date(snapshot) or None, views


def plan_in_force(con: duckdb.DuckDBPyConnection, status: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The catalog and the plan version that judge the status rows (the version in force on
    their as-of date); a publication from before plan versions: dim_measure and the 2023 plan."""
    if not has_plan_versions(con) or status.empty:
        plan = {"title": "Plan for realisering", "strategy": "Nasjonal e-helsestrategi 2023–2030", "owner": None}
        return _read(con, "select * from marts.dim_measure"), plan
    version = status.plan_version.iloc[0]
    measures = con.execute("select * from marts.dim_measure_version where plan_version = ?", [version]).df()
    plan = con.execute("select * from marts.dim_plan_version where plan_version = ?", [version]).df().iloc[0]
    # The owner on the status's own date (Direktoratet for e-helse in 2023), not the publication's.
    owner = con.execute(
        "select owner from marts.dim_plan_owner where plan_version = ? and valid_from <= ? "
        "and (valid_to is null or ? <= valid_to)",
        [version, status.as_of_date.iloc[0], status.as_of_date.iloc[0]],
    ).fetchone()
    return measures, {
        "title": plan.title,
        "strategy": plan.strategy,
        "owner": owner[0] if owner else plan.owner,
        "version": version,
    }


def build_report_data(con: duckdb.DuckDBPyConnection, as_of: date) -> dict:
    """Everything the report shows, as of `as_of`, from one publication."""
    status = con.execute("select * from marts.measure_status_daily where as_of_date = ?", [as_of]).df()
    measures, plan = plan_in_force(con, status)
    goals = con.execute("select * from marts.goal_summary_daily where as_of_date = ? order by goal_id", [as_of]).df()
    trend = con.execute(
        "select as_of_date, n_yellow, n_red, n_green from marts.goal_summary_history "
        "where goal_id = 0 and as_of_date <= ? order by as_of_date",
        [as_of],
    ).df()
    values = con.execute(
        """
        select f.measure_id, f.period, f.period_end_date, f.value, f.ci_low, f.ci_high, f.n
        from marts.fct_measure_value as f
        inner join (select distinct measure_id, status_grain from marts.dim_measure) as d
            on f.measure_id = d.measure_id
        where f.geography_level = 'national' and f.value is not null and f.period_end_date <= ?
          and (
              (d.status_grain = 'month' and length(f.period) = 7)
              or (d.status_grain = 'year' and length(f.period) = 4)
          )
        order by f.measure_id, f.period_end_date
        """,
        [as_of],
    ).df()
    publication = con.execute(
        "select publication_id, published_at, files_loaded, rows_quarantined, checks_run "
        "from marts.publication_log order by published_at desc limit 1"
    ).fetchone()
    freshness = _read(
        con,
        """
        select source_family, max(period) as latest_period, count(*) as n_files, sum(rows_loaded) as n_rows
        from marts.publication_files group by source_family order by source_family
        """,
    )
    checks = _read(
        con,
        "select check_name, table_name, description, severity, passed, failing_rows, accepted_by, "
        "acceptance_reason from marts.publication_checks where not passed order by severity, check_name",
    )
    # An empty acceptance is NULL in the table and NaN in pandas, and NaN is true in a template:
    # it showed "Akseptert av nan: nan" beside every check when an acceptance file existed.
    checks = checks.astype(object).where(checks.notna(), None)
    return {
        "plan": plan,
        "comments": comments_in_force(con, as_of),
        "initiatives": initiatives_by_goal(con, as_of),
        "measures": measures,
        "status": status,
        "goals": goals,
        "trend": trend,
        "values": values,
        "publication": publication,
        "freshness": freshness,
        "checks": checks,
    }


def trend_chart(trend: pd.DataFrame) -> str | None:
    """Headline indicators per status as of each month end ("gule indikatorer over tid"), as SVG."""
    if trend.empty:
        return None
    frame = trend.melt(id_vars="as_of_date", value_vars=["n_green", "n_yellow", "n_red"], var_name="status")
    frame["status"] = frame["status"].map({"n_green": "Grønn", "n_yellow": "Gul", "n_red": "Rød"})
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    # One tick per year over a long history, else one per month or quarter: never the same
    # month named twice on the axis.
    months = len(trend)
    if months > 24:
        ticks, label = {"interval": "year", "step": 1}, "%Y"
    else:
        ticks, label = {"interval": "month", "step": 1 if months <= 8 else 3}, "%b %Y"
    scale = alt.Scale(domain=["Grønn", "Gul", "Rød"], range=[STATUS[k]["colour"] for k in ("green", "yellow", "red")])
    dashes = alt.Scale(domain=["Grønn", "Gul", "Rød"], range=[[1, 0], [6, 3], [2, 2]])
    chart = (
        alt.Chart(frame)
        .mark_line(point=len(trend) < 40)
        .encode(
            # Month and year on the axis (not bare month names), a few ticks, level labels.
            x=alt.X(
                "as_of_date:T",
                title="Månedsslutt",
                axis=alt.Axis(format=label, labelAngle=0, tickCount=ticks, labelFontSize=11, titleFontSize=11),
            ),
            y=alt.Y(
                "value:Q",
                title="Antall indikatorer",
                axis=alt.Axis(tickMinStep=1, format="d", labelFontSize=11, titleFontSize=11),
            ),
            # One legend: colour and dash pattern tell the same status.
            color=alt.Color("status:N", scale=scale, title="Status", legend=alt.Legend(orient="top")),
            strokeDash=alt.StrokeDash("status:N", scale=dashes, legend=None),
        )
        .properties(width=640, height=160)
    )
    return vlc.vegalite_to_svg(chart.to_dict(), format_locale=NUMBER_LOCALE, time_format_locale="nb-NO")


def measure_notes(measure: pd.Series, state: pd.Series) -> list[str]:
    """What the colour alone does not say, in bokmål: an expired target, a value going backwards,
    and why a measure with a target in the plan is still 'Uten måltall'."""
    notes = []
    if bool(getattr(state, "target_expired", False)) and pd.notna(state.target_year):
        notes.append(
            f"Måltallet gjaldt til 31.12.{int(state.target_year)}; planen har ikke gitt et nytt, "
            "så statusen måles fortsatt mot dette."
        )
    if bool(getattr(state, "moving_away", False)):
        notes.append("Verdien er dårligere enn utgangspunktet: indikatoren beveger seg bort fra målet.")
    if pd.notna(measure.target_value) and pd.isna(measure.baseline_value):
        notes.append(
            f"Planen gir måltall, men ikke et tallfestet utgangspunkt ({measure.baseline_note}): uten "
            "utgangspunkt kan fremgangen mot måltallet ikke måles, så statusen blir «Uten måltall» "
            "når det finnes verdier."
        )
    return notes


def _measure_view(measure: pd.Series, state: pd.Series, values: pd.DataFrame) -> MeasureView:
    kind = measure.value_kind
    own = values[values.measure_id == measure.measure_id]
    latest = own.iloc[-1] if not own.empty else None
    interval = None
    if latest is not None and pd.notna(state.latest_ci_low):
        interval = f"95 % KI {number(state.latest_ci_low, kind)}–{number(state.latest_ci_high, kind)}"
        if pd.notna(latest.n):
            interval += f" (n = {int(latest.n)})"
    return MeasureView(
        measure_id=measure.measure_id,
        name=measure.name_nb,
        unit=measure.unit,
        kind=kind,
        status=state.status,
        latest_period=state.latest_period if pd.notna(state.latest_period) else None,
        latest_value=number(state.latest_value, kind),
        baseline=number(measure.baseline_value, kind) if pd.notna(measure.baseline_value) else measure.baseline_note,
        baseline_period=measure.baseline_period,
        target=number(measure.target_value, kind) if pd.notna(measure.target_value) else measure.target_note,
        target_year=int(measure.target_year) if pd.notna(measure.target_year) else None,
        expected=number(state.expected_value, kind),
        achieved=achieved_percent(state.achieved_fraction),
        interval=interval,
        is_uncertain=bool(state.status_is_uncertain),
        comment=state.comment_nb if pd.notna(state.comment_nb) else None,
        comment_author=state.comment_author if pd.notna(state.comment_author) else None,
        chart_svg=trajectory_chart(measure, own),
        notes=measure_notes(measure, state),
    )


def build_views(data: dict) -> tuple[list[GoalView], list[MeasureView]]:
    measures = data["measures"]
    status = data["status"].set_index("measure_id", drop=False)
    goals: list[GoalView] = []
    others: list[MeasureView] = []
    for goal in data["goals"].itertuples():
        if goal.goal_id == 0:
            continue
        counts = {
            "green": goal.n_green,
            "yellow": goal.n_yellow,
            "red": goal.n_red,
            "no_data": goal.n_no_data,
            "no_target": goal.n_no_target,
        }
        goal_comments = data["comments"].get(int(goal.goal_id), [])
        view = GoalView(
            int(goal.goal_id),
            goal.goal_name_nb,
            counts,
            comments=goal_comments,
            initiatives=data["initiatives"].get(int(goal.goal_id), []),
        )
        in_goal = measures[measures.goal_id == goal.goal_id]
        in_goal = in_goal.iloc[sorted(range(len(in_goal)), key=lambda i: _measure_order(in_goal.measure_id.iloc[i]))]
        for indicator_id, group in in_goal.groupby("indicator_id", sort=False):
            views = [_measure_view(m, status.loc[m.measure_id], data["values"]) for m in group.itertuples()]
            if not group.is_headline.iloc[0]:
                others += views
                continue
            worst = min((v.status for v in views), key=lambda s: STATUS[s]["rank"])
            indicator = IndicatorView(indicator_id, group.indicator_name_nb.iloc[0], worst, views)
            shared = {(v.comment, v.comment_author) for v in views}
            if len(views) > 1 and len(shared) == 1:
                # The indicator's comment, shown once rather than under each of its measures.
                indicator.comment, indicator.comment_author = shared.pop()
                for v in views:
                    v.comment = v.comment_author = None
            view.indicators.append(indicator)
        goals.append(view)
    return goals, others


def _measure_order(measure_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in measure_id.split("."))


def comments_in_force_on(con: duckdb.DuckDBPyConnection, status: pd.DataFrame, day: date) -> pd.DataFrame:
    """status with the comments in force on `day` (a meeting's date, after its status date):
    measure_status_daily's comment columns of that day, when the publication reaches it."""
    later = con.execute(
        "select measure_id, comment_nb, comment_author from marts.measure_status_daily where as_of_date = ?", [day]
    ).df()
    if later.empty:
        return status
    merged = status.drop(columns=["comment_nb", "comment_author"]).merge(later, on="measure_id", how="left")
    return merged[status.columns]


def render_html(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    today: date | None = None,
    meeting: MeetingView | None = None,
) -> str:
    """The report as of a date; for a meeting, as of its status date, with the meeting section
    and the comments in force on the meeting date."""
    day = resolve_as_of(con, meeting.meeting.statusdato if meeting else as_of)
    data = build_report_data(con, day)
    if meeting:
        data["status"] = comments_in_force_on(con, data["status"], meeting.meeting.dato)
    goals, others = build_views(data)
    total = data["goals"].set_index("goal_id").loc[0]
    publication = data["publication"]
    freshness = [
        {
            "source": display_names().get(r.source_family, r.source_family),
            "latest": r.latest_period,
            "files": int(r.n_files),
            "rows": number(r.n_rows, "integer"),
        }
        for r in data["freshness"].itertuples()
        if r.source_family != "unmatched"
    ]
    roadmap_snapshot, roadmap_goals = roadmap_summary(con, data["goals"], day)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("status_report.html.j2")
    return template.render(
        plan=data["plan"],
        report_comments=data["comments"].get(None, []),
        status=STATUS,
        goals=goals,
        others=others,
        total={k: int(total[k]) for k in ("n_indicators", "n_green", "n_yellow", "n_red", "n_no_target", "n_no_data")},
        as_of=day.strftime("%d.%m.%Y"),
        trend_svg=trend_chart(data["trend"]),
        roadmap_snapshot=roadmap_snapshot,
        roadmap_goals=roadmap_goals,
        meeting=meeting,
        publication={
            "id": publication[0],
            "published_at": f"{publication[1]:%d.%m.%Y %H:%M}",
            "files": publication[2],
            "quarantined": publication[3],
            "checks": publication[4],
        },
        freshness=freshness,
        checks=data["checks"].to_dict("records"),
        today=(today or date.today()).strftime("%d.%m.%Y"),
    )


def write_report(
    published_db: Path,
    out: Path,
    as_of: date | None = None,
    publication_id: str | None = None,
    today: date | None = None,
    meeting: str | None = None,
    organ: str | None = None,
) -> Path:
    """Render from published.duckdb (or, with publication_id, from that archived publication beside
    it) and write atomically (a browser or a web server never sees half a file)."""
    with open_publication(WarehousePaths(published_db.parent), publication_id) as con:
        view = meeting_view(con, find_meeting(con, meeting, organ)) if meeting else None
        html = render_html(con, as_of, today, view)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
