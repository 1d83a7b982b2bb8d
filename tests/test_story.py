"""The README's story of the example (section "What the example says"), recomputed.

Each figure the README quotes is asserted here with a tolerance and the reason it is what
it is; a change to the model or the example that moves one fails this test, and the
README is then to be read again and updated with the new figure.
"""

from __future__ import annotations

import pytest

from planner.analysis.sweep import Parameter
from planner.inputs import INPUTS
from planner.pipeline import solve_workbook, sweep_workbook

EXAMPLE = INPUTS / "example.xlsx"
BN, M = 1e9, 1e6


@pytest.fixture(scope="module")
def run():
    found = solve_workbook(EXAMPLE)
    assert found.solved.status.label == "optimal"
    return found


def by_scenario(run, stage: str) -> dict[str, float]:
    table = run.analyses.bottlenecks.by_scenario.set_index("Scenario")
    return table[stage].to_dict()


def against_base(run, column: str = "Total cost against base") -> dict[str, float]:
    table, _ = run.analyses.against_base
    return table.set_index("Scenario")[column].to_dict()


def test_the_expected_cost(run):
    assert run.solved.objective == pytest.approx(109.43 * BN, rel=2e-3)


def test_mining_binds_not_refining_in_every_scenario(run):
    """Own mines, offtakes and brine run full in every scenario (the lithium mined is what
    limits the lithium-ion GWh); the converters have room to spare."""
    stages = run.analyses.bottlenecks.stages.set_index("Stage")
    estimate = stages["Dual estimate of 10% more of every capacity"]
    assert estimate["mining"] == pytest.approx(2.18 * BN, rel=0.02)
    assert estimate["refining"] == pytest.approx(54 * M, rel=0.05)
    table = run.analyses.bottlenecks.by_scenario
    assert set(table["Binds most"]) == {"mining"}
    mining, refining = by_scenario(run, "mining"), by_scenario(run, "refining")
    assert min(mining.values()) == pytest.approx(1.49 * BN, rel=0.02)
    assert max(mining.values()) == pytest.approx(4.19 * BN, rel=0.02)
    assert mining["Jiangxi restart slips"] == max(mining.values())
    assert min(refining.values()) == pytest.approx(34 * M, rel=0.05)
    assert max(refining.values()) == pytest.approx(64 * M, rel=0.05)
    # each scenario's figure, weighted by its probability, adds up to the expected one
    p = table.set_index("Scenario")["Probability"]
    assert sum(p[s] * v for s, v in mining.items()) == pytest.approx(estimate["mining"])


def test_refining_shocks_cost_little(run):
    """China's export controls and a Yibin outage: other converters take the work."""
    cost = against_base(run)
    assert cost["China export controls"] == pytest.approx(61 * M, rel=0.05)
    assert cost["Yibin converter outage"] == pytest.approx(26 * M, rel=0.05)


def test_what_binds_second_where_lithium_or_cobalt_is_short(run):
    assert by_scenario(run, "cell making")["Jiangxi restart slips"] == \
        pytest.approx(1.92 * BN, rel=0.02)
    assert by_scenario(run, "logistics")["DR Congo quota extended"] == \
        pytest.approx(834 * M, rel=0.02)


def test_the_jiangxi_slip_and_the_price_spike(run):
    """The slip: unmet demand at the stress cap and dearer spot lithium (x1.33); the
    spike: index-linked contracts (mining) and the spot market (x3)."""
    total = against_base(run)
    assert total["Jiangxi restart slips"] == pytest.approx(3.65 * BN, rel=0.01)
    assert against_base(run, "Unmet demand against base")["Jiangxi restart slips"] == \
        pytest.approx(2.66 * BN, rel=0.01)
    assert against_base(run, "Spot against base")["Jiangxi restart slips"] == \
        pytest.approx(1.03 * BN, rel=0.02)
    assert total["lithium price spike"] == pytest.approx(4.85 * BN, rel=0.01)
    assert against_base(run, "Mining against base")["lithium price spike"] == \
        pytest.approx(2.79 * BN, rel=0.01)
    assert against_base(run, "Spot against base")["lithium price spike"] == \
        pytest.approx(2.02 * BN, rel=0.02)


