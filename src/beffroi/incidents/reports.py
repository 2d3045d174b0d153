"""The monthly report of a commune: what a town council needs to judge the centre.

A month is a calendar month in the town's time (Europe/Paris), not in UTC. Counted:
- **alarms**: the alarm events that needed a person (`incident_alarms`), by kind;
- **incidents** opened in the month, by kind, and their dispositions; the
  **false-alarm rate** is over the closed alarm incidents (those of a building: camera
  and system faults are not alarms that could be false);
- **time to acknowledge** (opened → acknowledged) and **time to disposition**
  (opened → closed), median and 90th percentile (nearest rank), over the incidents
  opened in the month that reached that step; those that did not are counted apart;
- **camera availability**: the share of the month each camera of the commune has
  footage for, from the segments index (`playback.timeline.merge_ranges` and
  `find_gaps`, with the timeline's tolerance), up to now for the current month and up
  to its removal for a removed camera. A disabled camera is unavailable: it is part
  of what the commune pays for.
"""

from __future__ import annotations

import io
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, func, select

from beffroi.archive.tables import segments
from beffroi.clock import PARIS, from_ms, utc_ms
from beffroi.csvfile import SafeWriter
from beffroi.incidents.tables import incident_alarms, incidents
from beffroi.playback.timeline import Span, find_gaps, merge_ranges
from beffroi.site.tables import cameras, communes


class Durations(BaseModel):
    count: int = Field(description="Incidents that reached the step")
    median_seconds: float | None = Field(description="Median, seconds")
    p90_seconds: float | None = Field(description="90th percentile (nearest rank), seconds")


class CameraAvailability(BaseModel):
    camera: str
    name: str
    expected_seconds: int = Field(description="Part of the month the camera was installed")
    recorded_seconds: int = Field(description="Of which with footage in the archive")
    percent: float | None = Field(description="recorded / expected, in %")
    gaps: int = Field(description="Interruptions of the recording")
    longest_gap: int = Field(description="The longest one, seconds")


class MonthlyReport(BaseModel):
    commune: str
    commune_name: str
    month: str = Field(description="YYYY-MM, in Europe/Paris time")
    start: datetime = Field(description="First instant of the month (UTC)")
    end: datetime = Field(description="First instant of the next month (UTC)")
    complete: bool = Field(description="False while the month is still running")
    alarms: int
    alarms_by_kind: dict[str, int]
    incidents: int
    incidents_by_kind: dict[str, int]
    dispositions: dict[str, int] = Field(description="Closed incidents by disposition")
    still_open: int = Field(description="Incidents of the month not closed yet")
    false_alarm_rate: float | None = Field(
        description="False alarms / closed alarm incidents, in %"
    )
    acknowledge: Durations
    unacknowledged: int = Field(description="Incidents of the month nobody acknowledged")
    disposition: Durations
    cameras: list[CameraAvailability]
    camera_availability: float | None = Field(description="All cameras together, in %")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """(start, end), in UTC, of a YYYY-MM month in Paris time; ValueError if malformed."""
    year_text, dash, month_text = month.partition("-")
    if not dash or len(year_text) != 4 or len(month_text) != 2:
        raise ValueError("month: write it YYYY-MM, e.g. 2026-11")
    year, number = int(year_text), int(month_text)
    if not 1 <= number <= 12 or year < 2000:
        raise ValueError("month: write it YYYY-MM, e.g. 2026-11")
    start = datetime(year, number, 1, tzinfo=PARIS)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=PARIS)
    # In UTC: subtracting two Paris times would ignore a change of offset between them.
    return start.astimezone(UTC), end.astimezone(UTC)


def durations(values: list[int]) -> Durations:
    if not values:
        return Durations(count=0, median_seconds=None, p90_seconds=None)
    ordered = sorted(values)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    return Durations(
        count=len(ordered),
        median_seconds=round(statistics.median(ordered) / 1000, 1),
        p90_seconds=round(p90 / 1000, 1),
    )


