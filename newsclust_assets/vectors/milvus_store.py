"""The news collection in Milvus, through ``pymilvus.MilvusClient`` only. No Dagster imports.

One code path serves Milvus Lite (a local ``*.db`` directory), a Milvus server
(``http://host:19530``) and Zilliz Cloud (``https://...`` plus a token).

Schema: an explicit VARCHAR primary key (the article's stable id, never auto_id, so
re-writing a day replaces rows instead of adding them), the vector, the day as an
INT64 day number (for window filters) and the text fields shown on the map.

Milvus Lite keeps an exclusive lock on its directory for as long as a process has it
open. :func:`open_client` therefore opens Lite only for the duration of a ``with``
block, releases the lock on exit, and waits (up to ``lock_timeout_s``) while another
process, such as a concurrent backfill run, holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pymilvus  # noqa: F401  (configures its loggers on import; quieted below)

if TYPE_CHECKING:
    from pymilvus import MilvusClient

EPOCH = dt.date(1970, 1, 1)
TEXT_LIMITS = {"date": 10, "headline": 2048, "text": 8192, "category": 256, "link": 2048, "authors": 512}
QUERY_FIELDS = ["id", "day", "date", "headline", "text", "category", "link", "authors"]
SUPPORTED_METRICS = ("COSINE", "IP", "L2")
MODEL_PROPERTY = "newsclust.embedding_model"  # collection property naming the vectors' model

# pymilvus logs every failed RPC with a traceback (and a harmless query-iterator warning
# against Lite); the errors that matter are raised, re-worded, by this module.
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
# Milvus Lite serves the client over an in-process gRPC server; it and Lite's servicer log a
# traceback for every failed call (a full disk, a missing method); the error itself reaches
# the caller, re-worded by open_client.
for _name in ("grpc._server", "milvus_lite"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


class MilvusStoreError(Exception):
    """A Milvus problem stated in terms the user can act on."""


class CollectionMismatchError(MilvusStoreError):
    """The existing collection was built with another dimension, metric or model."""


def day_number(day: dt.date | str) -> int:
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return (day - EPOCH).days


def redact_uri(uri: str) -> str:
    """The uri with any user:password@ part removed, for messages, logs and metadata."""
    return re.sub(r"//[^/@]*@", "//***@", uri)


def is_lite_uri(uri: str) -> bool:
    return uri.endswith(".db") and "://" not in uri


def _lite_locked(path: str) -> bool:
    lock = os.path.join(path, "LOCK")
    if not os.path.exists(lock):
        return False
    import fcntl

    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def _lite_os_error(path: str, exc: OSError) -> MilvusStoreError:
    """One line for a file-system failure under a Milvus Lite directory."""
    import errno

    if exc.errno == errno.ENOSPC:
        return MilvusStoreError(
            f"Milvus Lite directory {path}: no space left on device. Free space (or point NEWSCLUST_DATA_DIR "
            "elsewhere) and re-run: writes are upserts by id, so a re-run stores every article once."
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return MilvusStoreError(
            f"Milvus Lite directory {path} is read-only ({exc.strerror}): make it writable or point "
            "NEWSCLUST_DATA_DIR or NEWSCLUST_MILVUS_URI at a writable place; nothing was written."
        )
    return MilvusStoreError(f"Milvus Lite directory {path}: {exc.strerror or exc} ({exc.filename or path})")


def _errno_in(message: str) -> int | None:
    """The errno of an OSError that Milvus Lite passed on as text ('[Errno 28] No space left ...')."""
    match = re.search(r"\[Errno (\d+)\]", message or "")
    return int(match.group(1)) if match else None


def _check_writable(path: str) -> None:
    """Raise the one-line MilvusStoreError when ``path`` (or where it will be made) is not writable."""
    import tempfile

    target = path if os.path.isdir(path) else os.path.dirname(path)
    try:
        os.makedirs(target, exist_ok=True)
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError as exc:
        raise _lite_os_error(path, exc) from None


def _warn_waiting(path: str) -> None:
    """One line on stderr, instead of pymilvus's tracebacks, while another process holds Lite's lock."""
    holder = _lock_holder(os.path.join(path, "LOCK"))
    sys.stderr.write(f"newsclust: waiting for the Milvus Lite lock on {path} held by {holder}\n")
    sys.stderr.flush()


def _lock_holder(lock: str) -> str:
    """'pid N (command)' of a process that has ``lock`` open (Linux /proc), else 'another process'."""
    try:
        target = os.path.realpath(lock)
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            fd_dir = f"/proc/{pid}/fd"
            try:
                for fd in os.listdir(fd_dir):
                    if os.path.realpath(os.path.join(fd_dir, fd)) == target:
                        with open(f"/proc/{pid}/cmdline", "rb") as fh:
                            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
                        return f"pid {pid} ({cmd[:80]})"
            except OSError:
                continue
    except OSError:
        pass
    return "another process"


@contextlib.contextmanager
def open_client(
    uri: str, token: str = "", db_name: str = "", lock_timeout_s: float = 600.0, timeout_s: float = 10.0
) -> Iterator[MilvusClient]:
    """A MilvusClient for the duration of the block; Lite's lock is released on exit."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    lite = is_lite_uri(uri)
    if lite:
        path = os.path.abspath(uri)
        _check_writable(path)
    where = path if lite else redact_uri(uri)  # what messages name
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.2
    unlocked_failures = 0
    warned = False
    while True:
        try:
            kwargs = {"uri": uri, "timeout": timeout_s}
            if not lite:
                # one connection per block, closed on exit: pymilvus's shared connection would
                # outlive a server restart and fail the next call
                kwargs["dedicated"] = True
            if token:
                kwargs["token"] = token
            if db_name:
                kwargs["db_name"] = db_name
            client = MilvusClient(**kwargs)
            break
        except OSError as exc:
            if lite:
                raise _lite_os_error(path, exc) from None
            raise
        except MilvusException as exc:
            # A Lite open that fails while the lock is free may have lost a race with a
            # process that has just released it: retry a few times before calling it an error.
            if lite:
                unlocked_failures = 0 if _lite_locked(path) else unlocked_failures + 1
            if lite and unlocked_failures <= 5:
                if not warned and _lite_locked(path):
                    _warn_waiting(path)
                    warned = True
                if time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 1.5, 2.0)
                    continue
                raise MilvusStoreError(
                    f"Milvus Lite directory {path} is held by another process for more than "
                    f"{lock_timeout_s:.0f} s. Milvus Lite allows one process at a time: wait for the other "
                    "run, or use a Milvus server (uri http://host:19530) for concurrent runs."
                ) from None
            raise MilvusStoreError(
                f"cannot connect to Milvus at {where}: {getattr(exc, 'message', exc)}. "
                "Check that the server is running and the uri, token and db_name are right."
            ) from None
    try:
        yield client
    except OSError as exc:
        if lite:
            raise _lite_os_error(path, exc) from None
        raise
    except MilvusException as exc:
        if lite:
            errno_ = _errno_in(getattr(exc, "message", str(exc)))
            if errno_:
                raise _lite_os_error(path, OSError(errno_, os.strerror(errno_))) from None
        # e.g. the server stopped after the connection was made
        raise MilvusStoreError(
            f"Milvus at {where} failed: {getattr(exc, 'message', exc)}. "
            "Check that the server is running and reachable, and that the uri, token and db_name are right."
        ) from None
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if lite:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(path)


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    dimension: int
    metric: str = "COSINE"
    index_type: str = "FLAT"
    model: str = ""

    def __post_init__(self):
        if self.metric not in SUPPORTED_METRICS:
            raise MilvusStoreError(f"metric {self.metric!r} is not one of {SUPPORTED_METRICS}")


