"""The preview server answers as GitHub Pages does, and hostile or stuck clients cannot hurt it."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import struct
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages import preview
from badgepages.preview import PreviewServer, RequestRefusedError, answer, parse_head

NOT_FOUND_PAGE = b"<!doctype html><title>Page introuvable</title>\n"
FILES = {
    "index.html": b"<!doctype html><title>Accueil</title>\n",
    "404.html": NOT_FOUND_PAGE,
    "about.html": b"<!doctype html><title>About</title>\n",
    "issuer.json": b'{"type": "Profile"}\n',
    "awards/aaaaaaaaaaaaaaaaaaaa/index.html": b"<!doctype html><title>Award</title>\n",
    "awards/aaaaaaaaaaaaaaaaaaaa/assertion.json": b'{"type": "Assertion"}\n',
    "badges/civic/image.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "badges/civic/image.png": b"\x89PNG\r\n\x1a\n",
    "static/jsonld-canonize.mjs": b"export {};\n",
    "static/site.js": b"'use strict';\n",
    "static/style.css": b"body {}\n",
    "sitemap.xml": b"<urlset/>\n",
    "robots.txt": b"User-agent: *\n",
    "static/font.woff2": b"wOF2",
    "static/data.bin": b"\0\1",
}
BIG_FILE = "awards/aaaaaaaaaaaaaaaaaaaa/big.png"
BIG_SIZE = 32 * 1024 * 1024  # larger than any socket buffer: sending it takes many writes


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    for path, data in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (tmp_path / "secret.txt").write_text("outside the site\n", encoding="utf-8")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "up").symlink_to(tmp_path)
    return root


@dataclass
class Running:
    """A preview server answering in a thread, and the failures it reported."""

    server: PreviewServer
    errors: list[Exception] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)


@contextlib.contextmanager
def start(site: Path, **limits: float) -> Iterator[Running]:
    """Run a preview server of the site in a thread; stop it on leaving."""
    errors: list[Exception] = []
    server = PreviewServer(site, "127.0.0.1", 0, errors.append, **limits)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Running(server, errors)
    finally:
        server.shutdown()
        thread.join(timeout=30)
    assert not thread.is_alive(), "the server did not stop"


@pytest.fixture
def running(site: Path, capfd: pytest.CaptureFixture[str]) -> Iterator[Running]:
    with start(site) as running:
        yield running
    captured = capfd.readouterr()
    assert captured.out + captured.err == "", "the server printed something"
    assert running.errors == []


def read_response(sock: socket.socket, method: str = "GET") -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    return response


def exchange(
    running: Running, raw: bytes, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes on a new connection; return the status, header fields and body."""
    with running.connect() as sock:
        sock.sendall(raw)
        response = read_response(sock, method)
        return response.status, dict(response.getheaders()), response.read()


def get(running: Running, target: str | bytes) -> tuple[int, dict[str, str], bytes]:
    path = target if isinstance(target, bytes) else target.encode("ascii")
    return exchange(running, b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")


# ---- answering as GitHub Pages does -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/", 200, FILES["index.html"]),
        ("/index.html", 200, FILES["index.html"]),
        ("/awards/aaaaaaaaaaaaaaaaaaaa/", 200, FILES["awards/aaaaaaaaaaaaaaaaaaaa/index.html"]),
        ("/awards//aaaaaaaaaaaaaaaaaaaa/", 200, FILES["awards/aaaaaaaaaaaaaaaaaaaa/index.html"]),
        ("/about", 200, FILES["about.html"]),
        ("/issuer.json?v=2", 200, FILES["issuer.json"]),
        ("/awards/", 404, NOT_FOUND_PAGE),
        ("/awards", 404, NOT_FOUND_PAGE),
        ("/badges/civic/", 404, NOT_FOUND_PAGE),
        ("/missing", 404, NOT_FOUND_PAGE),
        ("/issuer.json/", 404, NOT_FOUND_PAGE),
        ("/404.html", 200, NOT_FOUND_PAGE),
    ],
)
def test_answers_as_pages(running: Running, path: str, status: int, body: bytes) -> None:
    got_status, headers, got_body = get(running, path)
    assert (got_status, got_body) == (status, body)
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Length"] == str(len(body))


