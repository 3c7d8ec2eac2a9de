"""Story clusters by average linkage over the window's kNN graph. No Dagster imports.

A story is a group of articles that are, on average, *this similar*: two groups merge
while the mean cosine similarity over all their cross pairs is at least
``similarity_threshold`` (UPGMA, Sokal & Michener 1958, stopped at a threshold). The
threshold is in cosine units, so it means the same in a window of 5 articles and in one
of 5,000; no cluster-size parameter has to fit the stream's volume.

Only groups joined by an edge of the kNN graph are candidates, so memory is O(N k) and
never N x N. The similarity of two groups is still exact: for unit vectors the mean of
the cross-pair cosines is ``sum(a) . sum(b) / (|a| |b|)``, so each group keeps the sum of
its vectors. On the UCI dev set this reproduces scipy's full average-linkage clustering.

Optionally a lexical similarity (TF-IDF cosine of the texts, weight ``lexical_weight``)
is blended in: ``(1 - w) * cos(embedding) + w * cos(tfidf)``, as in Staykovski et al.
2019. Deterministic: no seed, the same input gives the same clusters.

Optionally time counts too (``time_weight``; Miranda et al. 2018 score a document
against a cluster by, among others, the gap between their timestamps): each article has
a position in *news time*, the number of window articles published before it (articles of
one day share the day's middle position), and the similarity of two groups loses
``time_weight * min(1, gap / time_scale)``, where the gap is between the groups' mean
positions. News time rather than days, because what separates two stories of one subject
is how much other news came between them: a week of a 6-a-day stream is not a long time.
But a day counts as at most ``day_cap`` articles: in a dense stream a day is then a fixed
step (60 of 300: 0.08 of similarity a day, the full 0.4 after five days), so that a story
running over consecutive days of a 4,000-a-day stream is not cut at midnight, while one
subject's stories a few days apart still part.

Optionally words can veto a merge (``word_veto``): two groups of at least
``VETO_MIN_SIZE`` articles each whose TF-IDF centroids' cosine is below ``word_veto``
share almost no words, and do not merge however close their embeddings are (MiniLM puts
Lindsay Lohan's reality show and Lena Dunham's SNL night side by side; their headlines
share no name). Small groups are exempt: a few headlines of one story often share no word.

Groups smaller than ``min_cluster_size`` end as noise (-1). A noise article then joins
its most similar neighbouring cluster when the cosine to that cluster's centroid is at
least ``attach_similarity`` (BERTopic-style outlier reduction by nearest centroid;
0 switches it off).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .hdbscan_clustering import renumber_by_size


@dataclass
class LinkageResult:
    labels: np.ndarray  # int64, -1 = noise, clusters numbered 0.. by decreasing size
    strength: np.ndarray  # cosine of each article to its cluster's centroid, 0 for noise
    attached: np.ndarray  # bool: joined its cluster by the noise-attach rule
    merges: int  # merges performed


def tfidf_rows(texts: list[str]) -> sp.csr_matrix:
    """Unit-length TF-IDF rows (sublinear tf, English stop words) of ``texts``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(sublinear_tf=True, stop_words="english", lowercase=True)
    try:
        return vec.fit_transform(texts).astype(np.float64).tocsr()
    except ValueError:  # nothing but stop words
        return sp.csr_matrix((len(texts), 1))


def news_time(dates, day_cap: float = 0.0) -> np.ndarray:
    """Each article's position in news time: how many of the given articles were published
    on an earlier date, plus half of those on its own date (so ties share the middle).
    With ``day_cap`` > 0 a day counts as at most that many articles, so that in a dense
    stream news time grows by at most ``day_cap`` a day."""
    keys = np.asarray([str(d) for d in dates])
    if keys.size == 0:
        return np.zeros(0)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    counts = np.minimum(counts, day_cap) if day_cap > 0 else counts
    before = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return (before + counts / 2.0)[inverse].astype(np.float64)


