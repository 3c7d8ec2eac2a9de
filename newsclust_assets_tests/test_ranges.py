"""Range runs: one Dagster run materializes many day partitions (the assets' backfill
policies), and stores exactly what one run per day stores. ``newsclust run`` resumes."""

from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from newsclust_assets.event_storage import CachedEngineSqliteEventLogStorage
from newsclust_assets.runs.engine import run
from newsclust_assets.runs.planning import chunks
from newsclust_assets.vectors.milvus_store import QUERY_FIELDS

from .conftest import ALL_ASSETS, DAILY, make_resources, md, quiet_instance, sample_rows, stored_rows, write_jsonl

DAYS = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05", "2024-03-06"]
FIELDS = [*QUERY_FIELDS, "vector"]


def _instance(path):
    path.mkdir(parents=True, exist_ok=True)
    return quiet_instance(path)


def _range(first, last):
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def _rows(resources) -> pd.DataFrame:
    return stored_rows(resources["milvus"], fields=FIELDS).sort_values("id").reset_index(drop=True)


def _assert_same_rows(a: pd.DataFrame, b: pd.DataFrame):
    assert list(a["id"]) == list(b["id"])
    for column in QUERY_FIELDS:
        assert list(a[column]) == list(b[column]), column
    # batches of other lengths pad differently: the same vectors up to float32 rounding
    np.testing.assert_allclose(np.stack(a["vector"]), np.stack(b["vector"]), atol=1e-5)


def _day_meta(instance, asset, key) -> dict:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1
    ).records
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


def test_range_run_stores_exactly_what_per_day_runs_store(tmp_path):
    rows = sample_rows(DAYS[0], DAYS[-1])
    rows.append(
        {**next(r for r in rows if r["date"] == DAYS[0]), "date": DAYS[2]}
    )  # the same article again two days later: stored once, on its first day
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    per_day = make_resources(tmp_path / "per_day", source)
    ranged = make_resources(tmp_path / "ranged", source)
    with _instance(tmp_path / "h1") as i1, _instance(tmp_path / "h2") as i2:
        for key in DAYS:
            assert dg.materialize(
                ALL_ASSETS, selection=DAILY, partition_key=key, instance=i1, resources=per_day
            ).success
        result = dg.materialize(
            ALL_ASSETS, selection=DAILY, instance=i2, resources=ranged, tags=_range(DAYS[0], DAYS[-1])
        )
        assert result.success
        assert len(i2.get_runs()) == 1  # one run for six days
        a, b = _rows(per_day), _rows(ranged)
        assert len(b) == len({r["link"] for r in rows})
        _assert_same_rows(a, b)
        # every day got its own materialization with its own metadata, as a per-day run records it
        for asset in DAILY:
            assert i2.get_materialized_partitions(dg.AssetKey(asset)) == set(DAYS)
        for key in DAYS:
            one, many = _day_meta(i1, "raw_news", key), _day_meta(i2, "raw_news", key)
            for field in ("dagster/row_count", "content_hash", "skipped_cross_day_duplicates"):
                assert one[field] == many[field], (key, field)
            assert _day_meta(i2, "milvus_collection", key)["rows_for_day"] == one["dagster/row_count"]
        assert _day_meta(i2, "raw_news", DAYS[2])["skipped_cross_day_duplicates"] == 1
        checks = [e for e in result.get_asset_check_evaluations()]
        assert {c.check_name for c in checks} == {"dimension_matches_collection", "no_duplicate_ids_for_day"}
        assert all(c.passed for c in checks)

        # re-running the range adds nothing
        again = dg.materialize(
            ALL_ASSETS, selection=DAILY, instance=i2, resources=ranged, tags=_range(DAYS[0], DAYS[-1])
        )
        assert all(_day_meta(i2, "milvus_collection", k)["rows_new"] == 0 for k in DAYS)
        assert again.success and len(_rows(ranged)) == len(b)

        # the source changes: one article gone from day 2, one headline edited on day 4
        gone = next(r for r in rows if r["date"] == DAYS[1])
        edited = next(r for r in rows if r["date"] == DAYS[3])
        changed = [r for r in rows if r is not gone]
        changed = [{**r, "headline": r["headline"] + " (updated)"} if r is edited else r for r in changed]
        write_jsonl(source, changed)
        dg.materialize(ALL_ASSETS, selection=DAILY, instance=i2, resources=ranged, tags=_range(DAYS[0], DAYS[-1]))
        for key in DAYS:
            dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=key, instance=i1, resources=per_day)
        a, b = _rows(per_day), _rows(ranged)
        _assert_same_rows(a, b)
        assert len(b) == len(a) == len({r["link"] for r in changed})
        assert _day_meta(i2, "milvus_collection", DAYS[1])["rows_deleted_stale"] == 1
        assert (b["headline"] == edited["headline"] + " (updated)").sum() == 1


