"""Text and popups on the interactive map: every name, label and figure reaches the page
escaped exactly once, and popups are bound with plain Leaflet."""

from __future__ import annotations

import html
from collections.abc import Sequence

from branca.element import MacroElement
from jinja2 import Template

from contingency.i18n.numbers import number

_JS_TEMPLATE_CHARS = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def text_html(text: object) -> str:
    """``text`` as HTML text, safe in any place folium puts it: markup characters and quotes
    become entities, and so do backtick, dollar and backslash, since folium writes tooltips
    into JavaScript template literals (where ``${...}`` would run and a backtick would end the
    string). Every name, title and label the map shows goes through here exactly once."""
    return html.escape(str(text), quote=True).translate(_JS_TEMPLATE_CHARS)


def popup_html(title: str, rows: Sequence[Sequence[object]], *, header: Sequence[str] = ()) -> str:
    """A popup: ``title`` over a table of rows ``(label, value, ...)``; with ``header`` (one
    heading per value column) a row with one value spans every value column."""
    e = text_html
    columns = max(len(header) - 1, 1)
    pad = "style='padding-right:8px'"

    def cells(values: Sequence[object]) -> str:
        span = f" colspan='{columns}'" if len(values) == 1 and columns > 1 else ""
        return "".join(f"<td {pad}{span}><b>{e(str(v))}</b></td>" for v in values)

    head = (
        "<tr>" + "".join(f"<th {pad} align='left' nowrap>{e(h)}</th>" for h in header) + "</tr>"
        if header
        else ""
    )
    body = "".join(f"<tr><td {pad}>{e(r[0])}</td>{cells(r[1:])}</tr>" for r in rows)
    style = "font-family:sans-serif;font-size:12px"
    return f"<div style='{style}'><b>{e(title)}</b><table>{head}{body}</table></div>"


def fmt(x: object, lang: str) -> str:
    """A figure as a popup shows it in ``lang``: thousands separated, two decimals, a dash for
    none."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        return number(x, lang, digits=2)
    if isinstance(x, int):
        return number(x, lang)
    return "—" if x is None else str(x)


class BindPopup(MacroElement):
    """A popup bound with plain Leaflet (folium's own Popup needs jQuery, which is not loaded)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup({{ this.content | tojson }}, {maxWidth: 360});"
        "{% endmacro %}"
    )

    def __init__(self, content: str):
        super().__init__()
        self._name = "BindPopup"
        self.content = content
