"""A corpus of bad workbooks through the real ``plan`` command.

Every case makes one bad input in ``tmp_path`` (an old .xls, a truncated zip, a zip bomb,
a text in a number column, a misspelt header, ...) and runs ``plan validate`` and
``plan solve`` on it. Each must answer with its documented exit code (3 for a workbook
with problems, 4 for a file that cannot be read or written, 2 for wrong usage) and a
message naming the cell (``Sheet!Cell``) or the file, print no traceback, write nothing
(no result, no temporary file, no folder) and leave the input byte for byte as it was.
A few cases run in a fresh ``python`` process too, where a traceback would reach stderr.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import materials, periods, sites, write_plan
from planner.cli import main
from xlsx_parts import (
    WORKBOOK_PART, WORKBOOK_RELS, declare_size, edit_sheet_xml, read_parts, set_cell_xml,
    sheet_part, write_parts,
)

EXIT_OK, EXIT_USAGE, EXIT_INVALID, EXIT_FILE = 0, 2, 3, 4
INPUT, RESULT = "plan.xlsx", "result.xlsx"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def chain() -> dict[str, list[dict]]:
    """Ore mined at Mine, refined into LCE at Refinery, made into cells at Plant, sold at
    Market; a valid plan that solves.

    Rows as written (header row 1, hint row 2, data from row 3): Periods 3 2026 / 4 2027;
    Materials 3 Ore / 4 LCE / 5 Cell; Sites 3 Mine / 4 Refinery / 5 Plant / 6 Market;
    Supply 3; Processes 3 Refine / 4 Assemble; Recipes 3 Refine-Ore / 4 Assemble-LCE;
    Lanes 3 ore / 4 lce / 5 cells; Demand 3 (2026) / 4 (2027). Settings has no hint row:
    2 Currency, 3 Discount rate, 4 Unmet demand penalty, 5 MIP gap, 6 Time limit.
    """
    return {
        "Periods": periods("2026", "2027"),
        "Materials": materials(("Ore", "t", "ore"), ("LCE", "t", "chemical"),
                               ("Cell", "GWh", "cell")),
        "Sites": sites(("Mine", "mine", "Australia"), ("Refinery", "refinery", "China"),
                       ("Plant", "cell plant", "Germany"), ("Market", "market", "Germany")),
        "Supply": [{"Site": "Mine", "Material": "Ore", "Period": "all", "Capacity": 1000,
                    "Unit cost": 50}],
        "Processes": [
            {"Process": "Refine", "Site": "Refinery", "Output": "LCE", "Capacity": 100,
             "Variable cost": 2000},
            {"Process": "Assemble", "Site": "Plant", "Output": "Cell", "Capacity": 10,
             "Variable cost": 40000},
        ],
        "Recipes": [{"Process": "Refine", "Input": "Ore", "Quantity": 8},
                    {"Process": "Assemble", "Input": "LCE", "Quantity": 0.6}],
        "Lanes": [
            {"Lane": "ore", "From": "Mine", "To": "Refinery", "Material": "Ore", "Cost": 1},
            {"Lane": "lce", "From": "Refinery", "To": "Plant", "Material": "LCE", "Cost": 2},
            {"Lane": "cells", "From": "Plant", "To": "Market", "Material": "Cell", "Cost": 5},
        ],
        "Demand": [
            {"Site": "Market", "Material": "Cell", "Period": "2026", "Quantity": 5},
            {"Site": "Market", "Material": "Cell", "Period": "2027", "Quantity": 6},
        ],
    }


# --------------------------------------------------------------------------- ways to make one

Maker = Callable[[Path], None]
"""Writes the input workbook at the path it is given (and anything beside it)."""


def valid(path: Path) -> None:
    write_plan(path, chain())


def data(content: bytes) -> Maker:
    """A file holding exactly ``content``."""
    return lambda path: path.write_bytes(content)


def cells(**values: object) -> Maker:
    """The valid workbook with cells overwritten through openpyxl: ``Supply_D3="lots"``."""
    def make(path: Path) -> None:
        valid(path)
        wb = openpyxl.load_workbook(path)
        for where, value in values.items():
            sheet, ref = where.split("_")
            wb[sheet][ref] = value
        wb.save(path)
    return make


def rows(edit: Callable[[dict], None]) -> Maker:
    """The workbook written from the valid rows after ``edit`` has spoiled them."""
    def make(path: Path) -> None:
        content = chain()
        edit(content)
        write_plan(path, content)
    return make


def book(edit: Callable[[openpyxl.Workbook], None]) -> Maker:
    """The valid workbook changed as a whole through openpyxl."""
    def make(path: Path) -> None:
        valid(path)
        wb = openpyxl.load_workbook(path)
        edit(wb)
        wb.save(path)
    return make


def cell_xml(sheet: str, ref: str, xml: str) -> Maker:
    """The valid workbook with one cell rewritten in its sheet's XML."""
    def make(path: Path) -> None:
        valid(path)
        edit_sheet_xml(path, sheet, lambda text: set_cell_xml(text, ref, xml))
    return make


