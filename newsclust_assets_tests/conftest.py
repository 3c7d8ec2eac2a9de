import json
from pathlib import Path

import pytest

from newsclust_assets.resources import LocalEmbeddingResource, MapStorageResource, MilvusResource, NewsSourceResource
from newsclust_assets.settings import SAMPLE_PATH

REPO = Path(__file__).resolve().parent.parent
SHARED_NEWS = REPO.parent / "shared" / "data" / "news_category_10k.jsonl"


def write_jsonl(path: Path, rows: list) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(row if isinstance(row, str) else json.dumps(row))
            fh.write("\n")
    return path


def sample_rows(first: str | None = None, last: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in SAMPLE_PATH.read_text().splitlines()]
    return [r for r in rows if (first is None or r["date"] >= first) and (last is None or r["date"] <= last)]


def make_resources(tmp: Path, source: Path | str = SAMPLE_PATH, **milvus_kwargs) -> dict:
    return {
        "news_source": NewsSourceResource(path=str(source)),
        "embedder": LocalEmbeddingResource(),
        "milvus": MilvusResource(uri=str(tmp / "milvus.db"), **milvus_kwargs),
        "maps": MapStorageResource(directory=str(tmp / "maps")),
    }


@pytest.fixture
def shared_news() -> Path:
    if not SHARED_NEWS.exists():
        pytest.skip(f"shared data set not found at {SHARED_NEWS}")
    return SHARED_NEWS
