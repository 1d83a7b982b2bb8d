"""The bundled example: valid, solved, opens in LibreOffice, and hedges with sodium-ion."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from planner.inputs import EXAMPLE_SOURCE, INPUTS, load_source
from planner.pipeline import check_workbook, solve_workbook
from planner.report import RunInfo, write_report
from planner.template import write_template

EXAMPLE = INPUTS / "example.xlsx"


@pytest.fixture(scope="module")
def example_run():
    run = solve_workbook(EXAMPLE)
    assert run.solved is not None and run.solved.status.label == "optimal"
    return run


def test_example_is_valid_without_warnings():
    v = check_workbook(EXAMPLE)
    assert v.problems == [] and v.warnings == []


def test_example_covers_the_chain(example_run):
    data = example_run.data
    mines = [s for s in data.sites if s.kind == "mine"]
    assert len(mines) >= 8 and len({s.country for s in mines}) >= 6
    assert len([s for s in data.sites if s.kind == "refinery"]) >= 4
    assert len([s for s in data.sites if s.kind == "cell plant"]) >= 3
    assert len([s for s in data.sites if s.kind == "market"]) >= 3
    assert [t.id for t in data.periods] == ["2026", "2027", "2028", "2029", "2030"]
    families = set(example_run.result.production_mix["Family"])
    assert {"lithium-ion", "sodium-ion"} <= families


def test_example_serves_most_demand(example_run):
    demand = example_run.result.demand
    assert demand["Served"].sum() >= 0.95 * demand["Demand"].sum()
    used = example_run.result.sourcing.query("Quantity > 0")
    assert used["Site"].nunique() >= 5


def sodium_share(run, scenario: str = "base") -> dict[str, float]:
    mix = run.result.production_mix.query("Scenario == @scenario")
    na = mix[mix["Family"] == "sodium-ion"].groupby("Period")["Output"].sum()
    total = mix.groupby("Period")["Output"].sum()
    return (na.reindex(total.index, fill_value=0.0) / total).to_dict()


def test_example_holds_the_article_cases(example_run):
    """Today's facts in the base case, the shocks as scenarios, a hedge with a price."""
    data = example_run.data
    kinds = {o.kind for o in data.options}
    assert kinds == {"offtake", "expansion", "conversion", "stock"}
    hit = {(a.scenario, a.target) for a in data.supply_availability if a.share == 0}
    assert ("Jiangxi restart slips", ("Jianxiawo", "Lepidolite ore")) in hit
    slip = {x.price_factor for x in data.spot_shocks
            if x.scenario == "Jiangxi restart slips" and x.material == "Li2CO3"}
    assert slip == {1.33}                                 # CNY 60k/t to above 80k/t
    spike = [x for x in data.spot_shocks if x.scenario == "lithium price spike"
             and x.material == "Li2CO3"]
    assert spike and all(x.price_factor == 3 for x in spike)
    linked = {c.material for c in data.contract_shocks if c.scenario == "lithium price spike"}
    assert {"SC6", "LiOH"} <= linked                      # index-linked contracts move too
    country = {s.id: s.country for s in data.sites}
    assert not [x for x in data.lanes if country[x.origin] == "Zimbabwe" and x.material == "SC6"
                and country[x.destination] != "Zimbabwe"]      # the concentrate export ban
    assert any(x.material == "Li2SO4" and country[x.origin] == "Zimbabwe" for x in data.lanes)
    kisanfu = {r.period: r.capacity for r in data.supplies if r.site == "Kisanfu"}
    assert kisanfu["2026"] < 0.5 * kisanfu["2028"]        # the DR Congo quota, 2026-2027
    refining = {a.scenario for a in data.process_availability} | {
        a.scenario for a in data.lane_availability
        if any(x.id == a.target[0] and x.material in ("Li2CO3", "LiOH") for x in data.lanes)}
    assert len(refining) >= 2                             # refining shocks
    sodium = {k.id for k in data.processes if k.output == "Na-ion cell"}
    assert sum(k.capacity for k in data.processes if k.id in sodium) <= 5
    hedges = [o for o in data.options if o.target in sodium]
    assert hedges and all(o.fixed_cost > 0 for o in hedges)   # the hedge has a price


def test_sodium_ion_share_rises_where_lithium_is_short(example_run):
    """The Jiangxi slip cuts the company's own lithium; the converted lines take over."""
    base, slip = sodium_share(example_run), sodium_share(example_run, "Jiangxi restart slips")
    assert all(slip[t] >= base[t] - 1e-9 for t in base)
    assert sum(slip.values()) > sum(base.values()) + 0.1


def test_example_values_information(example_run):
    got = {x.name: x.value for x in example_run.information.measures}
    assert got["EVPI"] >= -1e-6 * example_run.solved.objective
    assert got["VSS"] >= -1e-6 * example_run.solved.objective
    assert got["Wait and see (WS)"] <= example_run.solved.objective <= \
        got["Mean-value plan (EEV)"] * (1 + 1e-6)


def test_dearer_lithium_carbonate_does_not_lower_sodium_ion_share(tmp_path, example_run):
    content = load_source(EXAMPLE_SOURCE)
    spot = content["rows"]["SpotMarket"]
    assert any(r["Material"] == "Li2CO3" for r in spot)
    for row in spot:
        if row["Material"] == "Li2CO3":
            row["Price"] *= 3
    write_template(tmp_path / "spike.xlsx", **content)
    spike = solve_workbook(tmp_path / "spike.xlsx")
    base, high = sodium_share(example_run), sodium_share(spike)
    for period, share in base.items():
        assert high[period] >= share - 1e-9, period
    assert sum(high.values()) > sum(base.values())
    assert spike.solved.objective > example_run.solved.objective


def test_result_workbook_opens_in_libreoffice(tmp_path, example_run):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing: .ci/run installs it")
        pytest.skip("LibreOffice is not installed here")
    out = tmp_path / "result.xlsx"
    write_report(out, example_run.solved, example_run.result, RunInfo(EXAMPLE, "USD"),
                 example_run.information)
    done = subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,"
         "false,-1", "--outdir", str(tmp_path), str(out)],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    sheets = sorted(p.name for p in tmp_path.glob("result-*.csv"))
    assert "result-Summary.csv" in sheets and "result-Flows.csv" in sheets, sheets
    assert "optimal" in (tmp_path / "result-Summary.csv").read_text()
