"""Monthly reports on a real database (both backends): incidents moved through the real
service, segments in the real index, the figures checked by hand, and the routes
(JSON, CSV, printable page) with their scope and journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from beffroi.access.permissions import Role
from beffroi.archive.tables import segments
from beffroi.clock import FakeClock, utc_ms
from beffroi.incidents.reports import month_bounds, monthly_report
from beffroi.incidents.service import Actor, IncidentService
from beffroi.incidents.states import Disposition
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.alarms.site import seed
from tests.incidents.conftest import alarm
from tests.web.test_matrix import make_user

# November 2026 in Paris: from 31 Oct 23:00 UTC (CET) to 30 Nov 23:00 UTC.
NOV_START = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
NOV_END = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
AFTER = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DAY = 86_400


def _segment(engine: Engine, camera: str, start: datetime, end: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(segments).values(
                camera_id=camera,
                start_ms=utc_ms(start),
                end_ms=utc_ms(end),
                path=f"{camera}/{utc_ms(start)}.mp4",
                bytes=1,
                codec="h264",
                width=1280,
                height=720,
                fps=15.0,
                frames=1,
                sha256="0" * 64,
                indexed_ms=utc_ms(end),
            )
        )


def _month(engine: Engine) -> dict[str, int]:
    """Four incidents of Joué-lès-Tours in November (Paris time), one in Chambray, one
    just after midnight on 1 December in Paris (still 30 November in UTC)."""
    clock = FakeClock(NOV_START + timedelta(minutes=30))  # 1 Nov 00:30 in Paris
    seed(engine, clock)
    service = IncidentService(engine, clock, group_seconds=60)
    agent = Actor(None, "agent")

    def opened(building: str = "gymnase-jean-bigot", account: str = "4321") -> int:
        found = service.alarm_received(alarm(engine, clock.now(), building, account))
        assert found is not None
        return found

    a = opened()
    clock.advance(60)
    service.acknowledge(a, agent)
    clock.advance(540)
    service.close(a, agent, Disposition.FALSE_ALARM)
    clock.advance(DAY)
    b = opened()
    clock.advance(10)
    assert opened() == b  # a second alarm joins it
    clock.advance(110)
    service.acknowledge(b, agent)
    clock.advance(1680)
    service.close(
        b,
        agent,
        Disposition.CONFIRMED_INTRUSION,
        police_called_at=clock.now() - timedelta(minutes=5),
    )
    clock.advance(DAY)
    c = opened("hotel-de-ville", "ABC123")
    clock.advance(300)
    service.acknowledge(c, agent)
    clock.advance(DAY)
    d = opened()
    theirs = opened("mairie-chambray", "5101")
    clock.advance(NOV_END + timedelta(minutes=30) - clock.now())  # 1 December, 00:30 in Paris
    december = opened()
    _segment(engine, "jlt-001", NOV_START - timedelta(hours=1), NOV_START + timedelta(days=10))
    _segment(engine, "jlt-001", NOV_START + timedelta(days=11), NOV_END + timedelta(hours=2))
    return {"a": a, "b": b, "c": c, "d": d, "theirs": theirs, "december": december}


def test_month_bounds_follow_paris_time() -> None:
    assert month_bounds("2026-11") == (NOV_START, NOV_END)
    start, end = month_bounds("2026-03")  # the change to summer time is inside
    assert (end - start) == timedelta(days=31, hours=-1)
    for bad in ("2026-13", "26-11", "2026/11", "1999-01"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            month_bounds(bad)


def test_the_figures_of_a_month(engine: Engine) -> None:
    _month(engine)
    report = monthly_report(engine, "joue-les-tours", "2026-11", AFTER)
    assert report is not None and report.complete
    assert (report.alarms, report.incidents, report.still_open) == (5, 4, 2)
    assert report.alarms_by_kind == {"intrusion": 5}
    assert report.dispositions == {"confirmed_intrusion": 1, "false_alarm": 1}
    assert report.false_alarm_rate == 50.0
    assert report.acknowledge.model_dump() == {
        "count": 3,
        "median_seconds": 120.0,
        "p90_seconds": 300.0,
    }
    assert report.unacknowledged == 1
    assert report.disposition.model_dump() == {
        "count": 2,
        "median_seconds": 1200.0,
        "p90_seconds": 1800.0,
    }
    cams = {c.camera: c for c in report.cameras}
    assert "cha-001" not in cams
    jlt = cams["jlt-001"]
    assert (jlt.expected_seconds, jlt.recorded_seconds) == (30 * DAY, 29 * DAY)
    assert (jlt.percent, jlt.gaps, jlt.longest_gap) == (96.67, 1, DAY)
    assert cams["jlt-004"].percent == 0.0 and cams["jlt-004"].gaps == 1
    # The month still running: up to now only.
    running = monthly_report(engine, "joue-les-tours", "2026-11", NOV_START + timedelta(days=2))
    assert running is not None and not running.complete
    assert {c.camera: c.percent for c in running.cameras}["jlt-001"] == 100.0
    assert monthly_report(engine, "nulle-part", "2026-11", AFTER) is None
    with pytest.raises(ValueError, match="not begun"):
        monthly_report(engine, "joue-les-tours", "2027-01", AFTER)


def test_routes_scope_formats_and_journal(ctx: AppContext, client: TestClient) -> None:
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    _month(ctx.engine)
    clock.advance(AFTER - clock.now())
    chief = make_user(ctx, Role.SUPERVISOR)  # Joué-lès-Tours
    url = "/api/reports/joue-les-tours/2026-11"
    r = client.get(url, headers=chief)
    assert r.status_code == 200, r.text
    assert (r.json()["incidents"], r.json()["false_alarm_rate"]) == (4, 50.0)
    csv_text = client.get(url, params={"format": "csv"}, headers=chief).text
    lines = csv_text.splitlines()
    assert lines[0] == "commune,month,metric,subject,value"
    assert "joue-les-tours,2026-11,false_alarm_rate_percent,,50" in lines
    assert "joue-les-tours,2026-11,acknowledge_seconds,p90,300" in lines
    assert "joue-les-tours,2026-11,camera_availability_percent,jlt-001,96.67" in lines
    page = client.get(url, params={"format": "html"}, headers=chief)
    assert page.headers["content-type"].startswith("text/html")
    for words in ("novembre 2026", "Taux de fausses alarmes", "50,0 %", "2 min 00 s"):
        assert words in page.text, words
    # Another commune answers exactly like one that does not exist.
    theirs = client.get("/api/reports/chambray/2026-11", headers=chief)
    ghost = client.get("/api/reports/nulle-part/2026-11", headers=chief)
    assert theirs.status_code == ghost.status_code == 404
    assert theirs.json()["detail"].replace("chambray", "X") == ghost.json()["detail"].replace(
        "nulle-part", "X"
    )
    assert client.get(url, headers=make_user(ctx, Role.OPERATOR)).status_code == 403
    assert client.get(url, headers=make_user(ctx, Role.AUDITOR)).status_code == 200
    assert client.get("/api/reports/joue-les-tours/2026-13", headers=chief).status_code == 422
    assert client.get("/api/reports/joue-les-tours/2027-01", headers=chief).status_code == 422
    with ctx.engine.connect() as conn:
        reads = conn.execute(
            select(journal_entries.c.username, journal_entries.c.commune_id).where(
                journal_entries.c.action == "report.read"
            )
        ).all()
    assert ("u-supervisor", "joue-les-tours") in reads and len(reads) == 4
