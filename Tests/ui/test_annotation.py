"""Browser tests of the annotation pages (/ui/annotation…), run by .ci/ui.

A manager creates a project and its pipeline and uploads items; a labeler takes the next item
from their queue, sees its data and labels it; a reviewer rejects it with a comment, the labeler
sees the comment and labels again, the reviewer approves, and the workflow's progress shows it
done. The suite's server has access off, so people are the "Acting as" name; one test runs its
own server with access checked, where a worker with no role that reads uses their queue.

Every pool names its workers (accounts of this test alone) and every test cancels the items it
leaves: an item waiting in a pool open to anyone would be claimable in every inbox of the suite.
"""

import time
import uuid
from urllib.parse import urlparse

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from harness import UITestCase, api, base_url, click, screenshot, wait_for, wait_until
from test_inbox import CONTRAST
import test_ui  # not its test classes: imported here, unittest would run them twice
from test_ui import AuthServerTestCase, set_value, unique


def account(name):
    """An account of this test alone, created (pools may only name accounts that exist)."""
    name = f"{name}-{uuid.uuid4().hex[:6]}"
    status, answer = api("POST", "/accounts", {"name": name})
    assert status in (200, 201), f"creating account {name} answered {status}: {answer}"
    return name


def envelope(method, path, body=None):
    """`data` of an annotation answer, which must be a success."""
    status, answer = api(method, path, body)
    assert status == 200 and answer["success"], f"{method} {path} answered {status}: {answer}"
    return answer["data"]


def project(labels=("cat", "dog"), kind="choice"):
    config = {"kind": kind, "labels": list(labels)} if kind != "text" else {"kind": "text"}
    return envelope("POST", "/annotation/project/create", {"name": unique("pets"), "labelConfig": config})["projectId"]


def pipeline(project_id, labelers, reviewers):
    pools = [{"name": "in", "type": 0}, {"name": "label", "type": 1, "workers": labelers},
             {"name": "review", "type": 2, "workers": reviewers}, {"name": "done", "type": 5}]
    return envelope("POST", "/annotation/workflow/create", {"projectId": project_id, "workflow": {"pools": pools}})["workflowId"]


def upload(workflow_id, *data):
    return envelope("POST", "/annotation/item/upload", {"workflowId": workflow_id, "items": [{"data": d} for d in data]})["itemIds"]


def item(item_id):
    return envelope("GET", f"/annotation/item/get?itemId={item_id}")


def cancel_items(workflow_id, call=None):
    """Cancels the executions of the workflow's items that have not ended (`call(method, path)`
    answers the parsed body: the suite's server by default)."""
    call = call or (lambda method, path: api(method, path)[1])
    answer = call("GET", f"/annotation/item/list?workflowId={workflow_id}&limit=500")
    for entry in answer["data"]["list"]:
        if entry["state"] in ("in_pool", "pending") and entry["executionId"]:
            execution = call("GET", f"/executions/{entry['executionId']}")
            if execution and "workflow_id" in execution:
                call("POST", f"/workflows/{execution['workflow_id']}/executions/{entry['executionId']}/cancel")


