"""The site file's `map` section and cameras' field of view: GeoJSON files read next to
the site file, every problem named by file, line, feature and field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from beffroi.site import demo_site_path
from beffroi.site.geojson import contains
from beffroi.site.loader import LoadedSite, load_site
from beffroi.site.problems import Problem, SiteError

TODAY = date(2026, 11, 26)

SITE = """\
communes:
  - id: joue-les-tours
    name: Joué-lès-Tours
    insee: "37122"
    districts: [Centre, La Rabière]
  - id: savonnieres
    name: Savonnières
    insee: "37243"
map:
  outlines: outlines.geojson
  districts: districts.geojson
cameras:
  - id: jlt-001
    name: Place François Mitterrand
    commune: joue-les-tours
    district: Centre
    location: {lat: 47.35, lon: 0.65}
    field_of_view: {bearing: 135, angle: 60, range_m: 80}
    stream: rtsp://127.0.0.1:8554/cam0
    authorisation: {reference: "2019-37-0042", expires: 2029-06-30}
"""  # `map:` is line 9, the camera's location line 17, field_of_view line 18


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict[str, Any]:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(props: dict[str, Any], geometry: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


JOUE = square(0.62, 47.30, 0.70, 47.37)
SAVONNIERES = square(0.50, 47.31, 0.57, 47.37)
CENTRE = square(0.64, 47.34, 0.67, 47.355)
RABIERE = square(0.665, 47.355, 0.68, 47.36)


def write(folder: Path, name: str, features: list[dict[str, Any]]) -> None:
    # One feature per line, so a feature's line is known: features[i] is on line i + 4.
    body = ",\n".join(json.dumps(f) for f in features)
    text = '{\n"type": "FeatureCollection",\n"features": [\n' + body + "\n]\n}\n"
    (folder / name).write_text(text, encoding="utf-8")


def good_outlines() -> list[dict[str, Any]]:
    return [
        feature({"id": "joue-les-tours", "name": "Joué-lès-Tours"}, JOUE),
        # Found by its INSEE code, as in the State's open data (geo.api.gouv.fr: `code`).
        feature({"code": "37243", "nom": "Savonnières"}, SAVONNIERES),
    ]


def good_districts() -> list[dict[str, Any]]:
    return [
        feature({"commune": "joue-les-tours", "name": "Centre"}, CENTRE),
        feature({"commune": "joue-les-tours", "name": "La Rabière"}, RABIERE),
    ]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path, "outlines.geojson", good_outlines())
    write(tmp_path, "districts.geojson", good_districts())
    return tmp_path


def load(folder: Path, text: str = SITE) -> LoadedSite:
    (folder / "site.yaml").write_text(text, encoding="utf-8")
    return load_site(folder / "site.yaml", today=TODAY)


def errors(folder: Path, text: str = SITE) -> list[Problem]:
    with pytest.raises(SiteError) as info:
        load(folder, text)
    return info.value.problems


def test_outlines_and_districts_are_read_relative_to_the_site_file(folder: Path) -> None:
    loaded = load(folder)
    assert loaded.warnings == []
    geo = loaded.site.map_data
    assert geo is not None
    assert geo.outlines == {"joue-les-tours": JOUE, "savonnieres": SAVONNIERES}
    assert geo.districts == {
        ("joue-les-tours", "Centre"): CENTRE,
        ("joue-les-tours", "La Rabière"): RABIERE,
    }
    cam = loaded.site.cameras[0]
    assert cam.field_of_view is not None
    assert (cam.bearing, cam.field_of_view.angle, cam.field_of_view.range_m) == (135, 60, 80)
    assert loaded.site.map.tiles is None  # none named: the map fetches nothing


def test_missing_outline_and_districts_are_warnings_located_in_the_site_file(
    folder: Path,
) -> None:
    write(folder, "outlines.geojson", good_outlines()[:1])
    write(folder, "districts.geojson", good_districts()[:1])
    loaded = load(folder)
    assert [(w.line, w.field, w.message) for w in loaded.warnings] == [
        (
            10,
            "map.outlines",
            "no outline for Savonnières (savonnieres) in outlines.geojson: the commune is "
            "not drawn on the map",
        ),
        (
            11,
            "map.districts",
            "no outline in districts.geojson for the districts La Rabière of Joué-lès-Tours: "
            "they are not drawn on the map",
        ),
    ]


def test_a_camera_outside_its_commune_outline_is_a_warning(folder: Path) -> None:
    swapped = SITE.replace("{lat: 47.35, lon: 0.65}", "{lat: 0.65, lon: 47.35}")
    # Latitude and longitude swapped: the camera would sit in the Indian Ocean.
    [warning] = load(folder, swapped).warnings
    assert (warning.line, warning.field, warning.subject) == (17, "cameras[0].location", "jlt-001")
    assert "outside the outline of joue-les-tours" in warning.message
    [warning] = load(folder, SITE.replace("lon: 0.65}", "lon: 0.69}")).warnings
    assert "outside the outline of the district Centre" in warning.message


def test_a_missing_file_is_named_at_its_line(folder: Path) -> None:
    (folder / "districts.geojson").unlink()
    [problem] = errors(folder)
    assert (problem.line, problem.field) == (11, "map.districts")
    assert problem.message.startswith(f"cannot read {folder / 'districts.geojson'}: ")


def test_json_syntax_error_gives_the_geojson_file_line_and_column(folder: Path) -> None:
    (folder / "outlines.geojson").write_text('{\n  "type": "FeatureCollection",\n  "features": [\n')
    [problem] = errors(folder)
    assert problem.file == str(folder / "outlines.geojson")
    assert problem.line == 4 and "JSON syntax error" in problem.message


@pytest.mark.parametrize(
    ("geometry", "field", "message"),
    [
        (
            {"type": "Point", "coordinates": [0.6, 47.3]},
            "features[1].geometry.type",
            "the geometry is a Point: an outline is a Polygon or a MultiPolygon",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0.6, 47.3], [0.7, 47.3], [0.7, 47.4]]]},
            "features[1].geometry.coordinates[0]",
            "a ring needs at least 4 positions (the last repeating the first), not 3",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[0.6, 47.3], [0.7, 47.3], [0.7, 47.4], [0.6, 47.4]]],
            },
            "features[1].geometry.coordinates[0][3]",
            "the ring is not closed: its last position must repeat the first",
        ),
        (
            {
                "type": "MultiPolygon",
                "coordinates": [
                    JOUE["coordinates"],
                    [[[0.6, 47.3], [200, 47.3], [0.7, 47.4], [0.6, 47.3]]],
                ],
            },
            "features[1].geometry.coordinates[1][0][1]",
            "longitude 200 is outside -180..180",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[0.6, "47.3"], [0.7, 47.3], [0.7, 47.4], [0.6, 47.3]]],
            },
            "features[1].geometry.coordinates[0][0]",
            'a position is [longitude, latitude] in numbers (got [0.6, "47.3"])',
        ),
    ],
)
def test_bad_geometry_names_file_line_feature_and_commune(
    folder: Path, geometry: dict[str, Any], field: str, message: str
) -> None:
    features = good_outlines()
    features[1] = feature({"id": "savonnieres"}, geometry)
    write(folder, "outlines.geojson", features)
    [problem] = errors(folder)
    assert problem.file == str(folder / "outlines.geojson")
    assert (problem.line, problem.field, problem.subject) == (5, field, "savonnieres")
    assert problem.message == message
    assert str(problem).startswith(f"{folder / 'outlines.geojson'}:5: {field} (savonnieres): ")


def test_features_must_name_known_communes_and_districts(folder: Path) -> None:
    write(
        folder,
        "outlines.geojson",
        [*good_outlines(), feature({"id": "joue-les-tour"}, JOUE), feature({}, JOUE)],
    )
    write(
        folder,
        "districts.geojson",
        [
            *good_districts(),
            feature({"commune": "joue-les-tours", "name": "Rabière"}, RABIERE),
            feature({"commune": "tours", "name": "Centre"}, CENTRE),
            feature({"commune": "joue-les-tours", "name": "Centre"}, CENTRE),
        ],
    )
    problems = errors(folder)
    got = [(p.file.rsplit("/", 1)[-1], p.line, p.field, p.message) for p in problems]
    assert (
        "outlines.geojson",
        6,
        "features[2].properties.id",
        "no commune of the site file has the id 'joue-les-tour' (did you mean 'joue-les-tours'?)",
    ) in got
    assert (
        "outlines.geojson",
        7,
        "features[3].properties",
        "the feature names no commune: give properties.id (the commune's id, e.g. "
        "joue-les-tours) or properties.insee",
    ) in got
    assert (
        "districts.geojson",
        6,
        "features[2].properties.name",
        "'Rabière' is not one of the districts of joue-les-tours (did you mean 'La Rabière'?): "
        "Centre, La Rabière",
    ) in got
    assert (
        "districts.geojson",
        7,
        "features[3].properties.commune",
        "no commune of the site file has the id 'tours'",
    ) in got
    assert (
        "districts.geojson",
        8,
        "features[4]",
        "Centre (joue-les-tours) already has an outline (features[0])",
    ) in got
    assert len(problems) == 5


def test_map_settings_are_checked_at_their_line(folder: Path) -> None:
    text = SITE.replace(
        "  districts: districts.geojson\n",
        "  districts: districts.geojson\n"
        "  tiles: {url: 'https://tiles.example.fr/{z}/{x}.png'}\n"
        "  center: {lat: 47.3, lon: 0.6}\n"
        "  zom: 13\n",
    )
    problems = errors(folder, text)
    assert [(p.line, p.field) for p in problems] == [(12, "map.tiles.url"), (14, "map.zom")]
    assert "must contain {z}, {x} and {y} (missing {y})" in problems[0].message
    assert "unknown key 'zom' (did you mean 'zoom'?)" in problems[1].message


def test_tile_server_only_when_named(folder: Path) -> None:
    text = SITE.replace(
        "  districts: districts.geojson\n",
        "  districts: districts.geojson\n"
        "  tiles: {url: 'https://tiles.example.fr/{z}/{x}/{y}.png', attribution: '© OSM'}\n"
        "  center: {lat: 47.3, lon: 0.6}\n"
        "  zoom: 13\n",
    )
    site = load(folder, text).site
    assert site.map.tiles is not None
    assert (site.map.tiles.url, site.map.tiles.max_zoom) == (
        "https://tiles.example.fr/{z}/{x}/{y}.png",
        19,
    )
    assert site.map.center is not None and site.map.zoom == 13


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        (
            "{bearing: 400}",
            "cameras[0].field_of_view.bearing",
            "400 is too large: the maximum is 360",
        ),
        ("{angle: 60}", "cameras[0].field_of_view.bearing", "'bearing' is required but missing"),
        ("{bearing: 90, range: 80}", "cameras[0].field_of_view.range", "unknown key 'range'"),
        ("{bearing: 90, angle: 0}", "cameras[0].field_of_view.angle", "0 is too small"),
        ("south", "cameras[0].field_of_view", "must be a group of keys"),
    ],
)
def test_bad_field_of_view_names_line_and_field(
    folder: Path, value: str, field: str, message: str
) -> None:
    text = SITE.replace("{bearing: 135, angle: 60, range_m: 80}", value)
    [problem] = errors(folder, text)
    assert (problem.line, problem.field, problem.subject) == (18, field, "jlt-001")
    assert message in problem.message


def test_direction_is_the_short_form_of_the_bearing_not_a_second_one(folder: Path) -> None:
    short = SITE.replace("field_of_view: {bearing: 135, angle: 60, range_m: 80}", "direction: 135")
    cam = load(folder, short).site.cameras[0]
    assert (cam.bearing, cam.field_of_view) == (135, None)
    both = SITE.replace("    field_of_view:", "    direction: 90\n    field_of_view:")
    [problem] = errors(folder, both)
    assert (problem.line, problem.field) == (18, "cameras[0].direction")
    assert "given twice" in problem.message


def test_demo_map_draws_every_commune_and_district_around_its_cameras() -> None:
    loaded = load_site(demo_site_path(), today=TODAY)
    site, geo = loaded.site, loaded.site.map_data
    assert geo is not None and site.map.tiles is None  # offline: no tile server
    assert set(geo.outlines) == {c.id for c in site.communes}
    assert set(geo.districts) == {(c.id, d) for c in site.communes for d in c.districts}
    for camera in site.cameras:
        assert camera.location is not None and camera.field_of_view is not None
        assert camera.field_of_view.angle and camera.field_of_view.range_m
        lon, lat = camera.location.lon, camera.location.lat
        assert contains(geo.outlines[camera.commune], lon, lat), camera.id
        assert contains(geo.districts[camera.commune, camera.district or ""], lon, lat)
    # Each district lies within its commune (its corners, at least) and they do not
    # overlap: a point of one district is in no other of the commune.
    for (commune, name), shape in geo.districts.items():
        ring = shape["coordinates"][0]
        cx = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        cy = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        assert contains(geo.outlines[commune], cx, cy), name
        others = [n for (c, n), s in geo.districts.items() if c == commune and contains(s, cx, cy)]
        assert others == [name]
