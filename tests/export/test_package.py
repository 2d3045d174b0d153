"""The sealed package: layout, manifest, signature, SHA256SUMS, LISEZMOI, player."""

from __future__ import annotations

import base64
import json
import subprocess
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from beffroi.export.jobs import order_for
from beffroi.export.lisezmoi import lisezmoi
from beffroi.journal.keys import load_or_create_key
from tests.export.conftest import PLAYER, Sealed
from tests.export.helpers import T0, frames, package_files
from tests.playback.segments import FPS


def test_layout_is_exactly_the_contract(sealed: Sealed) -> None:
    path = sealed.result.path
    assert path.name == f"requisition-{sealed.requisition.number}-export-7.zip"
    assert path.parent.name == "exports" and not list(path.parent.glob("*.part"))
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        stored = {i.filename: i.compress_type for i in zf.infolist()}
    folder = f"requisition-{sealed.requisition.number}/"
    assert all(n.startswith(folder) for n in names)
    assert sorted(package_files(path)) == [
        "LISEZMOI.txt",
        "SHA256SUMS",
        "clips/jlt-001/jlt-001_20261101T070000Z.mp4",
        "clips/jlt-001/jlt-001_20261101T070020Z.mp4",
        "manifest.json",
        "manifest.sig",
        "player/index.html",
        "player/manifest.js",
        "player/player.css",
        "player/player.js",
    ]
    # Video is stored as is (already compressed; byte-identical to what is hashed).
    assert {c for n, c in stored.items() if n.endswith(".mp4")} == {zipfile.ZIP_STORED}


def test_manifest_states_request_delivery_gaps_and_sources(sealed: Sealed) -> None:
    files = package_files(sealed.result.path)
    raw = files["manifest.json"]
    manifest = json.loads(raw)
    assert raw == json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False).encode()
    assert manifest["format"] == "beffroi-export/1"
    assert manifest["requisition"]["number"] == sealed.requisition.number
    assert manifest["requisition"]["authority"]["rank"] == "Capitaine"
    assert manifest["export"]["id"] == 7
    assert manifest["export"]["exported_by"] == {"username": "chef", "role": "supervisor"}
    assert manifest["export"]["exported_at"] == "2026-11-01T08:00:00.000Z"
    assert manifest["export"]["exported_at_local"] == "2026-11-01T09:00:00.000+01:00"
    key = manifest["installation"]["signing_key"]
    assert key["algorithm"] == "Ed25519" and key["fingerprint"] == sealed.fingerprint
    first, second = manifest["clips"]
    assert first["camera"]["id"] == "jlt-001" and first["camera"]["commune"] == "joue-les-tours"
    assert first["requested"]["start"] == "2026-11-01T07:00:00.000Z"
    assert first["delivered"]["end"] == "2026-11-01T07:00:24.000Z"
    assert first["gaps"] == [
        {
            "start": "2026-11-01T07:00:08.000Z",
            "end": "2026-11-01T07:00:20.000Z",
            "start_local": "2026-11-01T08:00:08.000+01:00",
            "end_local": "2026-11-01T08:00:20.000+01:00",
            "seconds": 12.0,
        }
    ]
    assert [f["frames"] for f in first["files"]] == [8 * FPS, 4 * FPS]
    assert [f["duration_s"] for f in first["files"]] == [8.0, 4.0]
    # The source segments and their chain links: each links to the one before.
    segs = first["segments"]
    assert len(segs) == 3 and segs[1]["prev_sha256"] == segs[0]["sha256"]
    assert segs[2]["prev_sha256"] == segs[1]["sha256"]
    # No footage: stated, not hidden.
    assert second["delivered"] is None and second["files"] == []
    assert second["gaps"][0]["seconds"] == 60.0
    # Each delivered file decodes, frames moving, and its hash is the one stated.
    for f in first["files"]:
        got = frames(files[f["path"]])
        assert len(got) == f["frames"] and len({i for _, i in got}) > FPS
    # player/manifest.js is exactly the manifest, for file:// pages.
    assert files["player/manifest.js"] == b"window.BEFFROI_MANIFEST = " + raw + b";\n"


def test_signature_and_sums_check_with_standard_tools(sealed: Sealed, tmp_path: Path) -> None:
    files = package_files(sealed.result.path)
    manifest = json.loads(files["manifest.json"])
    public = base64.b64decode(manifest["installation"]["signing_key"]["public_key"])
    Ed25519PublicKey.from_public_bytes(public).verify(
        base64.b64decode(files["manifest.sig"]), files["manifest.json"]
    )
    with zipfile.ZipFile(sealed.result.path) as zf:
        zf.extractall(tmp_path / "x")
    folder = tmp_path / "x" / f"requisition-{sealed.requisition.number}"
    check = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    listed = [line.split("  ", 1)[1] for line in files["SHA256SUMS"].decode().splitlines()]
    assert listed == sorted(set(files) - {"SHA256SUMS"})


def test_player_is_copied_verbatim_and_lisezmoi_explains_in_french(sealed: Sealed) -> None:
    files = package_files(sealed.result.path)
    for name, data in PLAYER.items():
        assert files[f"player/{name}"] == data
    text = files["LISEZMOI.txt"].decode("utf-8")
    assert f"Réquisition n° {sealed.requisition.number}" in text
    assert "beffroi verify" in text and "sha256sum -c SHA256SUMS" in text
    assert sealed.fingerprint in text  # to compare with the published one
    # The command to run names the centre's published key, never the package's own: a
    # forger re-signing the package would write theirs there.
    assert "--fingerprint EMPREINTE" in text and f"--fingerprint {sealed.fingerprint}" not in text
    assert "demandez-la lui par un autre" in text
    assert "INTERRUPTION" in text and "aucun enregistrement" in text
    assert "08:00:08" in text  # times in Europe/Paris


def test_the_result_feeds_the_export_register(sealed: Sealed) -> None:
    r = sealed.result
    assert r.cameras == ("jlt-001", "jlt-002")
    assert r.footage_ms == 12_000 and r.bytes == r.path.stat().st_size


def test_lisezmoi_sends_recipients_where_the_centre_publishes_its_key(sealed: Sealed) -> None:
    """The site file's `exports.fingerprint_published_at` is where the command's key
    comes from."""
    url = "https://www.jouelestours.fr/csu/cle-des-exports"
    key = load_or_create_key(sealed.data_dir).public_key()
    order = order_for(sealed.requisition, 7, "chef", "supervisor")
    text = lisezmoi(order, T0, [], key, url).decode("utf-8")
    assert f"publiée par le centre ici : {url}" in text
    assert "--fingerprint EMPREINTE" in text and "demandez-la" not in text
