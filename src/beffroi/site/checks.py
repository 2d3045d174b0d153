"""Checks across entries of the site file, and the warnings an administrator should see.

They read the raw YAML values, not the validated models, so that they still run when
some other entry is invalid: every problem of the file is reported at once. Each check
is a function of (data, report); a new section adds its own to `CHECKS`
(`beffroi.site.loader`). Buildings and alarm zones: `building_checks`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from yaml.nodes import Node

from beffroi.site.credentials import redact_stream_url, split_stream_url
from beffroi.site.problems import Problem, Severity
from beffroi.site.yamltree import PathItem, locate

AUTHORISATION_NOTICE = timedelta(days=90)
_SUBJECT_SECTIONS = ("cameras", "communes", "conventions", "buildings")


def format_path(path: Sequence[PathItem]) -> str:
    """`("cameras", 3, "retention")` -> `cameras[3].retention`."""
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else str(item))
    return out


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass
class Report:
    """Collects located problems for one file."""

    file: str
    root: Node | None
    data: Any
    today: date
    problems: list[Problem] = field(default_factory=list)

    def subject(self, path: Sequence[PathItem]) -> str | None:
        if len(path) >= 2 and path[0] in _SUBJECT_SECTIONS and isinstance(path[1], int):
            entry = _items(self.data, str(path[0]))
            if path[1] < len(entry) and isinstance(entry[path[1]], dict):
                ident = entry[path[1]].get("id")
                if isinstance(ident, str | int) and not isinstance(ident, bool):
                    return str(ident)
        return None

    def add(
        self,
        path: Sequence[PathItem],
        message: str,
        severity: Severity = "error",
        *,
        key: bool = False,
        line: int | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                file=self.file,
                line=line if line is not None else locate(self.root, path, key=key),
                field=format_path(path),
                message=message,
                severity=severity,
                subject=self.subject(path),
            )
        )

    def warn(self, path: Sequence[PathItem], message: str) -> None:
        self.add(path, message, "warning")


def _items(data: Any, section: str) -> list[Any]:
    value = data.get(section) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def entries(data: Any, section: str) -> list[tuple[int, dict[str, Any]]]:
    return [(i, e) for i, e in enumerate(_items(data, section)) if isinstance(e, dict)]


def text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    return str(value) if isinstance(value, str | int | float) else None


def _unique_ids(data: Any, report: Report, section: str, noun: str) -> None:
    first: dict[str, int] = {}
    for i, entry in entries(data, section):
        ident = text(entry.get("id"))
        if ident is None:
            continue
        if ident in first:
            line = locate(report.root, (section, first[ident], "id"))
            report.add((section, i, "id"), f"{noun} id '{ident}' is already used on line {line}")
        else:
            first[ident] = i


def check_unique_ids(data: Any, report: Report) -> None:
    _unique_ids(data, report, "communes", "commune")
    _unique_ids(data, report, "cameras", "camera")
    _unique_ids(data, report, "conventions", "convention")
    _unique_ids(data, report, "buildings", "building")


def districts(data: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _, entry in entries(data, "communes"):
        ident = text(entry.get("id"))
        districts = entry.get("districts")
        if ident is not None and ident not in out:  # a repeated id is its own error
            out[ident] = [str(d) for d in districts] if isinstance(districts, list) else []
    return out


def check_communes(data: Any, report: Report) -> None:
    for i, entry in entries(data, "communes"):
        districts = entry.get("districts")
        if not isinstance(districts, list):
            continue
        seen: set[str] = set()
        for j, name in enumerate(districts):
            if str(name) in seen:
                report.warn(("communes", i, "districts", j), f"district '{name}' is listed twice")
            seen.add(str(name))


def check_camera_places(data: Any, report: Report) -> None:
    communes = districts(data)
    for i, cam in entries(data, "cameras"):
        commune = text(cam.get("commune"))
        if commune is None:
            continue
        if commune not in communes:
            report.add(
                ("cameras", i, "commune"),
                f"unknown commune '{commune}'{did_you_mean(commune, list(communes))}: "
                "declare it under `communes` first",
            )
            continue
        district = text(cam.get("district"))
        declared = communes[commune]
        if district is not None and declared and district not in declared:
            report.add(
                ("cameras", i, "district"),
                f"district '{district}' is not one of the districts of {commune}"
                f"{did_you_mean(district, declared)}: {', '.join(declared)}",
            )


def check_camera_bearing(data: Any, report: Report) -> None:
    for i, cam in entries(data, "cameras"):
        if cam.get("direction") is not None and isinstance(cam.get("field_of_view"), dict):
            report.add(
                ("cameras", i, "direction"),
                "the bearing is given twice: direction is the short form of "
                "field_of_view.bearing; keep field_of_view only",
            )


def check_camera_streams(data: Any, report: Report) -> None:
    first: dict[str, int] = {}
    for i, cam in entries(data, "cameras"):
        stream = cam.get("stream")
        if not isinstance(stream, str):
            continue
        split = split_stream_url(stream)
        bare = split.url.rstrip("/")
        if bare in first:
            line = locate(report.root, ("cameras", first[bare], "stream"))
            report.warn(
                ("cameras", i, "stream"),
                f"the same stream {redact_stream_url(split.url)} is also used on line {line}: "
                "two cameras recording one stream double the storage",
            )
        else:
            first[bare] = i
        username = text(cam.get("username"))
        if split.username and username and split.username != username:
            report.add(
                ("cameras", i, "username"),
                f"the stream address already names the user '{split.username}' but username "
                f"says '{username}': keep one",
            )
        if split.password is not None and cam.get("password_env") is not None:
            report.add(
                ("cameras", i, "password_env"),
                "the stream address already contains a password: give it either there or "
                "through password_env, not both",
            )
        elif split.password is not None:
            report.warn(
                ("cameras", i, "stream"),
                "the password is written in clear in the site file: prefer password_env "
                "(the name of an environment variable holding it)",
            )


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def check_camera_warnings(data: Any, report: Report) -> None:
    for i, cam in entries(data, "cameras"):
        if cam.get("location") is None:
            report.warn(("cameras", i), "no location: the camera cannot be shown on the map")
        auth = cam.get("authorisation")
        if auth is None:
            report.warn(
                ("cameras", i),
                "no prefectoral authorisation given (reference and expiry date)",
            )
            continue
        expires = _as_date(auth.get("expires")) if isinstance(auth, dict) else None
        if expires is None:
            continue
        path = ("cameras", i, "authorisation", "expires")
        if expires < report.today:
            report.warn(
                path,
                f"the prefectoral authorisation expired on {expires.isoformat()}: "
                "recording without one is unlawful; renew it",
            )
        elif expires - report.today <= AUTHORISATION_NOTICE:
            days = (expires - report.today).days
            report.warn(
                path,
                f"the prefectoral authorisation expires on {expires.isoformat()}, in {days} "
                "days: ask the prefecture for its renewal",
            )


def check_conventions(data: Any, report: Report) -> None:
    known = set(districts(data))
    for i, conv in entries(data, "conventions"):
        members = conv.get("communes")
        if not isinstance(members, list):
            continue
        for j, member in enumerate(members):
            name = text(member)
            if name is not None and name not in known:
                report.add(
                    ("conventions", i, "communes", j),
                    f"unknown commune '{name}'{did_you_mean(name, sorted(known))}",
                )


def check_not_empty(data: Any, report: Report) -> None:
    if isinstance(data, dict) and "communes" in data and not _items(data, "cameras"):
        report.warn(("cameras",), "no cameras declared yet")