def describe(client, name: str) -> dict | None:
    """(dimension, metric, model) of an existing collection, None if it does not exist."""
    if not client.has_collection(name):
        return None
    info = client.describe_collection(name)
    dim = None
    for f in info["fields"]:
        if f["name"] == "vector":
            dim = int(f["params"]["dim"])
    metric = None
    with contextlib.suppress(Exception):
        metric = client.describe_index(name, "vector").get("metric_type")
    model = (info.get("properties") or {}).get(MODEL_PROPERTY, "")
    return {"dimension": dim, "metric": metric, "model": model}


def check_compatible(existing: dict, spec: CollectionSpec) -> None:
    """Raise CollectionMismatchError if the collection cannot hold ``spec``'s vectors."""
    if existing["dimension"] != spec.dimension:
        raise CollectionMismatchError(
            f"collection {spec.name!r} holds {existing['dimension']}-d vectors but the embedding model "
            f"produces {spec.dimension}-d vectors. Use another collection_name, or drop the collection "
            "and re-materialize every day."
        )
    if existing["metric"] and existing["metric"] != spec.metric:
        raise CollectionMismatchError(
            f"collection {spec.name!r} is indexed with metric {existing['metric']} but {spec.metric} is configured."
        )
    if spec.model and existing["model"] and existing["model"] != spec.model:
        raise CollectionMismatchError(
            f"collection {spec.name!r} holds vectors of model {existing['model']!r}, not {spec.model!r}: "
            "vectors of two models must not be mixed. Use another collection_name."
        )


