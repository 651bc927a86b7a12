"""The plan: every output of the site as an artifact, before anything is produced.

An artifact is a route (its permanent path), the producer that makes it, the exact inputs
that shape it hashed into one key, its visibility (from :mod:`badgepages.policy`) and the
source it comes from. Two builds whose artifact has the same key write the same bytes, which
is what lets the executor reuse the previous site and the cache; so each key below hashes
everything its producer reads, through a few fingerprints:

- ``site``: the engine's code, ``site_config.yaml`` and the logo, the addresses, the DID;
- ``pages``: ``site`` plus the theme (templates, strings, assets) and whether the site is
  signed (not the build day: statuses are in the keys of the pages that show them);
- ``signing``: ``site`` plus the signing key (or "unsigned") and ``keys.yaml``;
- per badge, the digest of its YAML and image; per recipient, the digest of their file.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from badgepages import policy, render
from badgepages.cache import code_version, digest
from badgepages.catalog import AwardEntry, Badge
from badgepages.config import CONFIG_FILE
from badgepages.diagnostics import SourceLocation, shown_path
from badgepages.keys import KEYS_FILE
from badgepages.output import OutputCollisionError, check_route
from badgepages.policy import Visibility
from badgepages.produce import BuildContext, split_sitemap
from badgepages.urls import ImageKind
from badgepages.workers import collection_paused, keep_until_exit

THEME_STATIC = "static"


class HasOrigin(Protocol):
    """Where something comes from: an award entry, a badge, a recipient, a source file."""

    @property
    def origin(self) -> SourceLocation: ...


class At(NamedTuple):
    """A fixed origin (a site-wide output comes from site_config.yaml, an asset from its file)."""

    origin: SourceLocation


class Artifact(NamedTuple):
    """One output file: where it goes, what makes it, what shapes it, who may see it.

    A named tuple rather than a dataclass, with its origin looked up only when needed: a
    large site plans hundreds of thousands of artifacts.
    """

    route: str
    producer: str
    args: tuple[str, ...]
    key: str
    visibility: Visibility
    source: HasOrigin

    @property
    def origin(self) -> SourceLocation:
        """Return where the artifact comes from, for diagnostics."""
        return self.source.origin


class Column(NamedTuple):
    """Artifacts of one producer, one per name (an award id, a slug), kept as columns.

    A large site plans 400,000 award artifacts: their routes and keys are made a column at a
    time, each by one comprehension, and an :class:`Artifact` only for what is produced.
    """

    producer: str
    routes: list[str]
    keys: list[str]
    visibilities: Sequence[Visibility]
    names: list[str]  # each artifact's first argument
    args: tuple[str, ...]  # the arguments after it, the same for all (a language)
    sources: Sequence[HasOrigin]

    def artifact(self, at: int) -> Artifact:
        """Return the artifact at a position of the column."""
        args = (self.names[at], *self.args)
        visibility, source = self.visibilities[at], self.sources[at]
        return Artifact(self.routes[at], self.producer, args, self.keys[at], visibility, source)

    def producers(self) -> list[str]:
        """Return each artifact's producer."""
        return [self.producer] * len(self.routes)

    def pages(self) -> int:
        """Return how many of the artifacts are HTML pages."""
        # One route scheme makes a column: all pages, or none.
        return len(self.routes) if self.routes and _is_page(self.routes[0]) else 0

    def public_pages(self) -> Iterator[str]:
        """Yield the routes of the pages that are public (indexed, in the sitemap)."""
        if not self.pages():
            return iter(())
        public = map(operator.eq, self.visibilities, itertools.repeat("public"))
        return itertools.compress(self.routes, public)


class Interleaved:
    """Columns of artifacts for the same names, taken in turn: an award's pages, credential
    and assertion side by side.

    A new award's routes are then next to each other in the plan, where the published
    site's manifest has them too: a build compares the rest of the two lists in C.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = columns
        self.routes = _interleaved([column.routes for column in columns])
        self.keys = _interleaved([column.keys for column in columns])

    def artifact(self, at: int) -> Artifact:
        """Return the artifact at a position of the block."""
        row, column = divmod(at, len(self.columns))
        return self.columns[column].artifact(row)

    def producers(self) -> list[str]:
        """Return each artifact's producer."""
        return _interleaved([column.producers() for column in self.columns])

    def pages(self) -> int:
        """Return how many of the artifacts are HTML pages."""
        return sum(column.pages() for column in self.columns)

    def public_pages(self) -> Iterator[str]:
        """Yield the routes of the pages that are public (indexed, in the sitemap)."""
        return itertools.chain.from_iterable(column.public_pages() for column in self.columns)


