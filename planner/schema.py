"""The one schema of the input workbook.

Every sheet, column and setting a planner can fill in is declared here once. The
template writer, the reader, the validator and the README's sheet reference are all
generated from these declarations, so a column exists in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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
    whole: bool = False
    """The value must be a whole number."""
    blank_means: str = ""
    """What an empty optional cell means, when that is not simply ``default``."""
    needed_by: tuple[str, ...] = ()
    """Values of the sheet's Kind column for which this optional column must be filled."""
    ref_by: tuple[str, tuple[tuple[str, str], ...]] | None = None
    """For a target column: (the column naming the target's kind, kind -> sheet it refers to).
    A sheet written ``Sites.Country`` refers to the countries of the Sites sheet."""

    @cached_property
    def field(self) -> str:
        """The Python name of the column, e.g. ``Unit cost`` -> ``unit_cost``."""
        return self.name.lower().replace(" ", "_").replace("-", "_")

    @property
    def hint(self) -> str:
        """A short line under the header: unit or allowed values, and whether required."""
        if self.allowed:
            what = "one of: " + ", ".join(self.allowed)
        elif self.ref_by:
            what = f"named by {self.ref_by[0]}"
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
        if self.whole:
            return "a whole number" + (f" at least {self.minimum:g}"
                                       if self.minimum is not None else "")
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
    whole: bool = False

    def as_column(self) -> Column:
        """The setting's value seen as a column, so that one checker serves both."""
        return Column(
            self.key, self.kind, self.description, self.unit, False, self.default,
            self.minimum, self.maximum, self.allowed, whole=self.whole,
        )


def _text(name: str, description: str, **kw) -> Column:
    return Column(name, Kind.TEXT, description, **kw)


def _number(name: str, description: str, unit: str, **kw) -> Column:
    kw.setdefault("minimum", 0.0)
    return Column(name, Kind.NUMBER, description, unit, **kw)


MATERIAL_KINDS = ("ore", "concentrate", "chemical", "cell", "product")
SITE_KINDS = ("mine", "refinery", "cell plant", "market", "hub")
OBJECTIVES = ("expected", "cvar")


def _recovery(what: str) -> Column:
    return _number("Time to recover", f"Periods a failure of this {what} lasts, in the "
                   "exposure analysis (plan exposure).", "periods", required=False,
                   blank_means="Settings' Time to recover", whole=True)


