"""Browser tests of the inbox (/ui/inbox) and a human task's page (/ui/inbox/{id}), run by .ci/ui.

A `Human.Task` step waits for a person; these tests start executions that reach one (through the
API) and do what the person would do in the browser: find the task, assign it to themselves,
answer it (wrongly, then rightly), release it, reassign it. The suite's server has access off,
so the person is the "Acting as" name; one test runs its own server with access checked.
"""

import time
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import UITestCase, api, base_url, click, screenshot, wait_for, wait_until
import test_ui
from test_ui import AuthServerTestCase, create_workflow, instrument, parse_duration, set_value, start, unique

FORM = {"type": "object", "properties": {
    "approved": {"type": "boolean", "description": "Is the text fine as it is?"},
    "note": {"type": "string", "minLength": 3, "maxLength": 100},
}, "required": ["approved"]}

INSTRUCTIONS = "Read the text.\nSay whether it may go out.\n<b>Markup stays text.</b>"


def account(name):
    """An account name of this test alone (the suite's server is shared)."""
    return f"{name}-{uuid.uuid4().hex[:6]}"


def human_task_workflow(assignees, due_seconds=3600, title=None):
    step = {"type": "Human.Task", "input": {"title": title or unique("Approve the text"), "instructions": INSTRUCTIONS,
                                            "form": FORM, "assignees": assignees, "due_seconds": due_seconds}}
    return create_workflow({"name": unique("review"), "steps": [step]})


def open_human_task(execution_id, timeout=10):
    """The human task of the execution, once the engine has queued it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, page = api("GET", "/human-tasks?limit=500")
        assert status == 200, page
        for task in page["human_tasks"]:
            if task["execution_id"] == execution_id:
                return task
        time.sleep(0.1)
    raise AssertionError(f"execution {execution_id} queued no human task within {timeout} s")


def human_task(task_id):
    status, task = api("GET", f"/human-tasks/{task_id}")
    assert status == 200, task
    return task


# Drops `approved` from the answer the page sends, after the page's own checks passed: what the
# server then says (answer.approved is required) must land next to that field.
DROP_APPROVED = """
const fetchBeforeRewrite = window.fetch;
window.fetch = function (input, init) {
  if (init && init.method === 'POST' && String(input).endsWith('/complete')) {
    const body = JSON.parse(init.body);
    delete body.answer.approved;
    init = {...init, body: JSON.stringify(body)};
  }
  return fetchBeforeRewrite.call(this, input, init);
};
"""


# Keeps the inbox from re-reading its lists every 5 s, so a test decides when the page learns of a change.
NO_POLLING = """
const setIntervalBeforeRewrite = window.setInterval;
window.setInterval = function (fn, ms, ...rest) { return ms === 5000 ? 0 : setIntervalBeforeRewrite.call(window, fn, ms, ...rest); };
"""


class InboxTestCase(UITestCase):
    def started(self, assignees, **options):
        """A workflow whose one step is a human task for `assignees`, started; its task."""
        wf = human_task_workflow(assignees, **options)
        ex = start(wf, {"text": "hello"})
        self.addCleanup(lambda: api("POST", f"/workflows/{wf}/executions/{ex}/cancel"))
        return open_human_task(ex)

    def act_as(self, name):
        """Chooses `name` in the page's "Acting as" field."""
        d = self.driver
        set_value(d, wait_for(d, "#acting-as"), name)
        d.find_element(By.CSS_SELECTOR, "#acting-as").send_keys(Keys.ENTER)

    def row(self, list_name, task_id):
        return f'#inbox-{list_name} tr[data-human-task="{task_id}"]'

    def listed(self, list_name, task_id):
        return bool(self.driver.find_elements(By.CSS_SELECTOR, self.row(list_name, task_id)))

    def open_task_page(self, task_id, person):
        d = self.driver
        d.get(f"{base_url()}/ui/inbox/{task_id}")
        self.act_as(person)
        wait_for(d, "#task-title")


