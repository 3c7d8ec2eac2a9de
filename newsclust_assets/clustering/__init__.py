"""One window's kNN graph to story clusters, their names and layouts. No Dagster imports."""
