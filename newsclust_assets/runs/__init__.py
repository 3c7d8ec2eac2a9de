"""The run engine: what ``newsclust run``, ``newsclust evaluate``, the sensor and the
benchmarks share, below the definitions and above the stages. No argument parsing and no
printing of its own (``log`` is passed in); the command line (``cli.py``) is on top.

- ``instance``: the persistent Dagster instance (``$DAGSTER_HOME``) and its dagster.yaml.
- ``planning``: which days, windows and story days are stale; the chunks runs are cut into.
- ``engine``: the range runs in lineage order, resumable, with one-line failures.
- ``signals``: SIGINT / SIGTERM seen through Dagster's own handlers, and the test pause points.
- ``failures``: the exceptions and one-line messages of a failed or interrupted command.
- ``asset_config``: the asset settings of ``--config`` and the options, checked before any work.
- ``maintenance``: ``prune`` and the story search, outside any run.
- ``evaluate``: ``newsclust evaluate``: the whole graph on a labelled file, scored.
"""
