"""Story-clustering scores against labelled stories. No Dagster imports.

Conventions, stated once and used everywhere (CLI, metadata, benchmarks):

- **Noise counts strictly**: every article labelled -1 (noise) is a cluster of its own,
  a singleton. Leaving an article unclustered therefore costs recall and never buys
  precision.
- Only articles with a story label take part; articles without one (empty or missing
  label) are counted in ``unlabelled`` and left out of every score.
- **Pairwise** precision / recall / F1 count unordered pairs of articles: a predicted pair
  is two articles in the same cluster, a true pair two in the same story. With no
  predicted pairs precision is 1 (nothing claimed, nothing wrong); with no true pairs
  recall is 1. F1 is their harmonic mean (0 when both are 0).
- **B-cubed** (Bagga & Baldwin 1998; Amigó et al. 2009): per article, precision is the
  share of its cluster that shares its story, recall the share of its story that shares
  its cluster; both averaged over articles.
- **ARI / AMI** (scikit-learn's adjusted_rand_score, adjusted_mutual_info_score with
  arithmetic averaging) on the same noise-as-singletons labelling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

NOISE_CONVENTION = "strict: each noise article is a singleton cluster; articles without a story label are left out"


@dataclass(frozen=True)
class StoryScores:
    articles: int  # articles scored (with a story label)
    unlabelled: int  # articles left out: no story label
    stories: int  # labelled stories among the scored articles
    clusters: int  # predicted clusters among them (noise not counted)
    noise_share: float  # share of scored articles labelled noise
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    ari: float
    ami: float

    def as_dict(self) -> dict:
        return asdict(self)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _pairs(counts: np.ndarray) -> float:
    counts = np.asarray(counts, np.float64)
    return float((counts * (counts - 1) / 2).sum())


def noise_as_singletons(labels: np.ndarray) -> np.ndarray:
    """Cluster labels with every -1 replaced by a label of its own (above every real one)."""
    labels = np.asarray(labels, np.int64).copy()
    noise = labels < 0
    top = int(labels.max()) + 1 if labels.size and (~noise).any() else 0
    labels[noise] = top + np.arange(int(noise.sum()))
    return labels


def _codes(values) -> np.ndarray:
    return np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)[1].astype(np.int64)


def story_scores(stories, labels) -> StoryScores:
    """Scores of cluster ``labels`` (-1 = noise) against ``stories`` (one label per article;
    None, NaN or "" = unlabelled)."""
    stories = list(stories)
    labels = np.asarray(labels, np.int64)
    if len(stories) != labels.size:
        raise ValueError(f"{len(stories)} story labels for {labels.size} cluster labels")
    known = np.array(
        [s is not None and not (isinstance(s, float) and np.isnan(s)) and str(s) != "" for s in stories], bool
    )
    n = int(known.sum())
    unlabelled = int(labels.size - n)
    if n == 0:
        return StoryScores(0, unlabelled, 0, 0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    truth = _codes([s for s, k in zip(stories, known) if k])
    raw = labels[known]
    pred = noise_as_singletons(raw)
    # contingency of (cluster, story) by sorting pairs: O(n log n), never clusters x stories dense
    pair_keys, cell = np.unique(np.stack([pred, truth]), axis=1, return_counts=True)
    cluster_size = np.bincount(pred)
    story_size = np.bincount(truth)
    tp = _pairs(cell)
    pred_pairs, true_pairs = _pairs(cluster_size), _pairs(story_size)
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    # B-cubed: each article of cell (c, s) has precision n_cs / |c| and recall n_cs / |s|
    c_of_cell, s_of_cell = pair_keys
    bp = float((cell * cell / cluster_size[c_of_cell]).sum() / n)
    br = float((cell * cell / story_size[s_of_cell]).sum() / n)
    if n == 1:
        ari = ami = 1.0
    else:
        ari = float(adjusted_rand_score(truth, pred))
        ami = float(adjusted_mutual_info_score(truth, pred))
    return StoryScores(
        articles=n,
        unlabelled=unlabelled,
        stories=int(story_size.size),
        clusters=int(np.unique(raw[raw >= 0]).size),
        noise_share=float((raw < 0).mean()),
        pairwise_precision=p,
        pairwise_recall=r,
        pairwise_f1=_f1(p, r),
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=_f1(bp, br),
        ari=ari,
        ami=ami,
    )