def _interleaved(columns: list[list[str]]) -> list[str]:
    return [value for values in zip(*columns, strict=True) for value in values]


def _is_page(route: str) -> bool:
    return route.endswith(".html")


class Artifacts:
    """Artifacts listed one by one (a badge's, the site's), as a block of the plan."""

    def __init__(self, artifacts: Iterable[Artifact]) -> None:
        self.artifacts = list(artifacts)
        self.routes = [artifact.route for artifact in self.artifacts]
        self.keys = [artifact.key for artifact in self.artifacts]

    def artifact(self, at: int) -> Artifact:
        """Return the artifact at a position of the block."""
        return self.artifacts[at]

    def producers(self) -> list[str]:
        """Return each artifact's producer."""
        return [artifact.producer for artifact in self.artifacts]

    def pages(self) -> int:
        """Return how many of the artifacts are HTML pages."""
        return sum(map(_is_page, self.routes))

    def public_pages(self) -> Iterator[str]:
        """Yield the routes of the pages that are public (indexed, in the sitemap)."""
        for artifact in self.artifacts:
            if artifact.visibility == "public" and _is_page(artifact.route):
                yield artifact.route


Block = Interleaved | Artifacts


@dataclass(frozen=True)
class Plan:
    """Every artifact of the site (what the policy withholds is not planned at all).

    Blocks of artifacts, with the routes and keys of all of them in the blocks' order: what
    a build compares with the published site before it makes any artifact.
    """

    blocks: tuple[Block, ...]
    routes: list[str]
    keys: list[str]
    pages: int  # how many of them are HTML pages

    @classmethod
    def of(cls, blocks: Sequence[Block]) -> Plan:
        """Return the plan of these blocks of artifacts, in this order."""
        routes = list(itertools.chain.from_iterable(block.routes for block in blocks))
        keys = list(itertools.chain.from_iterable(block.keys for block in blocks))
        return cls(tuple(blocks), routes, keys, sum(block.pages() for block in blocks))

    def __len__(self) -> int:
        return len(self.routes)

    def where(self, wanted: Sequence[bool]) -> list[Artifact]:
        """Return the artifacts at the positions ``wanted`` marks, in the plan's order."""
        found: list[Artifact] = []
        start = 0
        for block in self.blocks:
            end = start + len(block.routes)
            marked = itertools.compress(range(end - start), wanted[start:end])
            found.extend(map(block.artifact, marked))
            start = end
        return found

    def producers(self) -> list[str]:
        """Return each artifact's producer, in the plan's order."""
        return [producer for block in self.blocks for producer in block.producers()]


@dataclass(frozen=True)
class _Fingerprints:
    site: str
    pages: str
    signing: str


def plan_site(ctx: BuildContext) -> Plan:
    """Return the plan of the whole site; set the context's sitemap routes from it."""
    with collection_paused():
        plan = _plan_site(ctx)
    keep_until_exit(plan)
    return plan


def _plan_site(ctx: BuildContext) -> Plan:
    urls = ctx.urls
    prints = _fingerprints(ctx)
    blocks: list[Block] = [
        Interleaved(_award_artifacts(ctx, prints)),
        Artifacts(_badge_artifacts(ctx, prints)),
        Interleaved(_recipient_artifacts(ctx, prints)),
        Artifacts(_site_artifacts(ctx, prints)),
    ]
    indexable = sorted(itertools.chain.from_iterable(block.public_pages() for block in blocks))
    ctx.sitemap_routes = indexable
    ctx.sitemap_parts = parts = split_sitemap(indexable)
    config_origin = At(SourceLocation(CONFIG_FILE))
    # A sitemap too long for one file is an index of parts: it changes with their number
    # only, and each part with its own addresses.
    listed = (str(len(parts)),) if parts else indexable
    sitemap_key = digest("sitemap", prints.site, *listed)
    sitemaps = [Artifact(urls.sitemap, "sitemap", (), sitemap_key, "public", config_origin)]
    for number, part in enumerate(parts, start=1):
        sitemaps.append(
            Artifact(
                urls.sitemap_part(number),
                "sitemap-part",
                (str(number),),
                digest("sitemap-part", prints.site, *part),
                "public",
                config_origin,
            )
        )
    plan = Plan.of([*blocks, Artifacts(sitemaps)])
    _check_unique(plan)
    return plan


