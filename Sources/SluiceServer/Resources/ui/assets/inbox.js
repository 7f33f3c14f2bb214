// /ui/inbox: the human tasks of the person (shell.js's personControl: the signed-in account, or
// "Acting as" while access is off): those they hold ("Yours") and those they may claim, each with
// its workflow, how long it has waited and the time left until it is due (both ticking from the
// page's one clock; a due time is marked when it is near or past) and its assignees, with Assign
// to me and Release. Editors also find every open task below, to reassign one from its page. The
// lists are re-read every 5 s and redrawn only when they changed, so a focused button stays put.

import { h, fill, badge } from "./dom.js";
import { api, mayAnywhere, humanTaskTimes } from "./api.js";
import { liveDuration, liveCountdown } from "./clock.js";
import { announce, loading, errorState, cardTable, labelled, personControl, showInboxCount, INBOX_LIMIT } from "./shell.js";

const POLL_MS = 5000;
const enc = encodeURIComponent;

/** The inbox page. */
export async function inboxPage(page) {
  document.title = "Inbox · Sluice";
  const view = new InboxView(page);
  await view.start();
}

/** The workflow's name (as the task names it) linked to its page, and the execution's id linked to its. */
function workflowCell(task) {
  const name = h("a", { href: `/ui/workflows/${enc(task.workflow_id)}`, "data-part": "workflow" }, task.workflow_name || task.workflow_id);
  return [name, h("div", { class: "small" }, h("a", { class: "mono muted", href: `/ui/executions/${enc(task.execution_id)}` }, task.execution_id))];
}

const assigneesText = (task) => task.assignees.length ? task.assignees.join(", ") : h("span", { class: "muted" }, "anyone");

/** What the lists show of a task: redrawn only when this changes. */
const signature = (tasks) => JSON.stringify(tasks.map((t) => [t.human_task_id, t.status, t.holder, t.title, t.due_at, t.assignees]));

class InboxView {
  constructor(page) {
    this.page = page;
    this.drawn = new Map(); // list name → signature drawn
    this.busy = false;
    this.generation = 0;    // the newest read: an older answer (for whoever was acting before) is dropped
  }

  async start() {
    const main = this.page.main;
    this.error = h("div", { class: "form-error", id: "inbox-error", role: "alert", hidden: true });
    this.held = h("div", { id: "inbox-held-list" }, loading("Loading your tasks…"));
    this.claimable = h("div", { id: "inbox-claimable-list" });
    this.heldCount = h("span", { class: "muted small" });
    this.claimableCount = h("span", { class: "muted small" });
    this.all = mayAnywhere("control") ? this.allTasksSection() : null;
    fill(main,
      h("div", { class: "page-head" },
        h("div", {}, h("h1", {}, "Inbox"),
          h("p", { class: "description muted" }, "Workflow steps that wait for a person (Human.Task): assign one to yourself, then answer it.")),
        personControl(() => this.load({ force: true }))),
      mayAnywhere("work") ? null : h("p", { class: "note-box", id: "inbox-no-work" },
        "Your roles include no work on tasks (the worker or admin role does), so nothing waits for you here."),
      this.error,
      h("section", { class: "card", id: "inbox-held", "aria-labelledby": "held-heading" },
        h("h2", { id: "held-heading" }, "Yours ", this.heldCount), this.held),
      h("section", { class: "card", id: "inbox-claimable", "aria-labelledby": "claimable-heading" },
        h("h2", { id: "claimable-heading" }, "To claim ", this.claimableCount), this.claimable),
      this.all ? this.all.section : null);
    const timer = setInterval(() => { if (!document.hidden) this.load({}); }, POLL_MS);
    this.page.onLeave(() => clearInterval(timer));
    await this.load({ first: true });
  }

  /** Reads the inbox (and the open tasks, when that list is open) and redraws what changed. */
  async load({ first = false, force = false, focus = null }) {
    if (this.busy && !force && !focus) return;
    this.busy = true;
    const mine = ++this.generation;
    try {
      const answer = await api.inbox(INBOX_LIMIT);
      if (!this.page.alive() || mine !== this.generation) return;
      const receivedAt = Date.now();
      showInboxCount(answer);
      if (this.errorFrom === "load") this.error.hidden = true;
      if (force) this.drawn.clear();
      this.drawList("held", this.held, this.heldCount, answer.held, receivedAt,
        `You hold no tasks. Assign one to yourself from the list below.`);
      this.drawList("claimable", this.claimable, this.claimableCount, answer.claimable, receivedAt,
        `No task waits for ${answer.account}. One appears here when an execution reaches a Human.Task step assigned to ${answer.account} (or to nobody in particular).`);
      if (this.all && this.all.details.open) await this.all.load(force);
      if (focus) {
        const target = this.page.main.querySelector(`tr[data-human-task="${CSS.escape(focus.id)}"] ${focus.css}`);
        if (target) target.focus();
      }
    } catch (error) {
      if (!this.page.alive() || mine !== this.generation) return;
      if (first) {
        this.held.replaceChildren(errorState(error, () => this.load({ first: true, force: true })));
        this.claimable.replaceChildren();
      } else {
        this.showError(error, "load");
      }
    } finally {
      this.busy = false;
    }
  }

  /** Shows why a read or an action failed (`from`: "load" or "action"); a later successful read
   *  hides only what a read said, so the reason an action was refused stays until the next one. */
  showError(error, from) {
    this.errorFrom = from;
    this.error.hidden = false;
    this.error.textContent = error.message || String(error);
  }

