"""The producers: one function per kind of output, from the build context to the file's bytes.

A producer reads only what its artifact's key hashes (see :mod:`badgepages.plan`), so that
an unchanged key means unchanged bytes. Producers run in forked workers, which inherit the
context prepared here; :meth:`BuildContext.warm_up` loads what every worker would otherwise
load again (templates, strings, the issuer profile). A new output format is one producer
here plus one route in :mod:`badgepages.urls` and one line in the plan.
"""

from __future__ import annotations

import functools
import itertools
import operator
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from badgepages import cards, credentials, ob2, render
from badgepages.catalog import Badge, Catalog, Recipient
from badgepages.output import encode_json
from badgepages.signing import SigningKey
from badgepages.stencils import AwardStencils, RecipientStencils
from badgepages.urls import SiteUrls

# sitemaps.org protocol: at most 50,000 URLs per sitemap file; more go to an index.
SITEMAP_LIMIT = 50_000


@dataclass
class BuildContext:
    """Everything producers read: the catalog, the addresses, the day and the signing key."""

    catalog: Catalog
    urls: SiteUrls
    build_date: date
    signer: SigningKey | None = field(default=None, repr=False)
    sitemap_routes: Sequence[str] = ()  # indexable pages, sorted, set by the plan
    sitemap_parts: Sequence[Sequence[str]] = ()  # the same, split when too many for one file

    @property
    def signed(self) -> bool:
        """Tell whether credentials are signed (otherwise the site is a preview)."""
        return self.signer is not None

    @functools.cached_property
    def issuer(self) -> credentials.Issuer:
        """Return the issuer as credentials name it."""
        return credentials.Issuer.of(self.catalog, self.urls, self.signer)

    @functools.cached_property
    def renderer(self) -> render.Renderer:
        """Return the page renderer of the theme."""
        config = self.catalog.config
        return render.Renderer(
            config.theme_dir, self.catalog, self.urls, self.build_date, self.signed
        )

    @functools.cached_property
    def award_stencils(self) -> AwardStencils | None:
        """Return the award pages' stencils, unless the theme's award page forbids them."""
        return AwardStencils.of(self.renderer, self.catalog, self.urls, self.build_date)

    @functools.cached_property
    def recipient_stencils(self) -> RecipientStencils | None:
        """Return the recipient pages' stencils, unless the theme's recipient page forbids them."""
        return RecipientStencils.of(self.renderer, self.catalog, self.urls, self.build_date)

    @functools.cached_property
    def status_lists(self) -> dict[int, list[int]]:
        """Return each revocation list's number and the indexes it sets."""
        return credentials.status_lists(self.catalog)

    @functools.cached_property
    def badges(self) -> dict[str, Badge]:
        """Return the badges by slug."""
        return {badge.slug: badge for badge in self.catalog.badges}

    @functools.cached_property
    def recipients(self) -> dict[str, Recipient]:
        """Return the recipients by slug."""
        return {recipient.slug: recipient for recipient in self.catalog.recipients}

    def keeps(self, producer: str) -> bool:
        """Tell whether the cache keeps what ``producer`` makes, or it is made again each time.

        A page filled in from its stencil (0.1 ms), a JSON document encoded, a file copied:
        each costs less than reading its bytes back and checking their hash, and these pages
        are four fifths of a site's bytes. The cache keeps the rest (signed credentials,
        pages rendered whole, drawn images) and stays a fifth of the site's size.
        """
        if producer == "award-page":
            return self.award_stencils is None
        if producer == "recipient-page":
            return self.recipient_stencils is None
        return producer not in _MADE_AGAIN

    def warm_up(self) -> None:
        """Load what every producer shares, once, before the workers are forked."""
        _ = self.issuer, self.badges, self.recipients
        self.renderer.load_templates()


Producer = Callable[..., bytes]

# Producers cheaper to run than reading their output back from the cache (BuildContext.keeps).
_MADE_AGAIN = frozenset(
    {
        "assertion",
        "badge-png",
        "badge-svg",
        "issuer-profile",
        "issuer-logo",
        "nojekyll",
        "robots",
        "static",
    }
)


def _award_page(ctx: BuildContext, award_id: str, language: str) -> bytes:
    award = ctx.catalog.award(award_id)
    if ctx.award_stencils is not None:
        return ctx.award_stencils.page(award, language)
    page = render.award_page(ctx.catalog, ctx.urls, award, language, ctx.build_date)
    return ctx.renderer.render(page)


def _credential(ctx: BuildContext, award_id: str) -> bytes:
    award = ctx.catalog.award(award_id)
    return encode_json(credentials.credential(award, ctx.catalog, ctx.urls, ctx.issuer))


def _assertion(ctx: BuildContext, award_id: str) -> bytes:
    return encode_json(ob2.build_assertion(ctx.catalog.award(award_id), ctx.urls))


def _badge_page(ctx: BuildContext, slug: str, language: str, number: str) -> bytes:
    page = render.badge_page(ctx.catalog, ctx.urls, ctx.badges[slug], language, int(number))
    return ctx.renderer.render(page)


def _badge_class(ctx: BuildContext, slug: str) -> bytes:
    return encode_json(ob2.build_badge_class(ctx.badges[slug], ctx.urls))


def _badge_png(ctx: BuildContext, slug: str) -> bytes:
    # Checked, cleaned (a PNG) or rendered from the sanitised SVG when the catalog loaded.
    return ctx.badges[slug].published_image.raster


def _badge_svg(ctx: BuildContext, slug: str) -> bytes:
    return ctx.badges[slug].published_image.data


