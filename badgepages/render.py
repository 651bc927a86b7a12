"""HTML pages: the Jinja2 environment, translated strings, sanitised Markdown, page contexts."""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

import jinja2
import markdown
import nh3
from markupsafe import Markup

from badgepages import policy
from badgepages.cache import CACHE_DIR, code_version, digest
from badgepages.catalog import Award, AwardEntry, Badge, Catalog, Recipient
from badgepages.diagnostics import Diagnostic, SourceError, SourceLocation, shown_path
from badgepages.fragments import TEXTS, ConstantTexts, SharedFragments, Texts
from badgepages.models import ThemeStringsSource, validate_document
from badgepages.output import encode_json
from badgepages.sources import read_yaml
from badgepages.urls import SiteUrls

TEMPLATES_DIR = "templates"
_TEMPLATES_CACHE = "templates"  # in the build cache
STATIC_DIR = "static"
STRINGS_FILE = "strings.yaml"

# Markdown from pull requests is untrusted: keep text formatting and links, nothing that runs.
_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "code", "pre", "blockquote",
    "h3", "h4", "hr",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
_URL_SCHEMES = {"http", "https", "mailto"}


@functools.lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """Return Markdown as sanitised HTML: no script, iframe, event handler or javascript: URL.

    Memoised: a badge's criteria appear on every one of its award pages.
    """
    html = markdown.markdown(text, output_format="html")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener nofollow",
    )
    return Markup(clean)


