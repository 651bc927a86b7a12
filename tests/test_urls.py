"""The URL scheme is permanent: award URLs are printed on CVs. These pins must never change."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from badgepages.urls import SiteUrls

URLS = SiteUrls("https://essca.github.io/badges/", "fr")
AWARD = "k3j5q2m7x4w6v8n2p5r7"


def test_award_urls_are_pinned() -> None:
    assert (
        URLS.url(URLS.award_page(AWARD, "fr")) == f"https://essca.github.io/badges/awards/{AWARD}/"
    )
    assert URLS.url(URLS.award_page(AWARD, "en")) == (
        f"https://essca.github.io/badges/en/awards/{AWARD}/"
    )
    assert URLS.url(URLS.assertion_json(AWARD)) == (
        f"https://essca.github.io/badges/awards/{AWARD}/assertion.json"
    )
    assert URLS.url(URLS.credential_json(AWARD)) == (
        f"https://essca.github.io/badges/awards/{AWARD}/credential.json"
    )
    assert URLS.url(URLS.status_list(1)) == (
        "https://essca.github.io/badges/status/revocation-1.json"
    )


def test_issuer_badge_and_recipient_urls_are_pinned() -> None:
    assert URLS.url(URLS.issuer_json) == "https://essca.github.io/badges/issuer.json"
    assert URLS.url(URLS.home_page("fr")) == "https://essca.github.io/badges/"
    assert URLS.url(URLS.home_page("en")) == "https://essca.github.io/badges/en/"
    assert URLS.url(URLS.badge_page("collectif-essca", "fr")) == (
        "https://essca.github.io/badges/badges/collectif-essca/"
    )
    assert URLS.badge_class_json("collectif-essca") == "badges/collectif-essca/badgeclass.json"
    assert URLS.badge_image("collectif-essca", "png") == "badges/collectif-essca/image.png"
    assert URLS.url(URLS.recipient_page("zoe-lefevre", "en")) == (
        "https://essca.github.io/badges/en/recipients/zoe-lefevre/"
    )


def test_pages_are_folder_index_files() -> None:
    assert URLS.award_page(AWARD, "fr") == f"awards/{AWARD}/index.html"
    assert URLS.award_page(AWARD, "en") == f"en/awards/{AWARD}/index.html"


def test_paths_are_percent_encoded_where_they_need_it() -> None:
    assert URLS.url("a é/<&%\n~x.html") == (
        "https://essca.github.io/badges/a%20%C3%A9/%3C%26%25%0A~x.html"
    )
    assert URLS.url("a-Z_0.9~/index.html") == "https://essca.github.io/badges/a-Z_0.9~/"


_PIECES = ["index.html", "badges/", "é", " ", "%", "\n", "<&", "x.html", "/", "a-Z_0.9~"]


@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), max_size=5))
def test_many_urls_are_quoted_as_each_one_is(paths: list[str]) -> None:
    assert URLS.urls(paths) == [URLS.url(path) for path in paths]


_ROUTES = {
    "award page, fr": lambda name: URLS.award_page(name, "fr"),
    "award page, en": lambda name: URLS.award_page(name, "en"),
    "recipient page, en": lambda name: URLS.recipient_page(name, "en"),
    "credential": URLS.credential_json,
    "assertion": URLS.assertion_json,
    "badge class": URLS.badge_class_json,
}


@given(
    st.sampled_from(sorted(_ROUTES)),
    st.lists(st.text("a-z0/9", max_size=6), max_size=5),
)
def test_many_routes_are_made_as_each_one_is(kind: str, names: list[str]) -> None:
    route = _ROUTES[kind]
    assert URLS.many(route, names) == [route(name) for name in names]
