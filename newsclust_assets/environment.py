"""The resources as the environment configures them: every ``NEWSCLUST_`` variable that
picks a resource (an embedding endpoint, a Milvus server, an LLM namer) is read here, and
secrets go in as ``dagster.EnvVar`` so Dagster shows their names, never their values.
``default_resources()`` is what the code location, ``newsclust run`` and the tests use.

Defaults need no server and no key: the news sample shipped in the package, the bundled
all-MiniLM-L6-v2 on the CPU, Milvus Lite under NEWSCLUST_DATA_DIR (./newsclust_data).

- ``NEWSCLUST_EMBEDDING_BASE_URL`` (e.g. ``http://gpu-box:8000/v1``) switches to an
  OpenAI-compatible endpoint; with it ``NEWSCLUST_EMBEDDING_MODEL`` (required),
  ``NEWSCLUST_EMBEDDING_DIMENSIONS``, ``NEWSCLUST_EMBEDDING_BATCH_SIZE``,
  ``NEWSCLUST_EMBEDDING_MAX_IN_FLIGHT`` and the key in ``NEWSCLUST_EMBEDDING_API_KEY``.
- ``NEWSCLUST_MILVUS_URI`` (``http://host:19530``, a Zilliz Cloud endpoint, or a local
  ``*.db`` path), ``NEWSCLUST_MILVUS_TOKEN`` (the secret), ``NEWSCLUST_MILVUS_DB_NAME``,
  ``NEWSCLUST_MILVUS_COLLECTION``, ``NEWSCLUST_MILVUS_METRIC``, ``NEWSCLUST_MILVUS_INDEX_TYPE``.
- ``NEWSCLUST_LLM_BASE_URL`` (optional) names stories with an OpenAI-compatible chat model:
  ``NEWSCLUST_LLM_MODEL`` (required with it), ``NEWSCLUST_LLM_API_KEY`` (the secret),
  ``NEWSCLUST_LLM_TIMEOUT_S``.
"""

from __future__ import annotations

import os

import dagster as dg

from .ranges import range_pickle_io_manager
from .resources import (
    EmbeddingResource,
    LabelExportResource,
    LocalEmbeddingResource,
    MapStorageResource,
    MilvusResource,
    NewsSourceResource,
    OpenAIEmbeddingResource,
    StoryNamerResource,
    StoryStoreResource,
)
from .settings import data_dir, source_path


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _secret(field: str, name: str) -> dict:
    """{field: dg.EnvVar(name)} when the variable is set: Dagster shows the name, never the value."""
    return {field: dg.EnvVar(name)} if os.environ.get(name) else {}


def _endpoint(prefix: str, model_hint: str) -> tuple[str, str]:
    """(base URL, model) of an OpenAI-compatible endpoint from ``{prefix}_BASE_URL`` and
    ``{prefix}_MODEL``; ("", "") when no URL is set. The model is required with a URL."""
    base_url = os.environ.get(f"{prefix}_BASE_URL", "")
    if not base_url:
        return "", ""
    model = os.environ.get(f"{prefix}_MODEL", "")
    if not model:
        raise ValueError(f"{prefix}_BASE_URL is set but {prefix}_MODEL is not: {model_hint}")
    return base_url, model


def embedder_from_env() -> EmbeddingResource:
    base_url, model = _endpoint(
        "NEWSCLUST_EMBEDDING", "name the model the endpoint serves, e.g. Qwen/Qwen3-Embedding-0.6B"
    )
    if not base_url:
        return LocalEmbeddingResource()
    return OpenAIEmbeddingResource(
        base_url=base_url,
        model=model,
        dimensions=_env_int("NEWSCLUST_EMBEDDING_DIMENSIONS", 0),
        batch_size=_env_int("NEWSCLUST_EMBEDDING_BATCH_SIZE", 256),
        max_in_flight=_env_int("NEWSCLUST_EMBEDDING_MAX_IN_FLIGHT", 4),
        **_secret("api_key", "NEWSCLUST_EMBEDDING_API_KEY"),
    )


def milvus_from_env() -> MilvusResource:
    optional = {
        field: os.environ[var]
        for field, var in [
            ("db_name", "NEWSCLUST_MILVUS_DB_NAME"),
            ("collection_name", "NEWSCLUST_MILVUS_COLLECTION"),
            ("metric", "NEWSCLUST_MILVUS_METRIC"),
            ("index_type", "NEWSCLUST_MILVUS_INDEX_TYPE"),
        ]
        if os.environ.get(var)
    }
    uri = os.environ.get("NEWSCLUST_MILVUS_URI") or str(data_dir() / "milvus.db")
    return MilvusResource(uri=uri, **optional, **_secret("token", "NEWSCLUST_MILVUS_TOKEN"))


def namer_from_env() -> StoryNamerResource:
    base_url, model = _endpoint("NEWSCLUST_LLM", "name the chat model it serves")
    if not base_url:
        return StoryNamerResource()
    return StoryNamerResource(
        base_url=base_url,
        model=model,
        timeout_s=float(os.environ.get("NEWSCLUST_LLM_TIMEOUT_S") or 15),
        **_secret("api_key", "NEWSCLUST_LLM_API_KEY"),
    )


def default_resources() -> dict:
    return {
        "news_source": NewsSourceResource(path=source_path()),
        "embedder": embedder_from_env(),
        "milvus": milvus_from_env(),
        "maps": MapStorageResource(directory=str(data_dir() / "maps")),
        "labels_export": LabelExportResource(directory=str(data_dir() / "labels")),
        "story_store": StoryStoreResource(directory=str(data_dir() / "stories")),
        "story_namer": namer_from_env(),
        "io_manager": range_pickle_io_manager,
    }
