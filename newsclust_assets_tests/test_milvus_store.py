import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from newsclust_assets.vectors import milvus_store as ms
from newsclust_assets.vectors.exact_knn import exact_neighbours


def _articles(ids, day="2024-03-01"):
    return pd.DataFrame(
        {
            "id": ids,
            "date": [day] * len(ids),
            "headline": [f"h {i}" for i in ids],
            "text": [f"t {i}" for i in ids],
            "category": ["C"] * len(ids),
            "link": [""] * len(ids),
            "authors": [""] * len(ids),
        }
    )


def _unit(n, dim=8, seed=0):
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_distance_conversion_is_explicit():
    assert ms.similarity_to_distance(np.array([1.0, 0.25, -1.0]), "COSINE").tolist() == [0.0, 0.75, 2.0]
    assert ms.similarity_to_distance(np.array([0.5]), "IP").tolist() == [0.5]
    assert ms.similarity_to_distance(np.array([4.0, 0.0]), "L2").tolist() == [2.0, 0.0]  # squared -> true
    with pytest.raises(ms.MilvusStoreError, match="unsupported metric"):
        ms.similarity_to_distance(np.array([1.0]), "HAMMING")


def test_truncate_utf8_never_splits_a_character():
    assert ms.truncate_utf8("caf\u00e9s", 4) == "caf"
    assert ms.truncate_utf8("abc", 10) == "abc"
    assert len(ms.truncate_utf8("\u00e9" * 5000, 8192).encode()) <= 8192


def test_write_day_is_idempotent_and_drops_stale_rows(tmp_path):
    spec = ms.CollectionSpec("news", 8, model="m")
    v = _unit(5)
    with ms.open_client(str(tmp_path / "m.db")) as c:
        assert ms.ensure_collection(c, spec) is True
        first = ms.write_day(c, spec, "2024-03-01", _articles(list("abcde")), v)
        again = ms.write_day(c, spec, "2024-03-01", _articles(list("abcde")), v)
        assert first == {"upserted": 5, "new": 5, "replaced": 0, "deleted_stale": 0}
        assert again == {"upserted": 5, "new": 0, "replaced": 5, "deleted_stale": 0}
        shrunk = ms.write_day(c, spec, "2024-03-01", _articles(list("abc")), v[:3])
        assert shrunk["deleted_stale"] == 2
        ms.write_day(c, spec, "2024-03-02", _articles(["x"], "2024-03-02"), v[:1])
        d = ms.day_number("2024-03-01")
        assert ms.ids_for_days(c, "news", d, d) == ["a", "b", "c"]
        assert ms.ids_for_days(c, "news", d, d + 1) == ["a", "b", "c", "x"]
    # the lock is released on exit: a new client (in this process) reopens the same data
    with ms.open_client(str(tmp_path / "m.db")) as c:
        assert ms.ensure_collection(c, spec) is False
        assert len(ms.query_window(c, "news", 0, 10**6, fields=["id", "headline"])) == 4


def test_a_window_is_read_in_runs_of_whole_days_with_its_vectors_in_id_order(tmp_path):
    """knn_distances reads a window's vectors a few thousand rows at a time (Python floats
    cost 32 bytes a number); the result must be the one plain read's, whatever the runs."""
    spec = ms.CollectionSpec("news", 8, model="m")
    sizes = {"2024-03-01": 4, "2024-03-02": 1, "2024-03-03": 3, "2024-03-05": 2}
    written = {}
    with ms.open_client(str(tmp_path / "m.db")) as c:
        ms.ensure_collection(c, spec)
        for i, (day, n) in enumerate(sizes.items()):
            ids = [f"{day[-1]}{j}" for j in reversed(range(n))]  # stored out of id order
            v = _unit(n, seed=i)
            ms.write_day(c, spec, day, _articles(ids, day), v)
            written.update(zip(ids, v))
        lo, hi = ms.day_number("2024-03-01"), ms.day_number("2024-03-03")
        plain = ms.query_window(c, "news", lo, hi, fields=["id", "day", "headline", "vector"])
        for rows_a_read in (1, 2, 5, 100):
            frame, vectors = ms.query_window_vectors(c, "news", lo, hi, ["id", "day", "headline"], rows_a_read)
            assert list(frame.columns) == ["id", "day", "headline"]
            assert list(frame["id"]) == list(plain["id"]) == sorted(frame["id"]) and len(frame) == 8
            assert frame["headline"].tolist() == plain["headline"].tolist()
            assert vectors.dtype == np.float32 and vectors.shape == (8, 8)
            np.testing.assert_allclose(vectors, np.stack([written[i] for i in frame["id"]]), atol=1e-6)
        empty, none = ms.query_window_vectors(c, "news", hi + 10, hi + 20, ["id", "day"])
        assert len(empty) == 0 and none.shape == (0, 0)
    # runs hold whole days, at most rows_a_read rows unless one day alone holds more
    per_day = pd.Series({10: 4, 11: 1, 12: 3, 14: 2})
    assert ms._day_runs(per_day, 2) == [(10, 10), (11, 11), (12, 12), (14, 14)]
    assert ms._day_runs(per_day, 5) == [(10, 11), (12, 14)]
    assert ms._day_runs(per_day, 100) == [(10, 14)]
    assert ms._day_runs(pd.Series(dtype=int), 5) == []


