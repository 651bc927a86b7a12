"""What GitHub publishes is what the build made, and the post-deploy check proves it over HTTPS.

The deploy workflow packs the site with actions/upload-pages-artifact. Its tar command is
copied from the pinned version (tests/upload-pages-artifact/action.yml, origin in its header)
and run here on the built example, with the inputs deploy.yml gives it; the archive is then
served over real HTTPS and checked with the workflow's own `badgepages verify` command.
"""

from __future__ import annotations

import datetime
import http.server
import os
import re
import ssl
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from badgepages.keys import add_new_key
from tests.site import EXAMPLE_DAY, EXAMPLE_EPOCH, REPO, copy_example

DEPLOY = REPO / ".github" / "workflows" / "deploy.yml"
ACTION = REPO / "tests" / "upload-pages-artifact" / "action.yml"
ACTION_NAME = "actions/upload-pages-artifact"
# The one expression the action's archive step holds: `inputs.NAME != 'VALUE' && 'A' || 'B'`.
EXPRESSION = re.compile(r"\$\{\{ inputs\.([a-z-]+) != '([^']*)' && '([^']*)' \|\| '([^']*)' \}\}")
BADGEPAGES = Path(sys.executable).parent / "badgepages"


def upload_step() -> dict[str, Any]:
    """Return the deploy workflow's step that packs the site."""
    workflow = yaml.safe_load(DEPLOY.read_text(encoding="utf-8"))
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    (step,) = [s for s in steps if str(s.get("uses", "")).startswith(ACTION_NAME + "@")]
    assert isinstance(step, dict)
    return step


def action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def workflow_inputs() -> dict[str, str]:
    """Return the action's inputs as deploy.yml sets them (GitHub passes every input as text)."""
    given = {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in upload_step()["with"].items()
    }
    defaults = {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}
    return defaults | given


def archive_script(inputs: dict[str, str]) -> str:
    """Return the action's Linux archive step with its expression evaluated as GitHub would."""
    (step,) = [s for s in action()["runs"]["steps"] if s.get("if") == "runner.os == 'Linux'"]
    assert step["shell"] == "sh"
    assert step["env"] == {"INPUT_PATH": "${{ inputs.path }}"}

    def evaluate(match: re.Match[str]) -> str:
        name, value, then, otherwise = match.groups()
        return then if inputs[name] != value else otherwise

    script = EXPRESSION.sub(evaluate, step["run"])
    assert "${{" not in script, "the pinned action changed: review its archive step"
    return str(script)


def pack(site: Path, inputs: dict[str, str], runner_temp: Path) -> set[str]:
    """Pack ``site`` with the action's tar command; return the files the archive holds."""
    runner_temp.mkdir(parents=True, exist_ok=True)
    environment = {"PATH": os.environ["PATH"], "INPUT_PATH": str(site)}
    environment["RUNNER_TEMP"] = str(runner_temp)
    subprocess.run(
        ["sh", "-c", archive_script(inputs)], env=environment, capture_output=True, check=True
    )
    with tarfile.open(runner_temp / "artifact.tar") as archive:
        return {m.name.removeprefix("./") for m in archive.getmembers() if m.isfile()}


def built_files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


@dataclass(frozen=True)
class Build:
    """A signed build of the example project for one address."""

    site: Path
    award_url: str


def build_for(workdir: Path, base_url: str) -> Build:
    """Build a signed copy of the example with the workflow's command, for ``base_url``."""
    root = copy_example(workdir / "project")
    secret, _ = add_new_key(root, EXAMPLE_DAY)
    site, outputs = workdir / "site", workdir / "outputs"
    environment = os.environ | {"BADGEPAGES_SIGNING_KEY": secret}
    environment |= {"SOURCE_DATE_EPOCH": EXAMPLE_EPOCH}
    subprocess.run(
        [str(BADGEPAGES), "-C", str(root), "build", "--base-url", base_url, "--out", str(site),
         "--require-signing", "--outputs", str(outputs)],
        env=environment, capture_output=True, check=True,
    )  # fmt: skip
    (line,) = outputs.read_text(encoding="utf-8").splitlines()
    return Build(site, line.removeprefix("award-url="))


def test_the_workflow_pins_the_copied_action_and_keeps_hidden_files() -> None:
    header = ACTION.read_text(encoding="utf-8")
    commit = re.search(r"^#   commit: +([0-9a-f]{40})$", header, re.M)
    assert commit is not None
    step = upload_step()
    assert step["uses"] == f"{ACTION_NAME}@{commit.group(1)}"
    # actionlint cannot read a version pinned by commit: the inputs are checked here.
    assert set(step["with"]) <= set(action()["inputs"])
    assert workflow_inputs()["include-hidden-files"] == "true"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    return {
        kind: build_for(tmp_path_factory.mktemp(kind), base_url)
        for kind, base_url in {
            "domain root": "https://badges.school.example/",
            "project path": "https://owner.github.io/badges/",
        }.items()
    }


