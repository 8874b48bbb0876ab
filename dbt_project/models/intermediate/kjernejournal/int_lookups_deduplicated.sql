-- 4.2.2 counts lookup events deduplicated on oppslag_id: a lookup delivered
-- in two daily files counts once, on its first delivery.
with

lookups as (
    select * from {{ ref('stg_kjernejournal__lookups') }}
),

ranked as (
    select
        *,
        row_number() over (partition by lookup_id order by lookup_date, looked_up_at, load_id) as delivery_rank
    from lookups
),

final as (
    select
        load_id,
        lookup_date,
        looked_up_at,
        lookup_id,
        personnel_pseudonym,
        patient_pseudonym,
        organisation_number,
        source_municipality_code,
        organisation_type,
        action
    from ranked
    where delivery_rank = 1
)

select * from final
