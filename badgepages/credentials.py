"""Issuing the Open Badges 3.0 side of the site: signed credentials, status list, DID document.

Without a signing key the build is a preview: the same documents, unsigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from badgepages import ob3
from badgepages.catalog import Award, Catalog
from badgepages.did import build_did_document, did_document_url_path
from badgepages.jsonld import find_undefined_terms
from badgepages.keys import IssuerKey
from badgepages.ob2 import timestamp
from badgepages.signing import SigningKey, UnsafeCredentialError, sign_credential
from badgepages.urls import SiteUrls

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Issued:
    """The OB 3.0 documents of a site, by output path."""

    credentials: dict[str, JsonObject]
    status_list: JsonObject
    did_document: tuple[str, JsonObject] | None
    signed: bool


def issue(
    catalog: Catalog, urls: SiteUrls, did: str, signer: SigningKey | None, build_date: date
) -> Issued:
    """Build every credential and the status list, signed when a key is given."""
    issuer = ob3.build_issuer_profile(catalog, urls, did)
    language = catalog.config.default_language
    newest = _signing_key_entry(catalog.keys, signer)
    credentials = {}
    for award in catalog.awards:
        if award.erased:
            credentials[urls.credential_json(award.id)] = ob3.build_withdrawn_notice(
                award, urls, catalog.status_index(award)
            )
            continue
        credential = ob3.build_credential(
            award, issuer, urls, catalog.status_index(award), language
        )
        credentials[urls.credential_json(award.id)] = _secure(
            credential, signer, _created(award, newest)
        )
    revoked = sorted(catalog.status_index(a) for a in catalog.awards if a.revocation)
    status_list = ob3.build_status_list(revoked, did, urls, build_date)
    status_list = _secure(status_list, signer, timestamp(build_date))
    did_document = None
    if catalog.keys:
        keys = [key.verification_key(did) for key in catalog.keys]
        did_base_url = catalog.config.did_base_url
        document = build_did_document(did, keys, did_base_url)
        did_document = (did_document_url_path(did_base_url), document)
    return Issued(credentials, status_list, did_document, signer is not None)


def _signing_key_entry(keys: tuple[IssuerKey, ...], signer: SigningKey | None) -> IssuerKey | None:
    if signer is None:
        return None
    fragment = signer.verification_method.rsplit("#", 1)[1]
    return next(key for key in keys if key.fragment == fragment)


def _created(award: Award, key: IssuerKey | None) -> str:
    # The proof's date comes from the data, not the clock, so rebuilds are byte-identical;
    # it is never before the signing key existed.
    day = award.issued_on if key is None else max(award.issued_on, key.valid_from)
    return timestamp(day)


def _secure(document: JsonObject, signer: SigningKey | None, created: str) -> JsonObject:
    if signer is not None:
        return sign_credential(document, signer, created)
    # A preview is linted like a signed build, so that it fails where signing would.
    problems = find_undefined_terms(document)
    if problems:
        raise UnsafeCredentialError(problems)
    return document