def sodium_share(run, scenario: str) -> float:
    mix = run.result.production_mix.query("Scenario == @scenario")
    return mix[mix["Family"] == "sodium-ion"]["Output"].sum() / mix["Output"].sum()


def test_sodium_ion_shares(run):
    """Below the breakeven sodium-ion runs where lithium is short, not where it is dear."""
    assert sodium_share(run, "base") == pytest.approx(0.069, abs=0.002)
    assert sodium_share(run, "Jiangxi restart slips") == pytest.approx(0.120, abs=0.002)
    assert sodium_share(run, "lithium price spike") == pytest.approx(0.069, abs=0.002)


def test_where_sodium_ion_takes_over():
    """Sodium-ion first rises at 1.24 x today's spot price, in the spike (x3): about
    USD 36,400/t Li2CO3 at Ningde, near the USD 40,000/t built into the costs."""
    _, found = sweep_workbook(EXAMPLE, Parameter("spot price", "Li2CO3"), [1.0, 2.0], 0.02)
    events = found.breakevens.set_index("Event")
    rises = events.loc["sodium-ion output starts to rise", "Breakeven"]
    assert rises == pytest.approx(1.24, abs=0.03)
    assert 3 * rises * 9_800 == pytest.approx(36_400, rel=0.03)


def test_what_each_commitment_is_worth(run):
    values = run.analyses.option_values.set_index("Option")
    worth = values["Value of taking it"]
    assert worth["Mt Holland offtake"] == pytest.approx(1.11 * BN, rel=0.01)
    assert values.loc["Ningde LFP to Na-ion", "Taken"] == pytest.approx(1)
    assert values.loc["Ningde LFP to Na-ion", "Reading"] == "forced out: infeasible"
    assert values.loc["Debrecen LFP to Na-ion", "Taken"] == pytest.approx(0.56, abs=0.01)
    assert worth["Debrecen LFP to Na-ion"] == pytest.approx(24 * M, rel=0.05)
    assert worth["Ningde Na-ion new lines"] == pytest.approx(-1.48 * BN, rel=0.01)
    assert worth["Kwinana train 2"] == pytest.approx(-384 * M, rel=0.01)
    assert worth["Ningde Li2CO3 stockpile"] == pytest.approx(-15 * M, rel=0.01)


def test_the_value_of_information_and_of_the_stochastic_solution(run):
    """The mean-value plan converts only 36% of Ningde: no recourse in the Jiangxi slip."""
    got = {x.name: x.value for x in run.information.measures}
    assert got["EVPI"] == pytest.approx(667 * M, rel=0.02)
    assert got["VSS"] == float("inf")
    mean = dict(run.information.solves)["mean value"]
    assert mean.readouts["Ningde LFP to Na-ion"] == pytest.approx(0.36, abs=0.01)


def test_single_refineries_and_cell_plants_are_where_one_failure_stops_the_chain(run):
    """Knocked out for a period: the only FePO4 plant and the largest cell plant cost more
    than the worst single mine, whose failure other mines and spot purchases soften."""
    from planner.pipeline import expose
    ranked = expose(run).analyses.exposure.ranked.set_index("Node")
    cost = ranked["Extra cost"]
    assert cost["Guizhou FePO4 plant"] == pytest.approx(31.25 * BN, rel=0.01)
    assert cost["Ningde cell plant"] == pytest.approx(54.18 * BN, rel=0.01)
    mines = ranked[ranked["Kind"] == "mine"]["Extra cost"]
    assert mines.idxmax() == "Kisanfu" and mines.max() == pytest.approx(11.17 * BN, rel=0.01)
    assert "no plan" in ranked.loc["Australia", "Plan without it"]   # Mt Holland's take-or-pay
