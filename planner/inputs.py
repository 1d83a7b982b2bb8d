"""Regenerate the bundled workbooks: ``python -m planner.inputs``.

``inputs/template.xlsx`` is the blank template; ``inputs/example.xlsx`` is built from
the readable source ``inputs/example.toml``, where each sheet is a table::

    [Sites]
    columns = ["Site", "Kind", "Country"]
    rows = [["Greenbushes", "mine", "Australia"]]

An empty string is a blank cell. ``notes`` lines go to the Instructions sheet and
``[Settings]`` holds setting values by key.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from openpyxl import Workbook

from planner.schema import SHEETS_BY_NAME
from planner.template import build_workbook, save_workbook

INPUTS = Path(__file__).resolve().parent.parent / "inputs"
EXAMPLE_SOURCE = INPUTS / "example.toml"


def load_source(path: Path) -> dict:
    """The example source as keyword arguments of :func:`build_workbook`."""
    source = tomllib.loads(path.read_text(encoding="utf-8"))
    rows = {}
    for name, table in source.items():
        if name not in SHEETS_BY_NAME:
            continue
        columns = table["columns"]
        unknown = set(columns) - {c.name for c in SHEETS_BY_NAME[name].columns}
        if unknown:
            raise ValueError(f"{path}: [{name}] has columns the schema does not know: {unknown}")
        rows[name] = [{c: (None if x == "" else x) for c, x in zip(columns, row, strict=True)}
                      for row in table["rows"]]
    return {"rows": rows, "settings": source.get("Settings", {}),
            "notes": source.get("notes", [])}


def bundled() -> dict[str, Workbook]:
    """The bundled workbooks by file name, as built from the repository's sources."""
    return {"template.xlsx": build_workbook(),
            "example.xlsx": build_workbook(**load_source(EXAMPLE_SOURCE))}


def main() -> None:
    for name, wb in bundled().items():
        save_workbook(wb, INPUTS / name)
        print(f"wrote {INPUTS / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
