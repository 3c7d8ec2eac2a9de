"""The newsclust code location: eight assets, their checks, the sensor and the resources.

``defs`` is a ``dagster.definitions`` function: Dagster calls it when it loads the code
location, and only then are the environment and the news source read (the calendar of day
partitions, the resources). ``build_defs`` makes the same definitions for any calendar and
resources (``newsclust run`` and ``newsclust evaluate`` call it with their own).

The resources come from the environment (``settings.VARIABLES`` declares every variable,
``environment.py`` builds the resources from them):
defaults need no server and no key; production is configuration alone.
"""

from __future__ import annotations

import dagster as dg

from .assets import ASSET_NAMES, build_assets
from .automation import build_sensor
from .environment import default_resources
from .event_storage import enable_event_batches
from .partitions import Calendar, calendar_from_env

__all__ = ["JOB_NAME", "build_defs", "defs"]

JOB_NAME = "newsclust_all"


def build_defs(calendar: Calendar | None = None, resources: dict | None = None) -> dg.Definitions:
    """The code location for ``calendar`` (default: the environment's) with ``resources``
    (default: the environment's)."""
    calendar = calendar or calendar_from_env()
    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.assets(*ASSET_NAMES),
        description="All eight assets for one day partition.",
    )
    # Every run executes its steps in one process: the steps run in lineage order anyway, and a
    # process per step would import the code and load the model again for each (about 4 s a
    # step here), which made a UI backfill run several times slower than `newsclust run`.
    return dg.Definitions(
        assets=build_assets(calendar),
        resources=resources if resources is not None else default_resources(),
        jobs=[job],
        sensors=[build_sensor(calendar)],
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What ``dagster dev`` / ``dg`` load: the environment's calendar and resources."""
    enable_event_batches()
    return build_defs()
