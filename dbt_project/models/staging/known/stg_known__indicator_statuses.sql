-- The headline indicators' statuses as known on each meeting date (only file versions
-- loaded by then), as of that meeting's status dates; or, for a meeting that knew the
-- whole ledger, one row per status date with is_current_knowledge and no indicator.
with

source as (
    select * from {{ source('known', 'indicator_statuses') }}
),

renamed as (
    select
        cast(known_on as date) as known_on,
        cast(as_of_date as date) as as_of_date,
        indicator_id,
        status,
        cast(is_current_knowledge as boolean) as is_current_knowledge
    from source
)

select * from renamed
