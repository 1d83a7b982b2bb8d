"""``--recalc``: formulas recalculated by LibreOffice before the workbook is read.

The real tests run LibreOffice and are skipped only where it is not installed; the error
paths (missing, failing, hanging LibreOffice) use stand-in programs.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import planner.recalc
from conftest import write_plan
from planner.recalc import find_soffice, recalculated
from planner.workbook import InputFileError, read_workbook
from test_cli import plan

needs_libreoffice = pytest.mark.skipif(find_soffice() is None,
                                       reason="LibreOffice (soffice) is not installed")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="stand-in is a shell script")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def formula_plan(tmp_path, two_mines) -> Path:
    """two_mines with mine A's capacity the formula =2*3, saved by openpyxl with no value.

    Recalculated, A supplies 6 t at 5 + 1 and B the other 19 t at 7 + 1: cost 188.
    """
    path = write_plan(tmp_path / "in.xlsx", two_mines)
    wb = openpyxl.load_workbook(path)
    wb["Supply"]["D3"] = "=2*3"
    wb.save(path)
    return path


def stale(path: Path, ref: str, formula: str, saved: str) -> None:
    """Rewrite cell ``ref`` of the Supply sheet as ``formula`` with the saved result ``saved``."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    wb = openpyxl.load_workbook(path)
    part = f"xl/worksheets/sheet{wb.sheetnames.index('Supply') + 1}.xml"
    xml = parts[part].decode()
    xml, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)',
                     f'<c r="{ref}"><f>{formula}</f><v>{saved}</v></c>', xml)
    assert n == 1
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_formula_without_saved_value_suggests_recalc(formula_plan):
    result = plan("validate", formula_plan)
    assert result.exit_code == 3
    assert "Supply!D3: the formula =2*3 has no saved value" in result.output
    assert "--recalc" in result.output


@needs_libreoffice
def test_recalc_makes_the_formula_valid_and_leaves_the_input_alone(formula_plan, tmp_path):
    before, mtime = digest(formula_plan), formula_plan.stat().st_mtime_ns
    assert plan("validate", formula_plan).exit_code == 3
    result = plan("validate", "--recalc", formula_plan)
    assert result.exit_code == 0, result.output
    assert "in.xlsx is valid" in result.output
    out = tmp_path / "out.xlsx"
    result = plan("solve", "--recalc", "-q", formula_plan, "-o", out)
    assert result.exit_code == 0, result.output
    assert "expected cost 188" in result.output
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(out)["Details"]
               .iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}
    assert summary["Input file"] == "in.xlsx"
    assert summary["Input SHA-256"] == before  # the input's own digest, not the copy's
    assert digest(formula_plan) == before
    assert formula_plan.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]


@needs_libreoffice
def test_recalc_replaces_a_stale_saved_result(tmp_path, two_mines):
    """LibreOffice keeps an .xlsx file's saved results unless told to recalculate on load."""
    path = write_plan(tmp_path / "in.xlsx", two_mines)
    stale(path, "D3", "2*3", "10")
    assert read_workbook(path).sheets["Supply"].rows[0][1]["Capacity"].value == 10
    with recalculated(path) as copy:
        assert copy.parent != path.parent
        assert read_workbook(copy).sheets["Supply"].rows[0][1]["Capacity"].value == 6
    assert not copy.exists()
    assert "expected cost 180" in plan("solve", "-q", path, "-o", tmp_path / "a.xlsx").output
    result = plan("solve", "--recalc", "-q", path, "-o", tmp_path / "b.xlsx")
    assert "expected cost 188" in result.output, result.output


def test_recalc_without_libreoffice_is_a_clear_error(formula_plan, tmp_path, monkeypatch):
    monkeypatch.setattr(planner.recalc, "find_soffice", lambda: None)
    for args in (("validate",), ("solve", "-o", tmp_path / "out.xlsx")):
        result = plan(*args, "--recalc", formula_plan)
        assert result.exit_code == 4
        assert "in.xlsx: --recalc needs LibreOffice, which was not found" in result.output
        assert "install LibreOffice" in result.output and "save it" in result.output
    assert not (tmp_path / "out.xlsx").exists()


def test_recalc_checks_the_file_before_starting_libreoffice(tmp_path, monkeypatch):
    monkeypatch.setattr(planner.recalc, "find_soffice", lambda: pytest.fail("started"))
    text = tmp_path / "in.xlsx"
    text.write_text("Site,Kind\nA,mine\n")
    result = plan("validate", "--recalc", text)
    assert result.exit_code == 4 and "not an Excel workbook" in result.output


def stand_in(tmp_path: Path, body: str) -> str:
    program = tmp_path / "fake-soffice"
    program.write_text(f"#!/bin/sh\n{body}\n")
    program.chmod(0o755)
    return str(program)


@posix_only
def test_failed_conversion_is_a_clear_error(formula_plan, tmp_path, monkeypatch):
    program = stand_in(tmp_path, 'echo "Error: source file could not be loaded" >&2; exit 1')
    monkeypatch.setattr(planner.recalc, "find_soffice", lambda: program)
    result = plan("validate", "--recalc", formula_plan)
    assert result.exit_code == 4
    assert "in.xlsx: LibreOffice could not recalculate it (exit code 1: Error: source file " \
           "could not be loaded)" in result.output


@posix_only
def test_conversion_that_writes_nothing_is_a_clear_error(formula_plan, tmp_path, monkeypatch):
    program = stand_in(tmp_path, "exit 0")
    monkeypatch.setattr(planner.recalc, "find_soffice", lambda: program)
    result = plan("validate", "--recalc", formula_plan)
    assert result.exit_code == 4 and "could not recalculate it (exit code 0)" in result.output


@posix_only
def test_hanging_libreoffice_is_stopped(formula_plan, tmp_path, monkeypatch):
    marker = tmp_path / "still-running"
    # a child that outlives its parent unless the whole process group is ended
    program = stand_in(tmp_path, f"(sleep 1; touch '{marker}') & sleep 30")
    monkeypatch.setattr(planner.recalc, "find_soffice", lambda: program)
    monkeypatch.setattr(planner.recalc, "TIMEOUT", 0.3)
    began = time.perf_counter()
    result = plan("validate", "--recalc", formula_plan)
    assert time.perf_counter() - began < 10
    assert result.exit_code == 4
    assert "in.xlsx: LibreOffice did not finish recalculating it within 0.3 s" in result.output
    time.sleep(1.5)
    assert not marker.exists()


@posix_only
def test_unreadable_copy_is_reported_against_the_input(formula_plan, tmp_path, monkeypatch):
    program = stand_in(tmp_path, 'while [ $# -gt 1 ]; do [ "$1" = --outdir ] && out=$2; '
                                 'shift; done; name=$(basename "$1"); '
                                 'echo "not a workbook" > "$out/${name%.*}.xlsx"')
    monkeypatch.setattr(planner.recalc, "find_soffice", lambda: program)
    result = plan("validate", "--recalc", formula_plan)
    assert result.exit_code == 4
    assert f"{formula_plan} (recalculated by LibreOffice): not an Excel workbook" \
        in result.output
    with pytest.raises(InputFileError, match="recalculated by LibreOffice"):
        with recalculated(formula_plan) as copy:
            read_workbook(copy)
