"""The one schema of the input workbook.

Every sheet, column and setting a planner can fill in is declared here once. The
template writer, the reader, the validator and the README's sheet reference are all
generated from these declarations, so a column exists in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ALL_PERIODS = "all"
"""Written in a Period column to mean every period of the Periods sheet."""


class Kind(Enum):
    TEXT = "text"
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    """One column of a sheet: what it holds and what makes a value valid."""

    name: str
    kind: Kind
    description: str
    unit: str = ""
    required: bool = True
    default: float | str | None = None
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()
    ref: str | None = None
    """Sheet whose key this column refers to (``Periods``, ``Sites``, ...)."""
    allow_all_periods: bool = False
    positive: bool = False
    """The value must be strictly greater than zero."""
    blank_means: str = ""
    """What an empty optional cell means, when that is not simply ``default``."""

    @property
    def field(self) -> str:
        """The Python name of the column, e.g. ``Unit cost`` -> ``unit_cost``."""
        return self.name.lower().replace(" ", "_")

    @property
    def hint(self) -> str:
        """A short line under the header: unit or allowed values, and whether required."""
        if self.allowed:
            what = "one of: " + ", ".join(self.allowed)
        elif self.ref:
            what = f"a {self.ref} entry" + (f" or '{ALL_PERIODS}'" if self.allow_all_periods else "")
        elif self.unit:
            what = self.unit
        else:
            what = self.kind.value
        if self.required:
            return f"{what}; required"
        blank = self.blank_means or (
            f"{self.default:g}" if isinstance(self.default, float) else self.default)
        return f"{what}; optional, blank = {blank}" if blank else f"{what}; optional"

    def bounds_text(self) -> str:
        if self.positive:
            return "greater than 0"
        if self.minimum is not None and self.maximum is not None:
            return f"between {self.minimum:g} and {self.maximum:g}"
        if self.minimum is not None:
            return f"at least {self.minimum:g}"
        if self.maximum is not None:
            return f"at most {self.maximum:g}"
        return ""


@dataclass(frozen=True)
class Sheet:
    """A table of the workbook: one row per entity, ``key`` columns unique together."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    example: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Setting:
    """One key of the Settings sheet (a key/value table)."""

    key: str
    kind: Kind
    default: float | str
    description: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()

    def as_column(self) -> Column:
        """The setting's value seen as a column, so that one checker serves both."""
        return Column(
            self.key, self.kind, self.description, self.unit, False, self.default,
            self.minimum, self.maximum, self.allowed,
        )


def _text(name: str, description: str, **kw) -> Column:
    return Column(name, Kind.TEXT, description, **kw)


def _number(name: str, description: str, unit: str, **kw) -> Column:
    kw.setdefault("minimum", 0.0)
    return Column(name, Kind.NUMBER, description, unit, **kw)


MATERIAL_KINDS = ("ore", "concentrate", "chemical", "cell", "product")
SITE_KINDS = ("mine", "refinery", "cell plant", "market", "hub")

SETTINGS = (
    Setting("Currency", Kind.TEXT, "USD", "Currency of every cost and price in the workbook."),
    Setting("Discount rate", Kind.NUMBER, 0.0,
            "Discount rate per period; the k-th period (the first is 0) is weighted by (1 + rate)^-k.",
            "fraction per period", 0.0, 1.0),
    Setting("Unmet demand penalty", Kind.NUMBER, 100_000.0,
            "Cost of each unit of demand not served, where a Demand row gives no penalty of its own.",
            "currency per unit", 0.0),
    Setting("MIP gap", Kind.NUMBER, 1e-4,
            "Relative optimality gap at which the solver may stop.", "fraction", 0.0, 1.0),
    Setting("Time limit", Kind.NUMBER, 600.0,
            "Longest time the solver may run; the best plan found by then is reported.",
            "seconds", 1.0),
)

PERIODS = Sheet(
    "Periods",
    "Planning periods in time order (for example years). Costs of the k-th period are discounted by (1 + rate)^-k.",
    (
        _text("Period", "Name of the period, for example 2026."),
        _text("Description", "Free text.", required=False, default=""),
    ),
    key=("Period",),
)

MATERIALS = Sheet(
    "Materials",
    "Every material that is mined, refined, made into cells or sold, with its unit.",
    (
        _text("Material", "Name of the material, for example SC6 or LiOH."),
        _text("Unit", "Unit in which quantities of this material are given, for example t or GWh."),
        _text("Kind", "Stage of the chain the material belongs to.", allowed=MATERIAL_KINDS),
        _text("Family", "For cells: the chemistry family reported in the production mix "
              "(for example lithium-ion or sodium-ion).", required=False, default=""),
        _text("Description", "Free text.", required=False, default=""),
    ),
    key=("Material",),
)

