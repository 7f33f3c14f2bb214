"""Browser tests of the web UI (/ui), run by .ci/ui against a live `sluice serve`.

Each test drives headless Chromium through the pages a person would use and checks what they
would see; set-up that is not what the test is about goes through the API (harness.api).
"""

import json
import os
import random
import re
import time
import unittest
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import UITestCase, api, base_url, click, new_driver, screenshot, wait_for, wait_until


def unique(name):
    return f"{name} {uuid.uuid4().hex[:6]}"


def create_workflow(definition):
    status, answer = api("POST", "/workflows", definition)
    assert status == 201, f"creating the workflow answered {status}: {answer}"
    return answer["workflow_id"]


def start(workflow_id, input_=None):
    status, answer = api("POST", f"/workflows/{workflow_id}/execute", {"input": input_ or {}})
    assert status == 202, f"starting an execution answered {status}: {answer}"
    return answer["execution_id"]


def set_value(driver, element, text):
    """Replaces a field's text as typing would (fires input events)."""
    element.click()
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def task_statuses(driver):
    """Each task row's status, read in one script so that a re-render between rows (an event
    arrived) cannot leave a stale element half-way; tests also call it to build messages."""
    return driver.execute_script(
        "const out = {}; for (const r of document.querySelectorAll('#tasks tr.task-row'))"
        " out[r.getAttribute('data-task')] = r.getAttribute('data-status'); return out;"
    )


# Counts what a page does, installed before any of its scripts runs (instrument()): each fetch()
# (url, method, when) and the intervals set and not cleared.
INSTRUMENT = """
window.__fetches = [];
const originalFetch = window.fetch;
window.fetch = function (input, init) {
  window.__fetches.push({url: String((input && input.url) || input), method: (init && init.method) || 'GET', at: performance.now()});
  return originalFetch.apply(this, arguments);
};
window.__intervals = new Map();
const originalSetInterval = window.setInterval, originalClearInterval = window.clearInterval;
window.setInterval = function (fn, ms, ...rest) { const id = originalSetInterval.call(window, fn, ms, ...rest); window.__intervals.set(id, ms); return id; };
window.clearInterval = function (id) { window.__intervals.delete(id); return originalClearInterval.call(window, id); };
"""

# An event stream that never works: each EventSource fails at once and is closed for good, as when
# a proxy answers the stream with an error.
BROKEN_EVENT_STREAM = """
window.__eventSources = 0;
window.EventSource = class {
  constructor(url) {
    window.__eventSources++;
    this.url = url; this.readyState = 0;
    setTimeout(() => { this.readyState = 2; if (this.onerror) this.onerror(new Event('error')); }, 50);
  }
  addEventListener() {}
  close() { this.readyState = 2; }
};
window.EventSource.CONNECTING = 0; window.EventSource.OPEN = 1; window.EventSource.CLOSED = 2;
"""


def instrument(driver, *extra):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "\n".join((INSTRUMENT,) + extra)})


def execution_reads(driver, execution_id):
    """How many times the page has fetched GET /executions/{id} so far."""
    return driver.execute_script(
        "return window.__fetches.filter((f) => f.method === 'GET' && f.url.endsWith('/executions/' + arguments[0])).length", execution_id)


def json_or_none(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def parse_iso(text):
    """Seconds since the epoch of an RFC 3339 time as the API writes it (UTC, "Z")."""
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def parse_duration(text):
    """Milliseconds from dom.js's duration(): "850 ms", "4.1 s", "12 s", "2 min 5 s", "1 h 3 min"."""
    text = text.strip()
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)\s*(ms|s|min|h|d)\b", text):
        total += float(number) * {"ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}[unit]
    if not re.search(r"[0-9]", text):
        raise ValueError(f"not a duration: {text!r}")
    return total


def node_statuses(driver):
    """Each graph node's status, read in one script (see task_statuses)."""
    return driver.execute_script(
        "const out = {}; for (const n of document.querySelectorAll('svg.graph g.node'))"
        " out[n.getAttribute('data-task')] = n.getAttribute('data-status'); return out;"
    )


class CreateAndRunTests(UITestCase):
    def test_a_workflow_created_in_the_editor_runs_from_its_form_and_its_tasks_turn_completed_live(self):
        d = self.driver
        name = unique("ui shout")
        d.get(base_url() + "/ui/new")
        set_value(d, wait_for(d, "#wf-name"), name)
        definition = {"steps": [
            {"type": "TextOperation.Uppercase"},
            {"id": "wait", "type": "Delay", "input": {"seconds": 1.5}},
            {"type": "Echo"},
        ]}
        set_value(d, wait_for(d, "#wf-definition"), json.dumps(definition, indent=2))
        # The preview draws the checked graph while typing: three nodes.
        wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#preview svg.graph g.node")) == 3,
                   message="the preview did not draw the three steps")
        click(d, "#create-workflow")

        wait_until(d, lambda d: "/ui/workflows/wf-" in d.current_url, message="not on the new workflow's page")
        wait_for(d, "h1", text=name)
        # The graph shows the chain with the type on each edge.
        labels = [e.text for e in d.find_elements(By.CSS_SELECTOR, "svg.graph .edge-label text")]
        self.assertEqual(labels, ["text", "text"])
        screenshot(d, "workflow")

        set_value(d, wait_for(d, "#input-text"), "hello ui")
        d.find_element(By.CSS_SELECTOR, ".input-form button[type=submit]").click()

        wait_until(d, lambda d: "/ui/executions/ex-" in d.current_url, message="not on the execution's page")
        wait_for(d, "#execution-status")
        d.execute_script("window.__noReload = 'still here'")
        # The Delay keeps the execution running for 1.5 s: the page first shows it unfinished...
        wait_until(d, lambda d: node_statuses(d).get("wait") in ("RUNNING", "PENDING"),
                   message=f"the Delay task was never seen unfinished: {node_statuses(d)}")
        # ...then every task turns COMPLETED from the event stream, without a reload.
        wait_until(d, lambda d: set(task_statuses(d).values()) == {"COMPLETED"}, timeout=20,
                   message=f"the tasks did not all turn COMPLETED: {task_statuses(d)}")
        wait_until(d, lambda d: set(node_statuses(d).values()) == {"COMPLETED"},
                   message=f"the graph did not turn COMPLETED: {node_statuses(d)}")
        wait_for(d, "#execution-status", text="COMPLETED")
        self.assertEqual(d.execute_script("return window.__noReload"), "still here", "the page was reloaded")
        self.assertIn("HELLO UI", wait_for(d, "#execution-output").text)
        wait_for(d, "#progress-text", text="3 of 3 tasks finished")
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#timeline .track .bar")), 3)
        wait_for(d, "#live-indicator", text="Finished")
        # Times are in the browser's zone with the UTC value on hover.
        created = d.find_element(By.CSS_SELECTOR, ".meta time")
        self.assertTrue(created.get_attribute("title").endswith("(UTC)"), created.get_attribute("title"))
        # A task's details: its input, output and log.
        d.find_element(By.CSS_SELECTOR, 'tr[data-task="step-1"] .task-toggle').click()
        details = wait_for(d, '[data-task-details="step-1"]')
        self.assertIn('"hello ui"', details.find_element(By.CSS_SELECTOR, '[data-part="input"]').text)
        self.assertIn('"HELLO UI"', details.find_element(By.CSS_SELECTOR, '[data-part="output"]').text)
        screenshot(d, "execution")


class EditTests(UITestCase):
    def test_an_edit_is_stored_as_the_next_version_and_keeps_the_timeout_and_input_schema(self):
        d = self.driver
        schema = {"type": "object", "properties": {"text": {"type": "string", "maxLength": 10}}, "required": ["text"]}
        wf = create_workflow({"name": unique("editable"), "description": "first", "timeout_seconds": 60,
                              "input_schema": schema, "steps": [{"type": "TextOperation.Reverse"}]})
        d.get(f"{base_url()}/ui/workflows/{wf}")
        click(d, "#edit-workflow")
        wait_until(d, lambda d: d.current_url.endswith(f"/ui/workflows/{wf}/edit"), message="Edit did not open the editor")
        editor = wait_for(d, "#wf-definition")
        definition = json.loads(editor.get_attribute("value"))
        self.assertEqual(definition, {"timeout_seconds": 60, "input_schema": schema, "steps": [{"type": "TextOperation.Reverse"}]},
                         "the editor starts from the definition as sent, without name and description")
        definition["steps"].append({"type": "Echo"})
        set_value(d, editor, json.dumps(definition))
        wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#preview svg.graph g.node")) == 2, message="the preview did not show the new step")
        click(d, "#save-workflow", text="version 2")
        wait_until(d, lambda d: d.current_url.endswith(f"/ui/workflows/{wf}"), message="not back on the workflow page")
        wait_for(d, ".meta .pill", text="v2")
        wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.graph g.node")) == 2, message="the page does not show version 2's graph")
        status, stored = api("GET", f"/workflows/{wf}")
        self.assertEqual((stored["version"], stored["description"], stored["timeout_seconds"]), (2, "first", 60))
        self.assertEqual(stored["input_schema"]["properties"]["text"].get("maxLength"), 10)

    def test_an_edit_of_a_version_that_is_no_longer_the_latest_stores_nothing_and_says_why(self):
        d = self.driver
        definition = {"name": unique("contested"), "steps": [{"type": "TextOperation.Reverse"}]}
        wf = create_workflow(definition)
        d.get(f"{base_url()}/ui/workflows/{wf}/edit")
        wait_for(d, "#save-workflow", text="version 2")
        status, _ = api("PUT", f"/workflows/{wf}", {**definition, "description": "someone else"})
        self.assertEqual(status, 200)
        d.find_element(By.CSS_SELECTOR, "#save-workflow").click()
        wait_for(d, "#editor-error", text="Nothing was stored")
        status, stored = api("GET", f"/workflows/{wf}")
        self.assertEqual((stored["version"], stored["description"]), (2, "someone else"))


