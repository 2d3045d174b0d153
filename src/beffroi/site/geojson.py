"""The map's GeoJSON files: read next to the site file, checked, tied to the communes.

Each problem names the GeoJSON file, the line and the feature (`features[3]`, with the
commune or district it is meant for), the way the rest of the site file is checked. An
outline that is merely missing, or a camera standing outside its commune's outline (a
latitude and longitude swapped, most often), is a warning: the map still works.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node

from beffroi.site.checks import Report, did_you_mean, entries, format_path, text
from beffroi.site.problems import Problem
from beffroi.site.yamltree import PathItem, locate

Geometry = dict[str, Any]
_POLYGONS = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class MapData:
    """The outlines read from the site's GeoJSON files, ready to store."""

    # Commune id -> its outline (a GeoJSON Polygon or MultiPolygon geometry).
    outlines: dict[str, Geometry] = field(default_factory=dict)
    # (commune id, district name) -> the district's outline.
    districts: dict[tuple[str, str], Geometry] = field(default_factory=dict)


class _GeoFile:
    """One GeoJSON file being checked: its problems carry its name and lines."""

    def __init__(self, path: Path, text: str, report: Report) -> None:
        self.path, self.text, self.report = path, text, report
        self._root: Node | None = None
        self._composed = False

    def line(self, where: Sequence[PathItem]) -> int | None:
        # Lines are only looked for when something is wrong: JSON is (nearly) YAML, so
        # the YAML composer, which keeps positions, finds them.
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self.text, Loader=yaml.SafeLoader)
            except yaml.YAMLError:
                self._root = None
        return locate(self._root, where)

    def add(
        self,
        where: Sequence[PathItem],
        message: str,
        subject: str | None = None,
    ) -> None:
        self.report.problems.append(
            Problem(
                file=str(self.path),
                line=self.line(where),
                field=format_path(where),
                message=message,
                subject=subject,
            )
        )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ring_problem(ring: Any) -> tuple[list[PathItem], str] | None:
    if not isinstance(ring, list):
        return [], "a ring must be a list of [longitude, latitude] positions"
    if len(ring) < 4:
        return (
            [],
            f"a ring needs at least 4 positions (the last repeating the first), not {len(ring)}",
        )
    for k, pos in enumerate(ring):
        if not isinstance(pos, list) or len(pos) < 2 or not all(map(_number, pos)):
            return [k], f"a position is [longitude, latitude] in numbers (got {json.dumps(pos)})"
        lon, lat = pos[0], pos[1]
        if not -180 <= lon <= 180:
            return [k], f"longitude {lon} is outside -180..180"
        if not -90 <= lat <= 90:
            return [k], f"latitude {lat} is outside -90..90"
    if ring[0][:2] != ring[-1][:2]:
        return [len(ring) - 1], "the ring is not closed: its last position must repeat the first"
    return None


def _polygon_problem(rings: Any) -> tuple[list[PathItem], str] | None:
    if not isinstance(rings, list) or not rings:
        return [], "a Polygon is a list of rings (the outline, then any holes)"
    for j, ring in enumerate(rings):
        found = _ring_problem(ring)
        if found is not None:
            return [j, *found[0]], found[1]
    return None


def geometry_problem(geometry: Any) -> tuple[list[PathItem], str] | None:
    """(path under the geometry, message) of the first thing wrong with it, or None."""
    if not isinstance(geometry, dict):
        return [], "the feature has no geometry: give a Polygon or a MultiPolygon"
    kind = geometry.get("type")
    if kind not in _POLYGONS:
        return ["type"], f"the geometry is a {kind}: an outline is a Polygon or a MultiPolygon"
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        found = _polygon_problem(coords)
        return (["coordinates", *found[0]], found[1]) if found else None
    if not isinstance(coords, list) or not coords:
        return ["coordinates"], "a MultiPolygon is a list of Polygons"
    for i, polygon in enumerate(coords):
        found = _polygon_problem(polygon)
        if found is not None:
            return ["coordinates", i, *found[0]], found[1]
    return None


