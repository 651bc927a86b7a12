"""The policy's rules over many awards at once agree with its rules award by award."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages import policy
from badgepages.catalog import AwardEntry, load_catalog
from tests.site import EXAMPLE_DAY, copy_example

# Per award: does the holder consent, were they erased, was the award revoked.
HOLDINGS = st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), max_size=40)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> AwardEntry:
    """Return an award of the example site, to vary."""
    root = copy_example(tmp_path_factory.mktemp("policy") / "project")
    return load_catalog(root, EXAMPLE_DAY).entries[0]


def awards_of(model: AwardEntry, holdings: list[tuple[bool, bool, bool]]) -> list[AwardEntry]:
    erased_day = date(2026, 11, 1)
    awards = []
    for number, (public, erased, revoked) in enumerate(holdings):
        holder = replace(
            model.recipient,
            slug=f"holder-{number}",
            public=public,
            erased_on=erased_day if erased else None,
        )
        revoked_on = erased_day.toordinal() if revoked or erased else None
        awards.append(model._replace(id=f"award-{number}", recipient=holder, revoked=revoked_on))
    return awards


@given(HOLDINGS)
def test_award_visibilities_are_each_awards_visibility(
    model: AwardEntry, holdings: list[tuple[bool, bool, bool]]
) -> None:
    awards = awards_of(model, holdings)
    assert policy.award_visibilities(awards) == list(map(policy.award_visibility, awards))


@given(HOLDINGS)
def test_a_place_among_earners_is_kept_for_holders_who_may_be_named(
    model: AwardEntry, holdings: list[tuple[bool, bool, bool]]
) -> None:
    awards = awards_of(model, holdings)
    named = tuple(award for award in awards if policy.may_name(award.recipient))
    assert policy.places_among_earners(awards) == named


@given(HOLDINGS)
def test_the_number_of_holders_leaves_out_revoked_awards(
    model: AwardEntry, holdings: list[tuple[bool, bool, bool]]
) -> None:
    awards = awards_of(model, holdings)
    assert policy.held_count(awards) == sum(not award.is_revoked for award in awards)
