"""The interactive HTML map. No Dagster imports."""
