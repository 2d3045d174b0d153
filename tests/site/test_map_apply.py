"""Applying the map: outlines, districts, field of view and map settings are stored, a
change is seen as one, and re-applying the same file changes nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from beffroi.clock import FakeClock
from beffroi.site import demo_site_path
from beffroi.site.apply import apply_site
from beffroi.site.camera_rows import get_camera
from beffroi.site.loader import load_site
from beffroi.site.models import Site
from beffroi.site.tables import communes, districts, map_settings
from tests.site.test_map_loading import (
    CENTRE,
    JOUE,
    RABIERE,
    SITE,
    good_districts,
    good_outlines,
    write,
)

TODAY = date(2026, 11, 26)


def site_in(folder: Path, text: str = SITE) -> Site:
    (folder / "site.yaml").write_text(text, encoding="utf-8")
    return load_site(folder / "site.yaml", today=TODAY).site


def prepared(tmp_path: Path) -> Path:
    write(tmp_path, "outlines.geojson", good_outlines())
    write(tmp_path, "districts.geojson", good_districts())
    return tmp_path


def stored(engine: Engine) -> tuple[dict[str, object], list[tuple[object, ...]], object]:
    with engine.connect() as conn:
        outlines = {
            r.id: r.outline and json.loads(r.outline) for r in conn.execute(select(communes))
        }
        rows = [
            (r.commune_id, r.name, r.position, r.outline and json.loads(r.outline))
            for r in conn.execute(
                select(districts).order_by(districts.c.commune_id, districts.c.position)
            )
        ]
        settings = conn.execute(select(map_settings)).one()
    return outlines, rows, settings


def test_apply_stores_the_map_and_the_field_of_view(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    folder = prepared(tmp_path)
    text = SITE.replace(
        "  districts: districts.geojson\n",
        "  districts: districts.geojson\n"
        "  tiles: {url: 'https://tiles.example.fr/{z}/{x}/{y}.png', attribution: '© OSM'}\n"
        "  center: {lat: 47.34, lon: 0.64}\n"
        "  zoom: 13\n",
    )
    result = apply_site(engine, site_in(folder, text), clock)
    assert result.communes_added == ["joue-les-tours", "savonnieres"]
    outlines, rows, settings = stored(engine)
    assert outlines["joue-les-tours"] == JOUE
    assert rows == [
        ("joue-les-tours", "Centre", 0, CENTRE),
        ("joue-les-tours", "La Rabière", 1, RABIERE),
    ]
    assert (settings.tiles_url, settings.tiles_attribution, settings.tiles_max_zoom) == (
        "https://tiles.example.fr/{z}/{x}/{y}.png",
        "© OSM",
        19,
    )
    assert (settings.center_lat, settings.center_lon, settings.zoom) == (47.34, 0.64, 13)
    camera = get_camera(engine, "jlt-001")
    assert camera is not None
    assert (camera.direction, camera.fov_angle, camera.fov_range_m) == (135, 60, 80)

    again = apply_site(engine, site_in(folder, text), clock)
    assert not again.changed


def test_a_changed_district_outline_updates_its_commune(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    folder = prepared(tmp_path)
    apply_site(engine, site_in(folder), clock)
    moved = good_districts()
    moved[1]["geometry"] = CENTRE
    moved[0]["geometry"] = RABIERE
    write(folder, "districts.geojson", moved)
    clock.advance(60)
    result = apply_site(engine, site_in(folder), clock)
    assert result.communes_updated == ["joue-les-tours"]
    _, rows, _ = stored(engine)
    assert [r[3] for r in rows] == [RABIERE, CENTRE]


def test_without_map_section_nothing_is_drawn_and_the_bearing_alone_is_kept(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    folder = prepared(tmp_path)
    apply_site(engine, site_in(folder), clock)
    text = SITE.replace("map:\n  outlines: outlines.geojson\n  districts: districts.geojson\n", "")
    text = text.replace("field_of_view: {bearing: 135, angle: 60, range_m: 80}", "direction: 90")
    result = apply_site(engine, site_in(folder, text), clock)
    assert result.communes_updated == ["joue-les-tours", "savonnieres"]
    assert result.cameras_updated == ["jlt-001"]
    outlines, rows, settings = stored(engine)
    assert outlines == {"joue-les-tours": None, "savonnieres": None}
    # The district names stay (the API lists them); they are only not drawn.
    assert [(r[1], r[3]) for r in rows] == [("Centre", None), ("La Rabière", None)]
    assert settings.tiles_url is None and settings.center_lat is None
    camera = get_camera(engine, "jlt-001")
    assert camera is not None
    assert (camera.direction, camera.fov_angle, camera.fov_range_m) == (90, None, None)


def test_demo_site_stores_every_outline(engine: Engine, clock: FakeClock) -> None:
    apply_site(engine, load_site(demo_site_path(), today=TODAY).site, clock)
    outlines, rows, settings = stored(engine)
    assert all(o is not None for o in outlines.values()) and len(outlines) == 6
    assert len(rows) == 23 and all(r[3] is not None for r in rows)
    assert settings.tiles_url is None
