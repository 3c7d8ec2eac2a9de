"""Faults from the red-team pass, each with its exact outcome: a clear one-line message or a
counted skip, nothing lost, nothing duplicated. Real processes, real Milvus Lite."""

import dataclasses
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from newsclust_assets.evaluation.cluster_quality import cluster_rows, md_text
from newsclust_assets.ingest.news_source import NewsSourceError, parse_date, read_articles
from newsclust_assets.resources import MilvusResource

from .conftest import (
    ALL_ASSETS,
    CALENDAR,
    DAILY,
    REPO,
    make_resources,
    md,
    sample_rows,
    shared_file,
    step_error,
    stored_rows,
    write_jsonl,
)
from .openai_compatible_server import EmbeddingServer
from .servers import STANDALONE

DAY = "2024-03-03"


def cli(tmp, *args, env=None, **kw):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CI")}
    full_env.update({"NEWSCLUST_DATA_DIR": str(tmp), "PYTHONWARNINGS": "ignore", **(env or {})})
    return subprocess.Popen(
        [sys.executable, "-m", "newsclust_assets.cli", *args],
        cwd=REPO,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def finish(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


# 1 -------------------------------------------------------------------------------------------
def test_parallel_first_start_initialises_the_dagster_home_once(tmp_path):
    code = "from newsclust_assets.runs.instance import open_instance; i = open_instance(); print(len(i.get_runs()))"
    env = {**os.environ, "NEWSCLUST_DATA_DIR": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [e[-1500:] for _, e in results]
    assert [o.strip() for o, _ in results] == ["0"] * 6
    home = tmp_path / "dagster_home"
    for db in (
        home / "history" / "runs.db",
        home / "history" / "runs" / "index.db",
        home / "schedules" / "schedules.db",
    ):
        with sqlite3.connect(db) as c:
            assert len(c.execute("select version_num from alembic_version").fetchall()) == 1, db


# 2, 13 ----------------------------------------------------------------------------------------
def test_lone_surrogates_and_invisible_headlines_are_repaired_and_counted(tmp_path, instance):
    good = sample_rows(DAY, DAY)
    lines = [json.dumps(r) for r in good]
    lines.append('{"headline": "Bad \\ud800 text", "short_description": "no link", "date": "%s"}' % DAY)
    lines.append(
        '{"headline": "Also \\udfff bad", "short_description": "x", "date": "%s", "link": "https://x.org/s"}' % DAY
    )
    lines.append(
        json.dumps(
            {
                "headline": "\u200b\u200b\u2060",
                "short_description": "Zero-width headline, real text.",
                "date": DAY,
                "link": "https://x.org/zw",
            }
        )
    )
    lines.append(
        json.dumps(
            {
                "headline": "   \t ",
                "short_description": "Whitespace headline. " + "word " * 40,
                "date": DAY,
                "link": "https://x.org/ws",
            }
        )
    )
    lines.append(json.dumps({"headline": "\u200b", "short_description": " ", "date": DAY, "link": "https://x.org/no"}))
    source = tmp_path / "news.jsonl"
    source.write_text("\n".join(lines) + "\n")
    articles, report = read_articles(source)
    assert len(articles) == len(good) + 4 and report.repaired_non_utf8 == 2 and report.missing_headline == 2
    assert report.skipped["missing_text"] == 1
    by_link = {a["link"]: a for a in articles}
    assert by_link["https://x.org/zw"]["headline"] == "Zero-width headline, real text."
    assert by_link["https://x.org/zw"]["text"] == "Zero-width headline, real text."
    ws = by_link["https://x.org/ws"]["headline"]
    assert ws.startswith("Whitespace headline.") and ws.endswith("\u2026") and len(ws) <= 121
    assert any(a["headline"] == "Bad \ufffd text" for a in articles)
    result = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAY, instance=instance, resources=make_resources(tmp_path, source)
    )
    meta = md(result, "raw_news")
    assert (meta["dagster/row_count"], meta["repaired_non_utf8_rows"], meta["rows_missing_headline"]) == (
        len(good) + 4,
        2,
        2,
    )
    assert len(stored_rows(make_resources(tmp_path, source)["milvus"])) == len(good) + 4


# 3, 4, 6 --------------------------------------------------------------------------------------
def test_unreadable_source_is_one_line_naming_file_and_cause(tmp_path):
    import tempfile

    where = tempfile.mkdtemp(prefix="newsclust-perm-")  # outside pytest's 0700 tree, so 'nobody' can reach it
    os.chmod(where, 0o755)
    source = write_jsonl(Path(where) / "news.jsonl", sample_rows(DAY, DAY))
    source.chmod(0)
    code = (
        "from newsclust_assets.ingest.news_source import read_articles, NewsSourceError\n"
        f"try:\n    read_articles({str(source)!r})\nexcept NewsSourceError as e:\n    print(e)"
    )
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": "/tmp"},
    )
    assert proc.stdout.strip() == f"cannot read news source {source}: Permission denied", proc.stderr[-2000:]
    locked = Path(where) / "locked"  # a readable file in a directory that cannot be entered
    locked.mkdir()
    inner = write_jsonl(locked / "news.jsonl", sample_rows(DAY, DAY))
    locked.chmod(0)
    proc = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            code.replace(str(source), str(inner)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": "/tmp"},
    )
    locked.chmod(0o755)
    assert proc.stdout.strip() == f"cannot read news source {inner}: Permission denied", proc.stderr[-2000:]


def test_directory_as_source_says_so(tmp_path):
    with pytest.raises(NewsSourceError, match=r"^news source .* is a directory, not a file: point NEWSCLUST_SOURCE"):
        read_articles(tmp_path)


def test_json_array_files_are_read_as_rows(tmp_path):
    rows = sample_rows(DAY, DAY)
    one_line = tmp_path / "one.json"
    one_line.write_text(json.dumps(rows + ["not an object"]))
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(rows, indent=2))
    for path, skipped in ((one_line, 1), (pretty, 0)):
        articles, report = read_articles(path)
        assert len(articles) == len(rows) and report.rows_read == len(rows) + skipped
        assert report.skipped_total == skipped
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(rows, indent=2)[:-5])  # not one valid array: read line by line, all malformed
    articles, report = read_articles(broken)
    assert articles == [] and report.skipped["malformed_json"] == report.rows_read > 0