def test_windowed_range_run_gives_each_day_its_window(tmp_path):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(DAYS[0], DAYS[-1]))
    resources = make_resources(tmp_path, source)
    with _instance(tmp_path / "home") as instance:
        dg.materialize(
            ALL_ASSETS, selection=DAILY, instance=instance, resources=resources, tags=_range(DAYS[0], DAYS[-1])
        )
        ranged = dg.materialize(
            ALL_ASSETS,
            selection=["knn_distances", "cluster_labels"],
            instance=instance,
            resources=resources,
            tags=_range(DAYS[2], DAYS[-1]),
        )
        assert ranged.success
        mats = ranged.asset_materializations_for_node("cluster_labels")
        assert sorted(m.partition for m in mats) == DAYS[2:]
        expected_sizes = (
            pd.Series([r["date"] for r in sample_rows(DAYS[0], DAYS[-1])]).value_counts().sort_index().cumsum()
        )
        for m in mats:
            meta = {k: v.value for k, v in m.metadata.items()}
            assert meta["window"].endswith(f"..{m.partition}")
            assert meta["dagster/row_count"] == expected_sizes[m.partition]  # window of 30 days: every day so far
            labels = pd.read_csv(meta["labels_csv"])
            assert len(labels) == meta["dagster/row_count"]
        # a one-day run of the last window gives the same labels as the range run did
        csv = pd.read_csv(tmp_path / "labels" / f"labels_{DAYS[-1]}.csv")
        single = dg.materialize(
            ALL_ASSETS,
            selection=["knn_distances", "cluster_labels"],
            partition_key=DAYS[-1],
            instance=instance,
            resources=resources,
        )
        pd.testing.assert_frame_equal(csv, pd.read_csv(tmp_path / "labels" / f"labels_{DAYS[-1]}.csv"))
        assert single.success
        checks = ranged.get_asset_check_evaluations()
        assert {c.check_name: c.passed for c in checks} == {
            "every_article_labelled": True,
            "noise_share_below_bound": True,
        }
        assert checks[0].metadata["windows_checked"].value == 4

        # stories over the range in one run carry the same ids as one run per day, in order
        story_range = dg.materialize(
            ALL_ASSETS, selection=["stories"], instance=instance, resources=resources, tags=_range(DAYS[2], DAYS[-1])
        )
        assert story_range.success
        store = tmp_path / "stories"
        ranged_csv = {d: pd.read_csv(store / f"story_articles_{d}.csv") for d in DAYS[2:]}
        first_meta = _day_meta(instance, "stories", DAYS[2])
        assert first_meta["previous_day"].startswith("none") and first_meta["born"] == first_meta["active"] > 0
        assert _day_meta(instance, "stories", DAYS[3])["previous_day"] == DAYS[2]
        for d in DAYS[2:]:
            assert dg.materialize(
                ALL_ASSETS, selection=["stories"], partition_key=d, instance=instance, resources=resources
            ).success
            pd.testing.assert_frame_equal(ranged_csv[d], pd.read_csv(store / f"story_articles_{d}.csv"))
        # ids persist: an article keeps its first story id from day to day
        last = ranged_csv[DAYS[-1]].set_index("id")["first_story"]
        earlier = ranged_csv[DAYS[2]].set_index("id")["first_story"]
        shared = earlier.index.intersection(last.index)
        assert len(shared) > 10 and (last[shared] == earlier[shared]).all()


