"""The register as the prosecutor and inspections read it: CSV, and a printable page.

Both carry the centre's columns: numéro, reçue le, autorité, base légale, procédure,
caméras et plages, état, remise. Times are shown in Europe/Paris (the register is read
by people, in France); the JSON API keeps UTC.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from html import escape

from beffroi.clock import PARIS, from_ms
from beffroi.csvfile import SafeWriter
from beffroi.requisitions.register import Requisition
from beffroi.requisitions.states import LABELS_FR

COLUMNS = (
    "numéro",
    "reçue le",
    "autorité",
    "base légale",
    "procédure",
    "caméras et plages",
    "état",
    "remise",
)

LEGAL_BASES_FR = {
    "60-1": "art. 60-1 CPP (flagrance)",
    "77-1-1": "art. 77-1-1 CPP (préliminaire)",
    "99-3": "art. 99-3 CPP (instruction)",
    "igp": "instruction générale du parquet",
}


def _local(ms: int) -> str:
    return from_ms(ms).astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


def _local_time(ms: int) -> str:
    return from_ms(ms).astimezone(PARIS).strftime("%H:%M:%S")


def _authority(req: Requisition) -> str:
    a = req.authority
    parts = [" ".join(p for p in (a.rank, a.name) if p), a.service, a.unit]
    return ", ".join(p for p in parts if p)


def _legal_basis(req: Requisition) -> str:
    if req.legal_basis == "other":
        return f"autre : {req.legal_basis_other or ''}"
    return LEGAL_BASES_FR.get(req.legal_basis, req.legal_basis)


def _ranges(req: Requisition) -> list[str]:
    out = []
    for i in req.items:
        same_day = _local(i.start_ms)[:10] == _local(i.end_ms)[:10]
        end = _local_time(i.end_ms) if same_day else _local(i.end_ms)
        out.append(f"{i.camera_id} : {_local(i.start_ms)} – {end}")
    return out


def _state(req: Requisition) -> str:
    label = LABELS_FR.get(req.state, req.state)
    if req.state == "refused" and req.close_reason:
        return f"{label} ({req.close_reason})"
    return label


def _delivery(req: Requisition) -> str:
    d = req.delivery
    if d is None:
        return ""
    return f"le {_local(d.at_ms)} à {d.to}, support : {d.medium}, signé par {d.signature}"


def register_rows(reqs: Sequence[Requisition]) -> list[list[str]]:
    return [
        [
            r.number,
            _local(r.received_ms),
            _authority(r),
            _legal_basis(r),
            r.procedure,
            " ; ".join(_ranges(r)),
            _state(r),
            _delivery(r),
        ]
        for r in reqs
    ]


def register_csv(reqs: Sequence[Requisition]) -> str:
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(COLUMNS)
    writer.writerows(register_rows(reqs))
    return buf.getvalue()


_STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
h1 { font-size: 1.3em; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; }
th, td { border: 1px solid #444; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
@page { size: A4 landscape; margin: 1cm; }
"""


def register_html(
    reqs: Sequence[Requisition], printed_at: datetime, printed_by: str, filters: str
) -> str:
    """A self-contained French page (no script, no external resource) to print."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in COLUMNS)
    body = []
    for req, row in zip(reqs, register_rows(reqs), strict=True):
        cells = [escape(c) for c in row]
        cells[5] = "<br>".join(escape(x) for x in _ranges(req))
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(COLUMNS)}">Aucune réquisition.</td></tr>')
    printed = printed_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        "<title>Registre des réquisitions judiciaires</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        "<h1>Registre des réquisitions judiciaires</h1>\n"
        f"<p>Édité le {escape(printed)} par {escape(printed_by)}"
        f"{' — ' + escape(filters) if filters else ''}. Heures de Paris.</p>\n"
        f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>\n</body>\n</html>\n"
    )
