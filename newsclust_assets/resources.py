"""Dagster resources: where news comes from, which model embeds it, which Milvus stores it,
and where maps go. Swapping any of them is configuration, not code."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Iterator

import dagster as dg
from pydantic import Field

from . import milvus_store
from .embedding_models import EmbeddingRun, LocalSentenceTransformer


class NewsSourceResource(dg.ConfigurableResource):
    """A JSON-lines or CSV news file with headline/title, short_description/description,
    date and optional link, category, authors."""

    path: str = Field(description="Path of the news file.")


class LocalEmbeddingResource(dg.ConfigurableResource):
    """A sentence-transformers model on the local CPU (default: the bundled all-MiniLM-L6-v2)."""

    model_path: str = Field(default="", description="Local model directory; empty = bundled all-MiniLM-L6-v2.")
    batch_size: int = Field(default=32, description="Texts per forward pass (16-32 was fastest on 2 cores).")
    max_chars: int = Field(default=2000, description="Longer texts are cut to this many characters (counted).")
    device: str = "cpu"

    def _model(self) -> LocalSentenceTransformer:
        return LocalSentenceTransformer(self.model_path or None, self.batch_size, self.device, self.max_chars)

    @property
    def model_name(self) -> str:
        return self._model().model_name

    def dimension(self) -> int:
        return self._model().dimension()

    def embed(self, texts: list[str]) -> EmbeddingRun:
        return self._model().embed(texts)


def redact_uri(uri: str) -> str:
    """The uri with any user:password@ part removed, for logs and metadata."""
    return re.sub(r"//[^/@]*@", "//***@", uri)


class MilvusResource(dg.ConfigurableResource):
    """Milvus Lite (a local ``*.db`` path), a Milvus server (``http://host:19530``) or
    Zilliz Cloud (``https://...`` with ``token``): one MilvusClient code path."""

    uri: str = Field(description="Local path ending in .db (Milvus Lite) or http(s)://host:port.")
    token: str = Field(default="", description="Server token; pass dg.EnvVar('MILVUS_TOKEN'), never a literal.")
    db_name: str = ""
    collection_name: str = "news"
    metric: str = Field(default="COSINE", description="COSINE, IP or L2 (distances are converted explicitly).")
    index_type: str = Field(default="FLAT", description="Vector index type; FLAT gives exact neighbours.")
    queries_per_search: int = Field(default=16384, description="Query vectors per search call (server max 16,384).")
    lock_timeout_s: float = Field(default=600.0, description="How long to wait for another process's Milvus Lite lock.")

    @property
    def display_uri(self) -> str:
        return redact_uri(self.uri)

    def spec(self, dimension: int, model: str) -> milvus_store.CollectionSpec:
        return milvus_store.CollectionSpec(self.collection_name, dimension, self.metric, self.index_type, model)

    @contextlib.contextmanager
    def client(self) -> Iterator[object]:
        with milvus_store.open_client(self.uri, self.token, self.db_name, self.lock_timeout_s) as c:
            yield c


class MapStorageResource(dg.ConfigurableResource):
    """Directory that receives the HTML maps."""

    directory: str

    def path_for(self, partition_key: str) -> Path:
        return Path(self.directory).absolute() / f"newsclust_map_{partition_key}.html"
