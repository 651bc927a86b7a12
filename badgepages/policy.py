"""Who may be named, what is indexed, what is withheld: the one privacy and visibility policy.

Every producer asks here instead of reading consent, erasure or revocation flags itself, so
that a change of policy is a change of this module only. Consent (``public: true``) is the
recipient's permission to be named; erasure withdraws it for good and turns every published
award into a withdrawal notice; revocation keeps an award's pages but ends its validity.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from typing import Literal, Protocol

from badgepages.catalog import AwardEntry, Recipient

Visibility = Literal["public", "noindex", "withheld"]
"""``public``: indexed, in the sitemap. ``noindex``: published, never listed or indexed.
``withheld``: not published at all."""


class Held(Protocol):
    """An award as the policy sees it (an :class:`~badgepages.catalog.Award` or its entry)."""

    @property
    def recipient(self) -> Recipient: ...

    @property
    def erased(self) -> bool: ...

    @property
    def is_revoked(self) -> bool: ...


def may_name(recipient: Recipient) -> bool:
    """Tell whether pages may show the recipient's name (consent given, not erased)."""
    return recipient.public and recipient.erased_on is None


def is_withdrawn(award: Held) -> bool:
    """Tell whether an award's URLs answer as a withdrawal notice (its holder was erased)."""
    return award.erased


def award_visibility(award: Held) -> Visibility:
    """Return how an award's pages are published: indexed only when the holder is named."""
    return "public" if may_name(award.recipient) and not is_withdrawn(award) else "noindex"


def recipient_page_visibility(recipient: Recipient) -> Visibility:
    """Return whether a recipient gets a public page: only with consent."""
    return "public" if may_name(recipient) else "withheld"


def is_listed_earner(award: Held) -> bool:
    """Tell whether an award is listed, with its holder's name, on badge and recipient pages."""
    return may_name(award.recipient) and not award.is_revoked


# Rules over a badge's or a site's awards at once, each step in C: a site has 100,000
# awards, and a Python call per award and rule took a tenth of a second. Each agrees with
# its rule told award by award (tests/test_policy.py).
_HOLDER_PUBLIC = operator.attrgetter("recipient.public")
_HOLDER_ERASED_ON = operator.attrgetter("recipient.erased_on")
_REVOKED_ON = operator.attrgetter("revoked")
_AWARD_VISIBILITY: dict[bool, Visibility] = {True: "public", False: "noindex"}


def _named(entries: Sequence[AwardEntry]) -> list[bool]:
    """Return :func:`may_name` of each award's holder."""
    public = map(_HOLDER_PUBLIC, entries)
    kept = map(operator.is_, map(_HOLDER_ERASED_ON, entries), itertools.repeat(None))
    return list(map(operator.and_, public, kept))


def award_visibilities(entries: Sequence[AwardEntry]) -> list[Visibility]:
    """Return :func:`award_visibility` of each award (a holder who may be named is not erased)."""
    return list(map(_AWARD_VISIBILITY.__getitem__, _named(entries)))


def places_among_earners(entries: Sequence[AwardEntry]) -> tuple[AwardEntry, ...]:
    """Return the awards that have a place in their badge's list of holders, listed or not.

    Those whose holder may be named. A revoked award keeps its place, unlisted: revoking one
    leaves its page a name short rather than move every later holder to the next page, and
    every page of the badge changed.
    """
    return tuple(itertools.compress(entries, _named(entries)))


def held_count(entries: Sequence[AwardEntry]) -> int:
    """Return how many awards count in a badge's public number of holders (not revoked)."""
    return list(map(_REVOKED_ON, entries)).count(None)