# Build parameters an index type needs (a server refuses HNSW or IVF_* without them); the
# search side is index_search_params.
INDEX_BUILD_PARAMS = {
    "HNSW": {"M": 16, "efConstruction": 200},
    "IVF_FLAT": {"nlist": 128},
    "IVF_SQ8": {"nlist": 128},
    "IVF_PQ": {"nlist": 128, "m": 8, "nbits": 8},
}
# The day field's index, tried in order: Milvus Lite and servers from 2.4 build INVERTED;
# 2.3 servers only STL_SORT. Without either, day filters still work (a scan).
DAY_INDEX_TYPES = ("INVERTED", "STL_SORT")


# Reads see every write acknowledged before them: a server's default (Bounded) lags a few
# seconds behind, so a day just written would read back short (Lite is always strong).
STRONG = {"consistency_level": "Strong"}
# A Strong read waits for the server's next time tick (~200 ms a call on 2.3.5). A read issued
# after a Strong read has returned sees everything that one saw (the server serves at its
# latest safe time; checked on 2.3.5), so the many searches of a step that began with a
# Strong read of the same rows take this level and skip the wait.
AFTER_STRONG_READ = {"consistency_level": "Bounded"}


def index_build_params(index_type: str) -> dict:
    return dict(INDEX_BUILD_PARAMS.get(index_type.upper(), {}))


def ensure_collection(client, spec: CollectionSpec) -> bool:
    """Create the collection if absent (True), else check it matches (False). Loads it.

    A creation that fails half-way (an index the server refuses) is dropped again, so the
    next run starts clean instead of meeting a collection without an index; a collection
    that another version left without its vector index gets one."""
    from pymilvus import DataType, MilvusClient

    existing = describe(client, spec.name)
    if existing is not None:
        check_compatible(existing, spec)
        if "vector" not in (client.list_indexes(spec.name) or []):
            _add_index(client, spec.name, "vector", spec.index_type, spec.metric)
        client.load_collection(spec.name)
        return False
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=spec.dimension)
    schema.add_field("day", DataType.INT64)
    for fname, limit in TEXT_LIMITS.items():
        schema.add_field(fname, DataType.VARCHAR, max_length=limit)
    try:
        client.create_collection(
            spec.name, schema=schema, **STRONG, properties={MODEL_PROPERTY: spec.model} if spec.model else None
        )
        _add_index(client, spec.name, "vector", spec.index_type, spec.metric)
        for index_type in DAY_INDEX_TYPES:
            try:
                _add_index(client, spec.name, "day", index_type)
                break
            except Exception:  # noqa: BLE001 - this server does not build that scalar index: try the next
                continue
        client.load_collection(spec.name)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            client.drop_collection(spec.name)
        if isinstance(exc, Exception) and not isinstance(exc, MilvusStoreError):
            raise MilvusStoreError(
                f"could not create collection {spec.name!r} with a {spec.index_type} "
                f"{spec.metric} index: {getattr(exc, 'message', exc)}; nothing was left "
                "behind (the half-made collection was dropped)"
            ) from None
        raise
    return True


