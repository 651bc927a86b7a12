"""Reading the source folders: which file names make slugs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from badgepages.catalog import _SLUG, _SLUGS, _windows_reserved

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
