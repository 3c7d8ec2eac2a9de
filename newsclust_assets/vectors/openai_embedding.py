"""Text -> vectors through any OpenAI-compatible ``/v1/embeddings`` endpoint. No Dagster imports.

Works with vLLM (e.g. Qwen3-Embedding-0.6B, 1024-d), text-embeddings-inference, OpenAI
and others, through the official ``openai`` client. What it guarantees:

- Texts go in batches (``batch_size``, default 256) with up to ``max_in_flight`` batches
  in flight at once; vectors come back in input order.
- 429, 5xx and timeouts are retried with exponential backoff (honouring ``Retry-After``)
  up to ``max_retries`` times per batch and ``max_retry_s`` seconds in total, then the
  run stops with the last status. Other 4xx answers stop at once with a hint.
- A connection refused before any answer fails fast: the endpoint is not there, and
  retrying would only hide that. After a first answer, a dropped connection is retried
  like a 5xx (a server restarting).
- Texts longer than ``max_chars`` are cut and counted; an empty text is an error and is
  never sent (callers drop and count them first).
- Every answer is validated before anything is returned: one vector per input, indices
  0..n-1, one dimension across all batches equal to ``dimensions`` when that is set,
  finite values. Nothing partial is ever returned, so nothing partial can be stored.
- The API key is never put in a message: any echo of it is replaced with ``***``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .embedding_models import EmbeddingError, EmbeddingRun, l2_normalise, truncate_texts

_HINTS = {
    400: "check the model name, the dimensions setting and max_chars (the input may be too long for the model)",
    401: "check the API key in the environment variable that the resource reads (NEWSCLUST_EMBEDDING_API_KEY)",
    403: "check the API key's permissions for this model",
    404: "check base_url (it usually ends in /v1) and the model name",
    413: "lower batch_size or max_chars",
    422: "check the model name, the dimensions setting and max_chars",
}


class EmbeddingEndpointError(EmbeddingError):
    """The endpoint could not be reached, refused the request, or kept failing."""


class _Retryable(Exception):
    def __init__(self, what: str, retry_after: float | None = None):
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


def _retry_after(response) -> float | None:
    raw = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


class OpenAICompatibleEmbedder:
    """Batched, concurrent, retrying client for one model behind an OpenAI-compatible API."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        dimensions: int = 0,
        batch_size: int = 256,
        max_in_flight: int = 4,
        max_chars: int = 8000,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        max_retry_s: float = 300.0,
        timeout_s: float = 60.0,
    ):
        if not base_url:
            raise EmbeddingError("base_url of the embedding endpoint is empty")
        if not model:
            raise EmbeddingError(f"no model name given for the embedding endpoint at {base_url}")
        if batch_size < 1 or max_in_flight < 1 or max_chars < 1:
            raise EmbeddingError("batch_size, max_in_flight and max_chars must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.dimensions = int(dimensions or 0)
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.max_chars = max_chars
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_retry_s = max_retry_s
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._answered = False  # has the endpoint answered at least once in this run?
        self._requests = 0
        self._retries = 0

    @property
    def model_name(self) -> str:
        return self.model

    def _redact(self, text: object) -> str:
        text = str(text)
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return text

    def _client(self):
        import openai

        # retries are done here (counted, bounded, with clear messages), not by the client
        return openai.OpenAI(
            base_url=self.base_url, api_key=self._api_key or "EMPTY", max_retries=0, timeout=self.timeout_s
        )

    def _request(self, client, batch: list[str]) -> list[list[float]]:
        import openai

        kwargs = {"dimensions": self.dimensions} if self.dimensions else {}
        with self._lock:
            self._requests += 1
        try:
            response = client.embeddings.create(input=batch, model=self.model, encoding_format="float", **kwargs)
        except openai.APITimeoutError:
            raise _Retryable(f"no answer within {self.timeout_s:g} s") from None
        except openai.APIConnectionError as exc:
            reason = self._redact(getattr(exc, "__cause__", None) or exc)
            if not self._answered:
                raise EmbeddingEndpointError(
                    f"cannot reach the embedding endpoint at {self.base_url} ({reason}). Check that the server "
                    "is running and listening there, and that base_url includes the API prefix (usually /v1)."
                ) from None
            raise _Retryable(f"connection lost ({reason})") from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            self._answered = True
            detail = self._redact(getattr(exc, "message", "") or exc)[:300]
            if status == 429 or status >= 500 or status == 408:
                raise _Retryable(f"HTTP {status}: {detail}", _retry_after(exc.response)) from None
            raise EmbeddingEndpointError(
                f"embedding endpoint {self.base_url} refused the request with HTTP {status} "
                f"(model {self.model!r}): {detail}. {_HINTS.get(status, 'check the server log')}."
            ) from None
        self._answered = True
        return self._validated(response, len(batch))

    def _validated(self, response, n: int) -> list[list[float]]:
        data = list(getattr(response, "data", None) or [])
        if len(data) != n:
            raise EmbeddingEndpointError(
                f"embedding endpoint {self.base_url} returned {len(data)} vectors for a batch of {n} texts "
                f"(model {self.model!r}); nothing was stored."
            )
        data.sort(key=lambda item: item.index)
        if [item.index for item in data] != list(range(n)):
            raise EmbeddingEndpointError(
                f"embedding endpoint {self.base_url} returned vector indices that are not 0..{n - 1}; nothing was stored."
            )
        return [item.embedding for item in data]

    def _batch_with_retries(self, client, batch: list[str], number: int, total: int) -> np.ndarray:
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                vectors = self._request(client, batch)
                break
            except _Retryable as exc:
                attempt += 1
                delay = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
                if exc.retry_after is not None:
                    delay = min(self.max_backoff_s, max(delay, exc.retry_after))
                elapsed = time.monotonic() - started
                if attempt > self.max_retries or elapsed + delay > self.max_retry_s:
                    raise EmbeddingEndpointError(
                        f"embedding endpoint {self.base_url} kept failing: batch {number} of {total} gave up after "
                        f"{attempt} attempts in {elapsed:.1f} s; last answer: {exc.what}. Check the server's "
                        "health and load; max_retries and max_retry_s bound the retries."
                    ) from None
                with self._lock:
                    self._retries += 1
                time.sleep(delay)
        lengths = {len(v) for v in vectors}
        if len(lengths) != 1:
            raise EmbeddingEndpointError(
                f"embedding endpoint {self.base_url} returned vectors of mixed dimensions {sorted(lengths)}"
            )
        return np.asarray(vectors, dtype=np.float32)

    def dimension(self) -> int:
        """The configured ``dimensions``, else what the endpoint returns for a one-word probe."""
        if self.dimensions:
            return self.dimensions
        return int(self.embed(["dimension probe"]).vectors.shape[1])

    def embed(self, texts: list[str]) -> EmbeddingRun:
        blank = [i for i, t in enumerate(texts) if not (t or "").strip()]
        if blank:
            raise EmbeddingError(
                f"{len(blank)} empty texts (first at position {blank[0]}) cannot be embedded; drop them first"
            )
        if not texts:
            return EmbeddingRun(np.zeros((0, self.dimension()), np.float32), self.model, 0.0)
        texts, truncated = truncate_texts(texts, self.max_chars)
        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        self._requests = self._retries = 0
        self._answered = False
        start = time.perf_counter()
        client = self._client()
        try:
            if len(batches) == 1 or self.max_in_flight == 1:
                parts = [self._batch_with_retries(client, b, i + 1, len(batches)) for i, b in enumerate(batches)]
            else:
                # the first batch alone: an absent endpoint fails fast, once, not max_in_flight times
                parts = [self._batch_with_retries(client, batches[0], 1, len(batches))]
                with ThreadPoolExecutor(self.max_in_flight) as pool:
                    futures = [
                        pool.submit(self._batch_with_retries, client, b, i + 2, len(batches))
                        for i, b in enumerate(batches[1:])
                    ]
                    try:
                        parts.extend(f.result() for f in futures)
                    except BaseException:
                        for f in futures:
                            f.cancel()
                        raise
        finally:
            client.close()
        seconds = time.perf_counter() - start
        dims = sorted({p.shape[1] for p in parts})
        if len(dims) != 1:
            raise EmbeddingEndpointError(
                f"embedding endpoint {self.base_url} returned vectors of mixed dimensions {dims} across batches"
            )
        if self.dimensions and dims[0] != self.dimensions:
            raise EmbeddingEndpointError(
                f"embedding endpoint {self.base_url} returned {dims[0]}-d vectors but dimensions={self.dimensions} "
                f"is configured (model {self.model!r}); nothing was stored."
            )
        vectors = l2_normalise(np.concatenate(parts))
        return EmbeddingRun(vectors, self.model, seconds, self._requests, truncated, self._retries)
