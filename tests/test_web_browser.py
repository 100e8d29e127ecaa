"""``ev-import serve`` in a real browser: Debian's headless Chromium driven by Selenium.

A server started with the CLI on a pool built from the shipped fixtures; the browser loads
every view, the numbers it shows are compared with the library functions' results, it
clicks from an event to its thing page, and every request it made (Chrome's performance
log: the DevTools network events) went to 127.0.0.1. A second server on a pool of hostile
records shows that no value runs as script, becomes markup or a link target.

Needs ``chromium`` and ``chromium-driver`` (Debian; ``scripts/ci/browser.sh`` installs them):
nothing is downloaded at test time. Without them the tests skip, except under CI=true, where
a missing browser fails them. ``EV_WEB_SCREENSHOTS=DIR`` saves a PNG of each view.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from web_helpers import (
    CONTROL,
    PAYLOADS,
    XSS_CLOSE,
    XSS_IMG,
    XSS_SCRIPT,
    build_fixture_pool,
    serve,
    write_hostile_pool,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the browser tests must run; "
                        "scripts/ci/browser.sh installs it)")
        pytest.skip(reason)


_need(all(Path(p).is_file() for p in (CHROMIUM, CHROMEDRIVER)),
      "Debian's chromium and chromium-driver are not installed (bash scripts/ci/browser.sh)")
try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - selenium is in the test extra
    _need(False, "selenium is not installed (pip install '.[test]')")

from importers.web.views import overview as overview_view  # noqa: E402
from importers.web.views._common import analysis  # noqa: E402

# The flags of a headless Chromium on a machine with no network: no background fetches,
# no component updates, no sync, no QUIC, a fresh profile.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000"]
SHOTS = os.environ.get("EV_WEB_SCREENSHOTS")


@pytest.fixture(scope="module")
def fixture_pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_pool(tmp_path_factory.mktemp("browser") / "pool")


@pytest.fixture(scope="module")
def server(fixture_pool: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(fixture_pool, cache_dir=tmp_path_factory.mktemp("cache")) as (url, _):
        yield url.rstrip("/")


@pytest.fixture(scope="module")
def pool(fixture_pool: Path):
    opened = analysis().open_pool(fixture_pool)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="ev-web-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    driver.requests_seen = []   # every URL the browser asked for, from the DevTools log
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def network_requests(driver: webdriver.Chrome) -> list[str]:
    """URLs of the requests made since the last call (Network.requestWillBeSent events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    driver.requests_seen.extend(urls)
    return urls


def load(driver: webdriver.Chrome, url: str, shot: str | None = None) -> None:
    driver.get(url)
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    plots = driver.find_elements(By.CSS_SELECTOR, "div.plot")
    if plots:  # Plotly (served by us) has drawn every chart
        WebDriverWait(driver, 60).until(lambda d: all(
            p.get_attribute("data-drawn") == "1"
            for p in d.find_elements(By.CSS_SELECTOR, "div.plot")))
    network_requests(driver)
    if SHOTS and shot:
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1400, min(max(height, 700), 3000))
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"{shot}.png"))
        driver.set_window_size(1400, 1000)


def number(driver: webdriver.Chrome, css: str) -> int:
    return int(driver.find_element(By.CSS_SELECTOR, css).text.replace(",", ""))


def local(url: str, server: str) -> bool:
    """A request that stays on this machine: to our server, or a browser-internal page
    (``data:``, ``about:``, ``chrome://`` resources of Chromium's own UI, never fetched)."""
    return url.startswith(server + "/") or url.split(":", 1)[0] in ("data", "about", "chrome")


