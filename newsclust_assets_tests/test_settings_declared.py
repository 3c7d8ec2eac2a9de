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


def test_every_environment_variable_is_declared_once_and_read_only_through_settings_env():
    """One declaration per NEWSCLUST_ variable (settings.VARIABLES, documented in
    docs/settings.md from it); no module but settings.py reads os.environ for one, and every
    name the package reads through env() is declared."""
    import re

    from newsclust_assets import settings

    package = REPO / "newsclust_assets"
    read = set()
    for path in package.rglob("*.py"):
        text = path.read_text()
        read |= set(re.findall(r"""env\(f?["'](NEWSCLUST_[A-Z_]+)["']\)""", text))
        if path.name == "settings.py":
            continue
        for line in text.splitlines():
            reads = re.search(r"os\.environ\b|getenv\(", line) and "NEWSCLUST_" in line
            assert not reads, f"{path.relative_to(REPO)}: {line.strip()}"
    assert read <= set(settings.VARIABLES), read - set(settings.VARIABLES)
    # the f-string reads of environment.py's endpoints: {prefix}_BASE_URL / _MODEL
    for prefix in ("NEWSCLUST_EMBEDDING", "NEWSCLUST_LLM"):
        assert {f"{prefix}_BASE_URL", f"{prefix}_MODEL", f"{prefix}_API_KEY"} <= set(settings.VARIABLES)
    made = settings_markdown()
    for name in settings.VARIABLES:
        assert f"| `{name}` |" in made, name
    assert "| `NEWSCLUST_EMBEDDING_BATCH_SIZE` | 256 |" in made  # the resource field's own default
    with pytest.raises(KeyError, match="NEWSCLUST_WINDOWDAYS is not a declared newsclust variable"):
        settings.env("NEWSCLUST_WINDOWDAYS")


def test_an_unset_variable_leaves_the_resource_fields_default(monkeypatch):
    from newsclust_assets.environment import embedder_from_env, namer_from_env
    from newsclust_assets.resources import OpenAIEmbeddingResource

    monkeypatch.setenv("NEWSCLUST_EMBEDDING_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_MODEL", "m")
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_BATCH_SIZE", "64")
    made = embedder_from_env()
    fields = OpenAIEmbeddingResource.model_fields
    assert made.batch_size == 64 and made.max_in_flight == fields["max_in_flight"].default
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_MAX_IN_FLIGHT", "many")
    with pytest.raises(ValueError, match="NEWSCLUST_EMBEDDING_MAX_IN_FLIGHT must be a whole number, got 'many'"):
        embedder_from_env()
    monkeypatch.setenv("NEWSCLUST_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("NEWSCLUST_LLM_MODEL", "chat")
    monkeypatch.setenv("NEWSCLUST_LLM_TIMEOUT_S", "2.5")
    assert namer_from_env().timeout_s == 2.5