def monthly_report(engine: Engine, commune: str, month: str, now: datetime) -> MonthlyReport | None:
    """The report; None for an unknown commune. ValueError for a bad or future month."""
    start, end = month_bounds(month)
    if start >= now:
        raise ValueError("month: it has not begun")
    start_ms, end_ms = utc_ms(start), utc_ms(end)
    horizon_ms = min(end_ms, utc_ms(now))
    with engine.connect() as conn:
        name = conn.scalar(select(communes.c.name).where(communes.c.id == commune))
        if name is None:
            return None
        rows = conn.execute(
            select(incidents).where(
                incidents.c.commune_id == commune,
                incidents.c.opened_ms >= start_ms,
                incidents.c.opened_ms < end_ms,
            )
        ).all()
        alarm_kinds = conn.execute(
            select(incident_alarms.c.kind, func.count())
            .join(incidents, incidents.c.id == incident_alarms.c.incident_id)
            .where(
                incidents.c.commune_id == commune,
                incident_alarms.c.received_ms >= start_ms,
                incident_alarms.c.received_ms < end_ms,
            )
            .group_by(incident_alarms.c.kind)
        ).all()
        availability = camera_availability(conn, commune, start_ms, horizon_ms)
    closed = [r for r in rows if r.closed_ms is not None]
    closed_alarms = [r for r in closed if r.building_id is not None]
    false = sum(1 for r in closed_alarms if r.disposition == "false_alarm")
    expected = sum(c.expected_seconds for c in availability)
    recorded = sum(c.recorded_seconds for c in availability)
    return MonthlyReport(
        commune=commune,
        commune_name=name,
        month=month,
        start=from_ms(start_ms),
        end=from_ms(end_ms),
        complete=end_ms <= utc_ms(now),
        alarms=sum(n for _, n in alarm_kinds),
        alarms_by_kind=dict(sorted((k, int(n)) for k, n in alarm_kinds)),
        incidents=len(rows),
        incidents_by_kind=dict(sorted(Counter(r.kind for r in rows).items())),
        dispositions=dict(sorted(Counter(r.disposition or "none" for r in closed).items())),
        still_open=len(rows) - len(closed),
        false_alarm_rate=round(100 * false / len(closed_alarms), 1) if closed_alarms else None,
        acknowledge=durations(
            [r.acknowledged_ms - r.opened_ms for r in rows if r.acknowledged_ms is not None]
        ),
        unacknowledged=sum(1 for r in rows if r.acknowledged_ms is None),
        disposition=durations([r.closed_ms - r.opened_ms for r in closed]),
        cameras=availability,
        camera_availability=round(100 * recorded / expected, 2) if expected else None,
    )


def camera_availability(
    conn: Connection, commune: str, start_ms: int, horizon_ms: int
) -> list[CameraAvailability]:
    out: list[CameraAvailability] = []
    rows = conn.execute(
        select(cameras.c.id, cameras.c.name, cameras.c.removed_ms)
        .where(cameras.c.commune_id == commune)
        .order_by(cameras.c.id)
    ).all()
    for cam in rows:
        until = horizon_ms if cam.removed_ms is None else min(horizon_ms, cam.removed_ms)
        if until <= start_ms:
            continue  # removed before the month began
        spans = [
            Span(s, e)
            for s, e in conn.execute(
                select(segments.c.start_ms, segments.c.end_ms).where(
                    segments.c.camera_id == cam.id,
                    segments.c.end_ms > start_ms,
                    segments.c.start_ms < until,
                )
            )
        ]
        ranges = merge_ranges(spans, start_ms, until)
        gaps = find_gaps(ranges, start_ms, until)
        expected = until - start_ms
        recorded = sum(e - s for s, e in ranges)
        out.append(
            CameraAvailability(
                camera=cam.id,
                name=cam.name,
                expected_seconds=expected // 1000,
                recorded_seconds=recorded // 1000,
                percent=round(100 * recorded / expected, 2),
                gaps=len(gaps),
                longest_gap=max((e - s for s, e in gaps), default=0) // 1000,
            )
        )
    return out


# --- CSV and the printable page ------------------------------------------------------

CSV_COLUMNS = ("commune", "month", "metric", "subject", "value")

KIND_WORDS = {
    "intrusion": "Intrusion",
    "fire": "Incendie",
    "panic": "Agression",
    "holdup": "Hold-up",
    "tamper": "Sabotage",
    "medical": "Urgence médicale",
    "gas": "Gaz",
    "water": "Dégât des eaux",
    "heat": "Chaleur",
    "technical": "Défaut technique",
    "alarm": "Alarme",
}
DISPOSITION_WORDS = {
    "false_alarm": "Fausse alarme",
    "technical_fault": "Défaut technique",
    "confirmed_intrusion": "Intrusion confirmée",
    "other": "Autre",
    "none": "Sans qualification",
}


