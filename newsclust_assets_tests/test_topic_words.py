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


def test_sparse_ctfidf_equals_the_dense_formula_on_many_clusters():
    """The sparse computation (one pass over the texts, no clusters x words matrix) gives
    exactly the words of the formula computed densely, ties alphabetical."""
    from sklearn.feature_extraction.text import CountVectorizer

    from newsclust_assets.clustering.topic_words import POSSESSIVE, STOP_WORDS, TOKEN

    rng = np.random.default_rng(7)
    vocabulary = [f"w{chr(97 + i)}{chr(97 + j)}" for i in range(20) for j in range(20)]
    texts = [" ".join(rng.choice(vocabulary, size=rng.integers(1, 12))) + "'s" for _ in range(3000)]
    labels = rng.integers(-1, 300, size=len(texts))
    got = cluster_top_words(texts, labels, n_words=5)

    groups = sorted(set(labels.tolist()))
    docs = [" ".join(POSSESSIVE.sub("", t) for t, g in zip(texts, labels) if g == grp) for grp in groups]
    vec = CountVectorizer(stop_words=STOP_WORDS, token_pattern=TOKEN)
    counts = vec.fit_transform(docs).toarray().astype(float)
    vocab = vec.get_feature_names_out()
    scores = counts / counts.sum(axis=1, keepdims=True) * np.log(1 + counts.sum() / len(groups) / counts.sum(axis=0))
    want = {
        grp: [str(vocab[i]) for i in np.lexsort((vocab, -scores[r]))[:5] if scores[r, i] > 0]
        for r, grp in enumerate(groups)
        if grp >= 0
    }
    assert got == want and len(got) == 300