def test_newsclust_run_resumes_and_redoes_only_what_changed(tmp_path):
    rows = sample_rows(DAYS[0], DAYS[-1])
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    resources = make_resources(tmp_path, source)
    lines = []
    with _instance(tmp_path / "home") as instance:
        first = run(DAYS[0], DAYS[-1], instance=instance, resources=resources, log=lines.append)
        assert (first["days_stored"], first["windows_clustered"]) == (6, 6)
        assert any(line.strip().startswith("days 6/6") and "articles/s" in line for line in lines)
        maps = sorted(p.name for p in (tmp_path / "maps").iterdir())
        assert maps[0] == f"newsclust_map_{DAYS[-1]}.html" and len(maps) == 2  # the last map + plotly.js
        runs = len(instance.get_runs())
        assert runs == 5  # one daily range, one window range, one stories range, one map, one timeline
        assert first["story_days"] == 6 and first["stories"]["days"] == 6
        assert first["timeline"].endswith(f"story_timeline_{DAYS[-1]}.html")

        again = run(DAYS[0], DAYS[-1], instance=instance, resources=resources, log=lines.append)
        assert (again["days_stored"], again["windows_clustered"], again["story_days"]) == (0, 0, 0)
        assert len(instance.get_runs()) == runs  # nothing to do: no run at all
        assert (again["articles"], again["clusters"], again["map"]) == (
            first["articles"],
            first["clusters"],
            first["map"],
        )

        edited = next(r for r in rows if r["date"] == DAYS[3])
        write_jsonl(source, [{**r, "headline": "Edited: " + r["headline"]} if r is edited else r for r in rows])
        changed = run(DAYS[0], DAYS[-1], instance=instance, resources=resources, log=lines.append)
        # day 4 is stored again, the windows that hold it (days 4..6) are clustered again, and
        # their stories are redone in order
        assert (changed["days_stored"], changed["windows_clustered"], changed["story_days"]) == (1, 3, 3)
        assert (
            stored_rows(resources["milvus"], ("id", "headline"))["headline"] == "Edited: " + edited["headline"]
        ).sum() == 1

        other = run(
            DAYS[0],
            DAYS[-1],
            instance=instance,
            resources=resources,
            log=lines.append,
            asset_config={"cluster_labels": {"similarity_threshold": 0.4}},
        )
        assert (other["days_stored"], other["windows_clustered"]) == (0, 6)  # new settings: every window

        forced = run(
            DAYS[0], DAYS[-1], instance=instance, resources=resources, log=lines.append, force=True, maps="all"
        )
        assert (forced["days_stored"], forced["windows_clustered"]) == (6, 6)
        assert len(list((tmp_path / "maps").glob("*.html"))) == 6
        assert len(stored_rows(resources["milvus"])) == len(rows)


def test_chunks_cut_at_gaps_and_limits():
    keys = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05", "2024-01-06"]
    assert chunks(keys, {}, 10, 100) == [keys[:3], keys[3:]]
    assert chunks(keys, {}, 2, 100) == [keys[:2], keys[2:3], keys[3:]]
    weights = {"2024-01-01": 5, "2024-01-02": 5, "2024-01-03": 50}
    assert chunks(keys[:3], weights, 10, 20) == [keys[:2], keys[2:3]]  # a day over the limit runs alone


