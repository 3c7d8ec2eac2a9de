import numpy as np
import pandas as pd

from newsclust_assets.artifacts import WindowGraph
from newsclust_assets.clustering.hdbscan_clustering import cluster_embedding, renumber_by_size
from newsclust_assets.clustering.umap_reduction import reduce_with_knn
from newsclust_assets.clustering.window_clustering import label_window
from newsclust_assets.vectors.knn_graph import symmetric_graph


def test_renumber_by_size():
    assert renumber_by_size(np.array([5, 5, -1, 2, 2, 2, 7])).tolist() == [1, 1, -1, 0, 0, 0, 2]


def test_hdbscan_three_blobs_exact_membership():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0, 0, 0], [10, 0, 0, 0, 0], [0, 10, 0, 0, 0]], float)
    sizes = [30, 20, 10]
    x = np.vstack([c + rng.normal(scale=0.3, size=(n, 5)) for c, n in zip(centres, sizes)])
    result = cluster_embedding(x, min_cluster_size=5, min_samples=3)
    assert result.n_clusters == 3
    assert result.labels.tolist() == [0] * 30 + [1] * 20 + [2] * 10
    assert ((result.probabilities > 0) & (result.probabilities <= 1)).all()


def test_fewer_points_than_min_cluster_size_is_all_noise():
    for n in (0, 1, 4):
        result = cluster_embedding(np.zeros((n, 5)), min_cluster_size=5)
        assert result.labels.tolist() == [-1] * n
        assert result.probabilities.tolist() == [0.0] * n
        assert result.n_clusters == 0


def _two_component_window(with_duplicates=True):
    """Two tight groups of 12 points, disconnected from each other, each a kNN chain."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=(1, 16)) + rng.normal(scale=0.05, size=(12, 16))
    b = -a.mean(0) * 3 + rng.normal(scale=0.05, size=(12, 16))
    vectors = np.vstack([a, b]).astype(np.float32)
    if with_duplicates:
        vectors[1] = vectors[0]  # an exact duplicate pair
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows, cols, dists = [], [], []
    for group in (range(0, 12), range(12, 24)):
        for i in group:
            d = 1 - vectors[list(group)] @ vectors[i]
            for j in np.argsort(d, kind="stable")[1:5]:
                rows.append(i)
                cols.append(group[j])
                dists.append(max(float(d[j]), 0.0))
    return vectors, symmetric_graph(24, rows, cols, dists)


def test_disconnected_graph_with_duplicates_clusters_into_its_components():
    vectors, graph = _two_component_window()
    assert graph[0, 1] == 0.0
    emb = reduce_with_knn(graph, vectors, k=4, n_components=5, seed=42)
    assert emb.shape == (24, 5) and np.isfinite(emb).all()
    result = cluster_embedding(emb, min_cluster_size=5, min_samples=3)
    assert result.n_clusters == 2
    assert len(set(result.labels[:12])) == 1 and len(set(result.labels[12:])) == 1
    assert result.labels[0] != result.labels[12]


def _window(vectors, graph, k=4):
    n = len(vectors)
    articles = pd.DataFrame(
        {
            "id": [f"id{i:02d}" for i in range(n)],
            "headline": [f"Headline {i}" for i in range(n)],
            "text": [("alpha harbor strike" if i < 12 else "beta lander mars") + f" item{i}" for i in range(n)],
            "date": ["2024-03-01"] * n,
            "category": ["A" if i < 12 else "B" for i in range(n)],
        }
    )
    return WindowGraph(articles, vectors, graph, k, "COSINE", "2024-03-01", "2024-03-01")


def test_label_window_is_deterministic_and_names_topics():
    vectors, graph = _two_component_window()
    result = label_window(_window(vectors, graph))
    first, words = result.frame, result.top_words
    again = label_window(_window(vectors, graph)).frame
    assert first["label"].tolist() == again["label"].tolist()
    assert first.shape == (24, 9)
    assert first["label"].tolist() == [0] * 12 + [1] * 12
    assert sorted(words) == [0, 1]
    topic_a = words[int(first["label"].iloc[0])]
    assert set(topic_a[:3]) == {"alpha", "harbor", "strike"}


def test_windows_of_zero_one_and_few_articles():
    for n in (0, 1, 3):
        vectors = np.eye(max(n, 1), 8, dtype=np.float32)[:n]
        graph = symmetric_graph(n, [0] * (n > 1), [1] * (n > 1), [0.5] * (n > 1))
        result = label_window(_window(vectors, graph))
        frame, words = result.frame, result.top_words
        assert len(frame) == n
        assert frame["label"].tolist() == [-1] * n
        assert words == {}


def test_label_sums_add_each_labelled_row_once_and_skip_noise():
    from newsclust_assets.clustering.average_linkage import label_sums

    vectors = np.arange(12, dtype=np.float32).reshape(6, 2)
    labels = np.array([1, -1, 0, 1, 2, 0])
    sums = label_sums(vectors, labels, 2)  # label 2 is outside k: left out, like noise
    assert sums.dtype == np.float64 and sums.tolist() == [[4 + 10, 5 + 11], [0 + 6, 1 + 7]]
