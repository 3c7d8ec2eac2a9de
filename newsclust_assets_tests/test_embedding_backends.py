"""The local model's backends (vectors/onnx_encoder.py): ONNX Runtime gives torch's vectors,
int8 is a model of its own, and a model the ONNX path cannot run is one clear error."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from newsclust_assets.vectors.embedding_models import EmbeddingError, LocalSentenceTransformer, bundled_model_path

from .conftest import sample_rows

DAY = "2024-03-01"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    rows = sample_rows(DAY, DAY)
    return [f"{r['headline']}. {r['short_description']}" for r in rows] + ["x " * 400]  # one over 256 tokens


def test_onnx_gives_torchs_vectors(texts):
    torch_run = LocalSentenceTransformer(backend="torch", batch_size=8).embed(texts)
    onnx = LocalSentenceTransformer(backend="onnx", batch_size=8)
    run = onnx.embed(texts)
    assert onnx.model_name == "all-MiniLM-L6-v2" and onnx.dimension() == 384
    assert run.vectors.shape == torch_run.vectors.shape == (len(texts), 384) and run.requests == -(-len(texts) // 8)
    np.testing.assert_allclose(np.linalg.norm(run.vectors, axis=1), 1.0, atol=1e-5)
    cosine = (run.vectors * torch_run.vectors).sum(1)
    assert cosine.min() > 0.9999, cosine.min()  # truncation at 256 tokens included


def test_int8_is_a_model_of_its_own(texts):
    fp32 = LocalSentenceTransformer(backend="onnx").embed(texts)
    int8 = LocalSentenceTransformer(backend="onnx-int8")
    run = int8.embed(texts)
    assert int8.model_name == "all-MiniLM-L6-v2 (int8)"  # a collection holds one or the other
    cosine = (run.vectors * fp32.vectors).sum(1)
    assert 0.85 < cosine.mean() < 0.9999  # close, not the same


def test_a_model_the_onnx_path_cannot_run_is_one_clear_error(tmp_path):
    model = tmp_path / "cls-model"
    shutil.copytree(bundled_model_path(), model, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    pooling = json.loads((model / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (model / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    with pytest.raises(
        EmbeddingError, match=r"mean pooling models only .*pooling_mode_cls_token\); use the torch backend"
    ):
        LocalSentenceTransformer(str(model), backend="onnx").embed(["a text"])
    with pytest.raises(EmbeddingError, match="backend must be one of onnx, onnx-int8, torch, got 'gpu'"):
        LocalSentenceTransformer(backend="gpu")


def test_the_backend_comes_from_the_environment(monkeypatch):
    from newsclust_assets.environment import embedder_from_env

    assert embedder_from_env().backend == "onnx"
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_BACKEND", "torch")
    assert embedder_from_env().backend == "torch"