class InboxTests(InboxTestCase):
    def test_the_inbox_lists_a_claimable_task_for_its_assignee_and_not_for_another_account(self):
        alice, bob = account("alice"), account("bob")
        task = self.started([alice])
        d = self.driver
        instrument(d)
        d.get(f"{base_url()}/ui/inbox")
        self.act_as(alice)
        row = wait_for(d, self.row("claimable", task["human_task_id"]))
        self.assertIn(task["title"], row.text)
        self.assertIn(alice, row.find_element(By.CSS_SELECTOR, 'td[data-label="Assignees"]').text)
        wait_until(d, lambda d: "review" in d.find_element(By.CSS_SELECTOR, self.row("claimable", task["human_task_id"]) + ' [data-part="workflow"]').text,
                   message="the workflow's name was not shown")
        due = row.find_element(By.CSS_SELECTOR, '[data-part="due"]')
        self.assertRegex(due.text, r"^in (59 min|1 h)", "due in an hour")
        self.assertEqual(due.get_attribute("data-due"), "later")
        wait_for(d, '#inbox-held [data-empty="held"]')
        wait_for(d, "#inbox-count", text="1")
        # The waiting time ticks from the page's clock; the page keeps that one timer and its 5 s re-read.
        read = f"return document.querySelector('{self.row('claimable', task['human_task_id'])} [data-part=waiting]').innerText"
        first = d.execute_script(read)
        time.sleep(2.2)
        second = d.execute_script(read)
        self.assertGreater(parse_duration(second) - parse_duration(first), 1500, f"the waiting time did not tick: {first} then {second}")
        self.assertEqual(sorted(d.execute_script("return [...window.__intervals.values()]")), [1000, 5000])
        screenshot(d, "inbox")

        self.act_as(bob)
        wait_until(d, lambda d: not self.listed("claimable", task["human_task_id"]), message=f"{bob} sees a task assigned to {alice}")
        wait_for(d, '#inbox-claimable [data-empty="claimable"]', text=bob)
        wait_until(d, lambda d: not d.find_element(By.CSS_SELECTOR, "#inbox-count").is_displayed(), message="the count still shows")
        # The name chosen is kept: after a reload the inbox is still bob's.
        d.refresh()
        wait_for(d, '#inbox-claimable [data-empty="claimable"]', text=bob)
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#acting-as").get_attribute("value"), bob)

    def test_the_execution_page_says_who_holds_the_task_and_follows_a_claim_live(self):
        alice = account("alice")
        task = self.started([alice])
        d = self.driver
        d.get(f"{base_url()}/ui/executions/{task['execution_id']}")
        note = '.tasks tr[data-task] [data-part="holder"]'
        wait_for(d, note, text="in the inbox")
        # Claimed through the API: the task.claimed event redraws the page.
        status, claimed = api("POST", f"/human-tasks/{task['human_task_id']}/claim", {"account": alice})
        self.assertEqual(status, 200, claimed)
        wait_for(d, note, text=f"held by {alice}")
        click(d, ".tasks .task-toggle")
        link = wait_for(d, f'a[href="/ui/inbox/{task["human_task_id"]}"]')
        self.assertEqual(link.text, task["human_task_id"])

    def test_assign_to_me_moves_the_task_to_yours_and_release_puts_it_back(self):
        alice = account("alice")
        task = self.started([alice, account("carol")])
        task_id = task["human_task_id"]
        d = self.driver
        d.get(f"{base_url()}/ui/inbox")
        self.act_as(alice)
        click(d, self.row("claimable", task_id) + " [data-action=claim]")
        wait_for(d, self.row("held", task_id))
        wait_until(d, lambda d: not self.listed("claimable", task_id), message="the claimed task is still claimable")
        self.assertEqual((human_task(task_id)["status"], human_task(task_id)["holder"]), ("CLAIMED", alice))
        self.assertEqual(d.switch_to.active_element.text, task["title"], "the focus did not follow the task to Yours")
        wait_for(d, "#inbox-count", text="1")

        click(d, self.row("held", task_id) + " [data-action=release]")
        wait_for(d, self.row("claimable", task_id))
        wait_until(d, lambda d: not self.listed("held", task_id), message="the released task is still held")
        self.assertEqual((human_task(task_id)["status"], human_task(task_id)["holder"]), ("WAITING", None))

    def test_a_claim_by_someone_else_first_is_refused_with_the_reason_and_the_lists_follow(self):
        alice, bob = account("alice"), account("bob")
        task = self.started([alice, bob])
        task_id = task["human_task_id"]
        d = self.driver
        instrument(d, NO_POLLING)
        d.get(f"{base_url()}/ui/inbox")
        self.act_as(alice)
        wait_for(d, self.row("claimable", task_id))
        status, _ = api("POST", f"/human-tasks/{task_id}/claim", {"account": bob})
        self.assertEqual(status, 200)
        click(d, self.row("claimable", task_id) + " [data-action=claim]")
        wait_for(d, "#inbox-error", text=bob)
        wait_until(d, lambda d: not self.listed("claimable", task_id), message="the task bob holds is still listed")

    def test_a_due_time_near_or_past_is_marked(self):
        task = self.started([account("dora")], due_seconds=300)
        d = self.driver
        d.get(f"{base_url()}/ui/inbox")
        self.act_as(task["assignees"][0])
        due = wait_for(d, self.row("claimable", task["human_task_id"]) + ' [data-part="due"]')
        self.assertEqual(due.get_attribute("data-due"), "soon")
        self.assertIn("(soon)", due.text)
        # Past it (the engine ends the task at once, so drawn here from a time already past).
        late = d.execute_script("""
            return import('/ui/assets/clock.js').then((m) => { const e = m.liveCountdown(Date.now() - 90000); return [e.textContent, e.dataset.due]; });
        """)
        self.assertEqual(late[1], "overdue")
        self.assertRegex(late[0], r"^overdue by 1 min", late)


