"""Browser tests of the Schedules card of a workflow's page (run by .ci/ui).

A person creates a schedule from the form (a mistake is shown next to the field it is about),
sees its next fire time, pauses, resumes and deletes it, and follows an interval schedule's
fire history to the execution it started.
"""

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import UITestCase, api, base_url, click, screenshot, wait_for, wait_until
from test_ui import set_value


def create_workflow():
    status, answer = api("POST", "/workflows", {
        "name": f"scheduled {uuid.uuid4().hex[:6]}",
        "steps": [{"type": "TextOperation.Uppercase"}],
    })
    assert status == 201, f"creating the workflow answered {status}: {answer}"
    return answer["workflow_id"]


class ScheduleTests(UITestCase):
    def open(self, workflow_id):
        self.driver.get(f"{base_url()}/ui/workflows/{workflow_id}")
        wait_for(self.driver, "#schedules h2", text="Schedules")
        wait_for(self.driver, "#no-schedules")

    def test_a_cron_schedule_is_created_with_a_mistake_shown_at_its_field_then_paused_resumed_and_deleted(self):
        workflow_id = create_workflow()
        self.open(workflow_id)
        d = self.driver
        set_value(d, wait_for(d, "#schedule-cron"), "0 25 * * *")
        set_value(d, wait_for(d, "#schedule-time-zone"), "Europe/Berlin")
        set_value(d, wait_for(d, "#schedule-input"), '{"text": "hi"}')
        click(d, "#schedule-create")
        error = wait_for(d, "#schedule-cron-error")
        self.assertIn("hour", error.text, "the server's problem is shown under the cron field")
        self.assertEqual(wait_for(d, "#schedule-cron").get_attribute("aria-invalid"), "true")

        set_value(d, wait_for(d, "#schedule-cron"), "0 9 * * MON-FRI")
        click(d, "#schedule-create")
        row = wait_for(d, "#schedule-list tr[data-schedule]", text="0 9 * * MON-FRI (Europe/Berlin)")
        self.assertNotIn("none ahead", row.text, "its next fire time is shown")
        status, answer = api("GET", f"/workflows/{workflow_id}/schedules")
        self.assertEqual(status, 200)
        self.assertEqual([s["input"] for s in answer["schedules"]], [{"text": "hi"}])
        screenshot(d, "schedules")

        click(d, "#schedule-list button.pause-resume", text="Pause")
        wait_for(d, "#schedule-list .next-fire .pill", text="paused")
        self.assertTrue(api("GET", f"/workflows/{workflow_id}/schedules")[1]["schedules"][0]["paused"])
        click(d, "#schedule-list button.pause-resume", text="Resume")
        wait_until(d, lambda dr: not dr.find_elements(By.CSS_SELECTOR, "#schedule-list .next-fire .pill"), message="the schedule is active again")

        click(d, "#schedule-list button.delete-schedule")
        d.switch_to.alert.accept()
        wait_for(d, "#no-schedules")
        self.assertEqual(api("GET", f"/workflows/{workflow_id}/schedules")[1]["schedules"], [])

    def test_an_interval_schedules_history_links_to_the_execution_it_started(self):
        workflow_id = create_workflow()
        self.open(workflow_id)
        d = self.driver
        Select(wait_for(d, "#schedule-kind")).select_by_value("interval")
        self.assertFalse(d.find_element(By.CSS_SELECTOR, "#schedule-cron").is_displayed(), "an interval has no cron field")
        set_value(d, wait_for(d, "#schedule-interval"), "1")
        set_value(d, wait_for(d, "#schedule-input"), '{"text": "tick"}')
        click(d, "#schedule-create")
        wait_for(d, "#schedule-list tr[data-schedule]", text="every 1 s")
        status, answer = api("GET", f"/workflows/{workflow_id}/schedules")
        schedule_id = answer["schedules"][0]["schedule_id"]
        # The server fires it within about a second; then its history shows the execution.
        wait_until(d, lambda _: api("GET", f"/workflows/{workflow_id}/schedules/{schedule_id}/fires")[1]["fires"], timeout=15, message="the schedule fired")
        click(d, "#schedule-list details.fire-history summary")
        link = wait_for(d, "#schedule-list .fires li[data-outcome=fired] a")
        execution_id = link.text
        link.click()
        wait_for(d, "#app h1", text=execution_id)
        api("DELETE", f"/workflows/{workflow_id}/schedules/{schedule_id}")