class OpenByIDTests(UITestCase):
    def test_a_pasted_execution_id_opens_that_execution(self):
        d = self.driver
        wf = create_workflow({"name": unique("paste"), "steps": [{"type": "StaticTextInput", "input": "abc"}, {"type": "Echo"}]})
        ex = start(wf)
        d.get(base_url() + "/ui")
        box = wait_for(d, "#goto-id")
        box.send_keys(f"  {ex} ")
        box.send_keys(Keys.ENTER)
        wait_until(d, lambda d: d.current_url.endswith(f"/ui/executions/{ex}"), message=f"not on {ex}'s page: {d.current_url}")
        wait_for(d, "#execution-id", text=ex)
        wait_for(d, "#execution-status", text="COMPLETED")

    def test_an_unknown_execution_id_says_it_is_not_found_and_what_to_do(self):
        d = self.driver
        d.get(base_url() + "/ui/executions/ex-doesnotexist")
        wait_for(d, "h1", text="Execution not found")
        self.assertIn("ex-doesnotexist", d.find_element(By.CSS_SELECTOR, "main").text)

    def test_an_execution_page_opened_directly_loads_without_the_list(self):
        d = self.driver
        wf = create_workflow({"name": unique("direct"), "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "TextOperation.Reverse"}]})
        ex = start(wf)
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_for(d, "#execution-status", text="COMPLETED")
        click(d, "#workflow-link")
        wait_until(d, lambda d: d.current_url.endswith(f"/ui/workflows/{wf}"), message="the workflow link did not lead to it")
        wait_for(d, f'#executions tr[data-execution="{ex}"]')


class ValidationTests(UITestCase):
    def test_an_input_out_of_range_is_shown_next_to_its_field_before_anything_is_sent(self):
        d = self.driver
        wf = create_workflow({
            "name": unique("bounded"),
            "input_schema": {"type": "object", "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 5}}, "required": ["count"]},
            "steps": [{"type": "Echo"}],
        })
        d.get(f"{base_url()}/ui/workflows/{wf}")
        set_value(d, wait_for(d, "#input-count"), "9")
        d.find_element(By.CSS_SELECTOR, ".input-form button[type=submit]").click()
        error = wait_for(d, "#input-count-error")
        self.assertIn("expected a number <= 5", error.text)
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#input-count").get_attribute("aria-invalid"), "true")
        status, page = api("GET", f"/workflows/{wf}/executions")
        self.assertEqual(page["executions"], [], "an invalid input was sent anyway")

    def test_the_servers_input_error_is_shown_next_to_the_field_it_names(self):
        # The page was loaded for version 1; version 2 narrows `count` meanwhile, so the form's
        # own checks pass and the server's 400 (`input.count`) must land next to that field.
        d = self.driver
        schema = {"type": "object", "properties": {"count": {"type": "integer"}, "note": {"type": "string"}}, "required": ["count"]}
        definition = {"name": unique("narrowed"), "input_schema": schema, "steps": [{"type": "Echo"}]}
        wf = create_workflow(definition)
        d.get(f"{base_url()}/ui/workflows/{wf}")
        field = wait_for(d, "#input-count")
        schema["properties"]["count"]["maximum"] = 5
        status, _ = api("PUT", f"/workflows/{wf}", definition)
        self.assertEqual(status, 200)
        set_value(d, field, "9")
        d.find_element(By.CSS_SELECTOR, ".input-form button[type=submit]").click()
        error = wait_for(d, "#input-count-error")
        self.assertIn("<= 5", error.text)
        self.assertFalse(d.find_element(By.CSS_SELECTOR, "#input-note-error").is_displayed())
        screenshot(d, "input-error")

    def test_a_definition_problem_from_the_server_is_shown_under_the_definition_with_its_path(self):
        d = self.driver
        d.get(base_url() + "/ui/new")
        set_value(d, wait_for(d, "#wf-name"), unique("broken"))
        set_value(d, wait_for(d, "#wf-definition"), json.dumps({"steps": [{"type": "TextOperation.Reverse"}, {"type": "NoSuchStep"}]}))
        error = wait_for(d, "#wf-definition-error", text="steps[1].type")
        self.assertIn("NoSuchStep", error.text)
        click(d, "#create-workflow")
        wait_for(d, "#wf-definition-error", text="steps[1].type")
        self.assertFalse(d.find_element(By.CSS_SELECTOR, "#wf-name-error").is_displayed())
        self.assertIn("/ui/new", d.current_url)

    def test_a_blank_name_is_shown_under_the_name(self):
        d = self.driver
        d.get(base_url() + "/ui/new")
        click(d, "#create-workflow")
        wait_for(d, "#wf-name-error", text="name")
        self.assertEqual(d.switch_to.active_element.get_attribute("id"), "wf-name")

    def test_the_forms_checks_find_the_same_problems_as_the_server(self):
        # The client-side checks mirror the server's: for each input, the paths the browser's
        # validate() reports are the paths of the server's 400 (or both find none).
        schema = {"type": "object", "additionalProperties": False, "required": ["name", "size"], "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 5},
            "size": {"type": "integer", "minimum": 1, "maximum": 10},
            "mode": {"enum": ["fast", "slow"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "flag": {"type": "boolean"},
        }}
        wf = create_workflow({"name": unique("mirror"), "input_schema": schema, "steps": [{"type": "Echo"}]})
        inputs = [
            {"name": "ok", "size": 3},
            {},
            {"name": "x", "size": 0},
            {"name": "toolong", "size": 11},
            {"name": "ok", "size": 2.5},
            {"name": "ok", "size": 2, "mode": "medium"},
            {"name": "ok", "size": 2, "tags": ["a", 3, None]},
            {"name": "ok", "size": 2, "flag": "yes"},
            {"name": "ok", "size": 2, "extra": 1},
            {"name": 5, "size": "3"},
            {"name": "äöü", "size": 1},
        ]
        d = self.driver
        d.get(base_url() + "/ui")
        wait_for(d, "h1")
        client = d.execute_async_script("""
            const [schema, inputs, done] = arguments;
            import('/ui/assets/schema-form.js').then((m) => done(inputs.map((i) => m.validate(i, schema, 'input').map((e) => e.path).sort())));
        """, schema, inputs)
        for value, client_paths in zip(inputs, client):
            status, answer = api("POST", f"/workflows/{wf}/execute", {"input": value})
            server_paths = sorted(e["path"] for e in answer["errors"]) if status == 400 else []
            self.assertIn(status, (202, 400), answer)
            self.assertEqual(client_paths, server_paths, f"input {value}")


class CancelTests(UITestCase):
    def test_a_running_delay_is_cancelled_from_its_page(self):
        d = self.driver
        wf = create_workflow({"name": unique("nightly report"), "tasks": [
            {"id": "fetch", "type": "StaticTextInput", "input": "a quiet night"},
            {"id": "length", "type": "TextOperation.Length", "depends_on": ["fetch"]},
            {"id": "shout", "type": "TextOperation.Uppercase", "depends_on": ["fetch"]},
            {"id": "nap", "type": "Delay", "input": {"seconds": 600}, "depends_on": ["fetch"]},
            {"id": "report", "type": "Echo", "depends_on": ["length", "shout", "nap"]}]})
        ex = start(wf)
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "RUNNING", message=f"the Delay never ran: {task_statuses(d)}")
        wait_until(d, lambda d: task_statuses(d).get("shout") == "COMPLETED", message=f"the other branches did not finish: {task_statuses(d)}")
        wait_for(d, "#live-indicator", text="Live")
        screenshot(d, "execution-running")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#retry-button"), [])
        # Cancel asks first; "Keep it running" (focused, the default) leaves it running.
        click(d, "#cancel-button")
        confirm = wait_for(d, "#cancel-confirm", text="Cancel this execution?")
        self.assertIn("1 running task is stopped", confirm.text)
        self.assertEqual(d.switch_to.active_element.get_attribute("id"), "cancel-keep")
        time.sleep(0.5)
        self.assertEqual(api("GET", f"/executions/{ex}")[1]["status"], "RUNNING", "Cancel cancelled without asking")
        d.switch_to.active_element.click()
        wait_until(d, lambda d: not d.find_element(By.CSS_SELECTOR, "#cancel-confirm").is_displayed(), message="Keep it running did not close the question")
        self.assertEqual(api("GET", f"/executions/{ex}")[1]["status"], "RUNNING")
        click(d, "#cancel-button")
        click(d, "#cancel-confirm-button", text="Cancel the execution")
        wait_for(d, "#execution-status", text="CANCELLED")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "CANCELLED", message=f"the Delay task is not CANCELLED: {task_statuses(d)}")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#cancel-button"), [], "Cancel is still offered")
        wait_for(d, "#retry-button")
        status, execution = api("GET", f"/executions/{ex}")
        self.assertEqual(execution["status"], "CANCELLED")
        screenshot(d, "execution-cancelled")

    def test_an_event_arriving_keeps_the_focused_action_button_in_place(self):
        d = self.driver
        wf = create_workflow({"name": unique("focus"), "tasks": [
            {"id": "nap", "type": "Delay", "input": {"seconds": 600}},
            {"id": "blink", "type": "Delay", "input": {"seconds": 1}}]})
        ex = start(wf)
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "RUNNING", message=f"the Delay never ran: {task_statuses(d)}")
        button = wait_for(d, "#cancel-button")
        d.execute_script("arguments[0].focus()", button)
        # blink's completion arrives as an event and re-draws the page around the button.
        wait_until(d, lambda d: task_statuses(d).get("blink") == "COMPLETED", message=f"blink did not complete: {task_statuses(d)}")
        self.assertEqual(d.switch_to.active_element.get_attribute("id"), "cancel-button", "the event replaced the focused Cancel button")
        self.assertEqual(d.execute_script("return arguments[0].isConnected", button), True)
        api("POST", f"/workflows/{wf}/executions/{ex}/cancel")

    def test_retrying_a_cancelled_delay_runs_it_again_and_keeps_the_cancelled_attempt(self):
        d = self.driver
        wf = create_workflow({"name": unique("pause"), "tasks": [{"id": "nap", "type": "Delay", "input": {"seconds": 600}}]})
        ex = start(wf)
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "RUNNING", message=f"the Delay never ran: {task_statuses(d)}")
        self.assertEqual(api("POST", f"/workflows/{wf}/executions/{ex}/cancel")[0], 200)
        wait_for(d, "#execution-status", text="CANCELLED")
        click(d, "#retry-button")
        wait_for(d, "#execution-status", text="RUNNING")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "RUNNING", message=f"the retried Delay is not running: {task_statuses(d)}")
        wait_until(d, lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-task="nap"] td[data-label="Attempt"]').text.strip().endswith("2"), message="the retried Delay is not attempt 2")
        # The Delay waits its full duration again: it wakes 600 s after the retry, not at the
        # first run's wake time.
        task = api("GET", f"/workflows/{wf}/executions/{ex}")[1]["tasks"][0]
        self.assertGreaterEqual(parse_iso(task["wakes_at"]) - parse_iso(task["started_at"]), 599.9, task)
        click(d, 'tr[data-task="nap"] .task-toggle')
        attempts = lambda d: d.find_elements(By.CSS_SELECTOR, '[data-task-details="nap"] [data-part="attempts"] li')
        wait_until(d, lambda d: len(attempts(d)) == 1, message="the cancelled attempt is not listed")
        self.assertEqual(attempts(d)[0].get_attribute("data-kind"), "cancelled")
        self.assertIn("attempt 1", attempts(d)[0].text)
        self.assertIn("cancelled", attempts(d)[0].text)
        self.assertIn("Earlier attempts", d.find_element(By.CSS_SELECTOR, '[data-task-details="nap"]').text)
        api("POST", f"/workflows/{wf}/executions/{ex}/cancel")

    def test_retry_runs_a_failed_execution_again_and_the_page_follows_it(self):
        d = self.driver
        wf = create_workflow({"name": unique("flaky"), "steps": [
            {"type": "StaticTextInput", "input": "x"}, {"id": "boom", "type": "Fail", "input": {"message": "no luck"}}]})
        ex = start(wf)
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_for(d, "#execution-status", text="FAILED")
        wait_for(d, "#execution-error", text="no luck")
        d.find_element(By.CSS_SELECTOR, 'tr[data-task="boom"] .task-toggle').click()
        attempts = lambda d: d.find_elements(By.CSS_SELECTOR, '[data-task-details="boom"] [data-part="attempts"] li')
        wait_until(d, lambda d: len(attempts(d)) == 1, message="the failed attempt is not listed")
        click(d, "#retry-button")
        # It fails again (Fail always fails): the page shows the second failed attempt.
        wait_until(d, lambda d: len(attempts(d)) == 2, message="the retried run's failed attempt did not show")
        self.assertIn("no luck", attempts(d)[1].text)
        wait_for(d, "#execution-status", text="FAILED")
        wait_for(d, "#retry-button")


