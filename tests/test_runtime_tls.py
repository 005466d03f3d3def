"""The process's verifying TLS context (runtime.http.tls_context): its CA bundle is read at the
first handshake, and certificates are verified exactly as httpx's default context does."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from nango_tui.runtime.http import new_tls_context


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"hello":"tls"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    cert_file, key_file = _self_signed(tmp_path_factory.mktemp("tls"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", cert_file
    finally:
        server.shutdown()
        server.server_close()


def test_the_context_verifies_as_httpx_default_does_and_reads_no_ca_until_a_handshake():
    ours, httpx_default = new_tls_context(), httpx.create_ssl_context()
    assert ours.verify_mode == httpx_default.verify_mode == ssl.CERT_REQUIRED
    assert ours.check_hostname is httpx_default.check_hostname is True
    assert ours.options == httpx_default.options
    assert ours.minimum_version == httpx_default.minimum_version
    assert ours.verify_flags == httpx_default.verify_flags
    assert ours.cert_store_stats()["x509_ca"] == 0  # nothing read yet
    ours._load_ca()  # what a handshake does first
    assert ours.get_ca_certs() == httpx_default.get_ca_certs()


async def test_a_certificate_the_bundle_trusts_is_accepted_at_the_first_handshake(https_server, monkeypatch):
    url, cert_file = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # httpx's rule: this bundle instead of certifi's
    context = new_tls_context()
    async with httpx.AsyncClient(verify=context) as client:
        assert context.cert_store_stats()["x509_ca"] == 0
        response = await client.get(url)
    assert response.json() == {"hello": "tls"}
    assert context.cert_store_stats()["x509_ca"] == 1
    with httpx.Client(verify=new_tls_context()) as client:  # the blocking client's handshake too
        assert client.get(url).json() == {"hello": "tls"}


async def test_a_certificate_the_bundle_does_not_trust_is_refused(https_server, monkeypatch):
    url, _ = https_server
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    async with httpx.AsyncClient(verify=new_tls_context()) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(url)
    with httpx.Client(verify=new_tls_context()) as client, pytest.raises(httpx.ConnectError):
        client.get(url)
