// /ui/executions/{id}: the live status of an execution — its graph coloured by task status, a
// progress bar, a timeline, its tasks (input, output, error, earlier attempts, log), input and
// output, and Cancel (confirmed first), Retry and Run again. It follows the execution's event
// stream; only while the stream is down does it re-read the execution, every 5 s.

import { h, time, duration, elapsed, jsonBlock, badge, linkIDs, FINISHED_EXECUTION, FINISHED_TASK, typeColour, debounce } from "./dom.js";
import { api, APIError, cachedWorkflow, may, namespaceOf } from "./api.js";
import { drawGraph } from "./graph.js";
import { liveDuration, onTick, now } from "./clock.js";
import { navigate, announce, loadOrNotFound, loading, isNarrow, cardTable, labelled } from "./shell.js";

/** A task's log keeps its newest lines only (a chatty step can write millions). */
const MAX_LOG_LINES = 5000;
/** How often the execution is re-read while its event stream is down. */
const FALLBACK_POLL_MS = 5000;
const EVENT_TYPES = [
  "execution.pending", "execution.running", "execution.completed", "execution.failed", "execution.cancelled",
  "task.pending", "task.running", "task.retrying", "task.completed", "task.failed", "task.skipped", "task.cancelled",
  "task.claimed", "task.released",
];

export async function executionPage(page, executionID) {
  document.title = `${executionID} · Sluice`;
  page.main.append(loading("Loading the execution…"));
  const execution = await loadOrNotFound(page, () => api.getExecution(executionID), "Execution", executionID,
    h("span", {}, "Execution ids look like ", h("code", {}, "ex-…"), "; check the pasted id, or find the execution in its workflow’s list (", h("a", { href: "/ui" }, "workflows"), ")."));
  if (!execution) return;
  let workflow = null;
  try {
    workflow = await cachedWorkflow(execution.workflow_id, execution.workflow_version);
  } catch { /* drawn from the tasks alone below */ }
  if (!page.alive()) return;
  new ExecutionView(page, execution, workflow).start();
}

/** Why a SKIPPED task did not run: the reason the engine gave (`error.code`, `error.message`),
 *  or, without one, what skips a task silently. */
export /** Who holds a running Worker.Task or Human.Task, for its status cell. */
function holderNote(queued) {
  return queued.holder ? ["held by ", h("strong", {}, queued.holder), " since ", time(queued.claimed_at)]
    : [queued.human_task_id ? "in the inbox" : `waiting in ${queued.queue}`];
}

function skipReason(task, execution) {
  if (task.error && task.error.message) return task.error.message.replace(/^skipped:\s*/, "");
  if (execution && execution.error && execution.error.code === "execution_timeout") return "the execution timed out before it ran";
  return "a task it depends on failed";
}

class ExecutionView {
  constructor(page, execution, workflow) {
    this.page = page;
    this.execution = execution;
    this.workflow = workflow;
    this.expanded = new Set();     // step ids whose details are open
    this.logs = new Map();         // task id → {lines, after, loading}
    this.source = null;
    this.lastEventID = null;
    this.refreshing = null;
    this.refreshAgain = false;
    this.fallbackTimer = null;
    this.lastStatus = execution.status;
  }

  get finished() { return FINISHED_EXECUTION.has(this.execution.status); }