class ExecutionListTests(UITestCase):
    def test_the_workflows_executions_are_filtered_by_status_and_paged(self):
        d = self.driver
        wf = create_workflow({
            "name": unique("sometimes fails"),
            "input_schema": {"type": "object", "properties": {"fail": {"type": "boolean"}}, "required": ["fail"]},
            "tasks": [
                {"id": "start", "type": "Echo"},
                {"id": "boom", "type": "Fail", "input": {"message": "asked to"}, "depends_on": ["start"], "when": "input.fail == true"}]})
        failed = {start(wf, {"fail": True}) for _ in range(3)}
        completed = {start(wf, {"fail": False}) for _ in range(22)}
        wait_until(d, lambda d: all(api("GET", f"/executions/{e}")[1]["status"] in ("COMPLETED", "FAILED") for e in failed | completed),
                   timeout=20, message="the executions did not finish")
        shown = lambda d: [r.get_attribute("data-execution") for r in d.find_elements(By.CSS_SELECTOR, "#executions tbody tr")]
        d.get(f"{base_url()}/ui/workflows/{wf}")
        wait_until(d, lambda d: len(shown(d)) == 20, message="the first page does not show 20 executions")
        d.find_element(By.CSS_SELECTOR, '[data-status-filter="FAILED"]').click()
        wait_until(d, lambda d: set(shown(d)) == failed, message="the FAILED filter does not show exactly the failed executions")
        self.assertIn("status=FAILED", d.current_url)
        d.find_element(By.CSS_SELECTOR, '[data-status-filter="ALL"]').click()
        wait_until(d, lambda d: len(shown(d)) == 20, message="All did not bring the first page back")
        first = shown(d)
        click(d, ".pager button", text="Older")
        wait_until(d, lambda d: len(shown(d)) == 5, message="the second page does not show the remaining 5")
        self.assertEqual(set(first) | set(shown(d)), failed | completed, "the two pages do not hold every execution once")
        click(d, ".pager button", text="Newer")
        wait_until(d, lambda d: shown(d) == first, message="Newer did not lead back to the first page")


class SubworkflowTests(UITestCase):
    def test_a_workflow_run_tasks_log_links_to_the_child_execution(self):
        d = self.driver
        child = create_workflow({"name": unique("child"), "steps": [{"type": "TextOperation.Reverse"}, {"type": "Echo"}]})
        parent = create_workflow({"name": unique("parent"), "steps": [
            {"type": "StaticTextInput", "input": "abc"},
            {"id": "run", "type": "Workflow.Run", "input": {"workflow_id": child}}]})
        ex = start(parent)
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_for(d, "#execution-status", text="COMPLETED")
        d.find_element(By.CSS_SELECTOR, 'tr[data-task="run"] .task-toggle').click()
        link = wait_for(d, '[data-task-details="run"] [data-part="logs"] a')
        child_ex = link.text
        self.assertTrue(child_ex.startswith("ex-") and child_ex != ex, child_ex)
        link.click()
        wait_until(d, lambda d: d.current_url.endswith(f"/ui/executions/{child_ex}"), message=f"the link did not open {child_ex}")
        wait_for(d, "#execution-status", text="COMPLETED")
        self.assertIn('"cba"', wait_for(d, "#execution-output").text)


class ListTests(UITestCase):
    def test_the_list_shows_each_workflows_steps_and_search_narrows_it_by_name(self):
        d = self.driver
        tag = uuid.uuid4().hex[:6]
        chain = create_workflow({"name": f"alpha {tag}", "steps": [{"type": "StaticTextInput", "input": "a"}, {"type": "TextOperation.Length"}]})
        dag = create_workflow({"name": f"beta {tag}", "tasks": [
            {"id": "src", "type": "StaticTextInput", "input": "abc"},
            {"id": "len", "type": "TextOperation.Length", "depends_on": ["src"]},
            {"id": "up", "type": "TextOperation.Uppercase", "depends_on": ["src"]},
            {"id": "out", "type": "Echo", "depends_on": ["len", "up"]}]})
        d.get(base_url() + "/")
        wait_until(d, lambda d: d.current_url.rstrip("/").endswith("/ui"), message=f"/ did not lead to /ui: {d.current_url}")
        row = wait_for(d, f'tr[data-workflow="{dag}"]')
        wait_until(d, lambda d: len(row.find_elements(By.CSS_SELECTOR, ".chip")) == 4, message="the DAG's steps were not shown")
        # Steps that run side by side are separated by "·", as README shows them.
        groups = [g.text.split() for g in row.find_elements(By.CSS_SELECTOR, ".shape-group")]
        self.assertEqual(groups, [["StaticTextInput"], ["TextOperation.Length", "·", "TextOperation.Uppercase"], ["Echo"]])
        search = wait_for(d, "#workflow-search")
        search.send_keys(f"alpha {tag}")
        wait_until(d, lambda d: [r.get_attribute("data-workflow") for r in d.find_elements(By.CSS_SELECTOR, "tr[data-workflow]")] == [chain],
                   message="the search did not narrow the list to the matching workflow")
        screenshot(d, "workflows")
        search.send_keys(" nothing-matches")
        wait_for(d, "#workflow-list", text="Clear the search")


