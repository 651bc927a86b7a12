"""Award and recipient pages from stencils: rendered once per shape, filled per page.

A site of 100,000 awards has 200,000 award pages and about as many recipient pages, which
differ only in a few values: ids, the holder's name, dates, narrative, evidence, the reason
of a revocation. Rendering each with Jinja costs most of a build. A stencil is the page
rendered for placeholders, one per value, with the real page's *shape*: an award's status,
whether the holder is named, erased, which of expiry, revocation, narrative and evidence it
has; for a recipient, the badge and shape of each award listed. Filling it is one pass of
substitutions, each value in the form the page uses it in: HTML-escaped, percent-encoded in
addresses, as rendered Markdown.

A placeholder is a word between two Unicode noncharacters, which the sources refuse in
every text, so no real value or badge text can be taken for one. Only a template that says
it may be stenciled is (``{# badgepages: stencil #}`` in award.html, recipient.html): one
that prints its values and never tests or transforms them. A placeholder the fill does not
know (a template that transforms a value, or prints one a stencil does not fill) makes the
page rendered whole, never wrongly filled. The tests compare stenciled and whole renderings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, ClassVar, Self
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
# Days that stand for dates in a stencil (found by value, printed as placeholders): the
# n-th award's are these plus n days. An expiry still to come is one of a far year, so
# that the placeholder award has the real one's status.
_ISSUED, _EXPIRED, _REVOKED, _EXPIRES_LATER = (
    date(1000, 1, 1),
    date(1300, 1, 1),
    date(1600, 1, 1),
    date(9000, 1, 1),
)

Stencil = list[str]  # text and placeholders in turn (placeholders at odd positions)


def _mark(name: str) -> str:
    return f"{_OPEN}{name}{_CLOSE}"


class StencilError(Exception):
    """A stencil holds a placeholder its fill does not know: render the page whole."""


class _Stencils:
    """Pages of one template in one build, from one stencil per shape."""

    TEMPLATE: ClassVar[str]

    def __init__(
        self, renderer: render.Renderer, catalog: Catalog, urls: SiteUrls, build_date: date
    ) -> None:
        self.renderer = renderer
        self.catalog = catalog
        self.urls = urls
        self.build_date = build_date
        self._stencils: dict[tuple[Any, ...], Stencil | None] = {}

    @classmethod
    def of(
        cls, renderer: render.Renderer, catalog: Catalog, urls: SiteUrls, build_date: date
    ) -> Self | None:
        """Return the stencils of a build, or None when the theme's template forbids them."""
        return cls(renderer, catalog, urls, build_date) if cls.allowed(renderer) else None

    @classmethod
    def allowed(cls, renderer: render.Renderer) -> bool:
        """Tell whether the theme's template says it may be stenciled."""
        source = renderer.environment.loader.get_source(  # type: ignore[union-attr]
            renderer.environment, cls.TEMPLATE
        )[0]
        return OPT_IN in source

    def _page(
        self,
        shape: tuple[Any, ...],
        stencil: Callable[[], Stencil],
        values: Callable[[], dict[str, str]],
        whole: Callable[[], render.Page],
    ) -> bytes:
        """Return a page: its shape's stencil filled with its values, else rendered whole."""
        if shape not in self._stencils:
            try:
                self._stencils[shape] = stencil()
            except StencilError:
                self._stencils[shape] = None
        made = self._stencils[shape]
        if made is not None:
            try:
                return _fill(made, values()).encode("utf-8")
            except StencilError:
                self._stencils[shape] = None
        return self.renderer.render(whole())

    def _render(self, page: render.Page, placeholders: dict[str, Award], **context: Any) -> Stencil:
        """Render a page of placeholder awards (by suffix), dates printed as placeholders."""
        dates: dict[date, str] = {}
        for suffix, award in placeholders.items():
            days = {"issued": award.issued_on, "expires": award.expires}
            if award.revocation:
                days["revoked"] = award.revocation.on
            for name, day in days.items():
                mark = _mark(name + suffix)
                if day is not None and dates.setdefault(day, mark) != mark:
                    raise StencilError("too many awards on one page to tell their dates apart")

        def date_helper(day: date) -> str:
            return dates.get(day) or render.format_date(day, page.language)

        context = {**page.context, **context, "date": date_helper}
        rendered = self.renderer.render(replace(page, context=context)).decode("utf-8")
        return _PLACEHOLDER.split(rendered)


class AwardStencils(_Stencils):
    """Award pages, from one stencil per badge, language and shape."""

    TEMPLATE = "award.html"

    def page(self, award: Award, language: str) -> bytes:
        """Return an award's page in a language: a stencil filled, else rendered whole."""
        status = award.status(self.build_date)
        return self._page(
            (*_award_shape(award, status), language),
            lambda: self._stencil(award, language, status),
            lambda: _award_values(award, language, self.catalog, self.urls),
            lambda: render.award_page(self.catalog, self.urls, award, language, self.build_date),
        )

    def _stencil(self, award: Award, language: str, status: str) -> Stencil:
        holder = _placeholder_recipient(award.recipient)
        placeholder = _placeholder_award(award, holder, self.catalog.config.languages)
        page = render.award_page(self.catalog, self.urls, placeholder, language, self.build_date)
        # The real award's status: placeholder dates say nothing of it.
        return self._render(page, {"": placeholder}, status=status, linkedin_url=_mark("linkedin"))