def _fingerprints(ctx: BuildContext) -> _Fingerprints:
    config = ctx.catalog.config
    logo = config.issuer.logo.read_bytes() if config.issuer.logo else b""
    site = digest(
        code_version(),
        _read(config.root / CONFIG_FILE),
        logo,
        config.base_url,
        config.public_base_url,
        config.did,
        *config.languages,
    )
    theme = digest(*_tree(config.theme_dir))
    # Not the build day: pages state what does not change with it (an award's status is in
    # its own keys), so a site rebuilt the next day reuses them.
    pages = digest(site, theme, str(ctx.signed))
    signer = ctx.signer
    key = f"{signer.verification_method} {signer.public_key_multibase}" if signer else "unsigned"
    signing = digest(site, key, _read(config.root / KEYS_FILE))
    return _Fingerprints(site, pages, signing)


def _read(file: Path) -> bytes:
    return file.read_bytes() if file.is_file() else b""


def _tree(folder: Path) -> Iterator[bytes]:
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield file.relative_to(folder).as_posix().encode()
        yield file.read_bytes()


def _award_artifacts(ctx: BuildContext, prints: _Fingerprints) -> list[Column]:
    """Return each award's pages, credential and assertion (400,000 for a large site).

    Keys join fixed-length hashes rather than hash them again: as exact, and faster.
    """
    catalog, urls, today = ctx.catalog, ctx.urls, ctx.build_date
    entries = catalog.entries
    ids = [entry.id for entry in entries]
    sources = [entry.digest for entry in entries]
    visibilities = policy.award_visibilities(entries)
    pages = [f"{prints.pages}{entry.digest}{entry.status(today)}:" for entry in entries]
    public: list[Visibility] = ["public"] * len(entries)
    columns = _pages(ctx, "award-page", urls.award_page, ids, pages, visibilities, entries)
    signing = prints.signing
    credentials = [
        f"{signing}{source}{place.status_list}:{place.status_index}"
        for source, place in zip(sources, catalog.places, strict=True)
    ]
    columns.append(
        Column(
            "credential",
            urls.many(urls.credential_json, ids),
            credentials,
            public,
            ids,
            (),
            entries,
        )
    )
    assertions = [prints.site + source for source in sources]
    columns.append(
        Column(
            "assertion", urls.many(urls.assertion_json, ids), assertions, public, ids, (), entries
        )
    )
    return columns


def _badge_artifacts(ctx: BuildContext, prints: _Fingerprints) -> Iterator[Artifact]:
    catalog, urls = ctx.catalog, ctx.urls
    for badge in catalog.badges:
        pages = render.earner_pages(catalog, badge)
        for number, listed in enumerate(pages, start=1):
            # A page shows its own holders and links to every page: a new award changes the
            # last page only (all of them when it opens a new page).
            earners = digest(*_earners(ctx, listed), str(number), str(len(pages)))
            for language in catalog.config.languages:
                yield _badge_artifact(
                    badge,
                    urls.badge_page(badge.slug, language, number),
                    "badge-page",
                    (badge.slug, language, str(number)),
                    digest("badge-page", language, prints.pages, badge.digest, earners),
                )
        yield _badge_artifact(
            badge,
            urls.badge_class_json(badge.slug),
            "badge-class",
            (badge.slug,),
            digest("badge-class", prints.site, badge.digest),
        )
        kinds: tuple[ImageKind, ...] = ("png", "svg") if badge.image_kind == "svg" else ("png",)
        for kind in kinds:
            yield _badge_artifact(
                badge,
                urls.badge_image(badge.slug, kind),
                f"badge-{kind}",
                (badge.slug,),
                digest(f"badge-{kind}", code_version(), badge.digest),
            )
        yield _badge_artifact(
            badge,
            urls.badge_card(badge.slug),
            "badge-card",
            (badge.slug,),
            digest("badge-card", prints.site, badge.digest),
        )


def _badge_artifact(
    badge: Badge, route: str, producer: str, args: tuple[str, ...], key: str
) -> Artifact:
    return Artifact(route, producer, args, key, "public", badge)


def _earners(ctx: BuildContext, entries: Iterable[AwardEntry]) -> Iterator[str]:
    """Yield what a list of awards shows on a page: each award, its holder, and status."""
    for entry in entries:
        yield entry.digest
        yield entry.status(ctx.build_date)


