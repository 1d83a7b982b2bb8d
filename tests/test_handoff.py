"""The hand-off to HiGHS: the matrices compiled from the model are those Pyomo's own HiGHS
interface builds from it, column by column and row by row."""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs
from scipy.sparse import csc_array, csr_array

from models.scaling import Scaling
from planner.convert import to_plan_data
from planner.engine import build, fix_options, solve_built
from planner.handoff import _row_bounds, compile_model, quiet_highs
from planner.inputs import INPUTS
from planner.pipeline import check_workbook
from planner.solve import Status, solve, strategy


def _lp(highs) -> dict[str, np.ndarray]:
    lp = highs.getLp()
    a = lp.a_matrix_
    form = csr_array if a.format_ == highspy.MatrixFormat.kRowwise else csc_array
    matrix = form((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
                  shape=(lp.num_row_, lp.num_col_)).toarray()
    integrality = np.asarray(lp.integrality_) if len(lp.integrality_) else \
        np.zeros(lp.num_col_)
    return {"matrix": matrix, "cost": np.asarray(lp.col_cost_),
            "col_lower": np.asarray(lp.col_lower_), "col_upper": np.asarray(lp.col_upper_),
            "row_lower": np.asarray(lp.row_lower_), "row_upper": np.asarray(lp.row_upper_),
            "integrality": integrality.astype(int), "offset": np.array([lp.offset_])}


@pytest.fixture(scope="module")
def example_model() -> pyo.ConcreteModel:
    data = to_plan_data(check_workbook(INPUTS / "example.xlsx"))
    return build(data, Scaling.choose(data))


def test_the_compiled_matrices_equal_pyomos_own(example_model):
    compiled = compile_model(example_model, quiet_highs())
    ours = _lp(compiled.highs)
    reference = Highs()
    reference.set_instance(example_model)
    theirs = _lp(reference._solver_model)
    column = np.array([reference._pyomo_var_to_solver_var_map[id(v)]
                       for v in compiled.columns])
    row = np.array([reference._pyomo_con_to_solver_con_map[c] for c in compiled.rows])
    # Pyomo's interface also holds the variables no row or cost uses; they are left out
    used = np.flatnonzero(np.any(theirs["matrix"] != 0, axis=0) | (theirs["cost"] != 0))
    assert sorted(column) == list(used)
    assert len(row) == theirs["matrix"].shape[0]
    assert compiled.is_mip() and ours["integrality"].any()
    # a cost or coefficient made of several terms is summed in another order: equal to
    # the last bit or two
    same = {"rtol": 1e-14, "atol": 0}
    np.testing.assert_allclose(ours["matrix"], theirs["matrix"][np.ix_(row, column)], **same)
    for name in ("cost", "col_lower", "col_upper", "integrality"):
        np.testing.assert_allclose(ours[name], theirs[name][column], err_msg=name, **same)
    for name in ("row_lower", "row_upper"):
        np.testing.assert_allclose(ours[name], theirs[name][row], err_msg=name, **same)
    np.testing.assert_allclose(ours["offset"], theirs["offset"], **same)


def test_fixed_variables_move_to_the_right_hand_side(example_model):
    """Options fixed where the MIP put them: the LP left has the optimum of Pyomo's
    interface on the same model."""
    model = example_model.clone()
    assert solve(model, 60, 1e-9).status is Status.OPTIMAL
    fix_options(model, {o: round(v.value, 6) for o, v in model.v_option.items()})
    ours = solve(model, 60, 1e-9)
    reference = Highs().solve(model, load_solutions=False)
    assert ours.status is Status.OPTIMAL
    assert ours.objective == pytest.approx(reference.incumbent_objective, rel=1e-9)
    assert ours.highs_seconds > 0 and ours.seconds >= ours.highs_seconds


def test_a_ranged_row_is_one_row_with_both_limits():
    model = pyo.ConcreteModel()
    model.x = pyo.Var(bounds=(0, None))
    model.y = pyo.Var(domain=pyo.Binary)
    model.ranged = pyo.Constraint(expr=pyo.inequality(2, model.x + model.y, 5))
    model.equal = pyo.Constraint(expr=model.x - model.y == 1)
    model.above = pyo.Constraint(expr=model.x >= 1.5)
    model.cost = pyo.Objective(expr=model.x + 3 * model.y + 7)
    compiled = compile_model(model, quiet_highs())
    lp = _lp(compiled.highs)
    assert [c.name for c in compiled.rows] == ["ranged", "equal", "above"]
    np.testing.assert_array_equal(lp["row_lower"], [2, 1, 1.5])
    np.testing.assert_array_equal(lp["row_upper"], [5, 1, np.inf])
    np.testing.assert_array_equal(lp["integrality"], [0, 1])
    assert solve(model, 10, 0).objective == pytest.approx(2 + 3 + 7)


def test_row_bounds_merge_only_the_two_halves_of_one_constraint():
    a, b = object(), object()
    keep, lower, upper = _row_bounds([(a, 1), (a, -1), (b, -1), (b, 0)],
                                     np.array([5.0, 2.0, 3.0, 4.0]))
    assert keep.tolist() == [True, False, True, True]
    assert lower.tolist() == [2.0, 3.0, 4.0] and upper.tolist() == [5.0, np.inf, 4.0]


def test_a_constraint_its_fixed_variables_break_is_infeasible():
    model = pyo.ConcreteModel()
    model.x = pyo.Var(bounds=(0, 10))
    model.z = pyo.Var(bounds=(0, 10))
    model.need = pyo.Constraint(expr=model.z >= 3)
    model.other = pyo.Constraint(expr=model.x >= 1)
    model.cost = pyo.Objective(expr=model.x + model.z)
    model.z.fix(1)
    result = solve(model, 10, 0)
    assert result.status is Status.INFEASIBLE and "need" in result.message


@pytest.mark.parametrize("rows, scenarios, mip, given, chosen", [
    (72_000, 1, False, None, {"solver": "ipm"}),
    (76_000, 20, False, None, {}),
    (72_000, 1, True, None, {}),  # a MIP keeps HiGHS's own choice
    (72_000, 1, False, {"solver": "simplex"}, {"solver": "simplex"}),  # the user's wins
    (100, 1, False, {"presolve": "off"}, {"presolve": "off"}),
])
def test_interior_point_for_large_scenario_blocks(rows, scenarios, mip, given, chosen):
    class Held:
        def __init__(self):
            self.rows = [None] * rows

        def is_mip(self):
            return mip

    assert strategy(Held(), scenarios, given) == chosen


def test_the_priced_lp_started_from_the_mip_plan_equals_it_solved_cold():
    """The LP that prices a MIP's plan starts from a basis that crossover builds from the
    MIP's plan; solved cold from a model rebuilt with the same commitments fixed, it has
    the same optimum, and both plans cost it."""
    data = to_plan_data(check_workbook(INPUTS / "example.xlsx"))
    scaling = Scaling.choose(data)
    lines: list[str] = []
    warm = solve_built(build(data, scaling), data, scaling, time_limit=120, mip_gap=1e-6,
                       on_log_line=lines.append)
    assert warm.result.status is Status.OPTIMAL
    assert any("Crossover from starting point" in line for line in lines)
    taken = {o.id: pyo.value(warm.model.v_option[o.id]) for o in data.options}
    cold_model = build(data, scaling)
    fix_options(cold_model, taken)
    cold = solve(cold_model, 120, 1e-6)
    assert cold.status is Status.OPTIMAL
    assert cold.objective * scaling.money == pytest.approx(warm.result.objective, rel=1e-9)
