"""Load a site file: every problem reported at once, each at its line, in plain words."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from beffroi.clock import PARIS, Clock, default_clock
from beffroi.site import checks as c
from beffroi.site.building_checks import check_buildings
from beffroi.site.checks import Report, did_you_mean
from beffroi.site.geojson import read_map_files
from beffroi.site.models import SECTIONS, Site
from beffroi.site.problems import Problem, SiteError, sort_problems
from beffroi.site.yamltree import PathItem, compose_and_construct, locate

Check = Callable[[Any, Report], None]

# Each runs on the raw YAML, every problem of the file reported at once.
CHECKS: list[Check] = [
    c.check_unique_ids,
    c.check_communes,
    c.check_camera_places,
    c.check_camera_bearing,
    c.check_camera_streams,
    c.check_conventions,
    check_buildings,
    c.check_camera_warnings,
    c.check_not_empty,
]


@dataclass(frozen=True)
class LoadedSite:
    """A valid site and the warnings it deserves (never errors)."""

    site: Site
    file: str
    warnings: list[Problem] = field(default_factory=list)


def today_from(clock: Clock | None = None) -> date:
    """The calendar day in the town (Europe/Paris), for expiry warnings."""
    return (clock or default_clock()).now().astimezone(PARIS).date()


def load_site(path: Path | str, today: date | None = None) -> LoadedSite:
    """Read and validate a site file; raise `SiteError` listing all its problems."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SiteError(
            [Problem(name, None, "", f"cannot read the file: {exc.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SiteError(
            [Problem(name, line, "", "the file is not UTF-8 text: save it as UTF-8")]
        ) from None
    return load_site_text(text, file=name, today=today, base_dir=Path(path).parent)


def load_site_text(
    text: str, file: str = "<site>", today: date | None = None, base_dir: Path | None = None
) -> LoadedSite:
    """Validate a site file given as text (`file` is only used in messages). The map's
    GeoJSON files are read relative to `base_dir` (default: the current directory)."""
    today = today or today_from()
    try:
        root, data, duplicates = compose_and_construct(text)
    except yaml.MarkedYAMLError as exc:
        raise SiteError([_syntax_problem(file, exc)]) from None
    except yaml.YAMLError as exc:
        raise SiteError([Problem(file, None, "", f"YAML error: {exc}")]) from None
    if root is None or data is None:
        raise SiteError(
            [
                Problem(
                    file,
                    1,
                    "",
                    "the site file is empty: it must declare at least `communes` and `cameras`",
                )
            ]
        )
    if not isinstance(data, dict):
        raise SiteError(
            [
                Problem(
                    file,
                    1,
                    "",
                    "the site file must be made of sections such as `communes:` "
                    f"and `cameras:`, not a {_kind(data)}",
                )
            ]
        )

    report = Report(file=file, root=root, data=data, today=today)
    for path, key, first, line in duplicates:
        report.add(
            [*path, key],
            f"'{key}' is given twice (first on line {first}): keep only one",
            line=line,
        )
    site: Site | None = None
    try:
        site = Site.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            _add_validation_error(report, error)
    for check in CHECKS:
        check(data, report)
    map_data = read_map_files(report, base_dir if base_dir is not None else Path())

    errors = sort_problems([p for p in report.problems if p.severity == "error"])
    warnings = sort_problems([p for p in report.problems if p.severity == "warning"])
    if errors or site is None:
        raise SiteError(errors, warnings)
    site._map_data = map_data
    return LoadedSite(site=site, file=file, warnings=warnings)


def _syntax_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    what = ", ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
    if "\\t" in what or "\t" in what:
        what += " (indent with spaces, not tabs)"
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    where = f" at column {column}" if column else ""
    return Problem(file, line, "", f"YAML syntax error{where}: {what}", column=column)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _add_validation_error(report: Report, error: ErrorDetails) -> None:
    path: list[PathItem] = [p for p in error["loc"] if isinstance(p, str | int)]
    kind = error["type"]
    if kind == "extra_forbidden":
        report.add(path, _unknown_key_message(path), key=True)
        return
    report.add(path, _message(error, path))


def _unknown_key_message(path: list[PathItem]) -> str:
    name = str(path[-1])
    allowed = _allowed_keys(path[:-1])
    if len(path) == 1:
        return (
            f"unknown section '{name}'{did_you_mean(name, list(SECTIONS))}: this version "
            f"understands {', '.join(SECTIONS)}"
        )
    return f"unknown key '{name}'{did_you_mean(name, allowed)}: use {', '.join(allowed)}"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Annotated,):
        return _model_in(typing.get_args(annotation)[0])
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _allowed_keys(path: list[PathItem]) -> list[str]:
    model: type[BaseModel] | None = Site
    for item in path:
        if model is None:
            return []
        if isinstance(item, str):
            info = model.model_fields.get(item)
            model = _model_in(info.annotation) if info is not None else None
    return list(model.model_fields) if model is not None else []


_TYPE_WORDS = {
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "date_type": "must be a date written like 2029-06-30",
    "date_parsing": "must be a date written like 2029-06-30",
    "date_from_datetime_parsing": "must be a date written like 2029-06-30",
    "date_from_datetime_inexact": "must be a date written like 2029-06-30, without a time",
    "list_type": "must be a list (one entry per line, each starting with '- ')",
    "model_type": "must be a group of keys (key: value)",
    "dict_type": "must be a group of keys (key: value)",
    "model_attributes_type": "must be a group of keys (key: value)",
    "string_too_short": "must not be empty",
}


def _message(error: ErrorDetails, path: list[PathItem]) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        name = path[-1] if path else "value"
        return f"'{name}' is required but missing"
    if kind == "too_short":
        return "at least one entry is needed"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{value} is too small: the minimum is {_num(ctx.get('ge', ctx.get('gt')))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{value} is too large: the maximum is {_num(ctx.get('le', ctx.get('lt')))}"
    if kind == "literal_error":
        return f"'{value}' is not allowed: use {ctx.get('expected')}"
    if kind == "model_type" and path and path[-1] == "location":
        return "must be a group of keys like {lat: 47.3522, lon: 0.6633}"
    if kind in _TYPE_WORDS:
        shown = "" if isinstance(value, dict | list) else f" (got '{value}')"
        return _TYPE_WORDS[kind] + shown
    return str(error["msg"])


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = ["LoadedSite", "Problem", "SiteError", "load_site", "load_site_text", "locate"]
