"""Pages looked at in a real browser: headless Chromium, cut off from every host but this one.

`capture` loads a page twice in Chromium (`--headless`): once to save a screenshot, once to
dump the DOM after its scripts ran, which must contain the texts the page is expected to show.
Every host name except 127.0.0.1 resolves to nothing, so a page that needs the internet to
render its content fails the check instead of passing on a connected machine.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
WINDOW = "--window-size=1400,1000"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")  # Debian's package first
MISSING = (
    "no Chromium found: install Debian's package (`apt-get install chromium`, which "
    "`make stack-deps` does as root) or put chromium on PATH"
)


@dataclass(frozen=True)
class Page:
    """A page to look at: where it is, what to call its screenshot, what it must show."""

    name: str  # file name of the screenshot, without .png
    url: str
    expect: tuple[str, ...]  # texts the rendered page must contain
    wait_ms: int = 15_000  # virtual time the page's scripts get before the capture


@dataclass
class Capture:
    """What a page showed: its screenshot, and the expected texts it did not show."""

    page: Page
    png: Path
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if the page rendered every expected text."""
        return not self.missing and self.png.is_file()

    def as_dict(self) -> dict[str, object]:
        """Plain dict for the JSON summary."""
        return {"url": self.page.url, "png": str(self.png), "ok": self.ok, "missing": self.missing}


def browser() -> str:
    """The Chromium executable on PATH (FileNotFoundError: none, saying how to get one)."""
    found = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    if found is None:
        raise FileNotFoundError(MISSING)
    return found


def _run(args: list[str], timeout: float) -> str:
    # --no-sandbox: Chromium refuses to run as root with its sandbox (CI, containers)
    base = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    try:
        done = subprocess.run(
            [*base, OFFLINE, WINDOW, *args], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return ""  # nothing rendered in time: the page's checks fail, the others still run
    return done.stdout


def capture(page: Page, folder: Path, timeout: float = 120) -> Capture:
    """Screenshot `page` into `folder`/<name>.png and check its rendered text."""
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{page.name}.png"
    png.unlink(missing_ok=True)
    budget = f"--virtual-time-budget={page.wait_ms}"
    _run([budget, f"--screenshot={png}", page.url], timeout)
    text = visible_text(_run([budget, "--dump-dom", page.url], timeout))
    return Capture(page, png, [want for want in page.expect if want not in text])


def visible_text(dom: str) -> str:
    """The text of the rendered body: without the head, scripts and styles, whose text a page
    carries whether or not it rendered."""
    body = dom.split("<body", 1)[-1]
    body = re.sub(r"<(script|style|noscript|template)\b.*?</\1>", " ", body, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))
