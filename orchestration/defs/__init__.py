"""Dagster definitions, one module per area: ingestion (raw assets), dbt, publish, schedules."""
