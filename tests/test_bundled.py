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
