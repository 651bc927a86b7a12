"""Open Badges 2.0 hosted JSON-LD documents: the issuer Profile, BadgeClasses and Assertions.

Each document's ``id`` is exactly the URL it is served at: the 1EdTech validator re-fetches
any other id and warns (ob2-facts.md §3b). Spec: Open Badges 2.0, "Data Model".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from badgepages import policy
from badgepages.catalog import Award, Badge
from badgepages.config import SiteConfig
from badgepages.identity import award_salt, hash_identity
from badgepages.urls import SiteUrls

CONTEXT = "https://w3id.org/openbadges/v2"
JsonObject = dict[str, Any]


def timestamp(day: date) -> str:
    """Return a day as an OB DateTime: ISO 8601 with a time zone (midnight UTC)."""
    return f"{day.isoformat()}T00:00:00Z"


def build_issuer(config: SiteConfig, urls: SiteUrls) -> JsonObject:
    """Return the issuer Profile (required for issuers: id, type, name, url, email)."""
    issuer = config.issuer
    profile: JsonObject = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": urls.url(urls.issuer_json),
        **issuer.profile_fields(),
    }
    if issuer.logo:
        profile["image"] = urls.url(urls.issuer_logo(issuer.logo.suffix.lower()))
    # Scope hosted verification to this site, not the whole host (GitHub Pages hosts many
    # sites per user): OB 2.0 VerificationObject.startsWith.
    profile["verification"] = {"type": "VerificationObject", "startsWith": config.base_url}
    return profile


def build_badge_class(badge: Badge, urls: SiteUrls) -> JsonObject:
    """Return a BadgeClass, its criteria given as a narrative and a page URL."""
    badge_class: JsonObject = {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": urls.url(urls.badge_class_json(badge.slug)),
        "name": badge.name.default,
        "description": badge.description.default,
        "image": urls.url(urls.badge_image(badge.slug, "png")),
        "criteria": {
            "id": urls.url(urls.badge_page(badge.slug, urls.default_language)),
            "narrative": badge.criteria.default,
        },
        "issuer": urls.url(urls.issuer_json),
    }
    if badge.tags:
        badge_class["tags"] = list(badge.tags)
    if badge.skills:
        badge_class["alignment"] = [
            _alignment(skill.name.default, skill.url, skill.framework) for skill in badge.skills
        ]
    if badge.version:
        badge_class["version"] = badge.version
    return badge_class


def _alignment(name: str, url: str, framework: str | None) -> JsonObject:
    alignment: JsonObject = {"targetName": name, "targetUrl": url}
    if framework:
        alignment["targetFramework"] = framework
    return alignment


def build_assertion(award: Award, urls: SiteUrls) -> JsonObject:
    """Return the hosted Assertion; a revoked one keeps every field and says so.

    A static host cannot answer 410 Gone, so revocation is declared in the body
    (OB 2.0 "Revoking Hosted Assertions"); the full body keeps it valid JSON-LD.
    """
    if policy.is_withdrawn(award) and award.revocation:
        # Erased at the holder's request: no identity is left to publish. OB 2.0 allows a
        # revoked assertion to keep only id and revoked ("Revoking Hosted Assertions").
        return {
            "@context": CONTEXT,
            "type": "Assertion",
            "id": urls.url(urls.assertion_json(award.id)),
            "revoked": True,
            "revocationReason": award.revocation.reason,
        }
    salt = award_salt(award.id)
    assertion: JsonObject = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": urls.url(urls.assertion_json(award.id)),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": hash_identity(award.recipient.email, salt),
        },
        "badge": urls.url(urls.badge_class_json(award.badge.slug)),
        "verification": {"type": "HostedBadge"},
        "issuedOn": timestamp(award.issued_on),
        # The badge's shared image (the property is optional); the award page bakes it with
        # this assertion in the browser (Open Badges Baking 1.0).
        "image": urls.url(urls.badge_image(award.badge.slug, "png")),
    }
    if award.expires:
        assertion["expires"] = timestamp(award.expires)
    if award.narrative:
        assertion["narrative"] = award.narrative.default
    if award.evidence:
        assertion["evidence"] = [
            _evidence(e.url, e.narrative.default if e.narrative else None) for e in award.evidence
        ]
    if award.revocation:
        assertion["revoked"] = True
        assertion["revocationReason"] = award.revocation.reason
    return assertion


def _evidence(url: str, narrative: str | None) -> JsonObject:
    evidence: JsonObject = {"type": "Evidence", "id": url}
    if narrative:
        evidence["narrative"] = narrative
    return evidence
