"""The README's sheet reference, generated from the schema: ``python -m planner.docs``.

The README holds the reference between two marker lines; this module rewrites what lies
between them, and a test fails when the README is out of date.
"""

from __future__ import annotations

from pathlib import Path

from planner.schema import SETTINGS, SHEETS, Column

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- sheet reference: start -->", "<!-- sheet reference: end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _rule(column: Column) -> str:
    parts = []
    if column.allowed:
        parts.append("one of " + ", ".join(f"`{a}`" for a in column.allowed))
    if column.ref:
        parts.append(f"a {column.ref} entry" + (" or `all`" if column.allow_all_periods else ""))
    if column.bounds_text() and not column.allowed:
        parts.append(column.bounds_text())
    if column.needed_by:
        parts.append("required for Kind " + ", ".join(f"`{k}`" for k in column.needed_by))
    parts.append("required" if column.required else column.hint.split("; ", 1)[1])
    return "; ".join(parts)


def sheet_reference() -> str:
    """Markdown tables of the Settings keys and of every sheet's columns."""
    lines = ["### Settings", "", "A Key / Value sheet; a key left out takes its default.", "",
             "| Key | Default | Unit | Description |", "|---|---|---|---|"]
    lines += [f"| {s.key} | {s.default:g} | {s.unit} | {_cell(s.description)} |"
              if isinstance(s.default, float) else
              f"| {s.key} | {s.default} | {s.unit} | {_cell(s.description)} |" for s in SETTINGS]
    for sheet in SHEETS:
        lines += ["", f"### {sheet.name}", "", _cell(sheet.description),
                  f"Unique key: {', '.join(sheet.key)}.", "",
                  "| Column | Type | Unit | Rule | Description |", "|---|---|---|---|---|"]
        lines += [f"| {c.name} | {c.kind.value} | {c.unit} | {_cell(_rule(c))} | "
                  f"{_cell(c.description)} |" for c in sheet.columns]
    return "\n".join(lines)


def with_reference(readme: str) -> str:
    """``readme`` with the text between the markers replaced by :func:`sheet_reference`."""
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{sheet_reference()}\n{END}{tail}"


def main() -> None:
    README.write_text(with_reference(README.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
