"""The plan command end to end on tmp_path: template, validate, solve, exit codes."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import write_plan
from planner.cli import main

RESULT_SHEETS = ["Summary", "Charts", "Bottlenecks", "Decisions", "Scenarios", "Risk",
                 "Details", "Sourcing", "Processing", "Production mix", "Flows",
                 "Spot purchases", "Stocks", "Unmet demand", "Costs", "Bottlenecks by period"]


def plan(*args: str | Path):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_template_then_validate_reports_missing_data(tmp_path):
    path = tmp_path / "t.xlsx"
    assert plan("template", path).exit_code == 0
    result = plan("validate", path)
    assert result.exit_code == 3
    for sheet in ("Periods", "Materials", "Sites", "Demand"):
        assert f"{sheet}!A3: the sheet has no rows" in result.output


def test_template_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"keep me")
    assert plan("template", path).exit_code == 4
    assert path.read_bytes() == b"keep me"
    assert plan("template", path, "--force").exit_code == 0
    assert openpyxl.load_workbook(path).sheetnames[:2] == ["Instructions", "Settings"]


def test_validate_then_solve_round_trip(tmp_path, two_mines):
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    before = digest(source)
    assert plan("validate", source).exit_code == 0
    out = tmp_path / "out.xlsx"
    result = plan("solve", source, "-o", out)
    assert result.exit_code == 0, result.output
    assert "optimal" in result.output and "180" in result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == RESULT_SHEETS
    summary = {r[0]: r[1] for r in wb["Details"].iter_rows(min_row=4, max_col=2, values_only=True)
               if r[0]}
    assert summary["Status"] == "optimal"
    assert summary["Expected total cost (discounted, USD)"] == pytest.approx(180.0)
    assert summary["Input SHA-256"] == before
    assert digest(source) == before
    assert not list(tmp_path.glob("*.tmp"))


def test_solve_refuses_to_overwrite_its_input(tmp_path, two_mines):
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    before = digest(source)
    result = plan("solve", source, "-o", source)
    assert result.exit_code == 4
    assert "would overwrite the input" in result.output
    assert digest(source) == before


def test_solve_says_when_output_is_open_in_excel(tmp_path, two_mines):
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    (tmp_path / "~$out.xlsx").write_bytes(b"lock")
    result = plan("solve", source, "-o", tmp_path / "out.xlsx")
    assert result.exit_code == 4
    assert "open in Excel" in result.output
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: p.write_text("Site,Kind\nA,mine\n"), "not an Excel workbook"),
])
def test_unreadable_input_is_a_clear_error(tmp_path, make, message):
    path = tmp_path / "in.xlsx"
    make(path)
    for args in (("validate", path), ("solve", path, "-o", tmp_path / "out.xlsx")):
        result = plan(*args)
        assert result.exit_code == 4
        assert message in result.output
    assert not (tmp_path / "out.xlsx").exists()


def test_invalid_workbook_writes_no_result(tmp_path, two_mines):
    two_mines["Lanes"][0]["To"] = "Nowhere"
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    result = plan("solve", source, "-o", tmp_path / "out.xlsx")
    assert result.exit_code == 3
    assert "Lanes!C3: 'Nowhere' is not listed on the Sites sheet" in result.output
    assert not (tmp_path / "out.xlsx").exists()


def test_output_folder_must_exist(tmp_path, two_mines):
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    result = plan("solve", source, "-o", tmp_path / "missing" / "out.xlsx")
    assert result.exit_code == 4
    assert "does not exist" in result.output


def test_result_file_gets_the_usual_permissions(tmp_path, two_mines):
    """Written through a temporary file, the result still gets the umask's permissions."""
    old = os.umask(0o022)
    try:
        path = write_plan(tmp_path / "plan.xlsx", two_mines)
        out = tmp_path / "result.xlsx"
        assert plan("solve", path, "-o", out, "-q").exit_code == 0
        assert out.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)


def test_solve_writes_beside_the_input_by_default(tmp_path, two_mines):
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    result = CliRunner().invoke(main, ["solve", "-q", str(source)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "in-result.xlsx").exists()
    # the answer on standard output, progress on standard error
    assert "Result written to" in result.stdout and "open its Summary sheet" in result.stdout
    assert "optimal" in result.stdout
    assert "Solving with HiGHS" in result.stderr and "Solving with HiGHS" not in result.stdout


def test_a_plan_that_fails_its_check_gets_a_cross(tmp_path, two_mines, monkeypatch):
    import planner.engine
    from planner.check import PlanCheck

    monkeypatch.setattr(planner.engine, "check_plan",
                        lambda *args: PlanCheck([], 0.0, 1.0, []))
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    result = plan("solve", "-q", source, "-o", tmp_path / "out.xlsx")
    assert result.exit_code == 10, result.output
    assert "✗ Solving with HiGHS and checking the plan" in result.output
    assert "✓ Solving with HiGHS" not in result.output


def test_a_folder_for_the_input_is_a_file_error_not_a_traceback(tmp_path):
    result = plan("solve", "/")
    assert result.exit_code == 4 and "not a workbook file" in result.output


def test_solver_options_reach_highs_and_its_time_is_shown(tmp_path, two_mines):
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    result = plan("solve", source, "-o", tmp_path / "out.xlsx", "--solver-option",
                  "solver=ipm", "--solver-option", "presolve = off")
    assert result.exit_code == 0, result.output
    assert "presolve" in result.output and "IPX" in result.output  # HiGHS's own log
    assert re.search(r"HiGHS's own time: \d+\.\d\d s in \d+ solves, of [\d.]+ s in all",
                     result.output)


@pytest.mark.parametrize("given, message", [
    ("presolve", "write KEY=VALUE"),
    ("no_such_option=1", "HiGHS has no option 'no_such_option' that takes '1'"),
    ("time_limit=soon", "HiGHS has no option 'time_limit' that takes 'soon'"),
])
def test_a_solver_option_highs_refuses_is_a_usage_error(tmp_path, two_mines, given, message):
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    result = plan("solve", source, "-o", tmp_path / "out.xlsx", "--solver-option", given)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "out.xlsx").exists()
