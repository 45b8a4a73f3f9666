"""Text from scenarios and map packs on the board's markdown elements, shown as written."""

from __future__ import annotations

import re

_MARKDOWN_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


def plain(text: str) -> str:
    """``text`` for a markdown element, shown as the text it is: every ASCII punctuation mark
    is backslash-escaped, so no image (fetched from outside), link, HTML, emphasis or formula
    is made of a scenario's own words."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", text)