@pytest.fixture
def s3_bucket(monkeypatch):
    """An S3-compatible server on 127.0.0.1 (moto's server mode, as Dagster's own S3 tests use)
    with one bucket; the AWS variables point every client at it, as a deployment would point
    them at S3 or MinIO. Yields the bucket's URL."""
    import boto3
    import s3fs
    from moto.server import ThreadedMotoServer

    from newsclust_assets.local_servers.milvus_standalone import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(Bucket="newsclust-test")
    # fsspec keeps one S3FileSystem per set of options, made with the endpoint of its time:
    # one from an earlier test's server (another port) must not answer for this one
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        yield "s3://newsclust-test"
    finally:
        server.stop()
        s3fs.S3FileSystem.clear_instance_cache()


@pytest.mark.parametrize("store", ["memory", "s3"])
def test_values_pass_through_any_fsspec_url(tmp_path, store, request, monkeypatch):
    """The IO manager is Dagster's public UPathIOManager: with ``base_dir`` an fsspec URL (the
    in-process ``memory://`` filesystem, and ``s3://`` on an S3-compatible server) a range run
    writes one file per day there and nothing on the local disk, and a one-day run reads its
    day back from it. The s3 case is configured as users do it, by NEWSCLUST_IO_BASE_URL."""
    import uuid

    import fsspec

    from newsclust_assets.ranges import range_pickle_io_manager

    root = request.getfixturevalue("s3_bucket") if store == "s3" else f"memory://newsclust-{uuid.uuid4().hex[:8]}"
    base = f"{root}/io"
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(DAYS[0], DAYS[2]))
    resources = make_resources(tmp_path / "r", source)
    if store == "s3":
        from newsclust_assets.environment import default_resources

        monkeypatch.setenv("NEWSCLUST_IO_BASE_URL", base)
        resources["io_manager"] = default_resources()["io_manager"]
    else:
        resources["io_manager"] = range_pickle_io_manager.configured({"base_dir": base})
    fs, path = fsspec.core.url_to_fs(base)
    with _instance(tmp_path / "h") as instance:
        result = dg.materialize(
            ALL_ASSETS, selection=DAILY, instance=instance, resources=resources, tags=_range(DAYS[0], DAYS[2])
        )
        assert result.success and len(instance.get_runs()) == 1
        for asset in ("raw_news", "embeddings"):
            stored = sorted(p.rstrip("/").rsplit("/", 1)[1] for p in fs.ls(f"{path}/{asset}", detail=False))
            assert stored == DAYS[:3], asset
        local = Path(instance.storage_directory())  # where the default base_dir would have put them
        assert local.is_relative_to(tmp_path) and not any(local.rglob("2024-03-0*"))
        # one day alone: its embeddings come back from the store, and Milvus keeps one row per article
        before = len(_rows(resources))
        again = dg.materialize(
            ALL_ASSETS, selection=["milvus_collection"], partition_key=DAYS[1], instance=instance, resources=resources
        )
        assert again.success and md(again, "milvus_collection")["rows_new"] == 0
        assert len(_rows(resources)) == before
    fs.rm(path, recursive=True)


