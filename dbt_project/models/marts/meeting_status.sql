-- Per registered meeting and headline indicator (indicators.md, "The council's meeting
-- cycle"): the status as of the meeting's status date, the status as known on the meeting
-- date (only file versions loaded by then: stg_known__indicator_statuses; no_data where
-- nothing was loaded), and the status the previous meeting of the same body treated (as of
-- its own status date).
with

meetings as (
    select * from {{ ref('stg_moter__meetings') }}
),

headline_measures as (
    select * from {{ ref('int_headline_measures_selected') }}
),

indicator_statuses as (
    select * from {{ ref('int_indicator_statuses_summarised') }}
),

known_statuses as (
    select * from {{ ref('stg_known__indicator_statuses') }}
),

plan_days as (
    select * from {{ ref('int_status_as_of_dates') }}
),

headline_indicators as (
    select distinct
        plan_version,
        indicator_id
    from headline_measures
),

meetings_with_previous as (
    select
        body,
        meeting_date,
        meeting_number,
        case_number,
        title,
        label,
        status_date,
        lag(meeting_date) over (partition by body order by meeting_date, case_number) as previous_meeting_date,
        lag(status_date) over (partition by body order by meeting_date, case_number) as previous_status_date
    from meetings
),

known_dates as (
    -- The meeting dates the warehouse held loads by, and whether nothing was loaded since.
    select
        known_on,
        max(case when is_current_knowledge then 1 else 0 end) = 1 as is_current_knowledge
    from known_statuses
    group by known_on
),

meeting_indicators as (
    select
        meetings_with_previous.*,
        headline_indicators.indicator_id,
        known_dates.known_on is not null as has_loads_by_meeting,
        coalesce(known_dates.is_current_knowledge, false) as is_current_knowledge
    from meetings_with_previous
    -- The headline set of the plan version in force on the status date.
    inner join plan_days on meetings_with_previous.status_date = plan_days.as_of_date
    inner join headline_indicators on plan_days.plan_version = headline_indicators.plan_version
    left join known_dates on meetings_with_previous.meeting_date = known_dates.known_on
),

joined as (
    select
        meeting_indicators.body,
        meeting_indicators.meeting_date,
        meeting_indicators.meeting_number,
        meeting_indicators.case_number,
        meeting_indicators.title,
        meeting_indicators.label,
        meeting_indicators.status_date,
        meeting_indicators.indicator_id,
        as_of.status as status_as_of,
        case
            when meeting_indicators.is_current_knowledge then as_of.status
            when meeting_indicators.has_loads_by_meeting then coalesce(known.status, 'no_data')
            else 'no_data'
        end as status_as_known,
        meeting_indicators.has_loads_by_meeting,
        meeting_indicators.previous_meeting_date,
        previous.status as previous_status
    from meeting_indicators
    left join indicator_statuses as as_of
        on meeting_indicators.indicator_id = as_of.indicator_id
        and meeting_indicators.status_date = as_of.as_of_date
    left join known_statuses as known
        on meeting_indicators.indicator_id = known.indicator_id
        and meeting_indicators.meeting_date = known.known_on
        and meeting_indicators.status_date = known.as_of_date
        and not known.is_current_knowledge
    left join indicator_statuses as previous
        on meeting_indicators.indicator_id = previous.indicator_id
        and meeting_indicators.previous_status_date = previous.as_of_date
),

final as (
    select
        cast(body as {{ dbt.type_string() }}) as organ,
        cast(meeting_date as date) as dato,
        cast(meeting_number as {{ dbt.type_string() }}) as motenummer,
        cast(case_number as {{ dbt.type_string() }}) as saksnummer,
        cast(title as {{ dbt.type_string() }}) as tittel,
        cast(label as {{ dbt.type_string() }}) as etikett,
        cast(status_date as date) as statusdato,
        cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
        cast(status_as_of as {{ dbt.type_string() }}) as status_as_of,
        cast(status_as_known as {{ dbt.type_string() }}) as status_as_known,
        cast(has_loads_by_meeting as boolean) as has_loads_by_meeting,
        cast(previous_meeting_date as date) as previous_dato,
        cast(previous_status as {{ dbt.type_string() }}) as previous_status,
        cast(
            coalesce(previous_status is not null and status_as_of <> previous_status, false) as boolean
        ) as changed
    from joined
)

select * from final
