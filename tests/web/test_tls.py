"""The network sees nothing: `beffroi run` speaks TLS itself (named files or the data
directory's pair), refuses plain HTTP on a network address unless told, and every
response carries the security headers.

The servers here are real `beffroi run` processes (a site without cameras), reached
through real TLS handshakes verified against a certificate the test makes itself.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from beffroi.web.routes.console import CONSOLE_DIR_ENV

PASSWORD = "Correct-Horse-Battery-42"
SITE = "communes:\n  - {id: joue-les-tours, name: Joué-lès-Tours}\ncameras: []\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_pair(folder: Path) -> tuple[Path, Path]:
    """A self-signed RSA certificate for 127.0.0.1, made here (not by Beffroi)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@pytest.fixture
def env() -> dict[str, str]:
    e = dict(os.environ, BEFFROI_ADMIN_PASSWORD=PASSWORD)
    e.pop("BEFFROI_DATABASE_URL", None)
    return e


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE)
    return path


class Run:
    """`beffroi run ARGS` on a free port: `base` is its URL once it answers."""

    def __init__(self, site: Path, data: Path, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.listen = f"127.0.0.1:{self.port}"
        argv = [*args]
        if "--listen" in argv:  # "--listen HOST" given: on our port
            at = argv.index("--listen") + 1
            argv[at] = self.listen = f"{argv[at]}:{self.port}"
        else:
            argv += ["--listen", self.listen]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "beffroi.cli", "run", "--site", str(site), "--data", str(data),
             "--in-process", *argv],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip

    def wait_up(self, scheme: str, verify: ssl.SSLContext | bool = False) -> str:
        base = f"{scheme}://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if httpx.get(f"{base}/api/health", verify=verify, timeout=2).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{base} did not answer within 90 s")

    def wait_exit(self, timeout: float = 90) -> int:
        """The exit code; failing at once if the server answers instead (it started)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                return code
            for scheme in ("http", "https"):
                try:
                    httpx.get(f"{scheme}://127.0.0.1:{self.port}/api/health", verify=False)
                except httpx.HTTPError:
                    continue
                raise AssertionError(f"the server started ({scheme}) instead of refusing")
            time.sleep(0.1)
        raise AssertionError(f"still running after {timeout} s")

    def output(self) -> str:
        if self.proc.poll() is None:
            return ""
        return self.proc.stdout.read() if self.proc.stdout else ""

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out


@pytest.fixture
def running() -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:
        run.stop()


def test_the_api_through_a_real_tls_handshake(
    tmp_path: Path, site: Path, env: dict[str, str], running: list[Run]
) -> None:
    cert, key = make_pair(tmp_path / "pki")
    run = Run(site, tmp_path / "data", env, "--tls-cert", str(cert), "--tls-key", str(key))
    running.append(run)
    base = run.wait_up("https", trusting(cert))
    assert base.startswith("https://")
    with httpx.Client(base_url=base, verify=trusting(cert), timeout=10) as browser:
        body = {"username": "admin", "password": PASSWORD, "cookie": True}
        r = browser.post("/api/auth/login", json=body)
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"].lower()
        assert "; secure" in cookie and "httponly" in cookie, cookie
        assert r.headers["strict-transport-security"] == "max-age=31536000"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        # The Secure cookie goes back over TLS and opens the session.
        session = browser.get("/api/auth/session")
        assert session.status_code == 200, session.text
        assert session.json()["username"] == "admin"
    # The handshake is real: a client that does not trust the certificate is refused…
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{base}/api/health", timeout=10)
    # …and plain HTTP on the TLS port gets no answer at all.
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{run.port}/api/health", timeout=10)
    out = run.stop()
    assert run.proc.returncode == 0, out
    assert f"https://127.0.0.1:{run.port}" in out  # the address it announces


def test_the_data_directory_pair_allows_a_network_address(
    tmp_path: Path, site: Path, env: dict[str, str], running: list[Run]
) -> None:
    data = tmp_path / "data"
    cert, _ = make_pair(data / "tls")
    data.chmod(0o700)
    run = Run(site, data, env, "--listen", "0.0.0.0")
    running.append(run)
    base = run.wait_up("https", trusting(cert))
    r = httpx.get(f"{base}/api/health", verify=trusting(cert))
    assert r.status_code == 200
    assert r.headers["strict-transport-security"] == "max-age=31536000"


def test_plain_http_on_a_network_address_is_refused(
    tmp_path: Path, site: Path, env: dict[str, str]
) -> None:
    run = Run(site, tmp_path / "data", env, "--listen", "0.0.0.0")
    try:
        code = run.wait_exit()
    finally:
        out = run.stop()
    assert code == 2, out
    assert "refusing plain HTTP on 0.0.0.0" in out, out
    assert "--insecure-http" in out and "--tls-cert" in out, out
    assert not (tmp_path / "data").exists(), "refused before anything was created"


def test_insecure_http_serves_plain_http_when_asked(
    tmp_path: Path, site: Path, env: dict[str, str], running: list[Run]
) -> None:
    run = Run(site, tmp_path / "data", env, "--listen", "0.0.0.0", "--insecure-http")
    running.append(run)
    base = run.wait_up("http")
    r = httpx.get(f"{base}/api/health")
    assert r.status_code == 200
    assert "strict-transport-security" not in r.headers  # not over plain HTTP
    assert r.headers["x-content-type-options"] == "nosniff"
    out = run.stop()
    assert run.proc.returncode == 0, out
    assert "plain HTTP on 0.0.0.0" in out  # said loudly


def test_a_private_key_readable_by_everyone_is_refused(
    tmp_path: Path, site: Path, env: dict[str, str]
) -> None:
    cert, key = make_pair(tmp_path / "pki")
    key.chmod(0o644)
    run = Run(site, tmp_path / "data", env, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        code = run.wait_exit()
    finally:
        out = run.stop()
    assert code == 2, out
    assert f"the private key {key} is readable by every user" in out, out
    assert "chmod 600" in out


def test_a_certificate_without_its_key_is_refused(
    tmp_path: Path, site: Path, env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    cert, key = make_pair(data / "tls")
    key.unlink()
    run = Run(site, data, env)
    try:
        code = run.wait_exit()
    finally:
        out = run.stop()
    assert code == 2, out
    assert f"{cert} is there but not {key}" in out, out


# --- the headers, on every response of the application --------------------------------


SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def assert_secured(response: httpx.Response, *, https: bool = False) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, (response.url, name, response.headers)
    assert response.headers.get_list("content-security-policy") != []
    for policy in response.headers.get_list("content-security-policy"):
        assert "frame-ancestors 'none'" in policy, (response.url, policy)
    assert len(response.headers.get_list("content-security-policy")) == 1
    if https:
        assert response.headers["strict-transport-security"] == "max-age=31536000"
    else:
        assert "strict-transport-security" not in response.headers


def test_security_headers_on_every_response(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<!doctype html><script src="/assets/a.js"></script>')
    monkeypatch.setenv(CONSOLE_DIR_ENV, str(dist))
    health = client.get("/api/health")
    assert health.status_code == 200 and health.headers["content-type"] == "application/json"
    assert_secured(health)
    missing = client.get("/api/no-such-thing")
    assert missing.status_code == 404
    assert_secured(missing)
    denied = client.get("/api/cameras")
    assert denied.status_code == 401
    assert_secured(denied)
    too_large = client.post("/api/auth/login", content=b"x" * 10_000)
    assert too_large.status_code == 413
    assert_secured(too_large)
    console = client.get("/")
    assert console.status_code == 200
    assert_secured(console)
    assert "script-src 'self'" in console.headers["content-security-policy"]  # its own, kept
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert_secured(docs)
    assert "default-src 'self'" in docs.headers["content-security-policy"]


def test_hsts_only_over_https(client: TestClient) -> None:
    over_tls = client.get("https://testserver/api/health")
    assert_secured(over_tls, https=True)
    assert_secured(client.get("http://testserver/api/health"), https=False)
    # Not for localhost: browsers would apply it to every local development server.
    local = client.get("https://localhost:8443/api/health")
    assert "strict-transport-security" not in local.headers


# --- the demo's pair ----------------------------------------------------------------


def test_the_demo_makes_a_self_signed_pair_once(tmp_path: Path) -> None:
    from beffroi.demo import demo_certificate

    data = tmp_path / "demo-data"
    pair = demo_certificate(data, "127.0.0.1")
    assert pair.cert == data / "tls" / "cert.pem" and pair.key == data / "tls" / "key.pem"
    assert pair.key.stat().st_mode & 0o777 == 0o600
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(a) for a in alt.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert alt.get_values_for_type(x509.DNSName) == ["localhost"]
    first = pair.cert.read_bytes()
    assert demo_certificate(data, "127.0.0.1").cert.read_bytes() == first  # kept
    # Listening on another address: made again to cover it.
    demo_certificate(data, "192.0.2.7")
    assert pair.cert.read_bytes() != first
    # A pair the administrator put there is never replaced.
    cert_path, _ = make_pair(data / "tls")
    mine = cert_path.read_bytes()
    demo_certificate(data, "192.0.2.8")
    assert cert_path.read_bytes() == mine


def test_the_demo_pair_serves_a_verified_handshake(
    tmp_path: Path, site: Path, env: dict[str, str], running: list[Run]
) -> None:
    from beffroi.demo import demo_certificate

    data = tmp_path / "data"
    pair = demo_certificate(data, "127.0.0.1")
    run = Run(site, data, env)  # `beffroi run` finds the pair in the data directory
    running.append(run)
    strict = trusting(pair.cert)
    strict.verify_flags |= ssl.VERIFY_X509_STRICT  # as Python 3.13 verifies by default
    base = run.wait_up("https", strict)
    assert httpx.get(f"{base}/api/health", verify=strict).status_code == 200
    with httpx.Client(base_url=f"https://localhost:{run.port}", verify=strict) as c:
        assert c.get("/api/health").status_code == 200  # localhost is covered too
