"""``report.html`` renders in a real browser (headless Chromium) and every image in it loads.

A small ``nnqft run`` writes a report with its figures; Chromium opens a copy of the report with
a few lines of JavaScript appended that, once the page has loaded, write the ``naturalWidth`` of
every ``<img>`` into the DOM, which ``--dump-dom`` prints. A broken image has ``naturalWidth``
0. Negative control: the same check on a page with a missing image must fail.

Chromium is the Debian package ``chromium`` (``apt-get install chromium``); where it is absent
the test is skipped with that reason (CI does not install it: the browser is ~300 MB).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from nnqft.experiments.config import parse_config
from nnqft.experiments.runner import run_experiment

from .helpers import small_config, to_toml

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((b for b in BROWSERS if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="headless Chromium not installed (Debian: apt-get install chromium)")

_PROBE = """
<script>
window.addEventListener("load", function () {
  var out = [];
  var imgs = document.getElementsByTagName("img");
  for (var i = 0; i < imgs.length; i++) {
    out.push({src: imgs[i].getAttribute("src"), width: imgs[i].naturalWidth,
              complete: imgs[i].complete});
  }
  var pre = document.createElement("pre");
  pre.id = "nnqft-image-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _image_report(html_path) -> list[dict]:
    """Load ``html_path`` in headless Chromium; the src, naturalWidth of every <img>."""
    probe = html_path.with_name(".render-check.html")
    probe.write_text(html_path.read_text().replace("</body>", _PROBE + "</body>"))
    try:
        proc = subprocess.run(
            [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom",
             probe.as_uri()],
            capture_output=True, text=True, timeout=120)
    finally:
        probe.unlink()
    m = re.search(r'<pre id="nnqft-image-check">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"no image report in Chromium's DOM (exit {proc.returncode}): {proc.stderr[-500:]}"
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "run"
    data = small_config(networks={"width": [5]}, sampling={"n_networks": 640})
    res = run_experiment(parse_config(data), to_toml(data), out, quiet=True)
    return res.directory


def test_report_html_renders_with_every_image(report):
    html = report / "report.html"
    images = _image_report(html)
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (report / "report.md").read_text())
    assert len(linked) >= 2  # the correlators and free-theory figures
    assert sorted(i["src"] for i in images) == sorted(linked)
    for i in images:
        assert i["complete"] and i["width"] > 0, f"image {i['src']} did not load"
        assert (report / i["src"]).with_suffix(".pdf").exists()  # PNG plus PDF


def test_the_check_sees_a_broken_image(report):
    """Negative control: a report whose image is missing fails the same check."""
    html = report / "broken.html"
    html.write_text(
        "<!DOCTYPE html><html><body><img src='figures/does-not-exist.png'></body></html>")
    try:
        images = _image_report(html)
    finally:
        html.unlink()
    assert len(images) == 1 and images[0]["width"] == 0
