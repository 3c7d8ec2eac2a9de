"""Story names from an OpenAI-compatible chat endpoint (the real ``openai`` client against
the local test server on 127.0.0.1), and every fallback to the offline name."""

import json

import dagster as dg
import pandas as pd
import pytest

from newsclust_assets.resources import StoryNamerResource
from newsclust_assets.stories.llm_names import LlmNamer, clean_name

from .conftest import ALL_ASSETS, DAILY, make_resources, md, sample_rows, write_jsonl
from .openai_compatible_server import EmbeddingServer

KEY = "sk-llm-test-KEY-0077"
HEADS = ["Harbor City transit workers walk out over pay", "Transit strike leaves Harbor City commuters stranded"]


@pytest.fixture
def chat():
    server = EmbeddingServer(model="test-chat", api_key=KEY)
    yield server
    server.close()


def _namer(chat, tmp_path, **kw):
    return LlmNamer(chat.url, "test-chat", kw.pop("api_key", KEY), cache_path=tmp_path / "llm_names.json", **kw)


def test_clean_name_accepts_only_short_plain_names():
    assert clean_name('"Harbor City transit strike."') == "Harbor City transit strike"
    assert clean_name("Name: Mars lander touches down safely") == "Mars lander touches down safely"
    for bad in (
        None,
        "",
        "Strike",
        "one two three",
        "a " * 9,
        "two\nlines of text here",
        "<b>Bold</b> name of story",
        "[link](http://x) in the name",
    ):
        assert clean_name(bad) is None, bad


def test_names_come_from_the_endpoint_and_are_cached_per_membership(chat, tmp_path):
    namer = _namer(chat, tmp_path)
    assert namer.name(["a", "b"], HEADS, ["transit", "strike"], "offline") == "Harbor City transit workers walk out"
    assert (
        namer.name(["b", "a"], HEADS, ["transit"], "offline") == "Harbor City transit workers walk out"
    )  # same members
    assert len(chat.requests) == 1 and chat.requests[0]["auth"] == f"Bearer {KEY}"
    prompt = chat.requests[0]["body"]["messages"][-1]["content"]
    assert HEADS[1] in prompt and "transit, strike" in prompt
    namer.save()
    again = _namer(chat, tmp_path)  # a re-run reads the cache: nothing asked
    assert again.name(["a", "b"], HEADS, [], "offline") == "Harbor City transit workers walk out"
    assert len(chat.requests) == 1 and again.report()["llm_cached"] == 1
    assert KEY not in json.dumps(again.report()) + (tmp_path / "llm_names.json").read_text()


@pytest.mark.parametrize(
    "script, reason",
    [
        ([("status", 500)], "HTTP 500"),
        ([("status", 429)], "HTTP 429"),
        ([("sleep", 1.0)], "timeout"),
        ([("answer", "<script>alert(1)</script> named story here")], "unusable answer"),
        ([("answer", "Strike")], "unusable answer"),
        ([("answer", "")], "unusable answer"),
    ],
)
def test_every_failure_falls_back_to_the_offline_name(chat, tmp_path, script, reason):
    chat.script = list(script)
    namer = _namer(chat, tmp_path, timeout_s=0.3)
    assert namer.name(["a"], HEADS, [], "Offline name [transit / strike]") == "Offline name [transit / strike]"
    assert dict(namer.fallbacks) == {reason: 1}
    assert namer.report()["llm_fallback_reasons"] == f"{reason}: 1"


def test_wrong_key_unreachable_server_and_daily_cap_fall_back(chat, tmp_path):
    wrong = _namer(chat, tmp_path, api_key="sk-wrong")
    assert wrong.name(["a"], HEADS, [], "offline") == "offline" and dict(wrong.fallbacks) == {"HTTP 401": 1}
    gone = LlmNamer("http://127.0.0.1:9/v1", "test-chat", timeout_s=0.5)
    assert gone.name(["a"], HEADS, [], "offline") == "offline" and dict(gone.fallbacks) == {"connection failed": 1}
    capped = _namer(chat, tmp_path, max_per_day=1)
    capped.name(["a"], HEADS, [], "offline")
    assert capped.name(["c"], HEADS, [], "offline") == "offline" and capped.fallbacks["over max_per_day"] == 1


def test_stories_asset_names_with_the_endpoint_and_falls_back_when_it_fails(chat, tmp_path):
    days = ["2024-03-13", "2024-03-14"]
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(days[0], days[1]))
    resources = make_resources(tmp_path, source)
    resources["story_namer"] = StoryNamerResource(base_url=chat.url, model="test-chat", api_key=KEY)
    with dg.instance_for_test() as instance:
        tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[1]}
        assert dg.materialize(ALL_ASSETS, selection=DAILY, instance=instance, resources=resources, tags=tags).success
        good = dg.materialize(
            ALL_ASSETS,
            selection=["knn_distances", "cluster_labels", "stories"],
            partition_key=days[1],
            instance=instance,
            resources=resources,
        )
        meta = md(good, "stories")
        assert meta["names"] == "LLM (test-chat)" and meta["llm_named_today"] == meta["born"] > 0
        articles = pd.read_csv(meta["articles_csv"])
        assert not articles["story_name"].str.contains(r"\[", regex=True).any()  # no offline "[words]" names
        assert KEY not in json.dumps({k: str(v) for k, v in meta.items()})

        chat.always = ("status", 503)
        (tmp_path / "stories" / "llm_names.json").unlink()  # nothing cached: every name is asked again
        failing = dg.materialize(
            ALL_ASSETS,
            selection=["knn_distances", "cluster_labels", "stories"],
            partition_key=days[1],
            instance=instance,
            resources=resources,
        )
        assert failing.success
        meta = md(failing, "stories")
        assert meta["llm_fallbacks_today"] == meta["born"]
        assert pd.read_csv(meta["articles_csv"])["story_name"].str.contains(r"\[", regex=True).all()
        assert meta["llm_fallback_reasons"] == f"HTTP 503: {meta['born']}"  # the run's totals, by reason
