"""Legal minima of resolution and frame rate (arrêté du 3 août 2007, art. 2), as the API
shows them. The values themselves belong to the site model (`site.models.legal_minima`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from beffroi.site.models import legal_minima as site_legal_minima

# A measured frame rate wobbles around the configured one (11.96 fps for a 12 fps
# camera): tolerate that much before calling a camera below its minimum.
FPS_TOLERANCE = 0.25


class LegalMinima(BaseModel):
    width: int = Field(description="Minimum picture width in pixels")
    height: int = Field(description="Minimum picture height in pixels")
    fps: float = Field(description="Minimum frame rate, frames per second")


def legal_minima(view: str) -> LegalMinima:
    """Close-up cameras need 704×576 at 12 fps; general and traffic views 352×288 at 6.

    A view the site model does not know (a database written by a newer version) gets the
    strictest minima: better a camera flagged for review than one silently passed."""
    try:
        width, height, fps = site_legal_minima(view)
    except ValueError:
        width, height, fps = site_legal_minima("close-up")
    return LegalMinima(width=width, height=height, fps=fps)


def below_minima(
    minima: LegalMinima, width: int | None, height: int | None, fps: float | None
) -> bool:
    """True when a measured value is known and below the minimum; unknown is not below
    (a camera that is not recording is reported by its status, not by this flag)."""
    if width is not None and height is not None:
        # A portrait-mounted camera still has the pixels: compare the sorted sides.
        big, small = max(width, height), min(width, height)
        if big < max(minima.width, minima.height) or small < min(minima.width, minima.height):
            return True
    return fps is not None and fps < minima.fps - FPS_TOLERANCE
