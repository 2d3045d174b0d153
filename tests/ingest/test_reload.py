"""Re-applying the site touches only the cameras that changed."""

from __future__ import annotations

from beffroi.ingest.state import Reason, Status
from tests.ingest.harness import recording, spec, wait_for


def test_update_adds_and_removes_cameras_without_touching_the_others(
    sim, rec_engine, tmp_path
) -> None:
    cam0, cam1 = spec(sim.url("cam0"), "cam0"), spec(sim.url("cam1"), "cam1")
    with recording(rec_engine, tmp_path / "archive", [cam0, cam1]) as rig:
        wait_for(
            lambda: all(rig.state(c).status == Status.RECORDING for c in ("cam0", "cam1")),
            20,
            "two cameras recording",
        )
        since = rig.state("cam0").since_ms
        cam2 = spec(sim.url("cam2"), "cam2")
        changes = rig.supervisor.update([cam0, cam2], {"cam1": Reason.REMOVED})
        assert changes == {"added": ["cam2"], "changed": [], "removed": ["cam1"]}
        wait_for(lambda: rig.state("cam2").status == Status.RECORDING, 20, "cam2 recording")
        wait_for(lambda: any(r["camera_id"] == "cam1" for r in rig.rows("cam1")), 10, "cam1 kept")
        st1 = rig.state("cam1")
        assert (st1.status, st1.reason) == (Status.DISABLED, Reason.REMOVED)
        st0 = rig.state("cam0")
        assert st0.status == Status.RECORDING and st0.reconnects == 0 and st0.since_ms == since
        n1 = len(rig.rows("cam1"))
        wait_for(lambda: len(rig.rows("cam0")) >= 3, 20, "cam0 goes on")
        assert len(rig.rows("cam1")) == n1, "a removed camera records no more"
        assert rig.state("cam1").status == Status.DISABLED