# Where whitespace is content: kept as written.
_VERBATIM = re.compile(r"<(pre|textarea|script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_LINE_START = re.compile(r"\n[ \t\n]+")  # indentation and blank lines


def compact_html(html: str) -> str:
    """Drop the templates' indentation and blank lines: a site of many pages pays for each
    byte (GitHub Pages counts them), and a line break still separates inline elements."""
    parts, start = [], 0
    for verbatim in _VERBATIM.finditer(html):
        parts.append(_compact(html[start : verbatim.start()]))
        parts.append(verbatim.group(0))
        start = verbatim.end()
    parts.append(_compact(html[start:]))
    return "".join(parts)


def _compact(text: str) -> str:
    return _LINE_START.sub("\n", text)


def needs_compacting(text: str) -> bool:
    """Tell whether compacting would change a text (it has indentation or blank lines)."""
    return _LINE_START.search(text) is not None


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
    alternates: dict[str, str] = field(default_factory=dict)  # language → path of its version


def linkedin_url(award: Award, catalog: Catalog, urls: SiteUrls) -> str:
    """Return LinkedIn's add-to-profile link for an award (ob2-facts.md §5)."""
    issuer = catalog.config.issuer
    badge = _linkedin_badge(
        award.badge.name.default, issuer.linkedin_organization_id, issuer.name.default
    )
    # As urlencode would write them, with only the texts quoted: numbers need no encoding.
    issued, expires = award.issued_on, award.expires
    dates = f"issueYear={issued.year}&issueMonth={issued.month}"
    if expires:
        dates += f"&expirationYear={expires.year}&expirationMonth={expires.month}"
    # Award ids are letters, digits, "-" and "_" (models.AWARD_ID): nothing in them to quote.
    before, after = _quoted_award_url(urls)
    return (
        f"https://www.linkedin.com/profile/add?{badge}&{dates}"
        f"&certUrl={before}{award.id}{after}&certId={award.id}"
    )


@functools.lru_cache(maxsize=8)
def _quoted_award_url(urls: SiteUrls) -> tuple[str, str]:
    """Return an award page's URL, quoted for a query, before and after the award's id."""
    sample = "0" * 16  # an award id; the URL's last one is the id (only "/" follows it)
    quoted = quote_plus(urls.url(urls.award_page(sample, urls.default_language)))
    before, _, after = quoted.rpartition(sample)
    return before, after


@functools.lru_cache(maxsize=64)
def _linkedin_badge(name: str, organization_id: str | None, organization_name: str) -> str:
    """Return the query of what a badge's links share, encoded once per badge."""
    params = {"startTask": "CERTIFICATION_NAME", "name": name}
    if organization_id:
        params["organizationId"] = organization_id
    else:
        params["organizationName"] = organization_name
    return urlencode(params)


class Renderer:
    """Renders pages with the theme's templates and strings, in every site language."""

    def __init__(
        self, theme_dir: Path, catalog: Catalog, urls: SiteUrls, build_date: date, signed: bool
    ):
        self.signed = signed
        self.catalog = catalog
        self.urls = urls
        self.build_date = build_date
        self.strings = load_strings(theme_dir / STRINGS_FILE, catalog.config.root)
        self.environment = _environment(theme_dir, catalog.config.root / CACHE_DIR)

    def load_templates(self) -> None:
        """Compile every template now (before workers fork), instead of once per worker.

        Raise SourceError at the line of each template that does not compile.
        """
        config = self.catalog.config
        problems = _compile_templates(self.environment, config.theme_dir, config.root)
        if problems:
            raise SourceError(problems)
        _ = self._translators

    def render(self, page: Page) -> bytes:
        """Return a page's HTML."""
        template = self.environment.get_template(page.template)
        context = {
            "page": page,
            "lang": page.language,
            "languages": self.catalog.config.languages,
            "alternates": page.alternates or {page.language: page.path},
            "t": self._translators[page.language],
            TEXTS: self._texts[page.language],
            "tr": lambda text: text[page.language],
            "date": functools.partial(format_date, language=page.language),
            "link": _linker(page.path),
            "absolute": self.urls.url,
            "urls": self.urls,
            "issuer": self.catalog.config.issuer,
            "build_date": self.build_date,
            "signed": self.signed,
            "public_base_url": self.catalog.config.public_base_url,
            **page.context,  # a page may bring its own helpers (stencils bring ``date``)
        }
        return compact_html(template.render(context)).encode("utf-8")

    @functools.cached_property
    def _texts(self) -> dict[str, Texts]:
        default = self.catalog.config.default_language
        return {
            language: Texts(
                (key, str(entry.get(language) or entry[default]))
                for key, entry in self.strings.items()
            )
            for language in self.catalog.config.languages
        }

    @functools.cached_property
    def _translators(self) -> dict[str, Callable[..., str]]:
        return {language: self._translator(language) for language in self.catalog.config.languages}

    def strings_json(self, language: str) -> bytes:
        """Return every interface text in one language, for the scripts (one file per language).

        Placeholders stay as they are (``{date}``): the scripts fill them in.
        """
        translate = self._translators[language]
        return encode_json({key: translate(key) for key in self.strings})

    def _translator(self, language: str) -> Callable[..., str]:
        default = self.catalog.config.default_language
        texts = {
            key: str(entry.get(language) or entry[default]) for key, entry in self.strings.items()
        }

        def translate(key: str, **values: Any) -> str:
            text = texts.get(key)
            if text is None:
                raise KeyError(f"string '{key}' is missing from the theme's {STRINGS_FILE}")
            return text.format(**values) if values else text

        return translate


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates compiled by an earlier build, kept in the cache (compiling takes 0.2 s).

    Jinja checks each template's source and its own version; the engine's extensions shape
    the compiled code too, so the engine's code version is part of the checksum.
    """

    def get_source_checksum(self, source: str) -> str:
        """Return the checksum of a template's source and of the engine that compiles it."""
        return digest(code_version(), source)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep a compiled template; a cache that cannot be written is no error."""
        with contextlib.suppress(OSError):
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)


def _environment(theme_dir: Path, cache: Path | None = None) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(theme_dir / TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=[SharedFragments, ConstantTexts],
        bytecode_cache=_CompiledTemplates(str(cache / _TEMPLATES_CACHE)) if cache else None,
    )
    environment.filters["markdown"] = render_markdown
    return environment


def check_theme(theme_dir: Path, root: Path) -> None:
    """Read the theme's strings and compile its templates; raise SourceError if any is wrong.

    What ``check`` does for a pull request that edits the theme: every problem, at its line.
    """
    problems = _compile_templates(_environment(theme_dir), theme_dir, root)
    try:
        load_strings(theme_dir / STRINGS_FILE, root)
    except SourceError as error:
        problems[:0] = error.diagnostics
    if problems:
        raise SourceError(problems)


def _compile_templates(
    environment: jinja2.Environment, theme_dir: Path, root: Path
) -> list[Diagnostic]:
    problems = []
    for name in environment.list_templates(extensions=["html"]):
        try:
            environment.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            file = shown_path(theme_dir / TEMPLATES_DIR / name, root)
            location = SourceLocation(file, error.lineno or 1)
            message = error.message or "cannot be compiled"
            problems.append(Diagnostic(location, f"template error: {message}"))
    return problems


def load_strings(file: Path, root: Path) -> dict[str, dict[str, str]]:
    """Read the theme's strings with the sources' strict reader; raise SourceError if bad."""
    document, problems = read_yaml(file, shown_path(file, root))
    if document is not None:
        strings, errors = validate_document(document, ThemeStringsSource)
        if strings is not None and not problems:
            return strings.root
        problems.extend(errors)
    raise SourceError(problems)


def _linker(page_path: str) -> Callable[[str], str]:
    """Return a function giving links relative to the page, so any preview host works."""
    folder = [part for part in page_path.split("/")[:-1] if part]

    def link(target: str) -> str:
        trailing = target == "" or target.endswith("/") or target.endswith("index.html")
        target = target.removesuffix("index.html")
        parts = [part for part in target.split("/") if part]
        common = 0
        while common < min(len(folder), len(parts)) and folder[common] == parts[common]:
            common += 1
        relative = "/".join([".."] * (len(folder) - common) + parts[common:])
        if not relative:
            return "./"
        return relative + "/" if trailing and not relative.endswith("/") else relative

    return link


_MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "en": "January February March April May June July August September October November December",
}


def format_date(day: date, language: str) -> str:
    """Return a day as pages write it in a language."""
    months = _MONTHS.get(language)
    if months is None:
        return day.isoformat()
    month = months.split()[day.month - 1]
    if language == "en":
        return f"{day.day} {month} {day.year}"
    return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"


def _alternates(languages: Sequence[str], route: Callable[[str], str]) -> dict[str, str]:
    return {language: route(language) for language in languages}


def home_page(catalog: Catalog, urls: SiteUrls, language: str) -> Page:
    """Return the home page: every badge with its public number of holders."""
    issuer = catalog.config.issuer
    return Page(
        "home.html",
        urls.home_page(language),
        language,
        issuer.name[language],
        issuer.description[language] if issuer.description else issuer.name[language],
        noindex=False,
        context={"badges": [(b, public_count(catalog, b)) for b in catalog.badges]},
        alternates=_alternates(catalog.config.languages, urls.home_page),
    )


def verify_page(catalog: Catalog, urls: SiteUrls, language: str) -> Page:
    """Return the verify-a-badge page."""
    issuer = catalog.config.issuer
    return Page(
        "verify.html",
        urls.verify_page(language),
        language,
        issuer.name[language],
        issuer.name[language],
        noindex=False,
        context={},
        alternates=_alternates(catalog.config.languages, urls.verify_page),
    )


def not_found_page(catalog: Catalog) -> Page:
    """Return the 404 page (one file: GitHub Pages serves only the root 404.html)."""
    language = catalog.config.default_language
    return Page("404.html", "404.html", language, "404", "", noindex=True, context={})


def public_count(catalog: Catalog, badge: Badge) -> int:
    """Return how many holders a badge has, as its pages say (revoked awards do not count)."""
    return policy.held_count(catalog.entries_of_badge(badge.slug))


# Holders a badge's page lists by name: at 500, a page weighs about 100 KB in each language.
EARNERS_PER_PAGE = 500


def earner_pages(catalog: Catalog, badge: Badge) -> list[Sequence[AwardEntry]]:
    """Return the places of a badge's list of holders, page by page (each page's awards).

    Oldest first, so that a new award lands on the last page and the others stay as they
    were; a revoked award keeps its place, unlisted (:func:`policy.places_among_earners`).
    There is always a first page, even listing no one.
    """
    places = catalog.entries_of_badge_kept(badge.slug, policy.places_among_earners)
    size = EARNERS_PER_PAGE
    return [places[start : start + size] for start in range(0, len(places), size)] or [[]]


def badge_page(
    catalog: Catalog, urls: SiteUrls, badge: Badge, language: str, number: int = 1
) -> Page:
    """Return a badge's page (or its page ``number`` of holders who consented to be named)."""
    pages = earner_pages(catalog, badge)
    places = pages[number - 1]
    first = (number - 1) * EARNERS_PER_PAGE + 1
    return Page(
        "badge.html",
        urls.badge_page(badge.slug, language, number),
        language,
        badge.name[language],
        _summary(badge.description[language]),
        noindex=False,
        context={
            "badge": badge,
            "earners": catalog.oldest_first(filter(policy.is_listed_earner, places)),
            "earners_from": first,
            "earners_to": first + len(places) - 1,
            "pages": [urls.badge_page(badge.slug, language, n) for n in range(1, len(pages) + 1)],
            "number": number,
        },
        image=urls.url(urls.badge_card(badge.slug)),
        alternates=_alternates(
            catalog.config.languages,
            lambda other: urls.badge_page(badge.slug, other, number),
        ),
    )


