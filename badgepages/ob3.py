"""Open Badges 3.0 documents: OpenBadgeCredentials and the revocation status list credential.

Pure builders of unsigned JSON-LD; :mod:`badgepages.signing` adds the proofs. Shapes follow
OB 3.0 §"OpenBadgeCredential" and the official JSON Schema (``type`` values are arrays,
``credentialStatus`` one object); status per W3C Bitstring Status List v1.0.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from badgepages.catalog import Award, Badge, Catalog
from badgepages.identity import award_salt, hash_identity
from badgepages.jsonld import CREDENTIALS_V2, OB_V3P0_CONTEXT
from badgepages.ob2 import timestamp
from badgepages.statuslist import encode_status_list
from badgepages.urls import SiteUrls

CONTEXT = [CREDENTIALS_V2, OB_V3P0_CONTEXT]
JsonObject = dict[str, Any]


def build_issuer_profile(catalog: Catalog, urls: SiteUrls, did: str) -> JsonObject:
    """Return the issuer Profile embedded in credentials, identified by the site's DID."""
    issuer = catalog.config.issuer
    profile: JsonObject = {"id": did, "type": ["Profile"], **issuer.profile_fields()}
    if issuer.logo:
        logo = urls.url(urls.issuer_logo(issuer.logo.suffix.lower()))
        profile["image"] = {"id": logo, "type": "Image"}
    return profile


def build_achievement(badge: Badge, urls: SiteUrls, language: str) -> JsonObject:
    """Return the Achievement of a badge, in the site's default language."""
    page = urls.url(urls.badge_page(badge.slug, urls.default_language))
    achievement: JsonObject = {
        "id": page,
        "type": ["Achievement"],
        "achievementType": badge.achievement_type,
        "name": badge.name.default,
        "description": badge.description.default,
        "criteria": {"id": page, "narrative": badge.criteria.default},
        "image": {"id": urls.url(urls.badge_image(badge.slug, "png")), "type": "Image"},
        "inLanguage": language,
    }
    if badge.tags:
        achievement["tag"] = list(badge.tags)
    if badge.skills:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": skill.name.default,
                "targetUrl": skill.url,
                **({"targetFramework": skill.framework} if skill.framework else {}),
            }
            for skill in badge.skills
        ]
    if badge.version:
        achievement["version"] = badge.version
    return achievement


def build_credential(
    award: Award,
    issuer: JsonObject,
    urls: SiteUrls,
    status_list: int,
    status_index: int,
    language: str,
) -> JsonObject:
    """Return an award's unsigned OpenBadgeCredential.

    Its image is the badge's shared image: the award page bakes it with this credential in
    the browser (OB 3.0 §5.3 Baked Badge), so the site keeps one image per badge.
    """
    salt = award_salt(award.id)
    subject: JsonObject = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": hash_identity(award.recipient.email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "achievement": build_achievement(award.badge, urls, language),
    }
    if award.narrative:
        subject["narrative"] = award.narrative.default
    credential: JsonObject = {
        "@context": list(CONTEXT),
        "id": urls.url(urls.credential_json(award.id)),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": award.badge.name.default,
        "description": award.badge.description.default,
        "image": {"id": urls.url(urls.badge_image(award.badge.slug, "png")), "type": "Image"},
        "issuer": issuer,
        "validFrom": timestamp(award.issued_on),
        "awardedDate": timestamp(award.issued_on),
        "credentialSubject": subject,
    }
    if award.expires:
        credential["validUntil"] = timestamp(award.expires)
    if award.evidence:
        credential["evidence"] = [
            _evidence(e.url, e.narrative.default if e.narrative else None) for e in award.evidence
        ]
    list_url = urls.url(urls.status_list(status_list))
    credential["credentialStatus"] = {
        "id": f"{list_url}#{status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(status_index),
        "statusListCredential": list_url,
    }
    return credential


def build_withdrawn_notice(
    award: Award, urls: SiteUrls, status_list: int, status_index: int
) -> JsonObject:
    """Return what an erased award's credential URL serves: a notice, with no personal data.

    The credential the holder kept still carries its status entry, whose bit is set.
    """
    return {
        "id": urls.url(urls.credential_json(award.id)),
        "withdrawn": True,
        "reason": award.revocation.reason if award.revocation else "withdrawn",
        "statusListCredential": urls.url(urls.status_list(status_list)),
        "statusListIndex": str(status_index),
    }


def _evidence(url: str, narrative: str | None) -> JsonObject:
    evidence: JsonObject = {"id": url, "type": ["Evidence"]}
    if narrative:
        evidence["narrative"] = narrative
    return evidence


def build_status_list(
    number: int, revoked_indexes: list[int], did: str, urls: SiteUrls, valid_from: date
) -> JsonObject:
    """Return the unsigned BitstringStatusListCredential of revoked awards."""
    list_url = urls.url(urls.status_list(number))
    return {
        "@context": [CREDENTIALS_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": timestamp(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_list(revoked_indexes),
        },
    }
