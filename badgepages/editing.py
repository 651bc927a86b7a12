"""Changes to the YAML sources that keep every comment and the author's layout (round trip)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import LiteralScalarString

from badgepages.catalog import _SLUG, _slugify
from badgepages.identity import new_award_id
from badgepages.models import did_you_mean
from badgepages.transaction import Edit

_ITEM = re.compile(r"^(?P<indent> *)awards:\s*(?:#.*)?\n(?:\s*(?:#.*)?\n)*(?P<dash> *)- ", re.M)
RECIPIENT_SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/recipient.schema.json\n"
BADGE_SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/badge.schema.json\n"


class EditError(Exception):
    """Raised when a source file cannot be changed safely; says why and, when known, what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


@dataclass(frozen=True)
class NewAward:
    """An award to add: which badge, on which day, with an optional narrative and evidence."""

    badge: str
    issued_on: date
    narrative: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewRecipient:
    """The person of a recipient file that does not exist yet."""

    name: str
    email: str
    public: bool


@dataclass(frozen=True)
class RecipientChange:
    """What to change in one recipient file: awards to add, maybe created, maybe consent set."""

    slug: str
    awards: tuple[NewAward, ...]
    create: NewRecipient | None = None
    public: bool | None = None


@dataclass(frozen=True)
class PreparedFile:
    """The new text of one recipient file and what it adds, before anything is written."""

    file: Path
    text: str
    added: tuple[tuple[str, NewAward], ...]
    skipped: tuple[NewAward, ...]
    created: bool
    consent: bool | None = None  # the consent recorded in an existing file, when it changed


