"""`beffroi verify PACKAGE.zip --fingerprint FP | --trusted-keys FILE`: exit 0 intact,
1 altered, 2 unusable or no trust anchor.

A package carries its signer's public key: checked against that alone, a forger who
re-signs with a key of their own passes. So the reader must say which key they trust:
the fingerprint the centre publishes (outside the package: see its LISEZMOI), or a file
of trusted fingerprints, one per line (`#` comments), for a court that receives
packages from several centres.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from beffroi.export.verify import UnusableInput, verify_package

NO_ANCHOR = (
    "beffroi verify: which key do you trust? A package's own key proves nothing: give "
    "--fingerprint (published by the supervision centre, see LISEZMOI.txt) or "
    "--trusted-keys FILE"
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "verify",
        help="check a sealed export package offline (hashes, signature)",
        description="Check every file hash of a sealed export package and the Ed25519 "
        "signature of its manifest by a key you trust. Works offline, without a data "
        "directory.",
    )
    p.add_argument("package", type=Path, help="the package's ZIP file")
    p.add_argument(
        "--fingerprint",
        action="append",
        default=[],
        help="the installation key's fingerprint published by the centre: the signature "
        "must be by that key (repeatable)",
    )
    p.add_argument(
        "--trusted-keys",
        type=Path,
        help="a file of trusted key fingerprints, one per line (# starts a comment)",
    )
    p.set_defaults(func=run)


def trusted_fingerprints(args: argparse.Namespace) -> set[str] | None:
    """The fingerprints given; None when none was (no anchor: refused)."""
    found = {f.strip().lower() for f in args.fingerprint if f.strip()}
    if args.trusted_keys is not None:
        text = args.trusted_keys.read_text(encoding="utf-8")
        for line in text.splitlines():
            value = line.split("#", 1)[0].strip().lower()
            if value:
                found.add(value)
    return found or None


def run(args: argparse.Namespace) -> int:
    try:
        trusted = trusted_fingerprints(args)
    except OSError as e:
        print(f"beffroi verify: cannot read the trusted keys: {e}", file=sys.stderr)
        return 2
    if trusted is None:
        print(NO_ANCHOR, file=sys.stderr)
        return 2
    try:
        report = verify_package(args.package, trusted)
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
        f"requisition {report.number}; signed by trusted key {report.fingerprint}"
    )
    return 0
