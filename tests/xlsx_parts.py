"""The parts inside an .xlsx file, for tests that damage workbooks below openpyxl's level.

An .xlsx is a zip of XML parts. These helpers read every part into a dict, write a dict
back as a zip, find the part that holds a named sheet, and patch the sizes the zip's
central directory declares (without touching the data it stores).
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
CENTRAL_HEADER = b"PK\x01\x02"


def read_parts(path: Path) -> dict[str, bytes]:
    """Every part of the zip at ``path``, by name, in the zip's order."""
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info.filename) for info in zf.infolist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    """Write ``parts`` to ``path`` as a deflated zip."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def sheet_part(parts: dict[str, bytes], sheet: str) -> str:
    """The name of the part holding ``sheet``, found through workbook.xml and its rels."""
    workbook = parts[WORKBOOK_PART].decode("utf-8")
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*/>', workbook)
    assert rid, f"no sheet {sheet} in {WORKBOOK_PART}"
    rel_id = re.search(r'\bid="([^"]+)"', rid.group(0)).group(1)
    rels = parts[WORKBOOK_RELS].decode("utf-8")
    target = re.search(rf'<Relationship [^>]*Id="{re.escape(rel_id)}"[^>]*/>', rels)
    name = re.search(r'Target="([^"]+)"', target.group(0)).group(1)
    return name.lstrip("/") if name.startswith("/") else "xl/" + name


def edit_sheet_xml(path: Path, sheet: str, edit) -> None:
    """Replace the XML text of ``sheet`` in the workbook at ``path`` by ``edit(text)``."""
    parts = read_parts(path)
    name = sheet_part(parts, sheet)
    parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
    write_parts(path, parts)


def set_cell_xml(text: str, ref: str, cell_xml: str) -> str:
    """Sheet XML ``text`` with its ``<c r=ref>`` element replaced by ``cell_xml``."""
    pattern = re.compile(rf'<c r="{ref}"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
    assert pattern.search(text), f"no cell {ref} in the sheet XML"
    return pattern.sub(lambda _: cell_xml, text, count=1)


def declare_size(path: Path, part: str, size: int) -> None:
    """Make the central directory of the zip at ``path`` declare ``part`` as ``size`` bytes
    unpacked; the stored data and the local header stay as they are."""
    data = bytearray(path.read_bytes())
    name, found, pos = part.encode("utf-8"), 0, data.find(CENTRAL_HEADER)
    while pos >= 0:
        name_length = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + name_length] == name:
            struct.pack_into("<I", data, pos + 24, size)
            found += 1
        pos = data.find(CENTRAL_HEADER, pos + 4)
    assert found == 1, f"{part} found {found} times in the central directory"
    path.write_bytes(bytes(data))


SHARED_STRINGS = "xl/sharedStrings.xml"
INLINE_CELL = re.compile(r'<c ([^>]*?)\s*t="inlineStr"([^>]*)><is><t(?: [^>]*)?>(.*?)</t></is></c>',
                         re.S)


def with_shared_strings(parts: dict[str, bytes]) -> dict[str, bytes]:
    """``parts`` with every inline string moved to a shared-strings table, as Excel saves.

    openpyxl writes text inline; Excel and LibreOffice write ``t="s"`` cells whose value
    indexes ``xl/sharedStrings.xml``, the form most workbooks that reach the planner have.
    """
    table: dict[str, int] = {}

    def shared(match: re.Match) -> str:
        index = table.setdefault(match.group(3), len(table))
        return f'<c {match.group(1)} t="s"{match.group(2)}><v>{index}</v></c>'

    out = {}
    for name, data in parts.items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            data = INLINE_CELL.sub(shared, data.decode("utf-8")).encode("utf-8")
        out[name] = data
    items = "".join(f"<si><t xml:space=\"preserve\">{text}</t></si>" for text in table)
    out[SHARED_STRINGS] = (f'<sst xmlns="{MAIN_NS}" count="{len(table)}" '
                           f'uniqueCount="{len(table)}">{items}</sst>').encode("utf-8")
    out["[Content_Types].xml"] = out["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    out[WORKBOOK_RELS] = out[WORKBOOK_RELS].replace(
        b"</Relationships>", f'<Relationship Type="{REL_NS}/sharedStrings" '
        'Target="sharedStrings.xml" Id="rIdStrings"/></Relationships>'.encode("utf-8"))
    return out