def _round_trip(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    match = _ITEM.search(text)
    # Keep the author's list style: "awards:\n  - id" (offset 2) or "awards:\n- id" (offset 0).
    offset = len(match["dash"]) - len(match["indent"]) if match else 2
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def _load(text: str, name: str) -> tuple[YAML, CommentedMap]:
    yaml = _round_trip(text)
    try:
        document = yaml.load(text)
    except YAMLError as error:
        raise EditError(
            f"{name} is not valid YAML", "run 'badgepages check' to see where"
        ) from error
    if not isinstance(document, CommentedMap):
        raise EditError(f"{name} does not hold a recipient mapping")
    return yaml, document


def _dump(yaml: YAML, document: CommentedMap) -> str:
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


def add_awards(text: str, awards: Sequence[NewAward], name: str) -> PreparedFile:
    """Return a recipient text with the awards appended; skip those it already has."""
    yaml, document = _load(text, name)
    listed = document.get("awards")
    if listed is None:
        listed = CommentedSeq()
        document["awards"] = listed
    if not isinstance(listed, CommentedSeq):
        raise EditError(f"'awards' in {name} is not a list")
    if "erased_on" in document and awards:
        raise EditError(
            f"{name} is the record of an erased recipient",
            "awards go to a person's own recipient file",
        )
    present = {_award_key(item) for item in listed if isinstance(item, dict)}
    added: list[tuple[str, NewAward]] = []
    skipped: list[NewAward] = []
    for award in awards:
        key = (award.badge, award.issued_on.isoformat())
        if key in present:
            skipped.append(award)
            continue
        present.add(key)
        award_id = new_award_id()
        listed.append(_award_map(award_id, award))
        added.append((award_id, award))
    new_text = _dump(yaml, document) if added else text
    return PreparedFile(Path(name), new_text, tuple(added), tuple(skipped), created=False)


def _award_key(item: dict[str, Any]) -> tuple[str, str]:
    return str(item.get("badge", "")), str(item.get("issued_on", ""))


def _award_map(award_id: str, award: NewAward) -> CommentedMap:
    result = CommentedMap()
    result["id"] = award_id
    result["badge"] = award.badge
    result["issued_on"] = award.issued_on
    if award.narrative:
        result["narrative"] = _text_scalar(award.narrative)
    if award.evidence:
        evidence = CommentedSeq()
        for url in award.evidence:
            item = CommentedMap()
            item["url"] = url
            evidence.append(item)
        result["evidence"] = evidence
    return result


def _text_scalar(text: str) -> str:
    # Several lines read best as a literal block (|-), exactly as typed.
    return LiteralScalarString(text) if "\n" in text else text


def set_public(text: str, public: bool, name: str) -> str:
    """Return a recipient text whose ``public`` (consent) is set, keeping its comments."""
    yaml, document = _load(text, name)
    if document.get("public") is public:
        return text
    if "public" in document:
        document["public"] = public
    else:
        keys = list(document)
        position = keys.index("email") + 1 if "email" in keys else len(keys)
        document.insert(position, "public", public)
    return _dump(yaml, document)


def new_recipient_text(recipient: NewRecipient) -> str:
    """Return the text of a new recipient file (schema line, name, email, consent)."""
    yaml = _round_trip("")
    document = CommentedMap()
    document["name"] = recipient.name
    document["email"] = recipient.email
    document["public"] = recipient.public
    document.yaml_add_eol_comment("true only with the person's consent to be named", "public")
    return RECIPIENT_SCHEMA_LINE + _dump(yaml, document)


def prepare_changes(recipients_dir: Path, changes: Sequence[RecipientChange]) -> list[PreparedFile]:
    """Compute the new text of every changed recipient file; write nothing."""
    prepared = []
    for change in changes:
        file = recipients_dir / f"{change.slug}.yaml"
        if change.create is not None:
            text = new_recipient_text(change.create)
        else:
            text = _existing(recipients_dir, change.slug).read_text(encoding="utf-8-sig")
            file = _existing(recipients_dir, change.slug)
        consent = None
        if change.public is not None and change.create is None:
            updated = set_public(text, change.public, file.name)
            consent, text = (change.public if updated != text else None), updated
        result = add_awards(text, change.awards, file.name)
        created = change.create is not None
        prepared.append(
            PreparedFile(file, result.text, result.added, result.skipped, created, consent)
        )
    return prepared


def _existing(recipients_dir: Path, slug: str) -> Path:
    for suffix in (".yaml", ".yml"):
        if (file := recipients_dir / f"{slug}{suffix}").is_file():
            return file
    raise EditError(f"no recipient file {recipients_dir.name}/{slug}.yaml")


def stage_files(edit: Edit, prepared: Sequence[PreparedFile]) -> None:
    """Stage every prepared file that changes on an edit (written when it commits)."""
    for item in prepared:
        if item.created or item.added or item.consent is not None:
            edit.write(item.file, item.text)


# -- revocation ----------------------------------------------------------------------------
# Revoking and unrevoking edit the text itself, at the lines the YAML parser reports: the
# block goes right after the award's last line, so a comment that introduces the next award
# stays above it, and unrevoking gives back the file exactly as it was before revoking.


@dataclass(frozen=True)
class _FoundAward:
    file: Path
    text: str
    node: MappingNode
    issued_on: date | None


def revoke_award(
    recipients_dir: Path, award_id: str, on: date, reason: str, today: date
) -> tuple[Path, str]:
    """Return the file holding an award and its text with ``revoked: {on, reason}`` added."""
    if not reason.strip():
        raise EditError("the reason is empty", "say why, e.g. --reason 'Awarded by mistake'")
    if on > today:
        raise EditError(f"revocation date {on.isoformat()} is in the future")
    found = _find_award(recipients_dir, award_id)
    if (revoked := _value_node(found.node, "revoked")) is not None:
        when = _value_node(revoked, "on") if isinstance(revoked, MappingNode) else None
        since = f" since {when.value}" if isinstance(when, ScalarNode) else ""
        raise EditError(
            f"award {award_id} is already revoked{since}",
            f"to change the reason or date, run 'badgepages unrevoke {award_id}' first",
        )
    if found.issued_on is not None and on < found.issued_on:
        raise EditError(
            f"revocation date {on.isoformat()} is before the issue date "
            f"{found.issued_on.isoformat()}"
        )
    indent = " " * found.node.start_mark.column
    block = (
        f"{indent}revoked:\n{indent}  on: {on.isoformat()}\n"
        f"{indent}  reason: {_scalar_text(' '.join(reason.split()))}\n"
    )
    text = found.text if found.text.endswith("\n") else found.text + "\n"
    end = _line_end(text, _content_end(text, found.node))
    return found.file, text[:end] + block + text[end:]


def unrevoke_award(recipients_dir: Path, award_id: str) -> tuple[Path, str]:
    """Return the file holding an award and its text without the award's ``revoked``."""
    found = _find_award(recipients_dir, award_id)
    for key, value in found.node.value:
        if key.value != "revoked":
            continue
        start = found.text.rfind("\n", 0, key.start_mark.index) + 1
        if found.text[start : key.start_mark.index].strip():
            raise EditError(
                f"cannot remove 'revoked' of award {award_id} safely",
                f"move 'revoked:' to its own line below 'id:' in {found.file.name} and retry",
            )
        end = _line_end(found.text, _content_end(found.text, value))
        return found.file, found.text[:start] + found.text[end:]
    raise EditError(f"award {award_id} is not revoked")


def _find_award(recipients_dir: Path, award_id: str) -> _FoundAward:
    known: list[str] = []
    for file in sorted(recipients_dir.glob("*.yaml")) + sorted(recipients_dir.glob("*.yml")):
        text = file.read_text(encoding="utf-8-sig")
        erased_on, awards = _award_nodes(text)
        for award in awards:
            identifier = _value_node(award, "id")
            if not isinstance(identifier, ScalarNode):
                continue
            if identifier.value == award_id:
                if erased_on is not None:
                    raise EditError(
                        f"award {award_id} belongs to a recipient erased on {erased_on}",
                        "it is already withdrawn, for good",
                    )
                if award.flow_style:
                    raise EditError(
                        f"award {award_id} in {file.name} is written on one line",
                        "write it as one 'key: value' per line, then retry",
                    )
                return _FoundAward(file, text, award, _scalar_date(_value_node(award, "issued_on")))
            known.append(str(identifier.value))
    hint = did_you_mean(award_id, known) or "award ids are the 'id:' lines in recipients/"
    raise EditError(f"no award with id '{award_id}'", hint)


def _award_nodes(text: str) -> tuple[str | None, list[MappingNode]]:
    """Return a recipient file's erasure date (if erased) and its award mappings."""
    try:
        root = YAML(typ="safe", pure=True).compose(text)
    except YAMLError:
        return None, []  # an unreadable file is reported by 'badgepages check'
    if not isinstance(root, MappingNode):
        return None, []
    erased = _value_node(root, "erased_on")
    awards = _value_node(root, "awards")
    items = awards.value if isinstance(awards, SequenceNode) else []
    return (
        str(erased.value) if isinstance(erased, ScalarNode) else None,
        [item for item in items if isinstance(item, MappingNode)],
    )


def _value_node(mapping: Node, key: str) -> Node | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return value_node  # type: ignore[no-any-return]
    return None


def _scalar_date(node: Node | None) -> date | None:
    if not isinstance(node, ScalarNode):
        return None
    try:
        return date.fromisoformat(str(node.value))
    except ValueError:
        return None


def _content_end(text: str, node: Node) -> int:
    """Return the offset just after the last character written for a node's content."""
    while isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    end: int = node.end_mark.index
    header = text[node.start_mark.index : node.start_mark.index + 3]
    if isinstance(node, ScalarNode) and node.style in ("|", ">") and "+" not in header:
        # A block scalar also swallows the blank lines after it: stop at its last text.
        end = len(text[:end].rstrip())
    return end


def _line_end(text: str, offset: int) -> int:
    """Return the offset after the newline that ends the line holding ``offset``."""
    newline = text.find("\n", offset)
    return len(text) if newline < 0 else newline + 1


def _scalar_text(value: str) -> str:
    """Return a value written the way YAML needs it (quoted only when it must be)."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    buffer = io.StringIO()
    yaml.dump({"k": value}, buffer)
    return buffer.getvalue()[len("k: ") :].rstrip("\n")


# -- new badges ----------------------------------------------------------------------------

_PLACEHOLDER_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512">
  <!-- Placeholder: replace this file with the badge's artwork (same file name). -->
  <circle cx="256" cy="256" r="240" fill="#e9ecef" stroke="#6c757d" stroke-width="16"/>
  <circle cx="256" cy="256" r="180" fill="none" stroke="#adb5bd" stroke-width="8"
          stroke-dasharray="24 16"/>
  <path d="M256 140 L290 210 L367 221 L311 275 L324 352 L256 316 L188 352 L201 275
           L145 221 L222 210 Z" fill="#6c757d"/>
</svg>
"""

# Placeholder texts by language; other site languages get the English one.
_PLACEHOLDERS = {
    "description": {
        "fr": "À rédiger — ce que ce badge reconnaît, en quelques phrases.",
        "en": "To be written — what this badge recognises, in a few sentences.",
    },
    "criteria": {
        "fr": "À rédiger — ce qu'il faut avoir fait pour obtenir ce badge.",
        "en": "To be written — what an earner must have done to get this badge.",
    },
}

_BADGE_SKELETON = """\
{schema_line}#
# Badge "{name}". The file name ({slug}) is the badge's permanent slug: it is part of every
# published URL, so never rename this file once the badge has been awarded.
# Replace every placeholder text below before the first award. Texts are Markdown, given
# in each site language ({languages}); a missing translation falls back to the first one.

# The badge's name, shown on its page, on award pages and in the earners' wallets.
name:
{name_lines}

# What the badge recognises, in a few sentences.
description:
{description_lines}

# What an earner must have done to get it (a numbered list reads well).
# Staff check these points before they add an award.
criteria:
{criteria_lines}

# The badge's image, beside this file: SVG (also published as a 512 px PNG) or PNG.
# {slug}.svg is a neutral placeholder: replace it, keeping its name (or change it here).
image: {slug}.svg

# Free keywords, published with the badge and shown on its page; may stay empty.
tags: []

# Optional: skills the badge aligns with, e.g. ESCO skills (https://esco.ec.europa.eu/).
# Remove the '# ' in front of these lines to use them.
# skills:
#   - name: {{fr: Communiquer, en: communicating}}
#     url: http://data.europa.eu/esco/skill/6f142deb-03a9-4cd7-94ce-e0f023ae2169
#     framework: ESCO

# Optional: how long an award stays valid, e.g. 3y (years), 18m (months), 6w (weeks) or
# 90d (days). Without it, awards never expire.
# valid_for: 3y

# Raise the version (e.g. "1.1") whenever you change what earners must do.
version: "1.0"
"""


def new_badge_texts(slug: str, languages: Sequence[str]) -> tuple[str, str]:
    """Return the commented YAML skeleton and the placeholder SVG of a new badge."""
    name = slug.replace("-", " ").capitalize()

    def lines(texts: dict[str, str], block: bool) -> str:
        result = []
        for language in languages:
            text = texts.get(language, texts["en"])
            value = f"|-\n    {text}" if block else _scalar_text(text)
            result.append(f"  {language}: {value}")
        return "\n".join(result)

    yaml_text = _BADGE_SKELETON.format(
        schema_line=BADGE_SCHEMA_LINE,
        name=name,
        slug=slug,
        languages=", ".join(languages),
        name_lines=lines({"en": name}, block=False),
        description_lines=lines(_PLACEHOLDERS["description"], block=True),
        criteria_lines=lines(_PLACEHOLDERS["criteria"], block=True),
    )
    return yaml_text, _PLACEHOLDER_SVG


def new_badge_files(
    badges_dir: Path, slug: str, languages: Sequence[str]
) -> tuple[tuple[Path, str], tuple[Path, str]]:
    """Return ``badges/SLUG.yaml`` and ``badges/SLUG.svg`` with their texts; refuse bad slugs."""
    if not _SLUG.match(slug):
        raise EditError(
            f"'{slug}' is not a valid slug",
            f"use lower-case letters, digits and '-', e.g. '{_slugify(slug)}'; "
            "the slug becomes part of permanent URLs",
        )
    taken = [
        f"{badges_dir.name}/{file.name}"
        for file in (badges_dir / f"{slug}{suffix}" for suffix in (".yaml", ".yml", ".svg"))
        if file.exists()
    ]
    if taken:
        raise EditError(f"{taken[0]} already exists", "choose another slug")
    yaml_text, svg_text = new_badge_texts(slug, languages)
    return (badges_dir / f"{slug}.yaml", yaml_text), (badges_dir / f"{slug}.svg", svg_text)


def describe_changes(prepared: Sequence[PreparedFile]) -> list[str]:
    """Return one line per file created, consent recorded, award added or award skipped."""
    lines = []
    for item in prepared:
        name = f"{item.file.parent.name}/{item.file.name}"
        if item.created:
            lines.append(f"created {name}")
        if item.consent is not None:
            lines.append(f"recorded 'public: {str(item.consent).lower()}' in {name}")
        lines.extend(f"added award {award_id} to {name}" for award_id, _ in item.added)
        lines.extend(
            f"skipped {name}: it already has '{award.badge}' awarded on "
            f"{award.issued_on.isoformat()}"
            for award in item.skipped
        )
    return lines
