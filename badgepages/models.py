"""Input models for the YAML sources, and the mapping of their errors to source lines.

These models are the input boundary only (pydantic, ``extra="forbid"``); the rest of the
engine works on the frozen dataclasses of :mod:`badgepages.catalog`.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from badgepages.diagnostics import Diagnostic
from badgepages.identity import EmailError, new_award_id, parse_email
from badgepages.images import LIMITS as IMAGE_LIMITS
from badgepages.sources import Loc, YamlDocument

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# Characters RFC 3986 §2 never allows in a URL (spaces of any kind included), and a '%'
# that does not start a percent-encoded byte (§2.1).
_NOT_IN_URLS = re.compile(r'[\s"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})')
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^[1-9]\d*[ymwd]$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
AWARD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _fail(message: str, hint: str = "") -> PydanticCustomError:
    return PydanticCustomError("badgepages", message, {"hint": hint})


def _quote(value: Any) -> str:
    """Return a value quoted for a message, cut after 60 characters (a value can be huge)."""
    text = str(value)
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise _fail("text is empty")
        return value
    if isinstance(value, dict):
        for language, text in value.items():
            if not _LANGUAGE.match(language):
                raise _fail(
                    f"{_quote(language)} is not a language code",
                    "use two-letter codes such as fr: and en:",
                )
            if not isinstance(text, str) or not text.strip():
                raise _fail(f"the {_quote(language)} text is empty or not text")
        return value
    raise _fail("expected text, or one text per language such as {fr: …, en: …}")


def _check_email(value: str) -> str:
    try:
        parse_email(value.strip())
    except EmailError as error:
        reason = error.reason[0].lower() + error.reason[1:].rstrip(".")
        raise _fail(f"{_quote(value)} is not a valid email address", reason) from None
    return value


def _check_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        valid = parts.port is None or parts.port > 0
    except ValueError:  # a bad IPv6 address or port
        valid = False
    if (
        not valid
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None  # user:password@ before the host (a phishing classic)
        or _NOT_IN_URLS.search(value)
    ):
        raise _fail(f"{_quote(value)} is not a valid web address", "write a full https:// URL")
    return value


# Dates from the sources lie in these years: older is a typo, later overflows what dates can
# hold once a validity is added (README "Source formats"). Validities are at most a century.
FIRST_YEAR, LAST_YEAR = 1900, 2999
MAX_VALIDITY = {"y": 100, "m": 1200, "w": 5200, "d": 36500}
_UNIT_NAMES = {"y": "years", "m": "months", "w": "weeks", "d": "days"}


def _parse_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                return day
            raise _fail(
                f"{_quote(value)} is not between the years {FIRST_YEAR} and {LAST_YEAR}",
                "check the year",
            )
    raise _fail(f"{_quote(value)} is not a date", "write it as YYYY-MM-DD, e.g. 2025-06-30")


def _check_duration(value: str) -> str:
    if not _DURATION.match(value):
        raise _fail(
            f"{_quote(value)} is not a duration",
            "write a number and a unit: 2y (years), 18m (months), 6w (weeks), 90d (days)",
        )
    unit = value[-1]
    if len(value) > 6 or int(value[:-1]) > MAX_VALIDITY[unit]:  # no int() of 5,000 digits
        raise _fail(
            f"{_quote(value)} is longer than a century",
            f"write at most {MAX_VALIDITY[unit]}{unit} ({MAX_VALIDITY[unit]} {_UNIT_NAMES[unit]})",
        )
    return value


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise _fail(
            f"{_quote(value)} is not a valid slug", "use lower-case letters, digits and '-'"
        )
    return value


def _check_language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise _fail(
            f"{_quote(value)} is not a language code", "use two-letter codes such as fr, en"
        )
    return value


def _check_award_id(value: str) -> str:
    if not AWARD_ID.match(value):
        raise _fail(
            f"award id {_quote(value)} is not a permanent random id",
            f"ids are 16-64 letters, digits, '-' or '_', e.g. {new_award_id()}",
        )
    return value


def _check_name(value: Any) -> Any:
    texts = [value] if isinstance(value, str) else value.values()
    if any(len(text) > MAX_NAME_CHARACTERS for text in texts):
        raise _fail(
            f"a name is at most {MAX_NAME_CHARACTERS} characters",
            "shorten it: titles and cards show it whole",
        )
    return value


TextSource = str | dict[str, str]
Text = Annotated[TextSource, BeforeValidator(_check_text)]
# A name (of the issuer, a badge, a skill, a recipient) is shown whole in titles and cards.
MAX_NAME_CHARACTERS = 200
Name = Annotated[Text, AfterValidator(_check_name)]
Email = Annotated[str, AfterValidator(_check_email)]
Url = Annotated[str, AfterValidator(_check_url)]
IsoDate = Annotated[date, BeforeValidator(_parse_date)]
Duration = Annotated[str, AfterValidator(_check_duration)]
Slug = Annotated[str, AfterValidator(_check_slug)]
AwardId = Annotated[str, AfterValidator(_check_award_id)]
Language = Annotated[str, AfterValidator(_check_language)]

# OB 3.0 AchievementType enumeration (extensible with "ext:" names).
ACHIEVEMENT_TYPES = [
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
]


def _check_achievement_type(value: str) -> str:
    if value not in ACHIEVEMENT_TYPES and not re.fullmatch(r"ext:[A-Za-z0-9._-]+", value):
        hint = did_you_mean(value, ACHIEVEMENT_TYPES) or "e.g. Badge, CoCurricular, Competency"
        raise _fail(f"{_quote(value)} is not an Open Badges 3.0 achievement type", hint)
    return value


AchievementType = Annotated[str, AfterValidator(_check_achievement_type)]


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class IssuerSource(_Source):
    """The organisation that issues the badges."""

    name: Name
    url: Url
    email: Email
    description: Text | None = None
    logo: str | None = Field(
        None,
        description=f"Image file (SVG or PNG), relative to the project; {IMAGE_LIMITS}; "
        "published sanitised",
    )
    linkedin_organization_id: str | None = Field(
        None, description="LinkedIn company id, used by the add-to-profile button"
    )


class SiteConfigSource(_Source):
    """``site_config.yaml``: who issues, where the site lives, in which languages."""

    issuer: IssuerSource
    base_url: Url = Field(description="Public address of the site, ending with '/'")
    languages: list[Language] = Field(default_factory=lambda: ["fr", "en"], min_length=1)
    theme: str = "theme"
    output: str = "_site"
    host: Literal["github-pages", "cloudflare-pages", "s3"] = Field(
        "github-pages",
        description="Where the site is published: check warns as it nears the host's limits "
        "(GitHub Pages: 1 GB; Cloudflare Pages: 20,000 files of 25 MiB; S3: none)",
    )


class SkillSource(_Source):
    """A skill the badge aligns with, e.g. an ESCO skill."""

    name: Name
    url: Url
    framework: str | None = None


class BadgeSource(_Source):
    """``badges/<slug>.yaml``: one kind of badge."""

    name: Name
    description: Text = Field(description="Markdown")
    criteria: Text = Field(description="Markdown: what an earner did to earn it")
    image: str = Field(
        description=f"SVG or PNG file beside this YAML file; {IMAGE_LIMITS}. Published "
        "sanitised: SVG keeps only allow-listed elements and attributes, references to #ids "
        "and embedded PNG, JPEG, GIF or WebP images; PNG keeps only its pixels and colour "
        "information"
    )
    tags: list[str] = Field(default_factory=list)
    skills: list[SkillSource] = Field(default_factory=list)
    valid_for: Duration | None = Field(None, description="e.g. 2y, 18m, 90d")
    version: str | None = None
    achievement_type: AchievementType = Field(
        "Badge", description="OB 3.0 AchievementType, e.g. Badge, CoCurricular, Competency"
    )


class EvidenceSource(_Source):
    """Something that shows the work behind an award."""

    url: Url
    narrative: Text | None = None


class RevocationSource(_Source):
    """Why and when an award was withdrawn."""

    on: IsoDate
    reason: str = Field(min_length=1)


class AwardSource(_Source):
    """One badge earned by one recipient."""

    id: AwardId = Field(description="Permanent random id: never change it")
    badge: Slug
    issued_on: IsoDate
    expires: IsoDate | None = None
    narrative: Text | None = None
    evidence: list[EvidenceSource] = Field(default_factory=list)
    revoked: RevocationSource | None = None


class RecipientSource(_Source):
    """``recipients/<slug>.yaml``: a person and the badges they earned."""

    name: Annotated[str, AfterValidator(_check_name)] | None = Field(None, min_length=1)
    email: Email | None = None
    public: StrictBool = Field(
        False, description="Consent to show the name and a public page (default false)"
    )
    erased_on: IsoDate | None = Field(
        None, description="Set by 'badgepages erase': personal data removed at the holder's request"
    )
    awards: list[AwardSource] = Field(default_factory=list)

    @model_validator(mode="after")
    def _identity_unless_erased(self) -> RecipientSource:
        if self.erased_on is not None:
            if self.name or self.email or self.public:
                raise _fail(
                    "an erased recipient keeps no name, email or consent",
                    "remove them: the erasure must hold no personal data",
                )
            return self
        for key in ("name", "email"):
            if getattr(self, key) is None:
                raise _fail(f"missing required key '{key}'")
        return self


class ThemeStringsSource(RootModel[dict[str, dict[Language, Annotated[str, Field(min_length=1)]]]]):
    """``theme/strings.yaml``: every text of the pages, by key, one per language."""


Model = TypeVar("Model", bound=BaseModel)


def validate_document(
    document: YamlDocument, model: type[Model]
) -> tuple[Model | None, list[Diagnostic]]:
    """Validate a document against a model; map every error to its line and column."""
    try:
        return model.model_validate(document.data if document.data is not None else {}), []
    except ValidationError as exc:
        return None, [_diagnostic(document, model, error) for error in exc.errors()]


def _diagnostic(document: YamlDocument, model: type[BaseModel], error: Any) -> Diagnostic:
    loc: Loc = tuple(part for part in error["loc"] if not _is_union_branch(part))
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _fields_at(model, loc[:-1])
        return Diagnostic(
            document.locate(loc, at_key=True), f"unknown key '{key}'", did_you_mean(key, known)
        )
    location = document.locate(loc)
    if kind == "missing" or (value is None and loc[-1:] == ("id",)):
        return _missing(location, loc)
    if kind == "badgepages":
        return Diagnostic(location, error["msg"], error["ctx"].get("hint") or None)
    if kind == "bool_type":
        return Diagnostic(
            location,
            f"{_quote(value)} is not true or false",
            "write true or false; YAML 1.1 tools read yes/no/on/off differently",
        )
    return Diagnostic(location, _type_message(kind, value, error["msg"]))


def _missing(location: Any, loc: Loc) -> Diagnostic:
    key = str(loc[-1])
    if len(loc) == 3 and loc[0] == "awards" and key == "id":
        return Diagnostic(
            location,
            "award has no permanent 'id'",
            f"add this line to the award: id: {new_award_id()}",
        )
    return Diagnostic(location, f"missing required key '{key}'")


def _type_message(kind: str, value: Any, default: str) -> str:
    shape = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        type(None): "empty",
    }
    found = shape.get(type(value), type(value).__name__)
    expected = {
        "string_type": "text",
        "list_type": "a list (one '- ' item per line)",
        "model_type": "a mapping of keys",
        "dict_type": "a mapping of keys",
        "model_attributes_type": "a mapping of keys",
    }.get(kind)
    if expected:
        return f"expected {expected}, found {found}"
    return default[0].lower() + default[1:]


def _is_union_branch(part: Any) -> bool:
    # pydantic adds the union member tried ('str', 'dict[str,str]') to error locations.
    return isinstance(part, str) and (part in ("str", "dict[str,str]") or "[" in part)


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        annotation = field.annotation if field else None
        current = _model_in(annotation)
        if current is None:
            return []
    return list(current.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


def did_you_mean(word: str, candidates: list[str]) -> str | None:
    """Return ``did you mean 'x'?`` for the closest candidate, if any is close."""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
