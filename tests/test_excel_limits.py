"""Excel's limits in written workbooks: rows per sheet, sheet-name length, text per cell.

The row limit is monkeypatched small so that a table longer than its sheet is cheap to
make; the real value is checked once.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import openpyxl
import pytest

import planner.xlsx
from planner.pipeline import solve_workbook
from planner.report import SHEETS, RunInfo, write_report
from planner.schema import SHEETS as INPUT_SHEETS
from planner.template import write_template
from planner.xlsx import result_book, write_table
from conftest import write_plan
from test_cli import plan

EXAMPLE = Path(__file__).resolve().parent.parent / "inputs" / "example.xlsx"


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def as_text(value: object) -> str:
    return "" if value is None else str(value)


def test_the_limit_is_excels():
    assert planner.xlsx.MAX_SHEET_ROWS == 1_048_576 == 2**20
    assert planner.xlsx.MAX_SHEET_TITLE == 31


def test_long_table_goes_in_full_to_csv_and_the_sheet_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(planner.xlsx, "MAX_SHEET_ROWS", 5)
    rows = [(i, f"name, {i}", i / 3, None) for i in range(12)]
    out = tmp_path / "plan result.xlsx"
    with result_book(out) as book:
        assert write_table(book.add_sheet("Flows"), ["N", "Name", "Third", "Blank"], rows) == 5
    spilled = tmp_path / "plan result - Flows.csv"
    assert read_csv(spilled) == [["N", "Name", "Third", "Blank"]] + \
        [[str(i), f"name, {i}", repr(i / 3), ""] for i in range(12)]
    sheet = list(openpyxl.load_workbook(out)["Flows"].iter_rows(values_only=True))
    assert len(sheet) == 5
    note = sheet[0][0]
    assert "12 rows" in note and "'plan result - Flows.csv'" in note and "first 3" in note
    assert sheet[1] == ("N", "Name", "Third", "Blank")
    assert sheet[2:] == [tuple(r) for r in rows[:3]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan result - Flows.csv",
                                                         "plan result.xlsx"]


def test_table_that_just_fits_writes_no_csv(tmp_path, monkeypatch):
    monkeypatch.setattr(planner.xlsx, "MAX_SHEET_ROWS", 5)
    with result_book(tmp_path / "out.xlsx") as book:
        assert write_table(book.add_sheet("Sheet1"), ["N"], [(i,) for i in range(4)]) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    assert openpyxl.load_workbook(tmp_path / "out.xlsx").active["A1"].value == "N"


def test_two_long_tables_on_one_sheet_get_two_files(tmp_path, monkeypatch):
    monkeypatch.setattr(planner.xlsx, "MAX_SHEET_ROWS", 10)
    with result_book(tmp_path / "out.xlsx") as book:
        t, u = book.add_sheet("T"), book.add_sheet("U")
        write_table(t, ["A"], [(i,) for i in range(20)])
        write_table(u, ["B"], [(i,) for i in range(3)], start_row=1)
        write_table(u, ["C"], [(i,) for i in range(30)], start_row=5)
    assert len(read_csv(tmp_path / "out - T.csv")) == 21
    assert read_csv(tmp_path / "out - U.csv") == [["C"]] + [[str(i)] for i in range(30)]
    assert not (tmp_path / "out - U (2).csv").exists()


def test_result_workbook_with_tables_longer_than_a_sheet(tmp_path, monkeypatch):
    """The example's result written with room for 40 rows a sheet: every row is somewhere."""
    run = solve_workbook(EXAMPLE)
    info = RunInfo(EXAMPLE, "USD")
    write_report(tmp_path / "full.xlsx", run.solved, run.result, info)
    monkeypatch.setattr(planner.xlsx, "MAX_SHEET_ROWS", 40)
    write_report(tmp_path / "small.xlsx", run.solved, run.result, info)
    full, small = openpyxl.load_workbook(tmp_path / "full.xlsx"), \
        openpyxl.load_workbook(tmp_path / "small.xlsx")
    assert small.sheetnames == full.sheetnames
    spilled = set()
    for name, attribute in SHEETS:
        whole = [[as_text(v) for v in r] for r in full[name].iter_rows(values_only=True)]
        assert len(whole) - 1 == len(getattr(run.result, attribute))
        shown = list(small[name].iter_rows(values_only=True))
        assert len(shown) <= 40
        if len(whole) <= 40:
            assert shown == list(full[name].iter_rows(values_only=True))
            continue
        spilled.add(name)
        csv_rows = read_csv(tmp_path / f"small - {name}.csv")
        assert len(csv_rows) == len(whole)
        for mine, theirs in zip(csv_rows, whole):  # numbers as CSV text, same values
            assert len(mine) == len(theirs)
            for a, b in zip(mine, theirs):  # the workbook keeps 15 or 16 digits, CSV 17
                assert float(a) == pytest.approx(float(b), rel=1e-14) if _number(b) else a == b
        note = shown[0][0]
        assert f"{len(whole) - 1:,} rows" in note and f"'small - {name}.csv'" in note
        assert [as_text(v) for v in shown[1]] == whole[0]
        assert [[as_text(v) for v in r] for r in shown[2:]] == whole[1:39]
    assert {"Flows", "Processing"} <= spilled
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def test_plan_solve_writes_the_csv_beside_the_result(tmp_path, monkeypatch, two_mines):
    """Through the command: 25 periods make 50 flows, more than a 45-row sheet holds."""
    years = [str(2026 + i) for i in range(25)]
    two_mines["Periods"] = [{"Period": y} for y in years]
    two_mines["Demand"] = [{"Site": "M", "Material": "Ore", "Period": y, "Quantity": 25,
                            "Penalty": 1000} for y in years]
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    monkeypatch.setattr(planner.xlsx, "MAX_SHEET_ROWS", 45)
    out = tmp_path / "out.xlsx"
    result = plan("solve", "-q", source, "-o", out)
    assert result.exit_code == 0, result.output
    flows = read_csv(tmp_path / "out - Flows.csv")
    assert flows[0][:2] == ["Scenario", "Period"] and len(flows) == 51
    assert sorted({tuple(r[:2]) for r in flows[1:]}) == sorted({("base", y) for y in years})
    ws = openpyxl.load_workbook(out)["Flows"]
    assert ws.max_row == 45
    assert "all 50 are in the file 'out - Flows.csv'" in ws["A1"].value


