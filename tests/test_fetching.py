"""Readers for `verify`: files under a size limit, a site folder that never answers with a file
outside it, and https with size, time, redirect and certificate rules, against local servers."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from badgepages.fetching import Limits, read_file, site_fetcher, web_fetcher
from tests.local_https import (
    Certificates,
    LocalServer,
    document,
    dripping,
    endless,
    make_certificates,
    redirect,
    serving,
)

BASE = "https://example.github.io/badges/"
SECRET = b"the verifier's own secret file"
SMALL = Limits(max_bytes=2**20, seconds=1.0)


# -- files -------------------------------------------------------------------------------


def test_a_file_within_the_limit_is_read(tmp_path: Path) -> None:
    file = tmp_path / "credential.json"
    file.write_bytes(b"x" * 100)
    assert read_file(file, Limits(max_bytes=100)) == b"x" * 100


def test_a_file_past_the_limit_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "credential.json"
    file.write_bytes(b"x" * 101)
    with pytest.raises(LookupError) as caught:
        read_file(file, Limits(max_bytes=100))
    assert str(caught.value) == "the file is larger than 100 bytes, more than a badge"


def test_a_2_gb_file_is_refused_after_reading_16_mib(tmp_path: Path) -> None:
    file = tmp_path / "huge.png"
    with file.open("wb") as stream:
        stream.truncate(2 * 2**30)  # sparse: no disk space used
    with pytest.raises(LookupError) as caught:
        read_file(file)
    assert str(caught.value) == "the file is larger than 16 MiB, more than a badge"


@pytest.mark.parametrize(
    ("name", "reason"), [("missing.json", "No such file or directory"), ("", "Is a directory")]
)
def test_unreadable_files_say_why(tmp_path: Path, name: str, reason: str) -> None:
    with pytest.raises(LookupError) as caught:
        read_file(tmp_path / name)
    assert str(caught.value) == reason


# -- a built site folder -----------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder in tmp/a/site, a secret file in tmp/secret.txt and tmp/a/secret.txt."""
    folder = tmp_path / "a" / "site"
    (folder / "status").mkdir(parents=True)
    (folder / "index.html").write_text("home", encoding="utf-8")
    (folder / "status" / "1.json").write_text("{}", encoding="utf-8")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "a" / "secret.txt").write_bytes(SECRET)
    return folder


@pytest.mark.parametrize(
    ("path", "content"),
    [("status/1.json", b"{}"), ("", b"home"), ("status/1.json?v=2#list", b"{}")],
)
def test_the_site_folder_answers_its_urls(site: Path, path: str, content: bytes) -> None:
    assert site_fetcher(site, BASE)(BASE + path) == content


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "../../secret.txt",
        "status/../../secret.txt",
        "%2e%2e/secret.txt",
        "%2E%2e/%2e%2E/secret.txt",
        ".%2E/secret.txt",
        "..%2fsecret.txt",
        "..%2F..%2Fsecret.txt",
        "status/%2e/1.json",
        "./status/1.json",
        "..\\secret.txt",
        "..%5csecret.txt",
    ],
)
def test_dot_segments_are_refused(site: Path, path: str) -> None:
    url = BASE + path
    with pytest.raises(LookupError) as caught:
        site_fetcher(site, BASE)(url)
    assert str(caught.value) == f"{url} has '.' or '..' segments: refused"


@pytest.mark.parametrize("link", ["status/2.json", "linked/1.json"])
def test_symlinks_out_of_the_folder_are_refused(site: Path, link: str) -> None:
    outside = site.parent / "outside"
    outside.mkdir()
    (outside / "1.json").write_bytes(SECRET)
    if link.startswith("linked"):
        (site / "linked").symlink_to(outside, target_is_directory=True)
    else:
        (site / link).symlink_to(outside / "1.json")
    url = BASE + link
    with pytest.raises(LookupError) as caught:
        site_fetcher(site, BASE)(url)
    assert str(caught.value) == f"{url} leads outside {site} (a symlink): refused"


def test_a_symlink_inside_the_folder_is_followed(site: Path) -> None:
    (site / "status" / "latest.json").symlink_to(site / "status" / "1.json")
    assert site_fetcher(site, BASE)(BASE + "status/latest.json") == b"{}"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.github.io/badgesx/status/1.json",
        "https://example.github.io/other/",
        "http://example.github.io/badges/status/1.json",
        "file:///etc/passwd",
    ],
)
def test_urls_of_another_site_are_not_answered(site: Path, url: str) -> None:
    with pytest.raises(LookupError) as caught:
        site_fetcher(site, BASE)(url)
    assert str(caught.value) == f"{url} is outside the site folder given with --site"


def test_a_base_url_without_its_slash_still_ends_at_a_segment(site: Path) -> None:
    url = "https://example.github.io/badgesx/status/1.json"
    with pytest.raises(LookupError):
        site_fetcher(site, BASE.rstrip("/"))(url)


def test_missing_and_oversized_files_in_the_site(site: Path) -> None:
    fetch = site_fetcher(site, BASE, Limits(max_bytes=3))
    with pytest.raises(LookupError) as caught:
        fetch(BASE + "nothing.json")
    assert str(caught.value) == f"{BASE}nothing.json is not in {site}"
    with pytest.raises(LookupError) as caught:
        fetch(BASE)
    assert str(caught.value) == f"{BASE}: the file is larger than 3 bytes, more than a badge"


# -- https -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A test authority and a certificate for localhost and 127.0.0.1."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests go straight to the local servers, whatever proxy the machine has."""
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)