class HumanTaskPageTests(InboxTestCase):
    def test_an_answer_that_breaks_the_form_is_shown_at_its_field_and_completes_nothing(self):
        alice = account("alice")
        task = self.started([alice])
        task_id = task["human_task_id"]
        d = self.driver
        instrument(d)
        self.open_task_page(task_id, alice)
        # The instructions are text: line breaks kept, markup shown as written.
        instructions = wait_for(d, "#task-instructions")
        self.assertEqual(instructions.text, INSTRUCTIONS)
        self.assertEqual(instructions.find_elements(By.CSS_SELECTOR, "b"), [])
        self.assertIn('"text": "hello"', wait_for(d, "#task-input").text)
        set_value(d, wait_for(d, "#answer-note"), "ok")
        click(d, "#task-answer-area button[type=submit]")
        error = wait_for(d, "#answer-note-error")
        self.assertIn("at least 3 characters", error.text)
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#answer-note").get_attribute("aria-invalid"), "true")
        sent = d.execute_script("return window.__fetches.filter((f) => f.url.endsWith('/complete')).length")
        self.assertEqual(sent, 0, "an answer the form refuses was sent")
        self.assertEqual(human_task(task_id)["status"], "WAITING")

    def test_the_servers_problem_with_an_answer_is_shown_at_the_field_it_names(self):
        alice = account("alice")
        task = self.started([alice])
        task_id = task["human_task_id"]
        d = self.driver
        instrument(d, DROP_APPROVED)
        self.open_task_page(task_id, alice)
        set_value(d, wait_for(d, "#answer-note"), "fine by me")
        click(d, "#task-answer-area button[type=submit]")
        error = wait_for(d, "#answer-approved-error")
        self.assertIn("required", error.text)
        self.assertFalse(d.find_element(By.CSS_SELECTOR, "#answer-note-error").is_displayed())
        self.assertEqual((human_task(task_id)["status"], human_task(task_id)["holder"]), ("WAITING", None))
        screenshot(d, "human-task-answer-error")

    def test_a_valid_answer_completes_the_task_and_the_execution_goes_on(self):
        alice = account("alice")
        task = self.started([alice])
        task_id = task["human_task_id"]
        d = self.driver
        self.open_task_page(task_id, alice)
        wait_for(d, "#task-note", text="assign it to yourself")
        click(d, "#answer-approved")
        set_value(d, wait_for(d, "#answer-note"), "good to go")
        screenshot(d, "human-task")
        click(d, "#task-answer-area button[type=submit]")
        done = wait_for(d, "#task-finished", text=f"Answered by {alice}")
        self.assertIn('"approved": true', done.text)
        wait_for(d, "#task-status", text="COMPLETED")
        stored = human_task(task_id)
        self.assertEqual((stored["status"], stored["answer"]), ("COMPLETED", {"approved": True, "note": "good to go"}))
        status, execution = api("GET", f"/executions/{task['execution_id']}?wait=10")
        self.assertEqual(execution["status"], "COMPLETED", execution)
        click(d, "#open-execution")
        wait_until(d, lambda d: d.current_url.endswith(f"/ui/executions/{task['execution_id']}"), message="the link did not open the execution")
        wait_for(d, "#execution-status", text="COMPLETED")

    def test_a_task_held_by_another_is_shown_so_and_an_editor_reassigns_it(self):
        alice, bob = account("alice"), account("bob")
        task = self.started([alice])
        task_id = task["human_task_id"]
        d = self.driver
        self.open_task_page(task_id, alice)
        wait_for(d, "#claim-button")
        # Another account gets it meanwhile: the page shows so at its next read (every 5 s).
        status, _ = api("POST", f"/human-tasks/{task_id}/reassign", {"account": bob})
        self.assertEqual(status, 200)
        wait_for(d, "#task-note", text=f"Held by {bob}", timeout=12)
        self.assertTrue(d.find_element(By.CSS_SELECTOR, "fieldset.answer-fields").get_attribute("disabled"), "the form can still be sent")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#claim-button"), [])
        # Access is off, so anyone may reassign: back to the inbox, then to alice.
        click(d, "#reassign-inbox")
        wait_for(d, "#claim-button")
        self.assertIsNone(human_task(task_id)["holder"])
        set_value(d, wait_for(d, "#reassign-account"), alice)
        click(d, "#reassign-button")
        wait_for(d, "#release-button")
        wait_for(d, "#task-holder", text=f"{alice} (you)")
        self.assertEqual(human_task(task_id)["holder"], alice)
        # Released from the page, it waits again.
        click(d, "#release-button")
        wait_for(d, "#claim-button")
        self.assertEqual(human_task(task_id)["status"], "WAITING")


