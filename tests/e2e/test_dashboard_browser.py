"""The dashboard in a real headless Chromium over the demo's data.

`shadowdiff demo` fills a SQLite store from the shipped capture; the API and
dashboard are served by uvicorn on a free loopback port, as `shadowdiff serve`
serves them; Selenium drives Debian's Chromium through chromedriver. Each view
is saved as a screenshot under the test's tmp dir, and the paths are printed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from click.testing import CliRunner
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

import storage
from api import ApiConfig, create_app
from services.chromium import Chromium
from shadowdiff.cli import main
from storage.runs import list_runs
from storage.signature_report import signature_report
from storage.timeseries import timeseries

pytestmark = pytest.mark.e2e

TOKEN = "browser-token-0123456789abcdef"
WAIT_S = 30


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    result = CliRunner().invoke(main, ["demo", "--db", url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(demo_db: str) -> Iterator[str]:
    engine = storage.connect(demo_db)
    port = _free_port()
    config = uvicorn.Config(
        create_app(ApiConfig(engine=engine, tokens=(TOKEN,))),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(chromium: Chromium) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium.browser)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(chromium.driver)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(browser: WebDriver, folder: Path, name: str) -> Path:
    path = folder / f"dashboard-{name}.png"
    assert browser.save_screenshot(str(path)), f"no screenshot of {name}"
    print(f"screenshot: {path}")
    return path


def _wait(browser: WebDriver, css: str) -> Any:
    try:
        return WebDriverWait(browser, WAIT_S).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, css))
        )
    except TimeoutException as error:
        logs = browser.get_log("browser")
        text = browser.find_element(By.TAG_NAME, "body").text
        raise AssertionError(
            f"{css} never appeared; page: {text[:500]!r}; console: {logs}"
        ) from error


_PAINTED = """
const canvas = arguments[0];
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let painted = 0;
for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
return painted;
"""


def test_dashboard_views_show_the_cli_numbers(
    server: str, browser: WebDriver, demo_db: str, tmp_path: Path
) -> None:
    engine = storage.connect(demo_db)
    report = storage.mismatch_report(engine)
    browser.get(server + "/")
    _wait(browser, "#token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    # The token now lives in a cookie no script on the page can read.
    assert TOKEN not in browser.execute_script("return document.cookie")

    # Endpoints: one row per endpoint, the CLI's figures in each.
    _wait(browser, "#endpoints tbody tr")
    rows = browser.find_elements(By.CSS_SELECTOR, "#endpoints tbody tr")
    shown = {
        row.get_attribute("data-endpoint"): (
            int(row.find_element(By.CSS_SELECTOR, ".total").text),
            int(row.find_element(By.CSS_SELECTOR, ".mismatches").text),
            row.find_element(By.CSS_SELECTOR, ".rate").text,
        )
        for row in rows
    }
    assert shown == {
        e.endpoint: (e.total, e.mismatches, f"{e.mismatch_rate:.1%}") for e in report.endpoints
    }
    rates = [float(v[2].rstrip("%")) for v in shown.values()]
    assert rates == sorted(rates, reverse=True)  # ranked by mismatch rate
    # Each endpoint's readiness over the whole run is the CLI's verdict.
    (whole,) = list_runs(engine)
    assert whole.first_minute is not None and whole.end is not None
    seconds = int((whole.end - whole.first_minute).total_seconds())
    judged = _cli_json(
        "readiness", "--db", demo_db, "--until", whole.end.isoformat(), "--window", f"{seconds}s"
    )
    verdicts = {
        row.get_attribute("data-endpoint"): row.find_element(By.CSS_SELECTOR, ".verdict").text
        for row in rows
    }
    assert verdicts == {
        r["endpoint"]: "ready" if r["verdict"] == "ready" else "not ready"
        for r in judged["endpoints"]
    }
    _shot(browser, tmp_path, "endpoints")

    # One endpoint: its chart drawn, its summary the series' own figures.
    worst = max(report.endpoints, key=lambda e: (e.mismatch_rate, e.total))
    browser.find_element(By.LINK_TEXT, worst.endpoint).click()
    canvas = _wait(browser, ".charts canvas")
    assert browser.execute_script(_PAINTED, canvas) > 0, "the chart canvas is blank"
    summary = browser.find_element(By.ID, "summary")
    (run,) = list_runs(engine)
    assert run.first_minute is not None and run.end is not None
    step = summary.text.rsplit("buckets of ", 1)[1]
    series = timeseries(
        engine, since=run.first_minute, until=run.end, step=step, endpoint=worst.endpoint
    )
    buckets = series.series[0].buckets
    assert int(summary.get_attribute("data-total") or -1) == sum(b.total for b in buckets)
    assert int(summary.get_attribute("data-mismatches") or -1) == worst.mismatches
    assert summary.text.startswith(f"{worst.total} requests, {worst.mismatches} mismatches")
    _shot(browser, tmp_path, "endpoint")

    # Its mismatching requests, a page at a time: "more" follows next_page_token to the end.
    assert worst.mismatches > 10, "the demo's worst endpoint no longer fills two pages"
    while browser.find_elements(By.ID, "more"):
        shown_rows = len(browser.find_elements(By.CSS_SELECTOR, "#comparisons tbody tr"))
        browser.find_element(By.ID, "more").click()
        WebDriverWait(browser, WAIT_S).until(
            lambda b, n=shown_rows: (
                len(b.find_elements(By.CSS_SELECTOR, "#comparisons tbody tr")) > n
            )
        )
    listed = browser.find_elements(By.CSS_SELECTOR, "#comparisons tbody tr")
    assert len(listed) == worst.mismatches

    # Its most frequent signature: the CLI's count, and its examples' paths marked.
    top = signature_report(engine, endpoint=worst.endpoint, since=run.first_minute, until=run.end)
    first = top.signatures[0]
    browser.find_element(By.CSS_SELECTOR, "#signatures tbody a").click()
    assert int(_wait(browser, "#count").text) == first.count
    marked = browser.find_elements(By.CSS_SELECTOR, "article tr.diff mark.diff-path")
    assert marked, "the signature's examples show no differences"
    _shot(browser, tmp_path, "signature")
    browser.back()

    # One comparison: each differing path highlighted, on both sides and in the table.
    assert worst.examples, "the demo's worst endpoint has no example to open"
    link = _wait(browser, "#comparisons tbody a")
    request_id = link.text
    link.click()
    _wait(browser, "tr.diff mark.diff-path")
    detail = storage.comparison_detail(engine, request_id)
    assert detail is not None
    marked = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "tr.diff mark.diff-path")]
    assert marked == [d.path for d in detail.differences]
    for side in ("primary", "candidate"):
        paths = browser.find_elements(By.CSS_SELECTOR, f"pre.{side} mark.diff-path")
        assert sorted(m.get_attribute("data-path") for m in paths) == sorted(marked)
    background = browser.execute_script(
        "return getComputedStyle(arguments[0]).backgroundColor",
        browser.find_element(By.CSS_SELECTOR, "tr.diff mark.diff-path"),
    )
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    _shot(browser, tmp_path, "comparison")
    engine.dispose()


def test_the_alerts_view_lists_the_cli_alerts(
    server: str, browser: WebDriver, demo_db: str, tmp_path: Path
) -> None:
    _sign_in(browser, server)
    cli = _cli_json("alerts", "--db", demo_db)["alerts"]
    assert cli, "the demo raised no alert: nothing to show"
    _wait(browser, "#nav-alerts").click()
    _wait(browser, "#alerts tbody tr")
    rows = browser.find_elements(By.CSS_SELECTOR, "#alerts tbody tr")
    assert [r.get_attribute("data-alert") for r in rows] == [a["id"] for a in cli]
    assert [r.find_element(By.CSS_SELECTOR, ".state").text for r in rows] == [
        a["state"] for a in cli
    ]
    examples = rows[0].find_elements(By.CSS_SELECTOR, "td:last-child a code")
    assert [e.text for e in examples] == cli[0]["examples"]
    _shot(browser, tmp_path, "alerts")


def _sign_in(browser: WebDriver, server: str) -> None:
    browser.get(server + "/healthz")
    browser.delete_all_cookies()
    browser.get(server + "/")
    _wait(browser, "#token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#login button").click()


def _cli_json(*args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


def test_signing_out_and_a_wrong_token_are_asked_again(server: str, browser: WebDriver) -> None:
    _sign_in(browser, server)
    _wait(browser, "#signout button").click()
    _wait(browser, "#token").send_keys("not-the-token-at-all")
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    # The sign-in posts and the page is replaced: an element found mid-way goes stale.
    WebDriverWait(
        browser,
        WAIT_S,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    ).until(lambda b: "refused" in b.find_element(By.ID, "login-error").text)
    assert browser.find_elements(By.CSS_SELECTOR, "#endpoints") == []
