"""The column checked at once (planner.columns) agrees with the cells checked one by one.

For every column of every schema sheet and any mix of stored values (numbers in and out of
bounds, too large, not finite, whole or not, integers beyond floats, texts with odd spaces
or invisible characters, names in other cases, dates, booleans, blanks), the column typed
at once is either None, so that its sheet is checked cell by cell, or exactly the values
the cell-by-cell check gives, which then reports no problem.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.columns import typed_column
from planner.problems import Validation
from planner.schema import SHEETS
from planner.validate import check_value
from planner.workbook import RawCell

COLUMNS = [c for s in SHEETS for c in s.columns]
ALLOWED = sorted({a for c in COLUMNS for a in c.allowed})

stored = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 0.5, -1.0, 2026.0, 1e15, -1e15, 9.99e14, 1e300]),
    st.integers(min_value=-10**400, max_value=10**400),
    st.sampled_from([0, 1, 2026, 10**15, 10**309]),
    st.sampled_from(["", " ", "  a  b ", "\u200b", "a\u200bb", "\u00a0x", "Caf\u00e9",
                     "Cafe\u0301", "\uff21", "1,000", "12", "INF", "x\ty"]),
    st.sampled_from(ALLOWED).flatmap(lambda a: st.sampled_from([a, a.upper(), f" {a} "])),
    st.text(max_size=6),
    st.booleans(),
    st.sampled_from([dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 1, 12), dt.time(3, 4)]),
)


def same(a: object, b: object) -> bool:
    return type(a) is type(b) and (a == b or (isinstance(a, float) and math.isnan(a)
                                              and math.isnan(b)))


def near_bounds(column) -> st.SearchStrategy:
    """Numbers at and beside the column's bounds, where a check is most easily wrong."""
    edges = [b for b in (column.minimum, column.maximum, 0.0) if b is not None]
    return st.sampled_from(edges).flatmap(
        lambda b: st.sampled_from([b, b - 1e-9, b + 1e-9, b - 1, b + 1, b + 0.5]))


@pytest.mark.parametrize("column", COLUMNS, ids=lambda c: c.name)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_column_at_once_agrees_with_its_cells_one_by_one(column, data):
    values = data.draw(st.lists(st.one_of(stored, near_bounds(column)), max_size=8))
    at_once = typed_column(values, column)
    v = Validation(settings={"Currency": "USD"})
    one_by_one = [check_value(v, "Sheet", RawCell(x, f"A{i}"), column)
                  for i, x in enumerate(values, start=2)]
    if at_once is not None:
        assert not v.problems, (column.name, values, v.problems)
        assert len(at_once) == len(one_by_one)
        assert all(same(a, b) for a, b in zip(at_once, one_by_one)), \
            (column.name, values, at_once, one_by_one)


def test_columns_filled_in_right_are_typed_at_once():
    """The column path is the one taken for well-kept columns (else it would be dead)."""
    by_name = {c.name: c for c in COLUMNS}
    assert typed_column([1.0, 2, None], by_name["Tariff"]) == [1.0, 2.0, 0.0]
    assert typed_column([" a  b", 2026.0, 3], by_name["Lane"]) == ["a b", "2026", "3"]
    kind = next(c for c in COLUMNS if c.allowed)
    assert typed_column([kind.allowed[0].upper()], kind) == [kind.allowed[0]]
    assert typed_column([-1.0], by_name["Cost"]) is None
    assert typed_column([None], by_name["Lane"]) is None
