"""CSV that a spreadsheet opens as text: the registers and the journal are read in
LibreOffice or Excel by a town's staff, where a cell starting with `=`, `+`, `-`, `@`
(or a tab or carriage return before one) is run as a formula: `=HYPERLINK(…)` typed as
a requisition's procedure number would send the reader's data anywhere (OWASP "CSV
injection"). Such a cell is written with a leading apostrophe, which spreadsheets show
as text and strip; plain numbers (`-3.5`) are left as they are.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")


def neutral(cell: Any) -> Any:
    """`cell`, or `'cell` when a spreadsheet would take it for a formula."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


class SafeWriter:
    """`csv.writer` (CRLF lines, as RFC 4180 and spreadsheets expect) with every cell
    passed through `neutral`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutral(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