VETO_MIN_SIZE = 5  # word_veto applies when both groups have at least this many articles


class _Groups:
    """Running sums of the members' vectors (and news-time positions) per group, for the
    exact mean cross-pair similarity."""

    def __init__(
        self,
        vectors: np.ndarray,
        lexical: sp.csr_matrix | None,
        weight: float,
        positions: np.ndarray | None = None,
        time_weight: float = 0.0,
        time_scale: float = 1.0,
        sizes: np.ndarray | None = None,
        word_veto: float = 0.0,
        floor: float = -1.0,
    ):
        self.dense = np.asarray(vectors, np.float64).copy()  # one row per group: the sum of its vectors
        self.size = np.ones(self.dense.shape[0], np.float64) if sizes is None else np.asarray(sizes, np.float64).copy()
        self.weight = weight
        self.lexical = [lexical.getrow(i) for i in range(lexical.shape[0])] if lexical is not None else None
        self.position = np.asarray(positions, np.float64).copy() if positions is not None and time_weight > 0 else None
        self.time_weight, self.time_scale = time_weight, time_scale
        self.word_veto, self.floor = word_veto, floor  # floor: below it a pair cannot merge anyway
        self.lexical_norm = (
            np.sqrt(np.asarray(lexical.multiply(lexical).sum(axis=1), np.float64).ravel())
            if lexical is not None and word_veto > 0
            else None
        )

    def similarity(self, a: int, others: np.ndarray) -> np.ndarray:
        sims = self.dense[others] @ self.dense[a]
        if self.lexical is not None and self.weight > 0:
            lex = sp.vstack([self.lexical[o] for o in others]) @ self.lexical[a].T
            sims = (1.0 - self.weight) * sims + self.weight * lex.toarray().ravel()
        sims = sims / (self.size[others] * self.size[a])
        if self.position is not None:
            gap = np.abs(self.position[others] / self.size[others] - self.position[a] / self.size[a])
            sims = sims - self.time_weight * np.minimum(gap / self.time_scale, 1.0)
        if (
            self.lexical is not None
            and self.lexical_norm is not None
            and self.size[a] >= VETO_MIN_SIZE
            and self.lexical_norm[a] > 0
        ):
            for k in np.flatnonzero((sims >= self.floor) & (self.size[others] >= VETO_MIN_SIZE)).tolist():
                o = int(others[k])
                if self.lexical_norm[o] > 0:
                    words = float(self.lexical[a].multiply(self.lexical[o]).sum())
                    if words / (self.lexical_norm[a] * self.lexical_norm[o]) < self.word_veto:
                        sims[k] = -np.inf
        return sims

    def absorb(self, a: int, b: int) -> None:
        self.dense[a] += self.dense[b]
        self.size[a] += self.size[b]
        if self.position is not None:
            self.position[a] += self.position[b]
        if self.lexical is not None:
            self.lexical[a] = self.lexical[a] + self.lexical[b]
            self.lexical[b] = None
            if self.lexical_norm is not None:
                self.lexical_norm[a] = np.sqrt(self.lexical[a].multiply(self.lexical[a]).sum())


