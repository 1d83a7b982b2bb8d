"""plan compare: two results side by side, and a refusal of what is not a result."""

from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import write_plan
from planner.cli import main
from planner.inputs import EXAMPLE_SOURCE, INPUTS, load_source
from planner.template import write_template
from test_insight import chain


def plan(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def two_results(tmp_path_factory):
    """The example's result and the example's with the lithium price spike made certain."""
    folder = tmp_path_factory.mktemp("compare")
    content = load_source(EXAMPLE_SOURCE)
    rows = content["rows"]
    rows["Scenarios"] = [r for r in rows["Scenarios"] if r["Scenario"] == "lithium price spike"]
    rows["Scenarios"][0]["Probability"] = 1
    for sheet in ("Disruptions", "PriceShocks"):
        rows[sheet] = [r for r in rows[sheet] if r["Scenario"] == "lithium price spike"]
    write_template(folder / "spike.xlsx", **content)
    base, spike = folder / "base.xlsx", folder / "spike-result.xlsx"
    assert plan("solve", "-q", INPUTS / "example.xlsx", "-o", base).exit_code == 0
    assert plan("solve", "-q", folder / "spike.xlsx", "-o", spike).exit_code == 0
    return folder, base, spike


def test_compare_the_example_with_the_spike_made_certain(two_results):
    folder, base, spike = two_results
    out = folder / "compare.xlsx"
    result = plan("compare", base, spike, "-o", out)
    assert result.exit_code == 0, result.output
    for title in ("Cost by category", "Cell output by family", "Supply spend by country",
                  "Options taken", "Risk figures", "What 10% more capacity"):
        assert title in result.stdout, title
    rows = list(openpyxl.load_workbook(out)["Compare"].iter_rows(values_only=True))
    costs = next(k for k, r in enumerate(rows) if r[0] == "Cost category")
    header = rows[costs]
    spot = next(r for r in rows[costs + 1:] if r[0] == "Spot")
    assert header[1:] == ("A: base.xlsx", "B: spike-result.xlsx", "B - A")
    assert spot[3] == pytest.approx(spot[2] - spot[1])
    assert spot[2] > spot[1]  # the spike makes spot lithium dearer
    sodium = next(r for r in rows if r[0] == "sodium-ion")
    assert sodium[3] == pytest.approx(sodium[2] - sodium[1])


def test_compare_refuses_what_is_not_a_result(tmp_path, two_results):
    _, base, _ = two_results
    source = write_plan(tmp_path / "input.xlsx", chain())
    result = plan("compare", base, source)
    assert result.exit_code == 4
    assert "not a result of plan solve" in result.output and "Details" in result.output
