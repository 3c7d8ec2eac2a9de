"""Each asset check, run for real inside dagster.materialize, shown failing on bad data."""

import contextlib

import dagster as dg
import pytest

from newsclust_assets.resources import MilvusResource
from newsclust_assets.vectors.milvus_store import CollectionSpec, ensure_collection, open_client

from .conftest import ALL_ASSETS, DAILY, make_resources, sample_rows, write_jsonl


def check(result, name):
    found = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    assert found, f"check {name} did not run"
    return found[-1]


def test_dimension_check_fails_and_blocks_the_write(tmp_path, instance):
    resources = make_resources(tmp_path)
    with open_client(resources["milvus"].uri) as c:
        ensure_collection(c, CollectionSpec("news", 8, model="all-MiniLM-L6-v2"))
    result = dg.materialize(
        ALL_ASSETS,
        selection=DAILY,
        partition_key="2024-03-02",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not result.success
    evaluation = check(result, "dimension_matches_collection")
    assert not evaluation.passed
    assert evaluation.metadata["vector_dimension"].value == 384
    assert evaluation.metadata["collection_dimension"].value == 8
    assert "384-d but collection 'news' holds 8-d" in evaluation.description
    assert result.asset_materializations_for_node("milvus_collection") == []
    with open_client(resources["milvus"].uri) as c:
        c.load_collection("news")
        assert c.query("news", filter="day >= 0", output_fields=["count(*)"])[0]["count(*)"] == 0
    # the store step, run on its own, refuses with both dimensions named
    with pytest.raises(Exception, match="holds 8-d vectors but the embedding model produces 384-d"):
        dg.materialize(
            ALL_ASSETS,
            selection=["milvus_collection"],
            partition_key="2024-03-02",
            instance=instance,
            resources=resources,
        )


class _AutoIdClient:
    """A MilvusClient that writes every row under a fresh id, like the notebook's auto_id=True
    collection: a re-run stores every article again. (Milvus Lite itself collapses inserts
    that repeat a primary key, so repeated *ids* cannot be provoked there; a server keeps them.)"""

    written = 0

    def __init__(self, client):
        self._client = client

    def upsert(self, name, rows, **kw):
        fresh = []
        for row in rows:
            _AutoIdClient.written += 1
            fresh.append({**row, "id": f"auto-{_AutoIdClient.written}"})
        return self._client.insert(name, fresh, **kw)

    def __getattr__(self, item):
        return getattr(self._client, item)


class AutoIdMilvus(MilvusResource):
    @contextlib.contextmanager
    def client(self):
        with super().client() as c:
            yield _AutoIdClient(c)


def test_duplicate_check_fails_when_a_rerun_stores_articles_again(tmp_path, instance):
    resources = make_resources(tmp_path)
    first = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key="2024-03-01", instance=instance, resources=resources
    )
    assert check(first, "no_duplicate_ids_for_day").passed
    resources["milvus"] = AutoIdMilvus(uri=str(tmp_path / "milvus.db"))
    second = dg.materialize(
        ALL_ASSETS,
        selection=DAILY,
        partition_key="2024-03-01",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    evaluation = check(second, "no_duplicate_ids_for_day")
    assert not evaluation.passed
    assert evaluation.metadata["rows_for_day"].value == 14
    assert evaluation.metadata["expected"].value == 7
    assert evaluation.metadata["unexpected_ids"].value == 7
    assert evaluation.metadata["missing_ids"].value == 0


def test_labelled_check_fails_when_window_grew_after_knn(tmp_path, instance):
    rows = sample_rows("2024-03-01", "2024-03-03")
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    resources = make_resources(tmp_path, source)
    for day in ("2024-03-01", "2024-03-02", "2024-03-03"):
        dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=day, instance=instance, resources=resources)
    knn = dg.materialize(
        ALL_ASSETS,
        selection=["knn_distances", "cluster_labels"],
        partition_key="2024-03-03",
        instance=instance,
        resources=resources,
    )
    assert check(knn, "every_article_labelled").passed
    # a late article arrives for 03-02 and is stored; knn_distances for 03-03 is now stale
    rows.append(
        {
            "headline": "Late wire story about the harbor strike",
            "short_description": "Filed late.",
            "date": "2024-03-02",
            "link": "https://news.example.com/late",
            "category": "U.S. NEWS",
        }
    )
    write_jsonl(source, rows)
    dg.materialize(ALL_ASSETS, selection=DAILY, partition_key="2024-03-02", instance=instance, resources=resources)
    stale = dg.materialize(
        ALL_ASSETS,
        selection=["cluster_labels"],
        partition_key="2024-03-03",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    evaluation = check(stale, "every_article_labelled")
    assert not evaluation.passed
    assert evaluation.metadata["unlabelled"].value == 1
    assert evaluation.metadata["articles_in_milvus_window"].value == len(rows)
    assert "knn_distances is stale" in evaluation.description


def test_noise_check_warns_above_bound(tmp_path, instance):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-01", "2024-03-02"))
    resources = make_resources(tmp_path, source)
    for day in ("2024-03-01", "2024-03-02"):
        dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=day, instance=instance, resources=resources)
    ok = dg.materialize(
        ALL_ASSETS,
        selection=["knn_distances", "cluster_labels"],
        partition_key="2024-03-02",
        instance=instance,
        resources=resources,
    )
    assert check(ok, "noise_share_below_bound").passed
    strict = {"ops": {"cluster_labels": {"config": {"min_cluster_size": 50, "max_noise_share": 0.5}}}}
    noisy = dg.materialize(
        ALL_ASSETS,
        selection=["cluster_labels"],
        partition_key="2024-03-02",
        instance=instance,
        resources=resources,
        run_config=strict,
    )
    evaluation = check(noisy, "noise_share_below_bound")
    assert noisy.success  # a warning, not a failure
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["noise_share"].value == 1.0
    assert evaluation.metadata["max_noise_share"].value == 0.5


def test_empty_day_and_empty_window_materialize_cleanly(tmp_path, instance):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-14", "2024-03-14"))
    resources = make_resources(tmp_path, source)
    dg.materialize(ALL_ASSETS, selection=DAILY, partition_key="2024-03-14", instance=instance, resources=resources)
    empty_day = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key="2024-03-01", instance=instance, resources=resources
    )
    assert len(empty_day.output_for_node("raw_news")) == 0
    assert empty_day.output_for_node("embeddings").vectors.shape == (0, 384)
    assert all(e.passed for e in empty_day.get_asset_check_evaluations())
    window = dg.materialize(
        ALL_ASSETS,
        selection=["knn_distances", "cluster_labels", "stories", "umap_plot"],
        partition_key="2024-03-01",
        instance=instance,
        resources=resources,
    )
    assert window.output_for_node("knn_distances").n == 0
    assert len(window.output_for_node("cluster_labels")) == 0
    plot = window.asset_materializations_for_node("umap_plot")[0].metadata
    assert plot["points"].value == 0 and plot["clusters"].value == 0
    assert all(e.passed for e in window.get_asset_check_evaluations())
