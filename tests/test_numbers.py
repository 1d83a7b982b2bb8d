"""Numbers the solver cannot hold, and penalties below the cost of serving.

HiGHS takes a matrix value of 1e15 or more as infinite and drops it, so such a number is a
problem at its cell, as is a spot price or maximum that its PriceShocks multipliers carry
to 1e15 or beyond (at the multiplier's cell). A Demand penalty below the least cost of
delivering one unit there is a warning at its Penalty cell: the plan would rather leave
the demand unmet. That least cost is :func:`planner.serving.least_unit_costs`, checked here
against bounds worked by hand.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import planner.cli
from conftest import materials, periods, sites, solve_plan, write_plan
from planner.limits import LARGEST
from planner.pipeline import check_workbook
from planner.serving import amount, least_unit_costs
from test_validation import valid_rows
from xlsx_parts import edit_sheet_xml, set_cell_xml

FORM = re.compile(r"^[A-Za-z]+(![A-Z]+[0-9]+)?: .+; .+")
SOLVER = "too large for the solver (it treats 1e15 and above as infinite)"


def chain() -> dict[str, list[dict]]:
    """Ore at Mine (row 3 of each sheet), shipped to Refinery, refined 8:1 into LCE, shipped
    to Market: 50 and 60 t of LCE demanded in 2026 and 2027 (Demand rows 3 and 4)."""
    return valid_rows()


def with_spot(content: dict, price: float, maximum: float | None = None,
              shocks: list[tuple[float, float]] = ()) -> dict:
    """``content`` with LCE on the spot market at Market (SpotMarket row 3) and one
    scenario 'crash' (with a calm one beside it) whose PriceShocks rows 3, 4, ... each
    start a period later and carry the (price, quantity) multipliers given."""
    names = [str(2026 + k) for k in range(max(2, len(shocks)))]
    content["Periods"] = periods(*names)
    content["SpotMarket"] = [{"Material": "LCE", "Site": "Market", "Period": "all",
                              "Price": price, "Maximum": maximum}]
    content["Scenarios"] = [{"Scenario": "calm", "Probability": 0.5},
                            {"Scenario": "crash", "Probability": 0.5}]
    content["PriceShocks"] = [
        {"Scenario": "crash", "Material": "LCE", "First period": names[k],
         "Price multiplier": p, "Quantity multiplier": q}
        for k, (p, q) in enumerate(shocks)]
    return content


def problems(tmp_path: Path, content: dict, settings: dict | None = None) -> list[str]:
    v = check_workbook(write_plan(tmp_path / "plan.xlsx", content, settings))
    found = [str(p) for p in v.problems]
    assert all(FORM.match(p) for p in found), found
    return found


def at(found: list[str], where: str) -> list[str]:
    return [p for p in found if p.startswith(where + ":")]


def validate_cli(path: Path):
    return CliRunner().invoke(planner.cli.main, ["validate", str(path)])


# --------------------------------------------------------------------------- cells

def test_supply_capacity_of_1e15_is_a_problem_at_its_cell(tmp_path):
    content = chain()
    content["Supply"][0]["Capacity"] = LARGEST
    found = problems(tmp_path, content)
    here = at(found, "Supply!D3")
    assert len(found) == 1 and here, found
    assert SOLVER in here[0] and "Capacity 1e+15" in here[0], here
    assert "realistic capacity below 1e15" in here[0] and "larger unit" in here[0], here
    assert "blank" not in here[0], here  # Supply Capacity is required


def test_just_below_the_limit_is_accepted(tmp_path):
    content = chain()
    content["Supply"][0]["Capacity"] = 999_999_999_999_999.0
    assert problems(tmp_path, content) == []


def test_lane_capacity_of_1e15_says_leave_it_blank(tmp_path):
    content = chain()
    content["Lanes"][1]["Capacity"] = 1e15
    found = problems(tmp_path, content)
    here = at(found, "Lanes!G4")
    assert len(found) == 1 and here, found
    assert SOLVER in here[0] and "leave it blank for no limit" in here[0], here


@pytest.mark.parametrize("sheet, ref, row, column", [
    ("Demand", "E3", 0, "Penalty"),
    ("Lanes", "F3", 0, "Tariff"),
    ("Supply", "E3", 0, "Unit cost"),
    ("Processes", "E3", 0, "Variable cost"),
])
def test_huge_cost_is_a_problem_and_blank_is_not_offered(tmp_path, sheet, ref, row, column):
    """Blank means the Settings penalty or 0 in these columns, never "no limit"."""
    content = chain()
    content[sheet][row][column] = 3e15
    found = problems(tmp_path, content)
    here = at(found, f"{sheet}!{ref}")
    assert len(found) == 1 and here, found
    assert SOLVER in here[0] and "million USD" in here[0], here
    assert "no limit" not in here[0], here


def test_negative_huge_number_is_reported_once(tmp_path):
    content = chain()
    content["Supply"][0]["Capacity"] = -1e20
    found = problems(tmp_path, content)
    assert len(found) == 1 and at(found, "Supply!D3") and "negative" in found[0], found


@pytest.mark.parametrize("key, row", [("Unmet demand penalty", 4), ("Time limit", 10)])
def test_huge_setting_is_a_problem_at_its_cell(tmp_path, key, row):
    found = problems(tmp_path, chain(), {key: 1e15})
    here = at(found, f"Settings!B{row}")
    assert len(found) == 1 and here and SOLVER in here[0], found


@pytest.mark.parametrize("stored, shown", [
    ("1E+999", "inf is not a finite number"),
    ("1" + "0" * 400, "Capacity 1.00e+400 is"),  # an integer beyond any float
    ("2e15", "Capacity 2e+15 is"),
])
def test_numbers_as_stored_in_the_file(tmp_path, stored, shown):
    """What openpyxl cannot write: a number beyond floats, or a 400-digit integer (whose
    float() raises OverflowError), typed into the sheet XML."""
    path = write_plan(tmp_path / "plan.xlsx", chain())
    edit_sheet_xml(path, "Supply",
                   lambda text: set_cell_xml(text, "D3", f'<c r="D3"><v>{stored}</v></c>'))
    found = [str(p) for p in check_workbook(path).problems]
    assert len(found) == 1 and at(found, "Supply!D3"), found
    assert shown in found[0] and SOLVER in found[0], found
    result = validate_cli(path)
    assert result.exit_code == 3 and "Traceback" not in result.output, result.output
    assert "Supply!D3" in result.output


def test_infinity_typed_as_text_is_text(tmp_path):
    content = chain()
    content["Supply"][0]["Capacity"] = "inf"
    found = problems(tmp_path, content)
    assert len(found) == 1 and "text 'inf' where a number belongs" in found[0], found


# --------------------------------------------------------------------------- products

def test_price_times_multiplier_at_the_limit_is_a_problem_at_the_multiplier(tmp_path):
    content = with_spot(chain(), price=1e8, shocks=[(1e7, 1)])
    found = problems(tmp_path, content)
    here = at(found, "PriceShocks!F3")
    assert len(found) == 1 and here, found
    for words in ("price multiplier 1e+07", "spot price of LCE at Market", "SpotMarket row 3",
                  "1e+15 USD per t", "scenario crash", SOLVER, "realistic multiplier"):
        assert words in here[0], (words, here)


def test_price_below_the_limit_after_its_multipliers_is_accepted(tmp_path):
    content = with_spot(chain(), price=1e8, shocks=[(9e6, 1), (1.1, 1)])
    assert problems(tmp_path, content) == []


def test_multipliers_of_matching_rows_multiply(tmp_path):
    """Two rows of 1e4 each on a price of 1e8 overlap from 2027: 1e16 there, at the cell of
    the larger multiplier, naming the other row."""
    content = with_spot(chain(), price=1e8, shocks=[(1e4, 1), (2e4, 1)])
    found = problems(tmp_path, content)
    here = at(found, "PriceShocks!F4")
    assert len(found) == 1 and here, found
    assert "price multiplier 20000 (times those of PriceShocks row(s) 3) brings" in here[0]
    assert "to 2e+16 USD per t" in here[0], here


def test_quantity_multiplier_on_a_maximum_is_a_problem(tmp_path):
    content = with_spot(chain(), price=10, maximum=1e10, shocks=[(1, 1e6)])
    found = problems(tmp_path, content)
    here = at(found, "PriceShocks!G3")
    assert len(found) == 1 and here, found
    assert "spot maximum of LCE at Market" in here[0] and "1e+16 t per period" in here[0]
    assert "leave the SpotMarket Maximum blank for no limit" in here[0], here


def test_quantity_multiplier_on_no_limit_is_fine(tmp_path):
    content = with_spot(chain(), price=10, maximum=None, shocks=[(1, 1e14)])
    assert problems(tmp_path, content) == []


def test_huge_multipliers_are_problems_without_a_traceback(tmp_path):
    """1e300 x 1e300 overflows a float: each cell is refused, and nothing raises."""
    content = with_spot(chain(), price=5, shocks=[(1e300, 1e300), (1e300, 1e300)])
    found = problems(tmp_path, content)
    assert len(found) == 4, found
    for ref in ("F3", "G3", "F4", "G4"):
        assert at(found, f"PriceShocks!{ref}") and SOLVER in at(found, f"PriceShocks!{ref}")[0]
    result = validate_cli(tmp_path / "plan.xlsx")
    assert result.exit_code == 3 and "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_multipliers_each_below_the_limit_that_overflow_together(tmp_path):
    """25 rows of 1e14, overlapping in the last period, multiply to infinity (and a price
    of 0 times infinity to no number): still one problem, in words, no OverflowError."""
    content = with_spot(chain(), price=0, shocks=[(1e14, 1)] * 25)
    found = problems(tmp_path, content)
    assert len(found) == 1 and found[0].startswith("PriceShocks!F"), found
    assert "an undefined value (0 times infinity)" in found[0], found
    content = with_spot(chain(), price=1, shocks=[(1e14, 1)] * 25)
    found = problems(tmp_path, content)
    assert len(found) == 1 and found[0].startswith("PriceShocks!F3:"), found
    assert "(and 23 more spot offer(s))" in found[0], found  # 2027 to 2050 in scenario crash


# --------------------------------------------------------------------------- least costs

def hand_worked() -> dict[str, list[dict]]:
    """Raw material at Plant at 10 per t, 2 t of it per unit of Widget, made at a variable
    cost of 5, carried to Shop at 3: a Widget at Shop costs at least 10*2 + 5 + 3 = 28."""
    return {
        "Periods": periods("2026", "2027"),
        "Materials": materials(("Raw", "t", "chemical"), ("Widget", "unit", "product")),
        "Sites": sites(("Plant", "cell plant", "China"), ("Shop", "market", "Germany")),
        "Supply": [{"Site": "Plant", "Material": "Raw", "Period": "2026", "Capacity": 100,
                    "Unit cost": 10},
                   {"Site": "Plant", "Material": "Raw", "Period": "2027", "Capacity": 100,
                    "Unit cost": 12}],
        "Processes": [{"Process": "Assemble", "Site": "Plant", "Output": "Widget",
                       "Capacity": 50, "Variable cost": 5}],
        "Recipes": [{"Process": "Assemble", "Input": "Raw", "Quantity": 2}],
        "Lanes": [{"Lane": "road", "From": "Plant", "To": "Shop", "Material": "Widget",
                   "Cost": 3}],
        "Demand": [{"Site": "Shop", "Material": "Widget", "Period": "2026", "Quantity": 10,
                    "Penalty": 1000}],
    }


def bounds(tmp_path: Path, content: dict) -> dict:
    v = check_workbook(write_plan(tmp_path / "plan.xlsx", content))
    assert v.ok, [str(p) for p in v.problems]
    return least_unit_costs(v.tables)


def test_two_step_bound_is_worked_by_hand(tmp_path):
    cost = bounds(tmp_path, hand_worked())
    assert cost[("Plant", "Raw")] == 10  # the cheaper period
    assert cost[("Plant", "Widget")] == 10 * 2 + 5
    assert cost[("Shop", "Widget")] == 10 * 2 + 5 + 3 == 28
    assert ("Shop", "Raw") not in cost  # nothing carries Raw to Shop: infinite


def test_the_bound_is_what_the_plan_pays_on_an_open_chain(tmp_path):
    """With room everywhere, every Widget served costs the chain: 28 each in 2026."""
    run = solve_plan(tmp_path, hand_worked())
    assert run.solved.objective == pytest.approx(10 * 28)


def test_tariff_offtake_stock_and_cheaper_routes_count(tmp_path):
    content = hand_worked()
    content["Lanes"][0]["Tariff"] = 4
    assert bounds(tmp_path, content)[("Shop", "Widget")] == 32
    content["Options"] = [{"Option": "deal", "Kind": "offtake", "Target": "Plant",
                           "Material": "Raw", "Capacity": 10, "Unit cost": 1,
                           "Fixed cost": 1e6}]
    assert bounds(tmp_path, content)[("Shop", "Widget")] == 2 + 5 + 7
    content["Stocks"] = [{"Site": "Shop", "Material": "Widget", "Initial level": 1,
                          "Maximum": 5}]
    assert bounds(tmp_path, content)[("Shop", "Widget")] == 0


def test_spot_price_is_lowered_by_the_shocks_that_multiply(tmp_path):
    """Spot Widgets at Shop for 30; in scenario slump two rows of 0.5 overlap from 2027,
    so the price falls to 7.5 there, below the 28 of making one: the bound is 7.5, not
    min(1, 0.5) * 30 = 15. A multiplier above 1 never raises it."""
    content = hand_worked()
    content["SpotMarket"] = [{"Material": "Widget", "Site": "Shop", "Period": "all",
                              "Price": 30}]
    assert bounds(tmp_path, content)[("Shop", "Widget")] == 28
    content["Scenarios"] = [{"Scenario": "calm", "Probability": 0.5},
                            {"Scenario": "slump", "Probability": 0.5}]
    content["PriceShocks"] = [{"Scenario": "slump", "Material": "Widget",
                               "Price multiplier": 3}]
    assert bounds(tmp_path, content)[("Shop", "Widget")] == 28
    content["PriceShocks"] = [
        {"Scenario": "slump", "Material": "Widget", "Price multiplier": 0.5},
        {"Scenario": "slump", "Material": "Widget", "Site": "Shop", "First period": "2027",
         "Price multiplier": 0.5}]
    assert bounds(tmp_path, content)[("Shop", "Widget")] == 7.5


def test_a_material_that_makes_more_of_itself_has_no_bound(tmp_path):
    """Widget from half a Gadget and Gadget from half a Widget, at no cost: each round
    halves the bound, which never settles, so none is claimed and no penalty is warned of;
    the loop itself (a Widget back as 4) is the workbook's one problem."""
    content = hand_worked()
    content["Materials"].append({"Material": "Gadget", "Unit": "unit", "Kind": "product"})
    content["Processes"] += [
        {"Process": "Halve", "Site": "Plant", "Output": "Gadget", "Capacity": 10,
         "Variable cost": 0},
        {"Process": "Back", "Site": "Plant", "Output": "Widget", "Capacity": 10,
         "Variable cost": 0}]
    content["Recipes"] += [{"Process": "Halve", "Input": "Widget", "Quantity": 0.5},
                           {"Process": "Back", "Input": "Gadget", "Quantity": 0.5}]
    content["Demand"][0]["Penalty"] = 1
    path = write_plan(tmp_path / "plan.xlsx", content)
    v = check_workbook(path)
    assert [p.sheet for p in v.problems] == ["Recipes"], [str(p) for p in v.problems]
    assert "back into 4" in v.problems[0].what and least_unit_costs(v.tables) is None
    assert not [w for w in v.warnings if w.sheet == "Demand"], [str(w) for w in v.warnings]