def average_linkage(
    vectors: np.ndarray,
    graph: sp.csr_matrix,
    similarity_threshold: float,
    texts: list[str] | None = None,
    lexical_weight: float = 0.0,
    min_cluster_size: int = 2,
    attach_similarity: float = 0.0,
    positions: np.ndarray | None = None,
    time_weight: float = 0.0,
    time_scale: float = 1.0,
    word_veto: float = 0.0,
) -> LinkageResult:
    """Cluster unit-length ``vectors`` (n x d) along the edges of ``graph`` (n x n, any
    weights: only its pattern is used). ``positions``: each article's news time
    (``news_time``), needed when ``time_weight`` > 0. The defaults switch every optional
    rule off; the product's settings are declared once, in ``ClusterSettings``."""
    n = vectors.shape[0]
    if graph.shape != (n, n):
        raise ValueError(f"graph is {graph.shape} but there are {n} vectors")
    if not 0.0 <= lexical_weight <= 1.0:
        raise ValueError(f"lexical_weight must be in [0, 1], got {lexical_weight}")
    if lexical_weight > 0 and texts is None:
        raise ValueError("lexical_weight > 0 needs the texts")
    if not 0.0 <= word_veto <= 1.0:
        raise ValueError(f"word_veto is a cosine in [0, 1], got {word_veto}")
    if word_veto > 0 and texts is None:
        raise ValueError("word_veto > 0 needs the texts")
    if not 0.0 <= time_weight <= 1.0:
        raise ValueError(f"time_weight must be in [0, 1], got {time_weight}")
    if time_weight > 0 and (positions is None or len(positions) != n):
        raise ValueError("time_weight > 0 needs one news-time position per vector")
    if time_scale <= 0:
        raise ValueError(f"time_scale is a number of articles > 0, got {time_scale}")
    empty = np.zeros(0)
    if n == 0:
        return LinkageResult(np.zeros(0, np.int64), empty, np.zeros(0, bool), 0)
    lexical = tfidf_rows(texts) if texts is not None and (lexical_weight > 0 or word_veto > 0) else None
    groups = _Groups(
        vectors,
        lexical,
        lexical_weight,
        positions,
        time_weight,
        time_scale,
        word_veto=word_veto,
        floor=similarity_threshold,
    )
    # the edge pattern as ones: the graph keeps exact duplicates as explicit zero distances,
    # which sparse arithmetic on the distances themselves would drop
    graph = sp.csr_matrix(graph)
    pattern = sp.csr_matrix((np.ones(graph.indices.size), graph.indices, graph.indptr), shape=(n, n))
    pattern = (pattern + pattern.T).tocsr()
    neighbours = [set(pattern.indices[pattern.indptr[i] : pattern.indptr[i + 1]].tolist()) - {i} for i in range(n)]

    root, merges = _merge_along(groups, neighbours, similarity_threshold)
    sizes = np.bincount(root, minlength=n)
    labels = np.where(sizes[root] >= max(min_cluster_size, 2), root, -1)
    labels = renumber_by_size(labels)
    attached = np.zeros(n, bool)
    if attach_similarity > 0:
        labels, attached = attach_noise(vectors, labels, pattern, attach_similarity)
    return LinkageResult(labels, centroid_strength(vectors, labels), attached, merges)


def _merge_along(groups: _Groups, neighbours: list[set[int]], threshold: float) -> tuple[np.ndarray, int]:
    """The average-linkage merges: the most similar pair of neighbouring groups merges first,
    until no neighbouring pair reaches ``threshold``. ``neighbours`` (changed in place) are
    the candidate pairs. Returns each item's final group (an item index) and the merges."""
    n = groups.size.size
    version = np.zeros(n, np.int64)
    alive = np.ones(n, bool)
    parent = np.arange(n)
    heap: list[tuple[float, int, int, int, int]] = []

    def push_pairs(a: int, others: list[int]) -> None:
        if not others:
            return
        arr = np.asarray(others, np.int64)
        for b, s in zip(arr.tolist(), groups.similarity(a, arr).tolist()):
            if s >= threshold:
                x, y = (a, b) if a < b else (b, a)
                heapq.heappush(heap, (-s, x, y, int(version[x]), int(version[y])))

    for a in range(n):
        push_pairs(a, [b for b in neighbours[a] if b > a])
    merges = 0
    while heap:
        _, x, y, vx, vy = heapq.heappop(heap)
        if not (alive[x] and alive[y]) or version[x] != vx or version[y] != vy:
            continue  # stale: one side has merged since this pair was scored
        # keep the group with more neighbours, so neighbour sets are moved small into large
        keep, gone = (x, y) if len(neighbours[x]) >= len(neighbours[y]) else (y, x)
        groups.absorb(keep, gone)
        alive[gone] = False
        parent[gone] = keep
        version[keep] += 1
        merges += 1
        for c in neighbours[gone]:
            if c != keep:
                neighbours[c].discard(gone)
                neighbours[c].add(keep)
                neighbours[keep].add(c)
        neighbours[keep].discard(gone)
        neighbours[gone] = set()
        push_pairs(keep, sorted(neighbours[keep]))

    root = parent.copy()
    while True:  # path compression to each article's final group
        nxt = root[root]
        if (nxt == root).all():
            break
        root = nxt
    return root, merges


