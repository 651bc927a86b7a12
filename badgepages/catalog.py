"""The linked catalog of badges, recipients and awards, and the checks across files."""

from __future__ import annotations

import functools
import hashlib
import itertools
import operator
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple

from badgepages import records
from badgepages.cache import RecordCache, code_version, digest
from badgepages.config import SiteConfig, load_config
from badgepages.diagnostics import Diagnostic, SourceError, SourceLocation
from badgepages.images import ImageKind, PublishedImage, load_image, load_theme_svgs
from badgepages.keys import IssuerKey, load_keys
from badgepages.ledger import LEDGER_FILE, Ledger, LedgerEntry, LedgerError, load_ledger
from badgepages.ledger import State as LedgerState
from badgepages.models import BadgeSource, TextSource, did_you_mean, validate_document
from badgepages.sources import Loc, YamlDocument, read_source, read_yaml
from badgepages.text import Localized, localize
from badgepages.workers import collection_paused, keep_until_exit, map_in_order

BADGES_DIR = "badges"
RECIPIENTS_DIR = "recipients"
# Device names Windows reserves in any case and with any extension ("CON", "nul.txt",
# "COM¹"): a repository holding one cannot be checked out there (Win32 "Naming Files").
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"{port}{n}" for port in ("com", "lpt") for n in [*"0123456789", "¹", "²", "³"]]
)
_SLUG = re.compile(r"^(?!(?:con|prn|aux|nul|com\d|lpt\d)\Z)[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# Slugs, each followed by '/' (never in a file name), each as _SLUG wants it; a valid slug is
# never a name Windows reserves.
_SLUGS = re.compile(r"(?:(?!(?:con|prn|aux|nul|com\d|lpt\d)/)[a-z0-9]+(?:-[a-z0-9]+)*/)+")

Status = Literal["valid", "expired", "revoked"]


@dataclass(frozen=True)
class Skill:
    """A skill a badge aligns with (OB 2.0 AlignmentObject, OB 3.0 Alignment)."""

    name: Localized
    url: str
    framework: str | None


@dataclass(frozen=True)
class Badge:
    """A kind of badge; its slug (the file stem) is permanent."""

    slug: str
    name: Localized
    description: Localized
    criteria: Localized
    image: Path
    published_image: PublishedImage  # checked and cleaned once by check; what build publishes
    tags: tuple[str, ...]
    skills: tuple[Skill, ...]
    valid_for: str | None
    version: str | None
    achievement_type: str
    digest: str  # of the badge's YAML and image, to tell what a change touches

    @property
    def image_kind(self) -> ImageKind:
        """Return whether the badge's image is an SVG or a PNG."""
        return self.published_image.kind

    @property
    def origin(self) -> SourceLocation:
        """Return where the badge is defined."""
        return SourceLocation(f"{BADGES_DIR}/{self.slug}.yaml")


@dataclass(frozen=True)
class Recipient:
    """A person who earned badges; ``public`` is their consent to be named."""

    slug: str
    name: str
    email: str
    public: bool
    erased_on: date | None = None
    digest: str = ""  # of the recipient's file, to tell what a change touches

    @property
    def origin(self) -> SourceLocation:
        """Return where the recipient is defined."""
        return SourceLocation(f"{RECIPIENTS_DIR}/{self.slug}.yaml")


@dataclass(frozen=True)
class Evidence:
    """A link to work behind an award."""

    url: str
    narrative: Localized | None


@dataclass(frozen=True)
class Revocation:
    """When and why an award was withdrawn."""

    on: date
    reason: str


@dataclass(frozen=True)
class Award:
    """One badge earned by one recipient; its id is permanent."""

    id: str
    badge: Badge
    recipient: Recipient
    issued_on: date
    expires: date | None
    narrative: Localized | None
    evidence: tuple[Evidence, ...]
    revocation: Revocation | None
    origin: SourceLocation  # where the award's entry is written
    digest: str  # of what the award's own outputs show: its entry and its holder

    @property
    def ledger_state(self) -> LedgerState:
        """Return the award's state as the ledger records it."""
        if self.erased:
            return "erased"
        return "revoked" if self.revocation else "active"

    @property
    def erased(self) -> bool:
        """Tell whether the holder had their personal data erased (the award is withdrawn)."""
        return self.recipient.erased_on is not None

    @property
    def is_revoked(self) -> bool:
        """Tell whether the award was revoked (or withdrawn by an erasure)."""
        return self.revocation is not None

    def status(self, on: date) -> Status:
        """Return the award's status on a given day."""
        if self.revocation is not None:
            return "revoked"
        if self.expires is not None and self.expires <= on:
            return "expired"
        return "valid"


class AwardEntry(NamedTuple):
    """One award as the catalog keeps it: plain values, made into an :class:`Award` on demand.

    A site of 100,000 awards is checked and planned from these alone; only the awards whose
    outputs are produced become objects (a named tuple is made ten times faster).
    """

    id: str
    badge: Badge
    recipient: Recipient
    issued: int  # day ordinals (date.toordinal)
    expires: int | None  # as written, or from the badge's validity
    revoked: int | None  # the revocation's or the erasure's day
    ledger_state: LedgerState  # as the ledger records it
    digest: str  # of what the award's own outputs show: entry, holder and badge
    record: records.AwardRecord
    display: str  # the recipient file, as diagnostics name it

    @property
    def erased(self) -> bool:
        """Tell whether the holder had their personal data erased (the award is withdrawn)."""
        return self.recipient.erased_on is not None

    @property
    def is_revoked(self) -> bool:
        """Tell whether the award was revoked (or withdrawn by an erasure)."""
        return self.revoked is not None

    def status(self, on: date) -> Status:
        """Return the award's status on a given day."""
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and self.expires <= on.toordinal():
            return "expired"
        return "valid"

    @property
    def origin(self) -> SourceLocation:
        """Return where the award's entry is written."""
        return self.at("entry")

    def at(self, name: str) -> SourceLocation:
        """Return where the award's entry (or one of its keys) is written."""
        return records.location_of(self.display, self.record[7], name)

    def award(self) -> Award:
        """Return the award as an object, with its texts and dates."""
        _, _, _, _, narrative, evidence, revoked, _, _ = self.record
        return Award(
            id=self.id,
            badge=self.badge,
            recipient=self.recipient,
            issued_on=date.fromordinal(self.issued),
            expires=date.fromordinal(self.expires) if self.expires is not None else None,
            narrative=Localized(narrative) if narrative else None,
            evidence=tuple(
                Evidence(url, Localized(texts) if texts else None) for url, texts in evidence
            ),
            revocation=Revocation(date.fromordinal(revoked[0]), revoked[1]) if revoked else None,
            origin=self.origin,
            digest=self.digest,
        )


@dataclass(frozen=True)
class Catalog:
    """Everything the site is built from, validated and linked."""

    config: SiteConfig
    badges: tuple[Badge, ...]
    recipients: tuple[Recipient, ...]
    entries: tuple[AwardEntry, ...]  # every award, in the order of their files
    keys: tuple[IssuerKey, ...]
    published: Ledger  # as recorded by the last deployment
    ledger: Ledger  # with this build's awards and badges added
    theme_svgs: Mapping[str, bytes]  # the theme's static SVGs as published, by path
    warnings: tuple[Diagnostic, ...] = ()  # worth knowing, not blocking

    @functools.cached_property
    def awards(self) -> tuple[Award, ...]:
        """Return every award as an object, oldest first (all made at once: costly at scale)."""
        return tuple(self.award(entry.id) for entry in sorted(self.entries, key=OLDEST_FIRST))

    def award(self, award_id: str) -> Award:
        """Return one award as an object (made once, then kept)."""
        made = self._awards_made.get(award_id)
        if made is None:
            made = self._awards_made[award_id] = self._entries_by_id[award_id].award()
        return made

    @functools.cached_property
    def places(self) -> list[LedgerEntry]:
        """Return each award's place in the revocation lists, in the order of ``entries``."""
        return list(
            map(self.ledger.awards.__getitem__, map(operator.attrgetter("id"), self.entries))
        )

    def status_entry(self, award: Award | AwardEntry) -> LedgerEntry:
        """Return the award's permanent place (list and index) in the revocation lists."""
        return self.ledger.awards[award.id]

    def entries_of_badge(self, slug: str) -> tuple[AwardEntry, ...]:
        """Return a badge's awards, in the order of their files."""
        return self._by_badge.get(slug, ())

    def entries_of_badge_oldest_first(self, slug: str) -> tuple[AwardEntry, ...]:
        """Return a badge's awards, oldest first (sorted once: a badge may have 100,000)."""
        ordered = self._oldest_first_by_badge.get(slug)
        if ordered is None:
            # By id, then by day: two stable sorts, quicker than one by a pair of keys.
            by_id = sorted(self.entries_of_badge(slug), key=operator.attrgetter("id"))
            ordered = tuple(sorted(by_id, key=operator.attrgetter("issued")))
            self._oldest_first_by_badge[slug] = ordered
        return ordered

    def entries_of_badge_kept(
        self, slug: str, keep: Callable[[Sequence[AwardEntry]], tuple[AwardEntry, ...]]
    ) -> tuple[AwardEntry, ...]:
        """Return a badge's awards that ``keep`` keeps of them all, oldest first (sifted once
        per build)."""
        kept = self._kept_by_badge.get((slug, keep))
        if kept is None:
            kept = keep(self.entries_of_badge_oldest_first(slug))
            self._kept_by_badge[(slug, keep)] = kept
        return kept

    def entries_of_recipient(self, slug: str) -> tuple[AwardEntry, ...]:
        """Return a recipient's awards, in the order of their file."""
        return self._by_recipient.get(slug, ())

    def awards_of_badge(self, badge: Badge) -> tuple[Award, ...]:
        """Return a badge's awards as objects, oldest first."""
        return self.oldest_first(self.entries_of_badge(badge.slug))

    def awards_of_recipient(self, recipient: Recipient) -> tuple[Award, ...]:
        """Return a recipient's awards as objects, oldest first."""
        return self.oldest_first(self.entries_of_recipient(recipient.slug))

    def oldest_first(self, entries: Iterable[AwardEntry]) -> tuple[Award, ...]:
        """Return awards as objects, oldest first."""
        return tuple(self.award(entry.id) for entry in sorted(entries, key=OLDEST_FIRST))

    @functools.cached_property
    def _awards_made(self) -> dict[str, Award]:
        return {}

    @functools.cached_property
    def _oldest_first_by_badge(self) -> dict[str, tuple[AwardEntry, ...]]:
        return {}

    @functools.cached_property
    def _kept_by_badge(
        self,
    ) -> dict[tuple[str, Callable[..., tuple[AwardEntry, ...]]], tuple[AwardEntry, ...]]:
        return {}

    @functools.cached_property
    def _entries_by_id(self) -> dict[str, AwardEntry]:
        return {entry.id: entry for entry in self.entries}

    @functools.cached_property
    def _by_badge(self) -> dict[str, tuple[AwardEntry, ...]]:
        return _group(self.entries, operator.attrgetter("badge.slug"))

    @functools.cached_property
    def _by_recipient(self) -> dict[str, tuple[AwardEntry, ...]]:
        # A recipient's awards are next to each other (one file): taken as runs, in C.
        slug = operator.attrgetter("recipient.slug")
        runs = {name: tuple(run) for name, run in itertools.groupby(self.entries, slug)}
        if sum(map(len, runs.values())) == len(self.entries):
            return runs
        return _group(self.entries, slug)  # entries not in the files' order


def _group(
    entries: Sequence[AwardEntry], key: Callable[[AwardEntry], str]
) -> dict[str, tuple[AwardEntry, ...]]:
    """Return entries grouped by a key, each group in the order of the files."""
    groups: dict[str, list[AwardEntry]] = defaultdict(list)
    for entry in entries:
        groups[key(entry)].append(entry)
    return {name: tuple(members) for name, members in groups.items()}


# The order awards are listed in; ties broken by id so that every build agrees.
OLDEST_FIRST = operator.attrgetter("issued", "id")


def load_catalog(root: Path, today: date, base_url: str | None = None, *, jobs: int = 1) -> Catalog:
    """Load, validate and link every source; raise SourceError listing all problems.

    Recipient files are read on up to ``jobs`` cores, and their records are cached by
    content in ``.badgepages-cache/`` so that unchanged files are not parsed again.
    """
    config, problems = load_config(root)
    if config is not None and base_url:
        config = config.with_base_url(base_url)
    if config is None:
        raise SourceError(problems)
    keys, key_problems = load_keys(root)
    problems.extend(key_problems)
    try:
        with collection_paused():  # 100,000 small dictionaries, no cycles
            published = load_ledger(root)
    except LedgerError as error:
        raise SourceError(
            [*problems, Diagnostic(SourceLocation(LEDGER_FILE), str(error))]
        ) from None
    theme_svgs, theme_problems = load_theme_svgs(config.theme_dir / "static", root)
    problems.extend(theme_problems)
    loader = _Loader(config, today, jobs)
    with collection_paused():
        catalog = loader.load(keys, published, theme_svgs)
    problems.extend(loader.problems)
    if any(p.severity == "error" for p in problems):
        raise SourceError(problems)
    catalog = replace(catalog, warnings=tuple(sorted(set(problems))))
    keep_until_exit(catalog)
    return catalog


class _Pending(NamedTuple):
    """An award read from its file, not yet linked to its badge."""

    record: records.AwardRecord
    recipient: Recipient
    display: str

    @property
    def id(self) -> str:
        return self.record[0]

    @property
    def badge(self) -> str:
        return self.record[1]

    def at(self, name: str) -> SourceLocation:
        """Return where the award's entry (or one of its keys) is written."""
        return records.location_of(self.display, self.record[7], name)


class _Loader:
    """Reads the badge and recipient folders and checks what spans several files."""

    def __init__(self, config: SiteConfig, today: date, jobs: int) -> None:
        self.config = config
        self.today = today
        self.jobs = jobs
        self.problems: list[Diagnostic] = []

    def load(
        self, keys: tuple[IssuerKey, ...], published: Ledger, theme_svgs: Mapping[str, bytes]
    ) -> Catalog:
        badges = {badge.slug: badge for badge in self._load_badges()}
        recipients: list[Recipient] = []
        entries: list[_Pending] = []
        for recipient, recipient_entries in self._load_recipients():
            recipients.append(recipient)
            entries.extend(recipient_entries)
        self._check_unique_ids(entries)
        self._check_unique_emails(recipients)
        awards = self._link_awards(entries, badges)
        ledger = published.updated(
            ((a.id, a.badge.slug, a.ledger_state) for a in awards),
            {slug: badge.digest for slug, badge in badges.items()},
        )
        self._check_nothing_unpublished(published, ledger, entries, badges)
        return Catalog(
            self.config,
            tuple(sorted(badges.values(), key=lambda b: b.slug)),
            tuple(recipients),
            tuple(awards),
            keys,
            published,
            ledger,
            theme_svgs,
        )

    def _check_nothing_unpublished(
        self, published: Ledger, ledger: Ledger, entries: list[_Pending], badges: dict[str, Badge]
    ) -> None:
        """Refuse to lose what was published: URLs printed on CVs must keep answering.

        ``ledger`` is ``published`` updated with the sources: only the awards it changed,
        and those the sources lack, need a look (a site has 100,000 awards).
        """
        if self.problems:
            return  # a file that does not load would look like deleted awards: fix it first
        first = operator.itemgetter(0)
        present = dict(zip(map(first, map(first, entries)), entries, strict=True))  # by id
        awards, current = published.awards, ledger.awards
        changed = itertools.compress(
            awards, map(operator.is_not, awards.values(), map(current.__getitem__, awards))
        )
        for award_id in sorted({*changed, *(awards.keys() - present.keys())}):
            entry = awards[award_id]
            if award_id not in present:
                self._error(
                    SourceLocation(LEDGER_FILE),
                    f"published award '{award_id}' ({entry.badge}) is missing from recipients/",
                    "a published award cannot be deleted: put it back and revoke it "
                    f"(badgepages revoke {award_id} --reason …), or erase the recipient",
                )
            elif entry.state != "active" and current[award_id].state == "active":
                self._error(
                    present[award_id].at("entry"),
                    f"award '{award_id}' was published as {entry.state}: this cannot be undone",
                    "revocation is final in the status list (W3C Bitstring Status List); "
                    "award a new badge instead",
                )
            elif present[award_id].badge != entry.badge:
                self._error(
                    present[award_id].at("badge"),
                    f"award '{award_id}' was published as '{entry.badge}'",
                    "a published award cannot change badge: revoke it and award the right one",
                )
        for slug in sorted(set(published.badges) - set(badges)):
            self._error(
                SourceLocation(LEDGER_FILE),
                f"published badge '{slug}' is missing from badges/",
                f"a published badge cannot be deleted or renamed: restore badges/{slug}.yaml",
            )

    # -- files -----------------------------------------------------------------------------

    def _files(self, folder: str) -> Iterator[tuple[str, str, str]]:
        """Yield (slug, display path, file) for each source file with a valid, unique name.

        Files are named by plain strings: ten thousands of Path objects cost seconds.
        """
        directory = os.path.join(self.config.root, folder)
        try:
            with os.scandir(directory) as entries:
                names = sorted(e.name for e in entries if e.name.endswith((".yaml", ".yml")))
        except OSError:
            names = []  # no folder: no files (a missing badges/ is reported by what needs it)
        slugs = [name.rpartition(".")[0] for name in names]
        if len(set(slugs)) == len(slugs) and _SLUGS.fullmatch("/".join(slugs) + "/"):
            # Every name is a valid, unique slug (the usual case): told by one match.
            yield from zip(
                slugs,
                (f"{folder}/{name}" for name in names),
                (f"{directory}/{name}" for name in names),
                strict=True,
            )
            return
        seen: dict[str, str] = {}
        for name in names:
            file = os.path.join(directory, name)
            display = f"{folder}/{name}"
            slug, suffix = name.rsplit(".", 1)
            if _windows_reserved(name):
                self._error(
                    SourceLocation(display),
                    f"file name '{name}' is reserved on Windows",
                    f"rename it to '{_slugify(slug)}.{suffix}': such a repository cannot "
                    "be checked out on Windows",
                )
                continue
            if not _SLUG.match(slug):
                self._error(
                    SourceLocation(display),
                    f"file name '{name}' is not a valid slug",
                    f"rename it to '{_slugify(slug)}.{suffix}': lower-case letters, "
                    "digits and '-'; the name becomes part of permanent URLs",
                )
                continue
            if slug in seen:
                self._error(
                    SourceLocation(display),
                    f"duplicate slug '{slug}': {seen[slug]} has the same name",
                    "keep one file per slug",
                )
                continue
            seen[slug] = display
            yield slug, display, file

    def _documents(self, folder: str) -> Iterator[tuple[str, YamlDocument]]:
        for slug, display, file in self._files(folder):
            document, problems = read_yaml(file, display)
            self.problems.extend(problems)
            if document is not None and not problems:
                yield slug, document

    def _load_badges(self) -> Iterator[Badge]:
        for slug, document in self._documents(BADGES_DIR):
            source, problems = validate_document(document, BadgeSource)
            self.problems.extend(problems)
            if source is not None:
                badge = self._badge(slug, document, source)
                if badge is not None:
                    yield badge

    def _load_recipients(self) -> Iterator[tuple[Recipient, list[_Pending]]]:
        """Read every recipient file into a record: from the cache, else on every core."""
        languages = self.config.languages
        context = digest(code_version(), *languages)
        cache = RecordCache(self.config.root, context)
        files: list[tuple[str, str, str, Any]] = []  # slug, display, key, record (None: to read)
        unread: list[tuple[int, os.stat_result, str, bytes]] = []  # where, stamp, display, bytes
        for slug, display, file in self._files(RECIPIENTS_DIR):
            try:
                status = os.stat(file)
            except OSError as exc:
                self._error(SourceLocation(display), f"cannot read file: {exc.strerror}")
                continue
            known = cache.known(display, status)
            if known is not None:
                files.append((slug, display, *known))
                continue
            raw, problems = read_source(file, display)
            if raw is None:
                self.problems.extend(problems)
                continue
            key = digest(context, display, raw)
            record = cache.recall(display, key)
            if record is None:
                unread.append((len(files), status, display, raw))
            else:
                cache.keep(display, status, key, record)
            files.append((slug, display, key, record))
        read = map_in_order(
            functools.partial(_read_recipient, languages), [u[2:] for u in unread], self.jobs
        )
        for (at, status, display, _), record in zip(unread, read, strict=True):
            slug, _, key, _ = files[at]
            cache.keep(display, status, key, record)
            files[at] = (slug, display, key, record)
        cache.save()
        for slug, display, key, record in files:
            if record[2]:
                self.problems.extend(records.diagnostics_of(display, record))
            person = record[0]
            if person is None:
                continue
            name, email, erased, public = person
            erased_on = date.fromordinal(erased) if erased is not None else None
            recipient = Recipient(slug, name, email, public, erased_on, key)
            entries = [_Pending(award, recipient, display) for award in record[1]]
            yield recipient, entries

    # -- badges ----------------------------------------------------------------------------

    def _badge(self, slug: str, document: YamlDocument, source: BadgeSource) -> Badge | None:
        image = self.config.root / BADGES_DIR / source.image
        published = self._check_image(image, source.image, document.locate(("image",)))
        skills = tuple(
            Skill(self._text(s.name, document, ("skills", i, "name")), s.url, s.framework)
            for i, s in enumerate(source.skills)
        )
        name = self._text(source.name, document, ("name",))
        description = self._text(source.description, document, ("description",))
        criteria = self._text(source.criteria, document, ("criteria",))
        if published is None:
            return None
        return Badge(
            slug=slug,
            name=name,
            description=description,
            criteria=criteria,
            image=image,
            published_image=published,
            tags=tuple(source.tags),
            skills=skills,
            valid_for=source.valid_for,
            version=source.version,
            achievement_type=source.achievement_type,
            digest=_digest(self.config.root / BADGES_DIR / f"{slug}.yaml", image),
        )

    def _check_image(
        self, image: Path, name: str, location: SourceLocation
    ) -> PublishedImage | None:
        if _windows_reserved(name):
            self._error(
                location,
                f"image file name '{name}' is reserved on Windows",
                "rename the file and this line: such a repository cannot be checked out on Windows",
            )
            return None
        if "/" in name or "\\" in name or not image.is_file():
            self._error(
                location,
                f"image '{name}' not found beside the badge file",
                "put the SVG or PNG file in badges/ and give its file name",
            )
            return None
        display = f"{BADGES_DIR}/{name}"
        published, problems = load_image(image, display, location, cache=self.config.root)
        self.problems.extend(problems)
        return published

    def _text(self, value: TextSource, document: YamlDocument, loc: Loc) -> Localized:
        localized, problems = localize(value, self.config.languages, document.locate(loc))
        self.problems.extend(problems)
        return localized

    # -- awards ----------------------------------------------------------------------------

    def _link_awards(self, entries: list[_Pending], badges: dict[str, Badge]) -> list[AwardEntry]:
        """Return each award linked to its badge, with the checks that depend on the day.

        One loop that calls nothing for a well-formed award: a site has 100,000 of them.
        """
        today = self.today.toordinal()
        linked: list[AwardEntry] = []
        for entry in entries:
            record, recipient, display = entry
            award_id, slug, issued, expires, _, _, revoked, _, shown = record
            badge = badges.get(slug)
            if badge is None:
                hint = did_you_mean(slug, sorted(badges)) or "the badges are the files in badges/"
                self._error(entry.at("badge"), f"unknown badge '{slug}'", hint)
                continue
            if expires is None and badge.valid_for is not None:
                expires = _expiry(issued, badge.valid_for)
            revoked_on = revoked[0] if revoked else None
            erased = recipient.erased_on is not None
            if issued > today or (revoked_on is not None and not erased and revoked_on > today):
                self._check_dates(entry, issued, revoked_on)
            state: LedgerState = "erased" if erased else "revoked" if revoked else "active"
            # What the award's own outputs show: its entry, file name and holder (not the
            # whole file: editing one award leaves its siblings' outputs alone), and its badge.
            award_digest = shown + badge.digest
            linked.append(
                AwardEntry(
                    award_id,
                    badge,
                    recipient,
                    issued,
                    expires,
                    revoked_on,
                    state,
                    award_digest,
                    record,
                    display,
                )
            )
        return linked

    def _check_dates(self, entry: _Pending, issued: int, revoked: int | None) -> None:
        """Check what depends on the day: nothing is issued or revoked in the future."""
        today = self.today.toordinal()
        if issued > today:
            self._error(
                entry.at("issued_on"),
                f"issue date {date.fromordinal(issued)} is in the future",
                "an award is published once it has been earned",
            )
        erased = entry.recipient.erased_on is not None
        if revoked is not None and not erased and revoked > today:
            self._error(
                entry.at("revoked_on"),
                f"revocation date {date.fromordinal(revoked)} is in the future",
            )

    def _check_unique_ids(self, entries: list[_Pending]) -> None:
        ids = [entry.record[0].lower() for entry in entries]
        if len(set(ids)) == len(ids):
            return  # the usual case, told at C speed
        first: dict[str, _Pending] = {}
        for entry in entries:
            same = first.setdefault(entry.id.lower(), entry)
            if same is not entry:
                self._error(
                    entry.at("id"),
                    f"duplicate award id '{entry.id}' (also used at {same.at('id')})",
                    "every award needs its own id: run 'badgepages award' to get a new one",
                )

    def _check_unique_emails(self, recipients: list[Recipient]) -> None:
        emails = [recipient.email for recipient in recipients if recipient.erased_on is None]
        if len(set(emails)) == len(emails):
            return
        by_email: dict[str, list[Recipient]] = defaultdict(list)
        for recipient in recipients:
            if recipient.erased_on is None:
                by_email[recipient.email].append(recipient)
        for same in by_email.values():
            for recipient in same[1:]:
                self._error(
                    SourceLocation(f"{RECIPIENTS_DIR}/{recipient.slug}.yaml"),
                    f"the email is also the one of recipients/{same[0].slug}.yaml",
                    "one person, one file: move these awards into that file",
                )

    def _error(self, location: SourceLocation, message: str, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(location, message, hint))


def _read_recipient(languages: Sequence[str], item: tuple[str, bytes]) -> records.RecipientRecord:
    display, raw = item
    return records.read_recipient(display, raw, languages)


def _digest(*files: Path) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=8192)
def _expiry(issued: int, duration: str) -> int:
    """Return the day (ordinal) ``duration`` (2y, 18m, 6w, 90d) after ``issued``."""
    start = date.fromordinal(issued)
    count, unit = int(duration[:-1]), duration[-1]
    if unit == "d":
        return (start + timedelta(days=count)).toordinal()
    if unit == "w":
        return (start + timedelta(weeks=count)).toordinal()
    months = count * 12 if unit == "y" else count
    year, month = divmod(start.month - 1 + months, 12)
    day = min(start.day, _days_in_month(start.year + year, month + 1))
    return date(start.year + year, month + 1, day).toordinal()


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _slugify(name: str) -> str:
    """Return a valid slug made from a name (never one that Windows reserves)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "name"
    return f"{slug}-1" if _windows_reserved(slug) else slug


def _windows_reserved(file_name: str) -> bool:
    """Return whether Windows reserves a file name: its part before the first dot, any case."""
    return file_name.split(".")[0].rstrip(" ").lower() in _WINDOWS_RESERVED
