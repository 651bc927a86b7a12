"""HTML pages: the Jinja2 environment, translated strings, sanitised Markdown, page contexts."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import markdown
import nh3
import yaml
from markupsafe import Markup

from badgepages.catalog import Award, Badge, Catalog, Recipient
from badgepages.text import Localized
from badgepages.urls import SiteUrls

TEMPLATES_DIR = "templates"
STATIC_DIR = "static"
STRINGS_FILE = "strings.yaml"

# Markdown from pull requests is untrusted: keep text formatting and links, nothing that runs.
_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "code", "pre", "blockquote",
    "h3", "h4", "hr",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> Markup:
    """Return Markdown as sanitised HTML: no script, iframe, event handler or javascript: URL."""
    html = markdown.markdown(text, output_format="html")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener nofollow",
    )
    return Markup(clean)


@dataclass(frozen=True)
class Page:
    """One HTML page to render: its template, output path and what it needs to know."""

    template: str
    path: str
    language: str
    title: str
    description: str
    noindex: bool
    context: dict[str, Any]
    image: str | None = None


def linkedin_url(award: Award, catalog: Catalog, urls: SiteUrls) -> str:
    """Return LinkedIn's add-to-profile link for an award (ob2-facts.md §5)."""
    issuer = catalog.config.issuer
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME",
        "name": award.badge.name.default,
    }
    if issuer.linkedin_organization_id:
        params["organizationId"] = issuer.linkedin_organization_id
    else:
        params["organizationName"] = issuer.name.default
    params["issueYear"] = award.issued_on.year
    params["issueMonth"] = award.issued_on.month
    if award.expires:
        params["expirationYear"] = award.expires.year
        params["expirationMonth"] = award.expires.month
    params["certUrl"] = urls.url(urls.award_page(award.id, urls.default_language))
    params["certId"] = award.id
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


class Renderer:
    """Renders pages with the theme's templates and strings, in every site language."""

    def __init__(
        self, theme_dir: Path, catalog: Catalog, urls: SiteUrls, build_date: date, signed: bool
    ):
        self.signed = signed
        self.catalog = catalog
        self.urls = urls
        self.build_date = build_date
        self.strings = _load_strings(theme_dir / STRINGS_FILE)
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(theme_dir / TEMPLATES_DIR),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.environment.filters["markdown"] = render_markdown

    def render(self, page: Page, alternates: dict[str, str]) -> bytes:
        """Return a page's HTML; ``alternates`` maps each language to its version's path."""
        template = self.environment.get_template(page.template)
        context = {
            **page.context,
            "page": page,
            "lang": page.language,
            "languages": self.catalog.config.languages,
            "alternates": alternates,
            "t": self._translator(page.language),
            "tr": lambda text: text[page.language],
            "date": lambda day: _format_date(day, page.language),
            "link": _linker(page.path),
            "absolute": self.urls.url,
            "urls": self.urls,
            "issuer": self.catalog.config.issuer,
            "build_date": self.build_date,
            "signed": self.signed,
            "public_base_url": self.catalog.config.public_base_url,
        }
        return template.render(context).encode("utf-8")

    def _translator(self, language: str) -> Callable[..., str]:
        def translate(key: str, **values: Any) -> str:
            entry = self.strings.get(key)
            if entry is None:
                raise KeyError(f"string '{key}' is missing from the theme's {STRINGS_FILE}")
            text = entry.get(language) or entry[self.catalog.config.default_language]
            return str(text).format(**values) if values else str(text)

        return translate


def _load_strings(file: Path) -> dict[str, dict[str, str]]:
    strings = yaml.safe_load(file.read_text(encoding="utf-8"))
    if not isinstance(strings, dict):
        raise ValueError(f"{file} must map string keys to texts per language")
    return strings


def _linker(page_path: str) -> Callable[[str], str]:
    """Return a function giving links relative to the page, so any preview host works."""
    folder = posixpath.dirname(page_path)

    def link(target: str) -> str:
        trailing = target == "" or target.endswith("/") or target.endswith("index.html")
        if target.endswith("index.html"):
            target = target[: -len("index.html")]
        relative = posixpath.relpath(target or ".", folder or ".")
        if relative == ".":
            return "./"
        return relative + "/" if trailing and not relative.endswith("/") else relative

    return link


_MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "en": "January February March April May June July August September October November December",
}


def _format_date(day: date, language: str) -> str:
    months = _MONTHS.get(language)
    if months is None:
        return day.isoformat()
    month = months.split()[day.month - 1]
    if language == "en":
        return f"{day.day} {month} {day.year}"
    return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"


def site_pages(catalog: Catalog, urls: SiteUrls, build_date: date, language: str) -> Iterator[Page]:
    """Yield every page of the site in one language, in the same order for every language."""
    issuer = catalog.config.issuer
    yield Page(
        "home.html",
        urls.home_page(language),
        language,
        issuer.name[language],
        issuer.description[language] if issuer.description else issuer.name[language],
        noindex=False,
        context={"badges": [(b, _public_count(catalog, b)) for b in catalog.badges]},
    )
    for badge in catalog.badges:
        yield _badge_page(badge, language, catalog, urls)
    for award in catalog.awards:
        yield _award_page(award, language, catalog, urls, build_date)
    for recipient in catalog.recipients:
        if recipient.public:
            yield _recipient_page(recipient, language, catalog, urls)
    yield Page(
        "verify.html",
        urls.verify_page(language),
        language,
        issuer.name[language],
        issuer.name[language],
        noindex=False,
        context={},
    )


def not_found_page(catalog: Catalog) -> Page:
    """Return the 404 page (one file: GitHub Pages serves only the root 404.html)."""
    language = catalog.config.default_language
    return Page("404.html", "404.html", language, "404", "", noindex=True, context={})


def card_path(award: Award, urls: SiteUrls) -> str:
    """Return the preview card of an award: its own when the holder may be named."""
    if award.recipient.public and not award.erased:
        return urls.award_card(award.id)
    return urls.badge_card(award.badge.slug)


def _public_count(catalog: Catalog, badge: Badge) -> int:
    return sum(1 for a in catalog.awards_of_badge(badge) if a.revocation is None)


def _badge_page(badge: Badge, language: str, catalog: Catalog, urls: SiteUrls) -> Page:
    earners = [
        a for a in catalog.awards_of_badge(badge) if a.recipient.public and a.revocation is None
    ]
    return Page(
        "badge.html",
        urls.badge_page(badge.slug, language),
        language,
        badge.name[language],
        _summary(badge.description, language),
        noindex=False,
        context={"badge": badge, "earners": earners},
        image=urls.url(urls.badge_card(badge.slug)),
    )


def _award_page(
    award: Award, language: str, catalog: Catalog, urls: SiteUrls, build_date: date
) -> Page:
    recipient = award.recipient
    return Page(
        "award.html",
        urls.award_page(award.id, language),
        language,
        award.badge.name[language],
        _summary(award.badge.description, language),
        noindex=not recipient.public,
        context={
            "award": award,
            "badge": award.badge,
            "status": award.status(build_date),
            "show_name": recipient.public,
            "linkedin_url": linkedin_url(award, catalog, urls),
            "page_url": urls.url(urls.award_page(award.id, language)),
        },
        image=urls.url(card_path(award, urls)),
    )


def _recipient_page(recipient: Recipient, language: str, catalog: Catalog, urls: SiteUrls) -> Page:
    awards = [a for a in catalog.awards_of_recipient(recipient) if a.revocation is None]
    return Page(
        "recipient.html",
        urls.recipient_page(recipient.slug, language),
        language,
        recipient.name,
        recipient.name,
        noindex=False,
        context={"recipient": recipient, "awards": awards},
    )


def _summary(text: Localized, language: str) -> str:
    first = text[language].strip().split("\n\n")[0]
    plain = " ".join(nh3.clean(markdown.markdown(first), tags=set()).split())
    return plain if len(plain) <= 200 else plain[:197].rstrip() + "…"
