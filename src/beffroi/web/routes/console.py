"""The operator console: the built front end (`frontend/dist`), served on `/`.

The console is a client of the API like any other; these routes serve only its static
files, which hold no data, so they are public (the guard's allow-list names them). The
built files are not committed: `make run` builds them. Without them `/` says how.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

from beffroi.web.deps import public

router = APIRouter(tags=["console"], include_in_schema=False)

# An editable install runs from the repository, where `make run` builds the console.
_REPO_DIST = Path(__file__).resolve().parents[4] / "frontend" / "dist"
CONSOLE_DIR_ENV = "BEFFROI_CONSOLE_DIR"

# Same origin only: no CDN, no tile server unless the site file names one (then the map
# fetches tiles as images, which img-src allows by scheme). Leaflet sets inline styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob: https: http:; media-src 'self' blob:; "
    "connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

NOT_BUILT = """<!doctype html><html lang="fr"><meta charset="utf-8"><title>Beffroi</title>
<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto">
<h1>Console non construite</h1>
<p>Les fichiers de la console (<code>frontend/dist</code>) sont absents. Lancez
<code>make run</code> à la racine du dépôt : la commande les construit puis démarre la
démonstration. L'API reste disponible sur <a href="/docs">/docs</a>.</p>
<p lang="en">The console's files are missing: run <code>make run</code>, which builds them.</p>
</body></html>"""

Public = Annotated[None, Depends(public())]


def console_dir() -> Path:
    return Path(os.environ.get(CONSOLE_DIR_ENV) or _REPO_DIST)


@router.get("/", response_model=None)
@router.get("/incidents/{incident_id}", response_model=None)
def index(_: Public) -> Response:
    """The console's page; `/incidents/N?link=…` is the signed link a notification carries
    (`oncall/links.py`): the page opens that incident after sign-in."""
    page = console_dir() / "index.html"
    if not page.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503, headers=_HEADERS)
    # index.html names the hashed assets of the current build: never cache it.
    return FileResponse(page, headers={**_HEADERS, "Cache-Control": "no-cache"})


@router.get("/assets/{name}", response_model=None)
def asset(name: str, _: Public) -> Response:
    assets = (console_dir() / "assets").resolve()
    path = (assets / name).resolve()
    if path.parent != assets or not path.is_file():
        raise HTTPException(404, detail="not found")
    # Vite names assets by content hash: a name never changes meaning.
    headers = {**_HEADERS, "Cache-Control": "public, max-age=31536000, immutable"}
    return FileResponse(path, headers=headers)
