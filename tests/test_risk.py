"""The risk objective and the value of information on a two-scenario instance worked out by
hand, and the orderings that hold for every stochastic plan."""

from __future__ import annotations

import openpyxl
import pytest

from conftest import solve_plan
from models.data import Availability, Period, PlanData, Scenario, SpotShock
from planner.analysis.risk import cvar, risk_measures
from planner.report import RunInfo, write_report
from test_scenarios import hedge_plan


def spot_hedge(fee: float) -> dict:
    """The hedge plan with 4 t of spot ore at M for 20 and a contract fee of ``fee``.

    Own mine A 10 t at 5; contract B 10 t at 8; demand 10 at M, penalty 100; A is out in
    'outage' (probability 0.5). Per scenario, without / with the contract (fee aside):
    normal 50 / 50; outage 4 x 20 + 6 x 100 = 680 / 80; and for the mean scenario (A at
    half) 25 + 80 + 100 = 205 / 25 + 5 x 8 = 65.
    """
    plan = hedge_plan(**{"Fixed cost": fee})
    plan["SpotMarket"] = [{"Material": "Ore", "Site": "M", "Period": "all", "Price": 20,
                           "Maximum": 4}]
    return plan


def measures(run) -> dict[str, float]:
    return {x.name: x.value for x in run.information.measures}


def test_value_of_information_by_hand(tmp_path):
    """Fee 200. Stochastic: with the contract 200 + 0.5 x (50 + 80) = 265 < 0.5 x (50 + 680)
    = 365, so RP = 265. Wait and see: normal 50, outage min(200 + 80, 680) = 280, WS = 165.
    Mean value: 200 + 65 = 265 > 205, so the contract is not signed; in every scenario that
    costs 365 = EEV. EVPI = 265 - 165 = 100, VSS = 365 - 265 = 100."""
    run = solve_plan(tmp_path, spot_hedge(200))
    assert run.solved.objective == pytest.approx(265.0)
    got = measures(run)
    assert got["Wait and see (WS)"] == pytest.approx(165.0)
    assert got["Mean-value plan (EEV)"] == pytest.approx(365.0)
    assert got["EVPI"] == pytest.approx(100.0)
    assert got["VSS"] == pytest.approx(100.0)
    assert [s.status.label for _, s in run.information.solves] == ["optimal"] * 4


@pytest.mark.parametrize("fee", [0, 100, 200, 350, 1000])
def test_wait_and_see_below_stochastic_below_mean_value(tmp_path, fee):
    got = measures(solve_plan(tmp_path, spot_hedge(fee)))
    ws, rp, eev = (got[k] for k in ("Wait and see (WS)", "Recourse problem (RP)",
                                    "Mean-value plan (EEV)"))
    assert ws <= rp + 1e-6 and rp <= eev + 1e-6
    assert got["EVPI"] >= -1e-6 and got["VSS"] >= -1e-6


CVAR = {"Objective": "cvar", "CVaR level": 0.5}


def test_cvar_objective_signs_the_contract_the_expected_cost_refuses(tmp_path):
    """Fee 350. Expected cost: with 350 + 65 = 415 > 365 without, so no contract. Totals per
    scenario with: normal 400, outage 430; without: 50 and 680. CVaR at 50% is the outage's
    total: 430 with, 680 without. Weight 0.5: 0.5 x 415 + 0.5 x 430 = 422.5 with beats
    0.5 x 365 + 0.5 x 680 = 522.5 without."""
    expected = solve_plan(tmp_path, spot_hedge(350), name="e.xlsx")
    assert expected.solved.objective == pytest.approx(365.0)
    assert expected.result.decisions["Taken"].tolist() == [0.0]

    risky = solve_plan(tmp_path, spot_hedge(350), {**CVAR, "Risk weight": 0.5})
    assert risky.solved.objective == pytest.approx(422.5)
    assert risky.result.decisions["Taken"].tolist() == [1.0]
    got = {x.name: x.value for x in risk_measures(risky.result.risk, risky.result.scenarios)}
    assert got["Expected cost"] == pytest.approx(415.0)
    assert got["CVaR at 50%"] == pytest.approx(430.0)
    assert got["Worst case"] == pytest.approx(430.0)
    assert got["Spread"] == pytest.approx(30.0)


