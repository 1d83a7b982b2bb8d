"""Bounded fuzzing of the reader with workbooks damaged inside their XML parts.

A small valid workbook, once as openpyxl writes it (inline strings) and once as Excel
saves it (a shared-strings table), is unzipped and one of its parts mutated: elements
deleted or duplicated, cells given the wrong type (``t="s"`` with an index past the
table, ``t="n"`` holding text, ``t="b"`` holding 7, ``t="e"``, ...), a dimension or a
cell at XFD1048576, bad cell references, truncated XML, entity declarations and external
entities, wrong content types, parts missing, relationships pointing nowhere, and a few
bytes flipped in the XML text. The seed is fixed, so every run tries the same mutants.

``read_workbook`` and ``validate`` (and for every tenth mutant the whole
``solve_workbook``) may only answer with a Validation, valid or listing well-formed
problems, or an :class:`~planner.workbook.InputFileError` whose message names the file.
Any other exception fails the test, with the mutation in its notes. Entities are never
expanded and external ones never read.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import materials, periods, sites, write_plan
from planner.pipeline import solve_workbook
from planner.validate import Validation, validate
from planner.workbook import SCHEMA_SHEET_NAMES, InputFileError, read_workbook
from xlsx_parts import (
    SHARED_STRINGS, WORKBOOK_PART, WORKBOOK_RELS, read_parts, sheet_part, with_shared_strings,
    write_parts,
)

pytestmark = pytest.mark.filterwarnings(  # openpyxl's word on a sheet without a relationship
    "ignore:File contains an invalid specification:UserWarning")

SEED = 20_260_104
MUTANTS = 240
SOLVE_EVERY = 10
CONTENT_TYPES = "[Content_Types].xml"
PARSED_PARTS = (WORKBOOK_PART, WORKBOOK_RELS, CONTENT_TYPES, SHARED_STRINGS, "xl/styles.xml")
"""Parts besides the sheets that openpyxl parses while it opens a workbook."""
SECRET = "never-read-4f1c9e"
"""Written to a file beside each mutant; an external entity may not bring it in."""


def small_plan() -> dict[str, list[dict]]:
    """A chain with a row on most sheets: ore mined, refined into LCE, sold at a market,
    spot LCE, two scenarios with a mine outage in one, and an expansion option."""
    return {
        "Periods": periods("2026", "2027"),
        "Materials": materials(("Ore", "t", "ore"), ("LCE", "t", "chemical")),
        "Sites": sites(("Mine", "mine", "Australia"), ("Refinery", "refinery", "China"),
                       ("Market", "market", "Germany")),
        "Supply": [{"Site": "Mine", "Material": "Ore", "Period": "all", "Capacity": 400,
                    "Unit cost": 50}],
        "Processes": [{"Process": "Refine", "Site": "Refinery", "Output": "LCE",
                       "Capacity": 40, "Variable cost": 2000}],
        "Recipes": [{"Process": "Refine", "Input": "Ore", "Quantity": 8}],
        "Lanes": [
            {"Lane": "ore", "From": "Mine", "To": "Refinery", "Material": "Ore", "Cost": 1},
            {"Lane": "lce", "From": "Refinery", "To": "Market", "Material": "LCE", "Cost": 2,
             "Tariff": 0.5, "Capacity": 100},
        ],
        "Demand": [{"Site": "Market", "Material": "LCE", "Period": "2026", "Quantity": 45},
                   {"Site": "Market", "Material": "LCE", "Period": "2027", "Quantity": 50,
                    "Penalty": 9000}],
        "SpotMarket": [{"Material": "LCE", "Site": "Market", "Period": "all", "Price": 6000,
                        "Maximum": 5}],
        "Scenarios": [{"Scenario": "calm", "Probability": 0.7},
                      {"Scenario": "strike", "Probability": 0.3, "Kind": "stress"}],
        "Disruptions": [{"Scenario": "strike", "Scope": "supply", "Target": "Mine",
                         "First period": "2027", "Availability": 0.5}],
        "Options": [{"Option": "debottleneck", "Kind": "expansion", "Target": "Refine",
                     "Capacity": 10, "Fixed cost": 1000}],
    }


# --------------------------------------------------------------------------- helpers

Parts = dict[str, bytes]


def text(parts: Parts, name: str) -> str:
    return parts[name].decode("utf-8")


def xml_parts(parts: Parts) -> list[str]:
    return [n for n in parts if n.endswith((".xml", ".rels"))]


def data_sheets(parts: Parts) -> list[str]:
    """The parts of the schema's sheets."""
    return [sheet_part(parts, name) for name in SCHEMA_SHEET_NAMES]


