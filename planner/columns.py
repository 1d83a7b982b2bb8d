"""Typing a whole column at once, where every cell of it is filled in right.

Most cells of a large workbook are fine, and a column checked at once runs at the speed of
Python's built-ins (``set``, ``map``, ``min``, ``max``) rather than at a function call per
cell. A column any cell of which has something to say (a blank where a value is required,
a value of another type, a number out of bounds or too large, a name not allowed) gives
None, and the validator checks its sheet cell by cell
(:func:`planner.validate.check_value`), whose messages stay the only ones.
"""

from __future__ import annotations

import math

from planner.limits import LARGEST, as_float
from planner.names import clean, key, spellings
from planner.schema import Column, Kind


def typed_column(values: list, column: Column) -> list | None:
    """``values`` (a column's cells as stored, None where blank) typed as
    :func:`~planner.validate.check_value` types each, blanks as the column's default, where
    it would find no problem in any of them; otherwise None."""
    kinds = set(map(type, values))
    blank = type(None) in kinds
    if blank and column.required:
        return None
    kinds.discard(type(None))
    if column.kind is Kind.NUMBER:
        typed = _numbers(values, column, kinds)
    elif column.allowed:
        typed = _allowed(values, column, kinds)
    else:
        typed = _texts(values, kinds)
    if typed is None or not blank:
        return typed
    return [column.default if x is None else x for x in typed]


def _numbers(values: list, column: Column, kinds: set[type]) -> list | None:
    """Numbers, as floats, finite, below :data:`~planner.limits.LARGEST` in magnitude and
    within the column's bounds (whole, positive) where it has them."""
    if not kinds <= {float, int} or column.allowed:
        return None
    if int in kinds:
        values = [x if x is None else as_float(x) for x in values]
    present = [x for x in values if x is not None]
    if not present:
        return values
    if not all(map(math.isfinite, present)) or max(map(abs, present)) >= LARGEST:
        return None
    low, high = min(present), max(present)
    if (column.minimum is not None and low < column.minimum) \
            or (column.maximum is not None and high > column.maximum) \
            or (column.positive and low <= 0) \
            or (column.whole and not all(map(float.is_integer, present))):
        return None
    return values


def _texts(values: list, kinds: set[type]) -> list | None:
    """Texts, cleaned as names are (:func:`planner.names.clean`), none cleaned to nothing;
    a number is the text it shows (2026, not 2026.0)."""
    if kinds - {str, float, int}:
        return None
    if kinds - {str}:
        values = [x if x is None or type(x) is str else
                  str(int(x)) if type(x) is float and x.is_integer() else str(x)
                  for x in values]
    cleaned = [x if x is None else " ".join(x.split()) if x.isascii() else clean(x)
               for x in values]
    return None if "" in cleaned else cleaned


def _allowed(values: list, column: Column, kinds: set[type]) -> list | None:
    """Texts each of which names one of the column's allowed values, spelt as the schema
    spells it."""
    if kinds - {str} or column.kind is not Kind.TEXT:
        return None
    canonical = spellings(column.allowed)
    meant = {x: canonical.get(key(x)) for x in set(values) if x is not None}
    if None in meant.values():
        return None
    return [x if x is None else meant[x] for x in values]
