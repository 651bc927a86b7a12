"""The build, in one linear pass: load and check everything, build artefacts, render, write.

load config → read YAML with positions → validate models → link catalog → stop if any
error (all of them listed) → JSON, images, QR → pages → write the site atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from badgepages import baking, cards, credentials, images, ob2, qr
from badgepages.catalog import Award, Catalog, load_catalog
from badgepages.keys import SECRET_VARIABLE, signing_key
from badgepages.ledger import write_ledger
from badgepages.output import SiteTree, encode_json, write_site
from badgepages.postdeploy import award_page_to_verify
from badgepages.render import Renderer, card_path, not_found_page, site_pages
from badgepages.signing import SigningKey
from badgepages.urls import SiteUrls


@dataclass(frozen=True)
class BuildReport:
    """What a build produced, for the summary line."""

    out_dir: Path
    badges: int
    awards: int
    revoked: int
    pages: int
    files: int
    signed: bool
    award_to_verify: str | None = None  # an award page URL, for the post-deploy check

    def summary(self) -> str:
        """Return the one-line summary printed after a build."""
        kind = "signed" if self.signed else "UNSIGNED PREVIEW"
        return (
            f"built {self.files} files in {self.out_dir} ({kind}): {self.badges} badges, "
            f"{self.awards} awards ({self.revoked} revoked), {self.pages} pages"
        )


def site_urls(catalog: Catalog) -> SiteUrls:
    """Return the URL scheme of a catalog's site."""
    return SiteUrls(catalog.config.base_url, catalog.config.default_language)


@dataclass(frozen=True)
class BuildOptions:
    """How to build: when, where, for which address, and with which signing key."""

    build_date: date
    out_dir: Path | None = None
    base_url: str | None = None
    signing_secret: str | None = field(default=None, repr=False)
    require_signing: bool = False
    update_ledger: bool = False


class SigningRequiredError(Exception):
    """Raised when a signed build was required and no key was given."""


def build(root: Path, options: BuildOptions) -> BuildReport:
    """Build the site under ``root`` and write it; raise before writing anything on error."""
    catalog = load_catalog(root, options.build_date, options.base_url)
    config = catalog.config
    if options.require_signing and config.did_base_url != config.base_url:
        raise SigningRequiredError(
            f"a build for publication at {config.base_url} cannot be signed: the issuer's "
            "did:web needs an https:// address with a domain name (build without "
            "--require-signing for a local preview)"
        )
    signer = None
    if options.signing_secret:
        signer = signing_key(options.signing_secret, catalog.keys, catalog.config.did)
    elif options.require_signing:
        raise SigningRequiredError(
            f"a signed build was required but no signing key was given: set {SECRET_VARIABLE} "
            "or pass --signing-key-file"
        )
    tree, pages = build_site(catalog, options.build_date, signer)
    target = options.out_dir or catalog.config.output_dir
    write_site(tree, target)
    if options.update_ledger:
        write_ledger(root, catalog.ledger)
    return BuildReport(
        out_dir=target,
        badges=len(catalog.badges),
        awards=len(catalog.awards),
        revoked=sum(1 for a in catalog.awards if a.revocation),
        pages=pages,
        files=len(tree),
        signed=signer is not None,
        award_to_verify=award_page_to_verify(catalog, site_urls(catalog), options.build_date),
    )


def build_site(
    catalog: Catalog, build_date: date, signer: SigningKey | None = None
) -> tuple[SiteTree, int]:
    """Return every file of the site (pure: reads only the sources named by the catalog)."""
    urls = site_urls(catalog)
    tree = SiteTree()
    issued = credentials.issue(catalog, urls, catalog.config.did, signer, build_date)
    _add_documents_and_images(tree, catalog, urls, issued)
    pages = _add_pages(tree, catalog, urls, build_date, issued.signed)
    _add_static(tree, catalog, urls)
    return tree, pages


