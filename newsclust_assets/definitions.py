"""The newsclust code location: eight assets, their checks, the sensor and the resources.

The resources come from the environment (``settings.VARIABLES`` declares every variable,
``environment.py`` builds the resources from them):
defaults need no server and no key; production is configuration alone.
"""

import dagster as dg

from .assets import ALL_ASSETS
from .automation import news_source_sensor
from .environment import default_resources

__all__ = ["default_resources", "defs", "newsclust_job"]


newsclust_job = dg.define_asset_job(
    "newsclust_all",
    selection=dg.AssetSelection.assets(*ALL_ASSETS),
    description="All eight assets for one day partition.",
)

# Every run executes its steps in one process: the steps run in lineage order anyway, and a
# process per step would import the code and load the model again for each (about 4 s a
# step here), which made a UI backfill run several times slower than `newsclust run`.
defs = dg.Definitions(
    assets=ALL_ASSETS,
    resources=default_resources(),
    jobs=[newsclust_job],
    sensors=[news_source_sensor],
    executor=dg.in_process_executor,
)
