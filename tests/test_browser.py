"""The web editions and the release site in a real browser: headless Chromium, axe-core and
html-validate (installed by ``scripts/install.sh --test``)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

NODE = REPO / ".venv" / "node" / "node_modules"
AXE = NODE / "axe-core" / "axe.min.js"
HTML_VALIDATE = NODE / ".bin" / "html-validate"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTHS = (390, 1280)
INSTALL = "run 'bash scripts/install.sh --test' to install the browser test tools"


def _missing() -> list[str]:
    found = [p for p in (CHROMIUM, CHROMEDRIVER, str(AXE), str(HTML_VALIDATE))
             if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        found.append("selenium")
    return found


@pytest.fixture(scope="module")
def pages(shipped, tiny_built) -> dict[str, Path]:
    """The shipped report's web editions, and a released tiny report's landing and version page."""
    web, site = shipped.build("--format", "web"), tiny_built.release()
    found = {edition: next(web.glob(f"*-{edition}-v*.html"))
             for edition in ("clinician", "policymaker")}
    return {**found, "landing": site / "index.html", "version": site / "1.0.0" / "index.html",
            "tiny-web": site / "1.0.0" / "tiny-briefing-clinician-v1.0.0.html"}


@pytest.fixture(scope="module")
def browser():
    missing = _missing()
    if missing:
        pytest.fail(f"missing {', '.join(missing)}; {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def _axe(driver) -> list[dict]:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map(v => ({id: v.id, nodes: "
        "v.nodes.slice(0, 3).map(n => n.html)}))));")


def test_every_page_fits_the_screen_and_has_no_axe_violation(pages, browser, tmp_path):
    for name, path in pages.items():
        for width in WIDTHS:
            browser.set_window_size(width, 900)
            browser.get(path.as_uri())
            inner = browser.execute_script("return window.innerWidth")
            wide = browser.execute_script("return document.documentElement.scrollWidth")
            assert wide <= inner, (name, width, wide)  # nothing scrolls sideways on a phone
            shot = tmp_path / f"{name}-{width}.png"
            assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
            assert _axe(browser) == [], (name, width)


def test_a_web_edition_prints_without_navigation_or_running_text(pages, browser):
    browser.get(pages["clinician"].as_uri())
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {
        "displayHeaderFooter": False, "printBackground": False})["data"])
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert "Skip to the briefing" not in text and "How to cite and licence\n" in text
    assert "Contents" not in text  # the on-screen contents list is left out on paper
    assert text.count("Clinician edition · Version") == 1  # only the closing colophon


def test_html_validate_reports_no_error(pages, tmp_path):
    if not HTML_VALIDATE.exists():
        pytest.fail(f"missing {HTML_VALIDATE}; {INSTALL}")
    config = tmp_path / "htmlvalidate.json"
    config.write_text(json.dumps({"extends": ["html-validate:recommended"]}))
    result = subprocess.run([str(HTML_VALIDATE), "--config", str(config), "--formatter",
                             "json", *map(str, pages.values())], capture_output=True, text=True)
    problems = [(r["filePath"], m["ruleId"], m["message"])
                for r in json.loads(result.stdout or "[]") for m in r["messages"]]
    assert problems == [] and result.returncode == 0, problems or result.stderr


_STYLE = """
const colour = s => getComputedStyle(document.querySelector(s)).color;
const logo = document.querySelector('.masthead-logo');
const text = document.querySelector('.figure-art svg text');
const named = [...document.querySelectorAll('svg g[font-family]')]
  .flatMap(g => g.getAttribute('font-family').split(',').map(f => f.trim()));
return document.fonts.ready.then(() => ({
  ink: colour('body'), muted: colour('.kicker'),
  font: getComputedStyle(document.body).fontFamily.split(',')[0].replace(/"/g, ''),
  figure: text && getComputedStyle(text).fontFamily.split(',')[0].replace(/"/g, ''),
  logo: !!logo && logo.complete && logo.naturalWidth > 0,
  plate: logo && getComputedStyle(logo).backgroundColor,
  missing: named.filter(f => ![...document.fonts].some(
    face => face.family.replace(/"/g, '') === f && face.status === 'loaded')),
}));
"""


def _styles(driver, path: Path, scheme: str) -> dict:
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})
    driver.get(path.as_uri())
    return driver.execute_script(_STYLE)


def test_the_theme_holds_in_the_light_scheme_on_every_page(themed_release, browser):
    """Computed in the browser: the theme's colours, fonts and logo on the landing, version and
    edition pages; the dark scheme keeps its own readable colours and puts the logo on white."""
    folder = themed_release["folder"]
    found = {"landing": themed_release["out"] / "index.html", "version": folder / "index.html",
             **{e: folder / f"themed-briefing-{e}-v1.0.0.html" for e in ("clinician",
                                                                        "advocate")}}
    try:
        for name, path in found.items():
            light = _styles(browser, path, "light")
            assert light["ink"] == "rgb(43, 33, 24)" and light["muted"] == "rgb(90, 79, 69)", \
                (name, light)
            assert light["font"] == "Atkinson Hyperlegible" and light["logo"], (name, light)
            assert light["missing"] == [], (name, light)  # every font a figure names is here
            if name in ("clinician", "advocate"):
                assert light["figure"] == "Atkinson Hyperlegible", (name, light)
            assert _axe(browser) == [], name
            dark = _styles(browser, path, "dark")
            assert dark["ink"] == "rgb(231, 234, 238)", (name, dark)  # web.css's dark ink
            assert dark["plate"] == "rgb(255, 255, 255)" and dark["font"] == light["font"], \
                (name, dark)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