def sheet_xml(sheet: str, edit: Callable[[str], str]) -> Maker:
    """The valid workbook with ``sheet``'s XML text rewritten by ``edit``."""
    def make(path: Path) -> None:
        valid(path)
        edit_sheet_xml(path, sheet, edit)
    return make


def parts(edit: Callable[[dict[str, bytes]], None]) -> Maker:
    """The valid workbook's zip parts changed in place by ``edit``, then zipped again."""
    def make(path: Path) -> None:
        valid(path)
        content = read_parts(path)
        edit(content)
        write_parts(path, content)
    return make


def then(first: Maker, second: Callable[[Path], None]) -> Maker:
    """``first``, then ``second`` on the file (or folder) it made."""
    def make(path: Path) -> None:
        first(path)
        second(path)
    return make


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:path.stat().st_size * 2 // 3])


def _corrupt_sheet_data(path: Path) -> None:
    """Overwrite the middle of the Supply sheet's compressed data, leaving the zip's
    directory intact: the part inflates to garbage or fails its checksum."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(sheet_part(read_parts(path), "Supply"))
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    content = bytearray(path.read_bytes())
    middle = start + info.compress_size // 2
    content[middle:middle + 16] = bytes(16)
    path.write_bytes(bytes(content))


def _declare_3_gib(path: Path) -> None:
    declare_size(path, sheet_part(read_parts(path), "Supply"), 3 * 2**30)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def _encrypted_ole() -> bytes:
    """The start of a password-protected .xlsx: an OLE compound file whose directory
    names the EncryptionInfo and EncryptedPackage streams."""
    header = OLE_MAGIC + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(512 - 32)
    names = b"".join(n.encode("utf-16-le").ljust(128, b"\0")
                     for n in ("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    return header + names.ljust(512, b"\0")


def _lock_beside_result(path: Path) -> None:
    (path.parent / f"~${RESULT}").write_bytes(b"\x0bExcel user")


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
)


def _entities_in_sheet(text: str) -> str:
    return BILLION_LAUGHS + set_cell_xml(
        text, "A3", '<c r="A3" t="inlineStr"><is><t>&lol9;</t></is></c>')


def _add_scenarios(content: dict) -> None:
    content["Scenarios"] = [{"Scenario": "calm", "Probability": 0.5},
                            {"Scenario": "storm", "Probability": 0.3}]


def _format_time_limit_as_duration(wb: openpyxl.Workbook) -> None:
    """Time limit 600 shown as [h]:mm:ss, a number format read back as a duration."""
    row = next(c.row for c in wb["Settings"]["A"] if c.value == "Time limit")
    assert row == 10, "the case's expected cell assumes Time limit in row 10"
    wb["Settings"].cell(row=row, column=2).number_format = "[h]:mm:ss"


def _understate_demand(path: Path) -> None:
    """Make the Demand sheet's stored dimension claim A1:E3 while its rows run to 4, as
    some writers leave it; Excel reads every row regardless."""
    edit_sheet_xml(path, "Demand", lambda text: re.sub(
        r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:E3"/>', text))


def rename_sheet(wb: openpyxl.Workbook, old: str, new: str) -> None:
    """Sheet ``old`` renamed ``new``, also where they differ only in case (which openpyxl,
    renaming in one step, would turn into 'new1')."""
    wb[old].title = "renamed"
    wb["renamed"].title = new


# --------------------------------------------------------------------------- the corpus

@dataclass(frozen=True)
class Case:
    id: str
    make: Maker
    code: int
    fragments: tuple[str, ...]
    """Text the output must contain: a ``Sheet!Cell: what`` message, or the file's name
    and what is wrong with it."""
    output: str = RESULT
    """Where ``plan solve`` is asked to write, relative to the input's folder."""
    commands: tuple[str, ...] = ("validate", "solve")
    """The ``plan`` commands to run it through."""
    absent: tuple[str, ...] = ()
    """Text the output must not contain."""