def _add_documents_and_images(
    tree: SiteTree, catalog: Catalog, urls: SiteUrls, issued: credentials.Issued
) -> None:
    for path, credential in issued.credentials.items():
        tree.add_json(path, credential)
    tree.add_json(urls.status_list, issued.status_list)
    if issued.did_document:
        tree.add_json(*issued.did_document)
    documents = ob2.build_all(catalog, urls)
    for path, document in documents.items():
        tree.add_json(path, document)
    rasters: dict[str, bytes] = {}
    issuer = catalog.config.issuer.name.default
    for badge in catalog.badges:
        rasters[badge.slug] = images.render_png(badge)
        tree.add(urls.badge_image(badge.slug, "png"), rasters[badge.slug])
        card = cards.render_card(rasters[badge.slug], badge.name.default, issuer, None)
        tree.add(urls.badge_card(badge.slug), card)
        if badge.image_kind == "svg":
            tree.add(urls.badge_image(badge.slug, "svg"), badge.image.read_bytes())
    for award in catalog.awards:
        assertion_path = urls.assertion_json(award.id)
        # The baked text is the hosted JSON byte for byte, so unbaking gives the same document.
        text = encode_json(documents[assertion_path]).decode("utf-8")
        png = baking.bake_png(rasters[award.badge.slug], baking.OB2_KEYWORD, text)
        tree.add(urls.baked_badge(award.id, "png"), png)
        if award.badge.image_kind == "svg":
            svg = baking.bake_svg(
                award.badge.image.read_bytes(),
                "assertion",
                baking.OB2_SVG_NAMESPACE,
                text,
                verify=urls.url(assertion_path),
            )
            tree.add(urls.baked_badge(award.id, "svg"), svg)
        _add_baked_credential(tree, award, urls, rasters[award.badge.slug], issued)
        if card_path(award, urls) == urls.award_card(award.id):
            card = cards.render_card(
                rasters[award.badge.slug], award.badge.name.default, issuer, award.recipient.name
            )
            tree.add(urls.award_card(award.id), card)
        page_url = urls.url(urls.award_page(award.id, urls.default_language))
        tree.add(urls.qr_code(award.id, "svg"), qr.qr_svg(page_url))
        tree.add(urls.qr_code(award.id, "png"), qr.qr_png(page_url))


def _add_baked_credential(
    tree: SiteTree, award: Award, urls: SiteUrls, raster: bytes, issued: credentials.Issued
) -> None:
    """Bake the OB 3.0 credential (OB 3.0 §"Baked Badge": keyword openbadgecredential)."""
    text = encode_json(issued.credentials[urls.credential_json(award.id)]).decode("utf-8")
    tree.add(
        urls.baked_credential(award.id, "png"), baking.bake_png(raster, baking.OB3_KEYWORD, text)
    )
    if award.badge.image_kind == "svg":
        svg = baking.bake_svg(
            award.badge.image.read_bytes(), "credential", baking.OB3_SVG_NAMESPACE, text, None
        )
        tree.add(urls.baked_credential(award.id, "svg"), svg)


def _add_pages(
    tree: SiteTree, catalog: Catalog, urls: SiteUrls, build_date: date, signed: bool
) -> int:
    renderer = Renderer(catalog.config.theme_dir, catalog, urls, build_date, signed)
    languages = catalog.config.languages
    by_language = [list(site_pages(catalog, urls, build_date, language)) for language in languages]
    indexable: list[str] = []
    count = 0
    for versions in zip(*by_language, strict=True):
        alternates = {page.language: page.path for page in versions}
        for page in versions:
            tree.add(page.path, renderer.render(page, alternates))
            count += 1
            if not page.noindex:
                indexable.append(page.path)
    missing = not_found_page(catalog)
    tree.add(missing.path, renderer.render(missing, {missing.language: missing.path}))
    tree.add(urls.sitemap, _sitemap(urls, indexable))
    tree.add(urls.robots, f"User-agent: *\nAllow: /\nSitemap: {urls.url(urls.sitemap)}\n".encode())
    return count + 1


def _sitemap(urls: SiteUrls, paths: list[str]) -> bytes:
    entries = "".join(
        f"  <url><loc>{escape(urls.url(path))}</loc></url>\n" for path in sorted(paths)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    ).encode()


def _add_static(tree: SiteTree, catalog: Catalog, urls: SiteUrls) -> None:
    logo = catalog.config.issuer.logo
    if logo:
        tree.add(urls.issuer_logo(logo.suffix.lower()), logo.read_bytes())
    static = catalog.config.theme_dir / "static"
    for file in sorted(p for p in static.rglob("*") if p.is_file()):
        tree.add(urls.static(file.relative_to(static).as_posix()), file.read_bytes())
    # GitHub Pages runs Jekyll unless told not to; Jekyll would drop dot-folders.
    tree.add(urls.nojekyll, b"")
