"""Every story ever seen, in a Milvus collection beside the articles. No Dagster imports.

The tracker's state holds only the stories of the last ``return_days``; the story store
holds all of them, so that a cluster can be matched against every story by its vector
(a story back after months *returns* instead of being born again), and so that any text
can be matched to its nearest story from outside Dagster (``newsclust story-search``).

One row per story and day it changed (``<story>@<day number>``): the mean of the unit
vectors of every article first given the story (the vector searched), how many that is,
their summed position in news time, and the registry fields. A day's rows are the
stories as they stood at the end of that day, so a re-run from day D first deletes the
rows of D and later (``delete_from``) and reads the newest row of each story before D
(``latest_before``): day D sees exactly what it saw the first time. No scalar index is
created (Milvus 2.3 servers accept only STL_SORT on integers); the day filter scans.
"""

from __future__ import annotations

import numpy as np

from ..vectors.milvus_store import STRONG, day_number, query_rows, truncate_utf8
from .tracking import MemoryArchive, Story

TEXT_FIELDS = {
    "story": 32,
    "name": 512,
    "born": 10,
    "last_seen": 10,
    "status": 16,
    "merged_into": 32,
    "parents": 2048,
    "children": 2048,
}
NUMBER_FIELDS = ("day", "members", "articles")
FIELDS = ["story", *NUMBER_FIELDS, "position_sum", *[f for f in TEXT_FIELDS if f != "story"]]
GET_BATCH = 1000  # rows fetched by id per call


def collection_for(articles_collection: str) -> str:
    return f"{articles_collection}_stories"


def ensure(client, name: str, dimension: int) -> None:
    """Create the story collection if absent (COSINE, FLAT index: exact), and load it. A
    failed creation is dropped again, so the next run starts clean."""
    from pymilvus import DataType, MilvusClient

    if client.has_collection(name):
        client.load_collection(name)
        return
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    for f in NUMBER_FIELDS:
        schema.add_field(f, DataType.INT64)
    schema.add_field("position_sum", DataType.DOUBLE)
    for f, limit in TEXT_FIELDS.items():
        schema.add_field(f, DataType.VARCHAR, max_length=limit)
    index = client.prepare_index_params()
    index.add_index(field_name="vector", index_type="FLAT", metric_type="COSINE")
    try:
        client.create_collection(name, schema=schema, index_params=index, **STRONG)
        client.load_collection(name)
    except Exception:
        if client.has_collection(name):
            client.drop_collection(name)
        raise


def _row(story: Story, day: str) -> dict:
    mean = np.asarray(story.history_sum, np.float64) / max(story.history_n, 1)
    row = {
        "id": f"{story.id}@{day_number(day)}",
        "vector": mean.astype(np.float32).tolist(),
        "day": day_number(day),
        "members": int(story.history_n),
        "articles": int(story.articles),
        "position_sum": float(story.position_sum),
    }
    values = {
        "story": story.id,
        "name": story.name,
        "born": story.born,
        "last_seen": story.last_seen,
        "status": story.status,
        "merged_into": story.merged_into,
        "parents": " ".join(story.parents),
        "children": " ".join(story.children),
    }
    row.update({f: truncate_utf8(str(values[f] or ""), limit) for f, limit in TEXT_FIELDS.items()})
    return row


def _story(row: dict) -> Story:
    n = int(row["members"])
    return Story(
        id=row["story"],
        name=row["name"],
        born=row["born"],
        last_seen=row["last_seen"],
        status=row["status"],
        merged_into=row["merged_into"],
        parents=row["parents"].split(),
        children=row["children"].split(),
        articles=int(row["articles"]),
        total=n,
        vector_sum=None,
        history_sum=np.asarray(row["vector"], np.float64) * n,
        history_n=n,
        position_sum=float(row["position_sum"]),
    )


def write(client, name: str, day: str, stories: list[Story]) -> int:
    rows = [_row(s, day) for s in stories if s.history_sum is not None and s.history_n > 0]
    for i in range(0, len(rows), 1000):
        client.upsert(name, rows[i : i + 1000])
    return len(rows)


def delete_from(client, name: str, day: str) -> None:
    """Drop the rows of ``day`` and every later day (a re-run redoes them)."""
    client.delete(name, filter=f"day >= {day_number(day)}")


def _newest(client, name: str, flt: str) -> dict[str, dict]:
    """Each story's row of the latest day among the rows matching ``flt``, vector included.
    The rows' story and day are read first and only the newest rows' vectors after: a story
    has a row for every day it changed, and reading every vector cost a year-long run of
    ``stories`` most of its time on Milvus Lite (14 s for 62k rows, against 5 s)."""
    newest: dict[str, int] = {}
    for row in query_rows(client, name, flt, ["story", "day"]):
        if row["day"] > newest.get(row["story"], -1):
            newest[row["story"]] = row["day"]
    ids = [f"{sid}@{day}" for sid, day in newest.items()]
    rows: dict[str, dict] = {}
    for i in range(0, len(ids), GET_BATCH):
        for row in client.get(name, ids=ids[i : i + GET_BATCH], output_fields=["vector", *FIELDS], **STRONG):
            rows[row["story"]] = row
    return rows


def latest_before(client, name: str, day: str) -> dict[str, Story]:
    """Each story's newest row from before ``day``."""
    return {sid: _story(r) for sid, r in _newest(client, name, f"day < {day_number(day)}").items()}


def search(client, name: str, vector: np.ndarray, limit: int = 5) -> list[dict]:
    """The stories nearest to a unit ``vector`` (their newest rows), best first:
    {story, name, similarity, members, born, last_seen, status}."""
    hits = client.search(
        name,
        data=[np.asarray(vector, np.float32).tolist()],
        limit=max(4 * limit, 20),
        anns_field="vector",
        output_fields=["story", "day"],
        **STRONG,
        search_params={"metric_type": "COSINE", "params": {}},
    )[0]
    found = sorted({h["entity"]["story"] for h in hits})
    if not found:
        return []
    quoted = ", ".join(f'"{s}"' for s in found)
    newest = _newest(client, name, f"story in [{quoted}]")
    unit = np.asarray(vector, np.float64)
    out = []
    for sid, r in newest.items():
        mean = np.asarray(r["vector"], np.float64)
        norm = float(np.linalg.norm(mean)) or 1.0
        out.append(
            {
                "story": sid,
                "name": r["name"],
                "similarity": round(float(unit @ mean) / norm, 4),
                "mean_cosine": round(float(unit @ mean), 4),
                "members": int(r["members"]),
                "born": r["born"],
                "last_seen": r["last_seen"],
                "status": r["status"],
            }
        )
    return sorted(out, key=lambda h: (-h["similarity"], h["story"]))[:limit]


class MilvusArchive(MemoryArchive):
    """The tracker's archive for a run of days: the store's stories from before the run's
    first day, read once, plus what the run's days add in memory; ``flush`` writes the
    run's rows (one upsert batch per call instead of one per day)."""

    def __init__(self, client, name: str, first_day: str):
        super().__init__()
        self.client, self.name = client, name
        delete_from(client, name, first_day)
        self.stories = latest_before(client, name, first_day)
        self.pending: list[tuple[str, list[Story]]] = []

    def put(self, day: str, stories: list[Story]) -> None:
        super().put(day, stories)
        self.pending.append((day, list(stories)))

    def flush(self) -> int:
        written = sum(write(self.client, self.name, day, stories) for day, stories in self.pending)
        self.pending = []
        return written
