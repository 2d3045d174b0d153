"""The running centre: every service `beffroi run` starts, in the order the archive's
invariants need, and stops in the order that loses nothing.

Start: retention's recovery (finish interrupted deletions) before anything is
re-indexed; files that lost their row indexed again (`reconcile`); the index writer
before the recorder, whose workers salvage their `.part` files before recording anew;
then retention, journal upkeep, exports (interrupted ones queued again), the alarm
receivers on one incident service, on-call, incident media, the fault watcher and the
camera sampler (`camera_history`).

Stop: the watchers first (cameras closing are not faults), then the recorder, which
closes every segment while the index writer still runs; the alarm paths; then
retention, the journal's last checkpoint, exports, and the index writer once it has
written every closed segment.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from beffroi.alarms.inputs import AlarmInputs
from beffroi.archive.index import IndexWriter, reconcile
from beffroi.archive.layout import archive_root
from beffroi.archive.maintenance import RetentionLoop
from beffroi.archive.sink import ArchiveSinks
from beffroi.camera_history.sampler import CameraSampler
from beffroi.clock import Clock
from beffroi.export.jobs import ExportJobs
from beffroi.incidents.clip_window import MediaSettings
from beffroi.incidents.faults import FaultIncidents
from beffroi.incidents.intake import AlarmIntake
from beffroi.incidents.media import IncidentMedia
from beffroi.incidents.service import IncidentService
from beffroi.incidents.stills import snapshot_jpeg
from beffroi.incidents.watcher import FaultWatcher
from beffroi.ingest.spec import CameraSpec
from beffroi.ingest.state import Reason
from beffroi.ingest.supervisor import Supervisor
from beffroi.journal.http import principal_entry
from beffroi.journal.service import Journal, JournalMaintenance
from beffroi.oncall.runtime import OnCallRuntime
from beffroi.site.apply import ApplyResult, apply_site, camera_stream_credentials
from beffroi.site.camera_rows import CameraRow, active_cameras
from beffroi.site.loader import SiteError, load_site, today_from
from beffroi.site.models import Site

log = logging.getLogger(__name__)


@dataclass
class Centre:
    cameras: int  # cameras recording at start
    index: IndexWriter
    recorder: Supervisor
    retention: RetentionLoop
    journal_upkeep: JournalMaintenance
    export_jobs: ExportJobs
    alarms: AlarmIntake | None
    inputs: AlarmInputs | None
    oncall: OnCallRuntime | None
    incident_media: IncidentMedia
    fault_watcher: FaultWatcher
    sampler: CameraSampler

    @classmethod
    def start(
        cls,
        site: Site,
        engine: Engine,
        clock: Clock,
        journal: Journal,
        data_dir: Path,
        floor: int,
        use_processes: bool = True,
    ) -> Centre:
        root = archive_root(data_dir)
        retention = RetentionLoop(engine, root, clock, free_floor_bytes=floor, journal=journal)
        retention.recover()  # interrupted deletions, before anything is re-indexed
        cameras = active_cameras(engine)
        reconciled = reconcile(engine, root, clock, [c.id for c in cameras])
        if reconciled:
            log.warning("indexed %d segment(s) left without a row by a crash", reconciled)
        index = IndexWriter(engine, clock)
        index.start()
        specs, disabled = camera_specs(cameras, site)
        recorder = Supervisor(
            specs,
            ArchiveSinks(root, segment_ms=site.recording.segment_seconds * 1000),
            on_segment=index.submit,
            cameras_per_worker=site.recording.cameras_per_worker,
            use_processes=use_processes,
            disabled=disabled,
        )
        recorder.start()
        retention.start()
        journal_upkeep = JournalMaintenance(journal)
        journal_upkeep.start()
        export_jobs = ExportJobs(
            engine,
            clock,
            data_dir,
            root,
            free_floor_bytes=floor,
            journal=journal,
            live_start=functools.partial(_live_start, recorder),
            fingerprint_published_at=site.exports.fingerprint_published_at,
            keep_days=site.exports.keep_days,
        )
        export_jobs.start()  # queues again the exports a crash interrupted
        alarms, inputs, oncall = _alarm_paths(site, engine, clock, journal, data_dir, recorder)
        # Incidents' snapshots and clips, made off the alarm path's thread.
        incident_media = IncidentMedia(engine, clock, data_dir, root, recorder, journal)
        incident_media.start()
        faults = FaultIncidents(engine, clock, journal)
        fault_watcher = FaultWatcher(
            engine, clock, recorder, faults, archive_root=root, floor_bytes=floor,
            retention=retention,
        )  # fmt: skip
        fault_watcher.start()
        sampler = CameraSampler(engine, clock, recorder)  # the camera history charts
        sampler.start()
        return cls(
            len(specs), index, recorder, retention, journal_upkeep, export_jobs, alarms,
            inputs, oncall, incident_media, fault_watcher, sampler,
        )  # fmt: skip

    def stop(self) -> None:
        self.fault_watcher.stop()  # before the recorder: cameras closing are not faults
        self.sampler.stop()
        log.info("stopping: closing segments")
        self.recorder.stop()
        for optional in (self.alarms, self.inputs, self.oncall):
            if optional is not None:
                optional.stop()
        self.incident_media.stop()
        self.retention.stop()
        self.journal_upkeep.stop()
        self.export_jobs.stop()
        self.index.wait_idle(timeout=15)
        self.index.stop()

    def reload(self, path: Path, engine: Engine, clock: Clock, journal: Journal) -> bool:
        """SIGHUP: re-read the site file and apply it. A file with errors changes
        nothing; only the cameras that changed are touched; removed ones stop recording
        and their footage ages out normally."""
        try:
            loaded = load_site(path, today=today_from(clock))
        except SiteError as exc:
            log.error("site file not reloaded, nothing changed:\n%s", exc)
            return False
        applied = apply_site(engine, loaded.site, clock)
        journal.configure(loaded.site)
        journal_site(journal, path, applied)
        specs, disabled = camera_specs(active_cameras(engine), loaded.site)
        for camera_id in applied.cameras_removed:
            disabled[camera_id] = Reason.REMOVED
        changes = self.recorder.update(specs, disabled)
        for optional in (self.alarms, self.oncall, self.inputs):
            if optional is not None:
                optional.reload(loaded.site)
        self.export_jobs.fingerprint_published_at = loaded.site.exports.fingerprint_published_at
        self.export_jobs.keep_days = loaded.site.exports.keep_days
        log.info("site reloaded: %s", changes)
        return True


def _alarm_paths(
    site: Site, engine: Engine, clock: Clock, journal: Journal, data_dir: Path, recorder: Supervisor
) -> tuple[AlarmIntake | None, AlarmInputs | None, OnCallRuntime | None]:
    """The alarm receivers on one incident service (it serialises the opening of
    incidents), and on-call woken by each new incident. One that cannot start is said
    loudly; recording goes on."""
    alarms = _start_alarms(site, engine, clock, journal)
    service = alarms.service if alarms is not None else None
    if service is None:
        service = IncidentService(
            engine, clock, journal, site.alarms.group_seconds, MediaSettings.of_site(site)
        )
    inputs = _start_alarm_inputs(site, engine, clock, journal, service)
    oncall = _start_oncall(site, engine, clock, journal, data_dir, recorder)
    if oncall is not None:
        wake = oncall.escalation.wake
        service.on_opened.append(lambda _incident: wake())
    return alarms, inputs, oncall


def _start_alarms(site: Site, engine: Engine, clock: Clock, journal: Journal) -> AlarmIntake | None:
    """The alarm receivers the site file enables, wired to the incidents. One that cannot
    start (port taken) is reported loudly, but the recorder keeps recording."""
    try:
        return AlarmIntake.start(site, engine, clock, journal)
    except OSError as exc:
        log.error("alarms: the receiver could not start: %s", exc)
        print(f"ALARMS NOT RECEIVED: the SIA DC-09 receiver could not start: {exc}", flush=True)
        return None


def _start_alarm_inputs(
    site: Site, engine: Engine, clock: Clock, journal: Journal, service: IncidentService
) -> AlarmInputs | None:
    """The webhook and MQTT receivers, on the one incident service (the DC-09 one)."""
    try:
        return AlarmInputs.start(site, engine, clock, journal, service.alarm_received)
    except Exception as exc:
        log.exception("alarms: the webhook or MQTT receiver could not start")
        print(f"ALARMS NOT RECEIVED: the webhook or MQTT receiver failed: {exc}", flush=True)
        return None


def _live_start(recorder: Supervisor, camera_id: str) -> int | None:
    """Start of the segment the recorder is writing for `camera_id`, if any."""
    state = recorder.camera_states().get(camera_id)
    return state.live.start_ms if state is not None and state.live is not None else None


def _start_oncall(
    site: Site, engine: Engine, clock: Clock, journal: Journal, data_dir: Path, recorder: Supervisor
) -> OnCallRuntime | None:
    """Escalation and notification channels. One that cannot start (an MQTT password
    not set) is reported loudly, but recording and alarms go on."""
    try:
        # The alarm's snapshot goes with the alert when it is ready (0.1 to 1 s after
        # the alarm); the first alert does not wait for it.
        snapshot = functools.partial(snapshot_jpeg, engine, data_dir)
        return OnCallRuntime.start(site, engine, clock, journal, data_dir, recorder, snapshot)
    except Exception as exc:
        log.exception("oncall: could not start")
        print(f"ON-CALL AGENTS NOT NOTIFIED: the notification service failed: {exc}", flush=True)
        return None


def journal_site(journal: Journal, path: Path, applied: ApplyResult) -> None:
    """Configuration changes are journaled like any action on the system."""
    if not applied.changed:
        return
    detail = {
        "file": str(path),
        "added": applied.cameras_added,
        "updated": applied.cameras_updated,
        "removed": applied.cameras_removed,
        "returned": applied.cameras_returned,
    }
    journal.record(principal_entry(None, "site.apply", username="system", detail=detail))


def camera_specs(
    cameras: list[CameraRow], site: Site
) -> tuple[list[CameraSpec], dict[str, Reason]]:
    recording = site.recording
    specs: list[CameraSpec] = []
    disabled: dict[str, Reason] = {}
    for cam in cameras:
        if cam.removed_ms is not None:
            disabled[cam.id] = Reason.REMOVED
            continue
        if not cam.enabled:
            disabled[cam.id] = Reason.DISABLED
            continue
        # A password written in the stream URL lives only in the site file, never the DB.
        url, username, password = camera_stream_credentials(site.camera(cam.id) or cam)
        specs.append(
            CameraSpec(
                camera_id=cam.id,
                url=url,
                username=username,
                password=password,
                transport=cam.transport,
                reader=cam.reader,
                stall_timeout_s=float(recording.stall_timeout_seconds),
                reconnect_max_s=float(recording.reconnect_max_seconds),
            )
        )
    return specs, disabled
