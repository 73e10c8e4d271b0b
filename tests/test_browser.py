"""The HTML report in a real browser: headless Chromium through Selenium
opens the index and every seed's page, a page with a branch matrix (the
kernel-shaped story of tests/kernel_tree.py) and a page whose subject is
hostile, and checks what a reader sees. Screenshots are saved and their
paths printed (`-s`).

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian: chromium,
chromium-driver; .ci/run installs them) and the selenium package (the test
extra). Without them the test is skipped with the reason, unless
TRIAGE_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from triage.analysis import analyze
from triage.outfile import write_files
from triage.report.build import build_report
from triage.report.site import render_site

from .conftest import CORPUS, ROOT
from .kernel_tree import build
from .test_report import HOSTILE

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1400,1000")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install '.[test]')"
    for path in (CHROMIUM, DRIVER):
        if not (os.path.exists(path) or shutil.which(Path(path).name)):
            return f"{path} not found (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("TRIAGE_REQUIRE_BROWSER"):
            pytest.fail(f"browser test required but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER if os.path.exists(DRIVER) else shutil.which("chromedriver")),
                              options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The seeds, the story's fix with --repo (a branch matrix) and a hostile
    mail, rendered into one report directory."""
    root = tmp_path_factory.mktemp("browser")
    story = build(root)
    fix = root / "fix.patch"
    fix.write_text(story["fix_patch"])
    hostile = root / "hostile.eml"
    hostile.write_text(HOSTILE)
    with contextlib.chdir(ROOT):
        results = analyze(sorted(str(p.relative_to(ROOT)) for p in CORPUS.glob("*.txt")))
    results += analyze([str(fix)], repo_path=str(story["path"]))
    results += analyze([str(hostile)], behaviour=False)
    report = build_report(results)
    out = root / "report"
    write_files(out, render_site(report))
    return out, report


def _open(driver, path: Path):
    driver.get(path.as_uri())
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1400, min(height + 120, 8000))


def _visible(driver, css: str):
    from selenium.webdriver.common.by import By

    elements = driver.find_elements(By.CSS_SELECTOR, css)
    assert elements and all(e.is_displayed() for e in elements), f"{css} not visible on {driver.current_url}"
    return elements


def _no_console_errors(driver):
    """A CSP violation, a blocked load or a script error would be logged."""
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe


def test_index_and_seed_pages_show_verdict_symbols_matrix_and_timeline(browser, site):
    from selenium.webdriver.common.by import By

    out, report = site
    shots = out.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    _open(browser, out / "index.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "#patches tbody tr")
    assert len(rows) == len(report.patches) == 6
    assert [r.find_element(By.CSS_SELECTOR, "td:nth-child(4)").text for r in rows][0] in ("needed", "backport")
    browser.find_element(By.LINK_TEXT, "risk").click()  # sorting without a script: another page
    assert browser.current_url.endswith("index-risk-desc.html")
    _no_console_errors(browser)
    browser.save_screenshot(str(shots / "index.png"))

    by_input = {Path(p.input).name[:3]: p for p in report.patches}
    for key, p in by_input.items():
        _open(browser, out / p.page)
        verdict = _visible(browser, "#verdict .state")[0]
        assert verdict.text == p.assessment.verdict
        if key in ("000", "003", "fix"):
            table = _visible(browser, "table.symbols")[0]
            assert p.analysis.symbols[0].symbol in table.text
        if key in ("000", "fix"):  # a diff of their own: simulated, with a timeline
            svg = _visible(browser, "svg.timeline")[0]
            assert svg.size["width"] > 300 and svg.size["height"] > 200
            assert "before the patch" in svg.text and "after the patch" in svg.text
        if key in ("001", "002", "003"):  # no diff of their own: the mail's claims, never a simulation
            claims = _visible(browser, "ul.claims li")
            assert [c.text.split()[0] for c in claims] == [c.knob for c in p.analysis.behaviour.claims]
            assert browser.find_elements(By.CSS_SELECTOR, "svg.timeline") == []
        _visible(browser, "#checklist table")
        _visible(browser, "#blind li")
        _no_console_errors(browser)
        browser.save_screenshot(str(shots / f"{key}.png"))
        print(f"screenshot: {shots / (key + '.png')}")

    fix = by_input["fix"]
    _open(browser, out / fix.page)
    matrix = _visible(browser, "#matrix")[0]
    states = {row.find_element(By.CSS_SELECTOR, "td").text.split("\n")[0]:
              row.find_element(By.CSS_SELECTOR, "td:last-child .state").text
              for row in matrix.find_elements(By.CSS_SELECTOR, "tr")[1:]}
    assert states == {b.branch + (" (mainline)" if b.mainline else ""): b.verdict for b in fix.analysis.tree.branches}
    assert states["linux-5.15.y"] == "needs backport work" or states["linux-5.15.y"] in ("needed",)
    assert states["linux-6.6.y"] == "already fixed"


def test_hostile_subject_renders_as_inert_text(browser, site):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    out, report = site
    page = next(p for p in report.patches if p.input.endswith("hostile.eml"))
    _open(browser, out / page.page)
    title = browser.find_element(By.ID, "subject").text
    assert "<script>alert('subject')</script><img src=x onerror=alert(2)>" in title
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.execute_script("return document.title").startswith("[PATCH] <script>")
    _open(browser, out / "index.html")
    assert "<script>alert('subject')</script>" in browser.find_element(By.ID, "patches").text
    browser.save_screenshot(str(out.parent / "screenshots" / "hostile.png"))
