"""The graph against a real Milvus server: PyPI's ``milvus`` 2.3.5, the C++ standalone with its
own indexes, version quirks and authorization (on here: every client needs the token, which
reaches the resource through ``dagster.EnvVar`` only). The same MilvusClient code path a Milvus
cluster or Zilliz Cloud uri takes."""

import dagster as dg
import numpy as np
import pytest

from newsclust_assets.resources import MilvusResource
from newsclust_assets.vectors.milvus_store import CollectionSpec, describe, ensure_collection, open_client

from .conftest import (
    AFTER_DAILY,
    ALL_ASSETS,
    DAILY,
    make_resources,
    md,
    sample_rows,
    step_error,
    stored_rows,
    write_jsonl,
)
from .servers import STANDALONE, MilvusStandalone

pytestmark = pytest.mark.xdist_group(STANDALONE)  # one standalone on a machine at a time

DAYS = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"]  # 51 articles
TOKEN_VAR = "NEWSCLUST_TEST_MILVUS_TOKEN"


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    """One server for the module (a start costs 4-10 s); each test gets it empty."""
    srv = MilvusStandalone(tmp_path_factory.mktemp("milvus") / "milvus_data", auth=True).start()
    yield srv
    srv.kill()


@pytest.fixture
def server(module_server, monkeypatch):
    monkeypatch.setenv(TOKEN_VAR, module_server.token)
    yield module_server
    if module_server.proc is None:  # a test that stopped it and failed before its restart
        module_server.start()
    with open_client(module_server.uri, module_server.token) as c:  # the next test starts empty
        databases = c.list_databases()
    for db in databases:
        with open_client(module_server.uri, module_server.token, db) as c:
            for name in c.list_collections():
                c.drop_collection(name)
    with open_client(module_server.uri, module_server.token) as c:
        for db in databases:
            if db != "default":
                c.drop_database(db)


def server_resources(tmp, srv, **kwargs):
    resources = make_resources(tmp, write_jsonl(tmp / "news.jsonl", sample_rows(DAYS[0], DAYS[-1])))
    resources["milvus"] = MilvusResource(uri=srv.uri, token=dg.EnvVar(TOKEN_VAR), **kwargs)
    return resources


def materialize_all(resources, instance, raise_on_error=True, knn_method="auto"):
    results = [
        dg.materialize(
            ALL_ASSETS,
            selection=DAILY,
            partition_key=d,
            instance=instance,
            resources=resources,
            raise_on_error=raise_on_error,
        )
        for d in DAYS
    ]
    results.append(
        dg.materialize(
            ALL_ASSETS,
            selection=AFTER_DAILY,
            partition_key=DAYS[-1],
            instance=instance,
            resources=resources,
            raise_on_error=raise_on_error,
            run_config={"ops": {"knn_distances": {"config": {"method": knn_method}}}},
        )
    )
    return results


def test_graph_on_the_server_survives_a_restart(tmp_path, instance, server):
    """(A crash, SIGKILL mid-run, and the restart after it: test_hardening.py.)"""
    resources = server_resources(tmp_path, server)
    first = materialize_all(resources, instance)
    assert all(r.success for r in first)
    stored = stored_rows(resources["milvus"])
    assert len(stored) == 51 and stored["id"].is_unique
    labels = first[-1].output_for_node("cluster_labels")
    assert len(labels) == 51
    # a window this small is exact in numpy on a server too (its vectors are read back anyway);
    # the server's own search serves windows above approx_above (test below: method milvus)
    assert md(first[-1], "knn_distances")["knn_method"] == "exact"
    store_meta = md(first[0], "milvus_collection")
    assert store_meta["uri"] == server.uri
    assert server.token not in repr(store_meta)  # the token is never metadata

    server.stop()
    down = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAYS[0], instance=instance, resources=resources, raise_on_error=False
    )
    assert not down.success
    message = step_error(down, "embeddings")  # the first step that opens Milvus
    assert f"cannot connect to Milvus at {server.uri}" in message
    assert "Check that the server is running" in message

    server.start()
    assert sorted(stored_rows(resources["milvus"])["id"]) == sorted(stored["id"])  # a restart loses nothing
    again = materialize_all(resources, instance)
    assert all(r.success for r in again)
    stored_again = stored_rows(resources["milvus"])
    assert len(stored_again) == 51 and stored_again["id"].is_unique
    relabelled = again[-1].output_for_node("cluster_labels")
    assert relabelled["id"].tolist() == labels["id"].tolist()
    assert relabelled["label"].tolist() == labels["label"].tolist()


