// /ui/annotation/workflows/{id}/pools/{pool}: a worker's queue in one pool. "Take next" asks
// `POST /annotation/task/next` for their next item (one they hold already, else the oldest
// waiting); the page shows its data (item-data.js) and, in a labeling pool, the labeling form
// from the project's label config (label-form.js), prefilled with the previous annotation and
// with the reviewer's comment when a review sent the item back; in an inspection or spot-check
// pool, the annotation with Approve, and Reject with a comment (required: it is what the labeler
// is shown). Answers go to `POST /human-tasks/{id}/complete`; Release gives the item back to
// the pool. Workers need no role that reads: the pool's name comes from the workflow when they
// may read it, else from the item's task.

import { h, fill, jsonBlock } from "./dom.js";
import { api, APIError, person } from "./api.js";
import { annotation, POOL_TYPES, isReviewPool, isHumanPool } from "./annotation-api.js";
import { itemData } from "./item-data.js";
import { labelForm } from "./label-form.js";
import { announce, personControl, refreshInboxCount } from "./shell.js";

export async function queuePage(page, workflowId, poolIndex) {
  document.title = `Queue · Sluice`;
  let workflow = null;
  try { workflow = await annotation.getWorkflow(workflowId); } catch (error) {
    if (!(error instanceof APIError) || (error.status !== 403 && error.status !== 404)) throw error;
  }
  if (!page.alive()) return;
  new QueueView(page, Number(workflowId), Number(poolIndex), workflow).start();
}

/** Whether `form` is a review's (`{"approved", "comment"}`): for a pool whose type is not known. */
const isReviewForm = (form) => !!(form && form.properties && form.properties.approved && (form.required || []).includes("approved"));

class QueueView {
  constructor(page, workflowId, poolIndex, workflow) {
    this.page = page;
    this.workflowId = workflowId;
    this.poolIndex = poolIndex;
    this.workflow = workflow;
    this.pool = workflow ? workflow.workflow.pools[poolIndex] : null;
  }

  start() {
    const pool = this.pool;
    const name = pool ? pool.name : `Pool ${this.poolIndex}`;
    document.title = `${name} · Queue · Sluice`;
    this.heading = h("h1", { id: "queue-title" }, name);
    this.error = h("div", { class: "form-error", id: "queue-error", role: "alert", hidden: true });
    this.area = h("div", { id: "queue-task" });
    this.take = h("button", { type: "button", class: "primary", id: "take-next" }, "Take next");
    this.take.addEventListener("click", () => this.next());
    this.note = h("p", { class: "note", id: "queue-note", role: "status" });
    const wrongType = pool && !isHumanPool(pool.type);
    fill(this.page.main,
      h("div", { class: "page-head" },
        h("div", {},
          this.workflow ? h("p", { class: "small" }, h("a", { href: `/ui/annotation/workflows/${this.workflowId}` }, `← Workflow ${this.workflowId}`)) : null,
          this.heading,
          h("p", { class: "meta" }, h("span", {}, `workflow ${this.workflowId}, pool ${this.poolIndex}`),
            pool ? h("span", { id: "queue-pool-type" }, POOL_TYPES[pool.type]) : null)),
        personControl(() => { this.reset(); refreshInboxCount(); })),
      wrongType ? h("p", { class: "note-box" }, `Nobody works in a ${POOL_TYPES[pool.type]} pool: its items pass through on their own.`) : null,
      h("div", { class: "action-bar queue-bar" }, this.take, this.note),
      this.error, this.area);
    if (wrongType) this.take.disabled = true;
  }

  reset() {
    this.area.replaceChildren();
    this.note.textContent = "";
    this.error.hidden = true;
    this.take.hidden = false;
  }

  showError(error) {
    this.error.hidden = false;
    this.error.textContent = error.message || String(error);
  }

  async next() {
    this.take.disabled = true;
    this.error.hidden = true;
    this.note.textContent = "";
    try {
      const answer = await annotation.takeNext(this.workflowId, this.poolIndex);
      if (!this.page.alive()) return;
      if (!answer.task) {
        this.area.replaceChildren(h("p", { class: "state empty", id: "queue-empty" }, `No item waits for ${person()} in this pool now. Try again later.`));
        this.note.textContent = "";
        announce("No item waits");
        return;
      }
      this.show(answer.task);
      refreshInboxCount();
    } catch (error) {
      if (this.page.alive()) this.showError(error);
    } finally {
      this.take.disabled = false;
    }
  }