@pytest.fixture
def plain() -> Iterator[LocalServer]:
    """A plain http server: a redirect's target that must never be asked."""
    with serving({"/x": document(b"{}")}) as server:
        yield server


@pytest.fixture
def server(certificates: Certificates, plain: LocalServer) -> Iterator[LocalServer]:
    """An https server on localhost with every kind of answer the limits are for."""
    routes = {
        "/doc.json": document(b'{"ok": true}'),
        "/old.json": redirect("/doc.json"),
        "/to-http": redirect(plain.url("/x")),
        "/to-http-same-host": redirect("http://localhost/doc.json"),
        "/loop": redirect("/loop"),
        "/huge-claimed": endless(claimed_length=2**30),
        "/huge-unclaimed": endless(claimed_length=None),
        "/drip": dripping(headers_too=False),
        "/drip-headers": dripping(headers_too=True),
    }
    with serving(routes, certificates.server_context()) as running:
        running.routes["/to-other-host"] = redirect(running.url("/doc.json", "127.0.0.1"))
        yield running


def test_https_documents_are_read(certificates: Certificates, server: LocalServer) -> None:
    fetch = web_fetcher(certificates.client_context(), SMALL)
    assert fetch(server.url("/doc.json")) == b'{"ok": true}'


def test_a_redirect_on_the_same_host_is_followed(
    certificates: Certificates, server: LocalServer
) -> None:
    fetch = web_fetcher(certificates.client_context(), SMALL)
    assert fetch(server.url("/old.json")) == b'{"ok": true}'
    assert [path for _, path in server.requests] == ["/old.json", "/doc.json"]


def test_the_system_trust_store_can_hold_the_authority(
    certificates: Certificates, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    assert web_fetcher(limits=SMALL)(server.url("/doc.json")) == b'{"ok": true}'


def test_an_untrusted_certificate_is_refused(server: LocalServer) -> None:
    url = server.url("/doc.json")
    with pytest.raises(LookupError) as caught:
        web_fetcher(limits=SMALL)(url)
    assert str(caught.value).startswith(f"{url}: [SSL: CERTIFICATE_VERIFY_FAILED]")


def test_http_is_never_asked(certificates: Certificates, plain: LocalServer) -> None:
    url = plain.url("/x")
    with pytest.raises(LookupError) as caught:
        web_fetcher(certificates.client_context(), SMALL)(url)
    assert str(caught.value) == f"refusing to fetch {url}: only https is used"
    assert plain.requests == []


@pytest.mark.parametrize("path", ["/to-http", "/to-http-same-host"])
def test_a_redirect_to_http_is_not_followed(
    certificates: Certificates, server: LocalServer, plain: LocalServer, path: str
) -> None:
    url = server.url(path)
    with pytest.raises(LookupError) as caught:
        web_fetcher(certificates.client_context(), SMALL)(url)
    location = plain.url("/x") if path == "/to-http" else "http://localhost/doc.json"
    assert str(caught.value) == f"{url} redirects to {location}: only https is used"
    assert (plain.requests, [p for _, p in server.requests]) == ([], [path])


def test_a_redirect_to_another_host_is_not_followed(
    certificates: Certificates, server: LocalServer
) -> None:
    url = server.url("/to-other-host")
    with pytest.raises(LookupError) as caught:
        web_fetcher(certificates.client_context(), SMALL)(url)
    assert str(caught.value) == (
        f"{url} redirects to another host (127.0.0.1:{server.port}): not followed"
    )
    assert server.requests == [(f"localhost:{server.port}", "/to-other-host")]


def test_redirects_are_counted(certificates: Certificates, server: LocalServer) -> None:
    url = server.url("/loop")
    with pytest.raises(LookupError) as caught:
        web_fetcher(certificates.client_context(), SMALL)(url)
    assert str(caught.value) == f"{url}: too many redirects"
    assert len(server.requests) == 5


@pytest.mark.parametrize("path", ["/huge-claimed", "/huge-unclaimed"])
def test_a_huge_answer_is_cut_at_the_limit(
    certificates: Certificates, server: LocalServer, path: str
) -> None:
    url = server.url(path)
    with pytest.raises(LookupError) as caught:
        web_fetcher(certificates.client_context(), SMALL)(url)
    assert str(caught.value) == f"{url} is larger than 1 MiB: refused"


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_dripping_server_is_left_at_the_time_limit(
    certificates: Certificates, server: LocalServer, path: str
) -> None:
    url = server.url(path)
    fetch = web_fetcher(certificates.client_context(), Limits(seconds=0.5))
    with pytest.raises(LookupError) as caught:
        fetch(url)
    assert str(caught.value) == f"{url} took longer than 0.5 s: stopped"


def test_http_errors_are_lookups(certificates: Certificates, server: LocalServer) -> None:
    url = server.url("/missing.json")
    with pytest.raises(LookupError) as caught:
        web_fetcher(certificates.client_context(), SMALL)(url)
    assert str(caught.value) == f"{url}: HTTP 404 Not Found"


def test_nothing_listens(certificates: Certificates) -> None:
    with serving({}) as closed:
        url = closed.url("/doc.json", "127.0.0.1").replace("http:", "https:")
    with pytest.raises(LookupError) as caught:
        web_fetcher(certificates.client_context(), SMALL)(url)
    refused = errno.ECONNREFUSED
    assert str(caught.value) == f"{url}: [Errno {refused}] {os.strerror(refused)}"
