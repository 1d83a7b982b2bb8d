"""How closely numbers from different cells must agree, and how they are shown when not.

A spreadsheet shows a rounded number and stores the full float behind it, so sums and
comparisons of cells carry rounding a planner never sees. Checks therefore allow:

- scenario probabilities may sum to 1 within :data:`PROBABILITY_SUM` (0.001, what six
  probabilities typed to three decimals can miss by); within it they are rescaled to sum
  to exactly 1, with a warning where they were off by more than :data:`RELATIVE`;
- two cells that must be equal (a capacity group's capacity on each of its rows), or one
  that must not exceed another (conversions against their source's capacity, an end
  minimum against the stock's room), may differ by :data:`RELATIVE` of the larger.

Where a check fails, :func:`apart` prints both numbers with as many digits as it takes to
show that they differ.
"""

from __future__ import annotations

PROBABILITY_SUM = 1e-3
RELATIVE = 1e-9


def _slack(a: float, b: float) -> float:
    return RELATIVE * max(1.0, abs(a), abs(b))


def same(a: float, b: float) -> bool:
    return abs(a - b) <= _slack(a, b)


def exceeds(a: float, b: float) -> bool:
    """``a`` is larger than ``b`` beyond rounding."""
    return a - b > _slack(a, b)


def apart(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` printed to the fewest significant digits (at least 6) that tell
    them apart: ``('1.0000004', '1')``, never ``('1', '1')``."""
    for digits in range(6, 18):
        first, second = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if first != second or a == b:
            return first, second
    return repr(a), repr(b)
