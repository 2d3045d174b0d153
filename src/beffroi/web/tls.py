"""TLS for `beffroi run`: which certificate, whether it may be served, and where
plain HTTP is still allowed.

The server speaks TLS itself when given a certificate: `--tls-cert FILE --tls-key FILE`,
or else the pair `DATA/tls/cert.pem` + `DATA/tls/key.pem` when both are there. Without
a certificate it serves plain HTTP on a loopback address only (a reverse proxy on the
same machine terminates TLS, `docs/guide/reverse-proxy.md`); any other address is
refused unless `--insecure-http` says the administrator accepts passwords and session
cookies crossing the network in clear.

The private key is checked before anything starts: readable by others than its owner's
group (world bits), it is refused: the key is no longer private, serving with it would
only pretend. Readable by the group (Debian's `ssl-cert` convention, 0640), it is
served with a warning. The pair must load (a key that does not match the certificate,
a file that is not PEM, a key the service user cannot read are told at once, not after
the recorder has started).

`self_signed` makes the demo's pair (127.0.0.1, ::1, localhost): browsers warn about it,
and the tests verify the handshake against it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

TLS_DIR = "tls"
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
DEMO_NAMES = ("127.0.0.1", "::1", "localhost")
SELF_SIGNED_DAYS = 365
SELF_SIGNED_ORGANIZATION = "Beffroi self-signed"
RENEW_BEFORE = timedelta(days=30)


class TlsError(Exception):
    """A TLS configuration that must not be served (the server exits with code 2)."""


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


def data_dir_pair(data_dir: Path) -> TlsFiles:
    folder = data_dir / TLS_DIR
    return TlsFiles(folder / CERT_FILE, folder / KEY_FILE)


def resolve(cert: Path | None, key: Path | None, data_dir: Path | None) -> TlsFiles | None:
    """The pair to serve: the one named (both files, or neither), else the data
    directory's when `data_dir` is given and both of its files exist, else none."""
    if cert is not None or key is not None:
        if cert is None or key is None:
            raise TlsError("--tls-cert and --tls-key go together: name both files")
        return TlsFiles(cert, key)
    if data_dir is None:
        return None
    pair = data_dir_pair(data_dir)
    present = [p for p in (pair.cert, pair.key) if p.exists()]
    if len(present) == 1:
        missing = pair.key if present[0] == pair.cert else pair.cert
        raise TlsError(f"{present[0]} is there but not {missing}: both files, or neither")
    return pair if present else None


def check(files: TlsFiles) -> list[str]:
    """Refuse (`TlsError`) a pair that cannot or must not be served; warnings to log."""
    warnings: list[str] = []
    for path in (files.cert, files.key):
        if not path.is_file():
            raise TlsError(f"TLS: no such file: {path}")
    mode = stat.S_IMODE(files.key.stat().st_mode)
    if mode & 0o007:
        raise TlsError(
            f"TLS: the private key {files.key} is readable by every user of this machine "
            f"(mode {mode:04o}): it is no longer private. Replace it, then "
            f"`chmod 600 {files.key}` (owner: the user Beffroi runs as)"
        )
    if mode & 0o070:
        warnings.append(
            f"TLS: the private key {files.key} is open to its group (mode {mode:04o}); "
            "0600 is recommended"
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(files.cert, files.key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsError(
            f"TLS: cannot use {files.cert} with {files.key}: {exc} "
            "(PEM files, the key matching the certificate, readable by this user)"
        ) from None
    expires = _expiry(files.cert)
    if expires is not None and expires <= datetime.now(UTC):
        warnings.append(f"TLS: the certificate {files.cert} expired on {expires:%Y-%m-%d}")
    return warnings


def is_loopback(host: str) -> bool:
    """Whether `host` (as given to `--listen`) is reachable from this machine only."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to a network address


def listen_refusal(host: str, tls: TlsFiles | None, insecure_http: bool) -> str | None:
    """Why listening on `host` must be refused, or None."""
    if tls is not None or insecure_http or is_loopback(host):
        return None
    return (
        f"refusing plain HTTP on {host}: passwords, session cookies and images would cross "
        "the network in clear. Give a certificate (--tls-cert FILE --tls-key FILE, or "
        "tls/cert.pem and tls/key.pem in the data directory), or listen on 127.0.0.1 behind "
        "a TLS reverse proxy (--trusted-proxy 127.0.0.1; docs/guide/reverse-proxy.md). "
        "--insecure-http serves plain HTTP anyway"
    )


def self_signed(folder: Path, names: Iterable[str] = DEMO_NAMES) -> TlsFiles:
    """`folder/cert.pem` and `folder/key.pem` (0600): a self-signed certificate for
    `names` (addresses and host names), made when missing; one made here before is made
    again when it expires within a month or does not cover every name. A pair put there
    by someone else is never replaced."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    wanted = list(dict.fromkeys(names))
    files = TlsFiles(folder / CERT_FILE, folder / KEY_FILE)
    present = files.key.exists() and files.cert.exists()
    if present and (not _ours(files.cert) or _covers(files.cert, wanted)):
        return files  # someone else's pair, or ours still good
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, SELF_SIGNED_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, wanted[0]),
        ]
    )
    alt: list[x509.GeneralName] = []
    for name in wanted:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        # Its own trust anchor (clients name the file): a CA certificate as strict
        # verifiers (Python 3.13's default) want one, key identifiers included.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    files.key.chmod(0o600)
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    log.info("TLS: self-signed certificate for %s in %s", ", ".join(wanted), folder)
    return files


def _expiry(path: Path) -> datetime | None:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc
    except (OSError, ValueError):
        return None


def _ours(path: Path) -> bool:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return False
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return any(a.value == SELF_SIGNED_ORGANIZATION for a in names)


def _covers(path: Path, names: list[str]) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE <= datetime.now(UTC):
        return False
    have = {str(a) for a in alt.get_values_for_type(x509.IPAddress)}
    have |= set(alt.get_values_for_type(x509.DNSName))
    normalised = set()
    for name in names:
        try:
            normalised.add(str(ipaddress.ip_address(name)))
        except ValueError:
            normalised.add(name)
    return normalised <= have