  drawList(name, container, count, tasks, receivedAt, emptyText) {
    count.textContent = tasks.length ? `(${tasks.length}${tasks.length >= INBOX_LIMIT ? "+, the first shown" : ""})` : "";
    const sig = signature(tasks);
    if (this.drawn.get(name) === sig) return;
    this.drawn.set(name, sig);
    if (!tasks.length) { container.replaceChildren(h("p", { class: "state empty", "data-empty": name }, emptyText)); return; }
    const rows = tasks.map((t) => this.row(t, receivedAt, name === "held" ? this.heldActions(t) : this.claimActions(t)));
    container.replaceChildren(cardTable({
      caption: name === "held" ? "Tasks you hold" : "Tasks you may claim",
      columns: ["Task", "Workflow", "Waiting", "Due", "Assignees", h("span", { class: "visually-hidden" }, "Actions")],
      rows, attrs: { class: "inbox-table", "data-list": name },
    }));
  }

  row(t, receivedAt, actions) {
    const { waitingSince, dueMillis } = humanTaskTimes(t, receivedAt);
    return h("tr", { "data-human-task": t.human_task_id, "data-status": t.status },
      h("td", { class: "card-title" },
        h("a", { class: "strong task-title", href: `/ui/inbox/${enc(t.human_task_id)}` }, t.title),
        h("div", { class: "mono muted small" }, t.human_task_id)),
      labelled("Workflow", {}, workflowCell(t)),
      labelled("Waiting", { class: "num" }, liveDuration(waitingSince, null, { "data-part": "waiting" })),
      labelled("Due", { class: "num" }, dueMillis === null ? h("span", { class: "muted" }, "—")
        : liveCountdown(dueMillis, { "data-part": "due", title: `${new Date(dueMillis).toLocaleString()}; then it ${t.on_due === "answer" ? "is answered with its default answer" : "fails"}` })),
      labelled("Assignees", {}, assigneesText(t)),
      h("td", { class: "row-actions" }, h("div", {}, actions)));
  }

  heldActions(t) {
    return [
      h("a", { class: "button primary", href: `/ui/inbox/${enc(t.human_task_id)}`, "data-action": "answer" }, "Answer"),
      this.actionButton(t, "release", "Release", () => api.releaseHumanTask(t.human_task_id),
        `Released “${t.title}” to the inbox`, { id: t.human_task_id, css: "[data-action=claim]" }),
    ];
  }

  claimActions(t) {
    return [this.actionButton(t, "claim", "Assign to me", () => api.claimHumanTask(t.human_task_id),
      `“${t.title}” is assigned to you`, { id: t.human_task_id, css: "a.task-title" })];
  }

  /** A row's button: calls `call`, then re-reads the lists and focuses `focus` (the task's row
   *  in the list it moved to); a refusal (409: someone else claimed it first) is shown above. */
  actionButton(t, action, label, call, said, focus) {
    const button = h("button", { type: "button", "data-action": action, "aria-label": `${label}: ${t.title}` }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      this.error.hidden = true;
      try {
        await call();
        announce(said);
        await this.load({ force: true, focus });
      } catch (error) {
        if (!this.page.alive()) return;
        this.showError(error, "action");
        button.disabled = false;
        await this.load({ force: true });
      }
    });
    return button;
  }

  /** Every open task the caller may read, for editors (collapsed; read when opened). */
  allTasksSection() {
    const body = h("div", { id: "inbox-all-list" });
    const details = h("details", { id: "inbox-all" }, h("summary", {}, "Every open task (to reassign one, open it)"), body);
    const section = h("section", { class: "card", "aria-label": "Every open task" }, details);
    let drawn = null;
    const load = async (force) => {
      if (!drawn || force) body.replaceChildren(loading("Loading the open tasks…"));
      try {
        const answer = await api.listHumanTasks(INBOX_LIMIT);
        if (!this.page.alive()) return;
        const sig = signature(answer.human_tasks);
        if (sig === drawn && !force) return;
        drawn = sig;
        const receivedAt = Date.now();
        body.replaceChildren(answer.human_tasks.length ? cardTable({
          caption: "Every open task", columns: ["Task", "Workflow", "Status", "Holder", "Waiting", "Due"], attrs: { "data-list": "all" },
          rows: answer.human_tasks.map((t) => {
            const { waitingSince, dueMillis } = humanTaskTimes(t, receivedAt);
            return h("tr", { "data-human-task": t.human_task_id },
              h("td", { class: "card-title" }, h("a", { class: "task-title", href: `/ui/inbox/${enc(t.human_task_id)}` }, t.title)),
              labelled("Workflow", {}, workflowCell(t)),
              labelled("Status", {}, badge(t.status)),
              labelled("Holder", {}, t.holder || h("span", { class: "muted" }, "nobody")),
              labelled("Waiting", { class: "num" }, liveDuration(waitingSince)),
              labelled("Due", { class: "num" }, dueMillis === null ? h("span", { class: "muted" }, "—") : liveCountdown(dueMillis)));
          }),
        }) : h("p", { class: "state empty" }, "No task waits for a person."));
      } catch (error) {
        if (this.page.alive()) body.replaceChildren(errorState(error, () => load(true)));
      }
    };
    details.addEventListener("toggle", () => { if (details.open) load(true); });
    return { section, details, load };
  }
}
