"""The stochastic plan by progressive hedging (mpi-sppy), its scenarios spread over MPI ranks.

``mpiexec -n N plan solve big.xlsx --engine ph`` runs the same command on every rank;
:func:`hedge` hands the ranks to mpi-sppy's hub and spokes: progressive hedging (the hub),
a Lagrangian lower bound and an upper bound from trial first stages (xhat shuffle), a third
of the ranks each. Progressive hedging stops when the bounds meet, or when the scenarios'
first stages agree before they do; either way its lower bound is the better of the best
one reported and the Lagrangian bound of the hub's final weights. Every scenario's model is the project's own, built from
``data.only(scenario)`` (:func:`planner.engine.build`): one formulation, whose first stage
is the options and, under CVaR, the threshold eta. On fewer than three ranks the hub runs
alone, for at most :data:`ALONE_ITERATIONS` iterations, its best reported bound the
wait-and-see bound.

Settings, as the spike recorded in issue 14 found them: HiGHS through Pyomo's ``highs``
interface with the proximal terms linearised (that interface takes no quadratic objective),
a rho for each first-stage variable from its cost (mpi-sppy's SepRho: a uniform rho does
nothing at costs of 1e11), one HiGHS thread a rank.

The plan reported is then evaluated exactly (:mod:`planner.pipeline`): the extensive form
with the first stage found fixed, a linear program, checked like every other plan.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import version

import pyomo.environ as pyo

from models.data import PlanData
from models.scaling import Scaling
from planner import handoff
from planner.analysis.risk import risk_value
from planner.check import TOLERANCE
from planner.engine import Solved, build, commitments, solve_plan
from planner.mpi import MPI_EXTRA
from planner.solve import LineStream, SolverOptions, Status

CYLINDERS = 3
"""Progressive hedging, its lower bound and its upper bound."""
ALONE_ITERATIONS = 100
"""Iterations of progressive hedging alone (fewer than :data:`CYLINDERS` ranks), after which
its weights give the Lagrangian bound."""


class EngineError(Exception):
    """Progressive hedging cannot run here or on this plan; the message says what to do."""


@dataclass(frozen=True)
class Hedged:
    """What progressive hedging found, in the workbook's currency."""

    first_stage: dict[str, float]
    """Each option's share."""
    lower: float | None
    """The best lower bound on the optimal objective."""
    seconds: float
    ranks: int

    def engine(self) -> str:
        return (f"progressive hedging (mpi-sppy {version('mpi-sppy')}) on {self.ranks} MPI "
                f"rank{'s' if self.ranks > 1 else ''}")

    def bounding(self, solved: Solved, mip_gap: float) -> Solved:
        """``solved``, the exact evaluation of :attr:`first_stage`, with the lower bound and
        the gap to it: optimal only within ``mip_gap``; a lower bound above the plan's cost
        is an error, never a result."""
        result = replace(solved.result, seconds=self.seconds + solved.result.seconds)
        if result.status is not Status.OPTIMAL:
            return replace(solved, result=result)
        objective, lower = result.objective, self.lower
        solver = f"{result.solver}; {self.engine()}"
        if lower is None:
            return replace(solved, result=replace(
                result, status=Status.FEASIBLE, bound=None, gap=None, solver=solver,
                message="progressive hedging stopped without a lower bound; the plan is its "
                "best first stage, not proven optimal"))
        gap = (objective - lower) / max(abs(objective), 1.0)
        if gap < -max(mip_gap, TOLERANCE):
            return replace(solved, result=replace(
                result, status=Status.ERROR, bound=lower, gap=gap, solver=solver,
                message=f"progressive hedging's lower bound {lower:,.0f} lies above the cost "
                f"{objective:,.0f} of its plan: the bound is invalid, and so is any claim of "
                "optimality; solve with --engine ef, and please report it with the workbook"))
        gap = max(gap, 0.0)
        if gap <= mip_gap + TOLERANCE:
            status, message = Status.OPTIMAL, (f"the plan is optimal within {gap:.4%} of "
                                               "progressive hedging's lower bound")
        else:
            status, message = Status.FEASIBLE, (
                f"progressive hedging stopped {gap:.4%} above its lower bound (at its time "
                "limit, its iteration limit or without progress); its best plan is reported")
        return replace(solved, result=replace(result, status=status, message=message,
                                              bound=lower, gap=gap, solver=solver))


