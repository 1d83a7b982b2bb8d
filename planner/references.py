"""References between sheets, matched by the names rule (:mod:`planner.names`).

Every reference cell names a row of the sheet it refers to and takes that row's spelling,
so that everything after validation compares names exactly. Names that group rows (a
site's country, a cell's family, an exclusive group, a capacity group) take the spelling
of their first appearance.
"""

from __future__ import annotations

import re

from planner.names import key, spellings, suggestion
from planner.problems import Row, Validation, ref_of
from planner.schema import ALL_PERIODS, SHEETS, Column


GROUPING_COLUMNS = (("Sites", "country"), ("Materials", "family"), ("Materials", "unit"),
                    ("Options", "exclusive_group"), ("CapacityGroups", "group"),
                    ("Policies", "policy"))
"""Names that group rows rather than name one: each is spelt as its first appearance."""


def check_references(v: Validation) -> None:
    """Every reference names a row of the sheet it refers to, by the names rule, and is
    spelt as that row; 'all' only where allowed. References into an absent sheet are left
    alone: its absence is the one problem."""
    for sheet, column in GROUPING_COLUMNS:
        spelt = spellings(r[column] for r in v.tables[sheet])
        for r in v.tables[sheet]:
            if r[column]:
                r[column] = spelt[key(r[column])]
    cells = list(_references(v))
    _missing_but_referred(v, cells)
    known: dict[str, dict[str, str]] = {}
    keys: dict[object, str] = {}  # a name's key, worked out once for all its references
    for spec, row, column, target in cells:
        if target.split(".")[0] in v.absent:
            continue
        if target not in known:
            known[target] = _names(v, target)
        value = row[column.field]
        if value not in keys:
            keys[value] = key(str(value))
        found = known[target].get(keys[value])
        row[column.field] = found if found is not None else \
            _unknown(v, spec.name, row, column, target, known[target])


def _names(v: Validation, target: str) -> dict[str, str]:
    """Key -> spelling of the names a reference into ``target`` may give: the first column
    of a sheet with a one-column key (a blank or bad name is no name), or Sites.Country."""
    if target == "Sites.Country":
        return spellings(r["country"] for r in v.tables["Sites"])
    spec = next(s for s in SHEETS if s.name == target)
    return spellings(r[spec.column(spec.key[0]).field] for r in v.tables[target])


def _references(v: Validation):
    """(sheet, row, column, the sheet it refers to) for every filled reference cell."""
    for spec in SHEETS:
        for column in spec.columns:
            if column.ref_by:
                selector, targets = spec.column(column.ref_by[0]).field, dict(column.ref_by[1])
            elif column.ref:
                selector, targets = None, {None: column.ref}
            else:
                continue
            for row in v.tables[spec.name]:
                target = targets.get(row[selector] if selector else None)
                if row[column.field] is not None and target is not None:
                    yield spec, row, column, target


def _missing_but_referred(v: Validation, cells: list) -> None:
    """An optional sheet that is missing while rows refer to it is one problem (in place of
    the warning that it counts as empty), not one per referring row."""
    referring: dict[str, set[str]] = {}
    for spec, _, _, target in cells:
        if target in v.missing - v.absent:
            referring.setdefault(target, set()).add(spec.name)
    for target, sheets in sorted(referring.items()):
        warning = next(w for w in v.warnings if (w.sheet, w.cell) == (target, ""))
        v.warnings.remove(warning)
        v.add(target, "", warning.what.replace("so it counts as empty",
                                               f"and {', '.join(sorted(sheets))} refer to it"),
              f"add a sheet named {target} (plan template writes one), or rename the sheet "
              "that holds its rows")
        v.absent.add(target)


def _unknown(v: Validation, sheet: str, row: Row, column: Column, target: str,
             known: dict[str, str]) -> str | None:
    """What a reference cell that names none of ``known`` means: 'all' where allowed, else
    None (reported)."""
    value = str(row[column.field])
    cell = ref_of(v, sheet, row, column.field)
    if key(value) == ALL_PERIODS:
        if column.allow_all_periods:
            return ALL_PERIODS
        v.add(sheet, cell, f"'{value}' is not allowed here",
              f"leave the cell blank (blank = {column.blank_means})"
              if not column.required and column.blank_means
              else "enter one period from Periods, one row per period"
              if column.ref == "Periods" else f"enter one name from {target}, one row per name")
        return None
    where = target.replace(".", " column ")
    parts = [p.strip() for p in re.split(r"[,;\n]", value) if p.strip()]
    if len(parts) > 1 and all(key(p) in known for p in parts):
        v.add(sheet, cell, f"'{value}' lists {len(parts)} names where one belongs",
              f"write one name from {where} per row: copy the row for each of "
              + ", ".join(known[key(p)] for p in parts))
        return None
    if column.ref_by:
        kind = row[column.ref_by[0].lower()]
        fix = f"use a name from {where} for {column.ref_by[0].lower()} '{kind}'"
    else:
        extra = f" or '{ALL_PERIODS}'" if column.allow_all_periods else ""
        fix = f"use a name from {where}{extra}, or add '{value}' there"
    v.add(sheet, cell, f"'{value}' is not listed on the {where} sheet"
          f"{suggestion(value, list(known.values()))}", fix)
    return None