def report_rows(report: MonthlyReport) -> list[tuple[str, str, str]]:
    """(metric, subject, value): one fact a line, for a spreadsheet."""
    rows: list[tuple[str, str, str]] = [("alarms", "total", str(report.alarms))]
    rows += [("alarms", k, str(n)) for k, n in report.alarms_by_kind.items()]
    rows.append(("incidents", "total", str(report.incidents)))
    rows += [("incidents", k, str(n)) for k, n in report.incidents_by_kind.items()]
    rows += [("dispositions", k, str(n)) for k, n in report.dispositions.items()]
    rows.append(("incidents", "still_open", str(report.still_open)))
    rows.append(("false_alarm_rate_percent", "", _num(report.false_alarm_rate)))
    for metric, d in (("acknowledge", report.acknowledge), ("disposition", report.disposition)):
        rows.append((f"{metric}_seconds", "count", str(d.count)))
        rows.append((f"{metric}_seconds", "median", _num(d.median_seconds)))
        rows.append((f"{metric}_seconds", "p90", _num(d.p90_seconds)))
    rows.append(("unacknowledged", "", str(report.unacknowledged)))
    rows += [("camera_availability_percent", c.camera, _num(c.percent)) for c in report.cameras]
    rows.append(("camera_availability_percent", "all", _num(report.camera_availability)))
    return rows


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def report_csv(report: MonthlyReport) -> str:
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(CSV_COLUMNS)
    writer.writerows((report.commune, report.month, *row) for row in report_rows(report))
    return buf.getvalue()


_STYLE = """
body { font-family: sans-serif; margin: 1.5em; max-width: 60em; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #444; padding: 0.3em 0.6em; text-align: left; }
td.n { text-align: right; }
tr { page-break-inside: avoid; }
@page { size: A4; margin: 1.5cm; }
"""

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def _fr(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",") + unit


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]], empty: str) -> str:
    cells = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = [
        "<tr>"
        + "".join(
            f'<td class="n">{escape(c)}</td>' if i else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    ] or [f'<tr><td colspan="{len(head)}">{escape(empty)}</td></tr>']
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>\n"


def report_html(report: MonthlyReport, printed_at: datetime, printed_by: str) -> str:
    """A self-contained French page (no script, no external resource) to print."""
    start = report.start.astimezone(PARIS)
    title = f"Rapport d'activité — {report.commune_name} — {MONTHS[start.month - 1]} {start.year}"
    printed = printed_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    running = "" if report.complete else " Le mois est en cours : chiffres provisoires."
    kinds = [(KIND_WORDS.get(k, k), str(n)) for k, n in report.incidents_by_kind.items()]
    dispositions = [(DISPOSITION_WORDS.get(k, k), str(n)) for k, n in report.dispositions.items()]
    delays = [
        ("Prise en compte (acquittement)", report.acknowledge),
        ("Clôture (qualification)", report.disposition),
    ]
    cams = [
        (
            f"{c.name} ({c.camera})",
            _fr(c.percent, " %"),
            str(c.gaps),
            _duration(c.longest_gap),
        )
        for c in report.cameras
    ]
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n"
        f"<p>Édité le {escape(printed)} par {escape(printed_by)}. Heures de Paris."
        f"{escape(running)}</p>\n<h2>Synthèse</h2>\n"
        + _table(
            ("Indicateur", "Valeur"),
            [
                ("Alarmes reçues", str(report.alarms)),
                ("Incidents ouverts", str(report.incidents)),
                ("Incidents non clos", str(report.still_open)),
                ("Taux de fausses alarmes", _fr(report.false_alarm_rate, " %")),
                ("Incidents jamais acquittés", str(report.unacknowledged)),
                ("Disponibilité des caméras", _fr(report.camera_availability, " %")),
            ],
            "",
        )
        + "<h2>Incidents par nature</h2>\n"
        + _table(("Nature", "Nombre"), kinds, "Aucun incident.")
        + "<h2>Qualification des incidents clos</h2>\n"
        + _table(("Qualification", "Nombre"), dispositions, "Aucun incident clos.")
        + "<h2>Délais</h2>\n"
        + _table(
            ("Étape", "Incidents", "Médiane", "90 % en moins de"),
            [
                (name, str(d.count), _duration(d.median_seconds), _duration(d.p90_seconds))
                for name, d in delays
            ],
            "",
        )
        + "<h2>Disponibilité des caméras</h2>\n"
        + _table(
            ("Caméra", "Enregistrement", "Interruptions", "Plus longue"),
            cams,
            "Aucune caméra.",
        )
        + "</body>\n</html>\n"
    )
