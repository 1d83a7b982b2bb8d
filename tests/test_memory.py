"""Hostile workbooks are refused or read within 200 MB of memory.

A zip bomb: a 1 MiB .xlsx whose Supply sheet inflates to 1 GiB of blanks, once with
the zip's directory declaring that size and once declaring 4 KiB (a liar, so that only
the reading itself can stop it). And workbooks claiming a cell at XFD1048576: the
sheet's dimension claims it, a real cell stands there, or both with a real cell in a
read column at the last row. Each is read with ``read_workbook`` and ``validate`` in a
fresh Python process whose peak resident memory (VmHWM; ``ru_maxrss`` where there is no
/proc) must stay under 200 MB, and the answer must be a clear refusal (InputFileError
naming the file) or a validation. Each also goes once through ``plan validate`` for its
exit code and message.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import materials, periods, sites, write_plan
from planner.cli import main
from xlsx_parts import declare_size, read_parts, sheet_part, write_parts

LIMIT_BYTES = 200 * 10**6
BOMB_UNPACKED = 2**30
FILLER = b" " * 16 * 2**20
"""16 MiB of blanks between the rows, repeated to fill the bomb's sheet."""

PROBE = """
import json, resource, sys
from pathlib import Path
from planner.validate import validate
from planner.workbook import InputFileError, read_workbook
path = Path(sys.argv[1])
try:
    v = validate(read_workbook(path))
    answer = {"outcome": "validated", "problems": [str(p) for p in v.problems]}
except InputFileError as exc:
    answer = {"outcome": "refused", "message": str(exc)}
answer["ru_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with open("/proc/self/status") as status:
    hwm = [line.split()[1] for line in status if line.startswith("VmHWM:")]
answer["peak_bytes"] = int(hwm[0]) * 1024 if hwm else answer["ru_maxrss_bytes"]
print(json.dumps(answer))
"""
"""Reads ``argv[1]`` and prints the answer and the peak resident memory. On Linux
``ru_maxrss`` survives exec, so a child of a large pytest process would report its
parent's peak; VmHWM is the peak of the child's own address space."""


def plan() -> dict[str, list[dict]]:
    return {
        "Periods": periods("2026"),
        "Materials": materials(("Ore", "t", "ore")),
        "Sites": sites(("Mine", "mine", "Chile"), ("Market", "market", "China")),
        "Supply": [{"Site": "Mine", "Material": "Ore", "Period": "all", "Capacity": 10,
                    "Unit cost": 5}],
        "Lanes": [{"Lane": "road", "From": "Mine", "To": "Market", "Material": "Ore",
                   "Cost": 1}],
        "Demand": [{"Site": "Market", "Material": "Ore", "Period": "2026", "Quantity": 8}],
    }


# --------------------------------------------------------------------------- a zip bomb

def _deflated(data: bytes, final: bool) -> bytes:
    """``data`` as raw deflate blocks from a fresh compressor: ending the stream if
    ``final``, else flushed to a byte boundary so that more blocks may follow."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of already deflated ``(name, data, crc, size)`` members."""
    local, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode("utf-8")
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc,
                               len(data), size, len(encoded), 0, 0, 0, 0, 0, len(local))
        central += encoded
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data),
                             size, len(encoded), 0) + encoded + data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))


