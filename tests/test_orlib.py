"""OR-Library capacitated warehouse location benchmarks, solved through ``plan solve``.

Each instance (see ``orlib.py`` for how it maps onto the workbook) is written as an input
workbook, solved by the real CLI, and its result workbook read back: the objective must
equal the published optimum within a relative 1e-6, the open warehouses must agree with
the flows and the costs, and every unit of demand must be shipped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import planner.cli
from orlib import (
    DATA, Instance, customer, load, option, parse, penalty_bound, penalty_for, read_optima,
    warehouse, workbook_rows, write_workbook,
)

CAPACITATED = read_optima(DATA / "capopt.txt")
UNCAPACITATED = read_optima(DATA / "uncapopt.txt")

CASES = [
    pytest.param("cap41", False, CAPACITATED["cap41"], id="cap41"),
    pytest.param("cap81", False, CAPACITATED["cap81"], id="cap81"),
    pytest.param("cap111", False, CAPACITATED["cap111"], id="cap111"),
    pytest.param("cap71", True, UNCAPACITATED["cap71"], id="cap71-uncapacitated"),
    pytest.param("cap131", True, UNCAPACITATED["cap131"], id="cap131-uncapacitated"),
]
REL = 1e-6
SHARE_TOL = 1e-6


# --- the parser -------------------------------------------------------------------------

def test_parse_cap41():
    inst = load("cap41")
    assert (inst.m, inst.n) == (16, 50)
    assert inst.capacities[0] == 5000 and inst.fixed_costs[0] == 7500
    assert inst.capacities == (5000.0,) * 16
    assert inst.fixed_costs[10] == 0  # warehouse 11, as distributed
    assert inst.demands[:2] == (146, 87)
    assert inst.costs[0][0] == pytest.approx(6739.725)
    assert inst.costs[0][15] == pytest.approx(6051.7)
    assert inst.total_demand == 58268  # cap71's capacity is exactly this
    assert inst.unit_cost(0, 0) == pytest.approx(6739.725 / 146)


def test_parse_ignores_line_wrapping():
    text = (DATA / "cap41.txt").read_text()
    one_line, per_number = " ".join(text.split()), "\n".join(text.split())
    assert parse(one_line) == parse(per_number) == parse(text)


def test_parse_sizes_of_the_other_files():
    assert (load("cap81").m, load("cap81").n) == (25, 50)
    assert (load("cap111").m, load("cap111").n) == (50, 50)
    assert sum(load("cap131").capacities) >= load("cap131").total_demand


def test_parse_word_capacity_needs_a_value():
    text = "2 1\n capacity 10.\n capacity 20.\n 5\n 1. 2.\n"
    with pytest.raises(ValueError, match="capacity"):
        parse(text)
    assert parse(text, capacity=8000).capacities == (8000.0, 8000.0)


@pytest.mark.parametrize("text, message", [
    ("2 1\n 10 1\n 10 1\n 5\n 1.", "file ends"),
    ("1 1\n 10 1\n 5\n 1. 7", "left over"),
    ("1 1\n 10 x\n 5\n 1.", "'x'"),
    ("1 1\n 10 1\n 0\n 1.", "demand"),
])
def test_parse_rejects_broken_files(text, message):
    with pytest.raises(ValueError, match=message):
        parse(text, "broken")


def test_read_optima():
    assert CAPACITATED["cap41"] == 1040444.375
    assert CAPACITATED["cap111"] == 826124.713
    assert CAPACITATED["capa@8000"] == 19240822.449 == CAPACITATED["capa"]
    assert CAPACITATED["capc@7250"] == 11505767.394
    assert UNCAPACITATED["cap131"] == 793439.562
    assert UNCAPACITATED["capa"] == 17156454.478


@pytest.mark.parametrize("name", ["cap41", "cap81", "cap111", "cap71", "cap131"])
def test_penalty_never_pays(name):
    """Penalty above every fixed cost plus the dearest unit freight (see penalty_bound)."""
    inst = load(name)
    assert penalty_for(inst) > penalty_bound(inst)
    assert penalty_bound(inst) > max(inst.unit_cost(i, j) for i in range(inst.m)
                                     for j in range(inst.n))


def test_workbook_rows_cap41():
    inst = load("cap41")
    rows, settings = workbook_rows(inst)
    assert len(rows["Options"]) == 16 and len(rows["Lanes"]) == 16 * 50
    assert len(rows["Demand"]) == 50 and not rows.get("Supply")
    first = rows["Options"][0]
    assert (first["Option"], first["Target"], first["Capacity"], first["Fixed cost"],
            first["Decision"], first["Cost basis"]) == ("open W1", "W1", 5000, 7500, "binary",
                                                        "one-off")
    assert rows["Lanes"][0]["Cost"] == pytest.approx(6739.725 / 146)
    assert settings["MIP gap"] == 1e-9
    uncapped, _ = workbook_rows(inst, uncapacitated=True)
    assert {o["Capacity"] for o in uncapped["Options"]} == {58268}


# --- solving through the CLI ------------------------------------------------------------

def table(ws, header_row: int = 1) -> list[dict[str, object]]:
    """Rows of a result sheet as dicts keyed by its header."""
    rows = ws.iter_rows(min_row=header_row, values_only=True)
    header = [h for h in next(rows)]
    return [dict(zip(header, r)) for r in rows if any(v is not None for v in r)]


def summary_value(wb, prefix: str) -> object:
    for item, value, *_ in wb["Details"].iter_rows(values_only=True):
        if isinstance(item, str) and item.startswith(prefix):
            return value
    raise AssertionError(f"no Details item starting with {prefix!r}")


def decisions(wb) -> dict[str, dict[str, object]]:
    """Option -> its row of the Decisions sheet (``Taken`` is the share taken)."""
    return {r["Option"]: r for r in table(wb["Decisions"])}


def solve_cli(tmp_path: Path, inst: Instance, uncapacitated: bool):
    inp = write_workbook(tmp_path / f"{inst.name}.xlsx", inst, uncapacitated)
    out = tmp_path / f"{inst.name}-result.xlsx"
    result = CliRunner().invoke(planner.cli.main, ["solve", str(inp), "-o", str(out), "-q"])
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return openpyxl.load_workbook(out, read_only=True, data_only=True)


@pytest.mark.parametrize("name, uncapacitated, published", CASES)
def test_orlib_instance(tmp_path, name, uncapacitated, published):
    inst = load(name)
    wb = solve_cli(tmp_path, inst, uncapacitated)

    assert summary_value(wb, "Status") == "optimal"
    objective = float(summary_value(wb, "Expected total cost"))
    assert objective == pytest.approx(published, rel=REL), \
        f"{name}: {objective} vs published {published}"

    # every unit of demand is shipped, to the customer that asked for it
    flows = table(wb["Flows"])
    assert math.fsum(f["Quantity"] for f in flows) == pytest.approx(inst.total_demand, rel=1e-9)
    into: dict[str, float] = defaultdict(float)
    out_of: dict[str, float] = defaultdict(float)
    transport = 0.0
    for f in flows:
        into[f["To"]] += f["Quantity"]
        out_of[f["From"]] += f["Quantity"]
        i, j = int(f["From"][1:]) - 1, int(f["To"][1:]) - 1
        transport += f["Quantity"] * inst.unit_cost(i, j)
    for j, d in enumerate(inst.demands):
        assert into[customer(j)] == pytest.approx(d, rel=1e-9), customer(j)
    unmet = table(wb["Unmet demand"])
    assert math.fsum(r["Unmet"] for r in unmet) == pytest.approx(0.0, abs=1e-6)

    # the open warehouses agree with the flows and the objective
    rows = decisions(wb)
    assert set(rows) == {option(i) for i in range(inst.m)}
    shares = {o: float(r["Taken"]) for o, r in rows.items()}
    for o, z in shares.items():
        assert min(abs(z), abs(z - 1)) <= SHARE_TOL, f"{o} taken at share {z} (binary)"
    is_open = [shares[option(i)] > 0.5 for i in range(inst.m)]
    capacity = [inst.total_demand if uncapacitated else c for c in inst.capacities]
    for i in range(inst.m):
        shipped = out_of.get(warehouse(i), 0.0)
        if shipped > 0:
            assert is_open[i], f"{warehouse(i)} ships {shipped} but is not open"
        assert shipped <= capacity[i] * (1 + 1e-9), f"{warehouse(i)} over capacity"
        if is_open[i] and inst.fixed_costs[i] > 0:  # otherwise closing it would be cheaper
            assert shipped > 0, f"{warehouse(i)} open at {inst.fixed_costs[i]} but idle"
    assert sum(c for c, o in zip(capacity, is_open) if o) >= inst.total_demand
    fixed = math.fsum(f for f, o in zip(inst.fixed_costs, is_open) if o)
    assert fixed + transport == pytest.approx(objective, rel=1e-7)
    for i in range(inst.m):
        row = rows[option(i)]
        assert row["Decision"] == "binary" and row["Target"] == warehouse(i)
        assert row["Capacity added"] == pytest.approx(capacity[i] * shares[option(i)], abs=1e-6)
        assert row["Fixed cost"] == pytest.approx(inst.fixed_costs[i] * shares[option(i)],
                                                  abs=1e-6)
    assert math.fsum(r["Fixed cost"] for r in rows.values()) == pytest.approx(fixed, abs=1e-6)
    assert math.fsum(f["Transport cost"] for f in flows) == pytest.approx(transport, rel=1e-9)