def test_long_sheet_names_are_shortened_to_31_characters(tmp_path):
    with result_book(tmp_path / "out.xlsx") as book:
        for name in ("Sourcing by mine, material and period",
                     "Sourcing by mine, material and period, again", "Costs"):
            book.add_sheet(name)
    names = openpyxl.load_workbook(tmp_path / "out.xlsx").sheetnames
    assert names == ["Sourcing by mine, material and", "Sourcing by mine, material (2)",
                     "Costs"]
    assert all(len(n) <= 31 for n in names)


def test_every_sheet_name_the_planner_writes_fits(tmp_path):
    names = ["Summary", "Instructions", "Settings"] + [n for n, _ in SHEETS] + \
        [s.name for s in INPUT_SHEETS]
    assert all(len(n) <= 31 for n in names), [n for n in names if len(n) > 31]
    write_template(tmp_path / "t.xlsx")
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == \
        ["Instructions", "Settings"] + [s.name for s in INPUT_SHEETS]


def test_text_longer_than_a_cell_holds_is_refused_and_nothing_is_written(tmp_path):
    out = tmp_path / "out.xlsx"
    with pytest.raises(ValueError, match="cell limit"), result_book(out) as book:
        sheet = book.add_sheet("Notes")
        sheet.put(1, 1, "x" * 32_767)
        sheet.put(2, 1, "x" * 32_768)
    assert list(tmp_path.iterdir()) == []


def test_text_stays_text_and_odd_numbers_are_named(tmp_path):
    """A name that looks like a formula, a number or a link is written as text; NaN is a
    blank and an infinity says so (a spreadsheet program cannot store either)."""
    out = tmp_path / "out.xlsx"
    values = ["=SUM(A1:A2)", "1e5", "http://example.org", float("nan"), float("inf"), 2.5]
    with result_book(out) as book:
        write_table(book.add_sheet("T"), [f"C{i}" for i in range(len(values))], [values])
    row = next(openpyxl.load_workbook(out)["T"].iter_rows(min_row=2))
    assert [c.value for c in row] == ["=SUM(A1:A2)", "1e5", "http://example.org", None,
                                      "infinite", 2.5]
    assert [c.data_type for c in row[:3]] == ["s", "s", "s"]  # a formula's would be "f"


def test_csv_text_never_runs_as_a_formula(tmp_path, monkeypatch):
    """Names from the input that a spreadsheet program would evaluate get an apostrophe in
    the CSV; numbers, negative ones too, stay numbers."""
    monkeypatch.setattr(planner.xlsx, "MAX_SHEET_ROWS", 2)
    rows = [("=HYPERLINK(\"http://x\")", -5.0), ("+1", 1.0), ("@SUM(A1)", 2.0),
            ("-cmd", 3.0), ("Mine A", 4.0)]
    with result_book(tmp_path / "r.xlsx") as book:
        write_table(book.add_sheet("Sites"), ["Site", "Quantity"], rows)
    assert read_csv(tmp_path / "r - Sites.csv")[1:] == [
        ["'=HYPERLINK(\"http://x\")", "-5.0"], ["'+1", "1.0"], ["'@SUM(A1)", "2.0"],
        ["'-cmd", "3.0"], ["Mine A", "4.0"]]
