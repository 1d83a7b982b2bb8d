"""The committed workbooks and README reference match what the repository generates."""

from __future__ import annotations

import io

import openpyxl
import pytest

from planner.docs import README, with_reference
from planner.inputs import INPUTS, bundled


def cell_values(ws) -> list[tuple]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("name", ["template.xlsx", "example.xlsx"])
def test_committed_workbook_is_up_to_date(name):
    buffer = io.BytesIO()
    bundled()[name].save(buffer)
    generated = openpyxl.load_workbook(buffer)
    committed = openpyxl.load_workbook(INPUTS / name)
    assert committed.sheetnames == generated.sheetnames, \
        "run `python -m planner.inputs` and commit the workbooks"
    for ws in generated.worksheets:
        assert cell_values(committed[ws.title]) == cell_values(ws), \
            f"{name}!{ws.title} is out of date: run `python -m planner.inputs`"
        assert len(committed[ws.title].data_validations.dataValidation) == \
            len(ws.data_validations.dataValidation)


def test_readme_sheet_reference_is_up_to_date():
    text = README.read_text(encoding="utf-8")
    assert text == with_reference(text), "run `python -m planner.docs` and commit README.md"


def _checks(ws) -> dict[str, tuple]:
    return {str(d.sqref).split(":")[0]: (d.type, d.operator, d.formula1, d.formula2)
            for d in ws.data_validations.dataValidation}


def test_the_template_checks_cells_as_the_validator_does():
    """A probability lies in [0, 1], a recipe quantity is above 0, a time to recover is a
    whole number, the Objective setting offers its choices; the Settings keys fit."""
    from planner.schema import SETTINGS
    from planner.template import build_workbook
    wb = build_workbook()
    assert _checks(wb["Scenarios"])["B3"] == ("decimal", "between", "0.0", "1.0")
    assert _checks(wb["Recipes"])["C3"] == ("decimal", "greaterThan", "0", None)
    assert _checks(wb["Sites"])["E3"][:2] == ("whole", "greaterThanOrEqual")
    settings = wb["Settings"]
    row = next(c.row for c in settings["A"] if c.value == "Objective")
    assert _checks(settings)[f"B{row}"] == ("list", None, '"expected,cvar"', None)
    assert settings.column_dimensions["A"].width >= max(len(s.key) for s in SETTINGS)
