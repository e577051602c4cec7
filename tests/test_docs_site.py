"""The built documentation site, opened in headless Chromium: the home page and a tutorial render, the tutorial
with its outputs and a plot.

`nox -s docs` builds the site and runs this with ``AUTOMM_DOCS_SITE`` naming it; elsewhere (the integration
session) there is no site to open and the test is skipped, saying so. Where Chromium is missing the test fails
with the install command instead of skipping: a docs check that quietly did not run would pass a broken site.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SITE = os.environ.get("AUTOMM_DOCS_SITE", "")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL = "sudo apt-get install -y chromium"

pytestmark = pytest.mark.skipif(not SITE, reason="no built site: `nox -s docs` builds one and sets AUTOMM_DOCS_SITE")


@pytest.fixture(scope="module")
def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        pytest.fail(f"headless Chromium is needed to check the documentation site; install it with `{INSTALL}`")
    return found


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    root = Path(SITE)
    assert (root / "index.html").is_file(), f"{root}/index.html is missing: build the site with `mkdocs build`"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def render(browser: str, url: str) -> str:
    """The page's DOM after Chromium has run its scripts."""
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "<html" in done.stdout, f"Chromium could not open {url}: {done.stderr[-2000:]}"
    return done.stdout


def test_home_page_renders(browser: str, site_url: str) -> None:
    dom = render(browser, f"{site_url}/")
    assert "<title>automm</title>" in dom
    assert "About these docs" in dom and "How they fit together" in dom
    assert 'href="tutorials/"' in dom and 'href="migration/"' in dom


def test_a_tutorial_renders_with_outputs_and_a_plot(browser: str, site_url: str) -> None:
    pages = sorted(Path(SITE).glob("tutorials/*/*/index.html"))
    assert pages, f"no tutorial pages under {SITE}/tutorials: did docs/execute.py run before mkdocs build?"
    preferred = [p for p in pages if p.parent.name == "document_classification"]
    page = (preferred or pages)[0].parent.relative_to(SITE).as_posix()
    dom = render(browser, f"{site_url}/{page}/")
    assert re.search(r"<h1[^>]*>[^<]*\w", dom), "the tutorial has no title"
    assert "jp-OutputArea-output" in dom, "the tutorial shows no cell output"
    assert re.search(r'<img[^>]+src="data:image/png;base64,', dom), "the tutorial shows no plot"
