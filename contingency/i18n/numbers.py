"""Numbers as the page's language writes them (CLDR through Babel): ``1 234 567,5`` in Russian
and Kazakh, ``1,234,567.5`` in English."""

from __future__ import annotations

from babel.numbers import format_decimal

LOCALES = {"ru": "ru_RU", "kk": "kk_KZ", "en": "en_US"}
"""The CLDR locale of each board language."""


def number(value: float, lang: str, *, digits: int = 0) -> str:
    """``value`` in ``lang``'s digits and separators, rounded to ``digits`` decimals (trailing
    zeros kept, so a column of figures lines up); infinity as ``∞``."""
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "−∞"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALES[lang])
