"""The example's result as LibreOffice prints it: the Summary is one page holding the
brief's key figures, the charts are drawn, no cell shows ``###``; and the example saved by
LibreOffice as xlsx still validates and solves to the same optimum."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from planner.inputs import INPUTS
from planner.pipeline import solve_workbook
from planner.report import RunInfo, write_report

EXAMPLE = INPUTS / "example.xlsx"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: .ci/run installs it")
        pytest.skip(f"{name} is not installed here")
    return found


def convert(source: Path, to: str, folder: Path) -> Path:
    """``source`` converted by LibreOffice; its exit code proves nothing (it is 0 when it
    fails to load a file), so the output file must exist."""
    soffice = shutil.which("soffice") or tool("libreoffice")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/profile",
                    "--convert-to", to, "--outdir", str(folder), str(source)],
                   capture_output=True, text=True, timeout=300)
    out = folder / f"{source.stem}.{to.split(':')[0]}"
    assert out.exists(), f"LibreOffice wrote no {out.name}"
    return out


def page(pdf: Path, number: int) -> str:
    done = subprocess.run([tool("pdftotext"), "-layout", "-f", str(number), "-l", str(number),
                           str(pdf), "-"], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("printed")
    run = solve_workbook(EXAMPLE)
    result = folder / "result.xlsx"
    write_report(result, run.solved, run.result, RunInfo(EXAMPLE, "USD", run.plan,
                                                         run.unserved),
                 run.information, run.explanation, run.analyses)
    return convert(result, "pdf", folder), run


def test_the_summary_is_one_page_with_the_brief(printed):
    pdf, run = printed
    first = page(pdf, 1)
    for figure in ("battery-planner: example.xlsx", "The plan is optimal",
                   "Expected total cost USD 109.43 bn", "What to sign",
                   "Sign Mt Holland offtake", "Mining binds most", "sodium-ion share",
                   "Scenarios against the base", "EVPI", "Indonesia"):
        assert figure in first, figure
    second = page(pdf, 2)
    assert "Production mix" in second and "What to sign" not in second


def test_the_charts_are_drawn(printed):
    pdf, _ = printed
    second = page(pdf, 2)
    # each chart's title is drawn inside the chart as well as above its table
    assert second.count("Production mix (GWh, expected)") == 2, second[:2000]
    assert second.count("Cost by category") == 2


def test_no_cell_shows_hashes(printed):
    pdf, _ = printed
    text = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "###" not in text


def test_the_example_saved_by_libreoffice_solves_the_same(tmp_path, printed):
    _, run = printed
    copy = tmp_path / "source"
    copy.mkdir()
    shutil.copy(EXAMPLE, copy / "example.xlsx")
    saved = convert(copy / "example.xlsx", "xlsx:Calc MS Excel 2007 XML", tmp_path)
    again = solve_workbook(saved)
    assert again.validation.ok, [str(p) for p in again.validation.problems]
    assert again.solved.objective == pytest.approx(run.solved.objective, rel=1e-9)


def test_the_charts_add_up_to_the_expected_cost(printed):
    """The cost chart's bars (commitments included) sum to the expected total cost; the
    spend by country is discounted like it."""
    from planner.charts import chart_tables
    from planner.results import expected_cost
    _, run = printed
    tables = {title.split(" (")[0]: table for title, table, _, _ in chart_tables(run.result,
                                                                                 "USD")}
    costs = tables["Cost by category"]
    assert "Commitments" in list(costs["Category"])
    assert costs["USD M"].sum() == pytest.approx(expected_cost(run.result) / 1e6, rel=1e-9)
    mining = float(costs.set_index("Category").loc["Mining", "USD M"])
    assert tables["Supply spend by country"]["USD M"].sum() == pytest.approx(mining, rel=1e-9)