CELL = re.compile(r'<c r="([A-Z]+)([0-9]+)"[^>]*?(?:/>|>.*?</c>)', re.S)


def replace_cell(parts: Parts, rng: random.Random, make: Callable[[str], str],
                 rows_from: int = 3) -> str:
    """Replace a random data cell of a random schema sheet by ``make(ref)``."""
    candidates = [(name, m) for name in data_sheets(parts)
                  for m in CELL.finditer(text(parts, name)) if int(m.group(2)) >= rows_from]
    name, m = rng.choice(candidates)
    ref = m.group(1) + m.group(2)
    new = make(ref)
    content = text(parts, name)
    parts[name] = (content[:m.start()] + new + content[m.end():]).encode("utf-8")
    return f"{name} {ref} -> {new[:80]}"


def tree_edit(parts: Parts, rng: random.Random, verb: str) -> str:
    """Delete (``verb`` "delete") or duplicate a random element of a random XML part."""
    name = rng.choice(xml_parts(parts))
    root = ET.fromstring(parts[name])
    pairs = [(parent, child) for parent in root.iter() for child in parent]
    if not pairs:
        return f"{name}: nothing to {verb}"
    parent, child = rng.choice(pairs)
    index = list(parent).index(child)
    if verb == "delete":
        parent.remove(child)
    else:
        parent.insert(index + 1, ET.fromstring(ET.tostring(child)))
    parts[name] = ET.tostring(root, xml_declaration=True, encoding="UTF-8")
    return f"{name}: {verb} <{child.tag.split('}')[-1]}> #{index}"


# --------------------------------------------------------------------------- the mutations

def delete_element(parts: Parts, rng: random.Random, folder: Path) -> str:
    return tree_edit(parts, rng, "delete")


def duplicate_element(parts: Parts, rng: random.Random, folder: Path) -> str:
    return tree_edit(parts, rng, "duplicate")


def typed_cell(kind: str, values: list[str]):
    def mutate(parts: Parts, rng: random.Random, folder: Path) -> str:
        value = rng.choice(values)
        return replace_cell(parts, rng, lambda ref: f'<c r="{ref}" t="{kind}"><v>{value}</v></c>')
    return mutate


def shared_string_out_of_range(parts: Parts, rng: random.Random, folder: Path) -> str:
    count = text(parts, SHARED_STRINGS).count("<si>") if SHARED_STRINGS in parts else 0
    index = rng.choice([count, count + 1, 10**6, -1, "x", ""])
    return replace_cell(parts, rng, lambda ref: f'<c r="{ref}" t="s"><v>{index}</v></c>')


def inline_string_without_text(parts: Parts, rng: random.Random, folder: Path) -> str:
    body = rng.choice(["", "<is/>", "<is><t/></is>", "<v>plain</v>", "<is><r><t>rich</t></r></is>"])
    return replace_cell(parts, rng, lambda ref: f'<c r="{ref}" t="inlineStr">{body}</c>')


def bad_style(parts: Parts, rng: random.Random, folder: Path) -> str:
    """A cell whose style index is past the table, or a number formatted as a date, a time
    or a duration (a style appended to cellXfs with that built-in format)."""
    styles = text(parts, "xl/styles.xml")
    count = int(re.search(r'<cellXfs count="(\d+)"', styles).group(1))
    fmt = rng.choice([14, 18, 21, 22, 46, 47, None])
    if fmt is None:
        style = rng.choice([count, 9999, -1])
    else:
        style = count
        styles = re.sub(r'<cellXfs count="\d+">', f'<cellXfs count="{count + 1}">', styles)
        styles = styles.replace("</cellXfs>", f'<xf numFmtId="{fmt}" fontId="0" fillId="0" '
                                f'borderId="0" applyNumberFormat="1"/></cellXfs>')
        parts["xl/styles.xml"] = styles.encode("utf-8")
    number = rng.choice(["1000", "0.5", "-3", "45000.25"])
    return f"numFmt {fmt}: " + replace_cell(
        parts, rng, lambda ref: f'<c r="{ref}" s="{style}" t="n"><v>{number}</v></c>')