def test_exact_neighbours_cut_their_blocks_to_the_work_budget(monkeypatch):
    from newsclust_assets.vectors import exact_knn

    v = _unit(400, dim=16, seed=5)
    whole = exact_neighbours(v, 7)
    monkeypatch.setattr(exact_knn, "WORK_BYTES", 16 * 400 * 20)  # 20 rows a block
    cut = exact_neighbours(v, 7)
    for a, b in zip(whole, cut):
        assert a.tolist() == b.tolist()


def test_dimension_and_model_mismatch_are_clear_errors(tmp_path):
    with ms.open_client(str(tmp_path / "m.db")) as c:
        ms.ensure_collection(c, ms.CollectionSpec("news", 8, model="m"))
        with pytest.raises(ms.CollectionMismatchError, match="holds 8-d vectors .* produces 384-d vectors"):
            ms.ensure_collection(c, ms.CollectionSpec("news", 384, model="m"))
        with pytest.raises(ms.CollectionMismatchError, match="vectors of model 'm', not 'other'"):
            ms.ensure_collection(c, ms.CollectionSpec("news", 8, model="other"))
        with pytest.raises(ms.CollectionMismatchError, match="expected 2 vectors of dimension 8"):
            ms.write_day(c, ms.CollectionSpec("news", 8, model="m"), "2024-03-01", _articles(["a", "b"]), _unit(2, 4))


def test_search_neighbours_window_filter_self_and_duplicates(tmp_path):
    spec = ms.CollectionSpec("news", 8, model="m")
    v = _unit(6)
    v[1] = v[0]  # exact duplicate of a
    with ms.open_client(str(tmp_path / "m.db")) as c:
        ms.ensure_collection(c, spec)
        ms.write_day(c, spec, "2024-03-01", _articles(list("abcde")), v[:5])
        ms.write_day(c, spec, "2024-03-05", _articles(["z"], "2024-03-05"), v[5:])  # outside the window
        d = ms.day_number("2024-03-01")
        win = ms.query_window(c, "news", d, d, fields=["id", "vector"])
        vec = np.asarray(win["vector"].tolist(), np.float32)
        rows, cols, dists = ms.search_neighbours(c, "news", list(win["id"]), vec, 2, d, d, "COSINE", queries_per_call=2)
    assert list(win["id"]) == list("abcde")
    assert len(rows) == 10 and (np.bincount(rows) == 2).all()
    assert not (rows == cols).any()
    assert cols.max() < 5  # z is outside the window
    a_b = dists[(rows == 0) & (cols == 1)]
    assert a_b.tolist() == [0.0]
    exact = 1 - vec @ vec.T
    for r, c_, dist in zip(rows, cols, dists):
        assert dist == pytest.approx(exact[r, c_], abs=1e-5)
    # the local exact path (the default for Milvus Lite) gives the same graph
    rows2, cols2, dists2 = exact_neighbours(vec, 2, "COSINE", block=2)
    assert rows2.tolist() == rows.tolist() and cols2.tolist() == cols.tolist()
    np.testing.assert_allclose(dists2, dists, atol=1e-6)
    assert dists2[(rows2 == 0) & (cols2 == 1)].tolist() == [0.0]


@pytest.mark.parametrize("metric", ["COSINE", "IP", "L2"])
def test_exact_neighbours_match_milvus_search_on_real_vectors(tmp_path, metric):
    v = _unit(300, dim=16, seed=3)
    v[7] = v[3]  # an exact duplicate
    ids = [f"{i:04d}" for i in range(300)]
    spec = ms.CollectionSpec("news", 16, metric=metric, model="m")
    with ms.open_client(str(tmp_path / "m.db")) as c:
        ms.ensure_collection(c, spec)
        ms.write_day(c, spec, "2024-03-01", _articles(ids), v)
        d = ms.day_number("2024-03-01")
        searched = ms.search_neighbours(c, "news", ids, v, 5, d, d, metric)
    exact = exact_neighbours(v, 5, metric, block=64)
    assert exact[0].tolist() == searched[0].tolist() and exact[1].tolist() == searched[1].tolist()
    np.testing.assert_allclose(exact[2], searched[2], atol=1e-5)
    assert exact[2][(exact[0] == 3) & (exact[1] == 7)].tolist() == [0.0]
    assert exact_neighbours(v[:1], 5, metric)[0].size == 0


LOCK_HOLDER = """
import sys, time
from newsclust_assets.vectors.milvus_store import open_client
with open_client(sys.argv[1]) as c:
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_lite_lock_is_waited_for_then_reported_clearly(tmp_path):
    uri = str(tmp_path / "m.db")
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, uri, "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ms.MilvusStoreError, match="held by another process for more than 0 s"):
            with ms.open_client(uri, lock_timeout_s=0.5):
                pass
        start = time.monotonic()
        with ms.open_client(uri, lock_timeout_s=30) as c:  # waits for the holder to finish
            assert c.list_collections() == []
        assert time.monotonic() - start > 0.5
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0


def test_unreachable_server_names_the_uri():
    with pytest.raises(ms.MilvusStoreError, match="cannot connect to Milvus at http://127.0.0.1:1"):
        with ms.open_client("http://127.0.0.1:1", timeout_s=2):
            pass
