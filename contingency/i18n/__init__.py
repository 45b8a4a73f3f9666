"""String catalogues, one per language; code holds keys, not sentences."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("ru", "kk", "en")
DEFAULT_LANGUAGE = "ru"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of ``lang`` (one of ``LANGUAGES``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return json.loads((Path(__file__).parent / f"{lang}.json").read_text(encoding="utf-8"))


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``lang``, formatted with ``values``; the key itself if missing."""
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    return text.format(**values) if values else text
