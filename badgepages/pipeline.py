"""The build: load and check everything, plan every output, then execute the plan.

load config → read YAML with positions (cached, on every core) → validate models → link the
catalog → stop if any error (all of them listed) → plan every artifact with the hash of its
inputs → produce what changed on every core, straight to the standby copy → swap it in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from badgepages.catalog import Catalog, load_catalog
from badgepages.config import load_config
from badgepages.diagnostics import Diagnostic, SourceError
from badgepages.execute import Execution, execute
from badgepages.keys import SECRET_VARIABLE, signing_key
from badgepages.ledger import write_ledger
from badgepages.output import SiteOutput
from badgepages.plan import Plan, plan_site
from badgepages.postdeploy import award_page_to_verify
from badgepages.produce import BuildContext
from badgepages.urls import SiteUrls
from badgepages.workers import default_jobs


@dataclass(frozen=True)
class BuildReport:
    """What a build produced, for the summary line."""

    out_dir: Path
    badges: int
    awards: int
    revoked: int
    pages: int
    signed: bool
    execution: Execution
    award_to_verify: str | None = None  # an award page URL, for the post-deploy check
    warnings: tuple[Diagnostic, ...] = ()  # from the sources, printed with the summary

    @property
    def files(self) -> int:
        """Return how many files the site has."""
        return self.execution.files

    def summary(self) -> str:
        """Return the summary printed after a build."""
        kind = "signed" if self.signed else "UNSIGNED PREVIEW"
        done = self.execution
        return (
            f"built {self.files} files in {self.out_dir} ({kind}): {self.badges} badges, "
            f"{self.awards} awards ({self.revoked} revoked), {self.pages} pages; "
            f"{done.produced} made, {done.copied} from the cache, {done.kept} unchanged, "
            f"{done.removed} removed"
        )


def site_urls(catalog: Catalog) -> SiteUrls:
    """Return the URL scheme of a catalog's site."""
    return SiteUrls(catalog.config.base_url, catalog.config.default_language)


@dataclass(frozen=True)
class BuildOptions:
    """How to build: when, where, for which address, with which key and how many workers."""

    build_date: date
    out_dir: Path | None = None
    base_url: str | None = None
    signing_secret: str | None = field(default=None, repr=False)
    require_signing: bool = False
    update_ledger: bool = False
    jobs: int = field(default_factory=default_jobs)


class SigningRequiredError(Exception):
    """Raised when a signed build was required and cannot be made."""


def build(root: Path, options: BuildOptions) -> BuildReport:
    """Build the site under ``root`` and swap it in; raise before swapping anything on error."""
    config, problems = load_config(root)
    if config is None:
        raise SourceError(problems)
    target = options.out_dir or config.output_dir
    with SiteOutput(target, options.jobs) as output:
        # First, so that the published files are checked while the sources load.
        before = output.prepare()
        catalog = load_catalog(root, options.build_date, options.base_url, jobs=options.jobs)
        context = build_context(catalog, options)
        plan = plan_site(context)
        # A deploy build records what it publishes; a ledger that gains nothing stays as it is.
        changed = options.update_ledger and catalog.ledger != catalog.published
        record = functools.partial(write_ledger, root, catalog.ledger) if changed else None
        execution = execute(plan, context, output, before, before_swap=record)
    return BuildReport(
        out_dir=target,
        badges=len(catalog.badges),
        awards=len(catalog.entries),
        revoked=sum(1 for entry in catalog.entries if entry.is_revoked),
        pages=plan.pages,
        signed=context.signed,
        execution=execution,
        award_to_verify=award_page_to_verify(catalog, context.urls, options.build_date),
        warnings=catalog.warnings,
    )


def build_context(catalog: Catalog, options: BuildOptions) -> BuildContext:
    """Return what producers read, with the signing key checked against keys.yaml."""
    config = catalog.config
    if options.require_signing and config.did_base_url != config.base_url:
        raise SigningRequiredError(
            f"a build for publication at {config.base_url} cannot be signed: the issuer's "
            "did:web needs an https:// address with a domain name (build without "
            "--require-signing for a local preview)"
        )
    signer = None
    if options.signing_secret:
        signer = signing_key(options.signing_secret, catalog.keys, config.did)
    elif options.require_signing:
        raise SigningRequiredError(
            f"a signed build was required but no signing key was given: set {SECRET_VARIABLE} "
            "or pass --signing-key-file"
        )
    return BuildContext(catalog, site_urls(catalog), options.build_date, signer)


def plan_of(catalog: Catalog, options: BuildOptions) -> Plan:
    """Return the plan a build would execute (for summaries and tests)."""
    return plan_site(build_context(catalog, options))
