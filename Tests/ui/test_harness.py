"""Smoke tests of the harness itself (harness.py, .ci/ui): a real page loads in the browser,
screenshots are written, the API helper reaches the server, and dark drivers prefer dark."""

import os
import unittest

from harness import UITestCase, api, base_url, new_driver, screenshot, screenshots_dir, wait_for, wait_until

PREFERS_DARK = "return window.matchMedia('(prefers-color-scheme: dark)').matches"


class HarnessTests(UITestCase):
    def test_docs_page_loads_and_is_screenshotted(self):
        self.driver.get(base_url() + "/docs")
        heading = wait_for(self.driver, "h1", text="Sluice HTTP API")
        self.assertEqual(heading.tag_name, "h1")
        self.assertEqual(self.driver.title, "Sluice HTTP API")
        # The page's script fetches /openapi.json and lists the operations: JavaScript ran.
        wait_until(
            self.driver,
            lambda d: d.execute_script("return document.querySelectorAll('details.op').length") > 10,
            timeout=10,
            message="the docs page listed no operations from /openapi.json",
        )
        path = screenshot(self.driver, "docs")
        self.assertTrue(os.path.getsize(path) > 1000, path)
        self.assertEqual(os.path.dirname(path), screenshots_dir())

    def test_viewport_is_the_window_size(self):
        self.driver.get(base_url() + "/docs")
        wait_for(self.driver, "h1")
        size = self.driver.execute_script("return [window.innerWidth, window.innerHeight]")
        self.assertEqual(size, [self.window_width, self.window_height])

    def test_api_helper(self):
        status, body = api("GET", "/healthz")
        self.assertEqual(status, 200, body)
        status, body = api("GET", "/workflows/no-such-workflow")
        self.assertEqual(status, 404, body)


class NarrowViewportTests(UITestCase):
    window_width = 390
    window_height = 844

    def test_phone_sized_viewport(self):
        self.driver.get(base_url() + "/docs")
        wait_for(self.driver, "h1", text="Sluice HTTP API")
        size = self.driver.execute_script("return [window.innerWidth, window.innerHeight]")
        self.assertEqual(size, [390, 844])
        screenshot(self.driver, "docs-narrow")


class ColorSchemeTests(unittest.TestCase):
    def check_scheme(self, dark):
        driver = new_driver(dark=dark)
        try:
            self.assertIs(driver.execute_script(PREFERS_DARK), dark, "before any page")
            driver.get(base_url() + "/docs")
            wait_for(driver, "details.op")
            self.assertIs(driver.execute_script(PREFERS_DARK), dark, "on /docs")
            self.assertIs(
                driver.execute_script("return window.matchMedia('(prefers-color-scheme: light)').matches"), not dark
            )
            screenshot(driver, "docs-dark" if dark else "docs-light")
        finally:
            driver.quit()

    def test_dark_driver_prefers_dark(self):
        self.check_scheme(dark=True)

    def test_light_driver_prefers_light(self):
        self.check_scheme(dark=False)


if __name__ == "__main__":
    unittest.main()
