"""Reading what `verify` needs, from a file, a built site folder or https, under stated limits.

Every reader answers a URL with its bytes or raises LookupError saying why it cannot (the
contract of :data:`badgepages.verify.Fetch`). Which hosts a verification contacts at all is
decided in :mod:`badgepages.verify`; the readers add their own rules: the folder reader never
answers with a file outside its folder, the web reader uses only https, follows redirects
only to https on the same host, and stops at a size and a total time.
"""

from __future__ import annotations

import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException, HTTPMessage, HTTPResponse
from pathlib import Path
from typing import IO, Final
from urllib.parse import unquote, urlsplit

from badgepages.verify import Fetch

# A baked badge image is well under a megabyte, a credential or DID document a few kilobytes.
MAX_BYTES: Final = 16 * 2**20
# Per URL, redirects included: connecting, waiting and reading all count.
TIME_LIMIT_SECONDS: Final = 20.0
MAX_REDIRECTS: Final = 5
_READ_SIZE: Final = 2**16


@dataclass(frozen=True)
class Limits:
    """How much a reader may read, and for how long."""

    max_bytes: int = MAX_BYTES
    seconds: float = TIME_LIMIT_SECONDS


def read_file(path: Path, limits: Limits = Limits()) -> bytes:
    """Return a file's bytes; refuse one larger than the limit without reading it all."""
    try:
        with path.open("rb") as stream:
            data = stream.read(limits.max_bytes + 1)
    except OSError as error:
        raise LookupError(error.strerror or str(error)) from None
    if len(data) > limits.max_bytes:
        raise LookupError(f"the file is larger than {_size(limits.max_bytes)}, more than a badge")
    return data


def site_fetcher(site: Path, base_url: str, limits: Limits = Limits()) -> Fetch:
    """Return a fetch that answers the URLs under base_url from a built site folder.

    As a web server would, it percent-decodes the path; it refuses '.' and '..' segments,
    and any file that resolves outside the folder, through symlinks too.
    """
    root = site.resolve()
    base = base_url if base_url.endswith("/") else base_url + "/"

    def fetch(url: str) -> bytes:
        if not url.startswith(base):
            raise LookupError(f"{url} is outside the site folder given with --site")
        # The query and fragment never name a file of a static site.
        segments = unquote(url[len(base) :].partition("#")[0].partition("?")[0]).split("/")
        if any(segment in (".", "..") or "\\" in segment for segment in segments):
            raise LookupError(f"{url} has '.' or '..' segments: refused")
        if segments[-1] == "":
            segments[-1] = "index.html"
        try:
            file = root.joinpath(*segments).resolve(strict=True)
        except (OSError, ValueError, RuntimeError):
            raise LookupError(f"{url} is not in {site}") from None
        if not file.is_relative_to(root):
            raise LookupError(f"{url} leads outside {site} (a symlink): refused")
        try:
            return read_file(file, limits)
        except LookupError as error:
            raise LookupError(f"{url}: {error}") from None

    return fetch


def web_fetcher(context: ssl.SSLContext | None = None, limits: Limits = Limits()) -> Fetch:
    """Return a fetch over https only, within the limits (certificates checked by context)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context or ssl.create_default_context()),
        _SameHostHttpsRedirects(),
    )

    def fetch(url: str) -> bytes:
        if urlsplit(url).scheme != "https":
            raise LookupError(f"refusing to fetch {url}: only https is used")
        # A worker thread reads, so that the total time holds even for a server that drips
        # its headers; abandoned at the limit, it ends at its own socket timeout.
        outcome: list[bytes | LookupError] = []
        deadline = time.monotonic() + limits.seconds
        worker = threading.Thread(
            target=lambda: outcome.append(_download(opener, url, limits, deadline)), daemon=True
        )
        worker.start()
        worker.join(limits.seconds)
        if not outcome:
            raise LookupError(f"{url} took longer than {limits.seconds:g} s: stopped")
        if isinstance(outcome[0], LookupError):
            raise outcome[0]
        return outcome[0]

    return fetch


def _download(
    opener: urllib.request.OpenerDirector, url: str, limits: Limits, deadline: float
) -> bytes | LookupError:
    try:
        with opener.open(url, timeout=limits.seconds) as response:
            return _read_within(response, url, limits, deadline)
    except LookupError as error:
        return error
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400:
            return LookupError(f"{url}: too many redirects")
        return LookupError(f"{url}: HTTP {error.code} {error.reason}")
    except urllib.error.URLError as error:
        return LookupError(f"{url}: {error.reason}")
    except (OSError, ValueError, HTTPException) as error:
        return LookupError(f"{url}: {error}")


def _read_within(response: HTTPResponse, url: str, limits: Limits, deadline: float) -> bytes:
    too_large = LookupError(f"{url} is larger than {_size(limits.max_bytes)}: refused")
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limits.max_bytes:
        raise too_large
    chunks: list[bytes] = []
    received = 0
    # read1 returns what one socket read gives: a slow server cannot hold a read past the
    # deadline by more than one socket timeout.
    while chunk := response.read1(_READ_SIZE):
        received += len(chunk)
        if received > limits.max_bytes:
            raise too_large
        if time.monotonic() > deadline:
            raise LookupError(f"{url} took longer than {limits.seconds:g} s: stopped")
        chunks.append(chunk)
    return b"".join(chunks)


class _SameHostHttpsRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to https on the same host (and port)."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        """Refuse, before any request, a redirect to http or to another host."""
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        if new.scheme != "https":
            fp.close()
            raise LookupError(f"{req.full_url} redirects to {newurl}: only https is used")
        if (old.hostname, old.port) != (new.hostname, new.port):
            fp.close()
            raise LookupError(
                f"{req.full_url} redirects to another host ({new.netloc}): not followed"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _size(count: int) -> str:
    return f"{count // 2**20} MiB" if count >= 2**20 else f"{count} bytes"
