"""The local model's backends (vectors/onnx_encoder.py): ONNX Runtime gives torch's vectors,
int8 is a model of its own, and a model the ONNX path cannot run is one clear error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

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


def test_the_onnx_tokenizer_gives_autotokenizers_ids_without_importing_torch(texts):
    """The ONNX path tokenizes with the model's tokenizer.json through ``tokenizers`` alone;
    its ids must be AutoTokenizer's (what the torch backend and sentence-transformers use),
    and a process that embeds with it must not import torch or transformers (2-4 s each)."""
    from transformers import AutoTokenizer

    from newsclust_assets.vectors.onnx_encoder import load_tokenizer, tokenize

    path = bundled_model_path()
    reference = AutoTokenizer.from_pretrained(path, local_files_only=True)
    ours = load_tokenizer(path, 256)
    odd = ["", " ", "\u00dcn\u00efc\u00f6d\u00e9 \u2713 \u4e2d\u6587", "a" * 3000, "x " * 400, "line\nbreak\ttab"]
    for batch in (texts[:8], texts[-8:], odd, odd[:1]):
        want = reference(batch, padding=True, truncation=True, max_length=256, return_tensors="np")
        got = tokenize(ours, batch)
        assert got["input_ids"].shape == want["input_ids"].shape and got["input_ids"].shape[1] <= 256
        assert (got["input_ids"] == want["input_ids"]).all() and (got["attention_mask"] == want["attention_mask"]).all()
    code = (
        "import sys; from newsclust_assets.vectors.embedding_models import LocalSentenceTransformer; "
        "v = LocalSentenceTransformer(backend='onnx').embed(['a text', 'another one']).vectors; "
        "print(v.shape, 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split()[-2:] == ["False", "False"], out.stdout + out.stderr
    assert "(2, 384)" in out.stdout


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
