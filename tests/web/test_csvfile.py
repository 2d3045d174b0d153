"""The one CSV writer of the registers and the journal (beffroi/csvfile.py)."""

from __future__ import annotations

import csv
import io

from beffroi.csvfile import SafeWriter, neutral


def test_formula_cells_become_text_and_numbers_stay_numbers() -> None:
    assert neutral("=1+1") == "'=1+1"
    assert neutral("@SUM(A1)") == "'@SUM(A1)"
    assert neutral("+33 6 12") == "'+33 6 12"
    assert neutral("\t=cmd") == "'\t=cmd"
    assert neutral("-3.5") == "-3.5" and neutral("+2") == "+2" and neutral("-1e3") == "-1e3"
    assert neutral(-3) == -3 and neutral(None) is None
    assert neutral("jlt-001") == "jlt-001" and neutral("") == ""


def test_the_writer_neutralises_every_cell_in_crlf_lines() -> None:
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(["a", "=b"])
    writer.writerows([["-c", 4]])
    assert buf.getvalue() == "a,'=b\r\n'-c,4\r\n"
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [["a", "'=b"], ["'-c", "4"]]
