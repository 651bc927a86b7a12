"""What merging a pull request will publish, compared with the last deployment's ledger.

Written as Markdown for the pull request's job summary (``$GITHUB_STEP_SUMMARY``), with
recipients shown by initials only: the summary is visible to everyone who can see the PR.
"""

from __future__ import annotations

from badgepages.catalog import Award, Catalog


def initials(name: str) -> str:
    """Return a name's initials, e.g. ``Zoé Lefèvre-Ångström`` → ``Z. L.-Å.``."""
    parts = []
    for word in name.split():
        parts.append("-".join(f"{piece[0]}." for piece in word.split("-") if piece))
    return " ".join(parts)


def _holder(award: Award) -> str:
    return initials(award.recipient.name) if award.recipient.name else "—"


def render_summary(catalog: Catalog) -> str:
    """Return the Markdown summary of what the current sources publish beyond the ledger."""
    published = catalog.published
    new = [a for a in catalog.awards if a.id not in published.awards]
    changed_state = [
        a
        for a in catalog.awards
        if a.id in published.awards and published.awards[a.id].state != a.ledger_state
    ]
    revoked = [a for a in changed_state if a.ledger_state == "revoked"]
    erased = [a for a in changed_state if a.ledger_state == "erased"]
    new_badges = [b for b in catalog.badges if b.slug not in published.badges]
    changed_badges = [
        b
        for b in catalog.badges
        if b.slug in published.badges and published.badges[b.slug] != b.digest
    ]
    lines = ["## What merging will publish", ""]
    if not (new or revoked or erased or new_badges or changed_badges):
        lines.append("Nothing new: the site stays as it is.")
    lines += _section(
        "New awards",
        [f"{a.badge.name.default}, {a.issued_on.isoformat()}, {_holder(a)}" for a in new],
    )
    lines += _section(
        "Revocations",
        [
            f"`{a.id}` ({a.badge.name.default}, {_holder(a)}): "
            f"{a.revocation.reason if a.revocation else ''}"
            for a in revoked
        ],
    )
    lines += _section("Erasures", [f"`{a.id}` ({a.badge.name.default})" for a in erased])
    lines += _section("New badges", [f"{b.name.default} (`{b.slug}`)" for b in new_badges])
    lines += _section("Changed badges", [f"{b.name.default} (`{b.slug}`)" for b in changed_badges])
    lines += [
        "",
        "### Checks passed",
        "",
        f"- every source file is valid ({len(catalog.badges)} badges, "
        f"{len(catalog.recipients)} recipients, {len(catalog.awards)} awards)",
        "- nothing published before has been removed, and no status-list index is reused",
    ]
    return "\n".join(lines) + "\n"


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return ["", f"### {title} ({len(items)})", "", *(f"- {item}" for item in items)]
