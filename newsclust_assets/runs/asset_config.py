"""The asset settings a command runs with: a ``--config`` file (JSON or YAML, asset names as
keys) with the clustering options on top, every field checked before any work."""

from __future__ import annotations

import json
from pathlib import Path

from ..clustering.window_clustering import ClusterSettings
from ..knobs import knobs, shown
from ..settings import VARIABLES, variables_markdown
from ..stories.tracking import TrackSettings
from .planning import STORIES, WINDOWED

# the cluster_labels settings that are also options of newsclust run / evaluate (their type,
# default and help come from ClusterSettings' declarations)
CLUSTER_OPTIONS = {
    name: knobs(ClusterSettings)[name]
    for name in (
        "algorithm",
        "similarity_threshold",
        "lexical_weight",
        "time_weight",
        "time_scale",
        "day_cap",
        "word_veto",
        "min_cluster_size",
        "attach_similarity",
    )
}
TIME_OPTIONS = ("time_weight", "time_scale", "day_cap")  # the time rule: the clustering's and the tracker's


def load_asset_config(path: str | None, options: dict, validate: bool = True) -> dict:
    """{asset: {field: value}} from a JSON or YAML file, then the clustering options on top
    (``options``: the command's options by name, those not given as None).
    The file holds asset names as keys, e.g. ``{"cluster_labels": {"similarity_threshold": 0.35}}``."""
    config: dict = {}
    if path:
        p = Path(path)
        if not p.is_file():
            raise SystemExit(f"newsclust: config file not found: {p}")
        text = p.read_text()
        try:
            if p.suffix.lower() in (".yaml", ".yml"):
                import yaml

                config = yaml.safe_load(text) or {}
            else:
                config = json.loads(text)
        except Exception as exc:  # noqa: BLE001 - one line for any parse error
            raise SystemExit(f"newsclust: cannot read config file {p}: {exc}") from None
        known = set(WINDOWED) | set(STORIES)
        if not isinstance(config, dict) or not set(config) <= known:
            raise SystemExit(f"newsclust: config file {p} must map asset names {sorted(known)} to their settings")
    cluster = dict(config.get("cluster_labels") or {})
    for option in CLUSTER_OPTIONS:
        value = options.get(option)
        if value is not None:
            cluster[option] = value
    if options.get("label_field"):
        cluster["story_field"] = options["label_field"]
    if cluster:
        config["cluster_labels"] = cluster
    shared = {k: cluster[k] for k in TIME_OPTIONS if k in cluster}
    if shared:  # one time rule: the tracker follows the clustering's unless the file sets its own
        config["stories"] = {**shared, **(config.get("stories") or {})}
    if validate:  # evaluate validates once it has pointed the code location at its file
        validate_asset_config(config)
    return config


def config_classes() -> dict:
    from ..assets.clusters import ClusterConfig
    from ..assets.knn import KnnConfig
    from ..assets.plot import PlotConfig
    from ..assets.stories import StoriesConfig, TimelineConfig

    return {
        "knn_distances": KnnConfig,
        "cluster_labels": ClusterConfig,
        "umap_plot": PlotConfig,
        "stories": StoriesConfig,
        "story_timeline": TimelineConfig,
    }


def validate_asset_config(config: dict) -> None:
    """Every asset setting checked before any work: an unknown field, a wrong type or a value
    out of range is one line naming the asset and the field (SystemExit)."""
    import pydantic

    for asset, values in config.items():
        cls = config_classes()[asset]
        if not isinstance(values, dict):
            raise SystemExit(f"newsclust: the settings of {asset} must be a mapping of field: value")
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            raise SystemExit(
                f"newsclust: {asset} has no setting {unknown[0]!r} (its settings: "
                f"{', '.join(sorted(cls.model_fields))})"
            )
        try:
            made = cls(**values)
        except pydantic.ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err.get("loc", ())) or "?"
            raise SystemExit(f"newsclust: {asset}.{field}: {err.get('msg')} (got {err.get('input')!r})") from None
        except Exception as exc:  # noqa: BLE001 - any other refusal: one line
            raise SystemExit(f"newsclust: {asset}: {exc}") from None
        check = getattr(made, "settings", None) or getattr(made, "check_values", None)
        if check is not None:
            try:
                check()
            except ValueError as exc:
                raise SystemExit(f"newsclust: {asset}: {exc}") from None


SETTINGS_SOURCES = {"cluster_labels": ClusterSettings, "stories": TrackSettings}


def _resource_fields() -> dict[str, tuple[str, str]]:
    """{"Resource.field": (default, description)} of every resource field an environment
    variable sets (their defaults are declared once, on the resource)."""
    from .. import resources

    out = {}
    for v in VARIABLES.values():
        if v.field:
            cls, name = v.field.split(".")
            info = getattr(resources, cls).model_fields[name]
            out[v.field] = (shown(info.default) if info.default not in ("", None) else "none", info.description or "")
    return out


def settings_markdown() -> str:
    """docs/settings.md: every asset setting with its default, range and help, made from the
    declarations (``python -m newsclust_assets.runs.asset_config > docs/settings.md``; a test
    keeps the file equal to this)."""
    lines = [
        "# Settings",
        "",
        "Made from the declarations in the code (`python -m newsclust_assets.runs.asset_config > "
        "docs/settings.md`); a test keeps this file equal to them. Set them in the Dagster launchpad, in "
        "`newsclust run --config FILE` / `newsclust evaluate --config FILE` (JSON or YAML, asset names as "
        "keys: `{cluster_labels: {similarity_threshold: 0.35}}`), or through the options below. The environment "
        "variables come last.",
        "",
    ]
    for asset, cls in config_classes().items():
        declared = knobs(SETTINGS_SOURCES[asset]) if asset in SETTINGS_SOURCES else {}
        lines += [f"## `{asset}`", "", "| setting | default | range | option | what it does |", "|---|---|---|---|---|"]
        for name, info in cls.model_fields.items():
            k = declared.get(name)
            option = f"`--{name.replace('_', '-')}`" if asset == "cluster_labels" and name in CLUSTER_OPTIONS else ""
            help_text = (info.description or "").replace("|", "\\|")
            lines.append(
                f"| `{name}` | {shown(info.default)} | {k.range_text() if k else ''} | {option} | {help_text} |"
            )
        lines.append("")
    lines += [
        "`newsclust run` and `evaluate` pass `--time-weight`, `--time-scale` and `--day-cap` to `stories` as "
        "well, so the tracker and the clustering share one time rule unless the file sets the tracker's own. "
        "Without them the tracker's defaults ask more than the clustering's ("
        + ", ".join(
            f"`{name}` {shown(knobs(TrackSettings)[name].default)} against {shown(knobs(ClusterSettings)[name].default)}"
            for name in ("similarity_threshold", "day_cap")
        )
        + "): a window merges loosely so that an event is not cut in two, and the tracker keeps one subject's "
        "different events on different days apart.",
        "",
        variables_markdown(_resource_fields()),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_markdown(), end="")
