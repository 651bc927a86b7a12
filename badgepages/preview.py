"""The local preview: answers from a built site folder as GitHub Pages will, and never prints.

Pages semantics copied here: no folder listings; `dir/` serves `dir/index.html`; `dir` redirects
(301) to `dir/` when that has an index; `page` serves `page.html`; anything else is the site's
`404.html` with status 404. Every answer carries `Cache-Control: no-cache`, so a rebuild is
seen at the next reload.

Connections wait in one selector thread and cost no thread while idle; a fixed pool of workers
answers complete requests. Idle connections are closed after a while, and the number of open
connections is capped, so stuck or hostile clients cannot pin threads, memory or descriptors.
"""

from __future__ import annotations

import contextlib
import queue
import re
import selectors
import socket
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import quote, unquote_to_bytes

WORKERS = 8  # threads that answer requests
MAX_CONNECTIONS = 256  # open connections; past it the one idle the longest is closed
IDLE_SECONDS = 15.0  # a connection must send a complete request within this, or is closed
SEND_SECONDS = 30.0  # the longest a client may take to receive one answer
LINGER_SECONDS = 2.0  # after a last answer, unread input is drained this long, then closed
MAX_HEAD_BYTES = 16_384  # request line and header fields
BACKLOG = 1024  # connections the kernel queues before they are accepted

ErrorHandler = Callable[[Exception], object]
# What becomes of a connection once answered: kept for another request, closed after its
# unread input is drained (closing at once would reset it and could lose the answer), or gone.
Outcome = Literal["keep", "linger", "gone"]

# File types served, as GitHub Pages labels them; anything else is a download.
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".gif": "image/gif",
    ".html": "text/html; charset=utf-8",
    ".ico": "image/x-icon",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".jsonld": "application/ld+json; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".xml": "application/xml",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_HTML = "text/html; charset=utf-8"
_BUILT_IN_404 = b"<!doctype html><title>404 Not Found</title><h1>404 Not Found</h1>\n"

# RFC 9110 §5.6.2 token, for methods and field names; RFC 9112 §2.3 HTTP-version.
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_ABSOLUTE_FORM = re.compile(rb"(?i)https?://[^/?#]*")
# RFC 3986 §3.3 and §3.4: characters kept as they are in a redirect's path and query.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_QUERY_SAFE = _PATH_SAFE + "?%"


class RequestRefusedError(Exception):
    """A request refused before the site is looked at; carries the status to answer."""

    def __init__(self, status: HTTPStatus) -> None:
        super().__init__(status.phrase)
        self.status = status


@dataclass(frozen=True)
class Request:
    """What an answer depends on: the method, the raw request-target and keep-alive."""

    method: str
    target: bytes
    keep_alive: bool


@dataclass(frozen=True)
class Response:
    """A status, its header fields and a body."""

    status: HTTPStatus
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self, *, with_body: bool, keep_alive: bool) -> bytes:
        """Return the bytes on the wire (HTTP/1.1, RFC 9112 §4 and §6)."""
        fields = [
            ("Date", formatdate(usegmt=True)),
            *self.headers,
            ("Content-Length", str(len(self.body))),
            ("Cache-Control", "no-cache"),
            ("Connection", "keep-alive" if keep_alive else "close"),
        ]
        lines = [f"HTTP/1.1 {self.status.value} {self.status.phrase}"]
        lines += [f"{name}: {value}" for name, value in fields]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
        return head + self.body if with_body else head


def parse_head(head: bytes) -> Request:
    """Read a request line and its header fields (RFC 9112 §3 and §5); raise RequestRefusedError."""
    lines = [line.removesuffix(b"\r") for line in head.split(b"\n")]
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST)
    method, target, version_text = parts
    version = _VERSION.fullmatch(version_text)
    if version is None:
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST)
    if version[1] != b"1":
        raise RequestRefusedError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED)
    fields: dict[bytes, list[bytes]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        # No space before the colon, no obsolete line folding (RFC 9112 §5.1, §5.2).
        if not colon or not _TOKEN.fullmatch(name):
            raise RequestRefusedError(HTTPStatus.BAD_REQUEST)
        fields.setdefault(name.lower(), []).append(value.strip(b" \t"))
    http11 = version[2] != b"0"
    if http11 and len(fields.get(b"host", [])) != 1:  # RFC 9112 §3.2
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST)
    options = {t.strip().lower() for v in fields.get(b"connection", []) for t in v.split(b",")}
    keep_alive = b"close" not in options if http11 else b"keep-alive" in options
    # A body is never read: the connection closes after the answer instead.
    has_body = b"transfer-encoding" in fields or any(
        v not in (b"", b"0") for v in fields.get(b"content-length", [])
    )
    return Request(method.decode("ascii"), target, keep_alive and not has_body)