def test_every_file_people_open_goes_under_one_base_url(tmp_path, s3_bucket, monkeypatch):
    """No state on one machine's disk: with NEWSCLUST_FILES_DIR (and NEWSCLUST_IO_BASE_URL) an
    fsspec URL, every file newsclust writes for people (maps, plotly.js, label CSVs, the story
    registry, story pages, the timeline) goes there, none to the local disk, and a later run
    reads the registry back from there (the timeline of its last day covers every day). The
    news source is read from the store as well (NEWSCLUST_SOURCE an s3:// URL)."""
    import fsspec

    from newsclust_assets.environment import default_resources

    root = s3_bucket  # (the memory:// filesystem works the same; S3 is what a deployment uses)
    monkeypatch.setenv("NEWSCLUST_FILES_DIR", f"{root}/files")
    monkeypatch.setenv("NEWSCLUST_IO_BASE_URL", f"{root}/io")
    local_source = write_jsonl(tmp_path / "news.jsonl", sample_rows(DAYS[0], DAYS[3]))
    fs, base = fsspec.core.url_to_fs(f"{root}/files")
    source = f"{root}/in/news.jsonl"  # the source itself on the store too, and gone from the disk
    fs.put(str(local_source), fsspec.core.url_to_fs(source)[1])
    local_source.unlink()
    monkeypatch.setenv("NEWSCLUST_SOURCE", source)
    made = default_resources()
    resources = make_resources(tmp_path / "r")
    for name in ("news_source", "maps", "labels_export", "story_store", "io_manager"):
        resources[name] = made[name]
    assert resources["maps"].directory == f"{root}/files/maps" and resources["news_source"].path == source
    with _instance(tmp_path / "h") as instance:
        run(DAYS[0], DAYS[1], windows="all", instance=instance, resources=resources, log=lambda *_: None)
        run(DAYS[0], DAYS[3], windows="all", instance=instance, resources=resources, log=lambda *_: None)
        timeline = instance.fetch_materializations(dg.AssetKey("story_timeline"), limit=1).records[0]
        meta = timeline.asset_materialization.metadata
        map_meta = instance.fetch_materializations(dg.AssetKey("umap_plot"), limit=1).records[0]
        map_url = map_meta.asset_materialization.metadata["url"].value
    names = {p[len(base) + 1 :] for p in fs.find(base)}
    for day in DAYS[:4]:
        assert {f"stories/stories_{day}.csv", f"stories/story_articles_{day}.csv", f"labels/labels_{day}.csv"} <= names
    assert {f"maps/newsclust_map_{DAYS[3]}.html", f"stories/story_timeline_{DAYS[3]}.html"} <= names
    assert [n for n in names if n.startswith("maps/plotly-") and n.endswith(".min.js")]  # one copy, beside the maps
    assert not [n for n in names if n.startswith("stories/plotly-")]
    pages = [n for n in names if n.startswith("stories/pages/story_")]
    assert pages and meta["story_pages_written"].value >= 1
    assert meta["days_shown"].value == 4  # the first run's days read back from the store
    assert meta["url"].value == f"{root}/files/stories/story_timeline_{DAYS[3]}.html"
    assert map_url == f"{root}/files/maps/newsclust_map_{DAYS[3]}.html"
    page = fs.cat(f"{base}/maps/newsclust_map_{DAYS[3]}.html").decode()
    assert 'src="plotly-' in page and '"../stories/pages"' in page  # links that hold on the store
    timeline_page = fs.cat(f"{base}/stories/story_timeline_{DAYS[3]}.html").decode()
    assert 'src="../maps/plotly-' in timeline_page and 'href="pages/story_' in timeline_page
    local = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert not [p for p in local if p.endswith((".html", ".csv", ".js"))], local
    assert len(_rows(resources)) == len(sample_rows(DAYS[0], DAYS[3]))  # every article, read from S3
    from newsclust_assets.ingest.news_source import NewsSourceError, read_articles

    with pytest.raises(NewsSourceError, match=f"^news source file not found: {root}/in/gone.jsonl$"):
        read_articles(f"{root}/in/gone.jsonl")
    fs.rm(fsspec.core.url_to_fs(source)[1])
    fs.rm(f"{base}", recursive=True)


