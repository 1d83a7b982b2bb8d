"""What a disruption of each scope reaches: the one rule, for the workbook's Disruptions
rows (validation, conversion) and for the exposure analysis's knock-outs alike.

A supply scope hits the Supply rows and offtakes at the site (for its material, if any); a
site scope those too, its processes and every lane into or out of it; a process scope the
process; a lane scope the lane; a country scope the lanes that leave the country (an export
ban).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.data import PlanData

Hit = tuple[str, tuple[str, ...]]
"""(kind, target): (supply, (site, material)), (process, (process,)) or (lane, (lane,))."""


@dataclass(frozen=True)
class Reach:
    supplied: tuple[tuple[str, str], ...]
    """Sorted (site, material) of every Supply row and offtake."""
    processes: tuple[tuple[str, str, str], ...]
    """(process, site, output)."""
    lanes: tuple[tuple[str, str, str, str], ...]
    """(lane, from, to, material)."""
    country: dict[str, str]

    @classmethod
    def of_tables(cls, t: dict[str, list[dict]]) -> Reach:
        """From a workbook's validated tables."""
        return cls(
            tuple(sorted({(r["site"], r["material"]) for r in t["Supply"]}
                         | {(r["target"], r["material"]) for r in t["Options"]
                            if r["kind"] == "offtake"},
                         key=lambda pair: (str(pair[0]), str(pair[1])))),
            tuple((p["process"], p["site"], p["output"]) for p in t["Processes"]),
            tuple((x["lane"], x["from"], x["to"], x["material"]) for x in t["Lanes"]),
            {r["site"]: r["country"] for r in t["Sites"]})

    @classmethod
    def of_data(cls, data: PlanData) -> Reach:
        return cls(
            tuple(sorted({(r.site, r.material) for r in data.supplies}
                         | {(o.target, o.material) for o in data.options
                            if o.kind == "offtake"})),
            tuple((k.id, k.site, k.output) for k in data.processes),
            tuple((x.id, x.origin, x.destination, x.material) for x in data.lanes),
            {n.id: n.country for n in data.sites})

    def lanes_hit(self, scope: str, target: str, material: str | None = None) -> list[str]:
        """The lanes a site, country or lane scope hits."""
        def hit(origin: str, destination: str) -> bool:
            if scope == "site":
                return target in (origin, destination)
            if scope == "country":
                return self.country.get(origin) == target != self.country.get(destination)
            return False

        return [lane for lane, origin, destination, m in self.lanes
                if material in (None, m) and (hit(origin, destination)
                                              or scope == "lane" and lane == target)]

    def hits(self, scope: str, target: str, material: str | None = None) -> list[Hit]:
        """What a disruption of ``scope`` on ``target`` (for ``material``) reaches."""
        hits: list[Hit] = []
        if scope in ("supply", "site"):
            hits += [("supply", pair) for pair in self.supplied
                     if pair[0] == target and material in (None, pair[1])]
        if scope in ("site", "process"):
            hits += [("process", (k,)) for k, site, output in self.processes
                     if (site if scope == "site" else k) == target
                     and material in (None, output)]
        hits += [("lane", (lane,)) for lane in self.lanes_hit(scope, target, material)]
        return hits
