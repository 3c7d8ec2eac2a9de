"""Dagster resources: where news comes from, which model embeds it, which Milvus stores it,
and where maps go. Swapping any of them is configuration, not code."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import quote

import dagster as dg
from pydantic import Field

from . import files
from .vectors import milvus_store
from .vectors.embedding_models import EmbeddingRun, LocalSentenceTransformer
from .vectors.milvus_store import redact_uri
from .vectors.openai_embedding import OpenAICompatibleEmbedder


class NewsSourceResource(dg.ConfigurableResource):
    """A JSON-lines or CSV news file with headline/title, short_description/description,
    date and optional link, category, authors."""

    path: str = Field(description="Path of the news file.")


class EmbeddingResource(dg.ConfigurableResource):
    """What the ``embeddings`` asset needs from a model: ``model_name``, ``dimension()``
    and ``embed(texts)`` returning an EmbeddingRun of unit-length float32 vectors."""

    @property
    def model_name(self) -> str:
        raise NotImplementedError

    def dimension(self) -> int:
        raise NotImplementedError

    def embed(self, texts: list[str]) -> EmbeddingRun:
        raise NotImplementedError


class LocalEmbeddingResource(EmbeddingResource):
    """A sentence-transformers model on the local CPU (default: the bundled all-MiniLM-L6-v2)."""

    model_path: str = Field(default="", description="Local model directory; empty = bundled all-MiniLM-L6-v2.")
    batch_size: int = Field(default=32, description="Texts per forward pass (16-32 was fastest on 2 cores).")
    max_chars: int = Field(default=2000, description="Longer texts are cut to this many characters (counted).")
    device: str = "cpu"
    backend: str = Field(
        default="onnx",
        description="What runs the model: onnx (ONNX Runtime: torch's vectors, 1.1-1.9x faster on 2 cores), "
        "onnx-int8 (2.4x; other vectors, in a collection of their own; story F1 within 0.006) or torch.",
    )

    def _model(self) -> LocalSentenceTransformer:
        return LocalSentenceTransformer(
            self.model_path or None, self.batch_size, self.device, self.max_chars, self.backend
        )

    @property
    def model_name(self) -> str:
        return self._model().model_name

    def dimension(self) -> int:
        return self._model().dimension()

    def embed(self, texts: list[str]) -> EmbeddingRun:
        return self._model().embed(texts)


class OpenAIEmbeddingResource(EmbeddingResource):
    """Any OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, TEI, OpenAI, ...).

    Set ``api_key`` with ``dg.EnvVar("NEWSCLUST_EMBEDDING_API_KEY")``, never a literal:
    Dagster then shows the variable's name, not its value.
    """

    base_url: str = Field(description="Endpoint base URL including the API prefix, e.g. http://gpu-box:8000/v1.")
    model: str = Field(description="Model name the server knows, e.g. Qwen/Qwen3-Embedding-0.6B.")
    api_key: str = Field(default="", description="From the environment only: dg.EnvVar('NEWSCLUST_EMBEDDING_API_KEY').")
    dimensions: int = Field(default=0, description="Requested vector size (Matryoshka models); 0 = the model's own.")
    batch_size: int = Field(default=256, description="Texts per request.")
    max_in_flight: int = Field(default=4, description="Requests in flight at once.")
    max_chars: int = Field(default=8000, description="Longer texts are cut to this many characters (counted).")
    max_retries: int = Field(default=5, description="Retries per batch after 429, 5xx or a timeout.")
    backoff_s: float = Field(default=1.0, description="First retry delay; doubles per retry.")
    max_retry_s: float = Field(default=300.0, description="Give up on a batch after this many seconds of retrying.")
    timeout_s: float = Field(default=60.0, description="Seconds to wait for one answer.")

    def _embedder(self) -> OpenAICompatibleEmbedder:
        return OpenAICompatibleEmbedder(
            self.base_url,
            self.model,
            self.api_key,
            self.dimensions,
            self.batch_size,
            self.max_in_flight,
            self.max_chars,
            self.max_retries,
            self.backoff_s,
            min(30.0, self.max_retry_s),
            self.max_retry_s,
            self.timeout_s,
        )

    @property
    def model_name(self) -> str:
        return self.model

    def dimension(self) -> int:
        return self._embedder().dimension()

    def embed(self, texts: list[str]) -> EmbeddingRun:
        return self._embedder().embed(texts)


class MilvusResource(dg.ConfigurableResource):
    """Milvus Lite (a local ``*.db`` path), a Milvus server (``http://host:19530``) or
    Zilliz Cloud (``https://...`` with ``token``): one MilvusClient code path."""

    uri: str = Field(description="Local path ending in .db (Milvus Lite) or http(s)://host:port.")
    token: str = Field(default="", description="Server token; pass dg.EnvVar('MILVUS_TOKEN'), never a literal.")
    db_name: str = Field(default="", description="Database on a server; empty: the server's default.")
    collection_name: str = Field(
        default="news", description="Collection of the articles; the story store is `<name>_stories` beside it."
    )
    metric: str = Field(default="COSINE", description="COSINE, IP or L2 (distances are converted explicitly).")
    index_type: str = Field(default="FLAT", description="Vector index type; FLAT gives exact neighbours.")
    queries_per_search: int = Field(default=16384, description="Query vectors per search call (server max 16,384).")
    lock_timeout_s: float = Field(default=600.0, description="How long to wait for another process's Milvus Lite lock.")

    @property
    def is_lite(self) -> bool:
        return milvus_store.is_lite_uri(self.uri)

    @property
    def display_uri(self) -> str:
        return redact_uri(self.uri)

    def spec(self, dimension: int, model: str) -> milvus_store.CollectionSpec:
        return milvus_store.CollectionSpec(self.collection_name, dimension, self.metric, self.index_type, model)

    @contextlib.contextmanager
    def client(self) -> Iterator[object]:
        with milvus_store.open_client(self.uri, self.token, self.db_name, self.lock_timeout_s) as c:
            yield c


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet takes for a formula (OWASP, CSV injection)


def spreadsheet_safe(frame):
    """``frame`` with every text cell that a spreadsheet would run as a formula prefixed with a
    single quote, as OWASP advises for CSV export (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``);
    numbers, ids and dates are left as they are."""
    import numpy as np
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = None
    for col in frame.columns:
        if not (is_object_dtype(frame[col]) or is_string_dtype(frame[col])):
            continue
        values = frame[col]
        # a plain loop over the cells: pandas' map costs ~1 ms a column, and a history writes
        # three CSVs a day
        risky = np.fromiter(
            (isinstance(v, str) and v.startswith(FORMULA_START) for v in values.to_numpy()), bool, len(values)
        )
        if risky.any():
            out = frame.copy() if out is None else out
            out[col] = values.where(~risky, "'" + values.astype(str))
    return frame if out is None else out


def write_csv(frame, path):
    """``frame`` as CSV at ``path`` (a local path or a URL's UPath; text cells made
    spreadsheet-safe), written whole: readers never see a half-written file."""
    return files.write_text(path, spreadsheet_safe(frame).to_csv(index=False))


class ServedDirectory(dg.ConfigurableResource):
    """A directory of files for people to open (maps, pages, CSVs): a local directory or any
    fsspec URL (``s3://bucket/prefix``: runs on several machines then share the files),
    optionally served over HTTP.

    The Dagster UI runs on http://, and browsers do not open ``file://`` links from such a
    page; with ``served_at`` (the directory's own URL, e.g. what ``make dev`` serves) the
    metadata links open with one click."""

    directory: str = Field(description="a local directory or an fsspec URL (s3://bucket/prefix/maps)")
    served_at: str = Field(
        default="",
        description="URL at which `directory` is served (e.g. http://127.0.0.1:3001/maps); "
        "empty: links are file:// URLs (or the directory's own URL)",
    )

    def root(self):
        """The directory as a path: a ``Path`` when local, a ``UPath`` for a URL."""
        return files.at(self.directory)

    def url_for(self, path) -> str:
        """The URL people open ``path`` at: under ``served_at`` when the file lies in the
        directory and the directory is served, else its own (file://, s3://...) URL."""
        inside = files.under(path, self.root())
        if self.served_at and inside is not None:
            return self.served_at.rstrip("/") + "/" + quote(inside)
        return files.url_of(path)


class MapStorageResource(ServedDirectory):
    """Directory that receives the HTML maps."""

    def path_for(self, partition_key: str):
        return self.root() / f"newsclust_map_{partition_key}.html"


class LabelExportResource(ServedDirectory):
    """Directory that receives each window's per-article labels as CSV
    (``labels_<partition>.csv``: id, date, label, cluster_name, probability, centrality,
    attached, headline), for reading outside Dagster."""

    def path_for(self, partition_key: str):
        return self.root() / f"labels_{partition_key}.csv"

    def write(self, frame, path):
        return write_csv(frame, path)


def _read_days(days: list[str], path_of, empty_columns: list[str]):
    """The CSV files ``path_of(day)`` of ``days`` that exist, as one frame of text with a
    ``day`` column (an empty frame of ``empty_columns`` when none does)."""
    import pandas as pd

    frames = []
    for day in days:
        path = path_of(day)
        if path.exists():
            frame = files.read_csv_text(path)
            frame.insert(0, "day", day)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=empty_columns)


class StoryStoreResource(ServedDirectory):
    """Directory of the story registry, for reading outside Dagster, one pair of CSV files
    per day: ``stories_<day>.csv`` (every story live or touched that day: id, name, status,
    event, articles, new_articles, total, born, last_seen, parents, children, merged_into)
    and ``story_articles_<day>.csv`` (each clustered article of the day's window: id, story,
    story_name, first_story, first_seen, story_born, date, headline). The timeline pages
    are written here too."""

    def stories_path(self, day: str):
        return self.root() / f"stories_{day}.csv"

    def articles_path(self, day: str):
        return self.root() / f"story_articles_{day}.csv"

    def timeline_path(self, day: str):
        return self.root() / f"story_timeline_{day}.html"

    def write(self, frame, path):
        return write_csv(frame, path)

    def days(self) -> list[str]:
        """The days the registry holds (a ``stories_<day>.csv`` each), in order."""
        root = self.root()
        if not root.exists():
            return []
        return sorted(p.name[len("stories_") : -len(".csv")] for p in root.glob("stories_*.csv"))

    def pages_dir(self):
        """Where the story pages go (``story_<id>.html``)."""
        return self.root() / "pages"

    def read_articles(self, days: list[str]):
        """The story_articles files of ``days`` that exist, as one frame with a ``day`` column."""
        return _read_days(days, self.articles_path, ["day", "id", "story", "date", "headline", "link"])

    def read_days(self, days: list[str]):
        """The stories files of ``days`` that exist, as one frame with a ``day`` column."""
        import pandas as pd

        out = _read_days(
            days,
            self.stories_path,
            ["day", "story", "name", "articles", "new_articles", "event", "merged_into", "parents"],
        )
        if out.empty:
            return out
        for counted in ("articles", "new_articles", "total"):  # older files may lack a column
            if counted in out:
                out[counted] = pd.to_numeric(out[counted], errors="coerce").fillna(0).astype(int)
        return out


class StoryNamerResource(dg.ConfigurableResource):
    """An OpenAI-compatible chat endpoint that names stories in 4-8 words (optional). With
    ``base_url`` empty (the default) stories keep their offline names: central headline +
    top words. Any error, timeout or unusable answer falls back to the offline name; answers
    are cached per model and membership in ``llm_names.json`` beside the registry."""

    base_url: str = ""
    model: str = ""
    api_key: str = Field(default="", description="secret: set through dg.EnvVar (NEWSCLUST_LLM_API_KEY)")
    timeout_s: float = Field(default=15.0, description="Seconds to wait for one naming answer.")
    max_per_day: int = Field(default=50, description="Stories named by the model per day; the rest keep offline names.")

    def namer(self, directory: str):
        if not self.base_url:
            return None
        from .stories.llm_names import LlmNamer

        return LlmNamer(
            self.base_url,
            self.model,
            self.api_key,
            self.timeout_s,
            self.max_per_day,
            files.at(directory) / "llm_names.json",
        )
