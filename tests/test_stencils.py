"""Award and recipient pages filled from stencils are byte for byte the pages rendered whole."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from badgepages import render
from badgepages.catalog import Award, Catalog, Evidence, Recipient, Revocation, load_catalog
from badgepages.pipeline import site_urls
from badgepages.stencils import AwardStencils, RecipientStencils
from badgepages.text import Localized
from tests.site import EXAMPLE_DAY, copy_example


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog(copy_example(tmp_path_factory.mktemp("stencils") / "project"), EXAMPLE_DAY)


def renderer(catalog: Catalog) -> render.Renderer:
    return render.Renderer(catalog.config.theme_dir, catalog, site_urls(catalog), EXAMPLE_DAY, True)


def whole(catalog: Catalog, award: Award, language: str) -> bytes:
    page = render.award_page(catalog, site_urls(catalog), award, language, EXAMPLE_DAY)
    return renderer(catalog).render(page)


def stencils(catalog: Catalog) -> AwardStencils:
    made = renderer(catalog)
    assert AwardStencils.allowed(made)
    return AwardStencils(made, catalog, site_urls(catalog), EXAMPLE_DAY)


def whole_recipient(catalog: Catalog, recipient: Recipient, language: str) -> bytes:
    return renderer(catalog).render(
        render.recipient_page(catalog, site_urls(catalog), recipient, language)
    )


def recipient_stencils(catalog: Catalog) -> RecipientStencils:
    made = renderer(catalog)
    assert RecipientStencils.allowed(made)
    return RecipientStencils(made, catalog, site_urls(catalog), EXAMPLE_DAY)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_example_award_page(catalog: Catalog, language: str) -> None:
    made = stencils(catalog)
    for award in catalog.awards:
        assert made.page(award, language) == whole(catalog, award, language), award.id


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_example_recipient_page(catalog: Catalog, language: str) -> None:
    made = recipient_stencils(catalog)
    for recipient in catalog.recipients:
        if recipient.public and recipient.erased_on is None:
            page = made.page(recipient, language)
            assert page == whole_recipient(catalog, recipient, language), recipient.slug


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")).filter(
        lambda c: not 0xFDD0 <= ord(c) <= 0xFDEF
    ),
    min_size=1,
    max_size=60,
).filter(str.strip)
MARKDOWN = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "**bold** and _em_ & <script>alert(1)</script>",
            "Line one\nline two\n\n- a list\n- of `code`\n\n    indented code\n    kept",
            "```\npre\n   formatted\n```\nafter",
            '[a link](https://example.org/?a=1&b=2 "title")',
            "> quoted\n\n1. one\n2. two",
        ]
    ),
)
URL = st.sampled_from(
    [
        'https://example.org/a?x=1&y="2"',
        "https://example.org/évidence/ü.pdf",
        "http://example.org/<tag>",
        "https://example.org/%41%42",
    ]
)
DAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 11, 27))


@settings(max_examples=60)
@given(
    name=TEXT,
    narrative=st.none() | MARKDOWN,
    evidence=st.lists(st.tuples(URL, st.none() | TEXT), max_size=3),
    issued=DAY,
    expires=st.none() | st.dates(min_value=date(2000, 1, 2), max_value=date(2030, 1, 1)),
    reason=st.none() | TEXT,
    public=st.booleans(),
    language=st.sampled_from(["fr", "en"]),
)
def test_generated_award_pages(
    catalog: Catalog,
    name: str,
    narrative: str | None,
    evidence: list[tuple[str, str | None]],
    issued: date,
    expires: date | None,
    reason: str | None,
    public: bool,
    language: str,
) -> None:
    base = next(a for a in catalog.awards if not a.erased)

    def text(value: str) -> Localized:
        return Localized((("fr", value), ("en", value)))

    award = replace(
        base,
        recipient=replace(base.recipient, name=name, public=public),
        issued_on=issued,
        expires=expires if expires and expires > issued else None,
        narrative=text(narrative) if narrative else None,
        evidence=tuple(Evidence(url, text(n) if n else None) for url, n in evidence),
        revocation=Revocation(issued, reason) if reason else None,
    )
    assert stencils(catalog).page(award, language) == whole(catalog, award, language)


@settings(max_examples=60)
@given(
    name=TEXT,
    awards=st.lists(
        st.tuples(
            st.sampled_from(["citadin-citoyen", "collectif-essca"]),
            DAY,
            st.none() | st.dates(min_value=date(2000, 1, 2), max_value=date(2030, 1, 1)),
            st.none() | MARKDOWN,
        ),
        max_size=5,
    ),
    language=st.sampled_from(["fr", "en"]),
)
def test_generated_recipient_pages(
    catalog: Catalog,
    name: str,
    awards: list[tuple[str, date, date | None, str | None]],
    language: str,
) -> None:
    base = next(a for a in catalog.awards if a.recipient.public and not a.erased)
    holder = replace(base.recipient, name=name)
    badges = {badge.slug: badge for badge in catalog.badges}
    listed = [
        replace(
            base,
            id=f"{index}{base.id}",
            badge=badges[slug],
            recipient=holder,
            issued_on=issued,
            expires=expires if expires and expires > issued else None,
            narrative=Localized((("fr", narrative), ("en", narrative))) if narrative else None,
            revocation=None,
        )
        for index, (slug, issued, expires, narrative) in enumerate(awards)
    ]
    with mock.patch.object(render, "recipient_awards", return_value=listed):
        page = recipient_stencils(catalog).page(holder, language)
        assert page == whole_recipient(catalog, holder, language)


@pytest.mark.parametrize(
    ("original", "printed", "shown"),
    [
        ("{{ recipient.name }}</h1>", "{{ recipient.name | upper }}</h1>", str.upper),
        ("{{ recipient.name }}</h1>", "{{ recipient.name[:4] }}</h1>", lambda name: name[:4]),
        # A value the stencils do not fill: each award's narrative.
        ('<div class="card__body">', "<div>{{ tr(a.narrative or {'fr': '-'}) }}", None),
    ],
)
def test_a_recipient_template_that_transforms_a_value_is_rendered_whole(
    catalog: Catalog,
    tmp_path: Path,
    original: str,
    printed: str,
    shown: Callable[[str], str] | None,
) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(catalog.config.theme_dir, theme)
    page = theme / "templates" / "recipient.html"
    source = page.read_text(encoding="utf-8")
    assert original in source
    page.write_text(source.replace(original, printed))
    changed = replace(catalog, config=replace(catalog.config, theme_dir=theme))
    made = recipient_stencils(changed)
    for recipient in catalog.recipients:
        if recipient.public and recipient.erased_on is None:
            page_whole = whole_recipient(changed, recipient, "fr")
            if shown is not None:
                assert str(escape(shown(recipient.name))).encode() in page_whole
            assert made.page(recipient, "fr") == page_whole, recipient.slug


def test_a_template_that_transforms_a_value_is_rendered_whole(
    catalog: Catalog, tmp_path: Path
) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(catalog.config.theme_dir, theme)
    page = theme / "templates" / "award.html"
    source = page.read_text(encoding="utf-8")
    page.write_text(
        source.replace("<code>{{ award.id }}</code>", "<code>{{ award.id | upper }}</code>")
    )
    changed = replace(catalog, config=replace(catalog.config, theme_dir=theme))
    award = catalog.awards[0]
    assert stencils(changed).page(award, "fr") == whole(changed, award, "fr")
    assert award.id.upper().encode() in whole(changed, award, "fr")


def test_a_theme_without_the_line_is_never_stenciled(catalog: Catalog, tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(catalog.config.theme_dir, theme)
    page = theme / "templates" / "award.html"
    page.write_text(page.read_text(encoding="utf-8").replace("{# badgepages: stencil #}\n", ""))
    changed = replace(catalog, config=replace(catalog.config, theme_dir=theme))
    urls = site_urls(changed)
    renderer = render.Renderer(theme, changed, urls, EXAMPLE_DAY, True)
    assert not AwardStencils.allowed(renderer)