class LayoutTests(UITestCase):
    def test_a_narrow_dark_screen_shows_the_execution_page_without_sideways_scrolling(self):
        wf = create_workflow({"name": unique("narrow"), "tasks": [
            {"id": "src", "type": "StaticTextInput", "input": "abc"},
            {"id": "len", "type": "TextOperation.Length", "depends_on": ["src"]},
            {"id": "up", "type": "TextOperation.Uppercase", "depends_on": ["src"]},
            {"id": "out", "type": "Echo", "depends_on": ["len", "up"]}]})
        ex = start(wf)
        d = new_driver(width=390, height=844, dark=True)
        try:
            d.get(f"{base_url()}/ui/executions/{ex}")
            wait_for(d, "#execution-status", text="COMPLETED")
            wait_until(d, lambda d: d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
                       message="the page is wider than a 390 px screen")
            background = d.execute_script("return getComputedStyle(document.body).backgroundColor")
            rgb = [int(x) for x in background[background.index("(") + 1:background.index(")")].split(",")[:3]]
            self.assertLess(sum(rgb) / 3, 60, f"the dark scheme was not used: {background}")
            screenshot(d, "execution-narrow-dark")
        finally:
            d.quit()

    def test_the_api_docs_page_fits_a_narrow_dark_screen_and_links_to_the_ui(self):
        d = new_driver(width=390, height=844, dark=True)
        try:
            d.get(base_url() + "/docs")
            wait_for(d, "details.op", timeout=15)
            wait_until(d, lambda d: d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
                       message="/docs is wider than a 390 px screen")
            background = d.execute_script("return getComputedStyle(document.body).backgroundColor")
            self.assertEqual(background, "rgb(15, 18, 22)", "/docs did not use the dark scheme")
            screenshot(d, "docs-narrow-dark")
            d.find_element(By.CSS_SELECTOR, "a.ui-link").click()
            wait_until(d, lambda d: d.current_url.rstrip("/").endswith("/ui"), message="the docs' link did not lead to /ui")
        finally:
            d.quit()

    def test_status_badges_and_text_are_readable_in_light_and_dark(self):
        # Every status badge and the page's text against what is behind it: 4.5:1 or more (WCAG AA
        # for small text), in both colour schemes.
        wf = create_workflow({"name": unique("contrast"), "tasks": [
            {"id": "src", "type": "StaticTextInput", "input": "abc"},
            {"id": "boom", "type": "Fail", "input": {"message": "x"}, "depends_on": ["src"]},
            {"id": "after", "type": "Echo", "depends_on": ["boom"]},
            {"id": "nap", "type": "Delay", "input": {"seconds": 600}, "depends_on": ["src"]},
            {"id": "later", "type": "Echo", "depends_on": ["nap"]}]})
        ex = start(wf)
        contrast = """
            const lum = (c) => { const [r, g, b] = c.match(/[0-9.]+/g).slice(0, 3).map(Number).map((v) => {
                v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
              return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
            const background = (el) => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor;
              if (!/rgba\(.*, 0\)$/.test(c) && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
            const ratio = (el) => { const a = lum(getComputedStyle(el).color), b = lum(background(el));
              return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
            const items = [...document.querySelectorAll('.badge, h1, .meta, td, .legend li')];
            return items.map((el) => [el.className || el.tagName, el.textContent.slice(0, 30), Math.round(ratio(el) * 100) / 100]);
        """
        for dark in (False, True):
            d = new_driver(dark=dark)
            try:
                d.get(f"{base_url()}/ui/executions/{ex}")
                wait_until(d, lambda d: task_statuses(d).get("nap") == "RUNNING" and task_statuses(d).get("after") == "SKIPPED",
                           message=f"the statuses to check did not all show: {task_statuses(d)}")
                results = d.execute_script(contrast)
                statuses = {r[1] for r in results if "badge" in r[0]}
                self.assertTrue({"COMPLETED", "FAILED", "SKIPPED", "RUNNING", "PENDING"} <= statuses, statuses)
                low = [r for r in results if r[2] < 4.5]
                self.assertEqual(low, [], f"text below 4.5:1 in the {'dark' if dark else 'light'} scheme")
            finally:
                d.quit()
        api("POST", f"/workflows/{wf}/executions/{ex}/cancel")

    def test_a_task_can_be_opened_from_the_graph_with_the_keyboard(self):
        wf = create_workflow({"name": unique("keys"), "steps": [{"type": "StaticTextInput", "input": "k"}, {"type": "TextOperation.Reverse"}]})
        ex = start(wf)
        d = self.driver
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_for(d, "#execution-status", text="COMPLETED")
        body = d.find_element(By.TAG_NAME, "body")
        for _ in range(60):
            active = d.switch_to.active_element
            if active.get_attribute("data-task") == "step-2":
                break
            active.send_keys(Keys.TAB)
        else:
            self.fail("Tab never reached the graph node step-2")
        d.switch_to.active_element.send_keys(Keys.ENTER)
        details = wait_for(d, '[data-task-details="step-2"]')
        self.assertIn('"k"', details.find_element(By.CSS_SELECTOR, '[data-part="output"]').text)


# What a drawn graph must look like, checked in the page on the screen's pixels (after the SVG's
# scale): edges run around the boxes of the tasks they pass (sampled every 2 px along each path),
# each edge starts on its source's box and ends, arrowhead and all, on its own target's box
# (approaching from outside), no edge label lies on a task box or on another label, and no two
# task boxes overlap. Answers {problems: [...], edges: [[from, to]...], nodes: n}.
GRAPH_GEOMETRY = """
const svg = arguments[0];
const problems = [];
const boxes = new Map([...svg.querySelectorAll('g.node')].map((g) => [g.dataset.task, g.querySelector('.node-box').getBoundingClientRect()]));
const inside = (p, r, inset) => p.x > r.left + inset && p.x < r.right - inset && p.y > r.top + inset && p.y < r.bottom - inset;
const onBox = (p, r, tol) => p.x >= r.left - tol && p.x <= r.right + tol && p.y >= r.top - tol && p.y <= r.bottom + tol && !inside(p, r, tol);
const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
const at = (p) => `(${Math.round(p.x)}, ${Math.round(p.y)})`;
const edges = [];
for (const path of svg.querySelectorAll('path.edge')) {
  const from = path.dataset.from, to = path.dataset.to, name = `${from} → ${to}`;
  edges.push([from, to]);
  const ctm = path.getScreenCTM(), length = path.getTotalLength();
  const point = (l) => { const p = path.getPointAtLength(l); return new DOMPoint(p.x, p.y).matrixTransform(ctm); };
  const crossed = new Set();
  const n = Math.max(2, Math.ceil(length / 2));
  for (let i = 0; i <= n; i++) {
    const p = point(length * i / n);
    for (const [id, box] of boxes) if (!crossed.has(id) && inside(p, box, 1)) {
      crossed.add(id);
      problems.push(`${name} runs through ${id}'s box at ${at(p)}`);
    }
  }
  const start = point(0), end = point(length), before = point(Math.max(0, length - 4));
  if (!boxes.has(from) || !onBox(start, boxes.get(from), 1.5)) problems.push(`${name} starts at ${at(start)}, not on ${from}'s box`);
  if (!boxes.has(to) || !onBox(end, boxes.get(to), 1.5)) problems.push(`${name} ends at ${at(end)}, not on ${to}'s box`);
  else if (inside(before, boxes.get(to), 0)) problems.push(`${name} reaches ${to} from inside its box`);
}
const labels = [...svg.querySelectorAll('.edge-label')].map((g) => [g.querySelector('title').textContent, g.querySelector('rect').getBoundingClientRect()]);
labels.forEach(([name, box], i) => {
  for (const [id, node] of boxes) if (overlap(box, node)) problems.push(`the label of ${name} lies on ${id}'s box`);
  for (const [other, box2] of labels.slice(i + 1)) if (overlap(box, box2)) problems.push(`the labels of ${name} and ${other} overlap`);
});
const ids = [...boxes.keys()];
ids.forEach((a, i) => ids.slice(i + 1).forEach((b) => { if (overlap(boxes.get(a), boxes.get(b))) problems.push(`the boxes of ${a} and ${b} overlap`); }));
return { problems, edges, nodes: boxes.size };
"""


def issue_dag():
    """The DAG of the issue: `len → out` and `rev → out` skip the column of `upper`."""
    return [
        {"id": "clean", "type": "TextOperation.Trim"},
        {"id": "wait", "type": "Delay", "input": {"seconds": 1}, "depends_on": ["clean"]},
        {"id": "len", "type": "TextOperation.Length", "depends_on": ["clean"]},
        {"id": "rev", "type": "TextOperation.Reverse", "depends_on": ["clean"]},
        {"id": "upper", "type": "TextOperation.Uppercase", "depends_on": ["wait"]},
        {"id": "out", "type": "Echo", "depends_on": ["upper", "len", "rev"]},
    ]


def dag_from_dependencies(deps, rng=None):
    """Tasks n0, n1, … for {index: [dependency indices]} with real step types: a task without
    dependencies is a StaticTextInput, one with a single text dependency a text operation (some
    make a number), any other an Echo (which takes anything)."""
    rng = rng or random.Random(7)
    tasks, output = [], {}
    for i in sorted(deps):
        task = {"id": f"n{i}"}
        if not deps[i]:
            task.update(type="StaticTextInput", input=f"text {i}")
            output[i] = "text"
        elif len(deps[i]) == 1 and output[deps[i][0]] == "text":
            task["type"] = rng.choice(["TextOperation.Uppercase", "TextOperation.Reverse", "TextOperation.Length", "TextOperation.Trim"])
            output[i] = "number" if task["type"] == "TextOperation.Length" else "text"
        else:
            task["type"] = "Echo"
            output[i] = output[deps[i][0]] if len(deps[i]) == 1 else "object"
        if deps[i]:
            task["depends_on"] = [f"n{d}" for d in deps[i]]
        tasks.append(task)
    return tasks