def _world():
    """MPI's world, mpi-sppy imported: in a folder of its own, since some of its modules
    open log files in the working folder on import (empty at their level: critical), and
    with what it prints on import kept off the terminal."""
    here = os.getcwd()
    try:
        with tempfile.TemporaryDirectory() as elsewhere, \
                contextlib.redirect_stdout(io.StringIO()):
            os.chdir(elsewhere)
            from mpi4py import MPI
            import mpisppy.cylinders.hub  # noqa: F401
            import mpisppy.cylinders.xhatshufflelooper_bounder  # noqa: F401
            import mpisppy.utils.xhat_eval  # noqa: F401
    except ImportError as exc:
        raise EngineError(f"--engine ph {MPI_EXTRA} ({exc})") from exc
    finally:
        os.chdir(here)
    return MPI.COMM_WORLD


def _shares(solved: Solved, data: PlanData) -> dict[str, float] | None:
    """The options a solve took; None when it found no plan."""
    if not solved.result.status.has_plan:
        return None
    return commitments(data, {o: pyo.value(v) for o, v in solved.model.v_option.items()})


def _shared(comm, scenarios, solve: Callable) -> list:
    """``solve(scenario)`` for every scenario, the ranks taking turns; on every rank."""
    mine = {i: solve(s) for i, s in enumerate(scenarios) if i % comm.size == comm.rank}
    found = {i: x for part in comm.allgather(mine) for i, x in part.items()}
    return [found[i] for i in range(len(scenarios))]


def threshold_bound(data: PlanData, scaling: Scaling, comm, *, time_limit: float,
                    mip_gap: float, options: SolverOptions | None) -> float:
    """An upper bound on an optimal CVaR threshold eta (internal units), the same for
    every scenario's copy of eta.

    A first stage feasible in every scenario bounds the optimum :math:`z^*` from above by
    its objective :math:`\\hat z = (1 - \\lambda) E[Q] + \\lambda\\,\\mathrm{CVaR}_\\alpha(Q)`,
    where :math:`Q_s` is its cost in scenario :math:`s` (one solve each, the ranks sharing
    them). An optimal :math:`\\eta^*` lies below :math:`\\mathrm{CVaR}^*` (a CVaR is at least
    its threshold) and below :math:`E^* / (1 - \\alpha)` (:func:`models.model.add_costs`),
    and :math:`\\lambda \\mathrm{CVaR}^*` and :math:`(1 - \\lambda) E^*` are each at most
    :math:`z^*`; so :math:`\\eta^* \\le \\hat z \\min(1/\\lambda, 1/((1 - \\lambda)(1 -
    \\alpha)))`. The extensive form's own bound, :math:`\\eta \\le E / (1 - \\alpha)`,
    couples the scenarios and has no per-scenario form that stays valid.

    The first stages tried: the mean-value plan's, then each scenario's wait-and-see plan,
    the costliest first (a plan for a hard scenario tends to hold in the others)."""
    settings = dict(time_limit=time_limit, mip_gap=mip_gap, options=options)
    scenarios = list(data.scenarios)

    def cost(first_stage: dict[str, float], scenario) -> float | None:
        solved = solve_plan(data.only(scenario.id), scaling, fixed=first_stage, **settings)
        return solved.result.objective if solved.result.status is Status.OPTIMAL else None

    def alone(scenario) -> tuple[float, dict[str, float] | None]:
        solved = solve_plan(data.only(scenario.id), scaling, **settings)
        return solved.result.objective or 0.0, _shares(solved, data)

    def candidates():
        mean = solve_plan(data.mean_value(), scaling, **settings) if comm.rank == 0 else None
        yield comm.bcast(mean and _shares(mean, data), root=0)
        for _, first_stage in sorted(_shared(comm, scenarios, alone), key=lambda x: -x[0]):
            yield first_stage

    for first_stage in candidates():
        if first_stage is None:
            continue
        costs = _shared(comm, scenarios, lambda s: cost(first_stage, s))
        if None not in costs:
            break
    else:
        raise EngineError("--engine ph under CVaR bounds the threshold by the cost of a plan "
                          "feasible in every scenario, and neither the mean-value plan nor "
                          "any scenario's own plan is; solve with --engine ef")
    risk = data.risk
    z = risk_value(risk, costs, [s.probability for s in scenarios]) / scaling.money
    factors = ([1 / risk.weight] if risk.weight > 0 else []) + \
        ([1 / ((1 - risk.weight) * (1 - risk.level))] if risk.weight < 1 else [])
    return z * min(factors)