class InboxNarrowTests(InboxTestCase):
    window_width = 390
    window_height = 844
    dark = True

    def test_a_phone_in_dark_mode_shows_every_field_of_a_task_labelled_and_the_task_page_fits(self):
        erin = account("erin")
        held = self.started([erin], title="A task with a rather long title, to see it wrap on a phone")
        waiting = self.started([erin], due_seconds=600)
        api("POST", f"/human-tasks/{held['human_task_id']}/claim", {"account": erin})
        d = self.driver
        d.get(f"{base_url()}/ui/inbox")
        self.act_as(erin)
        narrow = test_ui.NarrowScreenTests.CELLS
        for list_name, task in (("held", held), ("claimable", waiting)):
            row = wait_for(d, self.row(list_name, task["human_task_id"]))
            cells = d.execute_script(narrow, row)
            self.assertEqual([c[0] for c in cells[1:5]], ["Workflow", "Waiting", "Due", "Assignees"], f"fields without their labels: {cells}")
            for label, displayed, inside, text in cells:
                self.assertTrue(displayed, f"{label or 'title'} is hidden: {cells}")
                self.assertTrue(inside, f"{label or 'title'} reaches past the screen's edge: {cells}")
        self.assertTrue(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), "the inbox scrolls sideways")
        background = d.execute_script("return getComputedStyle(document.body).backgroundColor")
        self.assertEqual(background, "rgb(15, 18, 22)", "the dark scheme was not used")
        low = d.execute_script(CONTRAST)
        self.assertEqual(low, [], "text below 4.5:1 on the inbox in the dark scheme")
        screenshot(d, "inbox-narrow-dark")

        click(d, self.row("held", held["human_task_id"]) + " [data-action=answer]")
        wait_for(d, "#task-title", text="rather long title")
        wait_for(d, "#answer-approved")
        self.assertTrue(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), "the task page scrolls sideways")
        self.assertEqual(d.execute_script(CONTRAST), [], "text below 4.5:1 on the task page in the dark scheme")
        screenshot(d, "human-task-narrow-dark")


