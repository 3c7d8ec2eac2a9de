import numpy as np

from newsclust_assets.clustering.topic_words import cluster_name, cluster_top_words


def test_ctfidf_prefers_words_specific_to_a_cluster():
    texts = [
        "Transit strike halts subway service",
        "Subway strike enters third day",
        "Transit union rejects offer in strike",
        "Mars lander drills into soil",
        "Lander finds water on Mars",
        "Weather today is mild",  # noise
    ]
    labels = np.array([0, 0, 0, 1, 1, -1])
    words = cluster_top_words(texts, labels, n_words=3)
    assert words == {0: ["strike", "subway", "transit"], 1: ["lander", "mars", "drills"]}
    assert cluster_name(0, words[0]) == "0: strike / subway / transit"
    assert cluster_name(-1, []) == "noise"


def test_no_clusters_and_stop_words_only():
    assert cluster_top_words(["a b c"], np.array([-1])) == {}
    assert cluster_top_words(["the and of", "is it"], np.array([0, 0])) == {0: []}
