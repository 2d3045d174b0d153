"""Camera stream addresses and their credentials.

The database and the journal only ever see a stream address without credentials. A
password reaches the recorder from an environment variable (`password_env`), or, when
an administrator wrote it in the stream address of the site file, from the loaded site
in memory: it is never stored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

STREAM_SCHEMES = ("rtsp", "rtsps")


@dataclass(frozen=True)
class StreamUrl:
    """A stream address split into the part that may be stored and its credentials."""

    url: str
    username: str | None
    password: str | None


def split_stream_url(url: str) -> StreamUrl:
    """Take `user:pass@` out of a stream address; user and password are percent-decoded."""
    parts = urlsplit(url.strip())
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return StreamUrl(url=url.strip(), username=None, password=None)
    user, colon, password = userinfo.partition(":")
    bare = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return StreamUrl(
        url=bare,
        username=unquote(user) or None,
        password=unquote(password) if colon else None,
    )


def url_with_credentials(url: str, username: str | None, password: str | None) -> str:
    """The address to hand to the RTSP client, credentials percent-encoded."""
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="")
    if password is not None:
        userinfo += ":" + quote(password, safe="")
    netloc = f"{userinfo}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redact_stream_url(url: str) -> str:
    """The address as it may be shown in a message or a log: password replaced by ***."""
    split = split_stream_url(url)
    if split.password is None:
        return url.strip()
    return url_with_credentials(split.url, split.username, "***").replace("%2A%2A%2A", "***")


@runtime_checkable
class _FileCamera(Protocol):
    @property
    def stream(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password_env(self) -> str | None: ...


class _StoredCamera(Protocol):
    @property
    def stream_url(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password_env(self) -> str | None: ...


def camera_stream_credentials(
    camera: _FileCamera | _StoredCamera, environ: Mapping[str, str] | None = None
) -> tuple[str, str | None, str | None]:
    """(address without credentials, username, password) to open a camera's stream.

    Accepts a camera of the site file (whose address may carry credentials) or a stored
    camera row. The password comes from the address if it was written there, else from
    the environment variable named by `password_env` (None when it is not set).
    """
    env = os.environ if environ is None else environ
    raw = camera.stream if isinstance(camera, _FileCamera) else camera.stream_url
    split = split_stream_url(raw)
    username = split.username or camera.username
    password = split.password
    if password is None and camera.password_env:
        password = env.get(camera.password_env)
    return split.url, username, password
