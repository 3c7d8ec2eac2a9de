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
    assert 4 in g.indices[g.indptr[3]:g.indptr[4]]  # the zero is stored, not dropped
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
