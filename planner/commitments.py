"""Rules between the sheets that describe commitments and limits: Options, Processes,
CapacityGroups, Stocks, Policies and Sites (:func:`check_commitments`)."""

from __future__ import annotations

from collections import defaultdict

from planner.names import key, spellings, suggestion
from planner.problems import Row, Validation, countries, ref_of
from planner.schema import COUNTRY_SHARES
from planner.tolerance import apart, exceeds, same


def check_commitments(v: Validation) -> None:
    """Rules between Options, Processes, CapacityGroups, Stocks, Policies and Sites rows:
    stock options need their stock, conversions fit their source, groups agree on their
    capacity, end minimums fit, policies list known countries."""
    t = v.tables
    capacity = {r["process"]: r["capacity"] for r in t["Processes"]}
    stocks = {(r["site"], r["material"]): r for r in t["Stocks"]}
    room: dict[tuple, float] = defaultdict(float)
    moved: dict[str, float] = defaultdict(float)
    for row in t["Options"]:
        if row["kind"] == "stock" and row["material"] is not None and row["target"] is not None:
            pair = (row["target"], row["material"])
            room[pair] += row["capacity"] or 0.0
            if pair not in stocks:
                v.add("Options", ref_of(v, "Options", row, "target"),
                      f"stock option {row['option']} adds room to a stock of "
                      f"{pair[1]} at {pair[0]} that the Stocks sheet does not list",
                      f"add a Stocks row for {pair[0]} and {pair[1]} (Maximum 0 if the "
                      "stock exists only when the option is taken)")
        if row["kind"] != "conversion" or row["from_process"] is None:
            continue
        source = row["from_process"]
        if source == row["target"]:
            v.add("Options", ref_of(v, "Options", row, "from_process"),
                  f"conversion {row['option']} converts {source} into itself",
                  "name the process that gives up capacity in From process")
            continue
        moved[source] += row["capacity"] or 0.0
        if capacity.get(source) is not None and exceeds(moved[source], capacity[source]):
            most, has = apart(moved[source], capacity[source])
            v.add("Options", ref_of(v, "Options", row, "capacity"),
                  f"conversions from {source} up to this row move {most} of "
                  f"capacity but it has only {has}, so they can never all "
                  "be taken", f"convert at most {has} from {source} in all")
    for pair, r in stocks.items():
        most = (r["maximum"] or 0.0) + room[pair]
        if exceeds(r["end_minimum"] or 0.0, most):
            least, room_shown = apart(r["end_minimum"], most)
            v.add("Stocks", ref_of(v, "Stocks", r, "end_minimum"),
                  f"the end minimum {least} exceeds the most the stock can "
                  f"hold ({room_shown}, with every stock option taken)",
                  "lower the end minimum or raise the maximum")
    first: dict[str, Row] = {}
    for r in t["CapacityGroups"]:
        head = first.setdefault(r["group"], r)
        if None not in (r["capacity"], head["capacity"]) \
                and not same(r["capacity"], head["capacity"]):
            here, there = apart(r["capacity"], head["capacity"])
            v.add("CapacityGroups", ref_of(v, "CapacityGroups", r, "capacity"),
                  f"group {r['group']} has capacity {here} here but "
                  f"{there} in row {head['_row']}",
                  "give every row of a group the same capacity")
    known = spellings(r["country"] for r in t["Sites"])
    for r in t["Policies"]:
        if r["kind"] in COUNTRY_SHARES and r["countries"] is not None:
            if not countries(r["countries"]):
                v.add("Policies", ref_of(v, "Policies", r, "countries"),
                      f"'{r['countries']}' lists no country", "enter one country, or several "
                      "separated by commas, as written in the Sites sheet")
            for country in countries(r["countries"]):
                if key(country) not in known:
                    v.add("Policies", ref_of(v, "Policies", r, "countries"),
                          f"'{country}' is not a country on the Sites sheet"
                          f"{suggestion(country, list(known.values()))}",
                          "list countries as written in the Sites sheet's Country column, "
                          "separated by commas")
            r["countries"] = ", ".join(known.get(key(c), c) for c in countries(r["countries"]))