  start() {
    const e = this.execution;
    const graphData = this.workflow ? this.workflow.graph
      : { tasks: e.tasks.map((t) => ({ id: t.step_id, type: t.type, depends_on: [], input_type: "", output_type: "" })), edges: [] };
    this.graph = drawGraph(graphData, { vertical: isNarrow(), onSelect: (id) => this.openTask(id, true) });
    this.header = h("div", { class: "page-head" });
    this.actions = h("div", { class: "actions" });
    this.confirm = h("div", { class: "confirm", id: "cancel-confirm", role: "group", "aria-labelledby": "cancel-confirm-text", hidden: true });
    this.actionError = h("div", { class: "form-error", role: "alert", hidden: true });
    this.live = h("span", { id: "live-indicator", class: "live", role: "status" });
    this.progress = h("div", { class: "progress-wrap" });
    this.errorBox = h("div", {});
    this.timeline = h("div", { class: "timeline", id: "timeline" });
    this.tasks = h("div", { id: "tasks" });
    this.io = h("div", { class: "two-columns" });
    this.page.main.replaceChildren(
      this.header,
      h("div", { class: "action-bar" }, this.actions, this.live),
      this.confirm, this.actionError, this.progress, this.errorBox,
      h("section", { class: "card", "aria-labelledby": "graph-heading" },
        h("h2", { id: "graph-heading" }, "Graph", h("span", { class: "muted small" }, " select a task for its details")),
        this.graph.element, statusLegend()),
      h("section", { class: "card", "aria-labelledby": "timeline-heading" }, h("h2", { id: "timeline-heading" }, "Timeline"), this.timeline),
      h("section", { class: "card", "aria-labelledby": "tasks-heading" }, h("h2", { id: "tasks-heading" }, "Tasks"), this.tasks),
      this.io);
    this.drawAll();
    // Durations tick from the page's one clock; the timeline's bars grow on the same tick.
    const stopTicking = onTick(() => { if (!this.finished) this.drawTimeline(); });
    this.page.onLeave(() => { stopTicking(); this.stop(); });
    this.openStream();
  }

  stop() {
    this.stopFallback();
    this.closeStream();
    for (const log of this.logs.values()) clearTimeout(log.timer);
  }

  // ---- live updates

