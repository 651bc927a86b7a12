"""Reading the source folders: which file names make slugs; finding a recipient's awards."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from badgepages.catalog import _SLUG, _SLUGS, _windows_reserved, load_catalog
from tests.site import EXAMPLE_DAY, copy_example

_NAMES = st.lists(
    st.lists(
        st.sampled_from(["a", "7", "-", "con", "com1", " ", "\n", "É", ".", "b"]), max_size=4
    ).map("".join),
    max_size=4,
)


@given(_NAMES)
def test_all_file_names_at_once_are_judged_as_each_one_is(slugs: list[str]) -> None:
    each = all(_SLUG.match(s) and not _windows_reserved(f"{s}.yaml") for s in slugs)
    assert bool(_SLUGS.fullmatch("/".join(slugs) + "/")) == (each and bool(slugs))


def test_a_recipients_awards_are_found_whatever_the_order_of_the_catalog(
    tmp_path: Path,
) -> None:
    catalog = load_catalog(copy_example(tmp_path / "project"), EXAMPLE_DAY)
    shuffled = list(catalog.entries)
    random.Random(1).shuffle(shuffled)
    for entries in (catalog.entries, tuple(shuffled)):
        mixed = dataclasses.replace(catalog, entries=entries)
        for recipient in catalog.recipients:
            expected = [e for e in entries if e.recipient.slug == recipient.slug]
            assert list(mixed.entries_of_recipient(recipient.slug)) == expected
