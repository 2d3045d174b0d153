"""Communes for the map: names, districts and outlines within the user's scope.

A commune outside the caller's scope never appears (not even its outline): an agent
sees the communes he is attached to, widened by their conventions; a patrol agent the
communes of the cameras designated to him.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.site.tables import cameras, communes, districts, map_settings
from beffroi.web.camera_info import Location
from beffroi.web.deps import Ctx, require

router = APIRouter(prefix="/api/communes", tags=["map"])

CameraList = Annotated[Principal, Depends(require(Permission.CAMERA_LIST))]


class Feature(BaseModel):
    type: Literal["Feature"] = "Feature"
    properties: dict[str, Any] = Field(
        description="`commune` (id) and `name`; a district's also has `district`"
    )
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon (WGS 84)")


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature] = Field(description="One feature per district drawn")


class CommuneOut(BaseModel):
    id: str = Field(description="Stable commune identifier, e.g. joue-les-tours")
    name: str = Field(description="Name of the commune")
    insee: str | None = Field(description="INSEE code")
    districts: list[str] = Field(description="The commune's districts, in the site file's order")
    outline: Feature | None = Field(description="The commune's outline; null when not drawn")
    district_outlines: FeatureCollection = Field(
        description="The districts' outlines (those the site's map file draws)"
    )


class Tiles(BaseModel):
    url: str = Field(description="Raster tile address with {z}, {x} and {y}")
    attribution: str | None = Field(description="Credit to show on the map")
    max_zoom: int = Field(description="Largest zoom level the server provides")


class MapOut(BaseModel):
    tiles: Tiles | None = Field(
        description="The tile server the site file names; null: outlines only, no internet"
    )
    center: Location | None = Field(description="Where the map opens; null: fit the communes")
    zoom: int | None = Field(description="Zoom level with `center`")


class CommunesOut(BaseModel):
    communes: list[CommuneOut] = Field(description="The caller's communes, by name")
    map: MapOut = Field(description="How the site file wants the map drawn")


def visible_commune_ids(conn: Connection, principal: Principal) -> frozenset[str] | None:
    """The communes the principal may see; None: all of them (the administrator)."""
    if principal.cameras is None:
        return principal.communes
    query = select(cameras.c.commune_id).where(cameras.c.id.in_(sorted(principal.cameras)))
    own = frozenset(conn.execute(query.distinct()).scalars())
    return own if principal.communes is None else own & principal.communes


def _map_out(conn: Connection) -> MapOut:
    row = conn.execute(select(map_settings).where(map_settings.c.id == 1)).first()
    if row is None:
        return MapOut(tiles=None, center=None, zoom=None)
    tiles = None
    if row.tiles_url:
        tiles = Tiles(
            url=row.tiles_url, attribution=row.tiles_attribution, max_zoom=row.tiles_max_zoom or 19
        )
    center = None
    if row.center_lat is not None and row.center_lon is not None:
        center = Location(lat=row.center_lat, lon=row.center_lon)
    return MapOut(tiles=tiles, center=center, zoom=row.zoom)


@router.get("", response_model=CommunesOut)
def list_communes(ctx: Ctx, principal: CameraList) -> CommunesOut:
    with ctx.engine.connect() as conn:
        scope = visible_commune_ids(conn, principal)
        query = select(communes)
        district_query = select(districts).order_by(districts.c.position)
        if scope is not None:
            query = query.where(communes.c.id.in_(sorted(scope)))
            district_query = district_query.where(districts.c.commune_id.in_(sorted(scope)))
        rows = list(conn.execute(query))
        district_rows = list(conn.execute(district_query))
        settings = _map_out(conn)
    names: dict[str, list[str]] = {}
    shapes: dict[str, list[Feature]] = {}
    by_id = {r.id: r for r in rows}
    for d in district_rows:
        names.setdefault(d.commune_id, []).append(d.name)
        if d.outline and d.commune_id in by_id:
            props = {"commune": d.commune_id, "name": by_id[d.commune_id].name, "district": d.name}
            shapes.setdefault(d.commune_id, []).append(
                Feature(properties=props, geometry=json.loads(d.outline))
            )
    out = [
        CommuneOut(
            id=r.id,
            name=r.name,
            insee=r.insee,
            districts=names.get(r.id, []),
            outline=(
                Feature(
                    properties={"commune": r.id, "name": r.name}, geometry=json.loads(r.outline)
                )
                if r.outline
                else None
            ),
            district_outlines=FeatureCollection(features=shapes.get(r.id, [])),
        )
        for r in sorted(rows, key=lambda r: r.name.casefold())
    ]
    return CommunesOut(communes=out, map=settings)