# --------------------------------------------------------------------------- penalties

def gwh(penalty: float | None = None) -> dict[str, list[dict]]:
    """Lithium ore (t) mined at Pilbara for 100 per t, shipped to Plant for 10; an NMC pack
    line there uses 5,000 t a GWh at 90,000,000 per GWh; packs go to Market A for
    500,000 plus a tariff of 1,000,000: at least 5,000 * 110 + 90,000,000 + 1,500,000 =
    92,050,000 per GWh, 33 GWh wanted (Demand row 3)."""
    return {
        "Periods": periods("2026"),
        "Materials": materials(("Ore", "t", "ore"), ("NMC pack", "GWh", "cell")),
        "Sites": sites(("Pilbara", "mine", "Australia"), ("Plant", "cell plant", "China"),
                       ("Market A", "market", "Germany")),
        "Supply": [{"Site": "Pilbara", "Material": "Ore", "Period": "all",
                    "Capacity": 1_000_000, "Unit cost": 100}],
        "Processes": [{"Process": "Pack line", "Site": "Plant", "Output": "NMC pack",
                       "Capacity": 50, "Variable cost": 90_000_000}],
        "Recipes": [{"Process": "Pack line", "Input": "Ore", "Quantity": 5000}],
        "Lanes": [
            {"Lane": "ore", "From": "Pilbara", "To": "Plant", "Material": "Ore", "Cost": 10},
            {"Lane": "packs", "From": "Plant", "To": "Market A", "Material": "NMC pack",
             "Cost": 500_000, "Tariff": 1_000_000},
        ],
        "Demand": [{"Site": "Market A", "Material": "NMC pack", "Period": "2026",
                    "Quantity": 33, "Penalty": penalty}],
    }


