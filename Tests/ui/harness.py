"""Shared helpers for the browser tests of the web UI (run by .ci/ui).

The tests drive a headless Debian Chromium (/usr/bin/chromium) through /usr/bin/chromedriver
with Selenium, against the `sluice serve` that .ci/ui started. Environment (set by .ci/ui):

    SLUICE_UI_BASE         the server's address, e.g. http://127.0.0.1:41234
    SLUICE_UI_SCREENSHOTS  where screenshot() writes its PNGs (artifacts/ui-screenshots)

A test module subclasses UITestCase, which gives each test a fresh browser in `self.driver`:

    from harness import UITestCase, api, base_url, screenshot, wait_for

    class WorkflowListTests(UITestCase):
        def test_lists_a_workflow(self):
            status, _ = api("POST", "/workflows", {...})
            self.assertEqual(status, 201)
            self.driver.get(base_url() + "/ui/")
            wait_for(self.driver, "#app h1", text="Workflows")
            screenshot(self.driver, "workflows")

A failed test leaves failure-<Class>.<test>.png (and .html, the page's DOM) in the screenshots
folder and prints the browser's console log.
"""

import json
import os
import re
import sys
import time
import unittest
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def base_url():
    """The server's address without a trailing slash (SLUICE_UI_BASE)."""
    base = os.environ.get("SLUICE_UI_BASE")
    if not base:
        raise RuntimeError("SLUICE_UI_BASE is not set: run the UI tests with .ci/ui")
    return base.rstrip("/")


def screenshots_dir():
    """SLUICE_UI_SCREENSHOTS (created if missing), or artifacts/ui-screenshots of the repository."""
    folder = os.environ.get("SLUICE_UI_SCREENSHOTS") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "artifacts", "ui-screenshots"
    )
    os.makedirs(folder, exist_ok=True)
    return folder


def new_driver(width=1280, height=800, dark=False):
    """A headless Chromium whose viewport (the page's innerWidth x innerHeight, and so its
    screenshots) is width x height, whose pages prefer the dark colour scheme when `dark` is true
    (and the light one otherwise), with its console log kept for `driver.get_log("browser")`.
    The caller quits it (UITestCase does)."""
    options = webdriver.ChromeOptions()
    # Explicit binary and driver paths: selenium-manager then never looks for (or downloads) one.
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-proxy-server",
        "--lang=en-US",
        "--hide-scrollbars",
        "--force-color-profile=srgb",
    ):
        options.add_argument(arg)
    if dark:
        # On bookworm's Chromium 156 each of --force-dark-mode, --blink-settings=
        # preferredColorScheme=0 and CDP's Emulation.setEmulatedMedia alone makes
        # `prefers-color-scheme: dark` match. The flag covers every tab (also ones a page opens);
        # the CDP call below states the scheme explicitly for this tab, light ones included.
        options.add_argument("--force-dark-mode")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
        )
        _fit_viewport(driver, width, height)
    except BaseException:
        driver.quit()
        raise
    return driver


_VIEWPORT = "return [window.innerWidth, window.innerHeight, window.outerWidth, window.outerHeight]"


def _fit_viewport(driver, width, height):
    """Makes the page's viewport (innerWidth x innerHeight, what screenshots show) width x height.
    Headless Chromium's --window-size is the outer size: it keeps ~140 px of simulated browser
    chrome above the page and a window at least 500 px wide, so the window is resized by the
    difference, and the viewport is emulated through CDP if that still does not fit."""
    inner_w, inner_h, outer_w, outer_h = driver.execute_script(_VIEWPORT)
    if (inner_w, inner_h) == (width, height):
        return
    driver.set_window_size(width + outer_w - inner_w, height + outer_h - inner_h)
    inner_w, inner_h, _, _ = driver.execute_script(_VIEWPORT)
    if (inner_w, inner_h) != (width, height):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )


def wait_until(driver, fn, timeout=10, message="condition not met"):
    """Calls fn(driver) until it returns something truthy and returns that; fails the test with
    `message` after `timeout` seconds. Stale element references count as not yet."""

    def attempt(d):
        try:
            return fn(d)
        except StaleElementReferenceException:
            return False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(attempt)
    except TimeoutException:
        raise AssertionError(f"after {timeout} s: {message}") from None


