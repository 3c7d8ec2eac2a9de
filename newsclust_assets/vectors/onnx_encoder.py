"""A mean-pooled sentence-transformers model (the bundled all-MiniLM-L6-v2) run by ONNX Runtime.
No Dagster import.

``fp32`` gives the vectors torch gives (cosine 1.0000 on 2,000 news texts) in less time: 1.14x
torch's speed on 2 idle cores (``benchmarks.embedding_paths``, 2026-12-07; 1.3x in another
sitting), 1.9x while the cores are shared with other work. ``int8`` (dynamic quantization of
the weights) is 2.4x; its vectors differ (cosine 0.958 to fp32, 78 % of each text's 15 nearest
neighbours kept), yet story quality stays within 0.006 F1 of fp32 on the five development
streams (docs/benchmarks.md): an option, not the default, since a collection holds one
model's vectors.

The model is exported from its torch weights once per model, precision and library versions
into a cache directory (``$XDG_CACHE_HOME/newsclust/onnx``, as numba's kernels); files are
written under a temporary name and renamed, so processes exporting at once never read half a
file. Texts are tokenized by the model's own fast tokenizer (its ``tokenizer.json`` through the
``tokenizers`` library, truncated to its ``max_seq_length``) in batches of similar length; a
process that runs the ONNX file imports neither torch nor transformers."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import threading
from pathlib import Path

import numpy as np

PRECISIONS = ("fp32", "int8")
_SESSIONS: dict[str, tuple] = {}
_LOCK = threading.Lock()


class OnnxUnsupported(Exception):
    """The model is not one this encoder can run (its pooling, or a missing file)."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsclust" / "onnx"


def check_supported(model_path: str) -> int:
    """The model's ``max_seq_length`` when it is a Transformer + mean Pooling (+ Normalize)
    sentence-transformers model, else ``OnnxUnsupported`` naming why."""
    root = Path(model_path)
    try:
        listed = json.loads((root / "modules.json").read_text())
        modules = [m["type"].rsplit(".", 1)[-1] for m in listed]
        pooling_dir = next(m["path"] for m in listed if "Pooling" in m["type"])
        pooling = json.loads((root / pooling_dir / "config.json").read_text())
        max_len = int(json.loads((root / "sentence_bert_config.json").read_text()).get("max_seq_length") or 512)
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise OnnxUnsupported(
            f"{model_path} is not a sentence-transformers model directory this encoder reads ({exc})"
        ) from None
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if (
        modules[:2] != ["Transformer", "Pooling"]
        or set(modules[2:]) - {"Normalize"}
        or modes != ["pooling_mode_mean_tokens"]
    ):
        raise OnnxUnsupported(
            f"{model_path}: the onnx backends run Transformer + mean pooling models only "
            f"(this one: {' + '.join(modules)}, {', '.join(modes) or 'no pooling'}); use the torch backend"
        )
    return max_len


def _key(model_path: str, precision: str) -> str:
    # versions from the installed packages' metadata: importing torch here would cost every
    # process that only runs the ONNX file 2-4 s (the same strings as torch.__version__)
    root = Path(model_path)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    stamp = [(p.relative_to(root).as_posix(), p.stat().st_size) for p in files]
    versions = [importlib.metadata.version(name) for name in ("torch", "onnxruntime")]
    text = json.dumps([str(root.resolve()), stamp, precision, *versions])
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _export(model_path: str, out: Path) -> None:
    """Export the torch model (transformer and mean pooling, one graph) to ``out``."""
    import torch

    from .local_model import load_sentence_transformer

    st = load_sentence_transformer(model_path, "cpu")
    transformer = st[0].auto_model.eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    sample = st.tokenizer(["a short text", "a somewhat longer text for the export"], padding=True, return_tensors="pt")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            MeanPooled(transformer),
            (sample["input_ids"], sample["attention_mask"]),
            str(tmp),
            input_names=["input_ids", "attention_mask"],
            output_names=["mean"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}},
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, out)


def model_file(model_path: str, precision: str = "fp32") -> Path:
    """The ONNX file of the model at ``precision``, exported (and quantized) on first use."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    fp32 = cache_dir() / _key(model_path, "fp32") / "model.onnx"
    if not fp32.exists():
        fp32.parent.mkdir(parents=True, exist_ok=True)
        _export(model_path, fp32)
    if precision == "fp32":
        return fp32
    int8 = cache_dir() / _key(model_path, "int8") / "model.onnx"
    if not int8.exists():
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        int8.parent.mkdir(parents=True, exist_ok=True)
        tmp = int8.with_name(f".{int8.name}.{os.getpid()}.tmp.onnx")
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # its preprocessing advice
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
        os.replace(tmp, int8)
    return int8


def _session(model_path: str, precision: str):
    """(ONNX Runtime session, tokenizer truncating at the max_seq_length), once per process."""
    key = f"{model_path}|{precision}"
    with _LOCK:
        if key not in _SESSIONS:
            max_len = check_supported(model_path)
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.log_severity_level = 3
            session = ort.InferenceSession(
                str(model_file(model_path, precision)), options, providers=["CPUExecutionProvider"]
            )
            _SESSIONS[key] = (session, load_tokenizer(model_path, max_len))
        return _SESSIONS[key]


def load_tokenizer(model_path: str, max_len: int):
    """The model's own fast tokenizer (``tokenizer.json``) through the ``tokenizers`` library:
    what ``transformers.AutoTokenizer`` runs underneath, without importing transformers and
    torch (2-4 s a process). Truncated to ``max_len`` tokens, padded to the batch's longest,
    with the pad token the model's config names; a test checks the ids against AutoTokenizer's."""
    from tokenizers import Tokenizer

    root = Path(model_path)
    if not (root / "tokenizer.json").exists():
        raise OnnxUnsupported(f"{model_path}: no tokenizer.json (a fast tokenizer) for the onnx backends; use torch")
    tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
    config = (
        json.loads((root / "tokenizer_config.json").read_text()) if (root / "tokenizer_config.json").exists() else {}
    )
    pad = config.get("pad_token") or "[PAD]"
    pad = pad.get("content", "[PAD]") if isinstance(pad, dict) else pad
    pad_id = tokenizer.token_to_id(pad)
    if pad_id is None:
        raise OnnxUnsupported(f"{model_path}: its tokenizer has no pad token {pad!r}; use the torch backend")
    tokenizer.enable_truncation(max_len)
    tokenizer.enable_padding(pad_id=pad_id, pad_token=pad)
    return tokenizer


def tokenize(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    """input_ids and attention_mask (int64, batch x longest) of ``texts``."""
    encodings = tokenizer.encode_batch(texts)
    return {
        "input_ids": np.asarray([e.ids for e in encodings], np.int64),
        "attention_mask": np.asarray([e.attention_mask for e in encodings], np.int64),
    }


def dimension(model_path: str, precision: str = "fp32") -> int:
    session, _ = _session(model_path, precision)
    return int(session.get_outputs()[0].shape[-1])


def encode(model_path: str, texts: list[str], batch_size: int = 32, precision: str = "fp32") -> tuple[np.ndarray, int]:
    """Mean-pooled vectors of ``texts`` (not normalised) and the forward passes made; batches
    hold texts of similar length, so little of a batch is padding."""
    session, tokenizer = _session(model_path, precision)
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), dimension(model_path, precision)), np.float32)
    passes = 0
    for start in range(0, len(texts), batch_size):
        rows = order[start : start + batch_size]
        out[rows] = session.run(None, tokenize(tokenizer, [texts[i] for i in rows]))[0]
        passes += 1
    return out, passes
