"""The OpenAI-compatible embedding resource, driven through the real ``openai`` client over
HTTP against a local server (openai_compatible_server.py), inside dagster.materialize.

Every failure case first stores the day successfully, then adds articles to that day in
the source and re-runs against a failing endpoint: the run must fail with a clear message
and Milvus must still hold exactly the first run's rows (no partial day, nothing lost).
"""

import math
import time

import dagster as dg
import numpy as np
import pytest

from newsclust_assets.resources import OpenAIEmbeddingResource
from newsclust_assets.vectors.embedding_models import EmbeddingError, LocalSentenceTransformer, l2_normalise
from newsclust_assets.vectors.openai_embedding import OpenAICompatibleEmbedder

from .conftest import ALL_ASSETS, DAILY, make_resources, md, sample_rows, step_error, stored_rows, write_jsonl
from .openai_compatible_server import EmbeddingServer, hashed_embedding

DAY = "2024-03-06"  # 17 articles in the sample
KEY = "sk-test-0123456789-SECRET"
KEY_ENV = "NEWSCLUST_EMBEDDING_API_KEY"


@pytest.fixture
def server():
    srv = EmbeddingServer(dim=64, api_key=KEY)
    yield srv
    srv.close()


@pytest.fixture
def key_in_env(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)


def endpoint_resources(tmp, server_url, source, **embedder_kwargs):
    resources = make_resources(tmp, source)
    settings = {
        "base_url": server_url,
        "model": "test-embedder",
        "api_key": dg.EnvVar(KEY_ENV),
        "batch_size": 5,
        "backoff_s": 0.01,
        **embedder_kwargs,
    }
    resources["embedder"] = OpenAIEmbeddingResource(**settings)
    return resources


def run_day(resources, instance):
    return dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAY, instance=instance, resources=resources, raise_on_error=False
    )


def no_key_anywhere(instance, result):
    for record in instance.get_records_for_run(result.run_id).records:
        assert KEY not in str(record.event_log_entry)


def test_success_sends_batches_and_stores_the_day(tmp_path, instance, server, key_in_env):
    rows = sample_rows(DAY, DAY)
    resources = endpoint_resources(tmp_path, server.url, write_jsonl(tmp_path / "news.jsonl", rows))
    result = run_day(resources, instance)
    assert result.success
    assert len(server.requests) == math.ceil(17 / 5) == 4
    assert sorted(len(r["input"]) for r in server.requests) == [2, 5, 5, 5]  # batches 2-4 go concurrently
    assert {r["auth"] for r in server.requests} == {f"Bearer {KEY}"}
    assert all(r["body"]["encoding_format"] == "float" for r in server.requests)
    meta = md(result, "embeddings")
    assert meta["model"] == "test-embedder" and meta["dimension"] == 64
    assert meta["requests"] == 4 and meta["retries"] == 0 and meta["truncated_texts"] == 0
    emb = result.output_for_node("embeddings")
    texts = list(result.output_for_node("raw_news")["text"])
    np.testing.assert_allclose(emb.vectors, l2_normalise(hashed_embedding(texts, 64)), atol=1e-6)
    stored = stored_rows(resources["milvus"])
    assert sorted(stored["id"]) == sorted(emb.articles["id"]) and len(stored) == 17
    no_key_anywhere(instance, result)


def test_batches_in_flight_come_back_in_order(server):
    server.delay_s = 0.1
    texts = [f"story {i} about topic {i % 3}" for i in range(40)]
    embedder = OpenAICompatibleEmbedder(server.url, "test-embedder", KEY, batch_size=4, max_in_flight=4)
    run = embedder.embed(texts)
    assert run.requests == 10 and len(server.requests) == 10
    assert server.max_in_flight >= 2
    np.testing.assert_allclose(run.vectors, l2_normalise(hashed_embedding(texts, 64)), atol=1e-6)


