"""The notebook's clustering step, alone in a process (it can die of heap corruption):
a dense N x N float64 matrix of inf, the one-directional neighbour distances written in,
hdbscan with metric="precomputed"."""

import sys

import numpy as np


def main(graph_path: str, labels_path: str) -> None:
    import hdbscan

    g = np.load(graph_path)
    n = int(g["n"])
    dense = np.full((n, n), np.inf, dtype=np.float64)
    dense[g["rows"], g["cols"]] = g["dists"]
    np.fill_diagonal(dense, 0.0)
    labels = hdbscan.HDBSCAN(min_samples=3, min_cluster_size=3, metric="precomputed").fit(dense).labels_
    np.save(labels_path, labels)
    print(f"clusters {labels.max() + 1}, noise {(labels < 0).mean():.3f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
