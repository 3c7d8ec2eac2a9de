"""Story names from an OpenAI-compatible chat endpoint, optional. No Dagster imports.

A story is named when it is born and again when more than a third of it is new (the
tracker's rule). The offline name is its most central headline plus its top words; with
an endpoint configured, ``LlmNamer`` asks for a 4-8 word name from the story's central
headlines and words instead. Any error, timeout or unusable answer (empty, too short or
long, several lines, markup) falls back to the offline name and is counted by reason, so
naming can never fail a day. Answers are cached per model and membership (a JSON file
beside the registry), so re-running a day asks nothing again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import files

MIN_WORDS, MAX_WORDS = 4, 8
SYSTEM = (
    "You name news stories. Answer with one name of 4 to 8 words that says what the story is about. "
    "No quotes, no punctuation at the end, nothing else."
)
_MARKUP = re.compile(r"[<>{}\[\]`*_#|]")


def messages(headlines: list[str], words: list[str]) -> list[dict]:
    lines = "\n".join(f"- {h}" for h in headlines[:8])
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Headlines of one story:\n{lines}\nTop words: {', '.join(words[:8])}\nName:"},
    ]


def clean_name(text: object) -> str | None:
    """The answer as a name, or None when it is not a usable 4-8 word name."""
    if not isinstance(text, str):
        return None
    text = text.strip().strip("\"'\u201c\u201d").strip()
    text = re.sub(r"^(name|story)\s*:\s*", "", text, flags=re.I).rstrip(".").strip()
    if not text or "\n" in text or _MARKUP.search(text):
        return None
    if not MIN_WORDS <= len(text.split()) <= MAX_WORDS or len(text) > 100:
        return None
    return text


def membership_key(model: str, members: list[str]) -> str:
    return hashlib.sha256((model + "\n" + "\n".join(sorted(members))).encode()).hexdigest()[:24]


@dataclass
class LlmNamer:
    base_url: str
    model: str
    api_key: str = ""
    timeout_s: float = 15.0
    max_per_day: int = 50  # stories named by the endpoint per day; the rest keep offline names
    cache_path: Path | None = None
    asked: int = 0
    named: int = 0
    cached: int = 0
    fallbacks: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self._cache: dict[str, str] = {}
        if self.cache_path and self.cache_path.exists():
            try:
                self._cache = json.loads(self.cache_path.read_text())
            except (OSError, ValueError):
                self._cache = {}

    def _client(self):
        from openai import OpenAI

        return OpenAI(base_url=self.base_url, api_key=self.api_key or "none", timeout=self.timeout_s, max_retries=0)

    def name(self, members: list[str], headlines: list[str], words: list[str], offline: str) -> str:
        key = membership_key(self.model, members)
        if key in self._cache:
            self.cached += 1
            return self._cache[key]
        if self.asked >= self.max_per_day:
            self.fallbacks["over max_per_day"] += 1
            return offline
        self.asked += 1
        try:
            answer = self._client().chat.completions.create(
                model=self.model, messages=messages(headlines, words), max_tokens=32, temperature=0
            )
            text = answer.choices[0].message.content if answer.choices else None
        except Exception as exc:  # noqa: BLE001 - any failure of the endpoint falls back
            self.fallbacks[_reason(exc)] += 1
            return offline
        name = clean_name(text)
        if name is None:
            self.fallbacks["unusable answer"] += 1
            return offline
        self.named += 1
        self._cache[key] = name
        return name

    def save(self) -> None:
        if self.cache_path and self._cache:
            files.write_text(self.cache_path, json.dumps(self._cache, indent=0, sort_keys=True))

    def report(self) -> dict:
        return {
            "llm_model": self.model,
            "llm_asked": self.asked,
            "llm_named": self.named,
            "llm_cached": self.cached,
            "llm_fallbacks": sum(self.fallbacks.values()),
            "llm_fallback_reasons": ", ".join(f"{k}: {v}" for k, v in sorted(self.fallbacks.items())) or "none",
        }


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout"
    status = getattr(exc, "status_code", None)
    if status:
        return f"HTTP {status}"
    if "Connection" in name:
        return "connection failed"
    return name
