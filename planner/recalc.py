"""Recalculating a workbook's formulas with LibreOffice before it is read (``--recalc``).

A workbook written by a program, or saved by a spreadsheet program that does not
recalculate, can hold formulas with no saved value or with a stale one; the reader sees
only saved values. :func:`recalculated` copies the workbook into a private temporary
folder, has LibreOffice open the copy headless with every formula recalculated on load
and save it as .xlsx there, and yields the path of that recalculated copy. The input file
is only read, never written.

LibreOffice runs with a profile of its own in the same temporary folder, so it never
meets a LibreOffice the user has open, and that profile sets Calc's "recalculation on
file load" for Excel and ODF files to "always recalculate" (by default LibreOffice keeps
the saved results of an .xlsx file).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from planner.workbook import InputFileError, guard_file

TIMEOUT = 120.0
"""Seconds LibreOffice may take to load, recalculate and save one workbook."""

EXPORT_FILTER = "xlsx:Calc MS Excel 2007 XML"

FORCE_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
"""The profile's settings: recalculation on load of .xlsx and .ods files, 0 = always."""

INSTEAD = ("or, instead, open the workbook in your spreadsheet program, let it recalculate, "
           "save it, and run again without --recalc")

_KNOWN_PLACES = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def find_soffice() -> str | None:
    """The LibreOffice program: ``soffice`` or ``libreoffice`` on PATH, or its usual place."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in _KNOWN_PLACES if os.path.isfile(p)), None)


def _stop(process: subprocess.Popen) -> None:
    """End LibreOffice and anything it started (it runs in a session of its own)."""
    try:
        if sys.platform == "win32":
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def convert(path: Path, folder: Path, timeout: float | None = None) -> Path:
    """Recalculate ``path`` into ``folder`` (an empty private folder); return the copy's path.

    Raises :class:`~planner.workbook.InputFileError` naming ``path`` when LibreOffice is
    missing, fails or takes longer than ``timeout`` seconds.
    """
    soffice = find_soffice()
    if soffice is None:
        raise InputFileError(
            f"{path}: --recalc needs LibreOffice, which was not found (no soffice or "
            "libreoffice program on PATH); install LibreOffice from "
            f"https://www.libreoffice.org/download/ {INSTEAD}")
    timeout = TIMEOUT if timeout is None else timeout
    source, out, profile = folder / "in", folder / "out", folder / "profile"
    for d in (source, out, profile / "user"):
        d.mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(FORCE_RECALC, encoding="utf-8")
    copy = source / path.name
    shutil.copyfile(path, copy)
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--calc", "--convert-to", EXPORT_FILTER,
               "--outdir", str(out), str(copy)]
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, cwd=folder,
                                   start_new_session=sys.platform != "win32")
    except OSError as exc:
        raise InputFileError(f"{path}: LibreOffice ({soffice}) cannot be started "
                             f"({exc.strerror}); {INSTEAD}") from exc
    try:
        output, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise InputFileError(f"{path}: LibreOffice did not finish recalculating it within "
                             f"{timeout:g} s and was stopped; {INSTEAD}") from None
    except BaseException:  # Ctrl-C: LibreOffice, in a session of its own, did not see it
        _stop(process)
        raise
    result = out / f"{Path(path.name).stem}.xlsx"
    if process.returncode != 0 or not result.is_file():
        said = " ".join((errors or output or b"").decode(errors="replace").split())
        why = f"exit code {process.returncode}" + (f": {said[-300:]}" if said else "")
        raise InputFileError(f"{path}: LibreOffice could not recalculate it ({why}); {INSTEAD}")
    return result


@contextmanager
def recalculated(path: Path, timeout: float | None = None) -> Iterator[Path]:
    """The path of a recalculated copy of ``path``, deleted when the block ends.

    ``path`` is checked first as any input is (missing, not an .xlsx, too large unpacked).
    A reading error of the copy is reported against ``path``.
    """
    guard_file(path)
    with tempfile.TemporaryDirectory(prefix="plan-recalc-") as folder:
        copy = convert(path, Path(folder), timeout)
        try:
            yield copy
        except InputFileError as exc:
            message = str(exc).replace(str(copy), f"{path} (recalculated by LibreOffice)")
            raise InputFileError(message) from exc
