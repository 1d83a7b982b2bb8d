"""The Summary: a one-page brief of the plan, in sentences and a few figures.

What an executive reads in a minute: the status and the answer, what to sign and what to
leave (with what each is worth), the main sources by country, the lithium-ion versus
sodium-ion share and the cost of each scenario against the base (at most
:data:`SCENARIOS` of them), the risk figures, what binds and what a failure costs, and any
warning. Money in millions of the workbook's currency, shares as percent. The figures the
checks need (bound, gap, coefficient ranges, the cost table) are on the Details sheet. It
prints on one A4 landscape page.
"""

from __future__ import annotations

import math

import pandas as pd

from planner.analysis import Analyses, money_text
from planner.analysis.risk import ValueOfInformation, risk_measures
from planner.results import PlanResult, expected_cost, scenario_summary, spend_by_country
from planner.solve import SolveResult
from planner.layout import MILLIONS, SHARE, sentences
from planner.xlsx import HEADING, TITLE, WARNING, Sheet, write_table

SOURCES = 6
"""Countries listed by spend; the rest are summed."""
LEFT = 8
"""Options left that are named, those that would cost least to take; the rest counted."""
SCENARIOS = 10
"""Scenarios listed: the base and those costing most against it; the rest are one row of
their probability-weighted means (the Scenarios sheet lists every one)."""


def _table(ws: Sheet, row: int, frame: pd.DataFrame, formats: dict[str, str]) -> int:
    rows = [[None if pd.isna(x) else x for x in r] for r in frame.itertuples(index=False)]
    return write_table(ws, list(frame.columns), rows, row, formats) + 2


def commitments(result: PlanResult, analyses: Analyses, currency: str) -> list[str]:
    """What to sign and what to leave, with the value of each where it was computed: every
    option taken, and of those left the :data:`LEFT` that would cost least to take (the
    closest calls), the rest counted in one sentence."""
    value = {} if analyses.option_values is None else \
        analyses.option_values.set_index("Option")["Value of taking it"].to_dict()
    signed, left = [], []
    for _, d in result.decisions.iterrows():
        worth = value.get(d["Option"])
        worth = None if worth is None or pd.isna(worth) else worth
        if d["Taken"] > 1e-6:
            verb = "Sign" if d["Kind"] == "offtake" else "Take"
            share = "" if d["Taken"] > 1 - 1e-6 else f" ({d['Taken']:.0%} of it)"
            text = (f"{verb} {d['Option']}{share}: fixed cost "
                    f"{money_text(d['Fixed cost'], currency)}")
            if worth is not None:
                text += f"; leaving it would cost {money_text(worth, currency)} more"
            signed.append(text + ".")
        else:
            text = f"Leave {d['Option']}"
            if worth is not None:
                text += f": taking it would cost {money_text(-worth, currency)} more"
            left.append((math.inf if worth is None else -worth, text + "."))
    lines = signed + [text for _, text in sorted(left, key=lambda x: x[0])[:LEFT]]
    if len(left) > LEFT:
        lines.append(f"Leave the {len(left) - LEFT} other options too (each is on the "
                     "Decisions sheet, with its value on Option values).")
    return lines or ["No options to decide: the plan has no contract or investment options."]


def _scenarios(result: PlanResult, currency: str) -> pd.DataFrame:
    """Each scenario's cost and shares; beyond :data:`SCENARIOS`, the base, those costing
    most against it and one row for the rest, so that the probabilities still sum to 1 and
    the probability-weighted costs to the expected cost."""
    s = scenario_summary(result)
    base = float(s["Total cost"].iloc[0])
    against = f"Against {s['Scenario'].iloc[0]} ({currency} M)"
    table = pd.DataFrame({
        "Scenario": s["Scenario"], "Probability": s["Probability"],
        f"Total cost ({currency} M)": s["Total cost"] / 1e6,
        against: (s["Total cost"] - base) / 1e6})
    for column in (c for c in s.columns if c.endswith(" share") and c != "Largest unmet share"):
        table[column] = s[column]
    if len(table) <= SCENARIOS:
        return table
    shown = table.iloc[1:].nlargest(SCENARIOS - 1, against, keep="first").index
    rest = table.drop(index=[table.index[0], *shown])
    more = {"Scenario": f"{len(rest)} more (probability-weighted means; Scenarios sheet)",
            "Probability": rest["Probability"].sum(),
            **{c: _weighted_mean(rest[c], rest["Probability"]) for c in table.columns[2:]}}
    return pd.concat([table.loc[[table.index[0], *sorted(shown)]], pd.DataFrame([more])],
                     ignore_index=True)


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    """The mean of the values given (not NaN), weighted; NaN where none is or no weight."""
    given = values.notna() & (weights > 0)
    total = weights[given].sum()
    return float((values[given] * weights[given]).sum() / total) if total > 0 else math.nan