def _recall_at_k(resources, graph, k: int) -> float:
    """Share of each article's exact k nearest neighbours (cosine, from the stored vectors) that
    the graph holds."""
    rows = stored_rows(resources["milvus"], ("id", "vector"))
    vectors = np.stack(rows["vector"].map(np.asarray)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    exact = np.argsort(-sims, axis=1)[:, :k]
    found = graph.distances.tolil().rows
    return float(np.mean([len(set(exact[i]) & set(found[i])) / k for i in range(len(rows))]))


@pytest.mark.parametrize(
    ("index_type", "params"), [("HNSW", {"M": "16", "efConstruction": "200"}), ("IVF_FLAT", {"nlist": "128"})]
)
def test_approximate_indexes_are_built_by_the_server_and_serve_knn(tmp_path, instance, server, index_type, params):
    resources = server_resources(tmp_path, server, index_type=index_type)
    results = materialize_all(resources, instance, knn_method="milvus")  # what auto picks above approx_above
    assert all(r.success for r in results)
    with open_client(server.uri, server.token) as c:
        index = c.describe_index("news", "vector")
        day_index = c.describe_index("news", "day")
    assert index["index_type"] == index_type and index["metric_type"] == "COSINE"
    assert {k: index[k] for k in params} == params  # built with the parameters a server requires
    assert day_index["index_type"] == "STL_SORT"  # 2.3 servers build no INVERTED index
    assert md(results[-1], "knn_distances")["knn_method"] == "milvus"
    graph = results[-1].output_for_node("knn_distances")
    graph = graph[max(graph)] if isinstance(graph, dict) else graph
    recall = _recall_at_k(resources, graph, k=graph.k)
    print(f"{index_type} recall@{graph.k} against exact: {recall:.3f}")
    assert recall >= 0.95


def test_a_collection_the_server_refuses_is_rolled_back_and_the_next_run_is_clean(tmp_path, instance, server):
    resources = server_resources(tmp_path, server, index_type="NO_SUCH_INDEX")
    result = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAYS[0], instance=instance, resources=resources, raise_on_error=False
    )
    assert not result.success
    message = step_error(result, "milvus_collection")
    assert "could not create collection 'news' with a NO_SUCH_INDEX COSINE index: invalid index type" in message
    assert "the half-made collection was dropped" in message and "Check that the server" not in message
    with open_client(server.uri, server.token) as c:
        assert not c.has_collection("news")
    fixed = server_resources(tmp_path, server)
    assert dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAYS[0], instance=instance, resources=fixed
    ).success
    assert len(stored_rows(fixed["milvus"])) == len(sample_rows(DAYS[0], DAYS[0]))


def test_a_collection_left_without_its_vector_index_gets_one(tmp_path, instance, server):
    with open_client(server.uri, server.token) as c:  # what a failed creation of an older version left
        ensure_collection(c, CollectionSpec("news", 384, model="all-MiniLM-L6-v2"))
        c.release_collection("news")
        c.drop_index("news", "vector")
        assert "vector" not in c.list_indexes("news")
    resources = server_resources(tmp_path, server)
    assert dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAYS[1], instance=instance, resources=resources
    ).success
    with open_client(server.uri, server.token) as c:
        assert c.describe_index("news", "vector")["index_type"] == "FLAT"
    assert len(stored_rows(resources["milvus"])) == len(sample_rows(DAYS[1], DAYS[1]))


def test_existing_collection_with_another_metric_is_refused(tmp_path, instance, server):
    with open_client(server.uri, server.token) as c:
        ensure_collection(c, CollectionSpec("news", 384, metric="L2", model="all-MiniLM-L6-v2"))
    resources = server_resources(tmp_path, server)
    result = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAYS[0], instance=instance, resources=resources, raise_on_error=False
    )
    assert not result.success
    assert "collection 'news' is indexed with metric L2 but COSINE is configured" in step_error(
        result, "milvus_collection"
    )
    assert len(stored_rows(resources["milvus"])) == 0


def test_database_name_selects_a_database(tmp_path, instance, server):
    with open_client(server.uri, server.token) as c:
        c.create_database("newsroom")
    resources = server_resources(tmp_path, server, db_name="newsroom", collection_name="stories")
    result = dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=DAYS[1], instance=instance, resources=resources)
    assert result.success
    assert len(stored_rows(resources["milvus"], ("id",))) == 9
    with open_client(server.uri, server.token) as c:  # the default database stays empty
        assert not c.has_collection("stories")
    with open_client(server.uri, server.token, "newsroom") as c:
        assert describe(c, "stories")["model"] == "all-MiniLM-L6-v2"


def test_a_wrong_token_is_one_clear_error(tmp_path, instance, server, monkeypatch):
    monkeypatch.setenv(TOKEN_VAR, "root:not-the-password")
    resources = server_resources(tmp_path, server)
    result = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAYS[0], instance=instance, resources=resources, raise_on_error=False
    )
    assert not result.success
    message = step_error(result, "embeddings")
    assert f"Milvus at {server.uri}" in message
    assert "not-the-password" not in message
