"""`newsclust run` end to end in real processes: the shared 10k file by configuration
alone, two runs at once against one Milvus Lite directory (as a backfill does), and the
production setup (embedding endpoint + Milvus server) by environment variables alone."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsclust_assets.vectors.milvus_store import count_rows, describe, open_client

from .conftest import REPO, sample_rows, write_jsonl
from .openai_compatible_server import EmbeddingServer
from .servers import STANDALONE, MilvusStandalone


def newsclust(tmp, *args, env=None, wait=True):
    full_env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    full_env.update({"NEWSCLUST_DATA_DIR": str(tmp), "PYTHONWARNINGS": "ignore", **(env or {})})
    cmd = [sys.executable, "-m", "newsclust_assets.cli", "run", *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=REPO, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_shared_dataset_backfill_by_configuration(tmp_path, shared_news):
    out = newsclust(
        tmp_path,
        "--first",
        "2022-09-01",
        "--last",
        "2022-09-23",
        "--windows",
        "last",
        "--json",
        str(tmp_path / "summary.json"),
        env={"NEWSCLUST_SOURCE": str(shared_news), "NEWSCLUST_WINDOW_DAYS": "30"},
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    rows = [json.loads(line) for line in shared_news.read_text().splitlines()]
    expected = len({r["link"] for r in rows if "2022-09-01" <= r["date"] <= "2022-09-23"})
    assert summary["articles"] == expected
    assert summary["window"] == "2022-08-25..2022-09-23"
    assert summary["clusters"] >= 2
    assert 0 <= summary["noise_share"] < 1
    assert -1 <= summary["ari_all"] <= 1 and 0 <= summary["nmi_all"] <= 1
    assert f"map: {summary['map']}" in out and os.path.getsize(summary["map"]) < 200_000
    assert [p.suffix for p in (tmp_path / "maps").iterdir()].count(".js") == 1  # plotly.js once, beside the map
    assert any(line.strip().startswith("days 23/23") for line in out.splitlines())  # progress per chunk
    assert "summary: " in out and "clusters" in out
    # the largest story's page is named, and exists
    assert f"story page: {summary['story_page']} (the largest story; {summary['story_pages']} story pages there)" in out
    assert summary["story_pages"] >= summary["clusters"] and "<li data-id=" in Path(summary["story_page"]).read_text()


def test_long_stretches_without_news_are_left_alone(tmp_path):
    """``newsclust run`` leaves unmaterialized a stretch of EMPTY_STRETCH_DAYS or more days
    with no article and nothing stored (a long range of a sparse source is mostly that), says
    so, and leaves it alone again on a re-run; shorter gaps are stored with their range."""
    from newsclust_assets.runs.planning import EMPTY_STRETCH_DAYS

    rows = sample_rows("2024-03-01", "2024-03-02")
    late = [{**r, "date": "2024-04-20"} for r in sample_rows("2024-03-03", "2024-03-03")]
    source = write_jsonl(tmp_path / "news.jsonl", rows + late)
    env = {"NEWSCLUST_SOURCE": str(source)}
    out = newsclust(tmp_path, "--windows", "last", "--json", str(tmp_path / "s.json"), env=env)
    quiet = 48  # 03-03..04-19
    summary = json.loads((tmp_path / "s.json").read_text())
    assert quiet >= EMPTY_STRETCH_DAYS and summary["empty_days_left_alone"] == quiet
    assert summary["days_stored"] == 3 and summary["articles"] == len(late)  # the last window: 04-20 alone
    assert f"{quiet} days in stretches of {EMPTY_STRETCH_DAYS}+ days without an article" in out
    with open_client(str(tmp_path / "milvus.db")) as client:
        client.load_collection("news")
        assert count_rows(client, "news") == len(rows) + len(late)
    newsclust(tmp_path, "--windows", "last", "--json", str(tmp_path / "s.json"), env=env)
    again = json.loads((tmp_path / "s.json").read_text())
    assert (again["days_stored"], again["empty_days_left_alone"], again["windows_clustered"]) == (0, quiet, 0)


def test_concurrent_runs_share_one_milvus_lite_directory(tmp_path):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-01", "2024-03-06"))
    env = {"NEWSCLUST_SOURCE": str(source)}
    homes = [tmp_path / "home_a", tmp_path / "home_b"]  # one Dagster home each; one shared Milvus Lite
    for home in homes:
        home.mkdir()
    procs = [
        newsclust(
            tmp_path,
            "--first",
            first,
            "--last",
            last,
            "--windows",
            "last",
            wait=False,
            env={**env, "DAGSTER_HOME": str(home)},
        )
        for (first, last), home in zip([("2024-03-01", "2024-03-03"), ("2024-03-04", "2024-03-06")], homes)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, out[-2000:] + err[-3000:]
        assert "summary: " in out
    with open_client(str(tmp_path / "milvus.db")) as c:
        c.load_collection("news")
        total = c.query("news", filter="day >= 0", output_fields=["count(*)"])[0]["count(*)"]
    assert total == len(sample_rows("2024-03-01", "2024-03-06"))


@pytest.mark.xdist_group(STANDALONE)
def test_production_setup_by_environment_alone(tmp_path):
    """README's production example: an OpenAI-compatible endpoint and a Milvus server with
    authorization on (Milvus 2.3.5 standalone), chosen by environment variables only, in a
    separate process (the path a deployment takes): the token reaches planning, the runs and
    the other commands, and never their output."""
    key = "sk-prod-test-KEY-0042"
    endpoint = EmbeddingServer(dim=1024, model="Qwen/Qwen3-Embedding-0.6B", api_key=key)
    server = MilvusStandalone(tmp_path / "milvus_server", auth=True).start()
    try:
        source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-01", "2024-03-05"))
        env = {
            "NEWSCLUST_SOURCE": str(source),
            "NEWSCLUST_EMBEDDING_BASE_URL": endpoint.url,
            "NEWSCLUST_EMBEDDING_MODEL": "Qwen/Qwen3-Embedding-0.6B",
            "NEWSCLUST_EMBEDDING_DIMENSIONS": "256",
            "NEWSCLUST_EMBEDDING_BATCH_SIZE": "8",
            "NEWSCLUST_EMBEDDING_API_KEY": key,
            "NEWSCLUST_MILVUS_URI": server.uri,
            "NEWSCLUST_MILVUS_TOKEN": server.token,
            "NEWSCLUST_MILVUS_COLLECTION": "prod_news",
        }
        out = newsclust(tmp_path, "--windows", "last", "--json", str(tmp_path / "summary.json"), env=env)
        summary = json.loads((tmp_path / "summary.json").read_text())
        assert summary["articles"] == 51 and summary["clusters"] >= 1
        assert key not in out
        # one range run embeds the five days (7, 9, 10, 11 and 14 articles) together: ceil(51 / 8)
        # full batches, not ceil(n / 8) per day (1 + 2 + 2 + 2 + 2 = 9)
        assert len(endpoint.requests) == 7
        assert {r["auth"] for r in endpoint.requests} == {f"Bearer {key}"}
        assert {r["body"]["dimensions"] for r in endpoint.requests} == {256}
        again = newsclust(tmp_path, "--windows", "last", env=env)  # planning reads the server with the token
        assert "already stored from the same articles: skipped" in again and server.token not in again
        outs = {}
        for args in (["prune"], ["story-search", "election"]):
            proc = subprocess.run(
                [sys.executable, "-m", "newsclust_assets.cli", *args],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "NEWSCLUST_DATA_DIR": str(tmp_path), "PYTHONWARNINGS": "ignore", **env},
            )
            assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
            assert server.token not in proc.stdout + proc.stderr
            outs[args[0]] = proc.stdout
        assert "every stored article is of a day in the source's 2024-03-01..2024-03-05" in outs["prune"]
        assert "no story store" not in outs["story-search"] and outs["story-search"].strip()
        with open_client(server.uri, server.token) as c:
            info = describe(c, "prod_news")
            c.load_collection("prod_news")
            total = count_rows(c, "prod_news")
        assert info == {"dimension": 256, "metric": "COSINE", "model": "Qwen/Qwen3-Embedding-0.6B"}
        assert total == 51
        assert not (tmp_path / "milvus.db").exists()  # no Milvus Lite fallback
    finally:
        server.kill()
        endpoint.close()