  openStream() {
    if (this.source || this.finished) { this.drawLive(); return; }
    const source = new EventSource(api.executionEventsURL(this.execution.workflow_id, this.execution.execution_id, this.lastEventID));
    this.source = source;
    this.liveState = "connecting";
    source.onopen = () => {
      if (source !== this.source) return;
      this.liveState = "live";
      this.stopFallback();
      this.drawLive();
    };
    source.onerror = () => {
      if (source !== this.source) return;
      // The stream ends when the execution has finished. Otherwise the browser reconnects by
      // itself (resuming after the last event), unless the answer was not a stream (a 5xx,
      // say), which closes it for good. Either way, until it is live again the execution is
      // re-read every 5 s, and a closed stream is opened anew at each of those reads.
      if (this.finished) { this.closeStream(); this.drawLive(); return; }
      if (source.readyState === EventSource.CLOSED) { this.source = null; this.liveState = "polling"; } else { this.liveState = "reconnecting"; }
      this.drawLive();
      if (this.fallbackTimer === null) { this.refreshSoon(); this.startFallback(); }
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        if (source !== this.source) return;
        if (message.lastEventId) this.lastEventID = message.lastEventId;
        let event;
        try { event = JSON.parse(message.data); } catch { return; }
        this.apply(event);
      });
    }
    this.drawLive();
  }

  closeStream() {
    if (this.source) { this.source.close(); this.source = null; }
    this.liveState = null;
  }

  /** Re-reads the execution every 5 s while the stream is not live (never while it is). */
  startFallback() {
    if (this.fallbackTimer !== null) return;
    const poll = async () => {
      this.fallbackTimer = null;
      if (!this.page.alive() || this.finished || this.liveState === "live") return;
      this.fallbackTimer = setTimeout(poll, FALLBACK_POLL_MS);
      if (document.hidden) return;
      await this.refresh();
      if (this.page.alive() && !this.finished && !this.source) this.openStream();
    };
    this.fallbackTimer = setTimeout(poll, FALLBACK_POLL_MS);
  }

  stopFallback() {
    clearTimeout(this.fallbackTimer);
    this.fallbackTimer = null;
  }

  /** Applies an event's data at once (status colours), then refetches the whole execution. */
  apply(event) {
    const data = event.data || {};
    if (event.type.startsWith("task.")) {
      const task = this.execution.tasks.find((t) => t.task_id === data.task_id);
      if (task) {
        for (const key of ["status", "attempt", "started_at", "completed_at", "next_attempt_at", "wakes_at", "input", "output", "error"]) {
          if (data[key] !== undefined && data[key] !== null) task[key] = data[key];
        }
        this.drawSoon();
      }
    } else if (event.type.startsWith("execution.")) {
      for (const key of ["status", "started_at", "completed_at", "output", "error"]) {
        if (data[key] !== undefined) this.execution[key] = data[key];
      }
      this.drawSoon();
    }
    this.refreshSoon();
  }

  /** Draws once per frame however many events arrived (a stream replays every event of a
   *  long execution when the page opens). */
  drawSoon() {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      if (!this.page.alive()) return;
      this.drawHeader();
      this.drawStatuses();
    });
  }

  refreshSoon = debounce(() => this.refresh(), 120);

  async refresh() {
    if (this.refreshing) { this.refreshAgain = true; return this.refreshing; }
    this.refreshing = (async () => {
      try {
        const fresh = await api.getExecution(this.execution.execution_id);
        if (!this.page.alive()) return;
        this.execution = fresh;
        this.drawAll();
        if (this.finished) { this.closeStream(); this.stopFallback(); }
        else if (this.liveState === "offline") this.liveState = this.source ? "reconnecting" : "polling";
        this.drawLive();
      } catch (error) {
        if (this.page.alive() && error instanceof APIError && error.status === 0) { this.liveState = "offline"; this.drawLive(); }
      } finally {
        this.refreshing = null;
        if (this.refreshAgain && this.page.alive()) { this.refreshAgain = false; this.refresh(); }
      }
    })();
    return this.refreshing;
  }

  // ---- drawing

  drawAll() {
    this.drawHeader();
    this.drawStatuses();
    this.drawIO();
  }

  drawStatuses() {
    const e = this.execution;
    this.graph.setStatuses(new Map(e.tasks.map((t) => [t.step_id, t.status])));
    this.drawProgress();
    this.drawTimeline();
    this.drawTasks();
  }

  drawLive() {
    const states = {
      live: ["● Live", "Updates arrive as they happen"],
      connecting: ["○ Connecting…", "Opening the event stream"],
      reconnecting: ["○ Reconnecting…", "The event stream was interrupted; the browser reconnects by itself, and the page re-reads the execution every 5 s meanwhile"],
      polling: ["○ Checking every 5 s", "The event stream is not available; the page re-reads the execution every 5 s and tries the stream again"],
      offline: ["✕ Server unreachable", "The server cannot be reached; retrying"],
    };
    const [text, title] = this.finished ? ["Finished", "The execution has finished; nothing more will change unless it is retried"] : states[this.liveState] || ["", ""];
    this.live.textContent = text;
    this.live.title = title;
    this.live.dataset.state = this.finished ? "finished" : this.liveState || "";
  }

  drawHeader() {
    const e = this.execution;
    if (e.status !== this.lastStatus) { announce(`Execution ${e.status.toLowerCase()}`); this.lastStatus = e.status; }
    document.title = `${e.execution_id} ${e.status} · Sluice`;
    const wfName = this.workflow ? this.workflow.name : e.workflow_id;
    this.header.replaceChildren(h("div", {},
      h("h1", {}, "Execution ", h("code", { id: "execution-id" }, e.execution_id), " ", h("span", { id: "execution-status" }, badge(e.status))),
      h("p", { class: "meta" },
        h("span", {}, "of ", h("a", { href: `/ui/workflows/${encodeURIComponent(e.workflow_id)}`, id: "workflow-link" }, wfName), ` (v${e.workflow_version})`),
        h("span", {}, "created ", time(e.created_at)),
        e.started_at ? h("span", {}, "started ", time(e.started_at)) : null,
        e.completed_at ? h("span", {}, "finished ", time(e.completed_at)) : null,
        h("span", {}, "duration ", h("strong", { "data-duration": "" }, liveDuration(e.started_at || e.created_at, e.completed_at))))));
    this.drawActions();
  }

  drawActions() {
    const e = this.execution;
    // Only what the signed-in account's roles allow in the workflow's namespace.
    const namespace = namespaceOf(this.workflow);
    const control = may("control", namespace), rerun = may("run", namespace);
    // The buttons depend only on the execution, its status and those permissions: while they
    // stay, the same buttons stay, so an event arriving does not pull a button out from under
    // a click or take the keyboard focus away from it.
    const key = `${e.execution_id} ${e.status} ${control} ${rerun}`;
    if (this.actionsKey === key && this.actions.childElementCount > 0) return;
    this.actionsKey = key;
    const buttons = [];
    const run = async (label, fn) => {
      this.actionError.hidden = true;
      const all = [...this.actions.querySelectorAll("button"), ...this.confirm.querySelectorAll("button")];
      for (const b of all) b.disabled = true;
      try {
        await fn();
      } catch (error) {
        this.actionError.hidden = false;
        this.actionError.textContent = `${label} failed: ${error.message}`;
      } finally {
        for (const b of all) b.disabled = false;
      }
    };
    const act = (label, id, fn, kind) => {
      const button = h("button", { type: "button", id, class: kind });
      button.textContent = label;
      button.addEventListener("click", () => run(label, fn));
      buttons.push(button);
      return button;
    };
    if ((e.status === "PENDING" || e.status === "RUNNING") && control) {
      // Cancelling stops every running task at once: it is asked for twice.
      const cancel = act("Cancel", "cancel-button", async () => this.askToCancel(cancel), "danger");
      cancel.setAttribute("aria-expanded", String(!this.confirm.hidden));
      cancel.setAttribute("aria-controls", "cancel-confirm");
    } else {
      this.confirm.hidden = true;
    }
    if ((e.status === "FAILED" || e.status === "CANCELLED") && control) {
      act("Retry", "retry-button", async () => {
        await api.retry(e.workflow_id, e.execution_id);
        announce("Execution retried");
        await this.refresh();
        this.openStream();
      }, "primary");
    }
    if (FINISHED_EXECUTION.has(e.status) && rerun) {
      act("Run again", "rerun-button", async () => {
        const started = await api.rerun(e.workflow_id, e.execution_id);
        navigate(`/ui/executions/${encodeURIComponent(started.execution_id)}`);
      }, "");
    }
    this.actions.replaceChildren(...buttons);
    this.run = run;
  }

  /** Cancel's confirmation: what it does, "Cancel the execution" and "Keep it running" (the
   *  default: focused, and what Escape chooses). */
  askToCancel(cancelButton) {
    const e = this.execution;
    const running = e.tasks.filter((t) => t.status === "RUNNING" || t.status === "RETRYING").length;
    const close = () => {
      this.confirm.hidden = true;
      cancelButton.setAttribute("aria-expanded", "false");
      const again = this.actions.querySelector("#cancel-button");
      if (again) again.focus();
    };
    const keep = h("button", { type: "button", id: "cancel-keep" }, "Keep it running");
    keep.addEventListener("click", close);
    const yes = h("button", { type: "button", id: "cancel-confirm-button", class: "danger" }, "Cancel the execution");
    yes.addEventListener("click", () => this.run("Cancel", async () => {
      this.execution = await api.cancel(e.workflow_id, e.execution_id);
      this.confirm.hidden = true;
      announce("Execution cancelled");
      this.drawAll(); this.closeStream(); this.stopFallback(); this.drawLive();
    }));
    this.confirm.replaceChildren(
      h("p", { id: "cancel-confirm-text" }, "Cancel this execution? ",
        running ? `${running} running task${running === 1 ? " is" : "s are"} stopped, and no other task starts. ` : "No other task starts. ",
        "A cancelled execution can be retried later."),
      h("div", { class: "form-actions" }, yes, keep));
    this.confirm.onkeydown = (event) => { if (event.key === "Escape") { event.preventDefault(); close(); } };
    this.confirm.hidden = false;
    cancelButton.setAttribute("aria-expanded", "true");
    keep.focus();
  }

  drawProgress() {
    const e = this.execution;
    const total = e.progress ? e.progress.total : e.tasks.length;
    const done = e.progress ? e.progress.completed : e.tasks.filter((t) => FINISHED_TASK.has(t.status)).length;
    const counts = {};
    for (const t of e.tasks) counts[t.status] = (counts[t.status] || 0) + 1;
    const order = ["COMPLETED", "FAILED", "SKIPPED", "CANCELLED", "RETRYING", "RUNNING"];
    const bar = h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": total, "aria-valuenow": done,
      "aria-label": `${done} of ${total} tasks finished` });
    for (const status of order) {
      if (!counts[status] || !total) continue;
      const seg = h("span", { class: `segment status-${status.toLowerCase()}`, title: `${counts[status]} ${status}` });
      seg.style.width = `${(100 * counts[status]) / e.tasks.length}%`;
      bar.append(seg);
    }
    const summary = order.concat(["PENDING"]).filter((s) => counts[s]).map((s) => `${counts[s]} ${s.toLowerCase()}`).join(", ");
    this.progress.replaceChildren(bar, h("p", { class: "small", id: "progress-text" }, `${done} of ${total} tasks finished`, summary ? h("span", { class: "muted" }, ` · ${summary}`) : null));
  }

  drawTimeline() {
    const e = this.execution;
    const starts = e.tasks.filter((t) => t.started_at).map((t) => Date.parse(t.started_at));
    if (!starts.length) {
      this.timeline.replaceChildren(h("p", { class: "muted" }, this.finished ? "No task started." : "No task has started yet."));
      return;
    }
    const at = now();
    const origin = Math.min(...starts, e.started_at ? Date.parse(e.started_at) : Infinity);
    const ends = e.tasks.map((t) => t.completed_at ? Date.parse(t.completed_at) : t.started_at ? at : origin);
    const end = Math.max(...ends, e.completed_at ? Date.parse(e.completed_at) : 0, origin + 1);
    const span = end - origin;
    const rows = e.tasks.map((t) => {
      const track = h("div", { class: "track" });
      if (t.started_at) {
        const a = Date.parse(t.started_at) - origin;
        const b = (t.completed_at ? Date.parse(t.completed_at) : at) - origin;
        const bar = h("span", { class: `bar status-${t.status.toLowerCase()}`,
          title: `${t.step_id}: ${t.status}, ${duration(b - a)} (from +${duration(a)})` });
        bar.style.left = `${(100 * a) / span}%`;
        bar.style.width = `max(3px, ${(100 * (b - a)) / span}%)`;
        track.append(bar);
      } else {
        const note = t.status === "SKIPPED" || t.status === "CANCELLED" ? t.status.toLowerCase() : "not started";
        track.append(h("span", { class: "muted small not-started", title: t.status === "SKIPPED" ? `skipped: ${skipReason(t, e)}` : null }, note));
      }
      return h("div", { class: "timeline-row", "data-task": t.step_id },
        h("span", { class: "timeline-label mono", title: t.step_id }, t.step_id), track,
        h("span", { class: "timeline-duration small num" }, t.started_at ? liveDuration(t.started_at, t.completed_at) : ""));
    });
    // The axis: where the first task started and how long the whole took. The two labels wrap
    // onto two lines rather than overlap when the screen is too narrow for both.
    this.timeline.replaceChildren(...rows,
      h("div", { class: "timeline-axis small muted" },
        h("span", { class: "axis-start" }, time(new Date(origin).toISOString())),
        h("span", { class: "axis-end" }, `+${duration(span)}`)));
  }

  drawTasks(force = false) {
    const e = this.execution;
    // Redraw only when something shown changed (keeps a reader's scroll and selection); live
    // durations tick by themselves.
    const signature = JSON.stringify([e.tasks, [...this.expanded]]);
    if (!force && signature === this.tasksSignature) return;
    this.tasksSignature = signature;
    const rows = [];
    for (const t of e.tasks) {
      const open = this.expanded.has(t.step_id);
      const toggle = h("button", { type: "button", class: "task-toggle", "aria-expanded": String(open), "aria-controls": `details-${t.task_id}` },
        h("span", { class: "chevron", "aria-hidden": "true" }, open ? "▾" : "▸"), h("span", { class: "mono" }, t.step_id));
      toggle.addEventListener("click", () => this.openTask(t.step_id, false, !open));
      rows.push(h("tr", { class: ["task-row", open && "open"], "data-task": t.step_id, "data-status": t.status },
        h("td", { class: "card-title" }, toggle),
        labelled("Type", {}, h("span", { class: `chip type-${typeColour(t.type)}` }, t.type)),
        labelled("Status", {}, h("div", {}, badge(t.status),
          t.status === "RETRYING" && t.next_attempt_at ? h("div", { class: "small muted note" }, "next try ", time(t.next_attempt_at)) : null,
          t.wakes_at && t.status === "RUNNING" ? h("div", { class: "small muted note" }, "wakes ", time(t.wakes_at)) : null,
          t.status === "RUNNING" && t.queued ? h("div", { class: "small muted note", "data-part": "holder" }, ...holderNote(t.queued)) : null,
          t.status === "SKIPPED" ? h("div", { class: "small muted note", "data-part": "skip-reason" }, skipReason(t, e)) : null)),
        labelled("Attempt", { class: "num" }, t.attempt ? String(t.attempt) : "—"),
        labelled("Started", {}, time(t.started_at)),
        labelled("Duration", { class: "num" }, liveDuration(t.started_at, t.completed_at))));
      if (open) rows.push(h("tr", { class: "details-row" }, h("td", { colspan: 6, id: `details-${t.task_id}` }, this.taskDetails(t))));
    }
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("tr[data-task]");
    const focusedTask = focused ? focused.dataset.task : null;
    this.tasks.replaceChildren(cardTable({
      caption: "Tasks in definition order", columns: ["Task", "Type", "Status", "Attempt", "Started", "Duration"], rows, attrs: { class: "tasks" },
    }));
    if (focusedTask) {
      const again = this.tasks.querySelector(`tr[data-task="${CSS.escape(focusedTask)}"] .task-toggle`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  openTask(stepID, reveal, open = true) {
    if (open) this.expanded.add(stepID); else this.expanded.delete(stepID);
    this.graph.select(open ? stepID : null);
    this.drawTasks();
    if (reveal) {
      const row = this.tasks.querySelector(`tr[data-task="${CSS.escape(stepID)}"]`);
      if (row) { row.scrollIntoView({ block: "center", behavior: "smooth" }); row.querySelector(".task-toggle").focus({ preventScroll: true }); }
    }
  }

  taskDetails(t) {
    const facts = [
      ["Task id", h("code", {}, t.task_id)], ["Step type", t.type], ["Status", t.status],
      ["Attempts started", t.attempt ? String(t.attempt) : "0"],
      ["Started", time(t.started_at)], ["Finished", time(t.completed_at)],
      t.next_attempt_at ? ["Next attempt", time(t.next_attempt_at)] : null,
      t.wakes_at ? ["Delay ends", time(t.wakes_at)] : null,
      t.queued && t.queued.human_task_id ? ["Human task", h("a", { href: `/ui/inbox/${encodeURIComponent(t.queued.human_task_id)}` }, h("code", {}, t.queued.human_task_id))] : null,
      t.queued && t.queued.queued_task_id ? ["Queued task", h("span", {}, h("code", {}, t.queued.queued_task_id), ` in queue ${t.queued.queue}`)] : null,
      t.queued ? ["Held by", t.queued.holder ? h("span", {}, t.queued.holder, " since ", time(t.queued.claimed_at)) : h("span", {}, "nobody yet; waiting since ", time(t.queued.queued_at))] : null,
      t.queued && t.queued.lease_expires_at ? ["Lease ends", time(t.queued.lease_expires_at)] : null,
      t.queued && t.queued.due_at ? ["Due", time(t.queued.due_at)] : null,
    ].filter(Boolean);
    const parts = [h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))];
    if (t.status === "SKIPPED") {
      parts.push(h("div", { class: "note-box", "data-part": "skipped" }, h("strong", {}, "Skipped"),
        t.error && t.error.code ? h("span", { class: "muted" }, ` (${t.error.code})`) : null,
        h("p", {}, `It did not run: ${skipReason(t, this.execution)}.`)));
    } else if (t.error) {
      parts.push(h("div", { class: "error-box", "data-part": "error" }, h("strong", {}, "Error"), t.error.code ? h("span", { class: "muted" }, ` (${t.error.code})`) : null, h("p", {}, linkIDs(t.error.message))));
    }
    const io = h("div", { class: "two-columns" });
    io.append(h("div", {}, h("h4", {}, "Input"), "input" in t ? jsonBlock(t.input, { "data-part": "input" }) : h("p", { class: "muted", "data-part": "input" }, inputNote(t))));
    io.append(h("div", {}, h("h4", {}, "Output"), "output" in t ? jsonBlock(t.output, { "data-part": "output" }) : h("p", { class: "muted", "data-part": "output" }, outputNote(t))));
    parts.push(io);
    if (t.attempts && t.attempts.length) {
      // Every attempt before the current one: failed, ended by the execution's timeout, or
      // cancelled (a retry after a cancel runs the task again as the next attempt).
      const kind = (a) => a.error.code === "cancelled" ? "cancelled" : a.error.code === "execution_timeout" ? "timed out" : a.error.retryable ? "retryable" : "not retryable";
      parts.push(h("h4", {}, "Earlier attempts"), h("ol", { class: "attempts", "data-part": "attempts" }, t.attempts.map((a) => h("li", { value: a.attempt, "data-kind": kind(a) },
        h("span", {}, `attempt ${a.attempt}: `), h("span", {}, a.error.message),
        h("span", { class: "muted small" }, ` · ${kind(a)} · ${duration(elapsed(a.started_at, a.completed_at))}, `, time(a.started_at))))));
    }
    parts.push(h("h4", {}, "Log"), this.logView(t));
    return h("div", { class: "task-details", "data-task-details": t.step_id }, parts);
  }

  logView(t) {
    let log = this.logs.get(t.task_id);
    if (!log) { log = { lines: [], dropped: 0, after: null, loaded: false, error: null, timer: null }; this.logs.set(t.task_id, log); }
    const view = h("pre", { class: "logs", "data-part": "logs", tabindex: 0, "aria-label": `Log of ${t.step_id}` });
    const draw = log.draw = () => {
      if (log.error) view.textContent = `Could not load the log: ${log.error}`;
      else if (!log.loaded) view.textContent = "Loading…";
      else if (!log.lines.length) view.textContent = FINISHED_TASK.has(t.status) ? "No log lines." : "No log lines yet.";
      else view.replaceChildren(log.dropped ? h("span", { class: "muted" }, `(${log.dropped} earlier lines not shown; \`sluice logs\` prints them all)\n`) : "",
        ...log.lines.flatMap((l, i) => [
        i ? "\n" : "",
        h("span", { class: "muted", title: `${new Date(l.at).toISOString()} (UTC), attempt ${l.attempt}` },
          `${new Date(l.at).toLocaleTimeString()} #${l.attempt} ${l.source === "engine" ? "engine " : ""}`),
        ...linkIDs(l.line)]));
    };
    draw();
    this.fetchLog(t, log);
    return view;
  }

  async fetchLog(t, log) {
    clearTimeout(log.timer);
    if (log.busy) return;
    log.busy = true;
    let more = false;
    try {
      for (let pages = 0; ; pages++) {
        if (pages === 20) { more = true; break; } // draw what arrived; go on right after
        const page = await api.taskLogs(this.execution.workflow_id, this.execution.execution_id, t.task_id, log.after);
        log.lines.push(...page.logs);
        if (log.lines.length > MAX_LOG_LINES) { log.dropped += log.lines.length - MAX_LOG_LINES; log.lines.splice(0, log.lines.length - MAX_LOG_LINES); }
        if (page.logs.length) log.after = page.logs[page.logs.length - 1].seq;
        if (!page.next_cursor) break;
      }
      log.loaded = true; log.error = null;
    } catch (error) {
      log.error = error.message;
    } finally {
      log.busy = false;
    }
    if (!this.page.alive() || !this.expanded.has(t.step_id)) return;
    log.draw();
    const current = this.execution.tasks.find((x) => x.task_id === t.task_id);
    if (more || (current && !FINISHED_TASK.has(current.status))) {
      log.timer = setTimeout(() => { if (this.expanded.has(t.step_id)) this.fetchLog(t, log); }, more ? 0 : 1500);
    }
  }

  drawIO() {
    const e = this.execution;
    const output = e.status === "COMPLETED"
      ? jsonBlock(e.output, { id: "execution-output" })
      : h("p", { class: "muted" }, e.status === "FAILED" || e.status === "CANCELLED" ? `None: the execution is ${e.status.toLowerCase()}.` : "Not produced yet.");
    this.io.replaceChildren(
      h("section", { class: "card", "aria-labelledby": "input-heading" }, h("h2", { id: "input-heading" }, "Input"), jsonBlock(e.input, { id: "execution-input" })),
      h("section", { class: "card", "aria-labelledby": "output-heading" }, h("h2", { id: "output-heading" }, "Output"), output));
    if (e.error) {
      this.errorBox.replaceChildren(h("div", { class: "error-box", role: "alert", id: "execution-error" },
        h("strong", {}, e.status === "CANCELLED" ? "Cancelled" : "Failed"),
        e.error.step_id ? h("span", {}, " at ", h("button", { type: "button", class: "link-button mono", onclick: () => this.openTask(e.error.step_id, true) }, e.error.step_id)) : null,
        h("p", {}, linkIDs(e.error.message))));
    } else {
      this.errorBox.replaceChildren();
    }
  }
}

/** What a task without a recorded input says instead. */
function inputNote(t) {
  switch (t.status) {
    case "PENDING": return "Not known yet: the task has not started.";
    case "SKIPPED": return "None: the task was skipped before it ran.";
    case "CANCELLED": return t.started_at ? "None recorded: the execution was cancelled before the task finished." : "None: the execution was cancelled before the task started.";
    default: return "Not recorded yet.";
  }
}

/** What a task without an output says instead. */
function outputNote(t) {
  switch (t.status) {
    case "COMPLETED": return "None.";
    case "FAILED": return "None: the task failed.";
    case "SKIPPED": return "None: the task was skipped.";
    case "CANCELLED": return "None: the task was cancelled.";
    default: return "Not produced yet.";
  }
}

function statusLegend() {
  return h("ul", { class: "legend", "aria-label": "Task statuses" },
    ["PENDING", "RUNNING", "RETRYING", "COMPLETED", "FAILED", "SKIPPED", "CANCELLED"].map((s) =>
      h("li", {}, h("span", { class: `swatch status-${s.toLowerCase()}` }), s.toLowerCase())));
}
