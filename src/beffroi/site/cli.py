"""`beffroi site ...` commands (wired into the main `beffroi` parser by `beffroi.cli`)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from beffroi.site.loader import load_site
from beffroi.site.problems import SiteError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use 2026-11-26)") from None


def add_parser(subparsers: Any) -> None:
    """Add `site check FILE` to the `beffroi` command's subparsers."""
    site = subparsers.add_parser("site", help="check the site file (communes and cameras)")
    commands = site.add_subparsers(dest="site_command", metavar="COMMAND", required=True)
    check = commands.add_parser(
        "check",
        help="validate a site file and print its warnings",
        description="Validate a site file. Exit status 0 when it can be applied (warnings "
        "are printed), 1 with every problem listed on standard error when not.",
    )
    check.add_argument("file", metavar="FILE", help="the site file (YAML)")
    check.add_argument(
        "--today",
        type=_date,
        default=None,
        help="date used for authorisation expiry warnings (default: today)",
    )
    check.set_defaults(func=run_site_check)


def run_site_check(args: argparse.Namespace) -> int:
    """Validate `args.file`; print warnings; 0 when valid, 1 when not."""
    try:
        loaded = load_site(args.file, today=getattr(args, "today", None))
    except SiteError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        for warning in exc.warnings:
            print(warning, file=sys.stderr)
        count = len(exc.problems)
        print(
            f"{args.file}: {count} problem{'s' if count != 1 else ''} to fix before the site can "
            "be applied",
            file=sys.stderr,
        )
        return 1
    for warning in loaded.warnings:
        print(warning)
    site = loaded.site
    print(
        f"{args.file}: valid: {len(site.communes)} communes, {len(site.cameras)} cameras, "
        f"{len(loaded.warnings)} warning{'s' if len(loaded.warnings) != 1 else ''}"
    )
    return 0
