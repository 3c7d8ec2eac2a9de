"""Point numba's on-disk cache somewhere writable before UMAP or fast_hdbscan import.

numba compiles UMAP's and fast_hdbscan's kernels on first use (16-26 s in a fresh
environment); with a cache directory the compiled code is reused by later processes,
which matters because every Dagster step runs in a process of its own.
"""

from __future__ import annotations

import os
from pathlib import Path


def enable_numba_cache() -> str:
    if "NUMBA_CACHE_DIR" not in os.environ:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "newsclust" / "numba"
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            import tempfile

            path = Path(tempfile.gettempdir()) / "newsclust-numba-cache"
            path.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(path)
    return os.environ["NUMBA_CACHE_DIR"]
