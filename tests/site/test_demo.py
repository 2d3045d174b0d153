"""The demo site: valid, only the expected warning, cameras inside their communes."""

import itertools
import json
from datetime import date

from sqlalchemy import Engine

from beffroi.clock import FakeClock
from beffroi.site import demo_communes_geojson_path, demo_site_path
from beffroi.site.apply import apply_site
from beffroi.site.camera_rows import active_cameras
from beffroi.site.loader import load_site


def inside(point: tuple[float, float], ring: list[list[float]]) -> bool:
    """Ray casting: is (lon, lat) inside the closed ring?"""
    x, y = point
    result = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


def test_demo_site_validates_with_only_the_expiring_authorisation() -> None:
    loaded = load_site(demo_site_path(), today=date(2026, 11, 26))
    site = loaded.site
    assert [c.insee for c in site.communes] == [
        "37122",
        "37050",
        "37208",
        "37018",
        "37243",
        "37100",
    ]
    assert len(site.cameras) == 12
    assert [c.stream for c in site.cameras] == [f"rtsp://127.0.0.1:8554/cam{i}" for i in range(12)]
    per_commune = [sum(c.commune == k.id for c in site.cameras) for k in site.communes]
    assert per_commune == [5, 2, 2, 2, 1, 0]
    assert {c.view for c in site.cameras} == {"close-up", "general", "traffic"}
    [warning] = loaded.warnings
    assert warning.subject == "sta-001" and "expires on 2027-01-20" in warning.message
    # Druye is outside the shared centre: its agents see none of the five communes.
    assert (
        set(site.conventions[0].communes)
        == {c.id for c in site.communes} - {"druye"}
        == {
            "joue-les-tours",
            "chambray-les-tours",
            "saint-avertin",
            "ballan-mire",
            "savonnieres",
        }
    )


def test_demo_cameras_lie_inside_their_commune_outline() -> None:
    site = load_site(demo_site_path(), today=date(2026, 11, 26)).site
    geo = json.loads(demo_communes_geojson_path().read_text(encoding="utf-8"))
    rings = {f["properties"]["id"]: f["geometry"]["coordinates"][0] for f in geo["features"]}
    assert set(rings) == {c.id for c in site.communes}
    names = {f["properties"]["id"]: f["properties"]["name"] for f in geo["features"]}
    assert names["joue-les-tours"] == "Joué-lès-Tours"
    for ring in rings.values():
        assert ring[0] == ring[-1] and len(ring) >= 12
    for camera in site.cameras:
        assert camera.location is not None
        point = (camera.location.lon, camera.location.lat)
        homes = [cid for cid, ring in rings.items() if inside(point, ring)]
        assert homes == [camera.commune], camera.id


def test_demo_site_applies(engine: Engine, clock: FakeClock) -> None:
    site = load_site(demo_site_path(), today=date(2026, 11, 26)).site
    result = apply_site(engine, site, clock)
    assert len(result.cameras_added) == 12 and len(result.communes_added) == 6
    rows = active_cameras(engine)
    assert [r.id for r in rows][:2] == ["bmi-001", "bmi-002"]
    assert all(r.retention_s <= 30 * 86400 for r in rows)