# 5 --------------------------------------------------------------------------------------------
def _load(tmp_path, source) -> dict:
    code = (  # as Dagster loads the code location: the calendar is read when defs is called
        "import json, newsclust_assets.definitions as d, newsclust_assets.partitions as p\n"
        "c = p.calendar_from_env()\n"
        "print(json.dumps({'first': str(c.first), 'last': str(c.last), 'problem': c.problem,"
        " 'description': d.defs().resolve_assets_def('raw_news').descriptions_by_key[d.dg.AssetKey('raw_news')]}))"
    )
    env = {**os.environ, "NEWSCLUST_SOURCE": str(source), "NEWSCLUST_DATA_DIR": str(tmp_path)}
    for var in ("NEWSCLUST_START_DATE", "NEWSCLUST_END_DATE", "DAGSTER_HOME"):
        env.pop(var, None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_missing_or_empty_source_at_load_keeps_the_range_and_says_why(tmp_path, instance):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-02", "2024-03-05"))
    ok = _load(tmp_path, source)
    assert (ok["first"], ok["last"], ok["problem"]) == ("2024-03-02", "2024-03-05", None)
    source.unlink()
    gone = _load(tmp_path, source)
    assert (gone["first"], gone["last"]) == ("2024-03-02", "2024-03-05")  # the range does not silently change
    assert gone["problem"] == (
        f"news source file not found: {source}; the partitions stay 2024-03-02..2024-03-05, as last read from it"
    )
    assert gone["problem"] in gone["description"]  # shown in the UI
    source.write_text("")
    empty = _load(tmp_path, source)
    assert empty["problem"].startswith(f"news source {source} holds no readable article (0 rows read, 0 skipped)")
    result = dg.materialize(
        ALL_ASSETS,
        selection=["raw_news"],
        partition_key="2024-03-03",
        instance=instance,
        resources=make_resources(tmp_path, source),
        raise_on_error=False,
    )
    assert not result.success
    assert f"news source {source} holds no readable article (0 rows read, skipped: none)" in step_error(
        result, "raw_news"
    )
    fresh = tmp_path / "fresh"
    never = _load(fresh, tmp_path / "never.jsonl")
    yesterday = str(dt.date.today() - dt.timedelta(days=1))
    assert (never["first"], never["last"]) == (yesterday, yesterday)
    assert never["problem"].endswith("; the partitions are one placeholder day until the source can be read")


# 7 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, day",
    [
        ("2022-06-26", "2022-06-26"),
        ("2022-06-26T23:30:00", "2022-06-26"),
        ("2022-06-26T23:30:00-05:00", "2022-06-27"),  # ISO with an offset: the UTC day
        ("2022-06-26T01:00:00+02:00", "2022-06-25"),
        ("2022-06-26T10:00:00Z", "2022-06-26"),
        (1656237600, "2022-06-26"),  # epoch seconds
        ("1656237600", "2022-06-26"),
        (1656237600000, "2022-06-26"),  # epoch milliseconds
        ("1656237600000", "2022-06-26"),
        ("Mon, 26 Jun 2022 10:00:00 GMT", "2022-06-26"),  # RFC 2822 (RSS pubDate)
        ("Sun, 26 Jun 2022 23:00:00 -0500", "2022-06-27"),
        ("June 26, 2022", "2022-06-26"),
        ("Jun 26, 2022", "2022-06-26"),
        ("26 June 2022", "2022-06-26"),
        ("2024-05-02garbage", None),
        ("yesterday", None),
        ("2022-13-40", None),
        ("", None),
        (True, None),
        ("12", None),
    ],
)
def test_date_forms(value, day):
    got = parse_date(value)
    assert (got.isoformat() if got else None) == day