def test_429_then_success_is_retried_and_counted(tmp_path, instance, server, key_in_env):
    resources = endpoint_resources(tmp_path, server.url, write_jsonl(tmp_path / "news.jsonl", sample_rows(DAY, DAY)))
    server.script = [("status", 429, {"Retry-After": "0"}), "ok", ("status", 503)]
    result = run_day(resources, instance)
    assert result.success
    meta = md(result, "embeddings")
    assert meta["retries"] == 2 and meta["requests"] == 6 and len(server.requests) == 6
    assert len(stored_rows(resources["milvus"])) == 17


def _store_then_fail(tmp_path, instance, server, breaking, **embedder_kwargs):
    """Store DAY, add 5 articles to DAY in the source, re-run after ``breaking(server)``."""
    rows = sample_rows(DAY, DAY)
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    resources = endpoint_resources(tmp_path, server.url, source, **embedder_kwargs)
    assert run_day(resources, instance).success
    before = sorted(stored_rows(resources["milvus"])["id"])
    assert len(before) == 17
    extra = [{**rows[0], "link": f"https://example.com/new-{i}", "headline": f"New story {i}"} for i in range(5)]
    write_jsonl(source, rows + extra)
    breaking(server)
    requests_before = len(server.requests)
    started = time.monotonic()
    result = run_day(resources, instance)
    elapsed = time.monotonic() - started
    assert not result.success
    assert result.asset_materializations_for_node("milvus_collection") == []
    assert sorted(stored_rows(resources["milvus"])["id"]) == before  # no partial day, nothing lost
    no_key_anywhere(instance, result)
    message = step_error(result, "embeddings")
    assert KEY not in message
    return message, len(server.requests) - requests_before, elapsed


def test_500_storm_exhausts_retries(tmp_path, instance, server, key_in_env):
    def storm(s):
        s.always = ("status", 500)

    message, requests, _ = _store_then_fail(tmp_path, instance, server, storm, max_retries=3)
    assert f"embedding endpoint {server.url} kept failing" in message
    assert "gave up after 4 attempts" in message and "HTTP 500" in message
    assert requests == 4  # the first batch only: the rest are never sent


def test_wrong_dimension_response_stops_before_the_write(tmp_path, instance, server, key_in_env):
    def wrong(s):
        s.script = ["ok", "wrong_dim"]

    message, _, _ = _store_then_fail(tmp_path, instance, server, wrong)
    assert "returned vectors of mixed dimensions [64, 65] across batches" in message


def test_configured_dimension_is_enforced(tmp_path, instance, server, key_in_env):
    def wrong(s):
        s.always = "wrong_dim"

    message, _, _ = _store_then_fail(tmp_path, instance, server, wrong, dimensions=64)
    assert server.requests[-1]["body"]["dimensions"] == 64
    assert "returned 65-d vectors but dimensions=64 is configured" in message


def test_endpoint_dimension_change_is_blocked_by_the_collection_check(tmp_path, instance, server, key_in_env):
    rows = sample_rows(DAY, DAY)
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    resources = endpoint_resources(tmp_path, server.url, source)
    assert run_day(resources, instance).success
    server.dim = 32  # the endpoint now serves another model size
    result = run_day(resources, instance)
    assert not result.success
    check = [e for e in result.get_asset_check_evaluations() if e.check_name == "dimension_matches_collection"][-1]
    assert not check.passed and "32-d but collection 'news' holds 64-d" in check.description
    assert result.asset_materializations_for_node("milvus_collection") == []
    assert len(stored_rows(resources["milvus"])) == 17


def test_wrong_count_response_stops_before_the_write(tmp_path, instance, server, key_in_env):
    def drop(s):
        s.script = ["ok", "drop_one"]

    message, _, _ = _store_then_fail(tmp_path, instance, server, drop, max_in_flight=1)  # request 2 = batch 2
    assert f"embedding endpoint {server.url} returned 4 vectors for a batch of 5 texts" in message


