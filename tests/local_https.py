"""Local https and http servers for the network tests: a certificate made on the spot, routes
written in the test, every request recorded. Nothing leaves the machine."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Fixed validity, so that no test reads the clock.
VALID_FROM = datetime(2000, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2100, 1, 1, tzinfo=UTC)

Route = Callable[["Handler"], None]


@dataclass(frozen=True)
class Certificates:
    """A test certificate authority and a server certificate for localhost and 127.0.0.1."""

    ca_file: Path
    chain_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        """Return a client context trusting only the test authority."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        """Return the server's context."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.chain_file, self.key_file)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path) -> Certificates:
    """Write a CA and a localhost certificate it signs, with the extensions strict X.509
    verification (Python 3.13's default) requires."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("badgepages test authority"))
        .issuer_name(_name("badgepages test authority"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(2)
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    folder.mkdir(parents=True, exist_ok=True)
    ca_file, chain_file, key_file = folder / "ca.pem", folder / "chain.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(pem))
    chain_file.write_bytes(server.public_bytes(pem) + ca.public_bytes(pem))
    key_file.write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Certificates(ca_file, chain_file, key_file)


class Handler(http.server.BaseHTTPRequestHandler):
    """Answer each GET from the server's routes; record it first."""

    server: LocalServer

    def do_GET(self) -> None:
        """Record the request, then answer it from the route for its path, or 404."""
        self.server.requests.append((self.headers.get("Host", ""), self.path))
        route = self.server.routes.get(self.path)
        try:
            if route is None:
                self.send_error(404)
            else:
                route(self)
        except OSError:
            pass  # the client went away: what the limits are for

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


class LocalServer(http.server.ThreadingHTTPServer):
    """A server on 127.0.0.1 with routes; https when given a TLS context."""

    daemon_threads = True

    def __init__(self, routes: dict[str, Route], tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.tls = tls
        self.requests: list[tuple[str, str]] = []
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        return int(self.server_address[1])

    def url(self, path: str, host: str = "localhost") -> str:
        """Return the URL of a path on this server, by host name."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def finish_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        """Shake hands in the request's thread, so one slow client holds no other."""
        if self.tls is None or not isinstance(request, socket.socket):
            super().finish_request(request, client_address)
            return
        # wrap_socket detaches the plain socket: closing the wrapped one is ours to do.
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except OSError:
            return
        with wrapped:
            super().finish_request(wrapped, client_address)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client cut off by the limits is expected here, not an error."""


@contextmanager
def serving(routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> Iterator[LocalServer]:
    """Run a LocalServer in a thread for the duration of a with block."""
    server = LocalServer(routes, tls)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


# -- routes ------------------------------------------------------------------------------


def document(body: bytes, content_type: str = "application/json") -> Route:
    """Answer with a document."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def redirect(location: str) -> Route:
    """Answer with a redirect to location."""

    def route(handler: Handler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def endless(*, claimed_length: int | None) -> Route:
    """Answer with zeros until the client goes away, saying Content-Length or not."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        if claimed_length is not None:
            handler.send_header("Content-Length", str(claimed_length))
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = bytes(2**16)
        while not handler.server.stopping.is_set():
            handler.wfile.write(chunk)

    return route


def dripping(*, headers_too: bool) -> Route:
    """Answer one byte at a time, every 20 ms, forever: the body, or the headers already."""

    def route(handler: Handler) -> None:
        if headers_too:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            pending = b"a"
        else:
            handler.send_response(200)
            handler.send_header("Content-Length", str(2**20))
            handler.end_headers()
            pending = b"{"
        while not handler.server.stopping.wait(0.02):
            handler.wfile.write(pending)
            handler.wfile.flush()

    return route


def folder_routes(folder: Path, prefix: str) -> dict[str, Route]:
    """Return routes answering every file of a built site under prefix, as a static host."""
    routes: dict[str, Route] = {}
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        path = prefix + file.relative_to(folder).as_posix()
        routes[path] = document(file.read_bytes(), "application/octet-stream")
        if file.name == "index.html":
            routes[path.removesuffix("index.html")] = routes[path]
    return routes
