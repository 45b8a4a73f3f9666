"""Numbers as the page's language writes them (see :mod:`contingency.i18n.numbers`)."""

from contingency.i18n.numbers import LOCALES, number

__all__ = ["LOCALES", "number"]
