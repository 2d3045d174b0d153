"""`beffroi verify PACKAGE.zip [--fingerprint FP]`: exit 0 intact, 1 altered, 2 unusable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from beffroi.export.verify import UnusableInput, verify_package


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "verify",
        help="check a sealed export package offline (hashes, signature)",
        description="Check every file hash of a sealed export package and the Ed25519 "
        "signature of its manifest. Works offline, without a data directory.",
    )
    p.add_argument("package", type=Path, help="the package's ZIP file")
    p.add_argument(
        "--fingerprint",
        help="the installation key's fingerprint published by the centre: the signature "
        "must be by that key",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = verify_package(args.package, args.fingerprint)
    except UnusableInput as e:
        print(f"beffroi verify: {e}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(problem)
    if not report.ok:
        print(f"ALTERED: {len(report.problems)} problem(s) in {args.package}")
        return 1
    print(
        f"INTACT: {report.files} files match SHA256SUMS and the signed manifest of "
        f"requisition {report.number}; signed by key {report.fingerprint}"
    )
    return 0
