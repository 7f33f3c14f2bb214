// /ui/inbox/{id}: one human task — its title, its instructions (plain text, line breaks kept),
// the task's input, and the answer form generated from its `form` by schema-form.js (the workflow
// input form's code: the same checks before sending, the server's `answer.x` problems next to
// field x); Assign to me, Release, and for editors Reassign (to an account, or back to the
// inbox). While it waits it is re-read every 5 s, so a claim or an answer from elsewhere shows;
// the form, and what was typed into it, stays. Once answered: the answer and a link to the
// execution.

import { h, fill, time, jsonBlock, badge } from "./dom.js";
import { api, APIError, may, mayWork as mayWorkIn, isAssigned, person, humanTaskTimes } from "./api.js";
import { inputForm } from "./schema-form.js";
import { liveDuration, liveCountdown } from "./clock.js";
import { announce, loadOrNotFound, loading, personControl, refreshInboxCount } from "./shell.js";

const POLL_MS = 5000;
const OPEN = new Set(["WAITING", "CLAIMED"]);
const enc = encodeURIComponent;

/** The words of the answer form (schema-form.js's are the workflow input's). */
const ANSWER_WORDS = {
  root: "answer", idPrefix: "answer", formLabel: "Answer", rawLabel: "Answer",
  closed: "The form asks for nothing: Submit answers with an empty object.",
  open: "The form names no fields: Submit answers {}, or use “Edit as JSON” to answer with an object.",
};

/** The page of one human task. */
export async function humanTaskPage(page, id) {
  document.title = `${id} · Sluice`;
  page.main.append(loading("Loading the task…"));
  const task = await loadOrNotFound(page, () => api.getHumanTask(id), "Task", id,
    h("span", {}, "Task ids look like ", h("code", {}, "ht-…"), "; the ", h("a", { href: "/ui/inbox" }, "inbox"), " lists the tasks that wait for you."));
  if (!task || !page.alive()) return;
  new HumanTaskView(page, task, Date.now()).start();
  refreshInboxCount(); // the shell leaves the count to the inbox's pages
}

class HumanTaskView {
  constructor(page, task, receivedAt) {
    this.page = page;
    this.task = task;
    this.receivedAt = receivedAt;
    this.drawnState = null;
  }

  get open() { return OPEN.has(this.task.status); }

  start() {
    const t = this.task;
    document.title = `${t.title} · Sluice`;
    this.meta = h("p", { class: "meta" });
    this.workflowLink = h("a", { href: `/ui/workflows/${enc(t.workflow_id)}`, id: "workflow-link" }, t.workflow_name || t.workflow_id);
    this.facts = h("dl", { class: "facts", id: "task-facts" });
    this.note = h("p", { class: "note", id: "task-note", role: "status" });
    this.buttons = h("div", { class: "actions", id: "task-actions" });
    this.actionError = h("div", { class: "form-error", id: "task-action-error", role: "alert", hidden: true });
    this.reassign = may("control", t.namespace) ? this.reassignForm() : null;
    this.form = inputForm(t.form, { onSubmit: (answer) => this.submit(answer), submitLabel: "Submit", words: ANSWER_WORDS });
    this.fieldset = h("fieldset", { class: "answer-fields" }, this.form);
    this.answerBody = h("div", { id: "task-answer-area" }, this.fieldset);
    fill(this.page.main,
      h("div", { class: "page-head" },
        h("div", {}, h("p", { class: "small" }, h("a", { href: "/ui/inbox" }, "← Inbox")), h("h1", { id: "task-title" }, t.title), this.meta),
        personControl(() => { this.draw(true); refreshInboxCount(); })),
      h("div", { class: "action-bar task-bar" }, this.buttons, this.note),
      this.actionError,
      // Instructions beside what is known of the task, the input beside the answer; on a phone
      // instructions, input and answer come first, the facts last (task-layout in app.css).
      h("div", { class: "task-layout" },
        h("section", { class: "card task-instructions", "aria-labelledby": "instructions-heading" },
          h("h2", { id: "instructions-heading" }, "Instructions"),
          t.instructions
            ? h("p", { class: "instructions", id: "task-instructions" }, t.instructions)
            : h("p", { class: "muted", id: "task-instructions" }, "None: the title says it all.")),
        h("section", { class: "card task-facts", "aria-labelledby": "facts-heading" }, h("h2", { id: "facts-heading" }, "About the task"), this.facts,
          this.reassign ? this.reassign.element : null),
        h("section", { class: "card task-input", "aria-labelledby": "input-heading" },
          h("h2", { id: "input-heading" }, "Input", h("span", { class: "muted small" }, " what the workflow hands the task")),
          jsonBlock(t.input, { id: "task-input" })),
        h("section", { class: "card task-answer", "aria-labelledby": "answer-heading" },
          h("h2", { id: "answer-heading" }, "Answer"), this.answerBody)));
    this.draw(true);
    const timer = setInterval(() => { if (this.open && !document.hidden) this.refresh(); }, POLL_MS);
    this.page.onLeave(() => clearInterval(timer));
  }