def scenario_model(name: str, *, data: PlanData, scaling: Scaling, ids: dict[str, str],
                   threshold: float | None) -> pyo.ConcreteModel:
    """mpi-sppy's scenario creator: the model of scenario ``ids[name]`` alone, with its
    first stage (the options, and eta with ``threshold`` as its bound) at the root node
    and the scenario's probability."""
    from mpisppy.utils import sputils

    scenario = next(s for s in data.scenarios if s.id == ids[name])
    m = build(data.only(scenario.id), scaling)
    first = [m.v_option]
    if threshold is not None:
        m.c_cvar_threshold.deactivate()
        m.v_var.setub(threshold)
        first.append(m.v_var)
    sputils.attach_root_node(m, m.first_stage_cost, first)
    m._mpisppy_probability = scenario.probability
    return m


def _config(ranks: int, time_limit: float, mip_gap: float, options: SolverOptions | None):
    from mpisppy.utils import config

    cfg = config.Config()
    for add in (cfg.popular_args, cfg.ph_args, cfg.two_sided_args, cfg.lagrangian_args,
                cfg.xhatshuffle_args, cfg.sep_rho_args):
        add()
    cfg.solver_name = "highs"
    cfg.default_rho = 1.0
    cfg.sep_rho = True
    cfg.linearize_proximal_terms = True
    cfg.max_iterations = 10_000
    cfg.time_limit = time_limit
    cfg.rel_gap = mip_gap
    cfg.max_solver_threads = 1
    cfg.solver_options = " ".join(f"{k}={v}" for k, v in
                                  {"mip_rel_gap": mip_gap, **(options or {})}.items())
    cfg.lagrangian = cfg.xhatshuffle = ranks >= CYLINDERS
    if not cfg.lagrangian:  # no bounds to close: stop when the first stages agree
        cfg.intra_hub_conv_thresh = 1e-6
        cfg.max_iterations = ALONE_ITERATIONS
    return cfg


def _progress(money: float, on_line: Callable[[str], None]):
    """A hub extension that reports the bounds and the gap known at the end of every
    iteration, in the workbook's currency."""
    from mpisppy.extensions.extension import Extension

    class Progress(Extension):
        def enditer(self) -> None:
            hub = getattr(self.opt, "spcomm", None)
            if hub is None or self.opt.cylinder_rank != 0:
                return
            lower, upper = hub.BestOuterBound * money, hub.BestInnerBound * money
            gap = (upper - lower) / abs(upper) if math.isfinite(upper) and upper else math.inf
            on_line(f"Progressive hedging, iteration {self.opt._PHIter}: lower bound {lower:,.0f}, best plan "
                    f"{upper:,.0f}, gap {gap:.4%}")

    return Progress


