"""The award the deploy workflow verifies on the live site once the site is published.

One award page, checked with ``badgepages verify`` over HTTPS, exercises everything a
wallet needs from the site: the credential, the issuer's DID document and the status list.
Workflow logs can be public, so the award is one whose page is public already: its holder
consented to be named (the page is in the sitemap).
"""

from __future__ import annotations

import operator
from datetime import date

from badgepages import policy
from badgepages.catalog import Catalog
from badgepages.urls import SiteUrls


def award_page_to_verify(catalog: Catalog, urls: SiteUrls, day: date) -> str | None:
    """Return the page URL of the earliest valid award of a holder who consented, if any."""
    candidates = [
        award
        for award in catalog.entries
        if award.status(day) == "valid" and policy.award_visibility(award) == "public"
    ]
    if not candidates:
        return None
    # The earliest is the most stable choice across deploys.
    award = min(candidates, key=operator.attrgetter("issued", "id"))
    return urls.url(urls.award_page(award.id, urls.default_language))