def test_folders_are_never_listed(running: Running) -> None:
    for path in ("/awards/", "/badges/", "/static/", "/badges/civic/"):
        status, _, body = get(running, path)
        assert (status, body) == (404, NOT_FOUND_PAGE)
        assert b"aaaaaaaaaaaaaaaaaaaa" not in body


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/awards/aaaaaaaaaaaaaaaaaaaa", "/awards/aaaaaaaaaaaaaaaaaaaa/"),
        (
            "/awards/aaaaaaaaaaaaaaaaaaaa?lang=en&x=%C3%A9",
            "/awards/aaaaaaaaaaaaaaaaaaaa/?lang=en&x=%C3%A9",
        ),
        ("//awards//aaaaaaaaaaaaaaaaaaaa", "/awards/aaaaaaaaaaaaaaaaaaaa/"),
        ("http://localhost/awards/aaaaaaaaaaaaaaaaaaaa", "/awards/aaaaaaaaaaaaaaaaaaaa/"),
    ],
)
def test_folder_without_slash_redirects(running: Running, path: str, location: str) -> None:
    status, headers, _ = get(running, path)
    assert (status, headers["Location"]) == (301, location)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/issuer.json", "application/json; charset=utf-8"),
        ("/static/jsonld-canonize.mjs", "text/javascript; charset=utf-8"),
        ("/static/site.js", "text/javascript; charset=utf-8"),
        ("/static/style.css", "text/css; charset=utf-8"),
        ("/badges/civic/image.svg", "image/svg+xml"),
        ("/badges/civic/image.png", "image/png"),
        ("/sitemap.xml", "application/xml"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/static/font.woff2", "font/woff2"),
        ("/static/data.bin", "application/octet-stream"),
        ("/missing.json", "text/html; charset=utf-8"),
    ],
)
def test_content_types(running: Running, path: str, content_type: str) -> None:
    assert get(running, path)[1]["Content-Type"] == content_type


def test_head_sends_the_fields_without_the_body(running: Running) -> None:
    raw = b"HEAD /issuer.json HTTP/1.1\r\nHost: localhost\r\n\r\n"
    status, headers, body = exchange(running, raw, method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, str(len(FILES["issuer.json"])), b"")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"])
def test_other_methods_are_not_allowed(running: Running, method: str) -> None:
    raw = f"{method} / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n".encode()
    status, headers, _ = exchange(running, raw)
    assert (status, headers["Allow"]) == (405, "GET, HEAD")


def test_a_missing_site_folder_answers_404(tmp_path: Path) -> None:
    response = answer(tmp_path / "not-built-yet", "GET", b"/")
    assert (response.status, response.body) == (HTTPStatus.NOT_FOUND, preview._BUILT_IN_404)


def test_a_rebuilt_site_is_seen_at_once(running: Running, site: Path) -> None:
    (site / "issuer.json").write_bytes(b'{"type": "Profile", "name": "new"}\n')
    assert get(running, "/issuer.json")[2] == b'{"type": "Profile", "name": "new"}\n'


# ---- hostile paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "status"),
    [
        (b"/%00", 400),
        (b"/index.html%00.png", 400),
        (b"/a%00b/", 400),
        (b"/../etc/passwd", 400),
        (b"/awards/../../../etc/passwd", 400),
        (b"/./index.html", 400),
        (b"/%2e%2e/%2e%2e/etc/passwd", 400),
        (b"/%2E%2E%2Fetc%2Fpasswd", 400),
        (b"/..%2f..%2fetc/passwd", 400),
        (b"/awards/%2e%2e/%2e%2e/secret.txt", 400),
        (b"http://localhost/../etc/passwd", 400),
        (b"..", 400),
        (b"*", 400),
        (b"\\..\\etc\\passwd", 400),
        (b"/%ff%fe", 404),
        (b"/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", 404),
        (b"/caf\xc3\xa9\xff", 404),
        (b"/%", 404),
        (b"/%zz", 404),
        (b"/awards/\\..\\..\\secret.txt", 404),
        (b"/leak.txt", 404),
        (b"/up/secret.txt", 404),
        (b"/" + b"a" * 5000, 404),
        (b"/" + b"a/" * 3000, 404),
        (b"/" + b"%e9" * 2000, 404),
        (b"/" + b"a" * 100_000, 414),
    ],
)
def test_hostile_paths_are_refused(running: Running, target: bytes, status: int) -> None:
    got_status, _, body = get(running, target)
    assert got_status == status
    assert b"outside the site" not in body