def test_cvar_with_weight_zero_is_the_expected_cost_plan(tmp_path):
    expected = solve_plan(tmp_path, spot_hedge(350), name="e.xlsx")
    weightless = solve_plan(tmp_path, spot_hedge(350), {**CVAR, "Risk weight": 0.0})
    assert weightless.solved.objective == pytest.approx(expected.solved.objective)
    assert weightless.result.decisions["Taken"].tolist() == \
        expected.result.decisions["Taken"].tolist()
    assert weightless.result.sourcing["Quantity"].tolist() == \
        pytest.approx(expected.result.sourcing["Quantity"].tolist())


@pytest.mark.parametrize("costs, probabilities, level, value", [
    ([10, 20, 30], [0.5, 0.3, 0.2], 0.8, 30.0),
    ([10, 20, 30], [0.5, 0.3, 0.2], 0.5, (0.2 * 30 + 0.3 * 20) / 0.5),
    ([10, 20, 30], [0.5, 0.3, 0.2], 0.0, 0.5 * 10 + 0.3 * 20 + 0.2 * 30),
    ([10, 20, 30], [0.5, 0.3, 0.2], 0.9, 30.0),
    ([5, 5], [0.5, 0.5], 0.75, 5.0),
])
def test_cvar_of_a_discrete_distribution(costs, probabilities, level, value):
    assert cvar(costs, probabilities, level) == pytest.approx(value)


def test_risk_and_scenarios_sheets(tmp_path):
    """The result workbook shows the per-scenario costs, the risk measures and the value of
    information as computed above."""
    run = solve_plan(tmp_path, spot_hedge(200))
    out = tmp_path / "result.xlsx"
    write_report(out, run.solved, run.result, RunInfo(tmp_path / "plan.xlsx", "USD"),
                 run.information)
    wb = openpyxl.load_workbook(out)
    risk = {r[0]: r[1] for r in wb["Risk"].iter_rows(values_only=True) if r[0]}
    assert risk["EVPI"] == pytest.approx(100.0)
    assert risk["VSS"] == pytest.approx(100.0)
    assert risk["Expected cost"] == pytest.approx(265.0)
    rows = list(wb["Scenarios"].iter_rows(min_row=2, values_only=True))
    header, normal, outage = rows[0], rows[1], rows[2]
    table = {r[0]: dict(zip(header, r)) for r in (normal, outage)}
    assert table["normal"]["Total cost"] == pytest.approx(250.0)
    assert table["outage"]["Total cost"] == pytest.approx(280.0)
    assert table["outage"]["Commitments"] == pytest.approx(200.0)


def test_mean_value_of_closed_capacities_stays_closed():
    """Probabilities 0.7, 0.2 and 0.1 with a lane closed in every scenario: its mean
    availability is exactly 0 (not 1e-16, which would leave an unlimited lane open)."""
    data = PlanData(
        periods=(Period("2026", 1.0),), sites=(), materials=(),
        scenarios=(Scenario("a", 0.7), Scenario("b", 0.2), Scenario("c", 0.1)),
        lane_availability=tuple(Availability(s, "2026", ("L",), 0.0) for s in "abc"),
        spot_shocks=tuple(SpotShock(s, "2026", "M", "Ore", 1.0, 0.0) for s in "abc"))
    mean = data.mean_value()
    assert [a.share for a in mean.lane_availability] == [0.0]
    assert [(x.price_factor, x.quantity_factor) for x in mean.spot_shocks] == [(1.0, 0.0)]
