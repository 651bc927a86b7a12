"""Award pages from stencils: rendered once per badge, language and shape, filled per award.

A site of 100,000 awards has 200,000 award pages that differ only in a few values: the id,
the holder's name, dates, narrative, evidence, the reason of a revocation. Rendering each
with Jinja costs most of a build. A stencil is the page rendered for an award made of
placeholders, one per value, with the real award's *shape* (its status; whether the holder
is named, erased; which of expiry, revocation, narrative and evidence it has, and how many
pieces of evidence). Filling it is one pass of substitutions, each value in the form the
page uses it in: HTML-escaped, percent-encoded in addresses, as rendered Markdown.

A placeholder is a word between two Unicode noncharacters, which the sources refuse in
every text, so no real value or badge text can be taken for one. Only a template that says
it may be stenciled is (``{# badgepages: stencil #}`` in award.html): one that prints an
award's values and never tests or transforms them. A placeholder the fill does not know
(a template that transforms a value) makes the page rendered whole, never wrongly filled.
The tests compare stenciled and whole renderings of generated awards.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import quote

from markupsafe import escape

from badgepages import policy, render
from badgepages.catalog import Award, Catalog, Evidence, Recipient, Revocation
from badgepages.text import Localized
from badgepages.urls import SiteUrls

OPT_IN = "{# badgepages: stencil #}"
_OPEN, _CLOSE = "\ufdd0", "\ufdd1"  # noncharacters: refused in every source text
# Longest forms first: a placeholder Markdown wrapped in a paragraph is filled whole.
# A stencil is split once around them (the group keeps them): a page is then filled by a
# join, not by searching 9 KB of HTML again.
_PLACEHOLDER = re.compile(
    f"(<p>{_OPEN}\\w+{_CLOSE}</p>|{_OPEN}\\w+{_CLOSE}"
    f"|{re.escape(quote(_OPEN))}\\w+{re.escape(quote(_CLOSE))})"
)
# Days that stand for an award's dates in a stencil (found by value, printed as placeholders).
_ISSUED, _EXPIRES, _REVOKED = date(1111, 1, 11), date(1112, 2, 12), date(1113, 3, 13)


def _mark(name: str) -> str:
    return f"{_OPEN}{name}{_CLOSE}"


class StencilError(Exception):
    """A stencil holds a placeholder its fill does not know: render the page whole."""


class AwardStencils:
    """Award pages of one build, from one stencil per badge, language and shape."""

    def __init__(
        self, renderer: render.Renderer, catalog: Catalog, urls: SiteUrls, build_date: date
    ) -> None:
        self.renderer = renderer
        self.catalog = catalog
        self.urls = urls
        self.build_date = build_date
        # Each stencil as text and placeholders in turn (placeholders at odd positions).
        self._stencils: dict[tuple[Any, ...], list[str] | None] = {}

    @classmethod
    def allowed(cls, renderer: render.Renderer) -> bool:
        """Tell whether the theme's award page says it may be stenciled."""
        source = renderer.environment.loader.get_source(  # type: ignore[union-attr]
            renderer.environment, "award.html"
        )[0]
        return OPT_IN in source

    def page(self, award: Award, language: str) -> bytes:
        """Return an award's page in a language: a stencil filled, else rendered whole."""
        status = award.status(self.build_date)
        key = _shape(award, language, status)
        if key not in self._stencils:
            self._stencils[key] = self._stencil(award, language, status)
        stencil = self._stencils[key]
        if stencil is not None:
            try:
                return self._fill(stencil, award, language).encode("utf-8")
            except StencilError:
                self._stencils[key] = None
        page = render.award_page(self.catalog, self.urls, award, language, self.build_date)
        return self.renderer.render(page)

    def _stencil(self, award: Award, language: str, status: str) -> list[str] | None:
        placeholder = _placeholder_award(award, self.catalog.config.languages)
        page = render.award_page(self.catalog, self.urls, placeholder, language, self.build_date)
        dates = {_ISSUED: "issued", _EXPIRES: "expires", _REVOKED: "revoked"}

        def date_helper(day: date) -> str:
            name = dates.get(day)
            return _mark(name) if name else render.format_date(day, language)

        context = {
            **page.context,
            "status": status,  # the real award's: placeholder dates say nothing of it
            "linkedin_url": _mark("linkedin"),
            "date": date_helper,
        }
        rendered = self.renderer.render(replace(page, context=context)).decode("utf-8")
        return _PLACEHOLDER.split(rendered)

    def _fill(self, stencil: list[str], award: Award, language: str) -> str:
        values = _values(award, language, self.catalog, self.urls)
        pieces = stencil.copy()
        for at in range(1, len(pieces), 2):
            try:
                pieces[at] = values[pieces[at]]
            except KeyError:
                raise StencilError(pieces[at]) from None
        page = "".join(pieces)
        # A value with line breaks to compact is compacted as a whole rendering would.
        if any(render.needs_compacting(text) for text in values.values()):
            page = render.compact_html(page)
        return page