def answer(site: Path, method: str, target: bytes) -> Response:
    """Return what GitHub Pages answers to a method and request-target, from the site folder."""
    if method not in ("GET", "HEAD"):
        return _plain(HTTPStatus.METHOD_NOT_ALLOWED, (("Allow", "GET, HEAD"),))
    target = target.partition(b"#")[0]
    if absolute := _ABSOLUTE_FORM.match(target):  # RFC 9112 §3.2.2
        target = target[absolute.end() :] or b"/"
    raw_path, question, query = target.partition(b"?")
    try:
        segments = _path_segments(raw_path)
    except RequestRefusedError as refused:
        return _plain(refused.status)
    if segments is None:
        return _not_found(site)
    root = site.resolve()
    if raw_path.endswith(b"/") or not segments:
        file = _site_file(root, [*segments, "index.html"])
    else:
        file = _site_file(root, segments)
        if file is None and _site_file(root, [*segments, "index.html"]) is not None:
            location = quote("/" + "/".join(segments) + "/", safe=_PATH_SAFE)
            if question:
                location += "?" + quote(query, safe=_QUERY_SAFE)
            return _plain(HTTPStatus.MOVED_PERMANENTLY, (("Location", location),))
        file = file or _site_file(root, [*segments[:-1], segments[-1] + ".html"])
    body = _read(file)
    if file is None or body is None:
        return _not_found(site)
    content_type = CONTENT_TYPES.get(file.suffix.lower(), DEFAULT_CONTENT_TYPE)
    return Response(HTTPStatus.OK, (("Content-Type", content_type),), body)


def _path_segments(raw_path: bytes) -> list[str] | None:
    """Return the decoded path's segments, or None when no file can match them."""
    if not raw_path.startswith(b"/"):
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST)
    decoded = unquote_to_bytes(raw_path)
    if b"\0" in decoded:
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST)
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the site's file names are UTF-8
    segments = [segment for segment in text.split("/") if segment]
    if any(segment in (".", "..") for segment in segments):
        raise RequestRefusedError(HTTPStatus.BAD_REQUEST)
    return segments


def _site_file(root: Path, segments: Sequence[str]) -> Path | None:
    """Return the regular file at these segments if it exists inside the site, else None."""
    try:
        file = root.joinpath(*segments).resolve(strict=True)
        inside = file.is_relative_to(root) and file.is_file()
    except (OSError, RuntimeError):  # too long a name, a symlink loop, a vanished file
        return None
    return file if inside else None


def _read(file: Path | None) -> bytes | None:
    if file is None:
        return None
    try:
        return file.read_bytes()
    except OSError:  # removed or replaced by a rebuild since it was found
        return None


def _not_found(site: Path) -> Response:
    """Return the site's own 404 page with status 404, as Pages does."""
    body = _read(_site_file(site.resolve(), ["404.html"]))
    return Response(HTTPStatus.NOT_FOUND, (("Content-Type", _HTML),), body or _BUILT_IN_404)