def generated_dags():
    """(name, tasks) of several shapes, the random ones from a fixed seed."""
    shapes = [("issue", issue_dag())]
    shapes.append(("diamond", dag_from_dependencies({0: [], 1: [0], 2: [0], 3: [1, 2]})))
    shapes.append(("diamond with a skip edge", dag_from_dependencies({0: [], 1: [0], 2: [1], 3: [0], 4: [2, 3, 0]})))
    # One source, nine branches of one to three steps, one sink.
    fan, ends = {0: []}, []
    for branch in range(9):
        previous = 0
        for _ in range(1 + branch % 3):
            fan[len(fan)] = [previous]
            previous = len(fan) - 1
        ends.append(previous)
    fan[len(fan)] = ends
    shapes.append(("fan-out and fan-in", dag_from_dependencies(fan)))
    chain = {0: []}
    for i in range(1, 10):
        chain[i] = [i - 1]
    for a, b in [(0, 3), (1, 6), (2, 9), (0, 9), (4, 7), (3, 8), (5, 9)]:
        chain[b].append(a)
    shapes.append(("chain with skip edges", dag_from_dependencies(chain)))
    rng = random.Random(20240611)
    for k in range(5):
        n = rng.randint(8, 14)
        deps = {0: []}
        for i in range(1, n):
            deps[i] = [] if rng.random() < 0.12 else sorted(rng.sample(range(i), min(i, rng.randint(1, 3))))
        shapes.append((f"random {k + 1}", dag_from_dependencies(deps, rng)))
    return shapes


def edge_list(tasks):
    return sorted([d, t["id"]] for t in tasks for d in t.get("depends_on", []))


class GraphLayoutTests(UITestCase):
    """The graph as drawn on the pages a person sees, at desktop width (left to right) and at a
    phone's 390 px (top to bottom)."""

    def check_graph(self, driver, css, tasks, where):
        """The geometry problems of the graph at `css` (it must draw exactly the tasks' edges)."""
        # (The editor redraws its preview as the definition is typed: the last drawing counts.)
        wait_until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, f"{css} g.node")) == len(tasks),
                   message=f"{where}: the graph does not show the {len(tasks)} tasks")
        answer = driver.execute_script(GRAPH_GEOMETRY, wait_for(driver, css))
        self.assertEqual(sorted(answer["edges"]), edge_list(tasks), f"{where}: the edges drawn")
        return [f"{where}: {p}" for p in answer["problems"]]

    def test_the_issues_dag_is_drawn_around_its_tasks_in_the_editor_the_workflow_and_the_execution(self):
        tasks = issue_dag()
        definition = {"tasks": tasks}
        problems = []
        for width, height in ((1280, 800), (390, 844)):
            d = self.driver if width == 1280 else new_driver(width=width, height=height)
            try:
                d.get(base_url() + "/ui/new")
                set_value(d, wait_for(d, "#wf-name"), unique("routing"))
                set_value(d, wait_for(d, "#wf-definition"), json.dumps(definition, indent=2))
                problems += self.check_graph(d, "#preview svg.graph", tasks, f"editor preview at {width} px")
                screenshot(d, f"graph-editor-{width}")
                click(d, "#create-workflow")
                wait_until(d, lambda d: "/ui/workflows/wf-" in d.current_url, message="not on the new workflow's page")
                wf = d.current_url.rsplit("/", 1)[1]
                problems += self.check_graph(d, "svg.graph", tasks, f"workflow page at {width} px")
                labels = d.execute_script("return [...document.querySelectorAll('svg.graph .edge-label title')].map((t) => t.textContent)")
                self.assertIn("len → out: number", labels)
                screenshot(d, f"graph-workflow-{width}")
                ex = start(wf, {"text": "  a quiet night "})
                d.get(f"{base_url()}/ui/executions/{ex}")
                wait_until(d, lambda d: node_statuses(d).get("clean") == "COMPLETED", message=f"clean did not complete: {node_statuses(d)}")
                problems += self.check_graph(d, "svg.graph", tasks, f"execution page at {width} px")
                screenshot(d, f"graph-execution-{width}")
            finally:
                if d is not self.driver:
                    d.quit()
        self.assertEqual(problems, [], "\n".join(problems))

    def test_generated_dags_are_drawn_around_their_tasks_wide_and_narrow(self):
        shapes = [(name, tasks, create_workflow({"name": unique(f"shape {name}"), "tasks": tasks})) for name, tasks in generated_dags()]
        problems = []
        for width, height in ((1280, 800), (390, 844)):
            d = self.driver if width == 1280 else new_driver(width=width, height=height)
            try:
                for name, tasks, wf in shapes:
                    d.get(f"{base_url()}/ui/workflows/{wf}")
                    wait_for(d, "h1", text="shape")
                    problems += self.check_graph(d, "svg.graph", tasks, f"{name} at {width} px")
                    screenshot(d, f"graph-{name.replace(' ', '-')}-{width}")
            finally:
                if d is not self.driver:
                    d.quit()
        self.assertEqual(problems, [], "\n".join(problems))

    def test_a_phone_shows_the_graph_at_a_readable_size_and_scrolls_it(self):
        wf = create_workflow({"name": unique("phone"), "tasks": issue_dag()})
        ex = start(wf, {"text": "abc"})
        d = new_driver(width=390, height=844)
        try:
            for url in (f"{base_url()}/ui/workflows/{wf}", f"{base_url()}/ui/executions/{ex}"):
                d.get(url)
                svg = wait_for(d, "svg.graph")
                wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.graph g.node")) == 6, message="the graph is not drawn")
                # Every text's size on the screen: its computed font size times the SVG's scale.
                sizes = d.execute_script("""
                    const svg = arguments[0], scale = svg.getScreenCTM().a;
                    return [...svg.querySelectorAll('text')].filter((t) => t.textContent.trim())
                      .map((t) => [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale]);
                """, svg)
                small = [(text, round(size, 1)) for text, size in sizes if size < 11]
                self.assertEqual(small, [], f"{url}: graph text below 11 px on a 390 px screen")
                self.assertTrue(any(text == "clean" for text, _ in sizes))
                self.assertTrue(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
                                f"{url}: the page is wider than the screen")
                # The graph is wider than the screen: its box scrolls, and scrolling it to the end
                # brings the right-most task fully onto the screen.
                scroller = d.find_element(By.CSS_SELECTOR, ".graph-scroll")
                self.assertGreater(d.execute_script("return arguments[0].scrollWidth - arguments[0].clientWidth", scroller), 20,
                                   f"{url}: the graph does not scroll sideways")
                d.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth; arguments[0].scrollIntoView()", scroller)
                # [left, right, top, bottom] of that task's box, of the graph's box, of the screen.
                right_most, frame, screen = d.execute_script("""
                    const boxes = [...document.querySelectorAll('svg.graph .node-box')].map((b) => b.getBoundingClientRect());
                    const box = boxes.reduce((a, b) => (b.right > a.right ? b : a));
                    const frame = arguments[0].getBoundingClientRect();
                    return [[box.left, box.right, box.top, box.bottom], [frame.left, frame.right, frame.top, frame.bottom],
                            [0, window.innerWidth, 0, window.innerHeight]];
                """, scroller)
                for outer in (frame, screen):
                    self.assertTrue(outer[0] - 1 <= right_most[0] and right_most[1] <= outer[1] + 1
                                    and outer[2] - 1 <= right_most[2] and right_most[3] <= outer[3] + 1,
                                    f"{url}: after scrolling, the right-most task {right_most} is not within {outer} (the graph's box, the screen)")
                screenshot(d, "graph-phone-scrolled")
        finally:
            d.quit()


    def test_a_tasks_id_type_and_status_fit_its_box_without_running_into_one_another(self):
        # Long ids (one of wide letters) and long types: on the workflow page each box holds its
        # id and type; on the execution page the status joins the id's line, and the id gives way
        # (cut with "…", the whole id in the box's title) rather than run under the status.
        wide = "MWMWMWMWMWMWMWMWMWMWMWMWMWMWMW"
        tasks = [
            {"id": "source-of-the-text", "type": "StaticTextInput", "input": "abc"},
            {"id": "length-of-the-text", "type": "TextOperation.Length", "depends_on": ["source-of-the-text"]},
            {"id": "shout-it-out-loud", "type": "TextOperation.Uppercase", "depends_on": ["source-of-the-text"]},
            {"id": "a-rather-long-nap", "type": "Delay", "input": {"seconds": 600}, "depends_on": ["source-of-the-text"]},
            {"id": wide, "type": "Echo", "depends_on": ["length-of-the-text", "shout-it-out-loud"]},
        ]
        wf = create_workflow({"name": unique("long ids"), "tasks": tasks})
        ex = start(wf)
        self.addCleanup(lambda: api("POST", f"/workflows/{wf}/executions/{ex}/cancel"))
        # For each node: its texts' boxes (shown ones) and the node's box, on the screen.
        read = """
            return [...document.querySelectorAll('svg.graph g.node')].map((g) => {
              const box = g.querySelector('.node-box').getBoundingClientRect();
              const texts = [...g.querySelectorAll('text')].filter((t) => t.textContent.trim()).map((t) => {
                const r = t.getBoundingClientRect(); return [t.getAttribute('class'), t.textContent, r.left, r.top, r.right, r.bottom]; });
              return [g.dataset.task, [box.left, box.top, box.right, box.bottom], texts, g.querySelector('title').textContent];
            });
        """
        problems = []
        for width, height in ((1280, 800), (390, 844)):
            d = self.driver if width == 1280 else new_driver(width=width, height=height)
            try:
                for page, url in (("workflow page", f"{base_url()}/ui/workflows/{wf}"), ("execution page", f"{base_url()}/ui/executions/{ex}")):
                    d.get(url)
                    wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.graph g.node")) == len(tasks), message=f"{page}: the graph is not drawn")
                    if page == "execution page":
                        wait_until(d, lambda d: node_statuses(d).get("a-rather-long-nap") == "RUNNING" and node_statuses(d).get(wide) == "COMPLETED", message=f"the statuses did not show: {node_statuses(d)}")
                    for task, (bl, bt, br, bb), texts, title in d.execute_script(read):
                        where = f"{page} at {width} px, {task}"
                        self.assertIn(task, title, f"{where}: the whole id is not in the title")
                        if page == "execution page":
                            self.assertIn("node-status", [t[0] for t in texts], f"{where}: no status shown")
                        for name, text, l, t, r, b in texts:
                            if l < bl + 2 or r > br - 2 or t < bt or b > bb:
                                problems.append(f"{where}: {name} {text!r} reaches past its box")
                        for i, (n1, x1, l1, t1, r1, b1) in enumerate(texts):
                            for n2, x2, l2, t2, r2, b2 in texts[i + 1:]:
                                if min(r1, r2) - max(l1, l2) > 0 and min(b1, b2) - max(t1, t2) > 0:
                                    problems.append(f"{where}: {n1} {x1!r} runs into {n2} {x2!r}")
                    screenshot(d, f"graph-long-ids-{page.split()[0]}-{width}")
            finally:
                if d is not self.driver:
                    d.quit()
        self.assertEqual(problems, [], "\n".join(problems))


ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "SluiceServer", "Resources", "ui", "assets")


