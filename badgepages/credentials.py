"""Issuing the Open Badges 3.0 side of the site: signed credentials, status lists, DID document.

Without a signing key the build is a preview: the same documents, unsigned.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date
from typing import Any

from badgepages import ob3, policy
from badgepages.catalog import Award, Catalog
from badgepages.did import build_did_document
from badgepages.jsonld import find_undefined_terms
from badgepages.keys import IssuerKey
from badgepages.ob2 import timestamp
from badgepages.signing import SigningKey, UnsafeCredentialError, sign_credential
from badgepages.urls import SiteUrls

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Issuer:
    """What signs: the site's DID, its profile as credentials embed it, and the key (if any)."""

    did: str
    profile: JsonObject
    signer: SigningKey | None
    signing_key: IssuerKey | None  # keys.yaml's entry of the signer

    @classmethod
    def of(cls, catalog: Catalog, urls: SiteUrls, signer: SigningKey | None) -> Issuer:
        """Return the issuer of a catalog's site, signing with ``signer`` when given."""
        did = catalog.config.did
        entry = None
        if signer is not None:
            fragment = signer.verification_method.rsplit("#", 1)[1]
            entry = next(key for key in catalog.keys if key.fragment == fragment)
        return cls(did, ob3.build_issuer_profile(catalog, urls, did), signer, entry)


def credential(award: Award, catalog: Catalog, urls: SiteUrls, issuer: Issuer) -> JsonObject:
    """Return what an award's credential URL serves: the signed credential, or a notice."""
    entry = catalog.status_entry(award)
    if policy.is_withdrawn(award):
        return ob3.build_withdrawn_notice(award, urls, entry.status_list, entry.status_index)
    document = ob3.build_credential(
        award,
        issuer.profile,
        urls,
        entry.status_list,
        entry.status_index,
        catalog.config.default_language,
    )
    return _secure(document, issuer.signer, _created(award, issuer.signing_key))


def status_list(
    number: int, revoked: list[int], issuer: Issuer, urls: SiteUrls, build_date: date
) -> JsonObject:
    """Return a revocation status list with the bits of its revoked and withdrawn awards."""
    document = ob3.build_status_list(number, revoked, issuer.did, urls, build_date)
    return _secure(document, issuer.signer, timestamp(build_date))


def status_lists(catalog: Catalog) -> dict[int, list[int]]:
    """Return each status list the site publishes (at least the first): its revoked indexes."""
    entries, places = catalog.entries, catalog.places
    numbers = {1, *map(operator.attrgetter("status_list"), places)}
    lists: dict[int, list[int]] = {number: [] for number in sorted(numbers)}
    for entry, place in zip(entries, places, strict=True):
        if entry.is_revoked:
            lists[place.status_list].append(place.status_index)
    return {number: sorted(revoked) for number, revoked in lists.items()}


def did_document(catalog: Catalog, issuer: Issuer) -> JsonObject:
    """Return the DID document listing every key of keys.yaml (current and retired)."""
    keys = [key.verification_key(issuer.did) for key in catalog.keys]
    return build_did_document(issuer.did, keys, catalog.config.did_base_url)


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