def _add_index(client, name: str, field: str, index_type: str, metric: str = "") -> None:
    index = client.prepare_index_params()
    if metric:
        index.add_index(
            field_name=field, index_type=index_type, metric_type=metric, params=index_build_params(index_type)
        )
    else:
        index.add_index(field_name=field, index_type=index_type)
    client.create_index(name, index)


def truncate_utf8(text: str, max_bytes: int) -> str:
    """Cut ``text`` to at most ``max_bytes`` UTF-8 bytes without splitting a character."""
    data = (text or "").encode("utf-8")
    if len(data) <= max_bytes:
        return text or ""
    return data[:max_bytes].decode("utf-8", errors="ignore")


def _rows(articles: pd.DataFrame, vectors: np.ndarray) -> Iterator[dict]:
    """The rows to upsert, one at a time: a vector becomes Python floats (32 bytes a number)
    only while its chunk is being sent, not for a whole range of days at once."""
    for rec, vec in zip(articles.to_dict("records"), vectors):
        row = {"id": rec["id"], "vector": vec.tolist(), "day": day_number(rec["date"])}
        for fname, limit in TEXT_LIMITS.items():
            row[fname] = truncate_utf8(str(rec.get(fname) or ""), limit)
        yield row


QUERY_LIMIT = 16384  # the most rows one query returns on a Milvus server


def ids_for_days(client, name: str, first_day: int, last_day: int) -> list[str]:
    """Ids of the rows of those days, sorted (a duplicate row listed twice)."""
    return sorted(pid for ids in ids_by_day(client, name, first_day, last_day).values() for pid in ids)


def write_days(
    client,
    spec: CollectionSpec,
    days: dict[dt.date, tuple[pd.DataFrame, np.ndarray]],
    chunk: int = 1000,
    flush: bool = False,
) -> dict[dt.date, dict]:
    """Make the collection's rows for each day exactly that day's articles: upsert them by
    primary key (in bulk, ``chunk`` rows a call), then delete rows of those days whose id is
    no longer in the source. Returns per-day counts.

    ``flush`` seals the written rows, once for all days. Use it for Milvus Lite: Lite scans
    unsealed rows in Python, so without it every filtered query of a backfill gets slower as
    rows pile up (0.24 s per query at 9,000 rows, 0.01 s once flushed). Not for servers,
    which rate-limit flushes and query unsealed rows natively."""
    for day, (articles, vectors) in days.items():
        if vectors.shape != (len(articles), spec.dimension):
            raise CollectionMismatchError(
                f"expected {len(articles)} vectors of dimension {spec.dimension} for {day}, got shape {vectors.shape}"
            )
    if not days:
        return {}
    numbers = {day: day_number(day) for day in days}
    before = ids_by_day(client, spec.name, min(numbers.values()), max(numbers.values()))
    rows = (row for articles, vectors in days.values() for row in _rows(articles, vectors))
    wrote = False
    while batch := list(itertools.islice(rows, chunk)):
        client.upsert(spec.name, batch)
        wrote = True
    counts, stale_all = {}, []
    for day, (articles, _) in days.items():
        old = set(before.get(numbers[day], ()))
        current = set(articles["id"])
        stale = sorted(old - current)
        stale_all.extend(stale)
        counts[day] = {
            "upserted": len(current),
            "new": len(current - old),
            "replaced": len(current & old),
            "deleted_stale": len(stale),
        }
    for i in range(0, len(stale_all), chunk):
        client.delete(spec.name, ids=stale_all[i : i + chunk])
    if flush and (wrote or stale_all):
        client.flush(spec.name)
    return counts


def write_day(
    client,
    spec: CollectionSpec,
    day: dt.date,
    articles: pd.DataFrame,
    vectors: np.ndarray,
    chunk: int = 1000,
    flush: bool = False,
) -> dict:
    """write_days for one day."""
    return write_days(client, spec, {day: (articles, vectors)}, chunk, flush)[day]


