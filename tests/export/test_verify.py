"""`beffroi verify`: intact packages pass; every alteration is named; junk is exit 2."""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path

import pytest

from beffroi.cli import main
from tests.export.conftest import Sealed
from tests.export.helpers import package_files, rewrite_zip

CLIP = "clips/jlt-001/jlt-001_20261101T070000Z.mp4"


def verify(
    capsys: pytest.CaptureFixture[str], path: Path, *extra: str, anchor: str | None = None
) -> tuple[int, str]:
    """`beffroi verify`, trusting the sealed package's key unless `extra` says otherwise."""
    if anchor is not None and "--fingerprint" not in extra and "--trusted-keys" not in extra:
        extra = (*extra, "--fingerprint", anchor)
    code = main(["verify", str(path), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def altered(sealed: Sealed, tmp_path: Path, change: dict[str, bytes | None]) -> Path:
    dst = tmp_path / "altered.zip"
    rewrite_zip(sealed.result.path, dst, change)
    return dst


def test_an_intact_package_verifies_offline(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A copy anywhere, without the data directory (no key, no database).
    copy = tmp_path / "elsewhere" / "paquet.zip"
    copy.parent.mkdir()
    copy.write_bytes(sealed.result.path.read_bytes())
    code, out = verify(capsys, copy, "--fingerprint", sealed.fingerprint)
    assert code == 0, out
    assert "INTACT" in out and sealed.fingerprint in out


def test_a_flipped_byte_in_a_clip_is_named(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clip = bytearray(package_files(sealed.result.path)[CLIP])
    clip[len(clip) // 2] ^= 0x01
    code, out = verify(
        capsys, altered(sealed, tmp_path, {CLIP: bytes(clip)}), anchor=sealed.fingerprint
    )
    assert code == 1
    assert f"modified file: {CLIP}" in out
    assert "bad signature" not in out  # the manifest itself is intact


def test_an_edited_manifest_fails_its_hash_and_its_signature(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = package_files(sealed.result.path)["manifest.json"]
    edited = raw.replace(b'"procedure": "2026/001234"', b'"procedure": "2026/009999"')
    assert edited != raw
    code, out = verify(
        capsys, altered(sealed, tmp_path, {"manifest.json": edited}), anchor=sealed.fingerprint
    )
    assert code == 1
    assert "modified file: manifest.json" in out
    assert "bad signature" in out


def test_a_removed_file_is_named(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out = verify(
        capsys,
        altered(sealed, tmp_path, {CLIP: None, "player/player.css": None}),
        anchor=sealed.fingerprint,
    )
    assert code == 1
    assert f"missing file: {CLIP}" in out and "missing file: player/player.css" in out


def test_an_added_file_is_named(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out = verify(
        capsys,
        altered(sealed, tmp_path, {"clips/jlt-001/extra.mp4": b"x"}),
        anchor=sealed.fingerprint,
    )
    assert code == 1
    assert "extra file: clips/jlt-001/extra.mp4" in out


def test_sums_rewritten_after_editing_a_clip_still_fail_against_the_signed_manifest(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    files = package_files(sealed.result.path)
    clip = bytearray(files[CLIP])
    clip[-10] ^= 0xFF
    sums = (
        files["SHA256SUMS"]
        .decode()
        .replace(hashlib.sha256(files[CLIP]).hexdigest(), hashlib.sha256(clip).hexdigest())
    )
    path = altered(sealed, tmp_path, {CLIP: bytes(clip), "SHA256SUMS": sums.encode()})
    code, out = verify(capsys, path, anchor=sealed.fingerprint)
    assert code == 1
    assert f"modified file: {CLIP} (SHA-256 differs from the signed manifest)" in out
    assert "bad signature" not in out  # the signature holds; the manifest's hash does not


def test_a_rewritten_player_is_caught_even_with_consistent_sums(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    files = package_files(sealed.result.path)
    js = b"alert('faux');\n"
    sums = (
        files["SHA256SUMS"]
        .decode()
        .replace(
            hashlib.sha256(files["player/player.js"]).hexdigest(), hashlib.sha256(js).hexdigest()
        )
    )
    path = altered(sealed, tmp_path, {"player/player.js": js, "SHA256SUMS": sums.encode()})
    code, out = verify(capsys, path, anchor=sealed.fingerprint)
    assert code == 1 and "modified file: player/player.js" in out


def test_another_key_fails_the_fingerprint_check(
    sealed: Sealed, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = verify(capsys, sealed.result.path, "--fingerprint", "ab" * 32)
    assert code == 1 and "bad signature" in out


def test_junk_is_unusable_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    assert verify(capsys, junk, anchor="ab" * 32)[0] == 2
    assert verify(capsys, tmp_path / "absent.zip", anchor="ab" * 32)[0] == 2


def test_without_a_trusted_key_nothing_is_called_intact(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A forger re-signs with a key of their own: checked against the package's own key
    it would pass, so no anchor, no verdict (exit 2, saying why)."""
    code, out = verify(capsys, sealed.result.path)
    assert code == 2 and "INTACT" not in out and "--fingerprint" in out
    keys = tmp_path / "cles-de-confiance.txt"
    keys.write_text(f"# CSU de Joué-lès-Tours\n{'cd' * 32}\n{sealed.fingerprint.upper()}  # 2026\n")
    code, out = verify(capsys, sealed.result.path, "--trusted-keys", str(keys))
    assert code == 0 and "INTACT" in out
    keys.write_text("ab" * 32 + "\n")
    code, out = verify(capsys, sealed.result.path, "--trusted-keys", str(keys))
    assert code == 1 and "not by a trusted key" in out


@pytest.mark.parametrize(
    "name", ["../evil.mp4", "/etc/x", "clips\\..\\x.mp4", "clips/./x.mp4", "C:/x.mp4"]
)
def test_unsafe_entry_names_are_refused(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    path = altered(sealed, tmp_path, {name: b"x"})
    code, out = verify(capsys, path, anchor=sealed.fingerprint)
    assert code == 1 and "unsafe entry name" in out, out


def test_a_duplicate_entry_is_refused(
    sealed: Sealed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Two entries of one name: the checks read one, an unzip may extract the other."""
    dst = tmp_path / "double.zip"
    dst.write_bytes(sealed.result.path.read_bytes())
    with zipfile.ZipFile(dst, "a") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate: the point
        (clip,) = [n for n in z.namelist() if n.endswith(CLIP)]
        z.writestr(clip, b"a different video")
    code, out = verify(capsys, dst, anchor=sealed.fingerprint)
    assert code == 1 and f"duplicate entry: {clip}" in out