def _shape(award: Award, language: str, status: str) -> tuple[Any, ...]:
    """Return what decides an award page's layout: everything but the values it prints."""
    return (
        award.badge.slug,
        language,
        status,
        policy.may_name(award.recipient),
        award.erased,
        award.recipient.public,
        award.expires is None,
        award.revocation is None,
        award.narrative is None,
        tuple(e.narrative is None for e in award.evidence),
    )


def _placeholder_award(award: Award, languages: tuple[str, ...]) -> Award:
    """Return an award of the same shape whose every value is a placeholder."""

    def text(name: str) -> Localized:
        return Localized(tuple((language, _mark(name)) for language in languages))

    holder = award.recipient
    return replace(
        award,
        id=_mark("id"),
        recipient=Recipient(
            _mark("slug"), _mark("name"), "", holder.public, holder.erased_on, holder.digest
        ),
        issued_on=_ISSUED,
        expires=_EXPIRES if award.expires else None,
        narrative=text("narrative") if award.narrative else None,
        evidence=tuple(
            Evidence(_mark(f"evidence{i}url"), text(f"evidence{i}") if e.narrative else None)
            for i, e in enumerate(award.evidence)
        ),
        revocation=Revocation(_REVOKED, _mark("reason")) if award.revocation else None,
    )


def _values(award: Award, language: str, catalog: Catalog, urls: SiteUrls) -> dict[str, str]:
    """Return each placeholder, in every form a page prints it, and the award's value."""
    values: dict[str, str] = {}

    def put(name: str, text: str) -> None:
        values[_mark(name)] = text

    # Only ids and slugs go into addresses (percent-encoded): both need no encoding.
    for name, text in (("id", award.id), ("slug", award.recipient.slug)):
        values[_mark(name)] = values[quote(_mark(name))] = text
    put("name", str(escape(award.recipient.name)))
    put("issued", render.format_date(award.issued_on, language))
    if award.expires:
        put("expires", render.format_date(award.expires, language))
    if award.revocation:
        put("revoked", render.format_date(award.revocation.on, language))
        put("reason", str(escape(award.revocation.reason)))
    put("linkedin", str(escape(render.linkedin_url(award, catalog, urls))))
    if award.narrative:
        _put_markdown(values, "narrative", award.narrative[language])
    for index, evidence in enumerate(award.evidence):
        put(f"evidence{index}url", str(escape(evidence.url)))
        if evidence.narrative:
            put(f"evidence{index}", str(escape(evidence.narrative[language])))
    return values


def _put_markdown(values: dict[str, str], name: str, text: str) -> None:
    # Markdown wraps the placeholder in a paragraph: the filled page takes the real text's
    # rendering whole in its place.
    values[_mark(name)] = str(escape(text))
    values[f"<p>{_mark(name)}</p>"] = str(render.render_markdown(text))