def ids_by_day(client, name: str, first_day: int, last_day: int) -> dict[int, list[str]]:
    """{day number: ids stored for it, sorted, a duplicate row listed twice} for the days
    first_day..last_day (a day without rows is absent)."""
    out: dict[int, list[str]] = {}
    for r in query_rows(client, name, window_filter(first_day, last_day), ["id", "day"]):
        out.setdefault(int(r["day"]), []).append(r["id"])
    return {d: sorted(ids) for d, ids in out.items()}


def query_rows(client, name: str, flt: str, fields: list[str], batch_size: int = 4096) -> list[dict]:
    """Every row matching ``flt``: one plain query (3x cheaper than an iterator on Lite), the
    query iterator only when the rows reach the query limit."""
    rows = client.query(name, filter=flt, output_fields=fields, limit=QUERY_LIMIT, **STRONG)
    if len(rows) < QUERY_LIMIT:
        return rows
    it = client.query_iterator(name, batch_size=batch_size, filter=flt, output_fields=fields, **STRONG)
    rows = []
    try:
        while batch := it.next():
            rows.extend(batch)
    finally:
        it.close()
    return rows


def query_window(
    client, name: str, first_day: int, last_day: int, fields: list[str], batch_size: int = 4096
) -> pd.DataFrame:
    """Every row with first_day <= day <= last_day, sorted by id."""
    out = query_rows(client, name, window_filter(first_day, last_day), fields, batch_size)
    frame = pd.DataFrame(out, columns=list(dict.fromkeys(["id", *fields])))
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


VECTOR_READ_ROWS = 8192  # rows whose vectors are Python floats at once while a window is read


