"""Render the brief (the Summary) of the bundled example's result as LibreOffice prints it,
to ``docs/brief.png``: ``python docs/make_brief_picture.py`` (needs LibreOffice and
poppler-utils' pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "inputs" / "example.xlsx"


def main() -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        sys.exit("needs LibreOffice (soffice) and pdftoppm (poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result = folder / "example-result.xlsx"
        subprocess.run([sys.executable, "-c", "from planner.cli import main; main()", "solve",
                        "-q", str(EXAMPLE), "-o", str(result)], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/lo",
                        "--convert-to", "pdf", "--outdir", str(folder), str(result)],
                       check=True, capture_output=True)
        pdf = result.with_suffix(".pdf")
        if not pdf.exists():
            sys.exit("LibreOffice wrote no PDF")
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(HERE / "brief")], check=True)
    print(f"wrote {HERE / 'brief.png'}")


if __name__ == "__main__":
    main()
