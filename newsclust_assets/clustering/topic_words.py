"""Top words per cluster with class-based TF-IDF (as BERTopic does). No Dagster imports.

All articles of a cluster form one document; a word scores high when it is frequent in
that cluster and rare across clusters:  tf(w, c) * log(1 + A / f(w)), with tf the
word's share of the cluster's words, f(w) its count over all clusters and A the mean
number of words per cluster. Noise (-1) takes part in the frequency counts (so that
words everywhere are damped) but gets no topic.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

EXTRA_STOP_WORDS = {
    "says",
    "said",
    "new",
    "just",
    "like",
    "people",
    "time",
    "year",
    "years",
    "day",
    "week",
    "make",
    "way",
    "know",
    "want",
    "need",
    "going",
    "getting",
}
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS)
TOKEN = r"(?u)\b[^\W\d_][\w'-]*[^\W_]\b"
POSSESSIVE = re.compile(r"['\u2019]s\b")


def cluster_top_words(texts: list[str], labels: np.ndarray, n_words: int = 5) -> dict[int, list[str]]:
    """{cluster label: its top words}, for every label >= 0 in ``labels``."""
    labels = np.asarray(labels)
    clusters = sorted({int(c) for c in labels if c >= 0})
    if not clusters:
        return {}
    groups = sorted({int(c) for c in labels})
    texts = [POSSESSIVE.sub("", t) for t in texts]
    docs = [" ".join(t for t, label in zip(texts, labels) if label == g) for g in groups]
    vec = CountVectorizer(stop_words=STOP_WORDS, token_pattern=TOKEN, lowercase=True)
    try:
        counts = vec.fit_transform(docs).toarray().astype(np.float64)
    except ValueError:  # nothing but stop words
        return {c: [] for c in clusters}
    vocab = np.asarray(vec.get_feature_names_out())
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    mean_words = counts.sum() / len(groups)
    idf = np.log(1.0 + mean_words / np.maximum(counts.sum(axis=0), 1.0))
    scores = tf * idf
    out = {}
    for row, g in enumerate(groups):
        if g < 0:
            continue
        s = scores[row]
        order = np.lexsort((vocab, -s))  # best score first, ties alphabetical
        out[g] = [str(vocab[i]) for i in order[:n_words] if s[i] > 0]
    return out


def cluster_name(label: int, words: list[str], headline: str = "", max_chars: int = 70) -> str:
    """``"3: <central headline> [w1 / w2 / w3]"``; ``"noise"`` for -1."""
    if label < 0:
        return "noise"
    tags = " / ".join(words[:3]) if words else "(no words)"
    if not headline:
        return f"{label}: {tags}"
    if len(headline) > max_chars:
        headline = headline[: max_chars - 1].rstrip() + "…"
    return f"{label}: {headline} [{tags}]"


def story_names(
    headlines: list[str], labels: np.ndarray, centrality: np.ndarray, words: dict[int, list[str]]
) -> dict[int, str]:
    """{label: name}: each cluster's most central headline (highest ``centrality``, ties by
    position) with its top words."""
    labels = np.asarray(labels)
    names = {}
    for label in sorted({int(c) for c in labels if c >= 0}):
        members = np.flatnonzero(labels == label)
        best = members[np.argmax(np.asarray(centrality)[members])]
        names[label] = cluster_name(label, words.get(label, []), str(headlines[best]))
    return names
