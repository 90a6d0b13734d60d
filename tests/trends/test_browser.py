"""The digest page as a person sees it: rendered by headless Chromium (Debian's package,
installed by ``make test``). The screenshot is kept in ``artifacts/digest.png``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from trends.digest import build_digest
from trends.render import write_digest
from trends.schema import Digest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed: 'make test' installs Debian's chromium package"
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )


def _console_errors(stderr: str) -> list[str]:
    markers = ("Uncaught", "Failed to load resource", "ERR_", ":ERROR:CONSOLE")
    return [line for line in stderr.splitlines() if "CONSOLE" in line and any(m in line for m in markers)]


@pytest.fixture(scope="module")
def page(stream, tokenizer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Digest]:
    frame, _ = stream
    digest = build_digest(frame, "2022-W17", tokenizer)
    out = tmp_path_factory.mktemp("digest")
    write_digest(digest, out)
    return out / "digest.html", digest


def test_page_shows_topics_and_charts_without_console_errors(page, tmp_path: Path) -> None:
    html_path, digest = page
    result = _chromium(tmp_path, "--dump-dom", html_path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "Emerging this week" in dom and "Top topics by heat" in dom
    for topic in digest.topics[:5]:
        assert topic.label in dom
    assert dom.count("<svg") >= len(digest.topics) + 1  # one trend per topic, plus the weekly volume
    assert _console_errors(result.stderr) == []


def test_screenshot_is_kept(page, tmp_path: Path) -> None:
    html_path, _ = page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "digest.png"
    shot.unlink(missing_ok=True)
    result = _chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1280,2200", "--hide-scrollbars", html_path.as_uri()
    )
    assert result.returncode == 0 and shot.exists() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_console_check_catches_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>undefinedFunction()</script></body></html>", encoding="utf-8")
    result = _chromium(tmp_path, "--dump-dom", broken.as_uri())
    assert _console_errors(result.stderr), result.stderr[-2000:]