def penalty_warnings(tmp_path: Path, content: dict, settings: dict | None = None) -> list[str]:
    v = check_workbook(write_plan(tmp_path / "plan.xlsx", content, settings))
    assert v.ok, [str(p) for p in v.problems]
    found = [str(w) for w in v.warnings if w.sheet == "Demand"]
    assert all(FORM.match(w) for w in found), found
    return found


def test_default_penalty_below_the_cost_of_a_gwh_is_warned_of(tmp_path):
    found = penalty_warnings(tmp_path, gwh())
    assert len(found) == 1 and found[0].startswith("Demand!E3:"), found
    for words in ("the penalty of 100,000 USD per GWh (the Settings default)",
                  "least cost to deliver one GWh of NMC pack at Market A",
                  "about 92,050,000 USD",
                  "Ore supplied at Pilbara, lane ore, process Pack line, lane packs",
                  "leave this demand unmet",
                  "Raise the penalty above that (Settings Unmet demand penalty"):
        assert words in found[0], (words, found)
    path = tmp_path / "plan.xlsx"
    result = validate_cli(path)
    assert result.exit_code == 0, result.output  # a warning does not stop the plan
    assert "warning" in result.output and "Demand!E3" in result.output, result.output


def test_currency_and_row_penalty_are_named(tmp_path):
    found = penalty_warnings(tmp_path, gwh(penalty=2_500_000.5), {"Currency": "EUR"})
    assert len(found) == 1 and "the penalty of 2,500,000 EUR per GWh is below" in found[0]
    assert "about 92,050,000 EUR" in found[0] and "(this row's Penalty)" in found[0], found


