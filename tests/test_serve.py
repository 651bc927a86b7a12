"""`badgepages serve`: builds, serves on 127.0.0.1, and rebuilds when a source changes."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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


def raw_status(port: int, target: bytes) -> int:
    """Send one request with a raw target; return the status the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        return int(sock.recv(64).split(b" ")[1])


def disconnect_mid_answer(port: int, path: str) -> None:
    """Ask for a file, then reset the connection before reading the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_serves_and_rebuilds_on_change(project: Project, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SOURCE_DATE_EPOCH": BUILD_EPOCH}
    command = [sys.executable, "-m", "badgepages", "-C", str(project.root), "serve"]
    log = tmp_path / "serve.log"
    with log.open("w", encoding="utf-8") as output:
        server = subprocess.Popen(
            [*command, "--port", str(port), "--out", str(tmp_path / "site")],
            env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    badge = project.root / "badges" / "civic.yaml"
    try:
        page = f"http://127.0.0.1:{port}/badges/civic/"
        wait_for(lambda: "Civique" in fetch(page))
        hostile = [
            b"/%00",
            b"/../../etc/passwd",
            b"/%2e%2e/%2e%2e/etc/passwd",
            b"/%ff",
            b"/awards/",
        ]
        hostile.append(b"/" + b"a" * 5000)
        assert [raw_status(port, target) for target in hostile] == [400, 400, 400, 404, 404, 404]
        for _ in range(50):
            disconnect_mid_answer(port, "/badges/civic/image.png")
        badge.write_text(badge.read_text().replace("Civique", "Citoyenneté"), encoding="utf-8")
        wait_for(lambda: "Citoyenneté" in fetch(page))
        badge.write_text(badge.read_text() + "colour: blue\n", encoding="utf-8")
        wait_for(lambda: "the preview still shows the previous build" in log.read_text())
        assert "Citoyenneté" in fetch(page)
    finally:
        server.terminate()
        server.wait(timeout=30)
    output_text = log.read_text(encoding="utf-8")
    assert f"serving the site at http://127.0.0.1:{port}/ (Ctrl-C to stop)" in output_text
    assert "change detected, rebuilding" in output_text
    assert "badges/civic.yaml:5:1: " in output_text
    assert "Traceback" not in output_text


def test_a_port_in_use_is_one_line(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        status, output = project.run(capsys, "serve", "--port", str(port))
    assert (status, output) == (
        1,
        f"error: cannot serve on 127.0.0.1 port {port}: Address already in use "
        "(choose another port with --port)\n",
    )


@pytest.mark.parametrize("port", ["65536", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        project.run(capsys, "serve", "--port", port)
    assert exit_info.value.code == 2
    assert f"argument --port: '{port}' is not a port: give a number up to 65535" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("command", ["check", "build", "serve"])
@pytest.mark.parametrize("jobs", ["0", "-2", "all"])
def test_a_number_of_cores_below_one_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str], command: str, jobs: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        project.run(capsys, command, "--jobs", jobs)
    assert exit_info.value.code == 2
    assert f"argument --jobs: '{jobs}' is not a number of cores: give 1 or more" in (
        capsys.readouterr().err
    )