class ModuleStructureTests(unittest.TestCase):
    """The UI's modules as files: no browser needed."""

    def imports(self):
        graph = {}
        for name in sorted(os.listdir(ASSETS)):
            if name.endswith(".js"):
                with open(os.path.join(ASSETS, name), encoding="utf-8") as f:
                    text = f.read()
                graph[name] = set(re.findall(r'^\s*import\b[^;]*?\bfrom\s*"\./([^"]+)"', text, re.M)) | set(re.findall(r'^\s*import\s*"\./([^"]+)"', text, re.M))
        return graph

    def test_the_modules_import_one_another_without_a_cycle(self):
        graph = self.imports()
        cycles = []

        def visit(node, path):
            if node in path:
                cycles.append(path[path.index(node):] + [node])
                return
            for nxt in sorted(graph.get(node, ())):
                visit(nxt, path + [node])

        for start in graph:
            visit(start, [])
        self.assertEqual(cycles, [], "import cycles among the UI's modules")

    def test_each_page_has_a_module_of_its_own_and_app_js_only_wires_them(self):
        graph = self.imports()
        pages = {"workflows.js", "workflow.js", "execution.js", "editor.js", "inbox.js", "human-task.js", "annotation-projects.js",
                 "annotation-project.js", "pipeline-editor.js", "annotation-workflow.js", "annotation-queue.js", "annotation-item.js"}
        self.assertTrue(pages <= graph["app.js"], f"app.js imports {graph['app.js']}")
        for page in pages:
            self.assertNotIn("app.js", graph[page], f"{page} imports app.js")
            self.assertEqual(graph[page] & (pages - {page}), set(), f"{page} imports another page")
        with open(os.path.join(ASSETS, "app.js"), encoding="utf-8") as f:
            self.assertLess(len(f.read().splitlines()), 60, "app.js should only wire the routes to the pages")


class LiveUpdateTests(UITestCase):
    def running_delay(self, seconds=600):
        wf = create_workflow({"name": unique("ticking"), "steps": [
            {"type": "StaticTextInput", "input": "t"}, {"id": "nap", "type": "Delay", "input": {"seconds": seconds}}]})
        ex = start(wf)
        self.addCleanup(lambda: api("POST", f"/workflows/{wf}/executions/{ex}/cancel"))
        return wf, ex

    def test_a_running_tasks_duration_ticks_in_the_table_with_the_header_and_timeline_from_one_clock(self):
        wf, ex = self.running_delay()
        d = self.driver
        instrument(d)
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "RUNNING", message=f"the Delay never ran: {task_statuses(d)}")
        wait_for(d, "#live-indicator", text="Live")
        read = """
            const row = document.querySelector('#tasks tr.task-row[data-task="nap"]');
            return [document.querySelector('[data-duration]').innerText, row.cells[5].innerText,
                    document.querySelector('#timeline .timeline-row[data-task="nap"] .timeline-duration').innerText];
        """
        first = d.execute_script(read)
        time.sleep(2.5)
        second = d.execute_script(read)
        header, table, timeline = (parse_duration(t) - parse_duration(f) for f, t in zip(first, second))
        for what, grew in (("header", header), ("tasks table", table), ("timeline", timeline)):
            self.assertGreater(grew, 1500, f"the {what}'s duration did not tick: {first} then {second}")
        self.assertEqual(second[1], second[2], f"the table and the timeline show the task's duration from different clocks: {second}")
        intervals = d.execute_script("return [...window.__intervals.values()]")
        self.assertEqual(intervals, [1000], "one timer (the clock, every second) should drive the page")

    def test_a_running_executions_duration_ticks_every_second_in_the_workflows_list(self):
        # The list is re-read every 3 s; the duration must not wait for that: read four times,
        # 1.1 s apart, each reading is later than the one before.
        wf, ex = self.running_delay()
        d = self.driver
        d.get(f"{base_url()}/ui/workflows/{wf}")
        cell = f'#executions tr[data-execution="{ex}"] td:last-child'
        wait_until(d, lambda d: d.execute_script("const c = document.querySelector(arguments[0]); return c && /[0-9]/.test(c.innerText)", cell),
                   message="the running execution's duration is not shown")
        readings = []
        for i in range(4):
            if i:
                time.sleep(1.1)
            readings.append(parse_duration(d.execute_script("return document.querySelector(arguments[0]).innerText.replace(/^Duration/, '')", cell)))
        self.assertTrue(all(b > a for a, b in zip(readings, readings[1:])), f"the duration did not tick every second: {readings} ms")

    def test_the_execution_is_not_polled_while_its_event_stream_is_live(self):
        wf, ex = self.running_delay()
        d = self.driver
        instrument(d)
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "RUNNING", message=f"the Delay never ran: {task_statuses(d)}")
        wait_for(d, "#live-indicator", text="Live")
        time.sleep(1)
        before = execution_reads(d, ex)
        time.sleep(6.5)
        self.assertEqual(execution_reads(d, ex) - before, 0, "the execution was re-read while its event stream was live")

    def test_without_an_event_stream_the_page_polls_every_5_s_and_follows_the_execution(self):
        wf, ex = self.running_delay(seconds=6)
        d = self.driver
        instrument(d, BROKEN_EVENT_STREAM)
        started = time.monotonic()
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_for(d, "#live-indicator", text="Checking every 5 s")
        wait_for(d, "#execution-status", text="COMPLETED", timeout=20)
        elapsed = time.monotonic() - started
        reads = execution_reads(d, ex)
        # The first read, one when the stream failed, then one per 5 s: not a loop.
        self.assertLessEqual(reads, 3 + elapsed / 5, f"{reads} reads in {elapsed:.1f} s")
        self.assertLessEqual(d.execute_script("return window.__eventSources"), 2 + elapsed / 5)
        wait_for(d, "#live-indicator", text="Finished")