def console_problems(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


# --- the views on the fixture pool --------------------------------------------------------

def test_overview_shows_the_exact_counts_of_the_library(browser, server, pool,
                                                        fixture_pool: Path) -> None:
    load(browser, server + "/", "overview")
    expected = overview_view.data(pool, overview_view.Params())
    lines = sum(len(p.read_bytes().splitlines()) for p in fixture_pool.rglob("*.jsonlog"))
    assert number(browser, "#total-records") == expected.total_records == lines
    assert number(browser, "#loaded-records") == pool.events().count()
    assert browser.find_element(By.CSS_SELECTOR, "#total-records").text == f"{lines:,}"
    shown = {td.get_attribute("data-source"): int(td.text.replace(",", ""))
             for td in browser.find_elements(By.CSS_SELECTOR, "#by-source td[data-source]")}
    counted = dict(pool.sql('SELECT coalesce("ev.source", \'\'), count(*) FROM events '
                            "GROUP BY 1").fetchall())
    assert shown == counted
    levels = {td.get_attribute("data-level"): int(td.text.replace(",", ""))
              for td in browser.find_elements(By.CSS_SELECTOR, "#by-level td[data-level]")}
    assert levels == dict(pool.sql("SELECT coalesce(levelname, ''), count(*) FROM events "
                                   "GROUP BY 1").fetchall())
    assert number(browser, "#unparsed-records") == pool.events(
        where={"ev.event": "unparsed"}).count()
    assert not console_problems(browser)


def test_events_filter_pages_and_clicks_through_to_a_thing(browser, server, pool) -> None:
    load(browser, server + "/events", "events")
    assert number(browser, "#match-count") == pool.events().count()
    # filter with the page's own GET form: the query lands in the URL
    field = browser.find_element(By.CSS_SELECTOR, 'input[name="where"][value=""]')
    field.send_keys("ev.event=task_launched")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 60).until(expected_conditions.url_contains("where="))
    assert ("where", "ev.event=task_launched") in parse_qsl(urlsplit(browser.current_url).query)
    expected = pool.events(where={"ev.event": "task_launched"}).count()
    assert number(browser, "#match-count") == expected > 0
    rows = browser.find_elements(By.CSS_SELECTOR, "#events tr.event")
    assert len(rows) == min(expected, 100)
    # expand the first event and click its task id
    rows[0].find_element(By.TAG_NAME, "summary").click()
    link = rows[0].find_element(By.CSS_SELECTOR, 'a[href^="/thing?parsl.task_id="]')
    task_id = link.text
    link.click()
    WebDriverWait(browser, 60).until(expected_conditions.url_contains("/thing?"))
    load(browser, browser.current_url, "thing")
    assert parse_qsl(urlsplit(browser.current_url).query) == [("parsl.task_id", task_id)]
    assert number(browser, "#thing-events") == pool.events(
        where={"parsl.task_id": int(task_id)}).count()
    lifetime = analysis().lifetimes(pool.events(where={"parsl.task_id": int(task_id)}),
                                    thing=["parsl.task_id"]).iloc[0]
    assert browser.find_element(By.CSS_SELECTOR, "#thing-duration").text == \
        f"{lifetime['duration']:,.3f}"
    # every event of the thing, its formatted line as text
    lines = browser.find_elements(By.CSS_SELECTOR, "#thing-lines td.formatted")
    assert lines and all(line.text for line in lines)
    assert browser.find_elements(By.CSS_SELECTOR, "#neighbours a")


def test_timeline_draws_things_and_concurrency_from_the_library(browser, server, pool) -> None:
    keys = ["parsl.run_id", "parsl.task_id"]
    load(browser, server + "/timeline?thing=parsl.run_id%2Cparsl.task_id"
         "&color=parsl.task_status_name", "timeline")
    lifetimes = analysis().lifetimes(pool.events(has=tuple(keys)), thing=keys)
    assert number(browser, "#thing-count") == len(lifetimes)
    assert number(browser, "#max-concurrency") == analysis().concurrency(lifetimes).max
    bars = browser.find_elements(By.CSS_SELECTOR, "#timeline-plot g.point")
    assert len(bars) == len(lifetimes)      # one bar per task
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline-plot .scatterlayer path.js-line")
    legend = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "#timeline-plot .legendtext")}
    assert {"exec_done", "failed"} <= legend
    # a row of the table opens the thing page of that task (both keys in the URL)
    first = browser.find_element(By.CSS_SELECTOR, "#things-table a.thing-link")
    first.click()
    WebDriverWait(browser, 60).until(expected_conditions.url_contains("/thing?"))
    assert [k for k, _ in parse_qsl(urlsplit(browser.current_url).query)] == keys
    assert number(browser, "#thing-events") > 0


