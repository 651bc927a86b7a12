"""badgepages: Open Badges kept as YAML in git, published as a verifiable static issuer site."""

from badgepages.catalog import Catalog, load_catalog
from badgepages.diagnostics import Diagnostic, SourceError, SourceLocation
from badgepages.pipeline import BuildOptions, BuildReport, build

__all__ = [
    "BuildOptions",
    "BuildReport",
    "Catalog",
    "Diagnostic",
    "SourceError",
    "SourceLocation",
    "build",
    "load_catalog",
]
__version__ = "0.1.0"
