"""`beffroi verify PACKAGE.zip`: is a sealed package intact? Offline, no data directory.

Checks, naming every fault it finds (not only the first):
1. every file listed in SHA256SUMS is present and has that hash; no file is missing
   from the list (an extra file);
2. manifest.sig is a valid Ed25519 signature of manifest.json's exact bytes by the
   public key the manifest states, whose fingerprint matches the manifest's and is one
   the reader trusts (the centre's published key, `--fingerprint` or `--trusted-keys`:
   a package's own key proves only that whoever made it had a key);
3. every clip and every other file has the hash the signed manifest states, and
   player/manifest.js is exactly the manifest: SHA256SUMS is not signed, so someone
   who edits a clip and rewrites SHA256SUMS to match still fails here;
4. every entry name is unique and plain (relative, `/`-separated, no `.` or `..`, no
   backslash): an archiver could otherwise extract a file the checks never read, or
   outside the folder.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from beffroi.export.manifest import manifest_js
from beffroi.journal.keys import fingerprint

SUMS, MANIFEST, SIGNATURE, MANIFEST_JS = (
    "SHA256SUMS",
    "manifest.json",
    "manifest.sig",
    "player/manifest.js",
)
CHUNK = 1 << 20


class UnusableInput(Exception):
    """Not a package at all (missing, not a ZIP): exit status 2."""


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    files: int = 0
    fingerprint: str | None = None
    number: str | None = None
    named: set[str] = field(default_factory=set)

    def fault(self, path: str, message: str) -> None:
        """One line per faulty file, however many checks it fails."""
        if path not in self.named:
            self.named.add(path)
            self.problems.append(message)

    @property
    def ok(self) -> bool:
        return not self.problems


def _root(names: list[str]) -> str:
    """The package's folder inside the ZIP ("" when the files are at the top)."""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        return tops.pop() + "/"
    return ""


def _sha256(zf: zipfile.ZipFile, name: str) -> str:
    h = hashlib.sha256()
    with zf.open(name) as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _parse_sums(text: str, report: Report) -> dict[str, str]:
    sums: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        digest, sep, path = line.partition("  ")
        path = path.removeprefix("*")
        if not sep or len(digest) != 64 or not path:
            report.problems.append(f"{SUMS} line {n} is malformed")
            continue
        sums[path] = digest.lower()
    return sums


def verify_package(path: Path, trusted: str | Collection[str] | None = None) -> Report:
    """`trusted`: the fingerprint(s) the signature must be by; None checks the package
    against itself only (the recorder's own packages, never a recipient's check)."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise UnusableInput(f"{path}: not a readable ZIP package ({e})") from None
    anchors = None
    if trusted is not None:
        anchors = {trusted.lower()} if isinstance(trusted, str) else {t.lower() for t in trusted}
    with zf:
        return _verify(zf, anchors)


def unsafe_name(name: str) -> bool:
    """Not a plain relative path: what `sha256sum -c` or an unzip could resolve to a
    file other than the one checked."""
    parts = name.rstrip("/").split("/")
    return (
        not name
        or name.startswith("/")
        or "\\" in name
        or ":" in name
        or any(p in ("", ".", "..") for p in parts)
        or any(ord(c) < 32 for c in name)
    )


def _names(zf: zipfile.ZipFile, report: Report) -> list[str]:
    names = [n for n in zf.namelist() if not n.endswith("/")]
    seen: set[str] = set()
    for n in zf.namelist():
        if unsafe_name(n):
            report.problems.append(f"unsafe entry name: {n!r}")
        elif n in seen:
            report.problems.append(f"duplicate entry: {n}")
        seen.add(n)
    return names


def _verify(zf: zipfile.ZipFile, trusted: set[str] | None) -> Report:
    report = Report()
    names = _names(zf, report)
    root = _root(names)
    present = {n[len(root) :] for n in names}
    if SUMS not in present:
        report.problems.append(f"missing file: {SUMS}")
        sums: dict[str, str] = {}
    else:
        sums = _parse_sums(zf.read(root + SUMS).decode("utf-8", "replace"), report)
    actual: dict[str, str] = {}
    for p in sorted(present - {SUMS}):
        actual[p] = _sha256(zf, root + p)
        if p not in sums:
            report.fault(p, f"extra file: {p} (not in {SUMS})")
        elif sums[p] != actual[p]:
            report.fault(p, f"modified file: {p} (SHA-256 differs from {SUMS})")
    for p in sorted(set(sums) - present):
        report.fault(p, f"missing file: {p}")
    report.files = len(actual)
    manifest_raw = zf.read(root + MANIFEST) if MANIFEST in present else None
    if manifest_raw is None:
        report.problems.append("signature cannot be checked: manifest.json is missing")
        return report
    manifest = _signed_manifest(zf, root, present, manifest_raw, trusted, report)
    if manifest is not None:
        _against_manifest(manifest, manifest_raw, actual, report)
    return report


def _signed_manifest(
    zf: zipfile.ZipFile,
    root: str,
    present: set[str],
    raw: bytes,
    trusted: set[str] | None,
    report: Report,
) -> dict[str, Any] | None:
    try:
        manifest = json.loads(raw)
        key_info = manifest["installation"]["signing_key"]
        public = base64.b64decode(key_info["public_key"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(public)
        report.number = manifest.get("requisition", {}).get("number")
    except (ValueError, KeyError, TypeError, binascii.Error) as e:
        report.problems.append(f"bad signature: manifest.json is unreadable ({e})")
        return None
    report.fingerprint = fingerprint(key)
    if key_info.get("fingerprint") != report.fingerprint:
        report.problems.append(
            "bad signature: the manifest's key fingerprint does not match its key"
        )
    if trusted is not None and report.fingerprint not in trusted:
        report.problems.append(
            f"bad signature: signed by key {report.fingerprint}, not by a trusted key "
            f"({', '.join(sorted(trusted)) or 'none given'})"
        )
    if SIGNATURE not in present:
        report.problems.append(f"bad signature: {SIGNATURE} is missing")
        return manifest
    try:
        key.verify(base64.b64decode(zf.read(root + SIGNATURE).strip(), validate=True), raw)
    except (InvalidSignature, ValueError, binascii.Error):
        report.problems.append(
            "bad signature: manifest.json does not match manifest.sig (manifest altered)"
        )
    return manifest


def _against_manifest(
    manifest: dict[str, Any], raw: bytes, actual: dict[str, str], report: Report
) -> None:
    """Every file's hash against the (signed) manifest's."""
    stated: dict[str, str] = {}
    try:
        for clip in manifest.get("clips", []):
            for f in clip.get("files", []):
                stated[f["path"]] = f["sha256"]
        for f in manifest.get("package_files", []):
            stated[f["path"]] = f["sha256"]
    except (KeyError, TypeError, AttributeError):
        report.problems.append("bad signature: manifest.json lists files in a wrong form")
        return
    for p, digest in sorted(stated.items()):
        if p not in actual:
            report.fault(p, f"missing file: {p} (listed in the signed manifest)")
        elif actual[p] != digest:
            report.fault(p, f"modified file: {p} (SHA-256 differs from the signed manifest)")
    for p in sorted(set(actual) - set(stated) - {MANIFEST, SIGNATURE, MANIFEST_JS}):
        report.fault(p, f"extra file: {p} (not in the signed manifest)")
    js = hashlib.sha256(manifest_js(raw)).hexdigest()
    if MANIFEST_JS in actual and actual[MANIFEST_JS] != js:
        report.fault(MANIFEST_JS, f"modified file: {MANIFEST_JS} (differs from manifest.json)")