def test_dates_in_a_file_are_parsed_or_counted(tmp_path):
    rows = [
        {"headline": f"h{i}", "short_description": "d", "link": f"https://x.org/{i}", "date": v}
        for i, v in enumerate(["Mon, 26 Jun 2022 10:00:00 GMT", 1656237600, "June 26, 2022", "2024-05-02garbage"])
    ]
    rows.append(
        {
            "headline": "pub",
            "short_description": "d",
            "link": "https://x.org/p",
            "pubDate": "Mon, 26 Jun 2022 10:00:00 GMT",
        }
    )
    articles, report = read_articles(write_jsonl(tmp_path / "news.jsonl", rows))
    assert [a["date"].isoformat() for a in articles] == ["2022-06-26"] * 4
    assert report.skipped["missing_or_bad_date"] == 1


# 9, 10, 11 ------------------------------------------------------------------------------------
def test_failed_step_is_one_line_and_keep_going_goes_on(tmp_path):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-01", "2024-03-05"))
    env = {
        "NEWSCLUST_SOURCE": str(source),
        "NEWSCLUST_EMBEDDING_BASE_URL": "http://127.0.0.1:9/v1",
        "NEWSCLUST_EMBEDDING_MODEL": "m",
    }
    code, out, err = finish(cli(tmp_path, "run", "--days-per-run", "2", env=env))
    assert code == 1 and "Traceback" not in out + err
    failed = [line for line in out.splitlines() if line.strip().startswith("failed:")]
    assert (
        len(failed) == 1
        and "embeddings failed for 2024-03-01..2024-03-02: cannot reach the embedding endpoint" in failed[0]
    )
    log = failed[0].rsplit("full error: ", 1)[1].rstrip(")")
    text = Path(log).read_text()
    assert "EmbeddingEndpointError" in text and 'File "' in text  # the whole error, stack included
    assert err.strip().splitlines()[-1].startswith("newsclust: stopped: embeddings failed for 2024-03-01..2024-03-02")
    code, out, err = finish(cli(tmp_path, "run", "--days-per-run", "2", "--keep-going", env=env))
    failed = [line for line in out.splitlines() if line.strip().startswith("failed:")]
    assert code == 1 and len(failed) == 3 and "Traceback" not in out + err  # 01-02, 03-04, 05
    assert "newsclust: 3 range(s) failed:" in err


def _runs(home):
    with dg.DagsterInstance.from_config(str(home)) as inst:
        return [(r.status.value, r.tags.get("newsclust/canceled")) for r in inst.get_runs()]


@pytest.fixture
def held_endpoint():
    """A local OpenAI-compatible endpoint that answers the first day's texts at once and holds
    every request holding a later day's text until the test opens its gate: while
    ``server.held`` > 0 the second day's run is certainly inside its embeddings step."""
    server = EmbeddingServer(dim=32, model="held")
    first_day = {r["headline"] for r in sample_rows("2024-03-01", "2024-03-01")}
    server.hold_if = lambda texts: not all(any(t.startswith(h) for h in first_day) for t in texts)
    yield server, {"NEWSCLUST_EMBEDDING_BASE_URL": server.url, "NEWSCLUST_EMBEDDING_MODEL": "held"}
    server.gate.set()
    server.close()