@pytest.mark.parametrize(
    ("kind", "did_document"),
    [("domain root", ".well-known/did.json"), ("project path", "did.json")],
)
def test_the_artifact_holds_every_file_the_build_made(
    builds: dict[str, Build], kind: str, did_document: str, tmp_path: Path
) -> None:
    site = builds[kind].site
    archived = pack(site, workflow_inputs(), tmp_path / "runner")
    assert archived == built_files(site)
    assert {did_document, ".nojekyll"} <= archived


def test_without_hidden_files_a_domain_root_site_loses_its_did_document(
    builds: dict[str, Build], tmp_path: Path
) -> None:
    """What the action's default (and upload-pages-artifact v4) publishes: the test can fail."""
    site = builds["domain root"].site
    archived = pack(site, workflow_inputs() | {"include-hidden-files": "false"}, tmp_path)
    assert built_files(site) - archived == {".nojekyll", ".well-known/did.json"}


def test_the_example_names_its_earliest_valid_award_of_a_holder_who_consented(
    builds: dict[str, Build],
) -> None:
    # qxdizxbg2m6nxhgbnhd6 (Zoé, public: true) is the earliest valid one; thomas-nguyen's
    # award is older but he did not consent, and hugo-moreau's has expired.
    assert builds["project path"].award_url == (
        "https://owner.github.io/badges/awards/qxdizxbg2m6nxhgbnhd6/"
    )


# -- the post-deploy check over real HTTPS ---------------------------------------------------


@dataclass
class HttpsSite:
    """An HTTPS server on 127.0.0.1, named localhost, serving whichever folder ``root`` is."""

    port: int
    ca_file: Path
    root: Path

    @property
    def base_url(self) -> str:
        # did:web forbids IP addresses; localhost with a port is did:web:localhost%3APORT.
        return f"https://localhost:{self.port}/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output for the test."""


def _certificate_chain(folder: Path) -> tuple[Path, Path, Path]:
    """Write a throw-away certificate authority and a certificate for localhost it signed."""
    now = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    until = now + datetime.timedelta(days=365 * 100)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "badgepages test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


@pytest.fixture(scope="module")
def https_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsSite]:
    folder = tmp_path_factory.mktemp("https")
    ca_file, cert_file, key_file = _certificate_chain(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    site = HttpsSite(0, ca_file, folder)

    def handler(*args: Any) -> _QuietHandler:
        return _QuietHandler(*args, directory=str(site.root))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def https_build(https_site: HttpsSite, tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build_for(tmp_path_factory.mktemp("https-build"), https_site.base_url)


def publish(build: Build, inputs: dict[str, str], workdir: Path) -> Path:
    """Return a folder holding what GitHub would deploy: the artifact's files, unpacked."""
    pack(build.site, inputs, workdir)
    published = workdir / "published"
    with tarfile.open(workdir / "artifact.tar") as archive:
        archive.extractall(published, filter="data")
    return published


def verify(https_site: HttpsSite, award_url: str) -> tuple[int, list[str]]:
    """Run the workflow's post-deploy command, trusting the test's certificate authority."""
    environment = os.environ | {"SSL_CERT_FILE": str(https_site.ca_file)}
    environment |= {"no_proxy": "localhost", "NO_PROXY": "localhost"}  # straight to the server
    result = subprocess.run(
        [str(BADGEPAGES), "verify", award_url],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, (result.stdout + result.stderr).splitlines()


def test_the_post_deploy_check_passes_on_what_the_workflow_publishes(
    https_site: HttpsSite, https_build: Build, tmp_path: Path
) -> None:
    assert https_build.award_url == f"{https_site.base_url}awards/qxdizxbg2m6nxhgbnhd6/"
    https_site.root = publish(https_build, workflow_inputs(), tmp_path)
    status, lines = verify(https_site, https_build.award_url)
    assert status == 0
    assert lines[0].startswith("VALID: genuine, not revoked, not expired ")


def test_the_post_deploy_check_fails_when_the_did_document_is_not_published(
    https_site: HttpsSite, https_build: Build, tmp_path: Path
) -> None:
    https_site.root = publish(https_build, workflow_inputs() | {"include-hidden-files": "false"},
                              tmp_path)  # fmt: skip
    status, lines = verify(https_site, https_build.award_url)
    assert status == 1
    assert lines[0].startswith("NOT VERIFIED: ")
