"""The newsclust code location: six assets, their checks, and the default resources.

Defaults need no server and no key: the news sample shipped in the package, the bundled
all-MiniLM-L6-v2 on the CPU, Milvus Lite under NEWSCLUST_DATA_DIR (./newsclust_data).
"""

import dagster as dg

from .assets import ALL_ASSETS
from .resources import LocalEmbeddingResource, MapStorageResource, MilvusResource, NewsSourceResource
from .settings import data_dir, source_path


def default_resources() -> dict:
    base = data_dir()
    return {
        "news_source": NewsSourceResource(path=source_path()),
        "embedder": LocalEmbeddingResource(),
        "milvus": MilvusResource(uri=str(base / "milvus.db")),
        "maps": MapStorageResource(directory=str(base / "maps")),
    }


newsclust_job = dg.define_asset_job("newsclust_all", selection=dg.AssetSelection.assets(*ALL_ASSETS),
                                    description="All six assets for one day partition.")

defs = dg.Definitions(assets=ALL_ASSETS, resources=default_resources(), jobs=[newsclust_job])
