"""Open the main job's ``index.html`` in headless Chromium and check that every image loads.

The report's inline script writes ``data-images-total`` / ``data-images-loaded`` on ``<body>``
after the page's load event; ``chromium --headless --dump-dom`` prints the DOM after it, and the
test parses those attributes. Skipped (with the reason) when no Chromium is installed; ``.ci/run``
installs Debian's ``chromium`` package so the test runs in CI.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from ibkit.cli import main

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((path for name in BROWSERS if (path := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no headless Chromium on PATH (install Debian's 'chromium' package to run this test)",
)


def _images(index) -> tuple[int, int]:
    """(total, loaded) images of ``index`` as the browser saw them."""
    done = subprocess.run(
        [BROWSER, "--headless", "--disable-gpu", "--no-sandbox", "--virtual-time-budget=10000",
         "--dump-dom", index.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body[^>]*>", done.stdout)
    assert body is not None, done.stdout[:2000]
    total = re.search(r'data-images-total="(\d+)"', body.group(0))
    loaded = re.search(r'data-images-loaded="(\d+)"', body.group(0))
    assert total and loaded, f"the report's load script did not run: {body.group(0)}"
    return int(total.group(1)), int(loaded.group(1))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser") / "figures"
    assert main(["figures", "--out", str(out), "--only", "fig2", "fig4", "--quiet"]) == 0
    return out


def test_every_image_of_the_report_loads_in_chromium(report):
    assert _images(report / "index.html") == (2, 2)


def test_a_missing_image_is_detected(report, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(report, copy)
    (copy / "fig4.png").unlink()
    assert _images(copy / "index.html") == (2, 1)
