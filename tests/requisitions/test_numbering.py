"""Register numbers: per year (Paris), never repeated nor skipped, even concurrently."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from beffroi.archive.holds import active_holds
from beffroi.clock import utc_ms
from beffroi.requisitions.numbering import register_year
from beffroi.requisitions.register import (
    Authority,
    NewRequisition,
    RequisitionItem,
    record_requisition,
)
from beffroi.requisitions.tables import requisitions
from tests.archive.factory import add_camera

T = utc_ms(datetime(2026, 11, 1, 8, tzinfo=UTC))


def new(camera: str = "cam-1") -> NewRequisition:
    return NewRequisition(
        authority=Authority("Martin", "OPJ", "Commissariat de Tours", None),
        legal_basis="60-1",
        procedure="2026/001234",
        received_ms=T,
        items=(RequisitionItem(camera, T - 3_600_000, T),),
    )


def record(engine: Engine, now_ms: int = T, camera: str = "cam-1") -> str:
    with engine.begin() as conn:
        return record_requisition(conn, new(camera), "chef", now_ms).number


def test_year_is_the_paris_year_of_registration() -> None:
    # 23:30 UTC on 31 December is already 00:30 on 1 January in Paris.
    assert register_year(utc_ms(datetime(2026, 12, 31, 22, 59, tzinfo=UTC))) == 2026
    assert register_year(utc_ms(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))) == 2027


def test_sequence_per_year_without_gaps_after_a_rollback(engine: Engine) -> None:
    add_camera(engine, "cam-1")
    assert [record(engine) for _ in range(3)] == ["2026-0001", "2026-0002", "2026-0003"]
    # A registration that fails after taking its number gives it back with its rollback.
    with pytest.raises(LookupError):
        record(engine, camera="no-such-camera")
    assert record(engine) == "2026-0004"
    new_year = utc_ms(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert record(engine, new_year) == "2027-0001"
    assert record(engine) == "2026-0005"
    assert len(active_holds(engine, "cam-1")) == 6  # each registration held its range


@pytest.mark.parametrize("threads,each", [(8, 5)])
def test_concurrent_registrations_never_repeat_nor_skip(
    engine: Engine, threads: int, each: int
) -> None:
    add_camera(engine, "cam-1")
    add_camera(engine, "cam-2")
    got: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker(i: int) -> None:
        try:
            start.wait()
            for _ in range(each):
                number = record(engine, camera=f"cam-{1 + i % 2}")
                with lock:
                    got.append(number)
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    assert errors == []
    expected = [f"2026-{n:04d}" for n in range(1, threads * each + 1)]
    assert sorted(got) == expected
    with engine.connect() as conn:
        rows = conn.execute(select(requisitions.c.number).order_by(requisitions.c.id)).scalars()
        # Ids and numbers follow the same order: the number is taken under the lock that
        # serialises the inserts, so the register reads chronologically.
        assert list(rows) == expected