  /** Re-reads the task; redraws when it changed (someone claimed, released or answered it). */
  async refresh() {
    try {
      const task = await api.getHumanTask(this.task.human_task_id);
      if (!this.page.alive()) return;
      this.update(task);
    } catch { /* the next read will tell; the page stays as it was */ }
  }

  update(task) {
    this.task = task;
    this.receivedAt = Date.now();
    this.draw(false);
  }

  /** What the person may do now: claim, release, answer, and why not. */
  state() {
    const t = this.task;
    const me = person();
    const mine = this.open && t.holder === me;
    const mayWork = mayWorkIn(t.namespace);
    const assigned = isAssigned(t, me);
    const canClaim = this.open && !t.holder && assigned && mayWork;
    return { me, mine, mayWork, assigned, canClaim, canAnswer: mine || canClaim };
  }

  /** Draws the parts that follow the task's state (not the form, unless the task finished). */
  draw(always) {
    const t = this.task;
    const s = this.state();
    const key = JSON.stringify([t.status, t.holder, t.due_at, t.answered_at, s.me]);
    if (!always && key === this.drawnState) return;
    this.drawnState = key;
    const { waitingSince, dueMillis } = humanTaskTimes(t, this.receivedAt);

    fill(this.meta,
      h("span", { id: "task-status" }, badge(t.status)),
      h("code", {}, t.human_task_id),
      h("span", {}, "in ", this.workflowLink),
      h("span", {}, "execution ", h("a", { class: "mono", id: "execution-link", href: `/ui/executions/${enc(t.execution_id)}` }, t.execution_id)),
      h("span", {}, "step ", h("code", {}, t.task), t.attempt > 1 ? ` (attempt ${t.attempt})` : ""));

    fill(this.facts,
      h("dt", {}, "Holder"), h("dd", { id: "task-holder" }, t.holder ? (t.holder === s.me ? `${t.holder} (you)` : t.holder) : h("span", { class: "muted" }, "nobody yet")),
      h("dt", {}, "Assignees"), h("dd", { id: "task-assignees" }, t.assignees.length ? t.assignees.join(", ") : h("span", { class: "muted" }, "anyone who may work here")),
      h("dt", {}, "Waiting"), h("dd", {}, this.open ? liveDuration(waitingSince, null, { id: "task-waiting" }) : h("span", { class: "muted" }, "no longer")),
      h("dt", {}, "Due"), h("dd", { id: "task-due" }, dueMillis === null ? h("span", { class: "muted" }, "no due time")
        : [this.open ? [liveCountdown(dueMillis), " ("] : null, time(t.due_at), this.open ? ")" : null]),
      t.due_at ? [h("dt", {}, "When due"), h("dd", {}, t.on_due === "answer" ? ["answered with ", h("code", {}, JSON.stringify(t.default_answer))] : "the task fails")] : null,
      t.answered_at ? [h("dt", {}, "Answered"), h("dd", { id: "task-answered" }, time(t.answered_at))] : null,
      h("dt", {}, "Namespace"), h("dd", {}, t.namespace),
      h("dt", {}, "Created"), h("dd", {}, time(t.created_at)));

    fill(this.buttons,
      s.canClaim ? h("button", { type: "button", id: "claim-button", class: "primary", onclick: () => this.act("claim") }, "Assign to me") : null,
      s.mine ? h("button", { type: "button", id: "release-button", onclick: () => this.act("release") }, "Release") : null);
    this.note.textContent = this.noteText(s);
    if (this.reassign) this.reassign.draw();

    if (this.open) {
      this.fieldset.disabled = !s.canAnswer;
    } else {
      this.answerBody.replaceChildren(this.finished());
    }
  }

  noteText(s) {
    const t = this.task;
    if (!this.open) return "";
    const byEditor = this.reassign ? ", or reassign it below" : " or an editor reassigns it";
    if (s.mine) return "Assigned to you: answer it below, or release it for someone else.";
    if (t.holder) return `Held by ${t.holder}: it can be answered once they release it${byEditor}.`;
    if (!s.mayWork) return `Your roles in namespace ${t.namespace} do not include working on human tasks (worker or admin do; a worker grant that names its queues must name @human).`;
    if (!s.assigned) return `Assigned to ${t.assignees.join(", ")}; ${s.me} may not claim it${this.reassign ? " (reassign it below to give it to someone)" : ""}.`;
    return "Waiting for someone to take it: assign it to yourself, or answer right away (that assigns it to you too).";
  }

