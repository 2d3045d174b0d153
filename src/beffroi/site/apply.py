"""Apply a validated site to the database (the cameras are read back by `camera_rows`).

Applying is idempotent: a row is written only when what the file says differs from
what is stored, so `updated_ms` records real changes. A camera that leaves the file is
never deleted: its footage must still age out by its own retention (and may be under a
judicial hold), so its row stays, disabled, with `removed_ms` set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from beffroi.clock import Clock, utc_ms
from beffroi.site.credentials import camera_stream_credentials, split_stream_url
from beffroi.site.models import Building, Camera, Commune, Site
from beffroi.site.tables import (
    building_zones,
    buildings,
    cameras,
    communes,
    convention_communes,
    conventions,
    districts,
    map_settings,
    zone_cameras,
)


@dataclass(frozen=True)
class ApplyResult:
    """What applying a site changed. Each id appears in at most one camera list."""

    cameras_added: list[str] = field(default_factory=list)
    cameras_updated: list[str] = field(default_factory=list)
    cameras_returned: list[str] = field(default_factory=list)
    cameras_unchanged: list[str] = field(default_factory=list)
    cameras_removed: list[str] = field(default_factory=list)
    communes_added: list[str] = field(default_factory=list)
    communes_updated: list[str] = field(default_factory=list)
    communes_unchanged: list[str] = field(default_factory=list)
    # Still in the database (cameras and their footage refer to them) but not in the file.
    communes_absent: list[str] = field(default_factory=list)
    conventions_changed: list[str] = field(default_factory=list)
    # Buildings added, changed (their zones included) or removed from the file.
    buildings_changed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.cameras_added
            or self.cameras_updated
            or self.cameras_returned
            or self.cameras_removed
            or self.communes_added
            or self.communes_updated
            or self.conventions_changed
            or self.buildings_changed
        )


def commune_values(commune: Commune, site: Site | None = None) -> dict[str, Any]:
    """The stored columns of a commune (without `updated_ms`), its map outline included."""
    geo = site.map_data if site is not None else None
    outline = geo.outlines.get(commune.id) if geo is not None else None
    return {"name": commune.name, "insee": commune.insee, "outline": _geojson(outline)}


def _geojson(geometry: dict[str, Any] | None) -> str | None:
    return json.dumps(geometry, separators=(",", ":")) if geometry is not None else None


def camera_values(camera: Camera) -> dict[str, Any]:
    """The stored columns of a camera (without `updated_ms`): no password, ever."""
    split = split_stream_url(camera.stream)
    auth = camera.authorisation
    return {
        "name": camera.name,
        "commune_id": camera.commune,
        "district": camera.district,
        "lat": camera.location.lat if camera.location else None,
        "lon": camera.location.lon if camera.location else None,
        "direction_deg": camera.bearing,
        "fov_angle_deg": camera.field_of_view.angle if camera.field_of_view else None,
        "fov_range_m": camera.field_of_view.range_m if camera.field_of_view else None,
        "stream_url": split.url,
        "transport": camera.transport,
        "reader": camera.reader,
        "username": split.username or camera.username,
        "password_env": camera.password_env,
        "retention_s": camera.retention_s,
        "view": camera.view,
        "authorisation_ref": auth.reference if auth else None,
        "authorisation_expires": auth.expires.isoformat() if auth else None,
        "enabled": camera.enabled,
        "removed_ms": None,
    }


def _differs(stored: Any, wanted: dict[str, Any]) -> bool:
    return any(getattr(stored, k) != v for k, v in wanted.items())


def _apply_communes(conn: Connection, site: Site, now_ms: int, out: ApplyResult) -> None:
    stored = {r.id: r for r in conn.execute(select(communes))}
    for commune in site.communes:
        wanted = commune_values(commune, site)
        row = stored.get(commune.id)
        if row is None:
            conn.execute(communes.insert().values(id=commune.id, updated_ms=now_ms, **wanted))
            out.communes_added.append(commune.id)
        elif _differs(row, wanted):
            conn.execute(
                communes.update()
                .where(communes.c.id == commune.id)
                .values(updated_ms=now_ms, **wanted)
            )
            out.communes_updated.append(commune.id)
        else:
            out.communes_unchanged.append(commune.id)
    in_file = {c.id for c in site.communes}
    out.communes_absent.extend(sorted(set(stored) - in_file))


def _apply_cameras(conn: Connection, site: Site, now_ms: int, out: ApplyResult) -> None:
    stored = {r.id: r for r in conn.execute(select(cameras))}
    for camera in site.cameras:
        wanted = camera_values(camera)
        row = stored.get(camera.id)
        if row is None:
            conn.execute(cameras.insert().values(id=camera.id, updated_ms=now_ms, **wanted))
            out.cameras_added.append(camera.id)
            continue
        if not _differs(row, wanted):
            out.cameras_unchanged.append(camera.id)
            continue
        conn.execute(
            cameras.update().where(cameras.c.id == camera.id).values(updated_ms=now_ms, **wanted)
        )
        if row.removed_ms is not None:
            out.cameras_returned.append(camera.id)
        else:
            out.cameras_updated.append(camera.id)
    in_file = {c.id for c in site.cameras}
    for camera_id in sorted(set(stored) - in_file):
        if stored[camera_id].removed_ms is not None:
            continue  # removed by an earlier apply: its removal time stays the first one
        conn.execute(
            cameras.update()
            .where(cameras.c.id == camera_id)
            .values(enabled=False, removed_ms=now_ms, updated_ms=now_ms)
        )
        out.cameras_removed.append(camera_id)


def apply_site(engine: Engine, site: Site, clock: Clock) -> ApplyResult:
    """Bring the communes and cameras tables in line with `site`, in one transaction."""
    now_ms = utc_ms(clock.now())
    out = ApplyResult()
    with engine.begin() as conn:
        _apply_communes(conn, site, now_ms, out)
        _apply_cameras(conn, site, now_ms, out)
        _apply_conventions(conn, site, now_ms, out)
        _apply_buildings(conn, site, now_ms, out)
        _apply_map(conn, site, now_ms, out)
    return out


def _district_rows(site: Site) -> dict[str, list[tuple[str, int, str | None]]]:
    geo = site.map_data
    out: dict[str, list[tuple[str, int, str | None]]] = {}
    for commune in site.communes:
        out[commune.id] = [
            (name, position, _geojson(geo.districts.get((commune.id, name)) if geo else None))
            for position, name in enumerate(dict.fromkeys(commune.districts))
        ]
    return out


def map_settings_values(site: Site) -> dict[str, Any]:
    """The stored map settings (without `updated_ms`)."""
    tiles, center = site.map.tiles, site.map.center
    return {
        "tiles_url": tiles.url if tiles else None,
        "tiles_attribution": tiles.attribution if tiles else None,
        "tiles_max_zoom": tiles.max_zoom if tiles else None,
        "center_lat": center.lat if center else None,
        "center_lon": center.lon if center else None,
        "zoom": site.map.zoom,
    }


def _apply_map(conn: Connection, site: Site, now_ms: int, out: ApplyResult) -> None:
    """Districts (names and outlines) are replaced whole per commune when they differ;
    the map settings are one row. A change shows as the commune updated."""
    stored: dict[str, list[tuple[str, int, str | None]]] = {}
    query = select(districts).order_by(districts.c.commune_id, districts.c.position)
    for r in conn.execute(query):
        stored.setdefault(r.commune_id, []).append((r.name, r.position, r.outline))
    wanted = _district_rows(site)
    for commune_id in sorted(stored.keys() - wanted.keys()):
        conn.execute(delete(districts).where(districts.c.commune_id == commune_id))
    for commune_id, rows in wanted.items():
        if stored.get(commune_id, []) == rows:
            continue
        conn.execute(delete(districts).where(districts.c.commune_id == commune_id))
        if rows:
            conn.execute(
                insert(districts),
                [
                    {"commune_id": commune_id, "name": n, "position": p, "outline": o}
                    for n, p, o in rows
                ],
            )
        if commune_id in out.communes_unchanged:
            out.communes_unchanged.remove(commune_id)
            out.communes_updated.append(commune_id)
    settings = map_settings_values(site)
    row = conn.execute(select(map_settings).where(map_settings.c.id == 1)).first()
    if row is None:
        conn.execute(insert(map_settings).values(id=1, updated_ms=now_ms, **settings))
    elif _differs(row, settings):
        conn.execute(
            update(map_settings).where(map_settings.c.id == 1).values(updated_ms=now_ms, **settings)
        )


def _apply_conventions(conn: Connection, site: Site, now_ms: int, out: ApplyResult) -> None:
    """Conventions are replaced whole: who shares with whom is exactly the file's say."""
    stored: dict[str, tuple[str, set[str]]] = {
        r.id: (r.name, set()) for r in conn.execute(select(conventions.c.id, conventions.c.name))
    }
    for r in conn.execute(select(convention_communes)):
        stored[r.convention_id][1].add(r.commune_id)
    wanted = {c.id: (c.name, set(c.communes)) for c in site.conventions}
    for cid in stored.keys() - wanted.keys():
        conn.execute(delete(convention_communes).where(convention_communes.c.convention_id == cid))
        conn.execute(delete(conventions).where(conventions.c.id == cid))
        out.conventions_changed.append(cid)
    for cid, (name, members) in wanted.items():
        if stored.get(cid) == (name, members):
            continue
        if cid in stored:
            conn.execute(
                update(conventions)
                .where(conventions.c.id == cid)
                .values(name=name, updated_ms=now_ms)
            )
            conn.execute(
                delete(convention_communes).where(convention_communes.c.convention_id == cid)
            )
        else:
            conn.execute(insert(conventions).values(id=cid, name=name, updated_ms=now_ms))
        conn.execute(
            insert(convention_communes),
            [{"convention_id": cid, "commune_id": m} for m in sorted(members)],
        )
        out.conventions_changed.append(cid)


