"""otiose-serve in a real browser: Debian's chromium, driven by
chromium-driver through python3-selenium, headless, with no network but the
loopback server. It searches, opens a specimen, pastes a job ad, and runs
axe-core (injected from tests/web/node_modules, installed by
scripts/install-deps) on each page; screenshots of the four pages go to
build/web-screenshots/ for a person to look at."""

import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SOURCE

HEADINGS = 11
SEED = "senior-customer-service-manager"
AXE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_modules", "axe-core", "axe.min.js")
SHOTS = os.path.join(os.environ.get("OTIOSE_BINARY_DIR", os.path.join(SOURCE, "build")), "web-screenshots")


@pytest.fixture(scope="module")
def browser():
    for need in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        assert os.path.exists(need), need + " is missing: run scripts/install-deps"
    assert os.path.exists(AXE), AXE + " is missing: run scripts/install-deps"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-proxy-server", "--window-size=1280,1400", "--disable-extensions"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    os.makedirs(SHOTS, exist_ok=True)
    yield driver
    driver.quit()


def serious_violations(driver):
    """axe-core's serious and critical findings on the page shown."""
    with open(AXE, encoding="utf-8") as f:
        driver.execute_script(f.read())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations),"
        " e => done([{id: 'axe-error', impact: 'critical', description: String(e), nodes: []}]));")
    return [(v["id"], v["description"], [n.get("target") for n in v["nodes"]][:3])
            for v in result if v.get("impact") in ("serious", "critical")]


def test_search_open_a_specimen_and_match_an_ad(server, browser):
    base = "http://127.0.0.1:%d" % server.port
    wait = WebDriverWait(browser, 20)

    browser.get(base + "/")
    assert "The catalogue" in browser.title
    browser.save_screenshot(os.path.join(SHOTS, "home.png"))
    assert serious_violations(browser) == []

    box = browser.find_element(By.ID, "q")
    box.send_keys("strategic oversight")
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "li.hit")))
    marks = [m.text.lower() for m in browser.find_elements(By.TAG_NAME, "mark")]
    assert "strategic" in marks and "oversight" in marks
    hit = browser.find_element(By.CSS_SELECTOR, 'li.hit a.title[href="/specimen/%s"]' % SEED)
    browser.save_screenshot(os.path.join(SHOTS, "search.png"))
    assert serious_violations(browser) == []

    hit.click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.record")))
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".record-section > h2")]
    assert len(headings) == HEADINGS and headings[0].startswith("[01]") and headings[-1] == "[11] RELATED SPECIMENS"
    related = browser.find_elements(By.CSS_SELECTOR, ".record-section:last-of-type li.card")
    assert len(related) == 3
    assert all("SYSTEM MATCH:" in c.text for c in related)
    browser.save_screenshot(os.path.join(SHOTS, "specimen.png"))
    assert serious_violations(browser) == []

    browser.get(base + "/match")
    with open(os.path.join(SOURCE, "tests", "data", "pages", "seed-job-description.txt"), encoding="utf-8") as f:
        ad = f.read()
    area = browser.find_element(By.ID, "ad")
    # Pasted, not typed key by key: set the value as a paste would.
    browser.execute_script("arguments[0].value = arguments[1];", area, ad)
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "section.matches li.card")))
    first = browser.find_element(By.CSS_SELECTOR, "section.matches li.card strong")
    assert first.text == "Senior Customer Service Manager"
    browser.save_screenshot(os.path.join(SHOTS, "match.png"))
    assert serious_violations(browser) == []
