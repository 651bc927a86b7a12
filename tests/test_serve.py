"""`badgepages serve`: builds, serves on 127.0.0.1, and rebuilds when a source changes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import BUILD_EPOCH, Project


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        text: str = response.read().decode("utf-8")
        return text


def wait_for(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the condition was not met in time")


def test_serves_and_rebuilds_on_change(project: Project, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SOURCE_DATE_EPOCH": BUILD_EPOCH}
    command = [sys.executable, "-m", "badgepages", "-C", str(project.root), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--out", str(tmp_path / "site")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        page = f"http://127.0.0.1:{port}/badges/civic/"
        wait_for(lambda: "Civique" in fetch(page))
        badge = project.root / "badges" / "civic.yaml"
        badge.write_text(badge.read_text().replace("Civique", "Citoyenneté"), encoding="utf-8")
        wait_for(lambda: "Citoyenneté" in fetch(page))
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert f"serving the site at http://127.0.0.1:{port}/" in output
    assert "change detected, rebuilding" in output
