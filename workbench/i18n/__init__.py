"""The translation catalogue: every user-visible string of the workbench, in English and Japanese.

Strings live in `messages.yaml` beside this module, one key per string, each with an `en` and a
`ja` text; `{name}` placeholders are filled with `str.format`. Pages get a `Translator` for the
visitor's language and call it with a key: `t("projects.create")`. The hub's templates may use the
same catalogue through `messages()`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

LANGUAGES: Mapping[str, str] = {"en": "English", "ja": "日本語"}
DEFAULT_LANGUAGE = "en"
CATALOGUE_PATH = Path(__file__).with_name("messages.yaml")


@functools.cache
def messages() -> Mapping[str, Mapping[str, str]]:
    """Key -> {language -> text}, read once from `messages.yaml`."""
    with CATALOGUE_PATH.open(encoding="utf-8") as stream:
        loaded = yaml.safe_load(stream)
    return {str(key): dict(texts) for key, texts in loaded.items()}


def normalise_language(value: str | None) -> str | None:
    """`ja`, `ja-JP` or `JA` -> `ja`; None when `value` names no language we speak."""
    if not value:
        return None
    primary = value.strip().split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else None


def negotiate_language(
    *, requested: str | None = None, saved: str | None = None, accept_language: str | None = None
) -> str:
    """The language to show: an explicit request, else the saved choice, else the browser's."""
    for candidate in (requested, saved):
        language = normalise_language(candidate)
        if language:
            return language
    for part in (accept_language or "").split(","):
        language = normalise_language(part.split(";")[0])
        if language:
            return language
    return DEFAULT_LANGUAGE


class Translator:
    """Looks keys up in one language: `t = Translator("ja"); t("nav.projects")`."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        if language not in LANGUAGES:
            raise ValueError(
                f"language {language!r} is not supported (supported: {', '.join(LANGUAGES)})"
            )
        self.language = language

    def __call__(self, key: str, **values: Any) -> str:
        try:
            text = messages()[key][self.language]
        except KeyError:
            # A missing key must not take a page down; tests check that every used key exists.
            log.warning("translation key %r is missing for %r", key, self.language)
            return key
        return text.format(**values) if values else text

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"