  /** The end of the task: its answer, or why there is none, and the way to its execution. */
  finished() {
    const t = this.task;
    const link = h("p", {}, h("a", { class: "button", id: "open-execution", href: `/ui/executions/${enc(t.execution_id)}` }, "Open the execution"));
    if (t.status === "COMPLETED") {
      return h("div", { id: "task-finished", "data-status": t.status },
        h("p", { class: "strong" }, t.holder ? `Answered by ${t.holder}.` : "Answered (its due time passed: the default answer)."),
        jsonBlock(t.answer, { id: "task-answer" }), link);
    }
    if (t.status === "FAILED") {
      return h("div", { id: "task-finished", "data-status": t.status },
        h("div", { class: "error-box" }, h("strong", {}, "Failed"), h("p", {}, t.error || "no answer")), link);
    }
    return h("div", { id: "task-finished", "data-status": t.status },
      h("div", { class: "note-box" }, h("strong", {}, "No longer waiting"),
        h("p", {}, "Its execution was cancelled or finished, or the task timed out: an answer would change nothing.")), link);
  }

  /** Assign to me or Release; afterwards the focus goes where the next step is. */
  async act(action) {
    this.actionError.hidden = true;
    const id = this.task.human_task_id;
    try {
      const task = action === "claim" ? await api.claimHumanTask(id) : await api.releaseHumanTask(id);
      if (!this.page.alive()) return;
      this.update(task);
      announce(action === "claim" ? "Assigned to you" : "Released to the inbox");
      refreshInboxCount();
      const next = action === "claim" ? this.form.querySelector("input, select, textarea") : document.getElementById("claim-button");
      if (next) next.focus();
    } catch (error) {
      this.refused(error);
    }
  }

  /** Shows why a call changed nothing, and re-reads the task (it changed under us). */
  refused(error) {
    if (!this.page.alive()) return;
    this.actionError.hidden = false;
    this.actionError.textContent = error.message || String(error);
    if (error instanceof APIError && error.status === 409) this.refresh();
  }

  /** The form's submit: a 400 is shown by the form at its fields; a 409 above it, as the form's error. */
  async submit(answer) {
    this.actionError.hidden = true;
    let task;
    try {
      task = await api.completeHumanTask(this.task.human_task_id, answer);
    } catch (error) {
      if (error instanceof APIError && error.status === 409) this.refresh();
      throw error;
    }
    if (!this.page.alive()) return;
    this.update(task);
    announce("Answer submitted; the workflow goes on");
    refreshInboxCount();
    const done = document.getElementById("task-finished");
    if (done) { done.setAttribute("tabindex", "-1"); done.focus(); }
  }

  /** An editor's Reassign: to the account named, or (Back to the inbox) to nobody. */
  reassignForm() {
    const input = h("input", { id: "reassign-account", type: "text", autocomplete: "off", spellcheck: "false", placeholder: "account name", "aria-describedby": "reassign-error" });
    const error = h("div", { class: "field-error", id: "reassign-error", role: "alert", hidden: true });
    const toInbox = h("button", { type: "button", id: "reassign-inbox" }, "Back to the inbox");
    const form = h("form", { class: "reassign", id: "reassign-form", novalidate: true, "aria-label": "Reassign the task" },
      h("label", { for: "reassign-account" }, h("span", { class: "field-name" }, "Reassign"),
        h("span", { class: "hint" }, " give it to another account, or put it back in the inbox (an editor’s call)")),
      h("div", { class: "reassign-row" }, input, h("button", { type: "submit", id: "reassign-button" }, "Give it to them"), toInbox),
      error);
    const send = async (account) => {
      error.hidden = true;
      input.removeAttribute("aria-invalid");
      try {
        const task = await api.reassignHumanTask(this.task.human_task_id, account);
        if (!this.page.alive()) return;
        input.value = "";
        this.update(task);
        announce(account ? `Reassigned to ${account}` : "Back in the inbox");
        refreshInboxCount();
      } catch (e) {
        if (!this.page.alive()) return;
        error.hidden = false;
        error.textContent = e.message;
        if (e instanceof APIError && e.status === 400) { input.setAttribute("aria-invalid", "true"); input.focus(); }
        if (e instanceof APIError && e.status === 409) this.refresh();
      }
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) { error.hidden = false; error.textContent = "Name the account to give the task to (or use Back to the inbox)."; input.setAttribute("aria-invalid", "true"); input.focus(); return; }
      send(name);
    });
    toInbox.addEventListener("click", () => send(null));
    return {
      element: form,
      draw: () => {
        form.hidden = !this.open;
        toInbox.hidden = !this.task.holder;
      },
    };
  }
}
