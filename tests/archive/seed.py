"""Minimal site rows for archive tests (the site package has its own, richer tests)."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from beffroi.site.tables import cameras, communes


def add_cameras(engine: Engine, *camera_ids: str, retention_s: int = 15 * 86400) -> None:
    with engine.begin() as conn:
        if conn.execute(select(communes.c.id)).first() is None:
            conn.execute(insert(communes).values(id="joue-les-tours", name="Joué", updated_ms=0))
        for cid in camera_ids:
            conn.execute(
                insert(cameras).values(
                    id=cid,
                    name=cid,
                    commune_id="joue-les-tours",
                    stream_url=f"rtsp://127.0.0.1:8554/{cid}",
                    retention_s=retention_s,
                    view="general",
                    enabled=True,
                    updated_ms=0,
                )
            )
