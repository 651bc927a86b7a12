"""did:web identifiers and DID documents for an issuer site published at a base URL."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from badgepages.jsonld import DID_V1, MULTIKEY_V1
from badgepages.signing import VerificationKey, public_key_multibase

DID_WEB_PREFIX: Final = "did:web:"
DID_DOCUMENT_NAME: Final = "did.json"
WELL_KNOWN_DID_DOCUMENT: Final = ".well-known/did.json"
# RFC 3986 pchar without ':' and without percent-encoding.
_PLAIN_SEGMENT: Final = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=@-]+")
# The same, percent-encoding allowed: a did:web path segment as a DID may write it.
_ENCODED_SEGMENT: Final = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=@-]|%[0-9A-Fa-f]{2})+")
# did:web §3.1: "a fully qualified domain name", labels as RFC 1123 §2.1 writes them.
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN_NAME: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


class DidWebError(ValueError):
    """A base URL or DID cannot be expressed as / resolved to a did:web."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{value!r}: {reason}")
        self.value = value
        self.reason = reason


def _path_segments(base_url: str) -> tuple[str, list[str]]:
    """Split an https base URL into the did:web domain part and its path segments."""
    parts = urlsplit(base_url)
    if parts.scheme != "https":
        raise DidWebError(base_url, "did:web needs an https:// base URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise DidWebError(base_url, "base URL must not carry credentials, query or fragment")
    host = parts.hostname
    if not host:
        raise DidWebError(base_url, "base URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise DidWebError(base_url, "base URL has an invalid port") from None
    _check_host(base_url, host)
    # did:web §3.1: a port's colon MUST be percent-encoded.
    domain = host if port is None else f"{host}%3A{port}"
    segments = [segment for segment in parts.path.split("/") if segment]
    for segment in segments:
        if not _PLAIN_SEGMENT.fullmatch(segment):
            # ':' separates did:web segments and resolvers disagree on percent-decoding them
            # (the did:web spec does not decode, @digitalbazaar/did-method-web does).
            raise DidWebError(base_url, f"path segment {segment!r} needs escaping in did:web")
        _check_directory(base_url, segment, segment)
    return domain, segments


def _check_host(value: str, host: str) -> None:
    """Refuse a did:web host that is not a domain name (did:web §3.1)."""
    if not _DOMAIN_NAME.fullmatch(host):
        raise DidWebError(value, f"{host!r} is not a domain name (RFC 1123; IDNs in xn-- form)")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    # did:web §3.1: "it MUST NOT include IP addresses".
    raise DidWebError(value, "did:web must not use an IP address")


def _check_directory(value: str, segment: str, name: str) -> None:
    """Refuse a path segment whose decoded ``name`` is not a directory name (did:web §3.1)."""
    if name in (".", ".."):
        # did:web §3.1 allows "directories and subdirectories"; "." and ".." are RFC 3986
        # §3.3 dot-segments, which §5.2.4 removes: the DID document would lie outside the
        # DID's own path, while a signature proves control of "the file indicated in the
        # path" (did:web, Optional Path Considerations). Web servers decode "%2e" before
        # they remove dot-segments, so percent-encoded forms are refused too, in any case.
        raise DidWebError(value, f"path segment {segment!r} is a dot-segment, not a directory")
    if not _PLAIN_SEGMENT.fullmatch(name):
        # A decoded '/', '\\', '%', space or control character would change the path.
        raise DidWebError(value, f"path segment {segment!r} decodes to characters a path cannot")


def did_from_base_url(base_url: str) -> str:
    """Return the did:web DID whose document lives at base_url (did:web §3.2.2 reversed)."""
    domain, segments = _path_segments(base_url)
    return ":".join([DID_WEB_PREFIX + domain, *segments])


def did_document_url_path(base_url: str) -> str:
    """Return where the DID document goes, relative to the site root at base_url."""
    _, segments = _path_segments(base_url)
    # did:web §3.2.2 step 4: no path means /.well-known/did.json.
    return DID_DOCUMENT_NAME if segments else WELL_KNOWN_DID_DOCUMENT


def did_document_url(did: str) -> str:
    """Resolve a did:web DID to the https URL of its DID document (did:web §3.2.2 Read).

    Refuses what the method-specific identifier may not hold (did:web §3.1): a host that is
    not a domain name, an IP address, a port out of range, empty path segments, and path
    segments that are not directory names, such as dot-segments.
    """
    if not did.startswith(DID_WEB_PREFIX) or "#" in did or "?" in did:
        raise DidWebError(did, "expected a did:web DID without fragment or query")
    domain, *segments = did[len(DID_WEB_PREFIX) :].split(":")
    # did:web §3.2.2 step 2: only the port's colon is percent-decoded.
    host, colon, port = domain.replace("%3a", "%3A").partition("%3A")
    if not host:
        raise DidWebError(did, "did:web has no domain")
    _check_host(did, host)
    if colon and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise DidWebError(did, f"port {port!r} is not a number from 1 to 65535")
    for segment in segments:
        if not _ENCODED_SEGMENT.fullmatch(segment):
            raise DidWebError(did, f"path segment {segment!r} is empty or not DID syntax")
        _check_directory(did, segment, unquote(segment))
    authority = host.lower() + (f":{port}" if colon else "")
    # did:web §3.2.2 steps 1, 4 and 5: colons become slashes, no path means /.well-known.
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{authority}/{path}/{DID_DOCUMENT_NAME}"


def key_id(did: str, fragment: str = "key-1") -> str:
    """Return the absolute verification method id for a key of did (did:web §2.5)."""
    return f"{did}#{fragment}"


def _verification_method(did: str, key: VerificationKey) -> dict[str, str]:
    if not key.id.startswith(did + "#"):
        # did:web: "Whenever a DID URL is present within a did:web document, it must be an
        # absolute URL"; keys of another controller would fail the controller check.
        raise DidWebError(key.id, f"key id must be an absolute DID URL under {did}")
    return {
        "id": key.id,
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": public_key_multibase(key.public_key),
    }


def build_did_document(
    did: str, keys: Sequence[VerificationKey], website: str | None = None
) -> dict[str, Any]:
    """Build a DID document listing every key (current and retired) for assertionMethod.

    ``website`` links the human site: DID Core ``alsoKnownAs`` and a ``LinkedDomains``
    service (DIF Well Known DID Configuration).
    """
    if not keys:
        raise DidWebError(did, "a DID document needs at least one key")
    methods = [_verification_method(did, key) for key in keys]
    document: dict[str, Any] = {"@context": [DID_V1, MULTIKEY_V1], "id": did}
    if website:
        document["alsoKnownAs"] = [website]
        document["service"] = [
            {"id": f"{did}#website", "type": "LinkedDomains", "serviceEndpoint": website}
        ]
    document["verificationMethod"] = methods
    # Retired keys stay listed: credentials signed before the rotation must still verify.
    document["assertionMethod"] = [method["id"] for method in methods]
    return document


def assertion_keys(did_document: Mapping[str, Any]) -> dict[str, VerificationKey]:
    """Return the Multikey keys a DID document authorises for assertionMethod, by id."""
    did = did_document.get("id")
    allowed = set(did_document.get("assertionMethod", []))
    keys: dict[str, VerificationKey] = {}
    for method in did_document.get("verificationMethod", []):
        if method.get("id") in allowed and method.get("controller") == did:
            keys[method["id"]] = VerificationKey.from_multibase(
                method["id"], method["publicKeyMultibase"]
            )
    return keys