def _plain(status: HTTPStatus, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    body = f"{status.value} {status.phrase}\n".encode("ascii")
    return Response(status, (("Content-Type", "text/plain; charset=utf-8"), *headers), body)


@dataclass(eq=False)
class _Connection:
    """One client connection and the bytes it sent that were not answered yet."""

    sock: socket.socket
    deadline: float
    buffer: bytes = field(default=b"")
    closing: bool = False  # answered for the last time: input is read and dropped

    def has_request(self) -> bool:
        """Tell whether a complete request head, or too much for one, has arrived."""
        # RFC 9112 §2.2: empty lines before a request line are ignored.
        self.buffer = self.buffer.lstrip(b"\r\n")
        return _HEAD_END.search(self.buffer) is not None or len(self.buffer) > MAX_HEAD_BYTES


class PreviewServer:
    """Serve a site folder on a local address with a fixed number of threads.

    ``on_error`` receives any unforeseen exception raised while answering (the client then
    gets a 500); failures of the network itself, such as a client going away, are silent.
    """

    def __init__(
        self,
        site: Path,
        host: str,
        port: int,
        on_error: ErrorHandler,
        *,
        workers: int = WORKERS,
        max_connections: int = MAX_CONNECTIONS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        self._listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
        self._listener.setblocking(False)
        self.site = site
        self._on_error = on_error
        self._max_connections = max_connections
        self._idle_seconds = idle_seconds
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._wake_in, selectors.EVENT_READ)
        self._waiting: dict[socket.socket, _Connection] = {}  # in the selector, no thread
        self._answering = 0  # handed to the workers
        self._requests: queue.SimpleQueue[_Connection | None] = queue.SimpleQueue()
        self._answered: queue.SimpleQueue[tuple[_Connection, Outcome]] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._closed = False
        self._closing = threading.Lock()
        self._workers = workers
        self._started = 0  # workers start with serve_forever: a build may fork until then

    @property
    def address(self) -> tuple[str, int]:
        """Return the host and port listened on (the real port when 0 was asked for)."""
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    def __enter__(self) -> PreviewServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def serve_forever(self) -> None:
        """Accept and answer connections until shutdown() or an interrupt; then close."""
        with self._closing:
            while not self._closed and self._started < self._workers:
                name = f"preview-worker-{self._started}"
                threading.Thread(target=self._work, name=name, daemon=True).start()
                self._started += 1
        try:
            while not self._stopping.is_set():
                for key, _ in self._selector.select(self._select_timeout()):
                    if key.fileobj is self._listener:
                        self._accept()
                    elif key.fileobj is self._wake_in:
                        self._take_back()
                    else:
                        self._receive(key.data)
                self._close_expired()
        finally:
            self.close()

    def shutdown(self) -> None:
        """Make serve_forever return; callable from any thread."""
        self._stopping.set()
        self._wake()

    def close(self) -> None:
        """Stop the workers and close every socket; call it where serve_forever runs or ran."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
        self._stopping.set()
        for connection in list(self._waiting.values()):
            self._drop(connection)
        while not self._answered.empty():
            self._answered.get()[0].sock.close()
        for _ in range(self._started):
            self._requests.put(None)
        self._selector.close()
        self._listener.close()
        self._wake_in.close()
        self._wake_out.close()

    def _select_timeout(self) -> float:
        deadlines = [connection.deadline for connection in self._waiting.values()]
        return max(0.0, min([time.monotonic() + 1.0, *deadlines]) - time.monotonic())

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors: free one, accept again on the next turn
                self._drop_longest_idle()
                return
            sock.setblocking(False)
            full = len(self._waiting) + self._answering >= self._max_connections
            if full and not self._drop_longest_idle():
                sock.close()
                continue
            self._wait(_Connection(sock, time.monotonic() + self._idle_seconds))

    def _wait(self, connection: _Connection) -> None:
        self._selector.register(connection.sock, selectors.EVENT_READ, connection)
        self._waiting[connection.sock] = connection

    def _receive(self, connection: _Connection) -> None:
        if self._waiting.get(connection.sock) is not connection:
            return  # closed to make room by an accept earlier in the same batch of events
        try:
            data = connection.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(connection)
            return
        if connection.closing:
            return
        connection.buffer += data
        if connection.has_request():
            self._selector.unregister(connection.sock)
            del self._waiting[connection.sock]
            self._hand_over(connection)

    def _hand_over(self, connection: _Connection) -> None:
        self._answering += 1
        self._requests.put(connection)

    def _take_back(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_in.recv(4096):
                pass
        while True:
            try:
                connection, outcome = self._answered.get_nowait()
            except queue.Empty:
                return
            self._answering -= 1
            if outcome == "gone":
                continue  # the worker closed it
            if outcome == "linger":
                connection.closing = True
                connection.deadline = time.monotonic() + LINGER_SECONDS
                self._wait(connection)
            elif connection.has_request():  # pipelined: the next request is already here
                self._hand_over(connection)
            else:
                connection.deadline = time.monotonic() + self._idle_seconds
                self._wait(connection)

    def _close_expired(self) -> None:
        now = time.monotonic()
        for connection in [c for c in self._waiting.values() if c.deadline <= now]:
            self._drop(connection)

    def _drop_longest_idle(self) -> bool:
        if not self._waiting:
            return False
        self._drop(min(self._waiting.values(), key=lambda c: c.deadline))
        return True

    def _drop(self, connection: _Connection) -> None:
        self._selector.unregister(connection.sock)
        del self._waiting[connection.sock]
        connection.sock.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full: a wake-up is pending anyway; or closed
            self._wake_out.send(b"\0")

    def _work(self) -> None:
        while (connection := self._requests.get()) is not None:
            outcome: Outcome = "gone"
            try:
                if not self._stopping.is_set():
                    outcome = self._respond(connection)
            except Exception as error:  # a defect: reported, and the worker goes on
                self._report(error)
            with self._closing:  # after close(), nobody would take the connection back
                if outcome == "gone" or self._closed:
                    connection.sock.close()
                else:
                    self._answered.put((connection, outcome))
            self._wake()

    def _respond(self, connection: _Connection) -> Outcome:
        """Answer the connection's first request; tell what becomes of the connection."""
        response, request = self._response_to(connection)
        keep_alive = request is not None and request.keep_alive
        wire = response.encode(
            with_body=request is None or request.method != "HEAD", keep_alive=keep_alive
        )
        try:
            connection.sock.settimeout(SEND_SECONDS)
            connection.sock.sendall(wire)
            if not keep_alive:
                connection.sock.shutdown(socket.SHUT_WR)
            connection.sock.setblocking(False)
        except OSError:  # the client went away or stopped reading: nothing to report
            return "gone"
        return "keep" if keep_alive else "linger"

    def _response_to(self, connection: _Connection) -> tuple[Response, Request | None]:
        end = _HEAD_END.search(connection.buffer)
        if end is None or end.start() > MAX_HEAD_BYTES:
            first_line_done = b"\n" in connection.buffer
            status = (
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                if first_line_done
                else HTTPStatus.REQUEST_URI_TOO_LONG
            )
            return _plain(status), None
        head, connection.buffer = connection.buffer[: end.start()], connection.buffer[end.end() :]
        try:
            request = parse_head(head)
            return answer(self.site, request.method, request.target), request
        except RequestRefusedError as refused:
            return _plain(refused.status), None
        except Exception as error:  # a defect: reported, and the client gets a 500
            self._report(error)
            return _plain(HTTPStatus.INTERNAL_SERVER_ERROR), None

    def _report(self, error: Exception) -> None:
        with contextlib.suppress(Exception):  # reporting must not stop a worker either
            self._on_error(error)


def sources_stamp(paths: Sequence[Path]) -> frozenset[tuple[str, int, int]]:
    """Return the path, size and modification time of every file under the given paths."""
    stamp = set()
    for watched in paths:
        try:
            files = [watched] if watched.is_file() else list(watched.rglob("*"))
        except OSError:  # a folder removed while it was listed: seen on the next turn
            files = []
        for file in files:
            try:
                info = file.stat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                stamp.add((str(file), info.st_size, info.st_mtime_ns))
    return frozenset(stamp)


def watch_sources(
    paths: Sequence[Path],
    since: frozenset[tuple[str, int, int]],
    rebuild: Callable[[], object],
    on_error: ErrorHandler,
    stop: threading.Event,
    interval: float = 1.0,
) -> None:
    """Call ``rebuild`` after any change under the paths since a stamp, until ``stop`` is set."""
    stamp = since
    while not stop.wait(interval):
        current = sources_stamp(paths)
        if current == stamp:
            continue
        stamp = current
        try:
            rebuild()
        except Exception as error:  # a failed rebuild leaves the previous site served
            on_error(error)