def click(driver, css, timeout=10, text=None):
    """Clicks the element `wait_for` finds. A live page may re-render it between finding and
    clicking (an event arrived); then it is found again and clicked, until `timeout`."""

    def attempt(d):
        try:
            wait_for(d, css, timeout=timeout, text=text).click()
            return True
        except StaleElementReferenceException:
            return False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(attempt)
    except TimeoutException:
        raise AssertionError(f"after {timeout} s {css!r} was still being re-rendered under every click") from None


def wait_for(driver, css, timeout=10, text=None):
    """The first element matching the CSS selector `css` that is displayed (and whose visible
    text contains `text`, if given), once there is one; fails the test after `timeout` s."""

    def find(d):
        for element in d.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed() and (text is None or text in element.text):
                return element
        return False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)).until(find)
    except TimeoutException:
        try:
            found = driver.find_elements(By.CSS_SELECTOR, css)
            seen = [(e.is_displayed(), e.text[:80]) for e in found[:5]]
        except WebDriverException:
            found, seen = [], []
        what = f"{css!r}" + (f" containing {text!r}" if text is not None else "")
        raise AssertionError(
            f"after {timeout} s no visible element {what} on {driver.current_url}; "
            f"{len(found)} match the selector (displayed, text): {seen}"
        ) from None


def screenshot(driver, name):
    """Saves the viewport as <SLUICE_UI_SCREENSHOTS>/<name>.png and returns the path."""
    path = os.path.join(screenshots_dir(), f"{name}.png")
    if not driver.save_screenshot(path):
        raise RuntimeError(f"could not save the screenshot {path}")
    return path


# No proxy from the environment: the server is on loopback (in CI inside a namespace that has
# nothing else).
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def api(method, path, body=None, headers=None, timeout=30):
    """One request to the server for a test's set-up: `body` (if not None) is sent as JSON.
    Returns (status, parsed JSON answer, or the text when it is not JSON, or None when empty);
    an HTTP error status is returned, not raised."""
    data = None
    all_headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    request = urllib.request.Request(base_url() + path, data=data, method=method, headers=all_headers)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    if not raw:
        return status, None
    text = raw.decode("utf-8", errors="replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class UITestCase(unittest.TestCase):
    """Gives each test a fresh headless Chromium in self.driver (of the class attributes
    window_width, window_height and dark). The browser is quit after tearDown (as a cleanup,
    so also when a subclass's setUp fails after this one's); when the test failed it first saves
    failure-<Class>.<test>.png and .html and prints the browser console log to stderr."""

    window_width = 1280
    window_height = 800
    dark = False

    def setUp(self):
        super().setUp()
        self.driver = new_driver(self.window_width, self.window_height, dark=self.dark)
        self.addCleanup(self._finish_driver)

    def _failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        if hasattr(outcome, "errors"):  # Python 3.10 and older
            return any(exc_info is not None for _, exc_info in outcome.errors)
        # Python 3.11 on: the result records each failure as it happens (outcome.success is no
        # help here: it is reset for each part, tearDown and every cleanup included).
        result = outcome.result
        recorded = list(getattr(result, "errors", [])) + list(getattr(result, "failures", []))
        return any(test is self or getattr(test, "test_case", None) is self for test, _ in recorded)

    def _finish_driver(self):
        driver = self.driver
        try:
            if self._failed():
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{type(self).__name__}.{self._testMethodName}")
                try:
                    path = screenshot(driver, f"failure-{name}")
                    with open(os.path.join(screenshots_dir(), f"failure-{name}.html"), "w", encoding="utf-8") as f:
                        f.write(driver.page_source)
                    print(f"\n{self.id()}: failure screenshot {path} (page at {driver.current_url})", file=sys.stderr)
                except WebDriverException as error:
                    print(f"\n{self.id()}: no failure screenshot: {error.msg}", file=sys.stderr)
                self.print_console_log()
        finally:
            driver.quit()

    def print_console_log(self):
        """Prints (and consumes) the browser console's messages so far to stderr."""
        try:
            entries = self.driver.get_log("browser")
        except WebDriverException as error:
            print(f"{self.id()}: no browser console log: {error.msg}", file=sys.stderr)
            return
        print(f"{self.id()}: browser console ({len(entries)} messages):", file=sys.stderr)
        for entry in entries:
            stamp = time.strftime("%H:%M:%S", time.localtime(entry.get("timestamp", 0) / 1000))
            print(f"  {stamp} {entry.get('level')} {entry.get('message')}", file=sys.stderr)