SETTINGS = (
    Setting("Currency", Kind.TEXT, "USD", "Currency of every cost and price in the workbook."),
    Setting("Discount rate", Kind.NUMBER, 0.0,
            "Discount rate per period; the k-th period (the first is 0) is weighted by (1 + rate)^-k.",
            "fraction per period", 0.0, 1.0),
    Setting("Unmet demand penalty", Kind.NUMBER, 100_000.0,
            "Cost of each unit of demand not served, where a Demand row gives no penalty of its own.",
            "currency per unit", 0.0),
    Setting("Objective", Kind.TEXT, "expected",
            "What the plan minimises: the expected cost, or (1 - Risk weight) times the "
            "expected cost plus Risk weight times the CVaR (the mean cost of the worst "
            "1 - CVaR level of probability).", allowed=OBJECTIVES),
    Setting("Risk weight", Kind.NUMBER, 0.5,
            "Objective cvar: weight lambda of the CVaR against the expected cost.",
            "fraction", 0.0, 1.0),
    Setting("CVaR level", Kind.NUMBER, 0.9,
            "Objective cvar: the level alpha; the CVaR is the mean cost of the worst 1 - alpha "
            "of probability.", "fraction", 0.0, 0.999),
    Setting("Stress unmet share", Kind.NUMBER, 1.0,
            "In stress scenarios, the largest share of a material's demand in a period that "
            "may go unmet (1 = no cap).", "fraction", 0.0, 1.0),
    Setting("MIP gap", Kind.NUMBER, 1e-4,
            "Relative optimality gap at which the solver may stop.", "fraction", 0.0, 1.0),
    Setting("Time limit", Kind.NUMBER, 600.0,
            "Longest time the solver may run; the best plan found by then is reported.",
            "seconds", 1.0),
    Setting("Time to recover", Kind.NUMBER, 1.0,
            "Periods a failure lasts in the exposure analysis (plan exposure), for a country's "
            "exports and wherever a Sites, Processes or Lanes row gives none.", "periods", 0.0,
            whole=True),
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
        _text("Equivalent unit", "A common measure in which the bottleneck analysis also "
              "values this material's capacities, for example t LCE for lithium compounds.",
              required=False, default=""),
        _number("Equivalent per unit", "Equivalent units in one unit of this material, for "
                "example 0.88 t LCE per t of LiOH monohydrate; needed with Equivalent unit.",
                "equivalent unit per material unit", required=False, blank_means="none",
                positive=True),
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
        _recovery("site"),
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
        _recovery("process"),
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
        _recovery("lane"),
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

SCENARIO_KINDS = ("normal", "stress")

SCENARIOS = Sheet(
    "Scenarios",
    "Futures the plan must hold up in, each with its probability (together 1). "
    "No rows: one base scenario with probability 1.",
    (
        _text("Scenario", "Name of the scenario."),
        _number("Probability", "Chance of this future.", "fraction", maximum=1.0),
        _text("Kind", "Stress scenarios may carry a cap on unmet demand.",
              allowed=SCENARIO_KINDS, required=False, default="normal"),
        _text("Description", "Free text.", required=False, default=""),
    ),
    key=("Scenario",),
)

DISRUPTION_SCOPES = ("supply", "site", "country", "process", "lane")
DISRUPTION_TARGETS = (("supply", "Sites"), ("site", "Sites"), ("country", "Sites.Country"),
                      ("process", "Processes"), ("lane", "Lanes"))

DISRUPTIONS = Sheet(
    "Disruptions",
    "What becomes unavailable, in which scenario and periods: a mine outage (supply), a "
    "site outage (its supply, processes and lanes), an export ban (country: the lanes that "
    "leave the country), a process or a lane. Where several rows hit the same thing, the "
    "lowest availability holds.",
    (
        _text("Scenario", "The scenario in which it happens.", ref="Scenarios"),
        _text("Scope", "What kind of thing is disrupted.", allowed=DISRUPTION_SCOPES),
        _text("Target", "The site, country, process or lane disrupted.",
              ref_by=("Scope", DISRUPTION_TARGETS)),
        _text("Material", "Only this material; blank = every material.", ref="Materials",
              required=False, default=None, blank_means="every material"),
        _text("First period", "First period affected.", ref="Periods", required=False,
              blank_means="the first period"),
        _text("Last period", "Last period affected.", ref="Periods", required=False,
              blank_means="the last period"),
        _number("Availability", "Share of the normal capacity left.", "fraction",
                maximum=1.0),
    ),
    key=("Scenario", "Scope", "Target", "Material", "First period"),
)

PRICE_SHOCKS = Sheet(
    "PriceShocks",
    "Spot prices and quantities that change in a scenario: each multiplies the SpotMarket "
    "rows it matches (and, through PriceLinks, the prices that follow its material).",
    (
        _text("Scenario", "The scenario.", ref="Scenarios"),
        _text("Material", "The spot material affected.", ref="Materials"),
        _text("Site", "Only spot purchases delivered here; blank = everywhere.", ref="Sites",
              required=False, blank_means="every site"),
        _text("First period", "First period affected.", ref="Periods", required=False,
              blank_means="the first period"),
        _text("Last period", "Last period affected.", ref="Periods", required=False,
              blank_means="the last period"),
        _number("Price multiplier", "Spot price is multiplied by this.", "factor",
                required=False, default=1.0),
        _number("Quantity multiplier", "Spot maximum is multiplied by this.", "factor",
                required=False, default=1.0),
    ),
    key=("Scenario", "Material", "Site", "First period"),
)

PRICE_LINKS = Sheet(
    "PriceLinks",
    "Contract prices and spot prices that follow a price index, as offtake and supply "
    "contracts for spodumene and lithium chemicals usually follow a lithium carbonate "
    "price. Where a PriceShocks row with a blank Site multiplies the spot price of the "
    "Index by m, every Supply unit cost and offtake unit cost of the Material, and its spot "
    "prices, are multiplied by 1 + Pass-through x (m - 1). A row whose Material is its "
    "Index makes that material's contracts follow its own spot price.",
    (
        _text("Material", "The material whose prices follow the index.", ref="Materials"),
        _text("Index", "The material whose spot price is the index.", ref="Materials"),
        _number("Pass-through", "Share of the index's relative change passed on (1: the "
                "same change; 0.5: half of it).", "fraction", maximum=1.0),
    ),
    key=("Material",),
)

OPTION_KINDS = ("offtake", "expansion", "conversion", "stock")
OPTION_TARGETS = (("offtake", "Sites"), ("expansion", "Processes"), ("conversion", "Processes"),
                  ("stock", "Sites"))
DECISIONS = ("binary", "continuous")
COST_BASES = ("one-off", "per period")

OPTIONS = Sheet(
    "Options",
    "Commitments made before the scenario is known, the same in every scenario: an "
    "offtake contract with a mine (new supply at its own price), a process expansion "
    "(extra capacity), a conversion (capacity moved from one process to another, such as "
    "an LFP line retooled for sodium-ion cells) or a stockpile (extra room in a Stocks row). "
    "Binary options are taken whole or not at all; continuous ones at any share of their "
    "capacity, with the fixed cost in proportion.",
    (
        _text("Option", "Name of the option."),
        _text("Kind", "What taking it does.", allowed=OPTION_KINDS),
        _text("Target", "The mine (offtake), the process that gains capacity (expansion, "
              "conversion) or the stock's site (stock).", ref_by=("Kind", OPTION_TARGETS)),
        _text("Material", "Offtake: the material contracted; stock: the material stored.",
              ref="Materials", required=False, blank_means="none (expansion, conversion)",
              needed_by=("offtake", "stock")),
        _text("From process", "Conversion: the process that gives up the capacity.",
              ref="Processes", required=False, blank_means="none (other kinds)",
              needed_by=("conversion",)),
        _number("Capacity", "Capacity added per period (stock: room added) when taken in full.",
                "unit per period"),
        _number("Unit cost", "Offtake: price of each unit taken.",
                "currency per material unit", required=False, default=0.0),
        _number("Fixed cost", "Cost of taking the option in full.", "currency"),
        _text("Cost basis", "Whether the fixed cost is paid once (in the earliest period) or "
              "in every period from the earliest on.", allowed=COST_BASES, required=False,
              default="one-off"),
        _number("Take or pay", "Offtake: least share of the contracted capacity to take "
                "in every period it runs (times the mine's availability).", "fraction",
                maximum=1.0, required=False, default=0.0),
        _text("Earliest period", "First period it can run.", ref="Periods", required=False,
              blank_means="the first period"),
        _text("Decision", "All or nothing, or any share.", allowed=DECISIONS, required=False,
              default="binary"),
        _text("Exclusive group", "At most one option of a group is taken.", required=False,
              default=""),
    ),
    key=("Option",),
)

CAPACITY_GROUPS = Sheet(
    "CapacityGroups",
    "Processes that share one capacity, such as a cell line that makes either LFP or "
    "sodium-ion cells: together they use at most the group's capacity each period, besides "
    "each process's own capacity.",
    (
        _text("Group", "Name of the shared capacity."),
        _text("Process", "A process that uses it.", ref="Processes"),
        _number("Capacity", "The group's capacity per period; the same on every row of the "
                "group.", "capacity unit per period"),
        _number("Use", "Group capacity used per unit of the process's output.",
                "capacity unit per output unit", required=False, default=1.0),
    ),
    key=("Group", "Process"),
)

STOCKS = Sheet(
    "Stocks",
    "Stockpiles of a material at a site, carried from one period to the next.",
    (
        _text("Site", "Where the stock is held.", ref="Sites"),
        _text("Material", "The material stored.", ref="Materials"),
        _number("Initial level", "Stock at the start of the first period.", "material unit",
                required=False, default=0.0),
        _number("Maximum", "Most that can be held at the end of a period (stock options "
                "add to it).", "material unit"),
        _number("Holding cost", "Cost of each unit held at the end of a period.",
                "currency per material unit per period", required=False, default=0.0),
        _number("End minimum", "Least stock at the end of the last period.", "material unit",
                required=False, default=0.0),
    ),
    key=("Site", "Material"),
)

COUNTRY_SHARES = ("max country share", "min country share")
POLICY_KINDS = (*COUNTRY_SHARES, "max process share")

POLICIES = Sheet(
    "Policies",
    "Hard limits on where material comes from. A material's supply counts where it enters "
    "the network: mined, contracted, made or bought on the spot market at a site in a "
    "country. 'max country share': at most Share of it from the listed countries; 'min "
    "country share': at least Share from them; 'max process share': at most Share of the "
    "process's output material from that process. They hold in every scenario.",
    (
        _text("Policy", "Name of the policy."),
        _text("Kind", "What it limits.", allowed=POLICY_KINDS),
        _text("Material", "Country shares: the material whose supply is limited.",
              ref="Materials", required=False, blank_means="none (max process share)",
              needed_by=COUNTRY_SHARES),
        _text("Countries", "Country shares: one country, or several separated by commas "
              "(counted together).", required=False, blank_means="none (max process share)",
              needed_by=COUNTRY_SHARES),
        _text("Process", "Max process share: the process.", ref="Processes", required=False,
              blank_means="none (country shares)", needed_by=("max process share",)),
        _number("Share", "The share.", "fraction", maximum=1.0),
        _text("Period", "The period, or 'all'.", ref="Periods", allow_all_periods=True,
              required=False, default=ALL_PERIODS),
    ),
    key=("Policy", "Period"),
)

SHEETS: tuple[Sheet, ...] = (
    PERIODS, MATERIALS, SITES, SUPPLY, PROCESSES, RECIPES, LANES, DEMAND, SPOT_MARKET,
    SCENARIOS, DISRUPTIONS, PRICE_SHOCKS, PRICE_LINKS, OPTIONS, CAPACITY_GROUPS, STOCKS, POLICIES,
)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
SETTINGS_SHEET = "Settings"
SETTINGS_COLUMNS = ("Key", "Value")
INSTRUCTIONS_SHEET = "Instructions"