def _in_ring(lon: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    for (x1, y1, *_), (x2, y2, *_) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def contains(geometry: Geometry, lon: float, lat: float) -> bool:
    """Whether a (valid) Polygon or MultiPolygon holds the point; holes excluded."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    for outer, *holes in polygons:
        if _in_ring(lon, lat, outer) and not any(_in_ring(lon, lat, h) for h in holes):
            return True
    return False


def _read(report: Report, key: str, base_dir: Path) -> tuple[_GeoFile, list[Any]] | None:
    """The features of the file `map.<key>` names, or None (the problem is reported)."""
    settings = report.data.get("map") if isinstance(report.data, dict) else None
    name = settings.get(key) if isinstance(settings, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None  # absent, or refused by the schema already
    path = base_dir / name.strip()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        report.add(("map", key), f"cannot read {path}: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add(("map", key), f"{path} is not UTF-8 text: save it as UTF-8")
        return None
    geo = _GeoFile(path, text, report)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        report.problems.append(
            Problem(
                str(path),
                exc.lineno,
                "",
                f"JSON syntax error at column {exc.colno}: {exc.msg}",
                column=exc.colno,
            )
        )
        return None
    if isinstance(value, dict) and value.get("type") == "Feature":
        return geo, [value]
    if not (isinstance(value, dict) and value.get("type") == "FeatureCollection"):
        got = value.get("type") if isinstance(value, dict) else type(value).__name__
        geo.add([], f"expected a GeoJSON FeatureCollection, found {got}")
        return None
    features = value.get("features")
    if not isinstance(features, list):
        geo.add(["features"], "a FeatureCollection has a list of features")
        return None
    return geo, features


def _props(feature: Any) -> dict[str, Any]:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props if isinstance(props, dict) else {}


def _valid_feature(geo: _GeoFile, i: int, feature: Any, subject: str | None) -> bool:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        geo.add(["features", i], 'each entry of features is a {"type": "Feature", ...}', subject)
        return False
    found = geometry_problem(feature.get("geometry"))
    if found is not None:
        geo.add(["features", i, "geometry", *found[0]], found[1], subject)
        return False
    return True


def _communes(data: Any) -> tuple[dict[str, list[str]], dict[str, str], dict[str, str]]:
    """(id -> districts, INSEE code -> id, id -> name) of the site's communes."""
    districts: dict[str, list[str]] = {}
    by_insee: dict[str, str] = {}
    names: dict[str, str] = {}
    for _, entry in entries(data, "communes"):
        ident = text(entry.get("id"))
        if ident is None or ident in districts:
            continue
        listed = entry.get("districts")
        districts[ident] = [str(d) for d in listed] if isinstance(listed, list) else []
        names[ident] = text(entry.get("name")) or ident
        insee = text(entry.get("insee"))
        if insee:
            by_insee[insee] = ident
    return districts, by_insee, names


def _read_outlines(report: Report, base_dir: Path, out: MapData) -> None:
    read = _read(report, "outlines", base_dir)
    if read is None:
        return
    geo, features = read
    districts, by_insee, names = _communes(report.data)
    first: dict[str, int] = {}
    for i, feature in enumerate(features):
        props = _props(feature)
        ident = text(props.get("id"))
        insee = text(props.get("insee")) or text(props.get("code"))
        commune = ident if ident in districts else by_insee.get(insee or "")
        if not _valid_feature(geo, i, feature, commune or ident):
            continue
        if commune is None:
            if ident is not None:
                geo.add(
                    ["features", i, "properties", "id"],
                    f"no commune of the site file has the id '{ident}'"
                    f"{did_you_mean(ident, list(districts))}",
                    ident,
                )
            elif insee is not None:
                geo.add(
                    ["features", i, "properties"],
                    f"no commune of the site file has the INSEE code {insee}",
                    insee,
                )
            else:
                geo.add(
                    ["features", i, "properties"],
                    "the feature names no commune: give properties.id (the commune's id, "
                    "e.g. joue-les-tours) or properties.insee",
                )
            continue
        if commune in first:
            geo.add(
                ["features", i],
                f"{commune} already has an outline (features[{first[commune]}]): keep one, "
                "or join them in a MultiPolygon",
                commune,
            )
            continue
        first[commune] = i
        out.outlines[commune] = feature["geometry"]
    for commune in districts:
        if commune not in out.outlines:
            report.warn(
                ("map", "outlines"),
                f"no outline for {names[commune]} ({commune}) in {geo.path.name}: the "
                "commune is not drawn on the map",
            )


def _read_districts(report: Report, base_dir: Path, out: MapData) -> None:
    read = _read(report, "districts", base_dir)
    if read is None:
        return
    geo, features = read
    districts, _, names = _communes(report.data)
    first: dict[tuple[str, str], int] = {}
    for i, feature in enumerate(features):
        props = _props(feature)
        commune, name = text(props.get("commune")), text(props.get("name"))
        if not _valid_feature(geo, i, feature, name):
            continue
        where: list[PathItem] = ["features", i, "properties"]
        if commune is None or name is None:
            geo.add(
                where,
                "a district names its commune and itself: properties.commune (the "
                "commune's id) and properties.name (one of its districts)",
                name,
            )
        elif commune not in districts:
            geo.add(
                [*where, "commune"],
                f"no commune of the site file has the id '{commune}'"
                f"{did_you_mean(commune, list(districts))}",
                name,
            )
        elif name not in districts[commune]:
            listed = ", ".join(districts[commune]) or "none are listed under `communes`"
            geo.add(
                [*where, "name"],
                f"'{name}' is not one of the districts of {commune}"
                f"{did_you_mean(name, districts[commune])}: {listed}",
                name,
            )
        elif (commune, name) in first:
            geo.add(
                ["features", i],
                f"{name} ({commune}) already has an outline (features[{first[commune, name]}])",
                name,
            )
        else:
            first[commune, name] = i
            out.districts[commune, name] = feature["geometry"]
    for commune_id, declared in districts.items():
        missing = [d for d in declared if (commune_id, d) not in out.districts]
        if missing:
            report.warn(
                ("map", "districts"),
                f"no outline in {geo.path.name} for the districts {', '.join(missing)} of "
                f"{names[commune_id]}: they are not drawn on the map",
            )


def _check_camera_places(report: Report, out: MapData) -> None:
    """A camera outside its commune's (or district's) outline is most often a latitude
    and a longitude swapped or mistyped: the map would show it elsewhere."""
    for i, cam in entries(report.data, "cameras"):
        loc = cam.get("location")
        commune, district = text(cam.get("commune")), text(cam.get("district"))
        if not isinstance(loc, dict) or commune is None:
            continue
        if not (_number(loc.get("lat")) and _number(loc.get("lon"))):
            continue
        lat, lon = float(loc["lat"]), float(loc["lon"])
        outline = out.outlines.get(commune)
        if outline is not None and not contains(outline, lon, lat):
            report.warn(
                ("cameras", i, "location"),
                f"({lat}, {lon}) lies outside the outline of {commune}: check the "
                "coordinates (latitude first, then longitude)",
            )
            continue
        zone = out.districts.get((commune, district or ""))
        if zone is not None and not contains(zone, lon, lat):
            report.warn(
                ("cameras", i, "location"),
                f"({lat}, {lon}) lies outside the outline of the district {district}",
            )


def read_map_files(report: Report, base_dir: Path) -> MapData:
    """Read and check the GeoJSON files the site's `map` section names (relative to
    `base_dir`, the site file's folder); problems go to `report`."""
    out = MapData()
    _read_outlines(report, base_dir, out)
    _read_districts(report, base_dir, out)
    _check_camera_places(report, out)
    return out


__all__ = ["MapData", "contains", "geometry_problem", "read_map_files"]
