"""LinkedIn add-to-profile links (ob2-facts.md §5): the parameters LinkedIn reads, encoded."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from badgepages.models import AWARD_ID
from badgepages.render import linkedin_url
from badgepages.urls import SiteUrls
from tests.site import EXAMPLE_DAY, BuiltSite


def params(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    return parse_qsl(parts.query)


def test_link_names_the_certification_and_its_dates(example_site: BuiltSite) -> None:
    catalog, urls = example_site.catalog, example_site.urls
    award = next(a for a in catalog.awards if a.status(EXAMPLE_DAY) == "expired")
    assert award.expires is not None
    assert params(linkedin_url(award, catalog, urls)) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", award.badge.name.default),
        ("organizationName", "ESSCA School of Management"),
        ("issueYear", str(award.issued_on.year)),
        ("issueMonth", str(award.issued_on.month)),
        ("expirationYear", str(award.expires.year)),
        ("expirationMonth", str(award.expires.month)),
        ("certUrl", urls.url(urls.award_page(award.id, "fr"))),
        ("certId", award.id),
    ]


def test_organization_id_replaces_the_name_when_configured(example_site: BuiltSite) -> None:
    catalog = example_site.catalog
    issuer = dataclasses.replace(catalog.config.issuer, linkedin_organization_id="1234567")
    catalog = dataclasses.replace(
        catalog, config=dataclasses.replace(catalog.config, issuer=issuer)
    )
    award = next(a for a in catalog.awards if a.expires is None)
    found = dict(params(linkedin_url(award, catalog, example_site.urls)))
    assert found["organizationId"] == "1234567"
    assert "organizationName" not in found
    assert "expirationYear" not in found


@given(
    st.from_regex(AWARD_ID, fullmatch=True),
    st.sampled_from(
        [
            "https://essca.github.io/badges/",
            "https://example.org/0000000000000000/",  # what an award id may also be
            "https://example.org/b%C3%A2timent+3/",
        ]
    ),
    st.sampled_from(["fr", "en"]),
)
def test_the_link_leads_to_the_award_page_whatever_its_id_and_address(
    example_site: BuiltSite, award_id: str, base_url: str, default_language: str
) -> None:
    catalog = example_site.catalog
    award = dataclasses.replace(catalog.awards[0], id=award_id)
    urls = SiteUrls(base_url, default_language)
    found = dict(params(linkedin_url(award, catalog, urls)))
    assert found["certUrl"] == urls.url(urls.award_page(award_id, default_language))
    assert found["certId"] == award_id