def test_closed_port_fails_fast_naming_the_url(tmp_path, instance, server, key_in_env):
    closed = EmbeddingServer()
    closed_url = closed.url
    closed.close()  # nothing listens there any more
    rows = sample_rows(DAY, DAY)
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    resources = endpoint_resources(tmp_path, server.url, source)
    assert run_day(resources, instance).success
    resources = endpoint_resources(tmp_path, closed_url, source)
    started = time.monotonic()
    result = run_day(resources, instance)
    assert time.monotonic() - started < 30  # a run, not a retry loop: materialize's own overhead
    message = step_error(result, "embeddings")
    assert f"cannot reach the embedding endpoint at {closed_url}" in message
    assert "Check that the server is running" in message and KEY not in message
    assert len(stored_rows(resources["milvus"])) == 17


def test_timeouts_are_retried_then_reported(server):
    server.always = ("sleep", 1.0)
    embedder = OpenAICompatibleEmbedder(server.url, "test-embedder", KEY, timeout_s=0.2, max_retries=1, backoff_s=0.01)
    with pytest.raises(EmbeddingError, match=r"gave up after 2 attempts .* no answer within 0.2 s"):
        embedder.embed(["a slow story"])
    assert len(server.requests) == 2


def test_rejected_key_is_never_shown(tmp_path, instance, server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(DAY, DAY))
    resources = endpoint_resources(tmp_path, server.url, source)
    server.api_key = "sk-the-right-one"  # the server echoes the wrong key it got back in its error body
    result = run_day(resources, instance)
    message = step_error(result, "embeddings")
    assert "HTTP 401" in message and "invalid API key: ***" in message
    assert KEY_ENV in message  # names the variable to fix, not its value
    assert KEY not in message
    no_key_anywhere(instance, result)
    assert len(server.requests) == 1  # a 401 is not retried
    assert len(stored_rows(resources["milvus"])) == 0


def test_empty_texts_never_reach_the_server_and_long_ones_are_cut(server):
    embedder = OpenAICompatibleEmbedder(server.url, "test-embedder", KEY, max_chars=1000)
    with pytest.raises(EmbeddingError, match="2 empty texts"):
        embedder.embed(["a story", "", "   "])
    assert server.requests == []
    run = embedder.embed(["short story", "x" * 100_000])
    assert run.truncated == 1 and run.vectors.shape == (2, 64)
    assert [len(t) for t in server.inputs_received()] == [11, 1000]


def test_same_model_through_the_endpoint_matches_the_local_model():
    local = LocalSentenceTransformer()
    srv = EmbeddingServer(dim=384, model="all-MiniLM-L6-v2", embed_fn=lambda texts, dim: local.embed(texts).vectors)
    try:
        texts = [r["headline"] for r in sample_rows(DAY, DAY)]
        remote = OpenAICompatibleEmbedder(srv.url, "all-MiniLM-L6-v2", batch_size=8).embed(texts)
        assert remote.vectors.shape == (17, 384) and remote.requests == 3
        np.testing.assert_allclose(remote.vectors, local.embed(texts).vectors, atol=1e-6)
    finally:
        srv.close()


def test_empty_day_through_the_endpoint_stores_nothing(tmp_path, instance, server, key_in_env):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(DAY, DAY))
    resources = endpoint_resources(tmp_path, server.url, source)
    result = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key="2024-03-05", instance=instance, resources=resources
    )  # no article that day in this source
    assert result.success
    assert result.output_for_node("embeddings").vectors.shape == (0, 64)
    assert [r["input"] for r in server.requests] == [["dimension probe"]]  # only to learn the dimension
    assert len(stored_rows(resources["milvus"])) == 0
    configured = endpoint_resources(tmp_path, server.url, source, dimensions=64)
    dg.materialize(ALL_ASSETS, selection=DAILY, partition_key="2024-03-05", instance=instance, resources=configured)
    assert len(server.requests) == 1  # a configured dimension needs no probe
