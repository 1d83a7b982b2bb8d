"""The fast reader (python-calamine) reads every workbook exactly as openpyxl does.

:func:`planner.workbook.read_workbook` reads a sheet's values with calamine where the
sheet's XML shows neither formulas nor error cells nor unplaced cells, and with openpyxl
otherwise. Every workbook of the bad-input corpora (:mod:`test_bad_workbooks`,
:mod:`test_habits`), the bundled example and a sheet holding every kind of value are read
both ways here: the raw workbooks must be equal, cell by cell (value, type, reference and
problem; a cell of spaces, which calamine reads as empty, only blank in both), or both
readings must refuse the file with the same message.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

import planner.workbook as reading
import test_bad_workbooks
import test_habits
from planner.workbook import InputFileError, read_workbook

ROOT = Path(__file__).resolve().parent.parent


def both_readings(path: Path, monkeypatch) -> tuple[object, object]:
    """(calamine where it may, openpyxl alone): each a RawWorkbook or the refusal's text."""
    def attempt():
        try:
            return read_workbook(path)
        except InputFileError as exc:
            return str(exc)

    fast = attempt()
    with monkeypatch.context() as m:
        m.setattr(reading, "_calamine", lambda _: None)
        slow = attempt()
    return fast, slow


def assert_same(fast, slow) -> None:
    assert type(fast) is type(slow), (fast, slow)
    if isinstance(fast, str):
        assert fast == slow
        return
    assert fast.sheet_names == slow.sheet_names and fast.notes == slow.notes
    assert fast.sheets.keys() == slow.sheets.keys()
    for name, sheet in fast.sheets.items():
        other = slow.sheets[name]
        for attribute in ("columns", "unknown_headers", "first_data_row", "spelt", "repeated",
                          "hidden_rows", "hidden_columns", "hidden", "written_as"):
            assert getattr(sheet, attribute) == getattr(other, attribute), (name, attribute)
        assert len(sheet.rows) == len(other.rows), name
        for (i, row), (j, row_other) in zip(sheet.rows, other.rows):
            assert i == j and row.keys() == row_other.keys(), (name, i, j)
            for column, cell in row.items():
                theirs = row_other[column]
                if cell.blank and theirs.blank:  # calamine reads a text of spaces as ""
                    assert cell.ref == theirs.ref
                    continue
                assert cell == theirs, (name, column, cell, theirs)
                assert type(cell.value) is type(theirs.value) or \
                    {type(cell.value), type(theirs.value)} == {int, float}, (cell, theirs)


CORPUS = [pytest.param(c.make, id=f"bad: {c.id}") for c in test_bad_workbooks.CASES] + \
         [pytest.param(c.make, id=f"habit: {c.id}") for c in test_habits.CASES]


@pytest.mark.parametrize("make", CORPUS)
def test_corpus_reads_the_same_both_ways(tmp_path, monkeypatch, make):
    path = tmp_path / "plan.xlsx"
    make(path)
    assert_same(*both_readings(path, monkeypatch))


def test_example_reads_the_same_both_ways(monkeypatch):
    fast, slow = both_readings(ROOT / "inputs" / "example.xlsx", monkeypatch)
    assert not isinstance(fast, str) and sum(len(s.rows) for s in fast.sheets.values()) > 100
    assert_same(fast, slow)


def test_every_kind_of_value_reads_the_same_both_ways(tmp_path, monkeypatch):
    """Whole and fractional numbers, 1e15, text (padded, Unicode, numeric), TRUE/FALSE,
    dates with and without a time, times, blanks between values, a sheet not starting at A1
    and a hidden row; and that calamine did read it (no formulas, no error cells)."""
    path = tmp_path / "plan.xlsx"
    test_bad_workbooks.valid(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Lanes"]
    values = [7, 2.5, 1e15, -0.0, " padded ", "Ni\u00f1o\u00a0line", "12", True, False,
              dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 1, 12, 30), dt.date(2026, 3, 2),
              dt.time(6, 45), None]
    for k, value in enumerate(values, start=ws.max_row + 2):
        for j in range(1, ws.max_column + 1):
            ws.cell(row=k, column=j, value=value if j % 2 else values[-k % len(values)])
    ws.row_dimensions[ws.max_row].hidden = True
    wb["Supply"].insert_cols(1)  # the sheet's table starts at column B
    wb.save(path)
    opened = reading.open_values(path)
    marks = [reading._marks(opened[name]) for name in ("Lanes", "Supply")]
    opened.close()
    assert all(m.plain for m in marks), marks
    fast, slow = both_readings(path, monkeypatch)
    assert_same(fast, slow)
    assert len(fast.sheets["Lanes"].rows) >= len(values)


@pytest.mark.parametrize("xml, plain", [
    (b'<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>0</v></c></row>', True),
    (b'<row r="2"><c r="A2"><f>1+1</f><v>2</v></c></row>', False),
    (b'<row r="2"><c r="A2" t="e"><v>#DIV/0!</v></c></row>', False),
    (b'<row r="2"><c><v>1</v></c></row>', False),
    (b'<row r="2"><c s="1" r="A2"><v>1</v></c></row>', False),
    (b'<row r="2"><c r="a2"><v>1</v></c></row>', False),
    (b'<row r="2"><x:c r="A2"><v>1</v></x:c></row>', False),
    (b'<row r="2"><c r="XFD1048576"><v>1</v></c></row>', False),
    (b'<row r="2"><c r="A2"><v>1</v></c><c r="P100000"><v>1</v></c></row>', False),
    (b'<row r="2"><c r="O100000"><v>1</v></c></row>', True),
])
def test_what_calamine_is_given(xml, plain):
    """Calamine gets a sheet only when every cell is written ``<c r="A1"``, none holds a
    formula or an error, and the grid up to its last cell is within MAX_PLAIN_CELLS
    (15 columns x 100,000 rows is; 16 is not); a block cut anywhere inside a cell
    reference changes nothing."""
    marks = reading.Marks()
    reading._scan(xml, marks)
    assert marks.plain is plain
    for cut in range(1, len(xml)):
        pieces = reading.Marks()
        reading._scan(xml[:cut], pieces)
        reading._scan(xml[max(0, cut - reading.TAIL):], pieces)
        assert pieces.plain is plain, cut
