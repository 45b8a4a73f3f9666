"""Input problems in the reader's language: ``FILE: field.path: message (got X)``.

English is exactly ``str(problem)``. In Russian and Kazakh a problem with a catalogue key is
said wholly in that language, numbers written by the locale; one without a key (a message
that has English only) gets a lead-in in the language and its English text.
"""

from __future__ import annotations

import re

from contingency.errors import InputError, Problem, quote
from contingency.i18n import t
from contingency.i18n.messages import message_text, spell_number

_LINE = re.compile(r"line (\d+)(?:, column (\d+))?")
_FIELD_LIMIT, _MESSAGE_LIMIT, _GOT_LIMIT = 120, 240, 60
"""The bounds ``str(problem)`` keeps each part within."""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _field(field: str, lang: str) -> str:
    """The field path with its few words (``(top level)``, ``line 7, column 3``) in ``lang``."""
    if field == "(top level)":
        return t("problem.top_level", lang)

    def line(m: re.Match[str]) -> str:
        if m.group(2) is None:
            return t("problem.line", lang, line=m.group(1))
        return t("problem.line_column", lang, line=m.group(1), column=m.group(2))

    return _LINE.sub(line, field)


def _got(value: object, lang: str) -> str:
    if value is None:
        return t("problem.nothing", lang)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return spell_number(value, lang)
    return quote(value, _GOT_LIMIT)


def localized(problem: Problem, lang: str) -> str:
    """``problem`` as one line in ``lang`` (``ru``, ``kk`` or ``en``); in English, exactly
    ``str(problem)``."""
    if lang == "en":
        return str(problem)
    if problem.key is not None:
        message = message_text(problem.key, problem.values, lang)
    else:
        message = t("problem.english_only", lang, detail=problem.message)
    field = _clip(_field(problem.field, lang), _FIELD_LIMIT) if problem.field else ""
    text = f"{problem.file}: "
    text += f"{field}: " if field else ""
    text += _clip(message, _MESSAGE_LIMIT)
    if problem.has_got:
        text += t("problem.got", lang, got=_got(problem.got, lang))
    return text


def problems_text(exc: InputError, lang: str) -> list[str]:
    """Every problem of ``exc``, one line each, in ``lang``: what the board lists."""
    return [localized(p, lang) for p in exc.problems]
