"""The site file's `map` section: what the console's map draws, all of it offline.

The outlines of the communes and of their districts are GeoJSON files shipped with the
site file; they are read and checked by `beffroi.site.geojson` when the file is loaded.
A raster tile server is used only when the file names one: city networks are often
closed to the internet, and the map must work without it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from beffroi.site.fields import Location, _check_http_url, _Strict

_TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")


def _check_tile_url(value: str) -> str:
    missing = [p for p in _TILE_PLACEHOLDERS if p not in value]
    if missing:
        raise ValueError(
            f"'{value}' is not a tile address: it must contain {{z}}, {{x}} and {{y}} "
            f"(missing {', '.join(missing)}), e.g. https://tiles.example.fr/{{z}}/{{x}}/{{y}}.png"
        )
    return _check_http_url(value)


def _check_geojson_name(value: str) -> str:
    if not value.lower().endswith((".geojson", ".json")):
        raise ValueError(
            f"'{value}' is not a GeoJSON file name: it ends in .geojson or .json "
            "(e.g. communes.geojson)"
        )
    return value


GeoJsonFile = Annotated[
    str, Field(min_length=1, max_length=500), AfterValidator(_check_geojson_name)
]


class TileServer(_Strict):
    url: Annotated[str, Field(max_length=500), AfterValidator(_check_tile_url)] = Field(
        description="Address of the raster tiles, with {z}, {x} and {y}: "
        "https://tiles.example.fr/{z}/{x}/{y}.png. Fetched by the operators' browsers."
    )
    attribution: Annotated[str, Field(max_length=300)] | None = Field(
        default=None,
        description="Credit shown in the map's corner, as the tiles' licence requires "
        "(e.g. © OpenStreetMap contributors).",
    )
    max_zoom: int = Field(
        default=19, ge=1, le=22, description="Largest zoom level the server provides."
    )


class MapSettings(_Strict):
    outlines: GeoJsonFile | None = Field(
        default=None,
        description="GeoJSON file of the communes' outlines, relative to the site file: "
        "one Polygon or MultiPolygon feature per commune, found by its `properties.id` "
        "(the commune's id) or `properties.insee` / `properties.code` (its INSEE code).",
    )
    districts: GeoJsonFile | None = Field(
        default=None,
        description="GeoJSON file of the districts' outlines, relative to the site file: "
        "one Polygon or MultiPolygon feature per district, with `properties.commune` (the "
        "commune's id) and `properties.name` (one of that commune's districts).",
    )
    tiles: TileServer | None = Field(
        default=None,
        description="A raster tile server drawn under the outlines: {url, attribution, "
        "max_zoom}. Without it the map shows the outlines alone and needs no internet.",
    )
    center: Location | None = Field(
        default=None,
        description="Where the map opens, e.g. {lat: 47.345, lon: 0.66}, for the users "
        "whose communes surround it; otherwise (and by default) the map fits the user's "
        "communes.",
    )
    zoom: int | None = Field(
        default=None,
        ge=1,
        le=22,
        description="Zoom level the map opens at, with `center` (13 shows a town).",
    )