def test_durations_show_the_percentiles_of_the_library(browser, server, pool) -> None:
    load(browser, server + "/durations?thing=academy.message_tag", "durations")
    lifetimes = analysis().lifetimes(pool.events(has=("academy.message_tag",)),
                                     thing=["academy.message_tag"])
    stats = analysis().durations(lifetimes, bins=20)
    assert number(browser, "#duration-count") == stats.count > 0
    for name, value in stats.percentiles.items():
        cell = browser.find_element(By.CSS_SELECTOR, f'td[data-percentile="{name}"]')
        assert cell.text == f"{value:,.3f}"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#durations-plot g.point")) == 20


def test_breakdown_shows_the_library_answer(browser, server, pool) -> None:
    load(browser, server + "/breakdown", "breakdown")
    breakdown = getattr(analysis(), "breakdown", None)
    if breakdown is None:
        assert "no breakdown function" in browser.find_element(By.CSS_SELECTOR, ".error").text
        return
    sections = browser.find_elements(By.CSS_SELECTOR, "section.run")
    assert sections
    for section in sections:
        cells = section.find_elements(By.CSS_SELECTOR, "td[data-phase]")
        if not cells:
            continue
        run = section.find_element(By.CSS_SELECTOR, "h2 a").text
        expected = breakdown(pool, run=run).to_dict()
        shown = {c.get_attribute("data-phase"): c.text for c in cells}
        assert shown == {p["phase"]: f"{p['seconds']:,.3f}" for p in expected["phases"]}


def test_every_view_and_the_overview_links_work_from_the_nav(browser, server) -> None:
    load(browser, server + "/")
    for name in ["Breakdown", "Timeline", "Events", "Durations", "Thing", "Overview"]:
        browser.find_element(By.LINK_TEXT, name).click()
        WebDriverWait(browser, 60).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        assert browser.find_element(By.TAG_NAME, "h1").text
        network_requests(browser)
    load(browser, server + "/thing", "thing-form")
    assert not console_problems(browser)


def test_the_browser_asked_only_the_local_server(browser, server) -> None:
    network_requests(browser)
    seen = browser.requests_seen
    assert len(seen) > 10
    assert [u for u in seen if not local(u, server)] == []


# --- hostile content -------------------------------------------------------------------

def test_hostile_values_never_run_and_show_as_text(browser, tmp_path: Path) -> None:
    pool = write_hostile_pool(tmp_path / "hostile")
    urls = ["/", "/events", "/events?where=evil.thing%3D" + "%3C%2Fscript%3E",
            "/thing?linux.pid=4242", "/timeline?thing=evil.thing&color=evil.colour",
            "/timeline?thing=evil.thing&color=ev.event", "/durations?thing=evil.thing"]
    with serve(pool, cache_dir=tmp_path / "cache") as (url, _):
        base = url.rstrip("/")
        for i, path in enumerate(urls):
            load(browser, base + path, f"hostile-{i}")
            for details in browser.find_elements(By.TAG_NAME, "details"):
                browser.execute_script("arguments[0].open = true", details)
            time.sleep(0.2)
            with pytest.raises(NoAlertPresentException):
                browser.switch_to.alert.text   # noqa: B018 - raises when no alert is open
            assert browser.execute_script("return window.__xss") is None, path
            # no element the payloads would create exists
            assert not browser.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
            hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME,
                                                                                  "a")]
            assert not [h for h in hrefs if not h.startswith(base + "/")], path
        # shown as text, as typed
        load(browser, base + "/events")
        for details in browser.find_elements(By.TAG_NAME, "details"):
            browser.execute_script("arguments[0].open = true", details)
        text = browser.find_element(By.TAG_NAME, "body").text
        for payload in (XSS_SCRIPT, XSS_IMG, XSS_CLOSE):
            assert payload in text
        assert "␛[31mred␛[0m" in text and CONTROL not in text
        load(browser, base + "/timeline?thing=evil.thing&color=evil.colour")
        svg = browser.find_element(By.CSS_SELECTOR, "#timeline-plot svg.main-svg")
        assert not svg.find_elements(By.CSS_SELECTOR, "a")   # Plotly made no link of a label
        legend = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".legendtext"))
        assert '<a href="https://example.org/">plotly link</a>' in legend
    assert all(p not in " ".join(browser.requests_seen) for p in PAYLOADS)
    assert not [u for u in browser.requests_seen
                if not re.match(r"(http://127\.0\.0\.1:\d+/|data:|about:|chrome:)", u)]