def test_empty_days_get_no_file_of_their_own_and_load_back_empty(tmp_path):
    """A sparse stream is mostly empty days: each is materialized (with its row count only)
    but writes no value file; one file per run names the run's empty days. A day that gains
    articles gets its own file, and loses it again when its articles go."""
    from newsclust_assets.ingest.news_source import content_hash
    from newsclust_assets.runs.planning import content_matches

    by_day = {d: sample_rows(d, d) for d in DAYS}
    source = write_jsonl(tmp_path / "news.jsonl", by_day[DAYS[0]] + by_day[DAYS[1]] + by_day[DAYS[5]])
    resources = make_resources(tmp_path / "r", source)
    with _instance(tmp_path / "h") as instance:
        storage = Path(instance.storage_directory())

        def files(asset):
            return sorted(p.name for p in (storage / asset).iterdir() if p.is_file())

        def materialize(**kwargs):
            result = dg.materialize(ALL_ASSETS, instance=instance, resources=resources, **kwargs)
            assert result.success
            return result

        materialize(selection=DAILY, tags=_range(DAYS[0], DAYS[-1]))
        for asset in ("raw_news", "embeddings"):
            assert files(asset) == [DAYS[0], DAYS[1], DAYS[5]], asset
            assert len(list((storage / asset / "_empty_days").iterdir())) == 1
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(DAYS)
        run_wide = {"run_days", "run_articles", "collection", "uri", "created_collection", "collection_total_rows"}
        run_wide |= {"store_seconds", "model", "dimension", "docs_per_second", "encode_seconds", "requests"}
        run_wide |= {"truncated_texts", "retries"}
        for asset in DAILY:  # an empty day: its row count, and the run's own few numbers
            day = _day_meta(instance, asset, DAYS[3])
            assert day["dagster/row_count"] == 0 and set(day) - run_wide == {"dagster/row_count"}, asset
        assert "content_hash" in _day_meta(instance, "raw_news", DAYS[0])
        assert _day_meta(instance, "raw_news", DAYS[0])["dagster/row_count"] == len(by_day[DAYS[0]])
        # a one-day run downstream of an empty day loads it back as an empty day
        again = materialize(selection=["milvus_collection"], partition_key=DAYS[3])
        assert md(again, "milvus_collection")["run_days"] == 1
        # the resume planner counts an empty day as current while the source has nothing that day
        empty_record = (1, _day_meta(instance, "raw_news", DAYS[3]))
        assert content_matches(empty_record, content_hash(pd.DataFrame()))
        assert not content_matches(empty_record, "f" * 32)  # the source now has articles that day

        # day 4 gains its articles: its own file; then day 2 and day 4 lose theirs: files gone
        write_jsonl(source, by_day[DAYS[0]] + by_day[DAYS[1]] + by_day[DAYS[3]] + by_day[DAYS[5]])
        materialize(selection=DAILY, tags=_range(DAYS[0], DAYS[-1]))
        assert files("embeddings") == [DAYS[0], DAYS[1], DAYS[3], DAYS[5]]
        assert len(_rows(resources)) == sum(len(by_day[d]) for d in (DAYS[0], DAYS[1], DAYS[3], DAYS[5]))
        write_jsonl(source, by_day[DAYS[0]] + by_day[DAYS[5]])
        materialize(selection=DAILY, tags=_range(DAYS[1], DAYS[4]))
        assert files("raw_news") == files("embeddings") == [DAYS[0], DAYS[5]]
        assert len(_rows(resources)) == len(by_day[DAYS[0]]) + len(by_day[DAYS[5]])  # their rows left Milvus
        for day in (DAYS[1], DAYS[3]):
            one = materialize(selection=["milvus_collection"], partition_key=day)
            assert md(one, "milvus_collection")["collection_total_rows"] == len(_rows(resources))


@pytest.mark.parametrize("subset", [True, False])
def test_newsclusts_dagster_home_plans_a_range_in_one_event_per_asset(tmp_path, monkeypatch, subset):
    """The Dagster home newsclust writes records one "materialization planned" event per asset
    and run, naming the run's days (one per asset and day with Dagster's own switch off)."""
    from newsclust_assets.runs.instance import open_instance

    monkeypatch.setenv("NEWSCLUST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    if not subset:
        monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "false")
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(DAYS[0], DAYS[2]))
    resources = make_resources(tmp_path / "r", source)
    with open_instance() as instance:
        assert type(instance.event_log_storage).__name__ == "CachedEngineSqliteEventLogStorage"
        result = dg.materialize(
            ALL_ASSETS, selection=DAILY, instance=instance, resources=resources, tags=_range(DAYS[0], DAYS[2])
        )
        assert result.success
        planned = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        assert len(planned) == (len(DAILY) if subset else 3 * len(DAILY))
        for asset in DAILY:  # every day still gets its own materialization
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(DAYS[:3])


