"""The single source of every output path and public URL.

Published URLs are permanent: award URLs are printed on CVs. Every address the site
publishes is made here and nowhere else, and ``tests/test_urls.py`` pins the scheme. Change
nothing here without a redirect plan.

Scheme (``B`` is ``base_url``, ``L/`` the language prefix, empty for the default language)::

    B                               home page              B L/
    B issuer.json                   OB 2.0 issuer Profile
    B issuer-logo.svg|png           issuer logo
    B badges/<slug>/                badge page             B L/badges/<slug>/
    B badges/<slug>/badgeclass.json OB 2.0 BadgeClass
    B badges/<slug>/image.svg|png   badge image (SVG source also rendered to PNG)
    B badges/<slug>/card.png        link-preview card of the badge and of its awards
    B awards/<id>/                  award (verification) page   B L/awards/<id>/
    B awards/<id>/assertion.json    OB 2.0 hosted Assertion
    B awards/<id>/credential.json   OB 3.0 OpenBadgeCredential (signed)
    B verify/                       verify-a-badge page      B L/verify/
    B did.json                      DID document of did:web:<host>:<path>
                                    (.well-known/did.json when B is a domain root)
    B status/revocation-<n>.json    Bitstring status list credentials (revocation), n = 1, 2…
    B recipients/<slug>/            a consenting recipient's page   B L/recipients/<slug>/
    B static/strings.<lang>.json    the interface texts the pages' scripts show, per language
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

ImageKind = Literal["svg", "png"]


@dataclass(frozen=True)
class SiteUrls:
    """Paths (relative to the output folder) and URLs of everything the site publishes."""

    base_url: str
    default_language: str

    def url(self, path: str) -> str:
        """Return the public URL of an output path (``index.html`` is served as its folder)."""
        if _is_index(path):
            path = path[: -len("index.html")]
        return self.base_url + (quote(path) if _NEEDS_QUOTING.search(path) else path)

    def urls(self, paths: Sequence[str]) -> list[str]:
        """Return the public URLs of many output paths, as :meth:`url` does one by one.

        Quoted in one call: a sitemap lists 50,000 pages, and a call per page took seconds.
        """
        if not paths or any("\n" in path for path in paths):  # "\n" joins them below
            return [self.url(path) for path in paths]
        # A folder's page is served as the folder: "index.html" ends a line after a "/" or
        # is the whole line (twice over: one replacement may hide the next line's start).
        served = ("\n" + "\n".join(paths) + "\n").replace("/index.html\n", "/\n")
        served = served.replace("\nindex.html\n", "\n\n").replace("\nindex.html\n", "\n\n")
        served = served[1:-1]
        if _NEEDS_QUOTING.search(served.replace("\n", "")):  # quote() costs a call per character
            served = quote(served, safe="/\n")
        return [self.base_url + url for url in served.split("\n")]

    def many(self, route: Callable[[str], str], names: Iterable[str]) -> list[str]:
        """Return ``route(name)`` for many names (award ids, slugs), as it does one by one.

        The route is made once around a marker and filled: a site has 100,000 awards.
        """
        start, end = route(_MARKER).split(_MARKER)
        return [f"{start}{name}{end}" for name in names]

    def page(self, path: str, language: str) -> str:
        """Return the output path of a page in a language (a folder's ``index.html``)."""
        prefix = "" if language == self.default_language else f"{language}/"
        return f"{prefix}{path}index.html"

    # -- pages -----------------------------------------------------------------------------

    def home_page(self, language: str) -> str:
        """Return the output path of the home page."""
        return self.page("", language)

    def badge_page(self, slug: str, language: str, number: int = 1) -> str:
        """Return the output path of a badge's page (``number``: its page of holders)."""
        holders = "" if number == 1 else f"holders/{number}/"
        return self.page(f"badges/{slug}/{holders}", language)

    def award_page(self, award_id: str, language: str) -> str:
        """Return the output path of an award's verification page."""
        return self.page(f"awards/{award_id}/", language)

    def verify_page(self, language: str) -> str:
        """Return the output path of the verify-a-badge page."""
        return self.page("verify/", language)

    def recipient_page(self, slug: str, language: str) -> str:
        """Return the output path of a consenting recipient's page."""
        return self.page(f"recipients/{slug}/", language)

    # -- machine-readable files ------------------------------------------------------------

    issuer_json = "issuer.json"
    not_found_page = "404.html"
    sitemap = "sitemap.xml"

    def sitemap_part(self, number: int) -> str:
        """Return the output path of one part of a sitemap too long for one file."""
        return f"sitemaps/{number}.xml"

    robots = "robots.txt"
    nojekyll = ".nojekyll"

    def issuer_logo(self, suffix: str) -> str:
        """Return the output path of the issuer's logo (``suffix`` as in the source, e.g. .svg)."""
        return f"issuer-logo{suffix}"

    def badge_class_json(self, slug: str) -> str:
        """Return the output path of a badge's OB 2.0 BadgeClass."""
        return f"badges/{slug}/badgeclass.json"

    def badge_image(self, slug: str, kind: ImageKind) -> str:
        """Return the output path of a badge's image in a format."""
        return f"badges/{slug}/image.{kind}"

    def badge_card(self, slug: str) -> str:
        """Return the output path of a badge's link-preview card (1200x627 PNG)."""
        return f"badges/{slug}/card.png"

    def assertion_json(self, award_id: str) -> str:
        """Return the output path of an award's OB 2.0 hosted Assertion."""
        return f"awards/{award_id}/assertion.json"

    def credential_json(self, award_id: str) -> str:
        """Return the output path of an award's OB 3.0 credential."""
        return f"awards/{award_id}/credential.json"

    def status_list(self, number: int) -> str:
        """Return the output path of a revocation status list credential."""
        return f"status/revocation-{number}.json"

    def strings_json(self, language: str) -> str:
        """Return the output path of the interface texts the scripts show, in one language."""
        return f"static/strings.{language}.json"

    def static(self, name: str) -> str:
        """Return the output path of a theme asset (CSS, JS, fonts)."""
        return f"static/{name}"


# Stands for a name in a route made once for many names (never in a slug or an id).
_MARKER = "\0"

# What quote() changes in a path: anything but ASCII letters, digits, "_.-~" and "/" (RFC 3986
# unreserved characters). Slugs and award ids never hold one.
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9_.\-~/]")


def _is_index(path: str) -> bool:
    """Tell whether an output path is a folder's page (served at the folder's URL)."""
    return path == "index.html" or path.endswith("/index.html")