def award_page(
    catalog: Catalog, urls: SiteUrls, award: Award, language: str, build_date: date
) -> Page:
    """Return an award's verification page: the holder is named only with consent."""
    return Page(
        "award.html",
        urls.award_page(award.id, language),
        language,
        award.badge.name[language],
        _summary(award.badge.description[language]),
        noindex=policy.award_visibility(award) != "public",
        context={
            "award": award,
            "badge": award.badge,
            "status": award.status(build_date),
            "show_name": policy.may_name(award.recipient),
            "linkedin_url": linkedin_url(award, catalog, urls),
            "page_url": urls.url(urls.award_page(award.id, language)),
        },
        # LinkedIn, Slack and messaging apps show the badge's card: one image per badge.
        image=urls.url(urls.badge_card(award.badge.slug)),
        alternates=_alternates(
            catalog.config.languages, functools.partial(urls.award_page, award.id)
        ),
    )


def recipient_awards(catalog: Catalog, recipient: Recipient) -> list[Award]:
    """Return the awards a recipient's page lists: those not revoked."""
    return [a for a in catalog.awards_of_recipient(recipient) if not a.is_revoked]


def recipient_page(
    catalog: Catalog,
    urls: SiteUrls,
    recipient: Recipient,
    language: str,
    awards: Sequence[Award] | None = None,
) -> Page:
    """Return a consenting recipient's page, listing ``awards`` (by default, theirs)."""
    if awards is None:
        awards = recipient_awards(catalog, recipient)
    return Page(
        "recipient.html",
        urls.recipient_page(recipient.slug, language),
        language,
        recipient.name,
        recipient.name,
        noindex=False,
        context={"recipient": recipient, "awards": awards},
        alternates=_alternates(
            catalog.config.languages, functools.partial(urls.recipient_page, recipient.slug)
        ),
    )


@functools.lru_cache(maxsize=1024)
def _summary(text: str) -> str:
    first = text.strip().split("\n\n")[0]
    plain = " ".join(nh3.clean(markdown.markdown(first), tags=set()).split())
    # Search engines show about 160 characters of a description.
    return plain if len(plain) <= 160 else plain[:157].rstrip() + "…"