def huge_dimension(parts: Parts, rng: random.Random, folder: Path) -> str:
    name = rng.choice(data_sheets(parts))
    ref = rng.choice(["A1:XFD1048576", "A1:A0", "XFD1048576", "", "A1:ZZZZ9", "B7:A1"])
    parts[name] = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>',
                         text(parts, name)).encode("utf-8")
    return f"{name}: dimension {ref!r}"


def far_cell(parts: Parts, rng: random.Random, folder: Path) -> str:
    name = rng.choice(data_sheets(parts))
    where = rng.choice(["XFD1048576", "A1048576", "E1048576", "XFD3"])
    row = re.sub(r"[A-Z]+", "", where)
    cell = rng.choice([f'<c r="{where}"><v>1</v></c>',
                       f'<c r="{where}" t="inlineStr"><is><t>far away</t></is></c>'])
    content = text(parts, name)
    if row == "3":
        content = re.sub(r'(<row r="3"[^>]*>.*?)</row>', lambda m: m.group(1) + cell + "</row>",
                         content, count=1, flags=re.S)
    else:
        content = content.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')
    parts[name] = content.replace("<sheetData/>", f'<sheetData><row r="{row}">{cell}</row>'
                                  "</sheetData>").encode("utf-8")
    return f"{name}: {cell}"


def bad_reference(parts: Parts, rng: random.Random, folder: Path) -> str:
    if rng.random() < 0.5:
        ref = rng.choice(["A0", "", "1A", "XFE1", "A1048577", "$A$3", "a3", "A-1", "A3:B4"])
        return replace_cell(parts, rng, lambda _: f'<c r="{ref}" t="n"><v>7</v></c>')
    name = rng.choice(data_sheets(parts))
    number = rng.choice(["0", "-1", "x", "1048577", "", "2"])
    content = re.sub(r'<row r="3"', f'<row r="{number}"', text(parts, name), count=1)
    parts[name] = content.encode("utf-8")
    return f"{name}: row 3 numbered {number!r}"


def truncate(parts: Parts, rng: random.Random, folder: Path) -> str:
    name = rng.choice(xml_parts(parts))
    cut = rng.randrange(len(parts[name]))
    parts[name] = parts[name][:cut]
    return f"{name} cut at byte {cut}"


LAUGHS = ('<!DOCTYPE {root} [<!ENTITY a "lollollollollol">'
          '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
          '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;">]>')


def _with_doctype(content: str, doctype: str, use: str) -> str:
    """``content`` with ``doctype`` before its root element and ``&use;`` in its text."""
    root = re.search(r"<([A-Za-z][\w:.-]*)", re.sub(r"<\?xml[^>]*\?>", "", content))
    start = content.index("<" + root.group(1))
    body = content[start:]
    body = re.sub(r"<t>([^<]*)</t>|<v>([^<]*)</v>",
                  lambda m: m.group(0).replace(">", f">&{use};", 1), body, count=1)
    if f"&{use};" not in body:
        body = re.sub(r'="([^"]*)"', f'="&{use};"', body, count=1)
    return doctype.format(root=root.group(1)) + body


def entities(parts: Parts, rng: random.Random, folder: Path) -> str:
    name = rng.choice([*data_sheets(parts), *(p for p in PARSED_PARTS if p in parts)])
    parts[name] = _with_doctype(text(parts, name), LAUGHS, "e").encode("utf-8")
    return f"{name}: billion laughs"


def external_entity(parts: Parts, rng: random.Random, folder: Path) -> str:
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    name = rng.choice([*data_sheets(parts), *(p for p in PARSED_PARTS if p in parts)])
    doctype = f'<!DOCTYPE {{root}} [<!ENTITY x SYSTEM "file://{secret}">]>'
    parts[name] = _with_doctype(text(parts, name), doctype, "x").encode("utf-8")
    return f"{name}: external entity {secret}"


def content_types(parts: Parts, rng: random.Random, folder: Path) -> str:
    content = text(parts, CONTENT_TYPES)
    overrides = re.findall(r"<Override [^>]*/>", content)
    target = rng.choice(overrides)
    change = rng.choice(["drop", "plain xml", "other", "macro"])
    new = {"drop": "",
           "plain xml": re.sub(r'ContentType="[^"]*"', 'ContentType="application/xml"', target),
           "other": re.sub(r'ContentType="[^"]*"', 'ContentType="text/plain"', target),
           "macro": re.sub(r'ContentType="[^"]*"', 'ContentType="application/'
                           'vnd.ms-excel.sheet.macroEnabled.main+xml"', target)}[change]
    parts[CONTENT_TYPES] = content.replace(target, new).encode("utf-8")
    part = re.search(r'PartName="([^"]*)"', target).group(1)
    return f"{CONTENT_TYPES}: {change} {part}"


