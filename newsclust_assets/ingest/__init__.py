"""Reading news files: parsing, stable ids, counted skips. No Dagster imports."""