def test_hostile_heads_are_refused(running: Running) -> None:
    cases = [
        (b"hello\r\n\r\n", 400),
        (b"GET /\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host (RFC 9112 3.2)
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
        (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"x" * 20_000 + b"\r\n\r\n", 431),
        (b"\xff\xfe / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ]
    for raw, status in cases:
        assert exchange(running, raw)[0] == status, raw[:40]


@given(st.binary())
def test_any_target_is_answered_without_error(target: bytes) -> None:
    response = answer(Path(__file__).parent / "golden" / "mini", "GET", target)
    assert response.status in (200, 301, 400, 404)


@given(st.binary())
def test_any_head_parses_or_is_refused(head: bytes) -> None:
    try:
        request: object = parse_head(head)
    except RequestRefusedError as refused:
        request = refused.status
    assert request in (400, 505) or isinstance(request, preview.Request)


# ---- connections --------------------------------------------------------------------------


def test_keep_alive_and_pipelined_requests(running: Running) -> None:
    with running.connect() as sock:
        sock.sendall(b"GET /issuer.json HTTP/1.1\r\nHost: a\r\n\r\n")
        first = read_response(sock)
        assert (first.status, first.read()) == (200, FILES["issuer.json"])
        sock.sendall(
            b"GET /robots.txt HTTP/1.1\r\nHost: a\r\n\r\n"
            b"GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        )
        rest = b"".join(iter(lambda: sock.recv(65536), b""))  # until the server closes
    second, third = rest.split(b"HTTP/1.1 ")[1:]
    assert second.startswith(b"200 OK\r\n")
    assert second.endswith(b"\r\n\r\n" + FILES["robots.txt"])
    assert third.startswith(b"404 Not Found\r\n")
    assert third.endswith(b"\r\n\r\n" + NOT_FOUND_PAGE)
    assert b"\r\nConnection: close\r\n" in third


def test_http_1_0_closes_unless_asked_to_keep_alive(running: Running) -> None:
    with running.connect() as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert read_response(sock).read() == FILES["index.html"]
        assert sock.recv(1) == b""


def test_clients_that_disconnect_mid_answer_are_forgotten(running: Running, site: Path) -> None:
    (site / BIG_FILE).write_bytes(b"\0" * BIG_SIZE)
    for _ in range(20):
        sock = running.connect()
        sock.sendall(f"GET /{BIG_FILE} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 200 OK")
        # Close with a reset, as a browser tab that is closed may.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    assert get(running, "/")[0] == 200
    assert running.errors == []


def test_200_concurrent_requests_are_all_answered(running: Running) -> None:
    def fetch(number: int) -> bytes:
        with urllib.request.urlopen(running.url(f"/issuer.json?n={number}"), timeout=60) as reply:
            data: bytes = reply.read()
            return data

    with ThreadPoolExecutor(max_workers=200) as pool:
        bodies = list(pool.map(fetch, range(200)))
    assert bodies == [FILES["issuer.json"]] * 200


def test_200_idle_connections_neither_block_nor_hold_threads(running: Running) -> None:
    assert get(running, "/")[0] == 200  # the server is up, with all its threads
    # No thread starts; one may end meanwhile (a worker of an earlier test's server).
    threads = set(threading.enumerate())
    idle = [running.connect() for _ in range(200)]
    try:
        with urllib.request.urlopen(running.url("/"), timeout=10) as reply:
            assert reply.read() == FILES["index.html"]
        assert set(threading.enumerate()) <= threads
    finally:
        for sock in idle:
            sock.close()


def test_past_the_limit_the_longest_idle_connections_are_closed(
    site: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with start(site, max_connections=20) as running:
        idle = [running.connect() for _ in range(40)]
        assert get(running, "/")[0] == 200
        closed = [sock.recv(1) == b"" for sock in idle[:21]]
        still_open = [_is_open(sock) for sock in idle[21:]]
        for sock in idle:
            sock.close()
    assert (closed, still_open) == ([True] * 21, [True] * 19)
    assert (capfd.readouterr().err, running.errors) == ("", [])


def _is_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True
    return False


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\n", b"GET / HTTP/1.1\r\nHost: a"])
def test_idle_and_slow_connections_are_closed(site: Path, sent: bytes) -> None:
    with start(site, idle_seconds=0.5) as running, running.connect() as sock:
        sock.sendall(sent)
        assert sock.recv(1) == b""


def test_a_defect_answers_500_and_is_reported(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> preview.Response:
        raise RuntimeError("defect")

    monkeypatch.setattr(preview, "answer", broken)
    assert get(running, "/")[0] == 500
    assert [str(error) for error in running.errors] == ["defect"]
    running.errors.clear()


# ---- watching the sources -----------------------------------------------------------------


def test_watcher_rebuilds_on_change_and_survives_a_failed_rebuild(tmp_path: Path) -> None:
    source = tmp_path / "badges" / "civic.yaml"
    source.parent.mkdir()
    source.write_text("name: Civique\n", encoding="utf-8")
    calls: list[str] = []
    errors: list[Exception] = []
    called = threading.Semaphore(0)

    def rebuild() -> None:
        calls.append(source.read_text(encoding="utf-8"))
        called.release()
        if len(calls) == 1:
            raise RuntimeError("rebuild failed")

    stop = threading.Event()
    sources = [tmp_path / "badges", tmp_path / "site_config.yaml"]
    watcher = threading.Thread(
        target=preview.watch_sources,
        args=(sources, preview.sources_stamp(sources), rebuild, errors.append, stop),
        kwargs={"interval": 0.05},
    )
    watcher.start()
    try:
        source.write_text("name: Civique!\n", encoding="utf-8")
        assert called.acquire(timeout=30)
        (tmp_path / "site_config.yaml").write_text("languages: [fr]\n", encoding="utf-8")
        assert called.acquire(timeout=30)
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert calls == ["name: Civique!\n", "name: Civique!\n"]
    assert [str(error) for error in errors] == ["rebuild failed"]


def test_sources_stamp_sees_added_changed_and_removed_files(tmp_path: Path) -> None:
    file = tmp_path / "badges" / "a.yaml"
    file.parent.mkdir()
    empty = preview.sources_stamp([tmp_path / "badges"])
    file.write_text("a: 1\n", encoding="utf-8")
    added = preview.sources_stamp([tmp_path / "badges"])
    os.utime(file, ns=(0, 1))
    changed = preview.sources_stamp([tmp_path / "badges"])
    file.unlink()
    assert len({empty, added, changed}) == 3
    assert preview.sources_stamp([tmp_path / "badges"]) == empty == frozenset()
    assert preview.sources_stamp([tmp_path / "missing"]) == frozenset()
