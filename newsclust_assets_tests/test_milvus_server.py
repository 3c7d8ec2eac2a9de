"""The graph against a real Milvus gRPC server (``milvus-lite server``) at http://127.0.0.1:P:
the same MilvusClient code path a Milvus standalone or Zilliz Cloud uri takes."""

import dagster as dg
import pytest

from newsclust_assets.assets import ALL_ASSETS
from newsclust_assets.vectors.milvus_store import CollectionSpec, ensure_collection, open_client
from newsclust_assets.resources import MilvusResource

from .conftest import DAILY, WINDOWED, make_resources, sample_rows, step_error, stored_rows, write_jsonl
from .milvus_server import MilvusServer

DAYS = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"]  # 51 articles


@pytest.fixture
def milvus_server(tmp_path):
    srv = MilvusServer(tmp_path / "milvus_data").start()
    yield srv
    srv.stop()


def server_resources(tmp, uri, **kwargs):
    resources = make_resources(tmp, write_jsonl(tmp / "news.jsonl", sample_rows(DAYS[0], DAYS[-1])))
    resources["milvus"] = MilvusResource(uri=uri, **kwargs)
    return resources


def materialize_all(resources, instance, raise_on_error=True):
    results = [dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=d, instance=instance,
                              resources=resources, raise_on_error=raise_on_error) for d in DAYS]
    results.append(dg.materialize(ALL_ASSETS, selection=WINDOWED, partition_key=DAYS[-1], instance=instance,
                                  resources=resources, raise_on_error=raise_on_error))
    return results


def test_graph_on_a_server_survives_a_restart_and_reruns(tmp_path, instance, milvus_server):
    resources = server_resources(tmp_path, milvus_server.uri)
    first = materialize_all(resources, instance)
    assert all(r.success for r in first)
    stored = stored_rows(resources["milvus"])
    assert len(stored) == 51 and stored["id"].is_unique
    labels = first[-1].output_for_node("cluster_labels")
    assert len(labels) == 51
    knn_meta = first[-1].asset_materializations_for_node("knn_distances")[0].metadata
    assert knn_meta["knn_method"].value == "milvus"  # a server searches itself
    store_meta = first[0].asset_materializations_for_node("milvus_collection")[0].metadata
    assert store_meta["uri"].value == milvus_server.uri

    milvus_server.stop()
    down = dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=DAYS[0], instance=instance,
                          resources=resources, raise_on_error=False)
    assert not down.success
    message = step_error(down, "embeddings")  # the first step that opens Milvus
    assert f"cannot connect to Milvus at {milvus_server.uri}" in message
    assert "Check that the server is running" in message

    milvus_server.start()
    after_restart = stored_rows(resources["milvus"])
    assert sorted(after_restart["id"]) == sorted(stored["id"])  # no row lost
    again = materialize_all(resources, instance)
    assert all(r.success for r in again)
    stored_again = stored_rows(resources["milvus"])
    assert len(stored_again) == 51 and stored_again["id"].is_unique
    relabelled = again[-1].output_for_node("cluster_labels")
    assert relabelled["id"].tolist() == labels["id"].tolist()
    assert relabelled["label"].tolist() == labels["label"].tolist()


def test_existing_collection_with_another_metric_is_refused(tmp_path, instance, milvus_server):
    with open_client(milvus_server.uri) as c:
        ensure_collection(c, CollectionSpec("news", 384, metric="L2", model="all-MiniLM-L6-v2"))
    resources = server_resources(tmp_path, milvus_server.uri)
    result = dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=DAYS[0], instance=instance,
                            resources=resources, raise_on_error=False)
    assert not result.success
    assert "collection 'news' is indexed with metric L2 but COSINE is configured" in step_error(
        result, "milvus_collection")
    assert len(stored_rows(resources["milvus"])) == 0


def test_database_name_selects_a_database(tmp_path, instance, milvus_server):
    with open_client(milvus_server.uri) as c:
        c.create_database("newsroom")
    resources = server_resources(tmp_path, milvus_server.uri, db_name="newsroom", collection_name="stories")
    result = dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=DAYS[1], instance=instance,
                            resources=resources)
    assert result.success
    assert len(stored_rows(resources["milvus"], ("id",))) == 9
    with open_client(milvus_server.uri) as c:  # the default database stays empty
        assert not c.has_collection("stories")
