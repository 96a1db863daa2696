{#- Money helpers. Amounts from the gateway are integers in the currency's minor unit; the
    number of decimals comes from ISO 4217, never from dividing by 100. DuckDB decimal division
    returns DOUBLE, so every conversion here multiplies by an exact decimal constant. -#}

{#- ISO 4217 exponent of a currency code (any case) as an INTEGER; 2 unless listed. -#}
{% macro currency_exponent(currency_col) -%}
    case
        when upper({{ currency_col }}) in ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') then 0
        when upper({{ currency_col }}) in ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') then 3
        else 2
    end
{%- endmacro %}

{#- 10^exponent as an exact HUGEINT (the divisor from minor to major units). -#}
{% macro minor_per_major(currency_col) -%}
    case {{ currency_exponent(currency_col) }} when 0 then cast(1 as hugeint) when 3 then cast(1000 as hugeint) else cast(100 as hugeint) end
{%- endmacro %}

{#- Minor units (integer) to major units, exact, as DECIMAL(38,6). -#}
{% macro to_major(minor_col, currency_col) -%}
    cast(
        cast({{ minor_col }} as decimal(38, 0))
        * case {{ currency_exponent(currency_col) }} when 0 then 1.000 when 3 then 0.001 else 0.010 end
        as decimal(38, 6)
    )
{%- endmacro %}

{#- Micro units (an exact integer, 1e-6 of a major unit) to DECIMAL(38,6), exact. -#}
{% macro micro_to_decimal(micro_col) -%}
    cast(cast({{ micro_col }} as decimal(38, 0)) * 0.000001 as decimal(38, 6))
{%- endmacro %}

{#- DECIMAL(38,6) to exact micro units (HUGEINT). -#}
{% macro decimal_to_micro(decimal_col) -%}
    cast(cast({{ decimal_col }} as decimal(38, 6)) * 1000000 as hugeint)
{%- endmacro %}

{#- Amount in its currency to the reporting currency: round(amount × rate, 6), exact. -#}
{% macro to_rc(amount_col, rate_col) -%}
    cast(round(cast({{ amount_col }} as decimal(38, 6)) * {{ rate_col }}, 6) as decimal(38, 6))
{%- endmacro %}

{#- Exact division of two decimals rounded half away from zero at `scale` decimals
    (DuckDB's `/` on decimals returns DOUBLE). NULL when the denominator is 0 or NULL. -#}
{% macro div_exact(numerator, denominator, scale=6) -%}
    {%- set factor = '1' ~ ('0' * scale) -%}
    case
        when coalesce({{ denominator }}, 0) = 0 or {{ numerator }} is null then null
        else cast(
            cast(
                sign({{ decimal_to_micro(numerator) }}) * sign({{ decimal_to_micro(denominator) }})
                * (
                    (abs({{ decimal_to_micro(numerator) }}) * {{ factor }} * 2 + abs({{ decimal_to_micro(denominator) }}))
                    // (2 * abs({{ decimal_to_micro(denominator) }}))
                ) as decimal(38, 0)
            ) * 0.{{ '0' * (scale - 1) }}1 as decimal(38, {{ scale }})
        )
    end
{%- endmacro %}