def _recipient_artifacts(ctx: BuildContext, prints: _Fingerprints) -> list[Column]:
    """Return each consenting recipient's pages, made as the awards' are (50,000 recipients)."""
    catalog, urls = ctx.catalog, ctx.urls
    planned = [
        (recipient, visibility)
        for recipient in catalog.recipients
        if (visibility := policy.recipient_page_visibility(recipient)) != "withheld"
    ]  # a withheld page is not even planned
    shown = [recipient for recipient, _ in planned]
    visibilities = [visibility for _, visibility in planned]
    slugs = [recipient.slug for recipient in shown]
    day = ctx.build_date
    # Fixed-length hashes joined, as for awards: one hash per recipient, not per page; and
    # that of its awards (each its digest and status) in one call.
    keys = [
        f"recipient-page:{prints.pages}{recipient.digest}"
        f"{digest(''.join([f'{e.digest}{e.status(day)}:' for e in awards]))}:"
        for recipient, awards in zip(shown, map(catalog.entries_of_recipient, slugs), strict=True)
    ]
    return _pages(ctx, "recipient-page", urls.recipient_page, slugs, keys, visibilities, shown)


class _PageRoute(Protocol):
    def __call__(self, name: str, /, language: str) -> str: ...


def _pages(
    ctx: BuildContext,
    producer: str,
    route: _PageRoute,
    names: list[str],
    keys: list[str],
    visibilities: Sequence[Visibility],
    sources: Sequence[HasOrigin],
) -> list[Column]:
    """Return a column of pages per language: a name's page has its key and the language."""
    return [
        Column(
            producer,
            ctx.urls.many(functools.partial(route, language=language), names),
            [key + language for key in keys],
            visibilities,
            names,
            (language,),
            sources,
        )
        for language in ctx.catalog.config.languages
    ]


def _site_artifacts(ctx: BuildContext, prints: _Fingerprints) -> Iterator[Artifact]:
    catalog, urls = ctx.catalog, ctx.urls
    config = catalog.config
    origin = At(SourceLocation(CONFIG_FILE))

    def site(route: str, producer: str, *args: str, key: str = "") -> Artifact:
        visibility: Visibility = "noindex" if producer == "not-found-page" else "public"
        return Artifact(
            route, producer, args, digest(producer, *args, key or prints.pages), visibility, origin
        )

    counts = [f"{b.digest}:{render.public_count(catalog, b)}" for b in catalog.badges]
    for language in config.languages:
        yield site(
            urls.home_page(language), "home-page", language, key=digest(prints.pages, *counts)
        )
        yield site(urls.verify_page(language), "verify-page", language)
        yield site(urls.strings_json(language), "strings", language)
    yield site(urls.not_found_page, "not-found-page")
    yield site(urls.issuer_json, "issuer-profile", key=prints.site)
    if config.issuer.logo is not None:
        suffix = config.issuer.logo.suffix.lower()
        yield site(urls.issuer_logo(suffix), "issuer-logo", key=prints.site)
    if catalog.keys:
        route = config.did_document_path
        yield site(route, "did-document", key=prints.signing)
    for number, revoked in ctx.status_lists.items():
        key = digest(prints.signing, ctx.build_date.isoformat(), repr(revoked))
        yield site(urls.status_list(number), "status-list", str(number), key=key)
    yield site(urls.robots, "robots", key=prints.site)
    yield site(urls.nojekyll, "nojekyll", key=prints.site)
    static = config.theme_dir / THEME_STATIC
    for file in sorted(p for p in static.rglob("*") if p.is_file()):
        name = file.relative_to(static).as_posix()
        # An SVG is published sanitised: its bytes depend on the engine's code too.
        engine = [code_version()] if file.suffix.lower() == ".svg" else []
        yield Artifact(
            urls.static(name),
            "static",
            (name,),
            digest("static", name, file.read_bytes(), *engine),
            "public",
            At(SourceLocation(shown_path(file.resolve(), config.root.resolve()))),
        )


def _check_unique(plan: Plan) -> None:
    """Refuse two artifacts at one route, and a theme file's route outside the site.

    Other routes are made by :mod:`badgepages.urls` from validated slugs and ids.
    """
    routes = plan.routes
    if len(set(routes)) != len(routes):
        seen: set[str] = set()
        for route in routes:
            if route in seen:
                raise OutputCollisionError(route)
            seen.add(route)
    for block in plan.blocks:
        if isinstance(block, Artifacts):
            for artifact in block.artifacts:
                if artifact.producer == "static":
                    check_route(artifact.route)
