"""The local sentence-transformers model, loaded once per process, and the error every
embedding path raises; shared by the torch path (embedding_models.py) and the ONNX export
(onnx_encoder.py). No Dagster import."""

from __future__ import annotations

import contextlib
import os
import threading


class EmbeddingError(Exception):
    """The embedding backend failed or answered with something unusable."""


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