def _best_first_stage(wheel, comm) -> dict[str, float] | None:
    """The best first stage any cylinder found, by option (on every rank)."""
    found: dict[str, float] = {}

    def keep(_file, scenario, _bundling) -> None:
        for v in scenario._mpisppy_node_list[0].nonant_vardata_list:
            if v.parent_component().name == "v_option":
                found[v.index()] = pyo.value(v)

    wheel.write_first_stage_solution("", first_stage_solution_writer=keep)
    return next((part for part in comm.allgather(found or None) if part), None)


def _consensus(ph) -> dict[str, float]:
    """Each option's average over the scenarios (progressive hedging's xbar)."""
    scenario = next(iter(ph.local_scenarios.values()))
    root = scenario._mpisppy_node_list[0]
    return {v.index(): pyo.value(scenario._mpisppy_model.xbars[root.name, i])
            for i, v in enumerate(root.nonant_vardata_list)
            if v.parent_component().name == "v_option"}


def hedge(data: PlanData, scaling: Scaling, *, time_limit: float, mip_gap: float,
          options: SolverOptions | None = None,
          on_line: Callable[[str], None] = lambda _: None) -> Hedged | None:
    """Progressive hedging on ``data``, on every rank of ``mpiexec``; the result on rank 0,
    None on the others. ``on_line`` receives the bounds after every iteration and mpi-sppy's
    own log (in internal units). Raises :class:`EngineError`."""
    comm = _world()
    if comm.size >= CYLINDERS and comm.size % CYLINDERS:
        raise EngineError(f"--engine ph runs its three parts (progressive hedging, a lower "
                          f"bound, an upper bound) on a third of the ranks each: run it on a "
                          f"multiple of 3 ranks (mpiexec -n 3, 6, ...), not {comm.size}")
    if len(data.scenarios) < comm.size // CYLINDERS:
        raise EngineError(f"--engine ph gives each rank of a part at least one scenario: "
                          f"{len(data.scenarios)} scenarios need at most "
                          f"{len(data.scenarios) * CYLINDERS} ranks, not {comm.size}")
    from mpisppy.spin_the_wheel import WheelSpinner
    import mpisppy.utils.cfg_vanilla as vanilla

    start = time.perf_counter()
    handoff.HIGHS_THREADS = 1  # HiGHS keeps the thread count of its first run in a process
    threshold = None
    if data.risk.objective == "cvar":
        threshold = threshold_bound(data, scaling, comm, time_limit=time_limit,
                                    mip_gap=mip_gap, options=options)
    names = {f"scenario{i}": s.id for i, s in enumerate(data.scenarios)}
    cfg = _config(comm.size, time_limit, mip_gap, options)
    beans = (cfg, scenario_model, None, list(names))
    kwargs = {"scenario_creator_kwargs": dict(data=data, scaling=scaling, ids=names,
                                              threshold=threshold)}
    hub = vanilla.ph_hub(*beans, **kwargs)
    vanilla.add_sep_rho(hub, cfg)
    vanilla.extension_adder(hub, _progress(scaling.money, on_line))
    spokes = [vanilla.lagrangian_spoke(*beans, **kwargs),
              vanilla.xhatshuffle_spoke(*beans, **kwargs)] if cfg.lagrangian else []
    with contextlib.redirect_stdout(LineStream(on_line)):
        wheel = WheelSpinner(hub, spokes)
        wheel.spin()
        first_stage = _best_first_stage(wheel, comm) if spokes else None
        if wheel.strata_rank == 0:  # the hub's ranks, rank 0 among them
            lower = max(wheel.spcomm.BestOuterBound, wheel.spcomm.opt.post_solve_bound())
    if comm.rank != 0:
        return None
    if first_stage is None:  # the hub alone, or no trial plan: the scenarios' consensus
        first_stage = _consensus(wheel.spcomm.opt)
    first_stage = commitments(data, first_stage)

    def currency(bound: float | None) -> float | None:
        return bound * scaling.money if bound is not None and math.isfinite(bound) else None

    return Hedged(first_stage, currency(lower), time.perf_counter() - start, comm.size)