class NarrowScreenTests(UITestCase):
    window_width = 390
    window_height = 844

    # For each cell of a row: its column's label as shown, whether it is displayed, and whether
    # all of it lies within the screen.
    CELLS = """
        const [row] = arguments;
        return [...row.cells].map((td) => {
          const r = td.getBoundingClientRect();
          const label = td.querySelector('.cell-label');
          const shown = label && getComputedStyle(label).display !== 'none' ? label.innerText : null;
          const inside = [...td.querySelectorAll('*')].concat([td]).every((el) => {
            const b = el.getBoundingClientRect();
            return b.width === 0 || (b.left >= -1 && b.right <= window.innerWidth + 1);
          });
          return [shown, r.width > 0 && r.height > 0 && getComputedStyle(td).display !== 'none', inside, td.innerText];
        });
    """

    def assert_no_sideways_scroll(self, d):
        self.assertTrue(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways")
        scrollers = d.execute_script("return [...document.querySelectorAll('.table-scroll')].filter((e) => e.scrollWidth > e.clientWidth + 1).length")
        self.assertEqual(scrollers, 0, "a table scrolls sideways")

    def test_the_workflow_list_shows_every_field_of_a_workflow_labelled(self):
        d = self.driver
        tag = uuid.uuid4().hex[:6]
        wf = create_workflow({"name": f"a rather long workflow name for a phone {tag}", "description": "what it is for, at some length, to wrap",
                              "tasks": [
                                  {"id": "src", "type": "StaticTextInput", "input": "abc"},
                                  {"id": "len", "type": "TextOperation.Length", "depends_on": ["src"]},
                                  {"id": "up", "type": "TextOperation.Uppercase", "depends_on": ["src"]},
                                  {"id": "out", "type": "Echo", "depends_on": ["len", "up"]}]})
        d.get(f"{base_url()}/ui?q={tag}")
        row = wait_for(d, f'tr[data-workflow="{wf}"]')
        wait_until(d, lambda d: len(row.find_elements(By.CSS_SELECTOR, ".chip")) == 4, message="the steps were not shown")
        cells = d.execute_script(self.CELLS, row)
        self.assertEqual([c[0] for c in cells[1:]], ["Steps", "Version", "Updated"], f"fields without their labels: {cells}")
        for label, displayed, inside, text in cells:
            self.assertTrue(displayed, f"{label or 'name'} is hidden: {cells}")
            self.assertTrue(inside, f"{label or 'name'} reaches past the screen's edge: {cells}")
        self.assertIn("TextOperation.Uppercase", cells[1][3])
        self.assertIn("v1", cells[2][3])
        self.assert_no_sideways_scroll(d)
        screenshot(d, "workflows-narrow")

    def test_the_task_table_shows_every_field_of_a_task_labelled(self):
        wf = create_workflow({"name": unique("narrow tasks"), "tasks": [
            {"id": "source-of-the-text", "type": "StaticTextInput", "input": "abc"},
            {"id": "length", "type": "TextOperation.Length", "depends_on": ["source-of-the-text"]},
            {"id": "a-rather-long-nap", "type": "Delay", "input": {"seconds": 600}, "depends_on": ["source-of-the-text"]}]})
        ex = start(wf)
        self.addCleanup(lambda: api("POST", f"/workflows/{wf}/executions/{ex}/cancel"))
        d = self.driver
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_until(d, lambda d: task_statuses(d).get("a-rather-long-nap") == "RUNNING", message=f"the Delay never ran: {task_statuses(d)}")
        for row in d.find_elements(By.CSS_SELECTOR, "#tasks tr.task-row"):
            cells = d.execute_script(self.CELLS, row)
            self.assertEqual([c[0] for c in cells[1:]], ["Type", "Status", "Attempt", "Started", "Duration"], f"fields without their labels: {cells}")
            for label, displayed, inside, text in cells:
                self.assertTrue(displayed, f"{label or 'task'} is hidden: {cells}")
                self.assertTrue(inside, f"{label or 'task'} reaches past the screen's edge: {cells}")
        self.assert_no_sideways_scroll(d)
        screenshot(d, "execution-tasks-narrow")

    def test_the_timelines_axis_labels_do_not_overlap(self):
        wf = create_workflow({"name": unique("narrow axis"), "steps": [{"type": "StaticTextInput", "input": "a"}, {"type": "TextOperation.Reverse"}]})
        ex = start(wf)
        d = self.driver
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_for(d, "#execution-status", text="COMPLETED")
        # Each label's box, and how many lines its text is broken onto.
        boxes = d.execute_script("""
            return [...document.querySelectorAll('#timeline .timeline-axis > *')].map((e) => {
              const r = e.getBoundingClientRect(), range = document.createRange();
              range.selectNodeContents(e);
              const lines = new Set([...range.getClientRects()].map((b) => Math.round(b.top))).size;
              return [r.left, r.top, r.right, r.bottom, e.innerText, lines];
            });
        """)
        self.assertEqual(len(boxes), 2, boxes)
        (l1, t1, r1, b1, _, _), (l2, t2, r2, b2, _, end_lines) = boxes
        same_line = t1 < b2 and t2 < b1
        self.assertFalse(same_line and l2 - r1 < 8, f"the axis labels run into each other: {boxes}")
        self.assertEqual(end_lines, 1, f"the end label is broken across lines: {boxes}")
        for left, top, right, bottom, text, _ in boxes:
            self.assertTrue(left >= 0 and right <= 390, f"{text!r} reaches past the screen's edge: {boxes}")


def readme_example(marker):
    """The text of README.md's heredoc that starts at the line containing `marker`."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "YAML")
    return "\n".join(lines[start + 1:end]) + "\n"


class EditorProblemTests(UITestCase):
    VALID = """{
  "tasks": [
    {"id": "src", "type": "StaticTextInput", "input": "abc"},
    {"id": "len", "type": "TextOperation.Length", "depends_on": ["src"]},
    {"id": "up", "type": "TextOperation.Uppercase", "depends_on": ["src"]},
    {"id": "out", "type": "Echo", "depends_on": ["len", "up"]},
    {"id": "bad", "type": "Echo", "depends_on": ["len"]}
  ]
}"""

    def open_editor(self, text):
        d = self.driver
        d.get(base_url() + "/ui/new")
        set_value(d, wait_for(d, "#wf-name"), unique("positions"))
        set_value(d, wait_for(d, "#wf-definition"), text)

    def problem(self, text):
        """The definition's error that contains `text`."""
        return wait_for(self.driver, "#wf-definition-error .problem", text=text)

    def highlighted(self):
        return self.driver.execute_script("return [...document.querySelectorAll('.code-editor .backdrop mark')].map((m) => [m.dataset.line, m.textContent])")

    def test_a_type_error_points_at_its_line_and_column_highlights_it_and_keeps_the_last_graph_with_the_task_marked(self):
        d = self.driver
        self.open_editor(self.VALID)
        wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#preview svg.graph g.node")) == 5, message="the valid definition's graph was not drawn")
        broken = self.VALID.replace('{"id": "bad", "type": "Echo"', '{"id": "bad", "type": "TextOperation.Reverse"')
        set_value(d, d.find_element(By.CSS_SELECTOR, "#wf-definition"), broken)
        line_text = broken.splitlines()[6]
        column = line_text.index('"TextOperation.Reverse"') + 1
        problem = self.problem(f"line 7, column {column}")
        self.assertIn("tasks[4].type", problem.text)
        self.assertEqual(self.highlighted(), [["7", '"TextOperation.Reverse"']])
        self.assertIn("error", d.find_element(By.CSS_SELECTOR, '.code-editor .gutter [data-line="7"]').get_attribute("class"))
        # The preview keeps the last valid graph, with the task the problem is about marked.
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#preview svg.graph g.node")), 5, "the last valid graph is gone")
        marked = [n.get_attribute("data-task") for n in d.find_elements(By.CSS_SELECTOR, "#preview svg.graph g.node.broken")]
        self.assertEqual(marked, ["bad"])
        wait_for(d, "#preview-status", text="Not valid")
        # The position is a button that selects the problem in the text.
        problem.find_element(By.CSS_SELECTOR, "button.position").click()
        selected = d.execute_script("const t = document.activeElement; return [t.id, t.value.slice(t.selectionStart, t.selectionEnd)]")
        self.assertEqual(selected, ["wf-definition", '"TextOperation.Reverse"'])
        screenshot(d, "editor-type-error")

    def test_a_json_syntax_error_points_at_its_line_and_column(self):
        d = self.driver
        self.open_editor(self.VALID)
        wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#preview svg.graph g.node")) == 5, message="the valid definition's graph was not drawn")
        broken = self.VALID.replace('"input": "abc"},', '"input": "abc"}', 1)
        set_value(d, d.find_element(By.CSS_SELECTOR, "#wf-definition"), broken)
        problem = self.problem("line 4, column 5")
        self.assertIn("not valid JSON", problem.text)
        self.assertNotIn("line 4, column 5: the body", problem.text)
        self.assertEqual(self.highlighted(), [["4", "{"]])
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#preview svg.graph g.node")), 5, "the last valid graph is gone")

    def test_the_readmes_yaml_example_is_accepted_and_creates_the_workflow(self):
        d = self.driver
        d.get(base_url() + "/ui/new")
        yaml = readme_example("cat > shout.yaml")
        self.assertTrue(yaml.startswith("name: shout"), yaml)
        set_value(d, wait_for(d, "#wf-definition"), yaml)
        wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#preview svg.graph g.node")) == 2, message="the YAML example's graph was not drawn")
        self.assertFalse(d.find_element(By.CSS_SELECTOR, "#wf-definition-error").is_displayed())
        click(d, "#create-workflow")
        wait_until(d, lambda d: "/ui/workflows/wf-" in d.current_url, message="the YAML example was not created")
        wait_for(d, "h1", text="shout")
        wf = d.current_url.rsplit("/", 1)[1]
        status, stored = api("GET", f"/workflows/{wf}")
        self.assertEqual(stored["definition"]["input_schema"]["required"], ["text"])
        self.assertEqual([s["type"] for s in stored["steps"]], ["TextOperation.Uppercase", "Echo"])

    def test_a_yaml_problem_points_at_the_line_and_column_the_cli_gives(self):
        d = self.driver
        d.get(base_url() + "/ui/new")
        set_value(d, wait_for(d, "#wf-name"), unique("yaml positions"))
        # README's CLI example: bad.yaml:4:11: steps[1].type: TextOperation.Reverse expects text input, …
        set_value(d, wait_for(d, "#wf-definition"), "description: counts, then reverses\nsteps:\n  - type: TextOperation.Length\n  - type: TextOperation.Reverse\n")
        problem = self.problem("line 4, column 11")
        self.assertIn("steps[1].type", problem.text)
        self.assertEqual(self.highlighted(), [["4", "TextOperation.Reverse"]])
        # A YAML syntax error too.
        set_value(d, d.find_element(By.CSS_SELECTOR, "#wf-definition"), "steps:\n  - type: Echo\n - type: Echo\n")
        problem = self.problem("not valid YAML")
        self.assertRegex(problem.text, r"line 3, column \d+")

    def test_a_name_given_twice_is_pointed_out(self):
        d = self.driver
        d.get(base_url() + "/ui/new")
        set_value(d, wait_for(d, "#wf-name"), "from the field")
        set_value(d, wait_for(d, "#wf-definition"), "name: from the text\nsteps:\n  - type: Echo\n")
        wait_for(d, "#wf-name-error", text="The definition gives a name too")
        click(d, "#create-workflow")
        self.assertIn("/ui/new", d.current_url)
        set_value(d, d.find_element(By.CSS_SELECTOR, "#wf-name"), "")
        click(d, "#create-workflow")
        wait_for(d, "h1", text="from the text")


class TaskDetailTests(UITestCase):
    def text_of(self, css):
        """The visible text of the element `css` names, read in one step (the table is redrawn as
        events arrive, which would leave a found element stale)."""
        return wait_until(self.driver, lambda d: d.execute_script("const e = document.querySelector(arguments[0]); return e && e.innerText", css),
                          message=f"no {css}")

    def test_running_cancelled_and_skipped_tasks_show_what_is_known_and_why_a_task_was_skipped(self):
        wf = create_workflow({"name": unique("details"), "input_schema": {"type": "object", "properties": {"go": {"type": "boolean"}}},
                              "tasks": [
                                  {"id": "src", "type": "StaticTextInput", "input": "abc"},
                                  {"id": "maybe", "type": "TextOperation.Reverse", "depends_on": ["src"], "when": "input.go == true"},
                                  {"id": "after", "type": "Echo", "depends_on": ["maybe"]},
                                  {"id": "nap", "type": "Delay", "input": {"seconds": 600}, "depends_on": ["src"]}]})
        ex = start(wf, {"go": False})
        d = self.driver
        d.get(f"{base_url()}/ui/executions/{ex}")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "RUNNING" and task_statuses(d).get("after") == "SKIPPED",
                   message=f"the statuses did not all show: {task_statuses(d)}")
        # A skipped task says why, in the table and in its details.
        reasons = {t: d.find_element(By.CSS_SELECTOR, f'tr[data-task="{t}"] [data-part="skip-reason"]').text for t in ("maybe", "after")}
        self.assertIn("its condition was false", reasons["maybe"])
        self.assertIn("every task it depends on was skipped", reasons["after"])
        d.find_element(By.CSS_SELECTOR, 'tr[data-task="maybe"] .task-toggle').click()
        skipped = wait_for(d, '[data-task-details="maybe"] [data-part="skipped"]')
        self.assertIn("condition_false", skipped.text)
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, '[data-task-details="maybe"] [data-part="error"]'), [], "a skip is not an error")
        # Each task's input: what the execution reports, else what is known about it. A running
        # task's input is known (it was given it when it started).
        execution = api("GET", f"/executions/{ex}")[1]
        nap = next(t for t in execution["tasks"] if t["step_id"] == "nap")
        self.assertEqual(nap.get("input"), {"text": "abc"}, f"the running Delay's input is not reported: {nap}")
        for task in execution["tasks"]:
            if not d.find_elements(By.CSS_SELECTOR, f'[data-task-details="{task["step_id"]}"]'):
                d.find_element(By.CSS_SELECTOR, f'tr[data-task="{task["step_id"]}"] .task-toggle').click()
            shown = self.text_of(f'[data-task-details="{task["step_id"]}"] [data-part="input"]')
            if "input" in task:
                self.assertEqual(json.loads(shown), task["input"], f"{task['step_id']} ({task['status']})")
            else:
                self.assertNotIn("Not known yet", shown, f"{task['step_id']} ({task['status']}): {shown}")
        api("POST", f"/workflows/{wf}/executions/{ex}/cancel")
        wait_until(d, lambda d: task_statuses(d).get("nap") == "CANCELLED", message="the Delay was not shown CANCELLED")
        wait_for(d, "#live-indicator", text="Finished")
        execution = api("GET", f"/executions/{ex}")[1]
        nap = next(t for t in execution["tasks"] if t["step_id"] == "nap")
        self.assertEqual(nap.get("input"), {"text": "abc"}, f"the cancelled Delay's input is not kept: {nap}")
        wait_until(d, lambda d: json_or_none(self.text_of('[data-task-details="nap"] [data-part="input"]')) == {"text": "abc"},
                   message="the cancelled Delay's details do not show its input")
        screenshot(d, "execution-skipped")