class RecipientStencils(_Stencils):
    """Recipient pages, from one stencil per language and the shapes of the awards listed."""

    TEMPLATE = "recipient.html"

    def page(self, recipient: Recipient, language: str) -> bytes:
        """Return a recipient's page in a language: a stencil filled, else rendered whole."""
        awards = render.recipient_awards(self.catalog, recipient)
        page = functools.partial(
            render.recipient_page, self.catalog, self.urls, recipient, language
        )
        if " ".join(recipient.name.split()) != recipient.name:
            # The page's description prints the name with its spaces made single: the
            # name in two forms, and one placeholder stands for one.
            return self.renderer.render(page())
        day = self.build_date
        shape = (
            language,
            recipient.public,
            recipient.erased_on is None,
            *(_award_shape(award, award.status(day)) for award in awards),
        )
        return self._page(
            shape,
            lambda: self._stencil(recipient, awards, language),
            lambda: self._values(recipient, awards, language),
            page,
        )

    def _stencil(self, recipient: Recipient, awards: Sequence[Award], language: str) -> Stencil:
        holder = _placeholder_recipient(recipient)
        languages = self.catalog.config.languages
        day = self.build_date
        placeholders = {
            _suffix(index): _placeholder_award(award, holder, languages, index, day)
            for index, award in enumerate(awards)
        }
        page = render.recipient_page(
            self.catalog, self.urls, holder, language, tuple(placeholders.values())
        )
        return self._render(page, placeholders)

    def _values(
        self, recipient: Recipient, awards: Sequence[Award], language: str
    ) -> dict[str, str]:
        values = _holder_values(recipient)
        for index, award in enumerate(awards):
            suffix = _suffix(index)
            _put_address(values, f"id{suffix}", award.id)
            values[_mark(f"issued{suffix}")] = render.format_date(award.issued_on, language)
            if award.expires:
                values[_mark(f"expires{suffix}")] = render.format_date(award.expires, language)
        return values


def _suffix(index: int | None) -> str:
    """Return the suffix of the placeholders of a page's n-th award (none: an award's page)."""
    return "" if index is None else f"_{index}"


def _fill(stencil: Stencil, values: dict[str, str]) -> str:
    pieces = stencil.copy()
    for at in range(1, len(pieces), 2):
        try:
            pieces[at] = values[pieces[at]]
        except KeyError:
            raise StencilError(pieces[at]) from None
    page = "".join(pieces)
    if _OPEN in page or _CLOSE in page:  # a template cut a placeholder: not one to fill
        raise StencilError(page)
    # A value with line breaks to compact is compacted as a whole rendering would.
    if any(render.needs_compacting(text) for text in values.values()):
        page = render.compact_html(page)
    return page


def _award_shape(award: Award, status: str) -> tuple[Any, ...]:
    """Return what decides how a page shows an award: everything but the values it prints."""
    return (
        award.badge.slug,
        status,
        policy.may_name(award.recipient),
        award.erased,
        award.recipient.public,
        award.expires is None,
        award.revocation is None,
        award.narrative is None,
        tuple(e.narrative is None for e in award.evidence),
    )


def _placeholder_recipient(holder: Recipient) -> Recipient:
    return replace(holder, slug=_mark("slug"), name=_mark("name"), email="")


def _placeholder_award(
    award: Award,
    holder: Recipient,
    languages: tuple[str, ...],
    index: int | None = None,
    build_date: date | None = None,
) -> Award:
    """Return an award of the same shape whose every value is a placeholder.

    ``index`` is the award's place on a page that lists several. With ``build_date``, an
    expiry still to come stays to come: the placeholder then has the real award's status.
    """
    suffix = _suffix(index)

    def text(name: str) -> Localized:
        return Localized(tuple((language, _mark(name + suffix)) for language in languages))

    later = build_date is not None and award.expires is not None and award.expires > build_date
    shift = timedelta(days=index or 0)
    return replace(
        award,
        id=_mark(f"id{suffix}"),
        recipient=holder,
        issued_on=_ISSUED + shift,
        expires=((_EXPIRES_LATER if later else _EXPIRED) + shift) if award.expires else None,
        narrative=text("narrative") if award.narrative else None,
        evidence=tuple(
            Evidence(
                _mark(f"evidence{i}url{suffix}"), text(f"evidence{i}") if e.narrative else None
            )
            for i, e in enumerate(award.evidence)
        ),
        revocation=(
            Revocation(_REVOKED + shift, _mark(f"reason{suffix}")) if award.revocation else None
        ),
    )


def _holder_values(holder: Recipient) -> dict[str, str]:
    values: dict[str, str] = {_mark("name"): str(escape(holder.name))}
    _put_address(values, "slug", holder.slug)
    return values


def _put_address(values: dict[str, str], name: str, text: str) -> None:
    # Only ids and slugs go into addresses (percent-encoded): both need no encoding.
    mark, quoted = _address_marks(name)
    values[mark] = values[quoted] = text


@functools.lru_cache(maxsize=256)
def _address_marks(name: str) -> tuple[str, str]:
    """Return a placeholder as a text prints it and as an address prints it (quoted once)."""
    return _mark(name), quote(_mark(name))


def _award_values(award: Award, language: str, catalog: Catalog, urls: SiteUrls) -> dict[str, str]:
    """Return each placeholder of an award's page, in every form it prints it, and its value."""
    values = _holder_values(award.recipient)

    def put(name: str, text: str) -> None:
        values[_mark(name)] = text

    _put_address(values, "id", award.id)
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