FILE_CASES = [
    Case("old .xls (OLE header)", data(OLE_MAGIC + bytes(4088)), EXIT_FILE,
         (f"{INPUT}: an old .xls workbook",)),
    Case("password-protected (encrypted OLE)", data(_encrypted_ole()), EXIT_FILE,
         (f"{INPUT}: an old .xls workbook or a password-protected one",)),
    Case("CSV renamed to .xlsx", data(b"Site,Kind,Country\nMine,mine,Australia\n"), EXIT_FILE,
         (f"{INPUT}: not an Excel workbook (.xlsx)",)),
    Case("empty file", data(b""), EXIT_FILE, (f"{INPUT}: not an Excel workbook (.xlsx)",)),
    Case("truncated zip", then(valid, _truncate), EXIT_FILE,
         (f"{INPUT}: a damaged .xlsx file",)),
    Case("corrupt deflate data in a sheet", then(valid, _corrupt_sheet_data), EXIT_FILE,
         (f"{INPUT}: cannot be read as an .xlsx workbook", "decompressing data")),
    Case("zip holding no workbook", data(_zip({"notes.txt": b"hello"})), EXIT_FILE,
         (f"{INPUT}: cannot be read as an .xlsx workbook",)),
    Case("OpenDocument spreadsheet renamed",
         data(_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                    "content.xml": b"<office:document-content/>"})), EXIT_FILE,
         (f"{INPUT}: cannot be read as an .xlsx workbook",)),
    Case("workbook part missing", parts(lambda p: p.pop(WORKBOOK_PART)), EXIT_FILE,
         (f"{INPUT}: cannot be read as an .xlsx workbook",)),
    Case("sheet part missing", parts(lambda p: p.pop(sheet_part(p, "Lanes"))), EXIT_FILE,
         (f"{INPUT}: a damaged .xlsx file: the sheet Lanes is listed but its cells are "
          "missing",)),
    Case("sheet XML cut short", sheet_xml("Supply", lambda t: t[:len(t) // 2]), EXIT_FILE,
         (f"{INPUT}: the sheet Supply is damaged and cannot be read",)),
    Case("number cell holding text", cell_xml("Lanes", "E4", '<c r="E4" t="n"><v>INF</v></c>'),
         EXIT_FILE, (f"{INPUT}: the sheet Lanes is damaged and cannot be read (a cell's "
                     "stored value does not fit its type",)),
    Case("shared text that is not there",
         cell_xml("Lanes", "A4", '<c r="A4" t="s"><v>99999</v></c>'), EXIT_FILE,
         (f"{INPUT}: the sheet Lanes is damaged and cannot be read (a cell refers to a "
          "shared text the file does not hold)",)),
    Case("entity declarations (billion laughs)", sheet_xml("Sites", _entities_in_sheet),
         EXIT_FILE, (f"{INPUT}: cannot be read as an .xlsx workbook (it declares XML "
                     "entities or external references, refused for safety",
                     "EntitiesForbidden"),
         absent=("lollol",)),
    Case("missing file", lambda path: None, EXIT_FILE, (f"{INPUT}: no such file",)),
    Case("input is a folder", lambda path: path.mkdir(), EXIT_FILE, (f"{INPUT}: is a folder",)),
    Case("zip with too many parts",
         data(_zip({f"xl/media/image{i}.bin": b"" for i in range(10_001)})), EXIT_FILE,
         (f"{INPUT}: refused: 10001 parts inside the file",)),
    Case("declared-size zip bomb (3 GiB)", then(valid, _declare_3_gib), EXIT_FILE,
         (f"{INPUT}: refused: it would unpack to", "zip bomb")),
    Case("output folder missing", valid, EXIT_FILE,
         (f"{RESULT}: the folder", "does not exist"), output=f"missing/{RESULT}",
         commands=("solve",)),
    Case("output equal to input", valid, EXIT_FILE,
         (f"{INPUT}: the output would overwrite the input workbook",), output=INPUT,
         commands=("solve",)),
    Case("~$ lock file beside the output", then(valid, _lock_beside_result), EXIT_FILE,
         (f"{RESULT}: the file looks open in Excel", f"~${RESULT}"), commands=("solve",)),
    Case("output is a folder", then(valid, lambda p: (p.parent / RESULT).mkdir()), EXIT_USAGE,
         (RESULT, "is a directory"), commands=("solve",)),
]

def invalid(id: str, make: Maker, *fragments: str, solve: bool = False) -> Case:
    """A workbook with problems in its cells (exit 3), checked with ``plan validate`` and,
    where ``solve``, with ``plan solve`` too."""
    return Case(id, make, EXIT_INVALID, fragments,
                commands=("validate", "solve") if solve else ("validate",))


CELL_CASES = [
    invalid("text in a number column", cells(Supply_D3="lots"),
            "Supply!D3: text 'lots' where a number belongs", solve=True),
    invalid("number stored as text", cells(Supply_E3="50"),
            "Supply!E3: the number '50' is stored as text"),
    invalid("date in a number column", cells(Demand_D3=dt.datetime(2026, 3, 1)),
            "Demand!D3: a date or time (2026-03-01 00:00:00) where a number belongs"),
    invalid("duration-formatted number", book(_format_time_limit_as_duration),
            "Settings!B10: a date or time (600 days, 0:00:00) where a number belongs",
            solve=True),
    invalid("TRUE/FALSE in a number column", cells(Processes_D3=True),
            "Processes!D3: a TRUE/FALSE value where a number belongs"),
    invalid("infinite number", cell_xml("Lanes", "E4", '<c r="E4"><v>1E+999</v></c>'),
            "Lanes!E4: inf is not a finite number", solve=True),
    invalid("negative capacity", cells(Processes_D4=-10),
            "Processes!D4: Capacity -10 is negative", solve=True),
    invalid("recipe quantity 0", cells(Recipes_C4=0),
            "Recipes!C4: Quantity 0 is not greater than 0"),
    invalid("probability above 1",
            rows(lambda c: c.update(Scenarios=[{"Scenario": "calm", "Probability": 1.5}])),
            "Scenarios!B3: Probability 1.5 is not between 0 and 1"),
    invalid("kind not in the list", cells(Sites_B3="quarry"),
            "Sites!B3: 'quarry' is not a known kind", "enter one of: mine, refinery"),
    invalid("unknown site with did-you-mean", cells(Lanes_C4="Plnt"),
            "Lanes!C4: 'Plnt' is not listed on the Sites sheet (did you mean 'Plant'?)",
            solve=True),
    invalid("blank site name and an unknown site", cells(Sites_A5=None, Lanes_C4="Plnt"),
            "Sites!A5: Site is empty", "Lanes!C4: 'Plnt' is not listed on the Sites sheet",
            solve=True),
    invalid("material with a look-alike letter", cells(Recipes_B3="\u041ere"),
            "Recipes!B3: '\u041ere' is not listed on the Materials sheet (did you mean 'Ore'? "
            "they differ at character 1: '\u041e' U+041E CYRILLIC CAPITAL LETTER O here, "
            "'O' U+004F LATIN CAPITAL LETTER O there)"),
    invalid("period not on Periods", cells(Demand_C4="2031"),
            "Demand!C4: '2031' is not listed on the Periods sheet"),
    invalid("duplicate key", rows(lambda c: c["Sites"].append(
        {"Site": "Plant", "Kind": "hub", "Country": "France"})),
            "Sites!A7: Plant appears twice (first in row 5)", solve=True),
    invalid("duplicate Settings key", cells(Settings_A7="currency", Settings_B7="EUR"),
            "Settings!A7: Currency is set twice (first at A2)"),
    invalid("dimension hiding a row", then(cells(Demand_D4="lots"), _understate_demand),
            "Demand!D4: text 'lots' where a number belongs", solve=True),
    invalid("missing required column", book(lambda wb: wb["Supply"].delete_cols(4)),
            "Supply!E1: column 'Capacity' is missing from the header row", solve=True),
    invalid("misspelt header", cells(Lanes_E1="Cots"),
            "Lanes!E1: header 'Cots' is not a column of Lanes, which needs a column 'Cost'"),
    invalid("missing required sheet", book(lambda wb: wb.remove(wb["Sites"])),
            "Sites: sheet is missing"),
    invalid("required sheet misnamed", book(lambda wb: rename_sheet(wb, "Demand", "demands")),
            "Demand: sheet is missing (did you mean 'demands'?)"),
    invalid("required sheet with no rows", rows(lambda c: c.update(Demand=[])),
            "Demand!A3: the sheet has no rows"),
    invalid("empty required cell", cells(Materials_C4=None), "Materials!C4: Kind is empty"),
    invalid("blank-looking required cell (spaces)", cells(Sites_C5="   "),
            "Sites!C5: Country is empty"),
    invalid("error cell #DIV/0!", cell_xml("Demand", "D3", '<c r="D3" t="e"><v>#DIV/0!</v></c>'),
            "Demand!D3: the cell holds the error #DIV/0!", solve=True),
    invalid("formula saved with #REF!",
            cell_xml("Supply", "E3", '<c r="E3" t="e"><f>Prices!B2</f><v>#REF!</v></c>'),
            "Supply!E3: the cell holds the error #REF!"),
    invalid("formula without cached value", cells(Demand_D4="=2*3"),
            "Demand!D4: the formula =2*3 has no saved value", solve=True),
    invalid("probabilities not summing to 1", rows(_add_scenarios),
            "Scenarios!B4: the probabilities sum to 0.8, not 1", solve=True),
    invalid("period 'all' in Demand", cells(Demand_C3="all"),
            "Demand!C3: 'all' is not allowed here"),
    invalid("period named 'all'", rows(lambda c: c["Periods"].append({"Period": "All"})),
            "Periods!A5: a period may not be called 'All'"),
    invalid("lane from == to", cells(Lanes_C5="Plant"),
            "Lanes!C5: lane cells starts and ends at Plant"),
    invalid("unreachable demand", rows(lambda c: c.update(Supply=[])),
            "Demand!B3: nothing can ever deliver Cell to Market", "process Assemble lacks LCE",
            solve=True),
    invalid("last period before first", rows(lambda c: c.update(
        Scenarios=[{"Scenario": "calm", "Probability": 1}],
        Disruptions=[{"Scenario": "calm", "Scope": "supply", "Target": "Mine",
                      "First period": "2027", "Last period": "2026", "Availability": 0}])),
            "Disruptions!F3: the last period 2026 comes before the first period 2027"),
    invalid("offtake without material", rows(lambda c: c.update(Options=[
        {"Option": "deal", "Kind": "offtake", "Target": "Mine", "Capacity": 10,
         "Fixed cost": 1}])),
            "Options!D3: offtake deal names no material"),
    invalid("bad Settings key", cells(Settings_A3="Discount rte"),
            "Settings!A3: 'Discount rte' is not a known setting (did you mean 'Discount rate'?)"),
    invalid("Settings value out of range", cells(Settings_B3=2),
            "Settings!B3: Discount rate 2 is not between 0 and 1", solve=True),
    invalid("Settings value as text", cells(Settings_B6="fast"),
            "Settings!B6: text 'fast' where a number belongs"),
]

CASES = FILE_CASES + CELL_CASES
BY_ID = {case.id: case for case in CASES}


# --------------------------------------------------------------------------- the checks

def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def listing(folder: Path) -> list[tuple[str, str | None]]:
    """Every file and folder under ``folder`` with its content's hash."""
    return sorted((str(p.relative_to(folder)), digest(p)) for p in folder.rglob("*"))


def arguments(command: str, source: Path, output: Path) -> list[str]:
    return ["validate", str(source)] if command == "validate" else \
        ["solve", str(source), "-o", str(output), "-q"]


def check_outcome(case: Case, code: int, text: str, folder: Path, before: list) -> None:
    assert code == case.code, f"exit {code}, not {case.code}:\n{text}"
    assert "Traceback" not in text, text
    for fragment in case.fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    for fragment in case.absent:
        assert fragment not in text, text
    assert listing(folder) == before, "a file was written, changed or left behind"


RUNS = [pytest.param(case, command, id=f"{case.id} [{command}]")
        for case in CASES for command in case.commands]


@pytest.mark.parametrize("case, command", RUNS)
def test_bad_workbook(tmp_path, case, command):
    source = tmp_path / INPUT
    case.make(source)
    before = listing(tmp_path)
    result = CliRunner().invoke(main, arguments(command, source, tmp_path / case.output))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    check_outcome(case, result.exit_code, result.output, tmp_path, before)


def test_the_base_workbook_is_valid_and_solves(tmp_path):
    """Each case spoils this workbook in one way: it must be sound to begin with."""
    source = tmp_path / INPUT
    valid(source)
    checked = CliRunner().invoke(main, ["validate", str(source)])
    assert checked.exit_code == EXIT_OK and "warning" not in checked.output, checked.output
    solved = CliRunner().invoke(main, ["solve", str(source), "-o", str(tmp_path / RESULT), "-q"])
    assert solved.exit_code == EXIT_OK and "optimal" in solved.output, solved.output


def test_corpus_is_large_and_distinct():
    assert len(CASES) >= 30
    assert len(BY_ID) == len(CASES)
    assert len({c.fragments for c in CASES}) >= 30


SUBPROCESS_CASES = [BY_ID[i] for i in (
    "truncated zip", "entity declarations (billion laughs)", "sheet XML cut short",
    "text in a number column", "output equal to input",
)]


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c.id for c in SUBPROCESS_CASES])
def test_bad_workbook_in_a_fresh_process(tmp_path, case):
    """The command as a planner runs it: a traceback would show on stderr here."""
    source = tmp_path / INPUT
    case.make(source)
    before = listing(tmp_path)
    command = case.commands[-1]
    done = subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main(prog_name='plan')",
         *arguments(command, source, tmp_path / case.output)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    check_outcome(case, done.returncode, done.stderr + done.stdout, tmp_path, before)
    assert case.fragments[0] in done.stderr