@pytest.mark.parametrize("penalty, settings", [
    (100_000_000, None),
    (None, {"Unmet demand penalty": 250_000_000}),
])
def test_penalty_above_the_cost_gives_no_warning(tmp_path, penalty, settings):
    assert penalty_warnings(tmp_path, gwh(penalty), settings) == []


def test_no_warning_for_no_demand(tmp_path):
    content = gwh()
    content["Demand"][0]["Quantity"] = 0
    assert penalty_warnings(tmp_path, content) == []


def test_many_periods_give_one_warning_per_site_and_material(tmp_path):
    content = gwh()
    names = [str(2026 + k) for k in range(30)]
    content["Periods"] = periods(*names)
    content["Demand"] = [{"Site": "Market A", "Material": "NMC pack", "Period": t,
                          "Quantity": 33} for t in names]
    found = penalty_warnings(tmp_path, content)
    assert len(found) == 1 and found[0].startswith("Demand!E3:"), found
    assert "here and in 29 more Demand rows (rows 4, 5," in found[0], found


def test_the_plan_really_leaves_such_demand_unmet(tmp_path):
    """What the warning foretells: solved, the plan serves none of the 33 GWh."""
    run = solve_plan(tmp_path, gwh())
    assert run.solved.objective == pytest.approx(33 * 100_000)


@pytest.mark.parametrize("x, text", [
    (96_512_345.6, "96,512,346"), (28, "28"), (27.5, "27.5"), (0.25, "0.25"),
    (0.0012345, "0.00123"), (1234.5678, "1,235"), (12.3456, "12.346"), (0, "0"),
])
def test_amounts_are_readable(x, text):
    assert amount(x) == text


def test_largest_is_the_solvers_infinity():
    assert LARGEST == 1e15 and math.isfinite(LARGEST)
