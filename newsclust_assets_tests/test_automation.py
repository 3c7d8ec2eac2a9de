"""The news-source sensor: what it requests, evaluated with Dagster's testing helpers, and
the daemon-free path end to end (each run request executed as the daemon would run it)."""

import uuid

import dagster as dg

from newsclust_assets.automation import SENSOR_TAG, build_sensor
from newsclust_assets.resources import NewsSourceResource
from newsclust_assets.runs.planning import chunks, content_matches, stale_source_days

from .conftest import ALL_ASSETS, CALENDAR, make_resources, quiet_instance, sample_rows, write_jsonl

DAYS = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]


def test_the_sensor_plans_with_the_run_engines_planner():
    """The sensor's question (which days of the file are not up to date) is answered in
    runs/planning.py, with the content rule newsclust run uses and the same chunker."""
    hashes = {"2024-03-01": "a", "2024-03-02": "b", "2024-03-04": "d"}
    partitions = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"]
    assert stale_source_days(hashes, {}, {}, partitions) == partitions[:4]  # the empty 03 keeps the chain whole
    raw = {
        "2024-03-01": (10, {"content_hash": "a"}),
        "2024-03-02": (11, {"content_hash": "old"}),
        "2024-03-03": (12, {"content_hash": "e"}),
        "2024-03-04": (13, {"content_hash": "d"}),
    }
    stories = {"2024-03-01": (20, {}), "2024-03-02": (21, {}), "2024-03-03": (5, {}), "2024-03-04": (30, {})}
    # 02 was edited in the file, 03's stories are older than its raw_news; 05 has no news yet
    assert stale_source_days(hashes, raw, stories, partitions) == ["2024-03-02", "2024-03-03"]
    assert chunks(["2024-03-01", "2024-03-02", "2024-03-04"], {}, 62, 1)[0] == ["2024-03-01", "2024-03-02"]
    assert chunks(["2024-03-01", "2024-03-02", "2024-03-03"], {}, 2, 1)[0] == ["2024-03-01", "2024-03-02"]
    assert content_matches((1, {"content_hash": "a"}), "a") and not content_matches((1, {"content_hash": "a"}), "b")
    assert content_matches((1, {}), None) and not content_matches(None, None)  # no news that day: stored is enough


def _tick(instance, source):
    context = dg.build_sensor_context(
        instance=instance, resources={"news_source": NewsSourceResource(path=str(source))}
    )
    return build_sensor(CALENDAR)(context)


def _execute(request, instance, resources):
    """What the daemon does with a run request: one run of the sensor's target with its tags."""
    result = dg.materialize(
        ALL_ASSETS, instance=instance, resources=resources, tags={**request.tags, "dagster/run_key": request.run_key}
    )
    assert result.success
    return result


def test_sensor_materializes_new_and_edited_days_in_order(tmp_path):
    rows = sample_rows(DAYS[0], DAYS[-1])
    source = write_jsonl(tmp_path / "news.jsonl", [r for r in rows if r["date"] <= DAYS[2]])
    resources = make_resources(tmp_path, source)
    (tmp_path / "home").mkdir()
    with quiet_instance(tmp_path / "home") as instance:
        request = _tick(instance, source)
        assert isinstance(request, dg.RunRequest)
        assert (
            request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"],
        ) == (DAYS[0], DAYS[2])  # the file's days, not the empty partitions after them
        assert request.tags[SENSOR_TAG] == "news_source_sensor"
        first = _execute(request, instance, resources)
        assert {m.partition for m in first.asset_materializations_for_node("stories")} == set(DAYS[:3])
        skip = _tick(instance, source)
        assert isinstance(skip, dg.SkipReason) and "every day of the news file is materialized" in skip.skip_message

        # the next day's news arrives: only that day is requested, and its stories continue the day before
        write_jsonl(source, rows)
        request = _tick(instance, source)
        assert (
            request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"],
        ) == (DAYS[3], DAYS[3])
        new_day = _execute(request, instance, resources)
        meta = new_day.asset_materializations_for_node("stories")[0].metadata
        assert meta["previous_day"].value == DAYS[2]
        # the map and the timeline: one value each, now the new day's
        for asset in ("umap_plot", "story_timeline"):
            (made,) = new_day.asset_materializations_for_node(asset)
            assert made.partition is None and made.metadata["day"].value == DAYS[3]
        assert made.metadata["path"].value.endswith(f"story_timeline_{DAYS[3]}.html")

        # an edited past day is requested again
        edited = next(r for r in rows if r["date"] == DAYS[1])
        write_jsonl(source, [{**r, "headline": "Edited: " + r["headline"]} if r is edited else r for r in rows])
        request = _tick(instance, source)
        assert (
            request.tags["dagster/asset_partition_range_start"]
            == request.tags["dagster/asset_partition_range_end"]
            == DAYS[1]
        )

        # while the sensor's own run is still going, it waits: stories must continue from a finished day
        instance.add_run(
            dg.DagsterRun(
                job_name="__ASSET_JOB",
                run_id=str(uuid.uuid4()),
                status=dg.DagsterRunStatus.STARTED,
                tags={SENSOR_TAG: "news_source_sensor", **request.tags},
            )
        )
        waiting = _tick(instance, source)
        assert isinstance(waiting, dg.SkipReason) and waiting.skip_message.startswith("waiting for run")


def test_sensor_is_on_the_code_location():
    from newsclust_assets.definitions import defs

    loaded = defs()
    sensor = loaded.resolve_sensor_def("news_source_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED  # turned on by the user (README)
    job = loaded.resolve_job_def(sensor.job_name)  # the sensor's target: every asset
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == {
        a.key.to_user_string() for a in ALL_ASSETS
    }
