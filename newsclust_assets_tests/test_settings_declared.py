"""Every clustering and tracking setting is declared once (``knobs.py``): the Dagster config,
the command-line options, the range checks and docs/settings.md all come from the
declaration and agree with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsclust_assets.assets.clusters import ClusterConfig
from newsclust_assets.assets.stories import StoriesConfig
from newsclust_assets.clustering.window_clustering import ClusterSettings
from newsclust_assets.knobs import knobs
from newsclust_assets.runs.asset_config import CLUSTER_OPTIONS, settings_markdown
from newsclust_assets.stories.tracking import TrackSettings

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("settings_cls", "config_cls"), [(ClusterSettings, ClusterConfig), (TrackSettings, StoriesConfig)]
)
def test_config_fields_are_the_declarations(settings_cls, config_cls):
    declared = knobs(settings_cls)
    shared = [n for n in config_cls.model_fields if n in declared]
    assert len(shared) >= 9
    for name in shared:
        field, k = config_cls.model_fields[name], declared[name]
        assert (field.default, field.description, field.annotation) == (k.default, k.help, k.type), name
    # the config's settings() is the dataclass with the same values, range-checked there
    assert config_cls().settings() == settings_cls()
    with pytest.raises(ValueError, match=r"similarity_threshold is a cosine in \[-1, 1\], got 1.5"):
        config_cls(similarity_threshold=1.5).settings()


def test_the_tracker_shares_the_clusterings_time_rule_and_is_stricter_across_days():
    track, cluster = knobs(TrackSettings), knobs(ClusterSettings)
    for name in ("time_weight", "time_scale"):
        assert track[name].default == cluster[name].default, name
    # joining across days asks for more similarity, and lets a day stretch news time less,
    # than merging within one window (docs/story_quality.md, 2026-12-07)
    assert track["similarity_threshold"].default > cluster["similarity_threshold"].default
    assert 0 < track["day_cap"].default < cluster["day_cap"].default


def test_cli_options_are_made_from_the_declarations(capsys):
    from newsclust_assets.cli import main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, k in CLUSTER_OPTIONS.items():
        assert f"--{name.replace('_', '-')}" in text
        assert " ".join(k.describe().split()) in text, name


def test_docs_settings_md_is_made_from_the_declarations():
    made = settings_markdown()
    assert (REPO / "docs" / "settings.md").read_text() == made, (
        "docs/settings.md is stale: python -m newsclust_assets.runs.asset_config > docs/settings.md"
    )
    assert "| `day_cap` | 75 | >= 0 | `--day-cap` |" in made
    assert "| `overlap_share` | 0.5 | (0, 1] |" in made


def test_a_range_is_checked_from_its_declaration():
    for kwargs, message in [
        ({"time_scale": 0}, "time_scale is a number of articles > 0, got 0"),
        ({"min_cluster_size": 1}, "min_cluster_size must be at least 2, got 1"),
        ({"algorithm": "kmeans"}, "algorithm must be one of"),
        ({"attach_similarity": 1.2}, r"attach_similarity must be in \[0, 1\], got 1.2"),
    ]:
        with pytest.raises(ValueError, match=message):
            ClusterSettings(**kwargs)
    with pytest.raises(ValueError, match=r"overlap_share must be in \(0, 1\], got 0"):
        TrackSettings(overlap_share=0)