def wait_for(condition, what: str, timeout: float = 300) -> None:
    """Wait on an observable state (never a fixed sleep): generous under any load."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _runs_of(home) -> list[tuple[str, str | None]]:
    return _runs(home) if (Path(home) / "dagster.yaml").exists() else []


def _stopped(proc, signo, group=False):
    sent = time.monotonic()
    if group:
        os.killpg(proc.pid, signo)  # as a terminal's Ctrl-C: every process of the group
    else:
        proc.send_signal(signo)
    code, out, err = finish(proc, timeout=300)
    return code, out, err, time.monotonic() - sent


RUN_ARGS = ("run", "--first", "2024-03-01", "--last", "2024-03-06", "--days-per-run", "1")


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT])
def test_signal_inside_a_step_stops_the_whole_command_and_a_rerun_resumes(tmp_path, signo, held_endpoint):
    server, endpoint = held_endpoint
    rows = sample_rows("2024-03-01", "2024-03-06")
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    env = {"NEWSCLUST_SOURCE": str(source), **endpoint}
    proc = cli(tmp_path, *RUN_ARGS, env=env, start_new_session=True)
    wait_for(lambda: server.held > 0 or proc.poll() is not None, "the second day's embedding request")
    assert proc.poll() is None, proc.communicate()
    code, out, err, took = _stopped(proc, signo, group=signo == signal.SIGINT)
    server.gate.set()
    assert took < 120
    assert code == 128 + signo and "Traceback" not in out + err, err[-3000:]
    assert err.strip() == (
        f"newsclust: stopped by {signal.Signals(signo).name}; the interrupted run is marked "
        "canceled. Re-run to resume where it stopped."
    )
    runs = _runs(tmp_path / "dagster_home")
    assert not [r for r in runs if r[0] in ("STARTED", "STARTING", "NOT_STARTED", "QUEUED")]
    assert ("CANCELED", "interrupted") in runs
    assert len(runs) == 2  # the first day's run and the interrupted one: it did not go on
    if signo == signal.SIGINT:
        return  # the resume below is the same after either signal
    code, out, err = finish(
        cli(
            tmp_path,
            "run",
            "--first",
            "2024-03-01",
            "--last",
            "2024-03-06",
            "--windows",
            "last",
            "--maps",
            "none",
            env=env,
        )
    )
    assert code == 0, err[-3000:]
    assert "already stored from the same articles: skipped" in out
    stored = stored_rows(make_resources(tmp_path, source)["milvus"])
    assert len(stored) == stored["id"].nunique() == len(rows)


@pytest.mark.parametrize("moment", ["planned", "run_created", "between_runs"])
def test_signal_at_every_moment_leaves_no_run_unfinished(tmp_path, moment):
    """The command stops at a named point (NEWSCLUST_PAUSE_AT, a test hook) and is signalled
    exactly there: one line, a non-zero exit, and every run it created ends CANCELED."""
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-01", "2024-03-02"))
    marker = tmp_path / "paused"
    server = EmbeddingServer(dim=32, model="fast")  # no model to load: the moments come sooner
    endpoint = {
        "NEWSCLUST_SOURCE": str(source),
        "NEWSCLUST_EMBEDDING_BASE_URL": server.url,
        "NEWSCLUST_EMBEDDING_MODEL": "fast",
    }
    env = {**endpoint, "NEWSCLUST_PAUSE_AT": moment, "NEWSCLUST_PAUSE_FILE": str(marker)}
    proc = cli(tmp_path, *RUN_ARGS[:1], "--days-per-run", "1", env=env, start_new_session=True)
    wait_for(lambda: marker.exists() or proc.poll() is not None, f"the command to reach {moment}")
    assert proc.poll() is None, proc.communicate()
    code, out, err, _ = _stopped(proc, signal.SIGINT, group=True)
    assert code == 128 + signal.SIGINT and "Traceback" not in out + err, err[-3000:]
    runs = _runs_of(tmp_path / "dagster_home")
    assert not [r for r in runs if r[0] in ("STARTED", "STARTING", "NOT_STARTED", "QUEUED")], runs
    if moment == "planned":
        assert runs == []
        assert err.strip() == (
            "newsclust: stopped by SIGINT; no run was left unfinished. Re-run to resume where it stopped."
        )
    elif moment == "run_created":
        assert runs == [("CANCELED", "interrupted")]
        assert "the interrupted run is marked canceled" in err
    else:
        assert [r[0] for r in runs] == ["SUCCESS"]
        assert "no run was left unfinished" in err
    if moment == "run_created":  # and the next command goes on from there
        code, out, err = finish(cli(tmp_path, "run", "--windows", "last", "--maps", "none", env=endpoint))
        assert code == 0 and "Traceback" not in out + err, err[-3000:]
        runs = _runs(tmp_path / "dagster_home")
        assert not [r for r in runs if r[0] in ("STARTED", "STARTING", "NOT_STARTED", "QUEUED")], runs
        assert ("CANCELED", "interrupted") in runs and ("SUCCESS", None) in runs
    server.close()


def test_killed_run_is_marked_failed_by_the_next_run(tmp_path, held_endpoint):
    server, endpoint = held_endpoint
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-01", "2024-03-06"))
    env = {"NEWSCLUST_SOURCE": str(source), **endpoint}
    proc = cli(tmp_path, *RUN_ARGS, env=env)
    wait_for(lambda: server.held > 0 or proc.poll() is not None, "the second day's embedding request")
    proc.kill()
    proc.wait(60)
    server.gate.set()
    assert ("STARTED", None) in _runs(tmp_path / "dagster_home")
    code, out, err = finish(
        cli(
            tmp_path,
            "run",
            "--first",
            "2024-03-01",
            "--last",
            "2024-03-06",
            "--windows",
            "last",
            "--maps",
            "none",
            env=env,
        )
    )
    assert code == 0, err[-3000:]
    assert "marked 1 run(s) of a vanished newsclust process as failed" in out
    runs = _runs(tmp_path / "dagster_home")
    assert not [r for r in runs if r[0] == "STARTED"] and ("FAILURE", None) in runs
    stored = stored_rows(make_resources(tmp_path, source)["milvus"])
    assert len(stored) == stored["id"].nunique() == len(sample_rows("2024-03-01", "2024-03-06"))


def _one_line_when_killed_mid_run(tmp_path, endpoint_server, env: dict, kill) -> str:
    """``newsclust run`` over RUN_ARGS' days, ``kill`` called (a server) while the second day's
    run is inside its embeddings step: the command fails with one line and no traceback,
    which is returned."""
    proc = cli(tmp_path, *RUN_ARGS, env=env)
    wait_for(lambda: endpoint_server.held > 0 or proc.poll() is not None, "the second day's embedding request")
    assert proc.poll() is None, proc.communicate()
    kill()
    endpoint_server.gate.set()
    code, out, err = finish(proc)
    assert code != 0 and "Traceback" not in out + err, err[-3000:]
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.xdist_group(STANDALONE)
def test_milvus_server_killed_mid_run_is_one_line_and_a_rerun_stores_once(tmp_path, held_endpoint, monkeypatch):
    """Milvus 2.3.5 standalone killed (SIGKILL) while the second day's run is inside a step:
    the command stops with one line naming the server, and after a restart a re-run stores
    every article exactly once."""
    from .servers import MilvusStandalone

    endpoint_server, endpoint = held_endpoint
    rows = sample_rows("2024-03-01", "2024-03-06")
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    milvus = MilvusStandalone(tmp_path / "milvus_data", auth=True).start()
    env = {
        "NEWSCLUST_SOURCE": str(source),
        **endpoint,
        "NEWSCLUST_MILVUS_URI": milvus.uri,
        "NEWSCLUST_MILVUS_TOKEN": milvus.token,
    }
    try:
        err = _one_line_when_killed_mid_run(tmp_path, endpoint_server, env, milvus.kill)
        assert f"cannot connect to Milvus at {milvus.uri}" in err, err
        milvus.start()
        code, out, err = finish(
            cli(
                tmp_path,
                "run",
                "--first",
                "2024-03-01",
                "--last",
                "2024-03-06",
                "--windows",
                "last",
                "--maps",
                "none",
                env=env,
            )
        )
        assert code == 0, err[-3000:]
        assert "already stored from the same articles: skipped" in out  # the first day survived the crash
        monkeypatch.setenv("NEWSCLUST_MILVUS_TOKEN", milvus.token)
        stored = stored_rows(MilvusResource(uri=milvus.uri, token=dg.EnvVar("NEWSCLUST_MILVUS_TOKEN")))
        assert len(stored) == stored["id"].nunique() == len(rows)
    finally:
        milvus.kill()


def test_postgres_killed_mid_run_is_one_line_and_a_rerun_stores_once(tmp_path, held_endpoint, monkeypatch):
    """Dagster's PostgreSQL killed (an immediate stop, as a crash) while the second day's run is
    inside a step: the command stops with one line naming the database, and after a restart a
    re-run leaves no run unfinished and stores every article exactly once."""
    from .servers import PostgresServer

    endpoint_server, endpoint = held_endpoint
    rows = sample_rows("2024-03-01", "2024-03-06")
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    postgres = PostgresServer().start()
    env = {"NEWSCLUST_SOURCE": str(source), **endpoint, "NEWSCLUST_DAGSTER_PG_URL": postgres.url}
    try:
        err = _one_line_when_killed_mid_run(tmp_path, endpoint_server, env, postgres.kill)
        assert f"lost the Dagster PostgreSQL database at 127.0.0.1:{postgres.port}" in err and "re-run" in err, err
        postgres.start()
        code, out, err = finish(cli(tmp_path, *RUN_ARGS, env=env))
        assert code == 0, err[-3000:]
        assert "already stored from the same articles: skipped" in out  # the first day survived the crash
        monkeypatch.setenv("NEWSCLUST_DAGSTER_PG_URL", postgres.url)
        with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
            runs = instance.get_runs()
            assert runs and all(r.is_finished for r in runs), [(r.run_id[:8], r.status) for r in runs]
            days = {f"2024-03-0{d}" for d in range(1, 7)}
            assert instance.get_materialized_partitions(dg.AssetKey("milvus_collection")) == days
        stored = stored_rows(make_resources(tmp_path, source)["milvus"])
        assert len(stored) == stored["id"].nunique() == len(rows)
    finally:
        postgres.remove()


# 12 -------------------------------------------------------------------------------------------
def test_markdown_and_html_in_headlines_stay_text(tmp_path, instance):
    """Headlines reach the Dagster UI as table cells (plain text there) and, in the timeline's
    story list, as markdown escaped by md_text: never a link, an image or markup."""
    evil = "[click](http://evil.example) <img src=x onerror=alert(1)> **bold** | col `code` ![i](x)"
    assert md_text(evil) == (
        "\\[click\\]\\(http://evil.example\\) &lt;img src=x onerror=alert\\(1\\)&gt; "
        "\\*\\*bold\\*\\* \\| col \\`code\\` \\!\\[i\\]\\(x\\)"
    )
    import pandas as pd

    frame = pd.DataFrame({"label": [0, 0], "headline": [evil, "Plain"], "centrality": [0.9, 0.8]})
    rows = cluster_rows(frame, {0: ["w"]})
    assert [r["cluster"] for r in rows] == ["0", "noise"]
    assert rows[0]["central_headline"] == evil and rows[0]["other_headlines"] == "Plain"  # verbatim, as text
    rows = [{"headline": evil, "short_description": "d", "date": DAY, "link": "https://x.org/e"}] + sample_rows(
        DAY, DAY
    )
    result = dg.materialize(
        ALL_ASSETS,
        selection=["raw_news"],
        partition_key=DAY,
        instance=instance,
        resources=make_resources(tmp_path, write_jsonl(tmp_path / "n.jsonl", rows)),
    )
    preview = md(result, "raw_news")["preview"]
    assert isinstance(preview, dg.TableMetadataValue)  # shown in place, cells as plain text
    assert [c.name for c in preview.schema.columns] == ["id", "headline", "category"]
    assert evil in [r.data["headline"] for r in preview.records]


# 14 -------------------------------------------------------------------------------------------
def test_missing_shared_data_fails_in_ci_and_skips_elsewhere(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere.jsonl"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="shared data set not found at .*nowhere.jsonl"):
        shared_file(missing)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        shared_file(missing)


# 8 --------------------------------------------------------------------------------------------
def _mount(*args) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def mounts():
    made = []
    yield made
    for point in reversed(made):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_read_only_milvus_lite_dir_is_one_line_and_a_rerun_stores_once(tmp_path, instance, mounts):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(DAY, DAY))
    data, view = tmp_path / "data", tmp_path / "view"
    data.mkdir()
    view.mkdir()
    if not (
        _mount("--bind", str(data), str(view))
        and mounts.append(view) is None
        and _mount("-o", "remount,bind,ro", str(view))
    ):
        pytest.skip("needs mount (root): a read-only bind mount")
    resources = make_resources(view, source)
    result = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key=DAY, instance=instance, resources=resources, raise_on_error=False
    )
    assert not result.success
    assert (
        f"Milvus Lite directory {view / 'milvus.db'} is read-only (Read-only file system): make it writable or "
        "point NEWSCLUST_DATA_DIR or NEWSCLUST_MILVUS_URI at a writable place; nothing was written."
    ) in step_error(result, "embeddings")
    assert not (data / "milvus.db").exists()
    assert _mount("-o", "remount,bind,rw", str(view))
    again = dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=DAY, instance=instance, resources=resources)
    assert again.success
    stored = stored_rows(resources["milvus"])
    assert len(stored) == stored["id"].nunique() == len(sample_rows(DAY, DAY))


def test_full_disk_is_one_line_and_a_rerun_stores_once(tmp_path, instance, mounts):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-01", "2024-03-06"))
    data = tmp_path / "small"
    data.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=96k", "tmpfs", str(data)):
        pytest.skip("needs mount (root): a small tmpfs")
    mounts.append(data)
    resources = make_resources(data, source)
    tags = {"dagster/asset_partition_range_start": "2024-03-01", "dagster/asset_partition_range_end": "2024-03-06"}
    result = dg.materialize(
        ALL_ASSETS, selection=DAILY, instance=instance, resources=resources, tags=tags, raise_on_error=False
    )
    assert not result.success
    failed = [n for n in DAILY if result.failure_data_for_node(n) is not None]
    message = step_error(result, failed[0])
    assert (
        f"Milvus Lite directory {data / 'milvus.db'}: no space left on device. Free space (or point "
        "NEWSCLUST_DATA_DIR elsewhere) and re-run: writes are upserts by id, so a re-run stores every article once."
        in message
    )
    assert "Traceback" not in message
    assert _mount("-o", "remount,size=64m", str(data))
    again = dg.materialize(ALL_ASSETS, selection=DAILY, instance=instance, resources=resources, tags=tags)
    assert again.success
    stored = stored_rows(resources["milvus"])
    assert len(stored) == stored["id"].nunique() == len(sample_rows("2024-03-01", "2024-03-06"))


def test_waiting_for_the_lite_lock_is_one_line_naming_the_holder(tmp_path):
    from newsclust_assets.vectors.milvus_store import open_client

    uri = str(tmp_path / "milvus.db")
    code = (
        "from newsclust_assets.vectors.milvus_store import open_client, MilvusStoreError\n"
        f"try:\n    open_client({uri!r}, lock_timeout_s=3).__enter__()\nexcept MilvusStoreError as e:\n    print(e)"
    )
    with open_client(uri):  # this process holds the lock
        proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [
        f"newsclust: waiting for the Milvus Lite lock on {uri} held by pid {os.getpid()} "
        f"({' '.join(Path(f'/proc/{os.getpid()}/cmdline').read_bytes().decode().split(chr(0))).strip()[:80]})"
    ], proc.stderr[-2000:]
    assert proc.stdout.strip().startswith(f"Milvus Lite directory {uri} is held by another process for more than 3 s.")


def test_evaluate_with_a_failing_step_is_one_line(tmp_path):
    source = write_jsonl(tmp_path / "stories.jsonl", [{**r, "story": r["category"]} for r in sample_rows(DAY, DAY)])
    env = {"NEWSCLUST_EMBEDDING_BASE_URL": "http://127.0.0.1:9/v1", "NEWSCLUST_EMBEDDING_MODEL": "m"}
    code, out, err = finish(cli(tmp_path, "evaluate", str(source), "--data-dir", str(tmp_path / "ev"), env=env))
    assert code == 1 and "Traceback" not in out + err
    assert err.strip().startswith(
        f"newsclust evaluate: stopped: embeddings failed for {DAY}: cannot reach the "
        "embedding endpoint at http://127.0.0.1:9/v1"
    )


# user errors: one line, before any work -------------------------------------------------------
def _one_line(tmp_path, *args, env=None):
    code, out, err = finish(cli(tmp_path, *args, env=env))
    assert "Traceback" not in out + err, err[-3000:]
    return code, err.strip().splitlines()[-1] if err.strip() else ""


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--first", "2024-13-01"], "newsclust run: error: argument --first: '2024-13-01' is not a date as YYYY-MM-DD"),
        (["--last", "2024-02-30"], "newsclust run: error: argument --last: '2024-02-30' is not a date as YYYY-MM-DD"),
        (["--json", "."], "newsclust run: error: --json . is a directory: give a file name"),
        (
            ["--json", "/missing/dir/out.json"],
            "newsclust run: error: --json /missing/dir/out.json: the directory /missing/dir does not exist",
        ),
        (["--frist", "2024-03-01"], "newsclust run: error: unrecognized arguments: --frist 2024-03-01"),
    ],
)
def test_bad_arguments_are_refused_when_parsed(tmp_path, capsys, args, line):
    from newsclust_assets.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["run", *args])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == line


@pytest.mark.parametrize(
    ("args", "config", "code", "line"),
    [
        (
            ["--similarity-threshold", "1.5"],
            None,
            1,
            "newsclust: cluster_labels: similarity_threshold is a cosine in [-1, 1], got 1.5",
        ),
        (
            [],
            {"cluster_labels": {"similarity_treshold": 0.3}},
            1,
            "newsclust: cluster_labels has no setting 'similarity_treshold'",
        ),
        ([], {"cluster_labels": {"min_cluster_size": 2.5}}, 1, "newsclust: cluster_labels.min_cluster_size: "),
        ([], {"story_timeline": {"days": 0, "top": 5}}, 1, "newsclust: story_timeline: days must be at least 1, got 0"),
    ],
)
def test_bad_options_are_one_line_before_any_work(tmp_path, args, config, code, line):
    if config is not None:
        (tmp_path / "c.json").write_text(json.dumps(config))
        args = [*args, "--config", str(tmp_path / "c.json")]
    got, last = _one_line(tmp_path, "run", *args)
    assert got == code
    assert last.startswith(line), last
    assert not (tmp_path / "dagster_home").exists()  # refused before any work


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"NEWSCLUST_SOURCE": "/missing/news.jsonl"}, "newsclust: news source file not found: /missing/news.jsonl"),
        (
            {"NEWSCLUST_WINDOW_DAYS": "abc"},
            "newsclust: NEWSCLUST_WINDOW_DAYS must be a whole number of days, got 'abc'",
        ),
        ({"NEWSCLUST_WINDOW_DAYS": "0"}, "newsclust: NEWSCLUST_WINDOW_DAYS must be at least 1, got 0"),
        (
            {"NEWSCLUST_START_DATE": "2024-03-05", "NEWSCLUST_END_DATE": "2024-03-01"},
            "newsclust: NEWSCLUST_END_DATE 2024-03-01 is before NEWSCLUST_START_DATE 2024-03-05",
        ),
    ],
)
def test_bad_environment_is_one_line(tmp_path, env, line):
    code, last = _one_line(tmp_path, "run", env=env)
    assert code == 1 and last == line


def test_evaluate_never_writes_into_a_live_data_dir(tmp_path):
    (tmp_path / "milvus.db").mkdir()  # what a newsclust run leaves
    labelled = write_jsonl(
        tmp_path / "labelled.jsonl", [dict(r, story="s") for r in sample_rows("2024-03-01", "2024-03-01")]
    )
    code, out, err = finish(cli(tmp_path, "evaluate", str(labelled), "--data-dir", str(tmp_path)))
    assert code == 1 and "Traceback" not in out + err
    assert err.strip().endswith(
        "evaluate never writes into a live data directory; give --data-dir an empty or new directory"
    )


# 6 (red team): formulas in headlines ----------------------------------------------------------
def test_csv_exports_neutralise_spreadsheet_formulas(tmp_path):
    import pandas as pd

    from newsclust_assets.resources import write_csv

    evil = ['=HYPERLINK("http://x","y")', "+1+2", "-3", "@SUM(A1)", "\tcmd", "plain", "a=b"]
    frame = pd.DataFrame({"id": [f"i{n}" for n in range(7)], "label": [-1, 0, 1, 2, 3, 4, 5], "headline": evil})
    back = pd.read_csv(write_csv(frame, tmp_path / "labels.csv"), keep_default_na=False)
    assert back["headline"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'+1+2",
        "'-3",
        "'@SUM(A1)",
        "'\tcmd",
        "plain",
        "a=b",
    ]
    assert back["label"].tolist() == [-1, 0, 1, 2, 3, 4, 5]  # numbers stay numbers
    assert frame["headline"].tolist() == evil  # the caller's frame is untouched


def test_ui_hint_works_from_any_directory_and_shows_no_secret(monkeypatch, tmp_path):
    from newsclust_assets.cli import ui_command

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NEWSCLUST_DATA_DIR", "rel/data")
    monkeypatch.setenv("NEWSCLUST_SOURCE", "news.jsonl")
    monkeypatch.setenv("NEWSCLUST_MILVUS_TOKEN", "s3cret-token")
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_API_KEY", "s3cret-key")
    monkeypatch.setenv("NEWSCLUST_DAGSTER_PG_URL", "postgresql://dagster:s3cret-pw@pg:5432/dagster")
    monkeypatch.setenv("NEWSCLUST_MILVUS_URI", "https://user:s3cret-pass@milvus.example:443")
    monkeypatch.setenv("NEWSCLUST_WINDOW_DAYS", "7")
    hint = ui_command()
    assert "NEWSCLUST_WINDOW_DAYS=7" in hint
    assert f"NEWSCLUST_DATA_DIR={tmp_path / 'rel' / 'data'}" in hint
    assert f"NEWSCLUST_SOURCE={tmp_path / 'news.jsonl'}" in hint
    assert hint.endswith(" dev -m newsclust_assets.definitions") and "s3cret" not in hint


# 3 (red team): the whole data directory on a full disk ---------------------------------------
def test_full_data_dir_is_one_line_and_a_rerun_stores_once(tmp_path, mounts):
    rows = sample_rows("2024-03-01", "2024-03-02")
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    data = tmp_path / "full"
    data.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(data)):
        pytest.skip("needs mount (root): a small tmpfs")
    mounts.append(data)
    env = {"NEWSCLUST_SOURCE": str(source)}
    code, line = _one_line(data, "run", env=env)
    assert code == 1
    assert line == (
        f"newsclust: no space left on {data}: free space (or point NEWSCLUST_DATA_DIR elsewhere) and "
        "re-run; what was stored is kept, and a re-run stores every article once."
    )
    assert _mount("-o", "remount,size=256m", str(data))
    code, _, err = finish(cli(data, "run", env=env))
    assert code == 0, err[-3000:]
    stored = stored_rows(make_resources(data, source)["milvus"])
    assert len(stored) == stored["id"].nunique() == len(rows)


# 5 (red team): the source replaced by a file of other days -----------------------------------
def test_rows_of_days_gone_from_the_source_are_reported_and_pruned(tmp_path, monkeypatch, capsys, instance):
    from newsclust_assets.cli import main
    from newsclust_assets.runs.engine import run
    from newsclust_assets.vectors.milvus_store import QUERY_FIELDS, day_number

    monkeypatch.setenv("NEWSCLUST_DATA_DIR", str(tmp_path))  # what newsclust prune opens
    resources = make_resources(tmp_path)
    run(DAY, DAY, windows="last", maps="none", instance=instance, resources=resources, log=print)
    kept = stored_rows(resources["milvus"])
    # rows of days the source no longer holds, as a source replaced by a file of other days leaves them
    with resources["milvus"].client() as client:
        client.load_collection("news")
        rows = client.query("news", filter=f"day == {day_number(DAY)}", output_fields=[*QUERY_FIELDS, "vector"])
        client.upsert(
            "news",
            [
                dict(r, id=f"{day}-{r['id']}"[:64], day=day_number(day))
                for r in rows
                for day in ("2023-06-01", "2023-06-02")
            ],
        )
        client.flush("news")
    capsys.readouterr()
    run(DAY, DAY, windows="last", maps="none", instance=instance, resources=resources, log=print)
    gone = f"{2 * len(rows)} articles of 2 days outside the source's 2024-03-01..2024-03-14 (2023-06-01..2023-06-02)"
    assert f"  note: Milvus holds {gone}: newsclust prune --yes deletes them" in capsys.readouterr().out.splitlines()
    assert len(stored_rows(resources["milvus"])) == len(kept) + 2 * len(rows)  # nothing deleted unasked
    assert main(["prune"]) == 0
    assert capsys.readouterr().out.strip() == f"newsclust prune: would delete {gone}; re-run with --yes to delete them"
    assert main(["prune", "--yes"]) == 0
    assert capsys.readouterr().out.strip() == f"newsclust prune: deleted {gone}"
    assert stored_rows(resources["milvus"]).equals(kept)
    assert main(["prune"]) == 0
    assert capsys.readouterr().out.strip() == (
        "newsclust prune: every stored article is of a day in the source's 2024-03-01..2024-03-14"
    )


# 7 (red team): an end date in the future; a spreadsheet's ';' CSV ----------------------------
def test_an_end_date_in_the_future_is_stated(tmp_path, monkeypatch, instance):
    from newsclust_assets.runs.engine import run

    # NEWSCLUST_END_DATE=2099-12-31: the partitions stop at the last complete day
    calendar = dataclasses.replace(CALENDAR, last=dt.date(2099, 12, 31))
    yesterday = dt.date.today() - dt.timedelta(days=1)
    lines = []
    run(
        DAY,
        DAY,
        windows="last",
        maps="none",
        instance=instance,
        resources=make_resources(tmp_path),
        log=lines.append,
        calendar=calendar,
    )
    assert lines[1] == (
        f"  note: the partitions end on {yesterday}, the last complete day, not on 2099-12-31 "
        "(NEWSCLUST_END_DATE or the source's last day is later): NEWSCLUST_END_DATE=today adds each "
        "day as it comes"
    )


def test_semicolon_csv_with_bom_is_read_and_an_unreadable_one_names_its_columns(tmp_path):
    semi = tmp_path / "export.csv"
    semi.write_bytes(
        "\ufeffdate;headline;category\n2024-03-01;Storm hits coast;weather\n"
        '2024-03-01;"Mayor; resigns";politics\n'.encode()
    )
    articles, report = read_articles(semi)
    assert [a["headline"] for a in articles] == ["Storm hits coast", "Mayor; resigns"]
    assert [a["category"] for a in articles] == ["weather", "politics"] and report.skipped_total == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("when,what\n2024-03-01,Storm\n")
    code, line = _one_line(tmp_path / "data", "run", env={"NEWSCLUST_SOURCE": str(bad)})
    assert (code, line) == (
        1,
        f"newsclust: news source {bad} holds no readable article (1 rows read, 1 skipped: "
        "1 missing_text); its columns are when, what: each row needs a date and a headline, "
        "title or description",
    )