def wait_in_pool(item_id, pool, timeout=10, call=None):
    """Until the item waits in pool `pool` (its execution started, its human task queued)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = item(item_id) if call is None else call("GET", f"/annotation/item/get?itemId={item_id}")["data"]
        if answer["state"] == "in_pool" and answer["pool"] and answer["pool"]["index"] == pool:
            return answer
        time.sleep(0.1)
    raise AssertionError(f"item {item_id} did not reach pool {pool} within {timeout} s")


def other_origin(url):
    """The same address with `localhost` for `127.0.0.1`: another origin, so the page's
    Content-Security-Policy must allow images from other origins to show it."""
    parsed = urlparse(url)
    return url.replace(f"//{parsed.hostname}", "//localhost", 1) if parsed.hostname == "127.0.0.1" else url


class AnnotationTestCase(UITestCase):
    def act_as(self, name):
        d = self.driver
        set_value(d, wait_for(d, "#acting-as"), name)
        d.find_element(By.CSS_SELECTOR, "#acting-as").send_keys(Keys.ENTER)
        wait_until(d, lambda d: d.execute_script("return localStorage.getItem('sluice.acting-as')") == name, message=f"not acting as {name}")

    def open_queue(self, workflow_id, pool, person):
        d = self.driver
        d.get(f"{base_url()}/ui/annotation/workflows/{workflow_id}/pools/{pool}")
        wait_for(d, "#queue-title")
        self.act_as(person)

    def take_next(self):
        click(self.driver, "#take-next")
        return wait_for(self.driver, "#item-id")

    def stage_count(self, pool, name):
        return self.driver.execute_script(
            f"const e = document.querySelector('#workflow-stages [data-stage=\"{pool}\"] [data-count=\"{name}\"] dd'); return e ? e.textContent : null")

    def state_count(self, name):
        return self.driver.execute_script(f"const e = document.querySelector('#item-states [data-state=\"{name}\"] dd'); return e ? e.textContent : null")


class ManagerTests(AnnotationTestCase):
    def test_a_manager_creates_a_project_and_a_pipeline_sees_a_problem_on_its_field_uploads_items_and_sees_progress(self):
        labeler, reviewer = account("lena"), account("rex")
        d = self.driver
        d.get(f"{base_url()}/ui/annotation")
        wait_for(d, "h1", text="Annotation projects")
        wait_for(d, '#projects, [data-empty="projects"]')
        if d.find_element(By.CSS_SELECTOR, "#project-create-card").get_attribute("open") is None:
            click(d, "#project-create-card summary")
        name = unique("Street signs")
        set_value(d, wait_for(d, "#project-name"), name)
        d.find_element(By.CSS_SELECTOR, "#project-description").send_keys("Which sign is it?")
        Select(d.find_element(By.CSS_SELECTOR, "#project-kind")).select_by_value("choice")
        d.find_element(By.CSS_SELECTOR, "#project-labels").send_keys("stop\nyield\n")
        click(d, "#project-create")
        wait_for(d, "#project-title", text=name)
        wait_for(d, "#project-label-config", text="choice: stop, yield")
        wait_for(d, '[data-empty="workflows"]')
        project_id = int(d.current_url.rstrip("/").split("/")[-1])

        click(d, "#new-pipeline")
        wait_for(d, "#stages [data-stage='3']")
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#stages > li")), 4, "the default pipeline has four pools")
        # Add a pool (before completion), move it earlier, then remove it again.
        click(d, "#add-stage")
        wait_for(d, "#stages [data-stage='4']")
        self.assertEqual(Select(d.find_element(By.CSS_SELECTOR, "#pool-4-type")).first_selected_option.get_attribute("value"), "5", "completion stays last")
        set_value(d, d.find_element(By.CSS_SELECTOR, "#pool-3-name"), "extra")
        click(d, "#stages [data-stage='3'] [data-part=left]")
        wait_until(d, lambda d: d.find_element(By.CSS_SELECTOR, "#pool-2-name").get_attribute("value") == "extra", message="the pool did not move left")
        click(d, "#stages [data-stage='2'] [data-part=remove]")
        wait_until(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#stages > li")) == 4, message="the pool was not removed")
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#pool-2-name").get_attribute("value"), "Inspection")

        # Invalid: the first pool is not a distribution pool (the order's rule, on the type).
        Select(d.find_element(By.CSS_SELECTOR, "#pool-0-type")).select_by_value("1")
        click(d, "#pipeline-create")
        wait_for(d, "#pool-0-type-error", text="distribution")
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#pool-0-type").get_attribute("aria-invalid"), "true")
        # Invalid: a reviewer who does not exist (on the workers field of the inspection pool).
        Select(d.find_element(By.CSS_SELECTOR, "#pool-0-type")).select_by_value("0")
        wait_until(d, lambda d: not d.find_element(By.CSS_SELECTOR, "#pool-0-type-error").is_displayed(), message="the problem stayed after the type changed")
        set_value(d, wait_for(d, "#pool-1-workers"), labeler)
        set_value(d, d.find_element(By.CSS_SELECTOR, "#pool-2-workers"), f"{reviewer}, nobody-{uuid.uuid4().hex[:6]}")
        click(d, "#pipeline-create")
        wait_for(d, "#pool-2-workers-error", text="worker 2: no account is named")
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#pool-2-workers").get_attribute("aria-invalid"), "true")
        self.assertFalse(d.find_element(By.CSS_SELECTOR, "#pool-1-workers-error").is_displayed(), "a valid field is marked")
        self.assertEqual(envelope("GET", f"/annotation/workflow/list?projectId={project_id}")["list"], [], "an invalid pipeline was stored")
        screenshot(d, "annotation-pipeline-problems")

        set_value(d, d.find_element(By.CSS_SELECTOR, "#pool-2-workers"), reviewer)
        click(d, "#pipeline-create")
        wait_for(d, "#workflow-title")
        workflow_id = int(d.current_url.rstrip("/").split("/")[-1])
        self.addCleanup(cancel_items, workflow_id)
        pools = envelope("GET", f"/annotation/workflow/get?workflowId={workflow_id}")["workflow"]["pools"]
        self.assertEqual([(p["type"], p["workers"]) for p in pools], [(0, []), (1, [labeler]), (2, [reviewer]), (5, [])])
        wait_for(d, '[data-empty="items"]')
        self.assertIn(f"workflowId={workflow_id}", d.find_element(By.CSS_SELECTOR, "#export-link").get_attribute("href"))
        self.assertIn("format=jsonl", d.find_element(By.CSS_SELECTOR, "#export-link").get_attribute("href"))

        # JSON Lines: a line that is not JSON is pointed out before anything is sent; an
        # externalId given twice is the server's problem, shown with its line.
        click(d, "#upload-format-jsonl")
        box = d.find_element(By.CSS_SELECTOR, "#upload-text")
        box.send_keys('{"data": "https://example.com/a.png", "externalId": "a"}\n{oops\n')
        click(d, "#upload-button")
        wait_for(d, "#upload-problems", text="Line 2: not valid JSON")
        set_value(d, box, '{"data": "first", "externalId": "a"}\n\n{"data": "second", "externalId": "a"}')
        click(d, "#upload-button")
        wait_for(d, "#upload-problems", text="Line 3: externalId:")
        self.assertEqual(envelope("GET", f"/annotation/item/list?workflowId={workflow_id}")["list"], [], "a refused batch stored items")

        click(d, "#upload-format-lines")
        set_value(d, box, "A red octagon\n\nA white triangle\n")
        click(d, "#upload-button")
        wait_for(d, "#upload-status", text="2 items uploaded")
        wait_until(d, lambda d: self.state_count("total") == "2", message="the progress does not count 2 items")
        wait_until(d, lambda d: self.stage_count(1, "waiting") == "2", timeout=15, message="the labeling pool does not show 2 waiting")
        wait_for(d, '#items tr[data-item] [data-part="state"]', text="in pool")
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#items tr[data-item]")), 2)
        wait_for(d, "#items", text="A white triangle")
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#item-count").text, "", "all the items are listed")
        link = wait_for(d, "#workflow-stages [data-stage='1'] [data-part=queue]")
        self.assertTrue(link.get_attribute("href").endswith(f"/ui/annotation/workflows/{workflow_id}/pools/1"))
        screenshot(d, "annotation-workflow")

        # The project page shows the workflow as its row of pools.
        d.get(f"{base_url()}/ui/annotation/projects/{project_id}")
        chips = wait_for(d, f'#annotation-workflows tr[data-workflow="{workflow_id}"] .pool-stages')
        self.assertEqual([c.text.splitlines()[0] for c in chips.find_elements(By.CSS_SELECTOR, ".pool-chip")], ["Distribution", "Labeling", "Inspection", "Completion"])
        d.get(f"{base_url()}/ui/annotation")
        wait_for(d, f'#projects tr[data-project="{project_id}"]', text=name)
        screenshot(d, "annotation-projects")


# Answers the page's uploads itself (recording each batch's size): a batch holding an item whose
# data is "refuse me" is refused with that item's problem, as the server words one.
FAKE_UPLOAD = """
window.__batches = [];
const fetchBeforeFake = window.fetch;
window.fetch = function (input, init) {
  if (init && init.method === 'POST' && String(input).endsWith('/annotation/item/upload')) {
    const items = JSON.parse(init.body).items;
    window.__batches.push(items.length);
    const refused = items.findIndex((i) => i.data === 'refuse me');
    const body = refused >= 0
      ? {code: 400, data: null, date: '', message: 'Invalid Parameter', requestId: '', success: false,
         problems: [{path: `items[${refused}].data`, code: 'refused', message: 'refused by the test'}]}
      : {code: 200, message: 'Succeed', data: {itemIds: items.map((_, i) => i + 1), pending: 0}, date: '', requestId: '', success: true};
    return Promise.resolve(new Response(JSON.stringify(body), {status: refused >= 0 ? 400 : 200, headers: {'Content-Type': 'application/json'}}));
  }
  return fetchBeforeFake.call(this, input, init);
};
"""


class UploadBatchTests(AnnotationTestCase):
    def test_items_are_sent_in_batches_of_1000_and_a_problem_names_the_line_it_came_from(self):
        workflow_id = pipeline(project(), [account("lena")], [account("rex")])
        d = self.driver
        d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FAKE_UPLOAD})
        d.get(f"{base_url()}/ui/annotation/workflows/{workflow_id}")
        box = wait_for(d, "#upload-text")
        # Line 3 is blank (skipped), so line n holds item n - 1 from there on; line 2400 is refused.
        lines = ["refuse me" if n == 2400 else "" if n == 3 else f"item {n}" for n in range(1, 2502)]
        d.execute_script("arguments[0].value = arguments[1]", box, "\n".join(lines))
        click(d, "#upload-button")
        wait_for(d, "#upload-problems", text="Line 2400: data: refused by the test")
        wait_for(d, "#upload-status", text="2000 items were uploaded (up to line 2001); nothing from line 2002 on.")
        self.assertEqual(d.execute_script("return window.__batches"), [1000, 1000, 500])
        # Without the refused line, all of it goes: 2,499 items in three batches.
        d.execute_script("window.__batches = []; arguments[0].value = arguments[1]", box, "\n".join(line for line in lines if line != "refuse me"))
        click(d, "#upload-button")
        wait_for(d, "#upload-status", text="2499 items uploaded")
        self.assertEqual(d.execute_script("return window.__batches"), [1000, 1000, 499])
        self.assertFalse(d.find_element(By.CSS_SELECTOR, "#upload-problems").is_displayed())


class LabelAndReviewTests(AnnotationTestCase):
    def test_a_labeler_labels_a_reviewer_rejects_with_a_comment_the_labeler_resubmits_and_the_reviewer_approves(self):
        labeler, reviewer = account("lena"), account("rex")
        workflow_id = pipeline(project(), [labeler], [reviewer])
        self.addCleanup(cancel_items, workflow_id)
        image = other_origin(base_url()) + "/ui/assets/icon.svg"
        [item_id] = upload(workflow_id, image)
        wait_in_pool(item_id, 1)
        d = self.driver

        self.open_queue(workflow_id, 1, labeler)
        wait_for(d, "#queue-title", text="label")
        self.take_next()
        wait_for(d, "#item-id", text=f"Item {item_id}")
        img = wait_for(d, "#item-image")
        self.assertEqual(img.get_attribute("src"), image)
        # From another origin: it shows only if the page's Content-Security-Policy allows it.
        wait_until(d, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img), message="the item's image did not load")
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#label-choices input[type=radio]")), 2)
        click(d, "#label-submit")
        wait_for(d, "#label-error", text="Choose a label")
        click(d, "label[for=label-0]")
        click(d, "#label-submit")
        wait_for(d, "#queue-note", text="Annotation submitted")
        wait_in_pool(item_id, 2)

        self.open_queue(workflow_id, 2, reviewer)
        self.take_next()
        wait_for(d, "#annotation-summary", text="cat")
        wait_for(d, "#annotation-view", text=labeler)
        click(d, "#reject")
        wait_for(d, "#review-error", text="needs a comment")
        self.assertEqual(item(item_id)["pool"]["index"], 2, "a rejection without a comment was sent")
        d.find_element(By.CSS_SELECTOR, "#review-comment-input").send_keys("It is a dog, look at the ears")
        click(d, "#reject")
        wait_for(d, "#queue-note", text="Rejected")
        back = wait_in_pool(item_id, 1)
        self.assertEqual(back["pool"]["holder"], labeler, "the rejected item did not go back to its labeler")

        self.open_queue(workflow_id, 1, labeler)
        self.take_next()
        wait_for(d, "#review-comment-text", text="It is a dog, look at the ears")
        self.assertTrue(d.find_element(By.CSS_SELECTOR, "#label-0").is_selected(), "the previous annotation was not prefilled")
        screenshot(d, "annotation-queue-rejected")
        click(d, "label[for=label-1]")
        click(d, "#label-submit")
        wait_for(d, "#queue-note", text="Annotation submitted")
        wait_in_pool(item_id, 2)

        self.open_queue(workflow_id, 2, reviewer)
        self.take_next()
        wait_for(d, "#annotation-summary", text="dog")
        click(d, "#approve")
        wait_for(d, "#queue-note", text="Approved")
        wait_until(d, lambda d: item(item_id)["state"] == "completed", message="the approved item did not complete")
        self.assertEqual(item(item_id)["annotation"], {"label": "dog"})
        click(d, "#take-next")
        wait_for(d, "#queue-empty")

        d.get(f"{base_url()}/ui/annotation/workflows/{workflow_id}")
        wait_until(d, lambda d: self.state_count("completed") == "1", message="the progress does not show the item completed")
        wait_for(d, f'#items tr[data-item="{item_id}"] [data-part="state"]', text="completed")
        row = wait_for(d, f'#workers tr[data-worker="{labeler}"]')
        self.assertEqual(row.find_element(By.CSS_SELECTOR, '[data-part="done"]').text.split()[-1], "2")
        self.assertEqual(row.find_element(By.CSS_SELECTOR, '[data-part="rejected"]').text.split()[-1], "1")
        self.assertIn("50%", row.find_element(By.CSS_SELECTOR, '[data-part="rate"]').text)
        wait_for(d, f'#workers tr[data-worker="{reviewer}"] [data-part="rejected"]', text="1")
        wait_until(d, lambda d: self.stage_count(2, "rejected") == "1", message="the inspection pool does not count the rejection")
        screenshot(d, "annotation-workflow-done")

        # The item's page: every round, who held it, the rejection's comment, both annotations.
        click(d, f'#items tr[data-item="{item_id}"] [data-part="item-link"]')
        wait_until(d, lambda d: d.current_url.endswith(f"/ui/annotation/items/{item_id}"), message="the item's row does not open its page")
        wait_for(d, "#item-title", text=f"Item #{item_id}")
        wait_for(d, "#item-state", text="completed")
        wait_for(d, "#item-annotation", text="dog")
        rounds = d.find_elements(By.CSS_SELECTOR, "#item-history tbody tr")
        self.assertEqual(len(rounds), 4, "label, reject, label again, approve")
        who = [r.find_element(By.CSS_SELECTOR, '[data-part="by"]').text.split("\n")[-1] for r in rounds]
        self.assertEqual(who, [labeler, reviewer, labeler, reviewer])
        answers = [r.find_element(By.CSS_SELECTOR, "[data-answer]").get_attribute("data-answer") for r in rounds]
        self.assertEqual(answers, ["annotation", "rejected", "annotation", "approved"])
        self.assertIn("It is a dog, look at the ears", rounds[1].find_element(By.CSS_SELECTOR, '[data-part="comment"]').text)
        self.assertIn("cat", rounds[0].find_element(By.CSS_SELECTOR, '[data-part="answer"]').text)
        screenshot(d, "annotation-item-history")


class RegionLabelTests(AnnotationTestCase):
    """Labels that are regions: boxes drawn on an image, spans marked in a text."""

    def labeler_pipeline(self, kind, labels):
        labeler = account("rita")
        pools = [{"name": "in", "type": 0}, {"name": "label", "type": 1, "workers": [labeler]}, {"name": "done", "type": 5}]
        workflow_id = envelope("POST", "/annotation/workflow/create", {"projectId": project(labels, kind=kind), "workflow": {"pools": pools}})["workflowId"]
        self.addCleanup(cancel_items, workflow_id)
        return labeler, workflow_id

    def test_a_labeler_draws_boxes_on_the_image_with_the_mouse_and_by_their_numbers(self):
        from selenium.webdriver.common.action_chains import ActionChains
        labeler, workflow_id = self.labeler_pipeline("boxes", ("cat", "dog"))
        image = base_url() + "/ui/assets/icon.svg"
        [item_id] = upload(workflow_id, image)
        wait_in_pool(item_id, 1)
        d = self.driver
        self.open_queue(workflow_id, 1, labeler)
        self.take_next()
        img = wait_for(d, "#box-image")
        wait_until(d, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img), message="the image did not load")
        natural, shown = d.execute_script("return [arguments[0].naturalWidth, arguments[0].getBoundingClientRect().width]", img)
        # A box dragged from a quarter to three quarters of the image, labelled dog.
        click(d, "label[for=box-label-1]")
        rect = d.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height]", img)
        ActionChains(d).move_to_element_with_offset(img, -rect[0] / 4, -rect[1] / 4).click_and_hold() \
            .move_to_element_with_offset(img, rect[0] / 4, rect[1] / 4).release().perform()
        wait_for(d, '#box-list li[data-box="0"]', text="dog")
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, '#box-overlay .box[data-box="0"]')), 1, "the box is not drawn on the image")
        # One by its numbers, labelled cat; then one removed and drawn again is not kept twice.
        click(d, "label[for=box-label-0]")
        click(d, ".region-manual summary")
        for field, value in (("#box-x", "1"), ("#box-y", "2"), ("#box-width", "30"), ("#box-height", "40")):
            set_value(d, d.find_element(By.CSS_SELECTOR, field), value)
        click(d, "#box-add")
        wait_for(d, '#box-list li[data-box="1"]', text="cat")
        click(d, "#label-submit")
        wait_for(d, "#queue-note", text="Annotation submitted")
        wait_until(d, lambda d: item(item_id)["state"] == "completed", message="the labeled item did not complete")
        boxes = item(item_id)["annotation"]["boxes"]
        self.assertEqual([b["label"] for b in boxes], ["dog", "cat"])
        self.assertEqual(boxes[1], {"label": "cat", "x": 1, "y": 2, "width": 30, "height": 40})
        # The dragged box in the image's own pixels: about a quarter to three quarters of it.
        scale = natural / shown
        for key, whole in (("x", natural / 4), ("width", natural / 2)):
            self.assertAlmostEqual(boxes[0][key], whole, delta=3 * scale + 1, msg=f"{key} of {boxes[0]} (image {natural} px)")

    def test_a_labeler_marks_spans_of_the_text_by_selecting_words_and_by_their_offsets(self):
        labeler, workflow_id = self.labeler_pipeline("spans", ("person", "place"))
        text = "Ada Lovelace lived in London."
        [item_id] = upload(workflow_id, text)
        wait_in_pool(item_id, 1)
        d = self.driver
        self.open_queue(workflow_id, 1, labeler)
        self.take_next()
        view = wait_for(d, "#span-text", text="Ada Lovelace")
        # Select "London" as a person would, then mark it as a place.
        d.execute_script("""
            const node = arguments[0].firstChild, start = arguments[1].indexOf("London");
            const range = document.createRange();
            range.setStart(node, start); range.setEnd(node, start + 6);
            const s = window.getSelection(); s.removeAllRanges(); s.addRange(range);""", view, text)
        click(d, "#span-mark-1")
        wait_for(d, '#span-list li[data-span="0"]', text="London")
        self.assertEqual(d.find_element(By.CSS_SELECTOR, '#span-text mark[data-label="place"]').text, "London")
        # Nothing selected: the button says what to do.
        click(d, "#span-mark-0")
        wait_for(d, "#label-error", text="Select some words")
        # "Ada Lovelace" by its offsets, as a person.
        click(d, ".region-manual summary")
        click(d, "label[for=span-label-0]")
        set_value(d, d.find_element(By.CSS_SELECTOR, "#span-start"), "0")
        set_value(d, d.find_element(By.CSS_SELECTOR, "#span-end"), "99")
        click(d, "#span-add")
        wait_for(d, "#label-error", text="the text's length")
        set_value(d, d.find_element(By.CSS_SELECTOR, "#span-end"), "12")
        click(d, "#span-add")
        wait_for(d, '#span-list li[data-span="1"]', text="Ada Lovelace")
        screenshot(d, "annotation-spans")
        click(d, "#label-submit")
        wait_for(d, "#queue-note", text="Annotation submitted")
        wait_until(d, lambda d: item(item_id)["state"] == "completed", message="the labeled item did not complete")
        self.assertEqual(item(item_id)["annotation"], {"spans": [{"label": "place", "start": 22, "end": 28}, {"label": "person", "start": 0, "end": 12}]})


def answer_next(workflow_id, pool, person, answer):
    """`person` takes the next item of pool `pool` through the API and answers it."""
    task = envelope("POST", "/annotation/task/next", {"workflowId": workflow_id, "pool": pool, "account": person})["task"]
    assert task, f"no item waits in pool {pool} for {person}"
    status, done = api("POST", f"/human-tasks/{task['human_task_id']}/complete", {"account": person, "answer": answer})
    assert status == 200, f"answering {task['human_task_id']} answered {status}: {done}"


class EditWorkflowTests(AnnotationTestCase):
    """The pipeline editor on an existing workflow (/ui/annotation/workflows/N/edit), which
    sends POST /annotation/workflow/update with the version it loaded."""

    def open_editor(self, workflow_id):
        d = self.driver
        d.get(f"{base_url()}/ui/annotation/workflows/{workflow_id}")
        wait_for(d, "#workflow-title")
        click(d, "#edit-pools")
        wait_until(d, lambda d: d.current_url.endswith(f"/ui/annotation/workflows/{workflow_id}/edit"), message="Edit pools did not open the editor")
        wait_for(d, "#pipeline-save")

    def stage_name(self, pool):
        return self.driver.execute_script(
            f"const e = document.querySelector('#workflow-stages [data-stage=\"{pool}\"] h3'); return e ? e.textContent : null")

    def test_a_pool_inserted_after_review_gets_the_item_waiting_in_review_once_it_is_approved(self):
        labeler, reviewer, checker = account("lena"), account("rex"), account("cleo")
        workflow_id = pipeline(project(), [labeler], [reviewer])
        self.addCleanup(cancel_items, workflow_id)
        [item_id] = upload(workflow_id, "A text to label")
        wait_in_pool(item_id, 1)
        answer_next(workflow_id, 1, labeler, {"label": "cat"})
        wait_in_pool(item_id, 2)
        d = self.driver

        self.open_editor(workflow_id)
        # Prefilled with the workflow's pools as they stand.
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#stages > li")), 4)
        self.assertEqual([d.find_element(By.CSS_SELECTOR, f"#pool-{i}-name").get_attribute("value") for i in range(4)], ["in", "label", "review", "done"])
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#pool-2-workers").get_attribute("value"), reviewer)
        self.assertEqual(Select(d.find_element(By.CSS_SELECTOR, "#pool-2-type")).first_selected_option.get_attribute("value"), "2")
        wait_for(d, "#stages [data-stage='2'] [data-part=match]", text="continues “review”")
        # A second inspection after the review, before completion.
        click(d, "#add-stage")
        wait_for(d, "#stages [data-stage='4']")
        set_value(d, d.find_element(By.CSS_SELECTOR, "#pool-3-name"), "second look")
        wait_for(d, "#stages [data-stage='3'] [data-part=match]", text="a new pool")
        Select(d.find_element(By.CSS_SELECTOR, "#pool-3-type")).select_by_value("2")
        set_value(d, wait_for(d, "#pool-3-workers"), checker)
        screenshot(d, "annotation-pipeline-edit")
        click(d, "#pipeline-save")

        wait_until(d, lambda d: d.current_url.rstrip("/").endswith(f"/ui/annotation/workflows/{workflow_id}"), message="saving did not go back to the workflow page")
        wait_until(d, lambda d: self.stage_name(3) == "second look", message="the workflow page does not show the new pool")
        self.assertEqual(self.stage_name(4), "done")
        stored = envelope("GET", f"/annotation/workflow/get?workflowId={workflow_id}")
        self.assertEqual(stored["version"], 2)
        self.assertEqual([(p["name"], p["type"], p["workers"]) for p in stored["workflow"]["pools"]],
                         [("in", 0, []), ("label", 1, [labeler]), ("review", 2, [reviewer]), ("second look", 2, [checker]), ("done", 5, [])])
        self.assertEqual(item(item_id)["pool"]["index"], 2, "the item left the review pool")

        # Approved in review, the item goes on to the pool the edit put after it.
        answer_next(workflow_id, 2, reviewer, {"approved": True})
        wait_in_pool(item_id, 3)
        wait_until(d, lambda d: self.stage_count(3, "waiting") == "1", timeout=15, message="the new pool does not show the item waiting")

    def test_removing_a_pool_that_holds_an_item_is_refused_with_its_count_until_its_items_are_moved(self):
        labeler, reviewer, auditor = account("lena"), account("rex"), account("ada")
        workflow_id = pipeline(project(), [labeler], [reviewer])
        self.addCleanup(cancel_items, workflow_id)
        [item_id] = upload(workflow_id, "A text to label")
        wait_in_pool(item_id, 1)
        answer_next(workflow_id, 1, labeler, {"label": "dog"})
        wait_in_pool(item_id, 2)
        d = self.driver

        self.open_editor(workflow_id)
        # Renamed, "review" is removed and "QA" is a new pool.
        set_value(d, d.find_element(By.CSS_SELECTOR, "#pool-2-name"), "QA")
        wait_for(d, "#stages [data-stage='2'] [data-part=match]", text="a new pool")
        set_value(d, d.find_element(By.CSS_SELECTOR, "#pool-2-workers"), auditor)
        self.assertFalse(d.find_element(By.CSS_SELECTOR, "#move-items").is_displayed(), "a move is offered before the server asked for one")
        click(d, "#pipeline-save")
        wait_for(d, "#pipeline-error", text='removes pool "review" (inspection), which holds 1 item')
        move = wait_for(d, "#move-items select[data-pool='review']")
        self.assertEqual([o.get_attribute("value") for o in Select(move).options], ["", "QA"], "the move does not offer the inspection pools of the edit")
        wait_for(d, "#move-items", text="Move the items of “review” (inspection) to")
        self.assertEqual(envelope("GET", f"/annotation/workflow/get?workflowId={workflow_id}")["version"], 1, "a refused edit was stored")
        self.assertEqual(item(item_id)["pool"]["name"], "review")
        screenshot(d, "annotation-pipeline-move")

        # A problem with the move lands next to its select (a target the edit has not: added
        # here by script, since the select offers only the edit's inspection pools).
        d.execute_script("const s = arguments[0]; s.add(new Option('nowhere', 'nowhere')); s.value = 'nowhere'; s.dispatchEvent(new Event('change'))", move)
        click(d, "#pipeline-save")
        wait_for(d, "#move-2-error", text='no pool named "nowhere"')
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "#move-items select[data-pool='review']").get_attribute("aria-invalid"), "true")
        move = d.find_element(By.CSS_SELECTOR, "#move-items select[data-pool='review']")
        Select(move).select_by_value("QA")
        click(d, "#pipeline-save")
        wait_until(d, lambda d: d.current_url.rstrip("/").endswith(f"/ui/annotation/workflows/{workflow_id}"), message="saving did not go back to the workflow page")
        wait_until(d, lambda d: self.stage_name(2) == "QA", message="the workflow page does not show the renamed pool")
        wait_until(d, lambda d: self.stage_count(2, "waiting") == "1", timeout=15, message="the target pool does not show the moved item")
        wait_for(d, f'#items tr[data-item="{item_id}"]', text="QA")
        moved = item(item_id)
        self.assertEqual((moved["state"], moved["pool"]["name"], moved["pool"]["index"]), ("in_pool", "QA", 2))
        # The moved item is QA's now: its worker approves it, and it completes.
        answer_next(workflow_id, 2, auditor, {"approved": True})
        wait_until(d, lambda d: item(item_id)["state"] == "completed", message="the moved item did not complete once approved")

    def test_an_edit_made_on_a_stale_version_is_refused_as_a_conflict_and_offers_to_reload(self):
        labeler, reviewer, other = account("lena"), account("rex"), account("olga")
        workflow_id = pipeline(project(), [labeler], [reviewer])
        d = self.driver
        self.open_editor(workflow_id)
        wait_for(d, "#pipeline-form")
        # Meanwhile someone else edits it through the API.
        pools = [{"name": "in", "type": 0}, {"name": "label", "type": 1, "workers": [labeler]},
                 {"name": "review", "type": 2, "workers": [reviewer, other]}, {"name": "done", "type": 5}]
        self.assertEqual(envelope("POST", "/annotation/workflow/update", {"workflowId": workflow_id, "workflow": {"pools": pools}, "version": 1})["version"], 2)
        set_value(d, d.find_element(By.CSS_SELECTOR, "#pool-1-workers"), f"{labeler} {other}")
        click(d, "#pipeline-save")
        wait_for(d, "#pipeline-conflict", text="someone else edited")
        stored = envelope("GET", f"/annotation/workflow/get?workflowId={workflow_id}")
        self.assertEqual((stored["version"], stored["workflow"]["pools"][1]["workers"]), (2, [labeler]), "the stale edit was stored")
        screenshot(d, "annotation-pipeline-conflict")
        # Reloaded, the editor shows the other edit and saves on top of it.
        click(d, "#pipeline-reload")
        wait_until(d, lambda d: d.execute_script("const e = document.querySelector('#pool-2-workers'); return e && e.value") == f"{reviewer}, {other}",
                   message="the reload does not show the other edit")
        wait_for(d, ".meta", text="editing version 2")
        set_value(d, d.find_element(By.CSS_SELECTOR, "#pool-1-workers"), f"{labeler} {other}")
        click(d, "#pipeline-save")
        wait_until(d, lambda d: d.current_url.rstrip("/").endswith(f"/ui/annotation/workflows/{workflow_id}"), message="saving after the reload did not go back to the workflow page")
        stored = envelope("GET", f"/annotation/workflow/get?workflowId={workflow_id}")
        self.assertEqual((stored["version"], stored["workflow"]["pools"][1]["workers"], stored["workflow"]["pools"][2]["workers"]), (3, [labeler, other], [reviewer, other]))


class QueueAccessTests(AnnotationTestCase):
    def test_a_worker_not_listed_on_a_pool_cannot_take_its_items(self):
        labeler, outsider = account("lena"), account("otto")
        workflow_id = pipeline(project(), [labeler], [account("rex")])
        self.addCleanup(cancel_items, workflow_id)
        [item_id] = upload(workflow_id, "A text to label")
        wait_in_pool(item_id, 1)
        d = self.driver
        self.open_queue(workflow_id, 1, outsider)
        click(d, "#take-next")
        wait_for(d, "#queue-error", text=f'"{outsider}" is not one of them')
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#item-id"), [], "the outsider was shown an item")
        self.assertIsNone(item(item_id)["pool"]["holder"], "the outsider took the item")
        # The listed labeler takes it.
        self.act_as(labeler)
        self.take_next()
        wait_for(d, "#item-text", text="A text to label")
        self.assertEqual(item(item_id)["pool"]["holder"], labeler)
        # Released, it waits for the next worker again.
        click(d, "#release")
        wait_for(d, "#queue-note", text="Released")
        self.assertIsNone(item(item_id)["pool"]["holder"], "the released item is still held")


class NarrowQueueTests(AnnotationTestCase):
    """At 390 px in the dark scheme."""
    window_width = 390
    window_height = 844
    dark = True

    def test_the_queue_page_is_usable_on_a_phone(self):
        labeler = account("lena")
        workflow_id = pipeline(project(labels=("red", "green", "blue", "a rather long label that has to wrap on a phone"), kind="choices"), [labeler], [account("rex")])
        self.addCleanup(cancel_items, workflow_id)
        text = "A long text to label, long enough to wrap several times on a phone's narrow screen without any sideways scrolling at all."
        [item_id] = upload(workflow_id, text)
        wait_in_pool(item_id, 1)
        d = self.driver
        self.open_queue(workflow_id, 1, labeler)
        self.take_next()
        wait_for(d, "#item-text", text="narrow screen")
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#label-choices input[type=checkbox]")), 4)
        test_ui.NarrowScreenTests.assert_no_sideways_scroll(self, d)
        inside = d.execute_script("""
            return [...document.querySelectorAll('#queue-task label, #queue-task button, #queue-task .item-data')].map((e) => {
              const r = e.getBoundingClientRect(); return [e.id || e.textContent.slice(0, 20), r.left >= -1 && r.right <= window.innerWidth + 1 && r.width > 0];
            }).filter((x) => !x[1]);""")
        self.assertEqual(inside, [], "parts of the queue reach past the screen's edge")
        heights = d.execute_script("return [...document.querySelectorAll('.label-choice')].map((e) => e.getBoundingClientRect().height)")
        self.assertTrue(all(h >= 40 for h in heights), f"choices too small to tap: {heights}")
        self.assertEqual(d.execute_script(CONTRAST), [], "text below 4.5:1 on the queue in the dark scheme")
        click(d, "label[for=label-0]")
        click(d, "label[for=label-3]")
        screenshot(d, "annotation-queue-narrow")
        submit = wait_for(d, "#label-submit")
        d.execute_script("arguments[0].scrollIntoView({block: 'center'})", submit)
        submit.click()
        wait_for(d, "#queue-note", text="Annotation submitted")
        wait_until(d, lambda d: item(item_id)["annotation"] == {"labels": ["red", "a rather long label that has to wrap on a phone"]},
                   message="the annotation was not stored as chosen")


    def test_the_workflow_page_stacks_its_stages_and_shows_workers_and_items_as_cards_on_a_phone(self):
        labeler = account("lena")
        workflow_id = pipeline(project(), [labeler], [account("rex")])
        self.addCleanup(cancel_items, workflow_id)
        [item_id] = upload(workflow_id, "https://example.com/a/rather/long/path/to/an/image/that/must/wrap/on/a/phone.png")
        wait_in_pool(item_id, 1)
        status, answer = api("POST", "/annotation/task/next", {"workflowId": workflow_id, "pool": 1, "account": labeler})
        self.assertEqual(status, 200, answer)
        status, done = api("POST", f"/human-tasks/{answer['data']['task']['human_task_id']}/complete", {"account": labeler, "answer": {"label": "cat"}})
        self.assertEqual(status, 200, done)
        d = self.driver
        d.get(f"{base_url()}/ui/annotation/workflows/{workflow_id}")
        wait_for(d, f'#workers tr[data-worker="{labeler}"]')
        wait_for(d, f'#items tr[data-item="{item_id}"]')
        test_ui.NarrowScreenTests.assert_no_sideways_scroll(self, d)
        stages = d.execute_script("return [...document.querySelectorAll('#workflow-stages > li')].map((e) => e.getBoundingClientRect().left)")
        self.assertEqual(len(set(round(x) for x in stages)), 1, f"the stages are not stacked: {stages}")
        row = d.find_element(By.CSS_SELECTOR, f'#workers tr[data-worker="{labeler}"]')
        cells = d.execute_script(test_ui.NarrowScreenTests.CELLS, row)
        self.assertEqual([c[0] for c in cells[1:]], ["Pool", "Done", "Rejected", "Rejection rate", "Median time"], f"fields without their labels: {cells}")
        self.assertTrue(all(c[1] and c[2] for c in cells), f"a field is hidden or reaches past the screen's edge: {cells}")
        self.assertEqual(d.execute_script(CONTRAST), [], "text below 4.5:1 on the workflow page in the dark scheme")
        screenshot(d, "annotation-workflow-narrow-dark")


class QueueAuthTests(AuthServerTestCase):
    """With access checked: a worker whose only role is worker (nothing that reads) uses their
    queue; one not listed on the pool is refused."""

    def test_a_worker_without_a_reading_role_labels_from_their_queue_and_an_unlisted_one_is_refused(self):
        d = self.driver
        for name in ("wanda", "walt"):
            self.call("POST", "/accounts", {"name": name})
            self.call("POST", "/grants", {"account": name, "namespace": "default", "role": "worker"})
        project_id = self.call("POST", "/annotation/project/create", {"name": "signs", "labelConfig": {"kind": "text"}})["data"]["projectId"]
        pools = [{"type": 0}, {"name": "transcribe", "type": 1, "workers": ["wanda"]}, {"type": 5}]
        workflow_id = self.call("POST", "/annotation/workflow/create", {"projectId": project_id, "workflow": {"pools": pools}})["data"]["workflowId"]
        [item_id] = self.call("POST", "/annotation/item/upload", {"workflowId": workflow_id, "items": [{"data": "STOP"}]})["data"]["itemIds"]
        wait_in_pool(item_id, 1, call=self.call)

        token = self.call("POST", "/accounts/walt/tokens", {"name": "browser"})["token"]
        d.get(f"{self.base}/ui/annotation/workflows/{workflow_id}/pools/1")
        self.sign_in(token, "walt")
        click(d, "#take-next")
        wait_for(d, "#queue-error", text='"walt" is not one of them')
        click(d, "#sign-out")

        token = self.call("POST", "/accounts/wanda/tokens", {"name": "browser"})["token"]
        self.sign_in(token, "wanda")
        wait_for(d, "#inbox-person", text="wanda")
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "#acting-as"), [], "with access checked nobody acts as someone else")
        click(d, "#take-next")
        wait_for(d, "#item-text", text="STOP")
        # Named from the item's task: the worker may not read the workflow.
        wait_for(d, "#queue-title", text="transcribe")
        d.find_element(By.CSS_SELECTOR, "#label-text").send_keys("Stop")
        click(d, "#label-submit")
        wait_for(d, "#queue-note", text="Annotation submitted")
        answer = self.call("GET", f"/annotation/item/get?itemId={item_id}")["data"]
        self.assertEqual((answer["state"], answer["annotation"]), ("completed", {"text": "Stop"}))