def _sources(result: PlanResult, currency: str) -> pd.DataFrame:
    """Spend on mined and contracted supply by country (:func:`spend_by_country`)."""
    spend = spend_by_country(result)
    total = spend.sum()
    top = spend.head(SOURCES)
    if len(spend) > SOURCES:
        top[f"{len(spend) - SOURCES} more countries"] = spend.iloc[SOURCES:].sum()
    return pd.DataFrame({"Country": top.index,
                         f"Supply spend ({currency} M, discounted)": top.to_numpy() / 1e6,
                         "Share of spend": top.to_numpy() / total if total > 0 else 0.0})


def _risk(result: PlanResult, information: ValueOfInformation | None,
          currency: str) -> pd.DataFrame:
    wanted = ("Expected cost", "Worst case", "Spread")
    rows = [(m.name, m.value) for m in risk_measures(result.risk, result.scenarios)
            if m.name in wanted or m.name.startswith("CVaR")]
    if information is not None:
        rows += [(m.name, m.value) for m in information.measures if m.name in ("EVPI", "VSS")]
    return pd.DataFrame([(n, None if v is None else v / 1e6 if math.isfinite(v) else "infinite")
                         for n, v in rows], columns=["Risk figure", f"{currency} M"])


def write_brief(ws: Sheet, solved: SolveResult, result: PlanResult | None,
                warnings: list[str], input_name: str, currency: str,
                information: ValueOfInformation | None, analyses: Analyses) -> None:
    """The brief on ``ws`` (see the module text)."""
    ws.put(1, 1, f"battery-planner: {input_name}", TITLE)
    ws.one_page = True
    row = sentences(ws, [f"Warning: {w}" for w in warnings], 2, style=WARNING)
    answer = f"The plan is {solved.status.label}" + (
        "." if solved.message == "the plan is optimal" else f": {solved.message}.")
    if result is None:
        sentences(ws, [answer, "See the Details sheet"
                             + (" and the Infeasibility sheet." if solved.status.label ==
                                "infeasible" else ".")], row)
        return
    answer += (f" Expected total cost {money_text(expected_cost(result), currency)} "
               "(discounted, commitments and recourse).")
    if result.risk.objective == "cvar":
        answer += f" Objective (with the CVaR) {money_text(solved.objective, currency)}."
    row = sentences(ws, [answer], row)
    row = sentences(ws, commitments(result, analyses, currency), row, "What to sign",
                    title_style=HEADING)
    binds = []
    if analyses.bottlenecks is not None:
        binds += analyses.bottlenecks.headline[:2]
    if analyses.exposure is not None:
        binds += analyses.exposure.headline[:2]
    if binds:
        row = sentences(ws, binds, row, "What binds", title_style=HEADING)
    if analyses.against_base is not None:
        row = sentences(ws, analyses.against_base[1], row, "Scenarios against the base",
                        title_style=HEADING)
    scenarios = _scenarios(result, currency)
    row = _table(ws, row, scenarios, {c: SHARE if "share" in c or c == "Probability"
                                      else MILLIONS for c in scenarios.columns[1:]})
    sources = _sources(result, currency)
    if len(sources):
        row = _table(ws, row, sources, {sources.columns[1]: MILLIONS,
                                        "Share of spend": SHARE})
    _table(ws, row, _risk(result, information, currency), {f"{currency} M": MILLIONS})
    ws.frozen = None