def drop_part(parts: Parts, rng: random.Random, folder: Path) -> str:
    name = rng.choice([SHARED_STRINGS, WORKBOOK_RELS, "xl/styles.xml", "_rels/.rels",
                       "docProps/app.xml", "xl/theme/theme1.xml", CONTENT_TYPES,
                       rng.choice(list(parts))])
    parts.pop(name, None)
    return f"{name} removed"


def byte_flips(parts: Parts, rng: random.Random, folder: Path) -> str:
    name = rng.choice(xml_parts(parts))
    content = bytearray(parts[name])
    spots = sorted(rng.randrange(len(content)) for _ in range(rng.randint(1, 5)))
    for spot in spots:
        content[spot] ^= rng.randint(1, 255)
    parts[name] = bytes(content)
    return f"{name}: bytes flipped at {spots}"


def shared_strings(parts: Parts, rng: random.Random, folder: Path) -> str:
    if SHARED_STRINGS not in parts:
        return byte_flips(parts, rng, folder)
    content = text(parts, SHARED_STRINGS)
    change = rng.choice(["drop one", "empty", "rich text", "count", "no text"])
    if change == "drop one":
        items = list(re.finditer(r"<si>.*?</si>", content))
        item = rng.choice(items)
        content = content[:item.start()] + content[item.end():]
    elif change == "empty":
        content = re.sub(r"<si>.*</si>", "", content, flags=re.S)
    elif change == "rich text":
        content = re.sub(r"<si><t([^>]*)>([^<]*)</t></si>",
                         r"<si><r><t\1>\2</t></r><r><rPr><b/></rPr><t>!</t></r></si>", content)
    elif change == "count":
        content = re.sub(r'count="\d+" uniqueCount="\d+"', 'count="-5" uniqueCount="x"', content)
    else:
        content = content.replace("<si><t", "<si><x", 3).replace("</t></si>", "</x></si>", 3)
    parts[SHARED_STRINGS] = content.encode("utf-8")
    return f"{SHARED_STRINGS}: {change}"


def workbook_sheets(parts: Parts, rng: random.Random, folder: Path) -> str:
    content = text(parts, WORKBOOK_PART)
    sheets = re.findall(r"<sheet [^>]*/>", content)
    target = rng.choice(sheets)
    change = rng.choice(["same name twice", "no name", "unknown rel", "no rel", "hidden",
                         "chart"])
    if change == "same name twice":
        other = rng.choice(sheets)
        name = re.search(r'name="([^"]*)"', other).group(1)
        new = re.sub(r'name="[^"]*"', f'name="{name}"', target)
    elif change == "no name":
        new = re.sub(r'name="[^"]*"', 'name=""', target)
    elif change == "unknown rel":
        new = re.sub(r'r:id="[^"]*"', 'r:id="rId999"', target)
    elif change == "no rel":
        new = re.sub(r' r:id="[^"]*"', "", target)
    elif change == "hidden":
        new = target.replace('state="visible"', 'state="veryHidden"')
    else:
        rid = re.search(r'r:id="([^"]*)"', target).group(1)
        rels = text(parts, WORKBOOK_RELS)
        parts[WORKBOOK_RELS] = re.sub(
            rf'(<Relationship [^>]*)relationships/worksheet("[^>]*Id="{rid}")',
            r"\1relationships/chartsheet\2", rels).encode("utf-8")
        new = target
    parts[WORKBOOK_PART] = content.replace(target, new, 1).encode("utf-8")
    return f"{WORKBOOK_PART}: {change}: {target[:60]}"


def relationship_target(parts: Parts, rng: random.Random, folder: Path) -> str:
    content = text(parts, WORKBOOK_RELS)
    targets = re.findall(r'Target="([^"]*)"', content)
    old = rng.choice(targets)
    new = rng.choice(["/xl/worksheets/nothere.xml", "../../../etc/passwd", "", "/",
                      "http://example.invalid/sheet.xml", "worksheets/sheet1.xml"])
    parts[WORKBOOK_RELS] = content.replace(f'Target="{old}"', f'Target="{new}"', 1).encode()
    return f"{WORKBOOK_RELS}: {old} -> {new!r}"


