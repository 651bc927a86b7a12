"""did:web mapping rules (did:web §3.1-3.2) and DID documents."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages.did import (
    DidWebError,
    assertion_keys,
    build_did_document,
    did_document_url,
    did_document_url_path,
    did_from_base_url,
    key_id,
)
from badgepages.signing import generate_signing_key


@pytest.mark.parametrize(
    ("base_url", "did", "document_path"),
    [
        # GitHub project site: path segment, document next to the site root.
        ("https://example.github.io/badges/", "did:web:example.github.io:badges", "did.json"),
        ("https://example.github.io/badges", "did:web:example.github.io:badges", "did.json"),
        # User/organisation site or custom domain: no path, /.well-known/did.json.
        ("https://w3c-ccg.github.io/", "did:web:w3c-ccg.github.io", ".well-known/did.json"),
        ("https://badges.example.org", "did:web:badges.example.org", ".well-known/did.json"),
        # Nested directories become colon-separated segments.
        (
            "https://w3c-ccg.github.io/user/alice/",
            "did:web:w3c-ccg.github.io:user:alice",
            "did.json",
        ),
        # did:web §3.1: the port colon is percent-encoded.
        (
            "https://example.com:3000/user/alice/",
            "did:web:example.com%3A3000:user:alice",
            "did.json",
        ),
        # Host names are case-insensitive; did:web uses the lowercase form.
        ("https://Owner.GitHub.io/Repo/", "did:web:owner.github.io:Repo", "did.json"),
    ],
)
def test_base_url_mapping(base_url: str, did: str, document_path: str) -> None:
    assert did_from_base_url(base_url) == did
    assert did_document_url_path(base_url) == document_path


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:example.github.io:badges", "https://example.github.io/badges/did.json"),
    ],
)
def test_did_document_url_follows_the_read_algorithm(did: str, url: str) -> None:
    assert did_document_url(did) == url


@pytest.mark.parametrize(
    "base_url",
    [
        "https://example.github.io/badges/",
        "https://example.com:8443/a/b/",
        "https://badges.example.org/",
        "https://example.org/~team/badges.v2/",
    ],
)
def test_document_is_published_where_the_did_resolves(base_url: str) -> None:
    did = did_from_base_url(base_url)
    root = base_url if base_url.endswith("/") else base_url + "/"
    assert did_document_url(did) == root + did_document_url_path(base_url)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://example.github.io/badges/",
        "https://192.168.1.10/badges/",
        "https://[::1]/badges/",
        "https://example.org/badges/?x=1",
        "https://example.org/badges/#top",
        "https://user:pw@example.org/",
        "https:///nohost",
        # ':' separates did:web segments; percent-decoding differs between resolvers.
        "https://example.org/a:b/",
        "https://example.org/my%20badges/",
    ],
)
def test_unusable_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(DidWebError):
        did_from_base_url(base_url)


@pytest.mark.parametrize("did", ["did:key:z6Mk", "did:web:", "did:web:example.org#key-1"])
def test_non_did_web_values_are_refused(did: str) -> None:
    with pytest.raises(DidWebError):
        did_document_url(did)


def test_build_did_document_lists_every_key_for_assertion() -> None:
    did = "did:web:example.github.io:badges"
    current = generate_signing_key(key_id(did, "key-2"))
    retired = generate_signing_key(key_id(did))
    document = build_did_document(did, [current.verification_key(), retired.verification_key()])
    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": f"{did}#key-2",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": current.public_key_multibase,
            },
            {
                "id": f"{did}#key-1",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": retired.public_key_multibase,
            },
        ],
        "assertionMethod": [f"{did}#key-2", f"{did}#key-1"],
    }


def test_assertion_keys_reads_back_the_document() -> None:
    did = "did:web:example.github.io:badges"
    key = generate_signing_key(key_id(did))
    keys = assertion_keys(build_did_document(did, [key.verification_key()]))
    assert list(keys) == [f"{did}#key-1"]
    assert keys[f"{did}#key-1"].public_key == key.verification_key().public_key


def test_assertion_keys_ignores_methods_not_listed_for_assertion() -> None:
    did = "did:web:example.github.io:badges"
    document = build_did_document(did, [generate_signing_key(key_id(did)).verification_key()])
    document["assertionMethod"] = []
    assert assertion_keys(document) == {}


@pytest.mark.parametrize("method", ["#key-1", "did:web:other.example#key-1", "did:web:example.org"])
def test_key_ids_must_be_absolute_urls_under_the_did(method: str) -> None:
    with pytest.raises(DidWebError):
        build_did_document("did:web:example.org", [generate_signing_key(method).verification_key()])


def test_did_document_needs_a_key() -> None:
    with pytest.raises(DidWebError):
        build_did_document("did:web:example.org", [])


def test_did_document_links_the_human_site() -> None:
    did = "did:web:example.github.io:badges"
    key = generate_signing_key(key_id(did)).verification_key()
    document = build_did_document(did, [key], "https://example.github.io/badges/")
    assert document["alsoKnownAs"] == ["https://example.github.io/badges/"]
    assert document["service"] == [
        {
            "id": f"{did}#website",
            "type": "LinkedDomains",
            "serviceEndpoint": "https://example.github.io/badges/",
        }
    ]


NOT_DOMAIN = "is not a domain name (RFC 1123; IDNs in xn-- form)"


@pytest.mark.parametrize(
    ("did", "reason"),
    [
        ("did:web:example.org:..", "path segment '..' is a dot-segment, not a directory"),
        ("did:web:example.org:badges:.:x", "path segment '.' is a dot-segment, not a directory"),
        ("did:web:example.org:%2e%2e", "path segment '%2e%2e' is a dot-segment, not a directory"),
        ("did:web:example.org:%2E%2e", "path segment '%2E%2e' is a dot-segment, not a directory"),
        ("did:web:example.org:.%2E:a", "path segment '.%2E' is a dot-segment, not a directory"),
        ("did:web:example.org:%2e", "path segment '%2e' is a dot-segment, not a directory"),
        ("did:web:example.org::a", "path segment '' is empty or not DID syntax"),
        ("did:web:example.org:a:", "path segment '' is empty or not DID syntax"),
        ("did:web:example.org:a/b", "path segment 'a/b' is empty or not DID syntax"),
        ("did:web:example.org:a%2Fb", "path segment 'a%2Fb' decodes to characters a path cannot"),
        ("did:web:example.org:%5c..", "path segment '%5c..' decodes to characters a path cannot"),
        ("did:web:example.org:a%0Ab", "path segment 'a%0Ab' decodes to characters a path cannot"),
        ("did:web:example.org:a%zz", "path segment 'a%zz' is empty or not DID syntax"),
        ("did:web:example.org%2F..", f"'example.org%2F..' {NOT_DOMAIN}"),
        ("did:web:evil.org%40example.org", f"'evil.org%40example.org' {NOT_DOMAIN}"),
        ("did:web:exämple.org", f"'exämple.org' {NOT_DOMAIN}"),
        ("did:web:127.0.0.1", "did:web must not use an IP address"),
        ("did:web:example.org%3A", "port '' is not a number from 1 to 65535"),
        ("did:web:example.org%3A0", "port '0' is not a number from 1 to 65535"),
        ("did:web:example.org%3A65536", "port '65536' is not a number from 1 to 65535"),
        ("did:web:example.org%3A443%3A1", "port '443%3A1' is not a number from 1 to 65535"),
        ("did:web:", "did:web has no domain"),
    ],
)  # fmt: skip
def test_did_web_read_refuses_what_section_3_1_excludes(did: str, reason: str) -> None:
    with pytest.raises(DidWebError) as caught:
        did_document_url(did)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        ("https://example.org/a/../b/", "path segment '..' is a dot-segment, not a directory"),
        ("https://example.org/./b/", "path segment '.' is a dot-segment, not a directory"),
        ("https://ex_ample.org/", f"'ex_ample.org' {NOT_DOMAIN}"),
        ("https://example.org:99999/", "base URL has an invalid port"),
    ],
)  # fmt: skip
def test_base_urls_whose_did_would_be_refused(base_url: str, reason: str) -> None:
    with pytest.raises(DidWebError) as caught:
        did_from_base_url(base_url)
    assert caught.value.reason == reason


SEGMENT = st.text(alphabet="a.%2eE5cF/\\~-", max_size=6)  # no ":", the separator


@given(st.lists(SEGMENT, max_size=4), st.sampled_from(["example.org", "example.org%3A8443"]))
def test_a_resolved_did_web_stays_under_its_own_path(segments: list[str], domain: str) -> None:
    did = ":".join(["did:web:" + domain, *segments])
    try:
        url = did_document_url(did)
    except DidWebError:
        return
    parts = urlsplit(url)
    names = [unquote(name) for name in parts.path.split("/")[1:]]
    assert parts.netloc == domain.replace("%3A", ":")
    decoded = [unquote(segment) for segment in segments]
    assert names == ([*decoded, "did.json"] if segments else [".well-known", "did.json"])
    assert all(name not in ("", ".", "..") and "/" not in name for name in names)


@given(st.lists(st.text(alphabet="abc-._~", min_size=1, max_size=5), max_size=3))
def test_every_base_url_maps_to_a_did_that_resolves_back(segments: list[str]) -> None:
    base_url = "https://example.org/" + "".join(f"{s}/" for s in segments)
    if {".", ".."} & set(segments):
        with pytest.raises(DidWebError):
            did_from_base_url(base_url)
        return
    did = did_from_base_url(base_url)
    assert did_document_url(did) == base_url + did_document_url_path(base_url)
