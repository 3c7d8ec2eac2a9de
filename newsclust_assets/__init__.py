"""newsclust: news -> embeddings -> Milvus -> kNN graph -> UMAP + HDBSCAN -> story map."""

from .numba_cache import enable_numba_cache

# before anything imports numba (UMAP, fast_hdbscan, pynndescent): the cache dir is read at import
enable_numba_cache()
