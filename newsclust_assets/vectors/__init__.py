"""Text to vectors, Milvus storage, and the kNN graph of a window. No Dagster imports."""
