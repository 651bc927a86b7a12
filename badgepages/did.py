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
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        # did:web §3.1: "it MUST NOT include IP addresses".
        raise DidWebError(base_url, "did:web must not use an IP address")
    # did:web §3.1: a port's colon MUST be percent-encoded.
    domain = host if parts.port is None else f"{host}%3A{parts.port}"
    segments = [segment for segment in parts.path.split("/") if segment]
    for segment in segments:
        if not _PLAIN_SEGMENT.fullmatch(segment):
            # ':' separates did:web segments and resolvers disagree on percent-decoding them
            # (the did:web spec does not decode, @digitalbazaar/did-method-web does).
            raise DidWebError(base_url, f"path segment {segment!r} needs escaping in did:web")
    return domain, segments


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
    """Resolve a did:web DID to the https URL of its DID document (did:web §3.2.2 Read)."""
    if not did.startswith(DID_WEB_PREFIX) or "#" in did or "?" in did:
        raise DidWebError(did, "expected a did:web DID without fragment or query")
    domain, *segments = did[len(DID_WEB_PREFIX) :].split(":")
    if not domain:
        raise DidWebError(did, "did:web has no domain")
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{unquote(domain)}/{path}/{DID_DOCUMENT_NAME}"


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
