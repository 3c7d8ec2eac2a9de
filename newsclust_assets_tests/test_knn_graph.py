import numpy as np
import pytest

from newsclust_assets.vectors.knn_graph import connected_components, knn_arrays, symmetric_graph


def test_symmetric_min_distance_and_no_self_loops():
    # 0->1 at 0.3, 1->0 at 0.2 (conflict: keep 0.2), 1->2 at 0.5 one direction only, 2->2 self
    g = symmetric_graph(3, [0, 1, 1, 2], [1, 0, 2, 2], [0.3, 0.2, 0.5, 0.0])
    assert g.shape == (3, 3)
    assert g.toarray().tolist() == [[0.0, 0.2, 0.0], [0.2, 0.0, 0.5], [0.0, 0.5, 0.0]]
    assert g.nnz == 4
    assert (g != g.T).nnz == 0


def test_duplicates_are_explicit_zero_edges_and_components_counted():
    # two components {0,1,2} and {3,4}; 3 and 4 are exact duplicates (distance 0)
    g = symmetric_graph(5, [0, 1, 3], [1, 2, 4], [0.1, 0.4, 0.0])
    assert g.nnz == 6
    assert g[3, 4] == 0.0 and g[4, 3] == 0.0
    assert 4 in g.indices[g.indptr[3] : g.indptr[4]]  # the zero is stored, not dropped
    assert connected_components(g) == 2


def test_knn_arrays_self_first_sorted_and_padded():
    g = symmetric_graph(4, [0, 0, 1], [1, 2, 2], [0.5, 0.1, 0.3])
    idx, dist = knn_arrays(g, 2)
    assert idx.tolist() == [[0, 2, 1], [1, 2, 0], [2, 0, 1], [3, -1, -1]]
    assert dist[0].tolist() == pytest.approx([0.0, 0.1, 0.5])
    assert dist[3, 0] == 0.0
    assert np.isfinite(dist).all()  # padding is finite (UMAP's bandwidth search breaks on inf)
    assert dist[3, 1] == pytest.approx(0.5)


def test_empty_and_invalid_inputs():
    g = symmetric_graph(0, [], [], [])
    assert g.shape == (0, 0) and connected_components(g) == 0
    with pytest.raises(ValueError, match="out of range"):
        symmetric_graph(2, [0], [2], [0.1])
    with pytest.raises(ValueError, match="finite and non-negative"):
        symmetric_graph(2, [0], [1], [-0.1])


def test_hnsw_neighbours_match_exact_and_auto_switches_above_the_threshold():
    from newsclust_assets.vectors.approx_knn import hnsw_neighbours, recall_at_k
    from newsclust_assets.vectors.exact_knn import exact_neighbours
    from newsclust_assets.vectors.window_graph import resolve_method

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 32))
    x = centres[rng.integers(0, 40, 3000)] + 0.3 * rng.normal(size=(3000, 32))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    x[1] = x[0]  # an exact duplicate: distance 0, kept
    er, ec, ed = exact_neighbours(x, 15)
    ar, ac, ad = hnsw_neighbours(x, 15)
    assert len(ar) == len(er) == 3000 * 15 and not np.any(ar == ac)  # k per row, never itself
    assert recall_at_k(ec, ar, ac, 3000, 15) >= 0.95
    assert ad[(ar == 0) & (ac == 1)].tolist() == [0.0]
    # distances of the pairs both found agree (true cosine distances, float32-rounded)
    exact = {(int(r), int(c)): d for r, c, d in zip(er, ec, ed)}
    both = [(exact[(int(r), int(c))], d) for r, c, d in zip(ar, ac, ad) if (int(r), int(c)) in exact]
    assert np.allclose(*zip(*both), atol=1e-5)
    assert resolve_method("auto", True, 30_000) == "exact" and resolve_method("auto", True, 30_001) == "approx"
    assert resolve_method("auto", True, 50, approx_above=10) == "approx"
    assert resolve_method("auto", False, 10**6) == "milvus" and resolve_method("exact", True, 10**6) == "exact"
    # a server: exact up to approx_above (the window's vectors are read back anyway), then its own search
    assert resolve_method("auto", False, 30_000) == "exact" and resolve_method("auto", False, 30_001) == "milvus"
    assert (
        resolve_method("milvus", False, 10) == "milvus"
        and resolve_method("auto", False, 10**6, approx_above=0) == "exact"
    )
    assert resolve_method("auto", True, 10**6, approx_above=0) == "exact"  # 0: never approximate