def rows_out_of_order(parts: Parts, rng: random.Random, folder: Path) -> str:
    name = rng.choice(data_sheets(parts))
    content = text(parts, name)
    rows = list(re.finditer(r"<row [^>]*>.*?</row>|<row [^>]*/>", content, re.S))
    if len(rows) < 2:
        return f"{name}: fewer than two rows"
    row = rng.choice(rows[:-1])
    moved = content[:row.start()] + content[row.end():]
    parts[name] = moved.replace("</sheetData>", row.group(0) + "</sheetData>").encode("utf-8")
    return f"{name}: row moved to the end: {row.group(0)[:40]}"


MUTATIONS: dict[str, Callable[[Parts, random.Random, Path], str]] = {
    "delete-element": delete_element,
    "duplicate-element": duplicate_element,
    "s-out-of-range": shared_string_out_of_range,
    "n-with-text": typed_cell("n", ["lots", "INF", "NaN", "1,000", "", "0x10", "1e999",
                                    "9" * 5000, " 12 ", "1e-400"]),
    "b-with-7": typed_cell("b", ["7", "yes", "-1", "", "true"]),
    "e-cell": typed_cell("e", ["#DIV/0!", "#N/A", "#REF!", "garbage", ""]),
    "d-cell": typed_cell("d", ["not a date", "2026-13-45", "99999-01-01", "", "2026-01-01"]),
    "unknown-type": typed_cell("zz", ["x", "1"]),
    "str-without-formula": typed_cell("str", ["text", ""]),
    "inline-without-text": inline_string_without_text,
    "bad-style": bad_style,
    "huge-dimension": huge_dimension,
    "far-cell": far_cell,
    "bad-reference": bad_reference,
    "truncated-xml": truncate,
    "billion-laughs": entities,
    "external-entity": external_entity,
    "content-types": content_types,
    "drop-part": drop_part,
    "byte-flips": byte_flips,
    "shared-strings": shared_strings,
    "workbook-sheets": workbook_sheets,
    "rels-target": relationship_target,
    "rows-out-of-order": rows_out_of_order,
}


def _plan() -> list:
    rng = random.Random(SEED)
    names = list(MUTATIONS)
    return [pytest.param(i, rng.choice(["inline", "shared"]), names[i % len(names)],
                         id=f"{i:03d}-{names[i % len(names)]}")
            for i in range(MUTANTS)]


# --------------------------------------------------------------------------- the run

@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, Parts]:
    """The valid workbook's parts, with inline strings and with a shared-strings table."""
    path = write_plan(tmp_path_factory.mktemp("base") / "base.xlsx", small_plan())
    inline = read_parts(path)
    return {"inline": inline, "shared": with_shared_strings(inline)}


def answer(path: Path, mutation: str, solve: bool) -> Validation | InputFileError:
    """What the reader makes of ``path``: a Validation or an InputFileError; anything else
    is raised with the mutation noted."""
    try:
        if solve:
            return solve_workbook(path).validation
        return validate(read_workbook(path))
    except InputFileError as exc:
        return exc
    except Exception as exc:
        exc.add_note(f"mutant: {mutation}")
        raise


@pytest.mark.parametrize("base", ["inline", "shared"])
def test_the_bases_are_valid_and_solve(tmp_path, bases, base):
    path = tmp_path / "plan.xlsx"
    write_parts(path, bases[base])
    run = solve_workbook(path)
    assert run.validation.ok and not run.validation.warnings, run.validation.problems
    assert run.solved.status.label == "optimal"


@pytest.mark.parametrize("index, base, mutation", _plan())
def test_mutant(tmp_path, bases, index, base, mutation):
    rng = random.Random(SEED * 1000 + index)
    parts = dict(bases[base])
    what = f"{base} base, {mutation}: " + MUTATIONS[mutation](parts, rng, tmp_path)
    path = tmp_path / f"mutant-{index:03d}.xlsx"
    write_parts(path, parts)

    outcome = answer(path, what, solve=index % SOLVE_EVERY == 0)

    shown = str(outcome) if isinstance(outcome, InputFileError) else \
        repr((outcome.problems, outcome.warnings, outcome.tables))
    assert "lollol" not in shown and SECRET not in shown, what
    if isinstance(outcome, InputFileError):
        assert path.name in str(outcome), (what, str(outcome))
        return
    if mutation in ("billion-laughs", "external-entity"):
        pytest.fail(f"{what}: a part declaring entities was read, not refused")
    for problem in outcome.problems + outcome.warnings:
        assert problem.sheet and problem.what and problem.fix, (what, problem)