  show(task) {
    const input = task.input || {};
    const item = input.item || {};
    if (!this.pool && input.pool) {
      this.heading.textContent = input.pool;
      document.title = `${input.pool} · Queue · Sluice`;
    }
    const review = this.pool ? isReviewPool(this.pool.type) : isReviewForm(task.form);
    this.take.hidden = true;
    const release = h("button", { type: "button", class: "link-button small", id: "release" }, "Release");
    release.addEventListener("click", () => this.release(task, release));
    const facts = h("p", { class: "meta", id: "item-facts" },
      h("span", { class: "strong", id: "item-id" }, `Item ${item.item_id ?? "?"}`),
      item.external_id ? h("span", { class: "mono" }, item.external_id) : null,
      h("span", { class: "mono muted small" }, task.human_task_id), release);
    const answerArea = review ? this.reviewForm(task, input) : this.labelArea(task, input);
    fill(this.area,
      h("div", { class: "queue-layout" },
        h("section", { class: "card", "aria-labelledby": "item-heading" },
          h("h2", { id: "item-heading" }, "The item"), facts, itemData(item.data)),
        h("section", { class: "card", "aria-labelledby": "answer-heading" },
          h("h2", { id: "answer-heading" }, review ? "Review" : "Label"), answerArea)));
    const first = this.area.querySelector("input, textarea, button");
    if (first) first.focus({ preventScroll: true });
  }

  labelArea(task, input) {
    return [
      input.comment ? h("div", { class: "note-box review-comment", id: "review-comment" },
        h("strong", {}, "Sent back by a reviewer"), h("p", { id: "review-comment-text" }, input.comment)) : null,
      labelForm(task.form, input.annotation, (answer) => this.complete(task, answer, "Annotation submitted"), (input.item || {}).data),
    ];
  }

  reviewForm(task, input) {
    const comment = h("textarea", { id: "review-comment-input", rows: 3, maxlength: 2000, "aria-describedby": "review-error" });
    const error = h("div", { class: "field-error", id: "review-error", role: "alert", hidden: true });
    const approve = h("button", { type: "button", class: "primary", id: "approve" }, "Approve");
    const reject = h("button", { type: "button", class: "danger", id: "reject" }, "Reject");
    const send = async (answer, said) => {
      error.hidden = true;
      approve.disabled = reject.disabled = true;
      try { await this.complete(task, answer, said); } catch (e) {
        error.hidden = false;
        error.textContent = e.message;
      } finally { approve.disabled = reject.disabled = false; }
    };
    approve.addEventListener("click", () => send(comment.value.trim() ? { approved: true, comment: comment.value.trim() } : { approved: true }, "Approved"));
    reject.addEventListener("click", () => {
      if (!comment.value.trim()) {
        error.hidden = false;
        error.textContent = "A rejection needs a comment: it tells the labeler what to change.";
        comment.setAttribute("aria-invalid", "true");
        comment.focus();
        return;
      }
      comment.removeAttribute("aria-invalid");
      send({ approved: false, comment: comment.value.trim() }, "Rejected; the item goes back to its labeler");
    });
    const a = input.annotation;
    const summary = a && typeof a.label === "string" ? a.label : a && Array.isArray(a.labels) ? a.labels.join(", ") : a && typeof a.text === "string" ? a.text : null;
    return [
      h("div", { id: "annotation-view" },
        h("p", {}, "Labeled", input.labeled_by ? [" by ", h("strong", {}, input.labeled_by)] : "", ":"),
        summary !== null ? h("p", { class: "annotation-summary", id: "annotation-summary" }, summary) : jsonBlock(a, { id: "annotation-json" })),
      h("div", { class: "field" }, h("label", { for: "review-comment-input" }, h("span", { class: "field-name" }, "Comment"),
        h("span", { class: "field-type" }, " required to reject")), comment, error),
      h("div", { class: "form-actions" }, approve, reject),
    ];
  }

  /** Gives the item back to the pool, unanswered, for the next worker. */
  async release(task, button) {
    button.disabled = true;
    try {
      await api.releaseHumanTask(task.human_task_id);
      if (!this.page.alive()) return;
      this.area.replaceChildren();
      this.take.hidden = false;
      this.note.textContent = "Released: the item waits in the pool for the next worker.";
      announce("Released");
      this.take.focus();
      refreshInboxCount();
    } catch (error) {
      if (!this.page.alive()) return;
      button.disabled = false;
      this.showError(error);
    }
  }

  async complete(task, answer, said) {
    await api.completeHumanTask(task.human_task_id, answer);
    if (!this.page.alive()) return;
    this.area.replaceChildren();
    this.take.hidden = false;
    this.note.textContent = `${said}. Take the next item when you are ready.`;
    announce(said);
    this.take.focus();
    refreshInboxCount();
  }
}
