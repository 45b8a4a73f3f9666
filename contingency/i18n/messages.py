"""A problem's message in any language, from its catalogue key (``problem.<name>``) and values.

English templates carry Python format specs (``{total:.6g}``, ``{rest:,}``) and get the values
as they are, so English text is what the code always wrote. Russian and Kazakh templates use
plain ``{name}`` fields and get every number written by the locale (``1 234 567``, ``0,95``).
Three value names are spelt in words: ``hint`` (a close known name, or None) becomes
``(did you mean 'x'?)``; ``choices`` (texts shown as given) and ``kinds`` (catalogue keys of
type names) become a list ending in "or".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from babel.numbers import format_decimal

from contingency.i18n import catalogue, t

LOCALES = {"ru": "ru_RU", "kk": "kk_KZ", "en": "en_US"}
"""The CLDR locale of each language (as the board's ``numbers.LOCALES``)."""
LARGEST = 1e15
"""Numbers from here on are written in six significant figures, not digit by digit."""


def spell_number(value: float, lang: str) -> str:
    """``value`` as ``lang`` writes it: grouped digits, up to six decimals (beyond
    :data:`LARGEST` digits, in six significant figures)."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= LARGEST:
        try:
            return f"{value:.6g}"
        except OverflowError:  # an int beyond any float
            return "∞" if value > 0 else "−∞"
    pattern = "#,##0" if isinstance(value, int) else "#,##0.######"
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


def spell_value(value: Any, lang: str) -> Any:
    """A value for a Russian or Kazakh template: numbers by the locale, lists joined with
    commas, anything else as it is."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return spell_number(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(str(spell_value(v, lang)) for v in value)
    return value


def or_list(items: Sequence[str], lang: str) -> str:
    """``a, b or c`` in ``lang``."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t('problem.or', lang)} {items[-1]}"


def _spell(name: str, value: Any, lang: str) -> Any:
    if name == "hint":
        return t("problem.did_you_mean", lang, name=repr(value)) if value else ""
    if name == "choices":
        return or_list([str(v) for v in value], lang)
    if name == "kinds":
        return or_list([t(k, lang) for k in value], lang)
    return value if lang == "en" else spell_value(value, lang)


def message_text(key: str, values: Mapping[str, Any], lang: str) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in."""
    template = catalogue(lang).get(key) or catalogue("en").get(key) or key
    spelled = {name: _spell(name, v, lang) for name, v in values.items()}
    return template.format(**spelled) if spelled else template