class SmallerTests(UITestCase):
    def test_a_one_character_minimum_is_worded_in_the_singular(self):
        wf = create_workflow({"name": unique("singular"), "input_schema": {"type": "object", "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 5}}, "required": ["text"]}, "steps": [{"type": "Echo"}]})
        d = self.driver
        d.get(f"{base_url()}/ui/workflows/{wf}")
        hint = wait_for(d, '[data-field-wrapper="text"] .hint')
        self.assertEqual(hint.text, "at least 1 character, at most 5 characters")
        d.find_element(By.CSS_SELECTOR, ".input-form button[type=submit]").click()
        self.assertIn("expected at least 1 character, found 0", wait_for(d, "#input-text-error").text)
        status, answer = api("POST", f"/workflows/{wf}/execute", {"input": {"text": ""}})
        self.assertEqual(status, 400)
        self.assertEqual(answer["errors"][0]["message"], "expected at least 1 character, found 0")

    def test_the_api_docs_index_wraps_long_paths_instead_of_cutting_them(self):
        for width in (390, 760, 1100):
            d = new_driver(width=width, height=900)
            try:
                d.get(base_url() + "/docs")
                wait_for(d, "details.op", timeout=15)
                cut = d.execute_script("""
                    return [...document.querySelectorAll('nav li')].filter((li) => {
                      const a = li.querySelector('a').getBoundingClientRect(), box = li.getBoundingClientRect();
                      return li.scrollWidth > li.clientWidth + 1 || a.right > box.right + 1 || a.right > window.innerWidth;
                    }).map((li) => li.innerText);
                """)
                self.assertEqual(cut, [], f"index entries cut at {width} px")
            finally:
                d.quit()


class AuthServerTestCase(UITestCase):
    """Starts a server with auth on (beside the suite's open one) for each test: self.base is its
    address, self.token the first admin's token, and self.call() a request as that admin."""

    def setUp(self):
        super().setUp()
        import subprocess
        binary = os.environ.get("SLUICE_UI_BINARY")
        if not binary:
            self.skipTest("SLUICE_UI_BINARY is not set (.ci/ui sets it)")
        self.token = "slc_" + uuid.uuid4().hex + uuid.uuid4().hex
        env = dict(os.environ, SLUICE_ADMIN_TOKEN=self.token)
        self.server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", "--database", "memory:", "--auth", "required", "--log-level", "warning"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        self.addCleanup(self.server.stdout.close)
        self.addCleanup(self.server.wait)
        self.addCleanup(self.server.terminate)
        self.base = None
        for line in self.server.stdout:
            m = re.match(r"^sluice listening on (http\S+)$", line.strip())
            if m:
                self.base = m.group(1)
                break
        self.assertIsNotNone(self.base, "the auth server did not start")

    def call(self, method, path, body=None):
        import urllib.request
        request = urllib.request.Request(self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def sign_in(self, token, name):
        """Signs the browser in with `token` on the sign-in page it is showing."""
        d = self.driver
        wait_for(d, "#sign-in-token").send_keys(token)
        d.find_element(By.CSS_SELECTOR, "#sign-in-button").click()
        wait_for(d, "#account-name", text=name)


class SignInTests(AuthServerTestCase):
    """The UI asks for a token, signs in with a session cookie, shows who is signed in, and signs out."""

    def test_the_ui_asks_for_a_token_signs_in_with_a_cookie_and_signs_out(self):
        d = self.driver
        created = self.call("POST", "/workflows", {"name": unique("guarded"), "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Echo"}]})
        d.get(f"{self.base}/ui")
        wait_for(d, "#sign-in-form")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "table"), [], "nothing is shown before signing in")
        # A wrong token is refused on the page, with the server's reason.
        d.find_element(By.CSS_SELECTOR, "#sign-in-token").send_keys("slc_" + "x" * 48)
        d.find_element(By.CSS_SELECTOR, "#sign-in-button").click()
        wait_for(d, "#sign-in-error", text="not known")
        field = d.find_element(By.CSS_SELECTOR, "#sign-in-token")
        field.clear()
        field.send_keys(self.token)
        d.find_element(By.CSS_SELECTOR, "#sign-in-button").click()
        wait_for(d, "#account-name", text="admin")
        wait_for(d, f'[data-workflow="{created["workflow_id"]}"], a[href="/ui/workflows/{created["workflow_id"]}"]')
        # The session is an HttpOnly cookie: the page's script cannot read it, nor the token.
        self.assertNotIn("sluice_session", d.execute_script("return document.cookie"))
        self.assertNotIn(self.token, d.execute_script("return JSON.stringify(sessionStorage) + JSON.stringify(localStorage)"))
        # A mutation from the page works (it sends the CSRF token): run the workflow.
        d.get(f"{self.base}/ui/workflows/{created['workflow_id']}")
        wait_for(d, ".input-form button[type=submit]").click()
        wait_until(d, lambda d: "/ui/executions/" in d.current_url, message="the run did not open its execution")
        wait_for(d, "#execution-status", text="COMPLETED")
        wait_for(d, "#sign-out").click()
        wait_for(d, "#sign-in-form")
        d.get(f"{self.base}/ui")
        wait_for(d, "#sign-in-form")

    def test_a_viewer_sees_no_action_its_roles_do_not_allow(self):
        d = self.driver
        created = self.call("POST", "/workflows", {"name": unique("watched"), "steps": [{"type": "StaticTextInput", "input": "x"}, {"type": "Echo"}]})
        wf = created["workflow_id"]
        ex = self.call("POST", f"/workflows/{wf}/execute", {})["execution_id"]
        self.call("POST", "/accounts", {"name": "vic"})
        self.call("POST", "/grants", {"account": "vic", "namespace": "default", "role": "viewer"})
        token = self.call("POST", "/accounts/vic/tokens", {"name": "browser"})["token"]
        d.get(f"{self.base}/ui/workflows/{wf}")
        wait_for(d, "#sign-in-token").send_keys(token)
        d.find_element(By.CSS_SELECTOR, "#sign-in-button").click()
        wait_for(d, "#account-name", text="vic")
        wait_for(d, "#run-not-allowed", text="do not include starting executions")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#edit-workflow"), [], "a viewer may not edit")
        d.get(f"{self.base}/ui/executions/{ex}")
        wait_for(d, "#execution-status", text="COMPLETED")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#rerun-button, #retry-button, #cancel-button"), [], "a viewer may not run again")