def write_bomb(path: Path) -> str:
    """The plan's workbook with its Supply sheet padded to 1 GiB of blanks, packed
    into about 1 MiB; returns the name of the bomb's part."""
    write_plan(path, plan())
    parts = read_parts(path)
    bomb = sheet_part(parts, "Supply")
    head, tail = parts[bomb].split(b"</sheetData>")
    tail = b"</sheetData>" + tail
    repeats = (BOMB_UNPACKED - len(head) - len(tail)) // len(FILLER)
    block = _deflated(FILLER, final=False)
    data = _deflated(head, final=False) + block * repeats + _deflated(tail, final=True)
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(FILLER, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + repeats * len(FILLER) + len(tail)
    members = [(bomb, data, crc, size) if name == bomb else
               (name, _deflated(content, final=True), zlib.crc32(content), len(content))
               for name, content in parts.items()]
    write_zip(path, members)
    return bomb


@pytest.fixture(scope="module")
def bomb_source(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    return path, write_bomb(path)


def honest_bomb(folder: Path, source: tuple[Path, str]) -> Path:
    path = folder / "bomb.xlsx"
    path.write_bytes(source[0].read_bytes())
    return path


def lying_bomb(folder: Path, source: tuple[Path, str]) -> Path:
    path = folder / "liar.xlsx"
    path.write_bytes(source[0].read_bytes())
    declare_size(path, source[1], 4096)
    return path


def test_the_bomb_is_a_valid_zip_of_1_mib_that_inflates_to_1_gib(bomb_source):
    path, part = bomb_source
    assert path.stat().st_size < 1.1 * 2**20
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(part).file_size >= BOMB_UNPACKED - len(FILLER)
        with zf.open(part) as stream:  # inflated in pieces; a bad CRC would raise
            total = sum(len(piece) for piece in iter(lambda: stream.read(16 * 2**20), b""))
        assert total == zf.getinfo(part).file_size
        assert all(zf.read(n) for n in zf.namelist() if n != part)


# --------------------------------------------------------------------------- XFD1048576

def _edit_supply(path: Path, edit: Callable[[str], str]) -> None:
    parts = read_parts(path)
    name = sheet_part(parts, "Supply")
    parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
    write_parts(path, parts)


def _claim_dimension(text: str) -> str:
    return re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', text)


def _last_cell(text: str) -> str:
    return text.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr">'
                        "<is><t>far away</t></is></c></row></sheetData>")


def _last_row_in_a_read_column(text: str) -> str:
    return _claim_dimension(text).replace(
        "</sheetData>", '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>Mine</t></is>'
        '</c><c r="XFD1048576"><v>1</v></c></row></sheetData>')


def far_cell(edit: Callable[[str], str]):
    def make(folder: Path, _source) -> Path:
        path = write_plan(folder / "far.xlsx", plan())
        _edit_supply(path, edit)
        return path
    return make


CASES = [
    pytest.param(honest_bomb, "refused", "looks like a zip bomb", 4, id="zip bomb"),
    pytest.param(lying_bomb, "refused", "cannot be read", 4, id="zip bomb declaring 4 KiB"),
    pytest.param(far_cell(_claim_dimension), "validated", "is valid", 0,
                 id="dimension claiming XFD1048576"),
    pytest.param(far_cell(_last_cell), "validated", "is valid", 0, id="a cell at XFD1048576"),
    pytest.param(far_cell(_last_row_in_a_read_column), "validated",
                 "Supply!B1048576: Material is empty", 3,
                 id="dimension and cells in the last row"),
]


@pytest.mark.parametrize("make, outcome, message, code", CASES)
def test_read_within_200_mb(tmp_path, bomb_source, make, outcome, message, code):
    path = make(tmp_path, bomb_source)
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    print(f"{path.name}: {answer['outcome']}, peak {answer['peak_bytes'] / 1e6:.0f} MB "
          f"(ru_maxrss {answer['ru_maxrss_bytes'] / 1e6:.0f} MB)")
    assert answer["peak_bytes"] < LIMIT_BYTES, answer
    assert answer["outcome"] == outcome, answer
    if outcome == "refused":
        assert path.name in answer["message"] and message in answer["message"], answer


@pytest.mark.parametrize("make, outcome, message, code", CASES)
def test_plan_validate_answers(tmp_path, bomb_source, make, outcome, message, code):
    path = make(tmp_path, bomb_source)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and message in result.output, result.output
    assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)


def test_the_probe_sees_a_large_allocation(tmp_path):
    """The measurement is not blind: 250 MB held by the probing process shows."""
    path = write_plan(tmp_path / "plan.xlsx", plan())
    done = subprocess.run([sys.executable, "-c", "held = b'x' * 250_000_000\n" + PROBE,
                           str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["peak_bytes"] > 250 * 10**6
