"""Turn the readers' errors (FFmpeg's, and ours: `ingest/rtsp`) into reasons an
administrator can act on."""

from __future__ import annotations

import errno
import re

import av

from beffroi.ingest.rtsp.client import RtspError, RtspStatusError
from beffroi.ingest.rtsp.session import EndOfStream, StreamStalled
from beffroi.ingest.state import Reason

_CREDENTIALS = re.compile(r"(rtsps?://)[^/@\s']*@")


def scrub(text: str) -> str:
    """FFmpeg puts the URL, password included, in its messages: never show it."""
    return _CREDENTIALS.sub(r"\1***@", text)


class CameraRefused(Exception):
    """The camera answered, but with nothing we can record (no video, another codec)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


# RTSP statuses of our reader; FFmpeg's come as its own exception types below.
_STATUS_REASONS = {
    401: Reason.UNAUTHORIZED,
    403: Reason.UNAUTHORIZED,
    404: Reason.NOT_FOUND,
    461: Reason.TRANSPORT_REFUSED,
}


def classify(exc: BaseException) -> tuple[Reason, str]:
    detail = scrub(str(exc))[:300]
    if isinstance(exc, CameraRefused):
        return exc.reason, detail
    if isinstance(exc, RtspStatusError):
        return _STATUS_REASONS.get(exc.status, Reason.STREAM_ERROR), detail
    if isinstance(exc, StreamStalled):
        return Reason.STALLED, detail
    if isinstance(exc, EndOfStream):
        return Reason.STREAM_ENDED, detail
    if isinstance(exc, RtspError):
        return Reason.STREAM_ERROR, detail
    if isinstance(exc, TimeoutError) and getattr(exc, "errno", None) is None:
        return Reason.UNREACHABLE, detail or "connection timed out"
    if isinstance(exc, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        return Reason.UNAUTHORIZED, detail
    if isinstance(exc, av.error.HTTPNotFoundError):
        return Reason.NOT_FOUND, detail
    code = getattr(exc, "errno", None)
    if isinstance(exc, ConnectionRefusedError) or code in (
        errno.ECONNREFUSED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
    ):
        return Reason.UNREACHABLE, detail
    if isinstance(exc, av.error.ExitError) or (code == errno.EIO and "timed out" in detail):
        return Reason.STALLED, detail
    if code == errno.EPROTONOSUPPORT:
        # RTSP 461 Unsupported transport: the camera will not send RTP the way the site
        # file asks (VLC's server has no TCP); its `transport` must change.
        return Reason.TRANSPORT_REFUSED, "the camera refuses this transport (RTSP 461)"
    if isinstance(exc, av.error.EOFError):
        return Reason.STREAM_ENDED, detail
    return Reason.STREAM_ERROR, detail
