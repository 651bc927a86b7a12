"""Human texts that may be given once or per language, resolved for every site language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from badgepages.diagnostics import Diagnostic, SourceLocation


@dataclass(frozen=True)
class Localized:
    """A text in each site language; the first language is the default."""

    texts: tuple[tuple[str, str], ...]

    def __getitem__(self, language: str) -> str:
        return dict(self.texts).get(language, self.texts[0][1])

    @property
    def default(self) -> str:
        """Return the text in the default language."""
        return self.texts[0][1]

    def translations(self) -> dict[str, str]:
        """Return each language's text, in site-language order."""
        return dict(self.texts)


def localize(
    value: str | dict[str, str], languages: Sequence[str], location: SourceLocation
) -> tuple[Localized, list[Diagnostic]]:
    """Resolve a source text for every site language, falling back to the default language."""
    if isinstance(value, str):
        return Localized(tuple((language, value) for language in languages)), []
    problems = [
        Diagnostic(
            location,
            f"language '{language}' is not one of the site languages ({', '.join(languages)})",
            "add it to languages in site_config.yaml, or remove this translation",
        )
        for language in value
        if language not in languages
    ]
    default = value.get(languages[0])
    if default is None:
        problems.append(
            Diagnostic(
                location,
                f"no text in the default language '{languages[0]}'",
                f"add a '{languages[0]}:' entry; other languages fall back to it",
            )
        )
        default = next(iter(value.values()))
    texts = tuple((language, value.get(language, default)) for language in languages)
    return Localized(texts), problems