# The elements whose text is below 4.5:1 against what is behind it (WCAG AA for small text).
CONTRAST = """
    const lum = (c) => { const [r, g, b] = c.match(/[0-9.]+/g).slice(0, 3).map(Number).map((v) => {
        v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const background = (el) => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor;
      if (!/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
    const ratio = (el) => { const a = lum(getComputedStyle(el).color), b = lum(background(el));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
    const items = [...document.querySelectorAll('.badge, h1, h2, td, .countdown, .nav-count, .note, .hint, label, dd')]
      .filter((el) => el.offsetParent !== null && el.textContent.trim());
    return items.map((el) => [el.className || el.tagName, el.textContent.slice(0, 30), Math.round(ratio(el) * 100) / 100]).filter((r) => r[2] < 4.5);
"""


class InboxAccessTests(AuthServerTestCase):
    """With access checked, the inbox is the signed-in account's: no "Acting as", and a worker sees
    no Reassign (that needs an editor)."""

    def test_a_signed_in_worker_claims_and_answers_their_task(self):
        d = self.driver
        self.call("POST", "/accounts", {"name": "wanda"})
        self.call("POST", "/grants", {"account": "wanda", "namespace": "default", "role": "worker"})
        token = self.call("POST", "/accounts/wanda/tokens", {"name": "browser"})["token"]
        step = {"type": "Human.Task", "input": {"title": "Check the numbers", "form": FORM, "assignees": ["wanda"]}}
        wf = self.call("POST", "/workflows", {"name": unique("guarded review"), "steps": [step]})["workflow_id"]
        ex = self.call("POST", f"/workflows/{wf}/execute", {"input": {"text": "hello"}})["execution_id"]
        d.get(f"{self.base}/ui/inbox")
        self.sign_in(token, "wanda")
        wait_for(d, "#inbox-person", text="wanda")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#acting-as"), [], "with access checked nobody acts as someone else")
        row = wait_for(d, '#inbox-claimable tr[data-human-task] a.task-title', text="Check the numbers")
        row.click()
        click(d, "#claim-button")
        wait_for(d, "#release-button")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#reassign-form"), [], "a worker may not reassign")
        click(d, "#answer-approved")
        click(d, "#task-answer-area button[type=submit]")
        wait_for(d, "#task-finished", text="Answered by wanda")
        execution = self.call("GET", f"/executions/{ex}?wait=10")
        self.assertEqual(execution["status"], "COMPLETED", execution)

    def test_a_member_of_an_assigned_group_claims_its_task_and_the_page_names_the_workflow_and_when_it_was_answered(self):
        d = self.driver
        self.call("POST", "/accounts", {"name": "gus"})
        self.call("POST", "/grants", {"account": "gus", "namespace": "default", "role": "worker"})
        self.call("POST", "/groups", {"name": "checkers"})
        self.call("POST", "/groups/checkers/members", {"account": "gus"})
        token = self.call("POST", "/accounts/gus/tokens", {"name": "browser"})["token"]
        name = unique("group review")
        step = {"type": "Human.Task", "input": {"title": "Check as a group", "form": FORM, "assignees": ["group:checkers"]}}
        wf = self.call("POST", "/workflows", {"name": name, "steps": [step]})["workflow_id"]
        ex = self.call("POST", f"/workflows/{wf}/execute", {"input": {"text": "hello"}})["execution_id"]
        d.get(f"{self.base}/ui/inbox")
        self.sign_in(token, "gus")
        wait_for(d, "#inbox-person", text="gus")
        row = wait_for(d, '#inbox-claimable tr[data-human-task] a.task-title', text="Check as a group")
        row.click()
        # A worker may not read the workflow: its name comes with the task.
        wait_for(d, "#workflow-link", text=name)
        wait_for(d, "#task-assignees", text="group:checkers")
        click(d, "#claim-button")
        wait_for(d, "#release-button")
        click(d, "#answer-approved")
        click(d, "#task-answer-area button[type=submit]")
        wait_for(d, "#task-finished", text="Answered by gus")
        wait_for(d, "#task-answered")
        execution = self.call("GET", f"/executions/{ex}?wait=10")
        self.assertEqual(execution["status"], "COMPLETED", execution)