def _add_macros(path: Path) -> None:
    """Make the workbook an .xlsm as Excel saves one: a macro-enabled main part and a
    vbaProject.bin (an OLE file) related to it."""
    content = read_parts(path)
    content["xl/vbaProject.bin"] = OLE_MAGIC + bytes(1024)
    content["[Content_Types].xml"] = content["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace(b"<Default ", b'<Default Extension="bin" '
              b'ContentType="application/vnd.ms-office.vbaProject"/><Default ', 1)
    content[WORKBOOK_RELS] = content[WORKBOOK_RELS].replace(
        b"</Relationships>",
        b'<Relationship Type="http://schemas.microsoft.com/office/2006/relationships/'
        b'vbaProject" Target="vbaProject.bin" Id="rIdVBA"/></Relationships>')
    write_parts(path, content)


def test_macro_workbook_warns_and_still_solves(tmp_path):
    source = tmp_path / "plan.xlsm"
    then(valid, _add_macros)(source)
    before = digest(source)
    checked = CliRunner().invoke(main, ["validate", str(source)])
    assert checked.exit_code == EXIT_OK, checked.output
    assert "plan.xlsm: the workbook's macros are ignored" in checked.output
    solved = CliRunner().invoke(main, ["solve", str(source), "-o", str(tmp_path / RESULT), "-q"])
    assert solved.exit_code == EXIT_OK, solved.output
    assert "macros are ignored" in solved.output and "optimal" in solved.output
    assert (tmp_path / RESULT).is_file()
    assert digest(source) == before