def building_values(building: Building) -> dict[str, Any]:
    """The stored columns of a building (without `updated_ms`): no alarm key, ever."""
    return {
        "name": building.name,
        "commune_id": building.commune,
        "address": building.address,
        "lat": building.location.lat if building.location else None,
        "lon": building.location.lon if building.location else None,
        "alarm_account": building.alarm_account,
        "procedure": json.dumps(building.procedure, ensure_ascii=False),
        "removed_ms": None,
    }


def _zone_rows(building: Building) -> list[tuple[Any, ...]]:
    return [
        (
            z.zone,
            z.name,
            z.preset,
            json.dumps(z.procedure, ensure_ascii=False),
            tuple(z.cameras),
        )
        for z in sorted(building.zones, key=lambda z: z.zone)
    ]


def _stored_zones(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    cams: dict[tuple[str, int], list[str]] = {}
    query = select(zone_cameras).order_by(zone_cameras.c.position)
    for r in conn.execute(query):
        cams.setdefault((r.building_id, r.zone), []).append(r.camera_id)
    out: dict[str, list[tuple[Any, ...]]] = {}
    for r in conn.execute(select(building_zones).order_by(building_zones.c.zone)):
        cam_ids = tuple(cams.get((r.building_id, r.zone), []))
        out.setdefault(r.building_id, []).append((r.zone, r.name, r.preset, r.procedure, cam_ids))
    return out


def _apply_buildings(conn: Connection, site: Site, now_ms: int, out: ApplyResult) -> None:
    """Buildings are kept when they leave the file (their incidents refer to them), as
    cameras are; their zones are replaced whole whenever they differ."""
    stored = {r.id: r for r in conn.execute(select(buildings))}
    zones = _stored_zones(conn)
    # An account may move from one building to another in one edit: free every account
    # that changes first, so the unique constraint never sees it twice.
    wanted_accounts = {b.id: b.alarm_account for b in site.buildings}
    for old in stored.values():
        if old.alarm_account is not None and wanted_accounts.get(old.id) != old.alarm_account:
            conn.execute(
                update(buildings).where(buildings.c.id == old.id).values(alarm_account=None)
            )
    for building in site.buildings:
        wanted, wanted_zones = building_values(building), _zone_rows(building)
        row = stored.get(building.id)
        if (
            row is not None
            and not _differs(row, wanted)
            and zones.get(building.id, []) == wanted_zones
        ):
            continue
        if row is None:
            conn.execute(insert(buildings).values(id=building.id, updated_ms=now_ms, **wanted))
        else:
            conn.execute(
                update(buildings)
                .where(buildings.c.id == building.id)
                .values(updated_ms=now_ms, **wanted)
            )
            conn.execute(delete(zone_cameras).where(zone_cameras.c.building_id == building.id))
            conn.execute(delete(building_zones).where(building_zones.c.building_id == building.id))
        for zone, name, preset, procedure, cam_ids in wanted_zones:
            conn.execute(
                insert(building_zones).values(
                    building_id=building.id,
                    zone=zone,
                    name=name,
                    preset=preset,
                    procedure=procedure,
                )
            )
            for position, camera_id in enumerate(cam_ids):
                conn.execute(
                    insert(zone_cameras).values(
                        building_id=building.id, zone=zone, camera_id=camera_id, position=position
                    )
                )
        out.buildings_changed.append(building.id)
    in_file = {b.id for b in site.buildings}
    for building_id in sorted(set(stored) - in_file):
        if stored[building_id].removed_ms is not None:
            continue
        # Its account is freed: a panel of a removed building is an unknown account.
        conn.execute(
            update(buildings)
            .where(buildings.c.id == building_id)
            .values(removed_ms=now_ms, updated_ms=now_ms, alarm_account=None)
        )
        out.buildings_changed.append(building_id)


__all__ = ["ApplyResult", "apply_site", "camera_stream_credentials"]
