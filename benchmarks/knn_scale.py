"""kNN graph at scale: exact numpy blocks against the in-process HNSW index, time and
recall@k, on N vectors built from the real 10k MiniLM vectors (``vectors.npy``) plus
perturbed copies (noise of norm 0.35, re-normalised, as ``scale.py`` builds them).
Child process of ``benchmarks.product_path``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from newsclust_assets.vectors.approx_knn import hnsw_neighbours, recall_at_k
from newsclust_assets.vectors.exact_knn import exact_neighbours

K = 15
SAMPLE = 2000  # query rows whose exact neighbours are computed to score the HNSW graph


def vectors(base: np.ndarray, n: int) -> np.ndarray:
    parts = [base]
    c = 1
    while sum(len(p) for p in parts) < n:
        rng = np.random.default_rng(c)
        noise = rng.normal(size=base.shape).astype(np.float32)
        noise *= 0.35 / np.linalg.norm(noise, axis=1, keepdims=True)
        v = base + noise
        parts.append(v / np.linalg.norm(v, axis=1, keepdims=True))
        c += 1
    return np.ascontiguousarray(np.concatenate(parts)[:n], np.float32)


def main(base_path: Path, sizes: list[int], exact_up_to: int, out: Path) -> None:
    base = np.load(base_path)
    rows = []
    for n in sizes:
        x = vectors(base, n)
        row = {"n": n}
        start = time.perf_counter()
        r, c, _ = hnsw_neighbours(x, K)
        row["hnsw_seconds"] = round(time.perf_counter() - start, 2)
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(n, size=min(SAMPLE, n), replace=False))
        # exact neighbours of the sampled rows against all n (same tie rule as exact_neighbours)
        sims = x[sample] @ x.T
        sims[np.arange(len(sample)), sample] = -np.inf
        exact = np.argsort(-sims, axis=1, kind="stable")[:, :K]
        keep = np.isin(r, sample)
        remap = {int(s): i for i, s in enumerate(sample)}
        rr = np.array([remap[int(v)] for v in r[keep]], np.int64)
        row["recall_at_15"] = round(recall_at_k(exact, rr, c[keep], len(sample), K), 4)
        if n <= exact_up_to:
            start = time.perf_counter()
            exact_neighbours(x, K)
            row["exact_seconds"] = round(time.perf_counter() - start, 2)
        rows.append(row)
        print(row, flush=True)
    out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]), [int(v) for v in sys.argv[2].split(",")], int(sys.argv[3]), Path(sys.argv[4]))
