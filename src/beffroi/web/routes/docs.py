"""The interactive API documentation on `/docs`, from files installed with Beffroi.

FastAPI's default page loads Swagger UI from a CDN: a browser in the supervision
centre would fetch scripts from the Internet into a page that holds its session, and a
centre without Internet would get a blank page. The same Swagger UI ships in the
`swagger-ui-bundle` wheel; these routes serve its files (no data: public, like the
console's). ReDoc has no such package: `/redoc` is off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from beffroi.web.deps import public

router = APIRouter(tags=["docs"], include_in_schema=False)
Public = Annotated[None, Depends(public())]

ASSETS = Path(swagger_ui_path)
SERVED = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})
# The page's one inline script starts Swagger UI; everything else comes from here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
)


@router.get("/docs", response_class=HTMLResponse)
def docs(_: Public) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Beffroi — API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    )
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


@router.get("/docs/assets/{name}", response_model=None)
def asset(name: str, _: Public) -> FileResponse:
    if name not in SERVED:
        raise HTTPException(404, detail="not found")
    return FileResponse(ASSETS / name, headers={"Cache-Control": "public, max-age=86400"})