def _badge_card(ctx: BuildContext, slug: str) -> bytes:
    badge = ctx.badges[slug]
    issuer = ctx.catalog.config.issuer.name.default
    return cards.render_card(badge.published_image.raster, badge.name.default, issuer, None)


def _recipient_page(ctx: BuildContext, slug: str, language: str) -> bytes:
    recipient = ctx.recipients[slug]
    if ctx.recipient_stencils is not None:
        return ctx.recipient_stencils.page(recipient, language)
    return ctx.renderer.render(render.recipient_page(ctx.catalog, ctx.urls, recipient, language))


def _home_page(ctx: BuildContext, language: str) -> bytes:
    return ctx.renderer.render(render.home_page(ctx.catalog, ctx.urls, language))


def _verify_page(ctx: BuildContext, language: str) -> bytes:
    return ctx.renderer.render(render.verify_page(ctx.catalog, ctx.urls, language))


def _strings(ctx: BuildContext, language: str) -> bytes:
    return ctx.renderer.strings_json(language)


def _not_found_page(ctx: BuildContext) -> bytes:
    return ctx.renderer.render(render.not_found_page(ctx.catalog))


def _issuer_profile(ctx: BuildContext) -> bytes:
    return encode_json(ob2.build_issuer(ctx.catalog.config, ctx.urls))


def _issuer_logo(ctx: BuildContext) -> bytes:
    logo = ctx.catalog.config.issuer.logo_image
    assert logo is not None, "planned only when the issuer has a logo"
    return logo.data


def _did_document(ctx: BuildContext) -> bytes:
    return encode_json(credentials.did_document(ctx.catalog, ctx.issuer))


def _status_list(ctx: BuildContext, number: str) -> bytes:
    revoked = ctx.status_lists[int(number)]
    return encode_json(
        credentials.status_list(int(number), revoked, ctx.issuer, ctx.urls, ctx.build_date)
    )


def _sitemap(ctx: BuildContext) -> bytes:
    if not ctx.sitemap_parts:
        return _urlset(ctx.urls, ctx.sitemap_routes)
    entries = "".join(
        f"  <sitemap><loc>{escape(ctx.urls.url(ctx.urls.sitemap_part(n)))}</loc></sitemap>\n"
        for n in range(1, len(ctx.sitemap_parts) + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</sitemapindex>\n"
    ).encode()


def _sitemap_part(ctx: BuildContext, number: str) -> bytes:
    return _urlset(ctx.urls, ctx.sitemap_parts[int(number) - 1])


def split_sitemap(routes: Sequence[str]) -> list[list[str]]:
    """Return the parts of a sitemap too long for one file (none when one file holds it).

    A route's part is told by a hash of the route, not by its rank: a new award changes the
    one part that lists it, where ranks would shift every part after it. Parts are filled to
    four fifths on average, so that none overflows (if one would, there is one part more);
    each keeps the routes' order, and an empty one is dropped (a sitemap lists at least one).
    """
    if len(routes) <= SITEMAP_LIMIT:
        return []
    hashes = list(map(zlib.crc32, map(str.encode, routes)))
    count = -(-len(routes) * 5 // (SITEMAP_LIMIT * 4))
    while True:
        parts: list[list[str]] = [[] for _ in range(count)]
        appends = [part.append for part in parts]
        numbers = map(operator.mod, hashes, itertools.repeat(count))
        for route, number in zip(routes, numbers, strict=True):
            appends[number](route)  # one pass, where a pass per part read every route
        if max(map(len, parts)) <= SITEMAP_LIMIT:
            return [part for part in parts if part]
        count += 1


def _urlset(urls: SiteUrls, routes: Sequence[str]) -> bytes:
    # Quoted URLs hold no markup: the base address is what escaping may change.
    locs = escape("\n".join(urls.urls(routes))).split("\n") if routes else []
    entries = "".join(map("  <url><loc>{}</loc></url>\n".format, locs))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    ).encode()


def _robots(ctx: BuildContext) -> bytes:
    sitemap = ctx.urls.url(ctx.urls.sitemap)
    return f"User-agent: *\nAllow: /\nSitemap: {sitemap}\n".encode()


def _nojekyll(ctx: BuildContext) -> bytes:
    # GitHub Pages runs Jekyll unless told not to; Jekyll would drop dot-folders.
    return b""


def _static(ctx: BuildContext, name: str) -> bytes:
    if name.lower().endswith(".svg"):
        return ctx.catalog.theme_svgs[name]  # sanitised when the catalog loaded
    return static_file(ctx.catalog.config.theme_dir, name).read_bytes()


def static_file(theme_dir: Path, name: str) -> Path:
    """Return a theme asset's file."""
    return theme_dir / "static" / name


PRODUCERS: dict[str, Producer] = {
    "award-page": _award_page,
    "credential": _credential,
    "assertion": _assertion,
    "badge-page": _badge_page,
    "badge-class": _badge_class,
    "badge-png": _badge_png,
    "badge-svg": _badge_svg,
    "badge-card": _badge_card,
    "recipient-page": _recipient_page,
    "home-page": _home_page,
    "verify-page": _verify_page,
    "strings": _strings,
    "not-found-page": _not_found_page,
    "issuer-profile": _issuer_profile,
    "issuer-logo": _issuer_logo,
    "did-document": _did_document,
    "status-list": _status_list,
    "sitemap": _sitemap,
    "sitemap-part": _sitemap_part,
    "robots": _robots,
    "nojekyll": _nojekyll,
    "static": _static,
}