def test_a_steps_materializations_stored_as_one_batch_read_back_as_one_at_a_time(tmp_path, monkeypatch):
    """``newsclust run`` and the code location let Dagster hand a step's materializations to
    the storage in batches (``DAGSTER_EVENT_BATCH_SIZE``); newsclust's SQLite storage then writes
    them in one transaction per file. What the UI and the planner read back must be what
    storing them one at a time gives: every day's materialization, its metadata and tags, and
    the asset's latest event."""
    from newsclust_assets.runs.instance import open_instance

    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(DAYS[0], DAYS[2]))
    seen = {}
    for size in ("0", "1000"):
        monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", size)
        monkeypatch.setenv("NEWSCLUST_DATA_DIR", str(tmp_path / size))
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
        stored = []
        batch = CachedEngineSqliteEventLogStorage.store_event_batch
        monkeypatch.setattr(
            CachedEngineSqliteEventLogStorage,
            "store_event_batch",
            lambda self, events, batch=batch, stored=stored: (
                stored.append(sum(e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION for e in events))
                or batch(self, events)
            ),
        )
        with open_instance() as instance:
            result = dg.materialize(
                ALL_ASSETS,
                selection=DAILY,
                instance=instance,
                resources=make_resources(tmp_path / size, source),
                tags=_range(DAYS[0], DAYS[2]),
            )
            assert result.success
            assert sum(stored) == (3 * len(DAILY) if size == "1000" else 0)  # one batch of 3 days per asset
            views = {}
            for asset in DAILY:
                key = dg.AssetKey(asset)
                assert instance.get_materialized_partitions(key) == set(DAYS[:3])
                latest = instance.get_latest_materialization_event(key)
                assert latest.dagster_event.partition == DAYS[2]
                for day in DAYS[:3]:
                    records = instance.fetch_materializations(
                        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day]), limit=5
                    ).records
                    assert len(records) == 1
                    values = records[0].asset_materialization.metadata
                    views[(asset, day)] = {
                        k: v.value
                        for k, v in values.items()
                        if "second" not in k and not isinstance(v.value, str)  # no timings, no paths
                    }
            seen[size] = views
    assert seen["0"] == seen["1000"] and len(seen["0"]) == 3 * len(DAILY)


def test_empty_stretches_are_runs_of_enough_consecutive_empty_days():
    from newsclust_assets.runs.planning import empty_stretches

    days = [f"2024-01-{d:02d}" for d in range(1, 32)] + [f"2024-02-{d:02d}" for d in range(1, 30)]
    assert empty_stretches(days, set(days[1:32])) == set(days[1:32])  # 31 days
    assert empty_stretches(days, set(days[1:31])) == set()  # 30 days: too short
    assert empty_stretches(days, set(days[1:20]) | set(days[21:40])) == set()  # broken in two
    assert empty_stretches(days[:10] + days[50:], set(days)) == set()  # not consecutive days
    assert empty_stretches(days, set(days), min_days=60) == set(days)


def test_only_values_of_nothing_but_articles_count_as_empty_days():
    """A day without articles may still carry state (the stories' registry, a window's days):
    such values keep their own file, or the next day would load another day's state."""
    import scipy.sparse as sp

    from newsclust_assets.artifacts import EmbeddedDay, WindowGraph
    from newsclust_assets.assets.stories import StoryDay
    from newsclust_assets.ranges import is_empty_day
    from newsclust_assets.stories.tracking import StoryState

    none = pd.DataFrame(columns=["id", "text"])
    assert is_empty_day(none) and not is_empty_day(pd.DataFrame({"id": ["a"]}))
    assert is_empty_day(EmbeddedDay(none, np.zeros((0, 384), np.float32), "m"))
    graph = WindowGraph(none, np.zeros((0, 384), np.float32), sp.csr_matrix((0, 0)), 15, "COSINE", "", "")
    assert not is_empty_day(graph)
    assert not is_empty_day(StoryDay(StoryState(day="2024-03-02"), none, {}))