SITES = Sheet(
    "Sites",
    "Mines, refineries, cell plants, markets and hubs, each in one country.",
    (
        _text("Site", "Name of the site."),
        _text("Kind", "What the site is.", allowed=SITE_KINDS),
        _text("Country", "Country the site is in (used for country shares and export bans)."),
        _text("Description", "Free text.", required=False, default=""),
    ),
    key=("Site",),
)

SUPPLY = Sheet(
    "Supply",
    "What each mine (or any other source) can deliver per period and at what cost. "
    f"A row for period '{ALL_PERIODS}' applies to every period that has no row of its own.",
    (
        _text("Site", "The mine or source site.", ref="Sites"),
        _text("Material", "The material supplied.", ref="Materials"),
        _text("Period", "The period, or 'all'.", ref="Periods", allow_all_periods=True),
        _number("Capacity", "Most that can be supplied in one period.", "material unit per period"),
        _number("Unit cost", "Cost of each unit supplied (mining, royalty, offtake price).",
                "currency per material unit"),
    ),
    key=("Site", "Material", "Period"),
)

PROCESSES = Sheet(
    "Processes",
    "Refining routes, cell lines and assembly steps: each makes one output material at a site.",
    (
        _text("Process", "Name of the process."),
        _text("Site", "Site where it runs.", ref="Sites"),
        _text("Output", "The material it makes.", ref="Materials"),
        _number("Capacity", "Most output in one period.", "output unit per period"),
        _number("Variable cost", "Cost of each unit of output, inputs excluded.",
                "currency per output unit"),
        _text("Description", "Free text.", required=False, default=""),
    ),
    key=("Process",),
)

RECIPES = Sheet(
    "Recipes",
    "What each process consumes per unit of output: ore yields and bills of materials.",
    (
        _text("Process", "The process.", ref="Processes"),
        _text("Input", "A material it consumes.", ref="Materials"),
        _number("Quantity", "Units of input consumed per unit of output.",
                "input unit per output unit", positive=True),
    ),
    key=("Process", "Input"),
)

LANES = Sheet(
    "Lanes",
    "Transport links that carry one material from one site to another within a period.",
    (
        _text("Lane", "Name of the lane."),
        _text("From", "Origin site.", ref="Sites"),
        _text("To", "Destination site.", ref="Sites"),
        _text("Material", "The material carried.", ref="Materials"),
        _number("Cost", "Freight cost of each unit carried.", "currency per material unit"),
        _number("Tariff", "Duty paid on each unit carried across this lane.",
                "currency per material unit", required=False, default=0.0),
        _number("Capacity", "Most that can be carried in one period.",
                "material unit per period", required=False, blank_means="no limit"),
    ),
    key=("Lane",),
)

DEMAND = Sheet(
    "Demand",
    "What each market needs per period; any unit not served costs the penalty.",
    (
        _text("Site", "The market (or any site) with the demand.", ref="Sites"),
        _text("Material", "The material demanded.", ref="Materials"),
        _text("Period", "The period.", ref="Periods"),
        _number("Quantity", "Units demanded in the period.", "material unit per period"),
        _number("Penalty", "Cost of each unit not served.",
                "currency per material unit", required=False,
                blank_means="Settings penalty"),
    ),
    key=("Site", "Material", "Period"),
)

SPOT_MARKET = Sheet(
    "SpotMarket",
    "Purchases on the spot market, delivered at a site, at a price per period. "
    f"A row for period '{ALL_PERIODS}' applies to every period that has no row of its own.",
    (
        _text("Material", "The material bought.", ref="Materials"),
        _text("Site", "Where the purchase is delivered.", ref="Sites"),
        _text("Period", "The period, or 'all'.", ref="Periods", allow_all_periods=True),
        _number("Price", "Price of each unit bought.", "currency per material unit"),
        _number("Maximum", "Most that can be bought in one period.",
                "material unit per period", required=False, blank_means="no limit"),
    ),
    key=("Material", "Site", "Period"),
)

SHEETS: tuple[Sheet, ...] = (
    PERIODS, MATERIALS, SITES, SUPPLY, PROCESSES, RECIPES, LANES, DEMAND, SPOT_MARKET,
)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
SETTINGS_SHEET = "Settings"
SETTINGS_COLUMNS = ("Key", "Value")
INSTRUCTIONS_SHEET = "Instructions"