def query_window_vectors(
    client, name: str, first_day: int, last_day: int, fields: list[str], rows_a_read: int = VECTOR_READ_ROWS
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every row with first_day <= day <= last_day, sorted by id, and their vectors as one
    float32 array in the same order.

    pymilvus hands vectors over as lists of Python floats (32 bytes a number: 1.2 GB for
    100,000 vectors of 384), so the window is read in runs of whole days of about
    ``rows_a_read`` rows (from a first read of the ``day`` field alone), each run's vectors
    turned into float32 before the next is read. A day is never split, so each read sees a
    whole day as stored."""
    per_day = (
        pd.Series(
            [r["day"] for r in query_rows(client, name, window_filter(first_day, last_day), ["day"])], dtype=np.int64
        )
        .value_counts()
        .sort_index()
    )
    columns = list(dict.fromkeys(["id", *(f for f in fields if f != "vector")]))
    frames, blocks = [], []
    for lo, hi in _day_runs(per_day, rows_a_read):
        rows = query_rows(client, name, window_filter(lo, hi), [*columns, "vector"])
        if rows:
            blocks.append(np.asarray([r["vector"] for r in rows], np.float32))
            frames.append(pd.DataFrame(rows, columns=columns))
        del rows
    if not frames:
        return pd.DataFrame(columns=columns), np.zeros((0, 0), np.float32)
    frame = pd.concat(frames, ignore_index=True)
    order = np.argsort(frame["id"].to_numpy(), kind="stable")
    vectors = np.concatenate(blocks)[order]
    return frame.iloc[order].reset_index(drop=True), vectors


def _day_runs(per_day: pd.Series, rows_a_read: int) -> list[tuple[int, int]]:
    """Consecutive (first, last) day numbers of ``per_day``'s days ({day: rows}, sorted),
    each run holding at most ``rows_a_read`` rows unless one day alone holds more."""
    runs: list[list[int]] = []
    rows = 0
    for day, n in per_day.items():
        if runs and rows + n <= rows_a_read:
            runs[-1][1] = int(day)
            rows += n
        else:
            runs.append([int(day), int(day)])
            rows = n
    return [(a, b) for a, b in runs]


def rows_outside(client, name: str, first_day: int, last_day: int) -> dict[int, int]:
    """{day number: rows stored} for the days outside first_day..last_day: articles of days
    the source no longer holds (the source was replaced or cut)."""
    flt = outside_filter(first_day, last_day)
    if not count_rows(client, name, flt):
        return {}
    out: dict[int, int] = {}
    for r in query_rows(client, name, flt, ["id", "day"]):
        out[int(r["day"])] = out.get(int(r["day"]), 0) + 1
    return dict(sorted(out.items()))


def count_rows(client, name: str, flt: str = "day >= 0") -> int:
    """Rows matching ``flt`` (every row by default), counting every acknowledged write."""
    return int(client.query(name, filter=flt, output_fields=["count(*)"], **STRONG)[0]["count(*)"])


def delete_outside(client, name: str, first_day: int, last_day: int) -> None:
    """Delete the rows of every day outside first_day..last_day."""
    client.delete(name, filter=outside_filter(first_day, last_day))


def outside_filter(first_day: int, last_day: int) -> str:
    return f"day < {int(first_day)} or day > {int(last_day)}"


def window_filter(first_day: int, last_day: int) -> str:
    return f"day >= {int(first_day)} and day <= {int(last_day)}"


def similarity_to_distance(values: np.ndarray, metric: str) -> np.ndarray:
    """Milvus scores -> true distances (>= 0, smaller is closer).

    COSINE and IP return similarities in [-1, 1] (for unit vectors): distance 1 - s.
    L2 returns the *squared* Euclidean distance: distance sqrt(value).
    """
    values = np.asarray(values, dtype=np.float64)
    if metric in ("COSINE", "IP"):
        # rounded to float32 precision so that equal vectors give exactly equal distances
        return np.clip(1.0 - values, 0.0, 2.0).astype(np.float32).astype(np.float64)
    if metric == "L2":
        return np.sqrt(np.clip(values, 0.0, None)).astype(np.float32).astype(np.float64)
    raise MilvusStoreError(f"unsupported metric {metric!r}")


def index_search_params(index_type: str, limit: int) -> dict:
    """Search-time parameters an approximate index needs to return ``limit`` good hits."""
    index_type = index_type.upper()
    if index_type == "HNSW":
        return {"ef": max(64, limit)}  # a server rejects ef < limit
    if index_type.startswith("IVF"):
        return {"nprobe": 32}
    return {}


def search_neighbours(
    client,
    name: str,
    ids: list[str],
    vectors: np.ndarray,
    k: int,
    first_day: int,
    last_day: int,
    metric: str,
    queries_per_call: int = 16384,
    index_type: str = "FLAT",
    consistency: dict = STRONG,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k nearest neighbours of every vector among the window's rows, self-matches dropped.

    Many query vectors go in one search call (``queries_per_call``; Milvus servers accept
    up to 16,384). Returns COO edge arrays (row, col, distance) indexing into ``ids``.
    """
    index = {pid: i for i, pid in enumerate(ids)}
    rows, cols, dists = [], [], []
    flt = window_filter(first_day, last_day)
    # Ask for more than k + 1 hits: Milvus orders equal scores (exact duplicates)
    # arbitrarily, so the k kept are chosen here by (distance, id), deterministically.
    limit = min(2 * k + 1, len(ids))
    if len(ids) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    for start in range(0, len(ids), queries_per_call):
        block = vectors[start : start + queries_per_call]
        results = client.search(
            name,
            data=block.tolist(),
            limit=limit,
            filter=flt,
            **consistency,
            anns_field="vector",
            search_params={"metric_type": metric, "params": index_search_params(index_type, limit)},
        )
        for offset, hits in enumerate(results):
            qi = start + offset
            found = []
            for hit in hits:
                j = index.get(hit["id"])
                if j is None or j == qi:
                    continue  # self-match, or a row written after the window was read
                found.append((float(similarity_to_distance(hit["distance"], metric)), hit["id"], j))
            for dist, _, j in sorted(found)[:k]:
                rows.append(qi)
                cols.append(j)
                dists.append(dist)
    return np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(dists, np.float64)