def join_groups(sums: np.ndarray, sizes: np.ndarray, threshold: float) -> np.ndarray:
    """Average linkage one level up: groups given by the sums of their unit vectors and their
    sizes merge while the mean similarity over all their cross pairs is at least
    ``threshold`` (no graph, no time). Returns each group's new group, numbered 0.. in order
    of first appearance. Only pairs that reach the threshold can ever merge (a merged
    group's mean is a weighted mean of its parts'), so those pairs are the candidates."""
    sums = np.asarray(sums, np.float64)
    sizes = np.asarray(sizes, np.float64)
    n = sizes.size
    if n == 0:
        return np.zeros(0, np.int64)
    neighbours: list[set[int]] = []
    for lo in range(0, n, 2048):  # the pairs in row blocks: memory O(2048 n), not O(n^2)
        block = (sums[lo : lo + 2048] @ sums.T) / np.outer(sizes[lo : lo + 2048], sizes)
        for r, row in enumerate(block):
            neighbours.append(set(np.flatnonzero(row >= threshold).tolist()) - {lo + r})
    root, _ = _merge_along(_Groups(sums, None, 0.0, sizes=sizes), neighbours, threshold)
    _, first = np.unique(root, return_index=True)
    number = {int(root[i]): k for k, i in enumerate(sorted(first))}
    return np.asarray([number[int(r)] for r in root], np.int64)


def label_sums(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, d) float64: row c is the sum of the rows of ``vectors`` labelled c (labels < 0 and
    >= k left out). One sparse product: ``np.add.at`` took a second at 16k articles."""
    labels = np.asarray(labels)
    member = (labels >= 0) & (labels < k)
    rows = np.flatnonzero(member)
    pick = sp.csr_matrix((np.ones(rows.size), (labels[member], rows)), shape=(k, labels.size))
    return np.asarray(pick @ np.asarray(vectors, np.float64))


def _centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    sums = label_sums(vectors, labels, k)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms > 0, norms, 1.0)


def centroid_strength(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Cosine of each article to its cluster's centroid, clipped to [0, 1]; 0 for noise."""
    out = np.zeros(labels.size)
    if (labels >= 0).any():
        cents = _centroids(vectors, labels)
        member = labels >= 0
        out[member] = np.einsum("ij,ij->i", np.asarray(vectors, np.float64)[member], cents[labels[member]])
    return np.clip(out, 0.0, 1.0)


def attach_noise(
    vectors: np.ndarray, labels: np.ndarray, graph: sp.csr_matrix, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each noise article joins the cluster of a graph neighbour whose centroid it is most
    similar to, when that cosine is at least ``threshold``; centroids are those before any
    article is attached, so the order of articles does not matter."""
    labels = labels.copy()
    attached = np.zeros(labels.size, bool)
    if not (labels >= 0).any():
        return labels, attached
    cents = _centroids(vectors, labels)
    before = labels.copy()
    for i in np.flatnonzero(before < 0):
        nbr = graph.indices[graph.indptr[i] : graph.indptr[i + 1]]
        cand = np.unique(before[nbr][before[nbr] >= 0])
        if cand.size == 0:
            continue
        sims = cents[cand] @ np.asarray(vectors[i], np.float64)
        best = int(np.argmax(sims))
        if sims[best] >= threshold:
            labels[i] = cand[best]
            attached[i] = True
    return labels, attached
