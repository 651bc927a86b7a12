"""The site configuration (``site_config.yaml``): issuer, public address, languages, folders."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from badgepages.diagnostics import Diagnostic, SourceLocation
from badgepages.did import DidWebError, did_document_url_path, did_from_base_url
from badgepages.images import PublishedImage, load_image
from badgepages.models import SiteConfigSource, TextSource, validate_document
from badgepages.sources import YamlDocument, read_yaml
from badgepages.text import Localized, localize

CONFIG_FILE = "site_config.yaml"


@dataclass(frozen=True)
class Issuer:
    """The organisation that issues every badge of the site."""

    name: Localized
    url: str
    email: str
    description: Localized | None
    logo: Path | None
    linkedin_organization_id: str | None
    logo_image: PublishedImage | None = None  # checked and cleaned: what the site publishes

    def profile_fields(self) -> dict[str, str]:
        """Return the fields OB 2.0 and OB 3.0 issuer profiles share, in the default language."""
        fields = {"name": self.name.default, "url": self.url, "email": self.email}
        if self.description:
            fields["description"] = self.description.default
        return fields


@dataclass(frozen=True)
class SiteConfig:
    """Everything the build needs to know besides the badges and recipients."""

    root: Path
    issuer: Issuer
    base_url: str
    languages: tuple[str, ...]
    theme_dir: Path
    output_dir: Path
    public_base_url: str
    host: str
    host_origin: SourceLocation  # where the host is set, for check's warnings

    @property
    def default_language(self) -> str:
        """Return the language served at the plain URLs."""
        return self.languages[0]

    @property
    def did_base_url(self) -> str:
        """Return the address the issuer's did:web names: the one served, if it can be a did:web.

        A local preview (``http://127.0.0.1:8000/``) cannot be a did:web, so it keeps the
        public address's DID; its pages map that address to the local copy when checking.
        """
        try:
            did_from_base_url(self.base_url)
        except DidWebError:
            return self.public_base_url
        return self.base_url

    @property
    def did(self) -> str:
        """Return the issuer's did:web."""
        return did_from_base_url(self.did_base_url)

    @property
    def did_document_path(self) -> str:
        """Return where the DID document goes in the site: where its did:web resolves."""
        return did_document_url_path(self.did_base_url)

    def with_base_url(self, base_url: str) -> SiteConfig:
        """Return this configuration served from another address (local previews, tests)."""
        return dataclasses.replace(self, base_url=_with_slash(base_url))


def load_config(root: Path) -> tuple[SiteConfig | None, list[Diagnostic]]:
    """Read and validate ``site_config.yaml`` under ``root``."""
    file = root / CONFIG_FILE
    if not file.is_file():
        location = SourceLocation(CONFIG_FILE)
        hint = "run badgepages in the folder that holds site_config.yaml"
        return None, [Diagnostic(location, "site_config.yaml not found", hint)]
    document, problems = read_yaml(file, CONFIG_FILE)
    if document is None:
        return None, problems
    source, errors = validate_document(document, SiteConfigSource)
    if source is None:
        return None, problems + errors
    config, errors = _build_config(root, document, source)
    return config, problems + errors


def _build_config(
    root: Path, document: YamlDocument, source: SiteConfigSource
) -> tuple[SiteConfig | None, list[Diagnostic]]:
    languages = tuple(dict.fromkeys(source.languages))
    problems: list[Diagnostic] = []

    def text(value: TextSource, loc: tuple[str, ...]) -> Localized:
        localized, errors = localize(value, languages, document.locate(loc))
        problems.extend(errors)
        return localized

    issuer = source.issuer
    logo = logo_image = None
    if issuer.logo:
        logo = root / issuer.logo
        location = document.locate(("issuer", "logo"))
        if logo.suffix.lower() not in (".svg", ".png"):
            problems.append(Diagnostic(location, "the logo must be an SVG or PNG file"))
        elif not logo.is_file():
            problems.append(Diagnostic(location, f"logo file '{issuer.logo}' not found"))
        else:
            logo_image, found = load_image(logo, issuer.logo, location, render=False)
            problems.extend(found)
    problems.extend(_check_base_url(source.base_url, document.locate(("base_url",))))
    description = issuer.description
    config = SiteConfig(
        root=root,
        issuer=Issuer(
            name=text(issuer.name, ("issuer", "name")),
            url=issuer.url,
            email=issuer.email,
            description=text(description, ("issuer", "description")) if description else None,
            logo=logo,
            linkedin_organization_id=issuer.linkedin_organization_id,
            logo_image=logo_image,
        ),
        base_url=_with_slash(source.base_url),
        languages=languages,
        theme_dir=root / source.theme,
        output_dir=root / source.output,
        public_base_url=_with_slash(source.base_url),
        host=source.host,
        host_origin=document.locate(("host",)),
    )
    errors = [p for p in problems if p.severity == "error"]
    return (None if errors else config), problems


def _check_base_url(base_url: str, location: SourceLocation) -> list[Diagnostic]:
    """Refuse an address that cannot be a did:web; warn when it needs a hidden path."""
    try:
        document_path = did_document_url_path(base_url)
    except DidWebError as error:
        return [
            Diagnostic(
                location,
                f"base_url cannot be the issuer's did:web address: {error.reason}",
                "publish at an https:// address with a domain name, e.g. "
                "https://OWNER.github.io/REPO/",
            )
        ]
    if not document_path.startswith("."):
        return []
    # did:web §3.2.2: a DID without a path resolves to /.well-known/did.json. Publishing
    # tools leave dot-paths out unless told otherwise (actions/upload-pages-artifact v4+).
    return [
        Diagnostic(
            location,
            f"base_url is a domain root, so the issuer's DID document is published at "
            f"{document_path}, a hidden path",
            "keep hidden files when deploying: .github/workflows/deploy.yml uploads the site "
            "with include-hidden-files: true; without it no credential can be verified",
            "warning",
        )
    ]


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
