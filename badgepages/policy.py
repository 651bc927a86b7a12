"""Who may be named, what is indexed, what is withheld: the one privacy and visibility policy.

Every producer asks here instead of reading consent, erasure or revocation flags itself, so
that a change of policy is a change of this module only. Consent (``public: true``) is the
recipient's permission to be named; erasure withdraws it for good and turns every published
award into a withdrawal notice; revocation keeps an award's pages but ends its validity.
"""

from __future__ import annotations

from typing import Literal, Protocol

from badgepages.catalog import Recipient

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


def has_place_among_earners(award: Held) -> bool:
    """Tell whether an award has a place in its badge's list of holders, listed or not.

    A revoked award keeps its place, unlisted: revoking one leaves its page a name short
    rather than move every later holder to the next page, and every page of the badge changed.
    """
    return may_name(award.recipient)


def counts_as_held(award: Held) -> bool:
    """Tell whether an award counts in a badge's public number of holders (not revoked)."""
    return not award.is_revoked
