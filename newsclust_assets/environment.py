"""The resources as the environment configures them. Every ``NEWSCLUST_`` variable is
declared in ``settings.VARIABLES`` (docs/settings.md lists them) and read through
``settings.env``; the ones that pick a resource (an embedding endpoint, a Milvus server, an
LLM namer) are turned into resources here. Secrets go in as ``dagster.EnvVar``, so Dagster
shows their names, never their values; a variable left unset leaves the resource field's own
default. ``default_resources()`` is what the code location, ``newsclust run`` and the tests use.

Defaults need no server and no key: the news sample shipped in the package, the bundled
all-MiniLM-L6-v2 on the CPU, Milvus Lite under NEWSCLUST_DATA_DIR (./newsclust_data).
"""

from __future__ import annotations

from pathlib import Path

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
from .settings import VARIABLES, data_dir, env, source_path


def _number(name: str, kind: type) -> dict:
    """{} when variable ``name`` is unset, else {field: its value as ``kind``} (a one-line
    error naming the variable when it is not one); the field is the one it is declared for."""
    raw = env(name)
    if not raw:
        return {}
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name} must be {what}, got {raw!r}") from None
    return {_field(name): value}


def _text(name: str) -> dict:
    """{} when variable ``name`` is unset, else {field: its value}."""
    raw = env(name)
    return {_field(name): raw} if raw else {}


def _field(name: str) -> str:
    return VARIABLES[name].field.split(".", 1)[1]


def _secret(field: str, name: str) -> dict:
    """{field: dg.EnvVar(name)} when the variable is set: Dagster shows the name, never the value."""
    return {field: dg.EnvVar(name)} if env(name) else {}


def _endpoint(prefix: str, model_hint: str) -> tuple[str, str]:
    """(base URL, model) of an OpenAI-compatible endpoint from ``{prefix}_BASE_URL`` and
    ``{prefix}_MODEL``; ("", "") when no URL is set. The model is required with a URL."""
    base_url = env(f"{prefix}_BASE_URL")
    if not base_url:
        return "", ""
    model = env(f"{prefix}_MODEL")
    if not model:
        raise ValueError(f"{prefix}_BASE_URL is set but {prefix}_MODEL is not: {model_hint}")
    return base_url, model


def embedder_from_env() -> EmbeddingResource:
    base_url, model = _endpoint(
        "NEWSCLUST_EMBEDDING", "name the model the endpoint serves, e.g. Qwen/Qwen3-Embedding-0.6B"
    )
    if not base_url:
        return LocalEmbeddingResource(**_text("NEWSCLUST_EMBEDDING_BACKEND"))
    return OpenAIEmbeddingResource(
        base_url=base_url,
        model=model,
        **_number("NEWSCLUST_EMBEDDING_DIMENSIONS", int),
        **_number("NEWSCLUST_EMBEDDING_BATCH_SIZE", int),
        **_number("NEWSCLUST_EMBEDDING_MAX_IN_FLIGHT", int),
        **_secret("api_key", "NEWSCLUST_EMBEDDING_API_KEY"),
    )


def milvus_from_env(data: Path | None = None) -> MilvusResource:
    """NEWSCLUST_MILVUS_URI's server, else Milvus Lite under the data directory (``data``,
    default NEWSCLUST_DATA_DIR)."""
    optional: dict = {}
    for var in (
        "NEWSCLUST_MILVUS_DB_NAME",
        "NEWSCLUST_MILVUS_COLLECTION",
        "NEWSCLUST_MILVUS_METRIC",
        "NEWSCLUST_MILVUS_INDEX_TYPE",
    ):
        optional.update(_text(var))
    uri = env("NEWSCLUST_MILVUS_URI") or str((data or data_dir()) / "milvus.db")
    return MilvusResource(uri=uri, **optional, **_secret("token", "NEWSCLUST_MILVUS_TOKEN"))


def namer_from_env() -> StoryNamerResource:
    base_url, model = _endpoint("NEWSCLUST_LLM", "name the chat model it serves")
    if not base_url:
        return StoryNamerResource()
    return StoryNamerResource(
        base_url=base_url,
        model=model,
        **_number("NEWSCLUST_LLM_TIMEOUT_S", float),
        **_secret("api_key", "NEWSCLUST_LLM_API_KEY"),
    )


def _served(folder: str, files_dir: str | None) -> dict:
    """{directory: the files directory's folder} (``files_dir``, else NEWSCLUST_FILES_DIR, a
    directory or URL, default NEWSCLUST_DATA_DIR) and, when NEWSCLUST_FILES_URL says where
    the environment's files directory is served, {served_at: its URL}."""
    files_url = "" if files_dir else env("NEWSCLUST_FILES_URL").rstrip("/")
    files_dir = files_dir or env("NEWSCLUST_FILES_DIR").rstrip("/") or str(data_dir())
    return {"directory": f"{files_dir}/{folder}", **({"served_at": f"{files_url}/{folder}"} if files_url else {})}


def default_resources(source: str | None = None, data: Path | None = None, files_dir: str | None = None) -> dict:
    """The resources the environment configures. A caller with its own news file, data
    directory (Milvus Lite's home) or files directory (maps, labels, stories) gives them
    (``newsclust evaluate``); the environment says everything else."""
    io_base = env("NEWSCLUST_IO_BASE_URL")
    return {
        "news_source": NewsSourceResource(path=source or source_path()),
        "embedder": embedder_from_env(),
        "milvus": milvus_from_env(data),
        "maps": MapStorageResource(**_served("maps", files_dir)),
        "labels_export": LabelExportResource(**_served("labels", files_dir)),
        "story_store": StoryStoreResource(**_served("stories", files_dir)),
        "story_namer": namer_from_env(),
        "io_manager": range_pickle_io_manager.configured({"base_dir": io_base}) if io_base else range_pickle_io_manager,
    }
