// The Sluice web UI: a single page over the public API. Routes (client-side):
//   /ui                      workflows, searchable
//   /ui/new                  write a workflow (checked as you type) and create it
//   /ui/workflows/{id}       its graph, input schema, a form to start an execution, its executions
//   /ui/executions/{id}      live status of an execution, its tasks, timeline, logs, cancel/retry

import { h, time, duration, elapsed, jsonBlock, badge, linkIDs, FINISHED_EXECUTION, FINISHED_TASK, typeColour, debounce } from "./dom.js";
import { api, APIError, allWorkflows } from "./api.js";
import { drawGraph, typeLegend, shapeChips } from "./graph.js";
import { inputForm } from "./schema-form.js";
import { newWorkflowPage, editWorkflowPage } from "./editor.js";

/** A task's log keeps its newest lines only (a chatty step can write millions). */
const MAX_LOG_LINES = 5000;
const EXECUTION_STATUSES = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
const EVENT_TYPES = [
  "execution.pending", "execution.running", "execution.completed", "execution.failed", "execution.cancelled",
  "task.pending", "task.running", "task.retrying", "task.completed", "task.failed", "task.skipped", "task.cancelled",
];

// ------------------------------------------------------------------------------------- shell

const main = h("main", { id: "main", tabindex: -1 });
const announcer = h("div", { id: "announcer", class: "visually-hidden", "aria-live": "polite" });
export const announce = (text) => { announcer.textContent = ""; setTimeout(() => { announcer.textContent = text; }, 30); };

function shell() {
  const gotoInput = h("input", {
    id: "goto-id", name: "id", type: "text", autocomplete: "off", spellcheck: "false",
    placeholder: "Paste an execution id (ex-…) or workflow id (wf-…)",
  });
  const gotoForm = h("form", { class: "goto", role: "search", "aria-label": "Open by id" },
    h("label", { for: "goto-id", class: "visually-hidden" }, "Execution or workflow id"),
    gotoInput, h("button", { type: "submit", id: "goto-button" }, "Open"));
  gotoForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const target = pathForID(gotoInput.value);
    if (!target) { gotoInput.setAttribute("aria-invalid", "true"); gotoInput.focus(); return; }
    gotoInput.removeAttribute("aria-invalid");
    gotoInput.value = "";
    navigate(target);
  });
  const header = h("header", { class: "top" },
    h("a", { class: "brand", href: "/ui" }, h("img", { src: "/ui/assets/icon.svg", alt: "", width: 22, height: 22 }), "Sluice"),
    h("nav", { "aria-label": "Main" },
      h("a", { href: "/ui", "data-nav": "workflows" }, "Workflows"),
      h("a", { href: "/ui/new", "data-nav": "new" }, "New workflow"),
      h("a", { href: "/docs", "data-external": "true" }, "API")),
    gotoForm);
  document.getElementById("app").replaceChildren(
    h("a", { class: "skip-link", href: "#main" }, "Skip to content"), header, main, announcer);
}

/** Where a pasted id (or a URL or path containing one) leads; null if it is not one. */
export function pathForID(text) {
  const value = (text || "").trim();
  const execution = /(?:^|\/)(ex-[A-Za-z0-9_-]+)\/?$/.exec(value) || /^(ex-[A-Za-z0-9_-]+)$/.exec(value);
  if (execution) return `/ui/executions/${execution[1]}`;
  const inPath = /\/executions\/([^/?#\s]+)/.exec(value);
  if (inPath) return `/ui/executions/${inPath[1]}`;
  const workflow = /(?:^|\/)(wf-[A-Za-z0-9_-]+)\/?$/.exec(value);
  if (workflow) return `/ui/workflows/${workflow[1]}`;
  if (/^[A-Za-z0-9_-]+$/.test(value)) return `/ui/executions/${value}`; // let the page say it is unknown
  return null;
}

// ------------------------------------------------------------------------------------ router

let leaving = [];
let generation = 0;

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState({}, "", path); else history.pushState({}, "", path);
  render();
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/ui") || link.target || link.dataset.external) return;
  if (link.getAttribute("href").startsWith("#")) return;
  event.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => render());

const routes = [
  [/^\/ui\/?$/, workflowsPage, "workflows"],
  [/^\/ui\/new\/?$/, newWorkflowPage, "new"],
  [/^\/ui\/workflows\/([^/]+)\/?$/, workflowPage, "workflows"],
  [/^\/ui\/workflows\/([^/]+)\/edit\/?$/, editWorkflowPage, "workflows"],
  [/^\/ui\/executions\/([^/]+)\/?$/, executionPage, null],
];

async function render() {
  for (const fn of leaving) { try { fn(); } catch { /* a page's clean-up must not stop the next page */ } }
  leaving = [];
  const mine = ++generation;
  const page = {
    alive: () => mine === generation,
    onLeave: (fn) => leaving.push(fn),
    main,
  };
  main.replaceChildren();
  let matched = null;
  for (const [pattern, fn, nav] of routes) {
    const m = pattern.exec(location.pathname);
    if (m) { matched = { fn, args: m.slice(1).map(decodeURIComponent), nav }; break; }
  }
  for (const a of document.querySelectorAll("nav a[data-nav]")) {
    if (matched && a.dataset.nav === matched.nav) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  if (!matched) {
    document.title = "Not found · Sluice";
    main.append(h("h1", {}, "Page not found"),
      h("p", {}, `Nothing lives at ${location.pathname}. `, h("a", { href: "/ui" }, "See the workflows"), ", or paste an execution id in the box above."));
    return;
  }
  try {
    await matched.fn(page, ...matched.args);
  } catch (error) {
    if (!page.alive()) return;
    main.replaceChildren(errorState(error, () => render()));
  }
  if (page.alive() && document.activeElement === document.body) {
    const heading = main.querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
  }
}

/** What went wrong and what to do next, with a Retry button. */
export function errorState(error, retry) {
  const unreachable = error instanceof APIError && error.status === 0;
  return h("div", { class: "state error-state", role: "alert" },
    h("h2", {}, unreachable ? "The server cannot be reached" : "Something went wrong"),
    h("p", {}, error.message || String(error)),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null);
}

export const loading = (text) => h("p", { class: "state loading", role: "status" }, text);

// ------------------------------------------------------------------------- workflows (list)

const workflowCache = new Map(); // `${id}@${version}` → workflow (versions never change)

function cachedWorkflow(id, version) {
  const key = `${id}@${version}`;
  if (!workflowCache.has(key)) {
    const promise = api.getWorkflow(id, version);
    promise.catch(() => workflowCache.delete(key));
    workflowCache.set(key, promise);
  }
  return workflowCache.get(key);
}

/** Runs `tasks` (functions returning promises) at most `limit` at a time. */
function runLimited(tasks, limit) {
  let next = 0;
  const worker = async () => { while (next < tasks.length) { const t = tasks[next++]; try { await t(); } catch { /* shown per row */ } } };
  return Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

async function workflowsPage(page) {
  document.title = "Workflows · Sluice";
  const params = new URLSearchParams(location.search);
  const search = h("input", {
    id: "workflow-search", type: "search", placeholder: "Search by name or id", value: params.get("q") || "",
    "aria-label": "Search workflows by name or id", autocomplete: "off",
  });
  const list = h("div", { id: "workflow-list" }, loading("Loading workflows…"));
  page.main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Workflows"),
      h("a", { class: "button primary", href: "/ui/new" }, "New workflow")),
    h("div", { class: "toolbar" }, search),
    list);

  const { workflows, complete } = await allWorkflows();
  if (!page.alive()) return;
  if (!workflows.length) {
    list.replaceChildren(h("div", { class: "state empty" },
      h("h2", {}, "No workflows yet"),
      h("p", {}, "Write one in the ", h("a", { href: "/ui/new" }, "workflow editor"), ", or create one from the command line:"),
      h("pre", {}, "sluice workflow create -f workflow.yaml")));
    search.disabled = true;
    return;
  }
  let shown = 50;
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const matching = q ? workflows.filter((w) => w.name.toLowerCase().includes(q) || w.workflow_id.toLowerCase().includes(q)) : workflows;
    if (!matching.length) {
      list.replaceChildren(h("div", { class: "state empty" },
        h("p", {}, `No workflow’s name or id contains “${search.value.trim()}”.`),
        h("button", { type: "button", onclick: () => { search.value = ""; search.dispatchEvent(new Event("input")); search.focus(); } }, "Clear the search")));
      return;
    }
    const rows = matching.slice(0, shown).map((w) => {
      const shape = h("td", { class: "shape-cell" }, h("span", { class: "muted" }, "…"));
      const row = h("tr", { "data-workflow": w.workflow_id },
        h("td", {},
          h("a", { href: `/ui/workflows/${encodeURIComponent(w.workflow_id)}`, class: "strong" }, w.name),
          h("div", { class: "mono muted small" }, w.workflow_id),
          w.description ? h("div", { class: "muted small clamp" }, w.description) : null),
        shape,
        h("td", { class: "num hide-narrow" }, `v${w.version}`),
        h("td", { class: "hide-narrow" }, time(w.updated_at)));
      row.fill = () => cachedWorkflow(w.workflow_id, w.version).then((full) => {
        shape.replaceChildren(shapeChips(full.graph));
      }, (error) => { shape.replaceChildren(h("span", { class: "muted", title: error.message }, "could not load")); });
      return row;
    });
    const table = h("div", { class: "table-scroll" }, h("table", { class: "list" },
      h("caption", { class: "visually-hidden" }, "Workflows, newest first"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Steps"),
        h("th", { scope: "col", class: "hide-narrow" }, "Version"), h("th", { scope: "col", class: "hide-narrow" }, "Updated"))),
      h("tbody", {}, rows)));
    const more = matching.length > shown
      ? h("button", { type: "button", class: "more", onclick: () => { shown += 50; draw(); } }, `Show more (${matching.length - shown} left)`)
      : null;
    list.replaceChildren(
      h("p", { class: "muted small", role: "status" }, q ? `${matching.length} of ${workflows.length} workflows` : `${workflows.length} workflow${workflows.length === 1 ? "" : "s"}${complete ? "" : " (the newest; the list was cut at 20,000)"}`),
      table, more || "");
    runLimited(rows.map((r) => r.fill), 4);
  };
  search.addEventListener("input", () => {
    shown = 50;
    const url = new URL(location.href);
    if (search.value.trim()) url.searchParams.set("q", search.value.trim()); else url.searchParams.delete("q");
    history.replaceState({}, "", url.pathname + url.search);
    draw();
  });
  draw();
}

// --------------------------------------------------------------------------- workflow page

export function notFound(what, id, hint) {
  return h("div", { class: "state empty", role: "alert" },
    h("h1", {}, `${what} not found`),
    h("p", {}, `There is no ${what.toLowerCase()} `, h("code", {}, id), " on this server. ", hint));
}

/** `load()`'s answer, or null once a 404 was drawn as `notFound(what, id, hint)`; other errors
 *  are thrown (the router draws them with Try again). */
export async function loadOrNotFound(page, load, what, id, hint) {
  try {
    return await load();
  } catch (error) {
    if (!(error instanceof APIError && error.status === 404)) throw error;
    page.main.replaceChildren(notFound(what, id, hint));
    return null;
  }
}

export const isNarrow = () => window.matchMedia("(max-width: 720px)").matches;

async function workflowPage(page, workflowID) {
  document.title = `${workflowID} · Sluice`;
  page.main.append(loading("Loading the workflow…"));
  const workflow = await loadOrNotFound(page, () => api.getWorkflow(workflowID), "Workflow", workflowID,
    h("span", {}, "Check the id, or pick one from ", h("a", { href: "/ui" }, "the list"), "."));
  if (!workflow || !page.alive()) return;
  document.title = `${workflow.name} · Sluice`;
  workflowCache.set(`${workflow.workflow_id}@${workflow.version}`, Promise.resolve(workflow));

  const form = inputForm(workflow.input_schema, {
    onSubmit: async (input) => {
      const started = await api.execute(workflow.workflow_id, { input });
      announce(`Execution ${started.execution_id} started`);
      navigate(`/ui/executions/${encodeURIComponent(started.execution_id)}`);
    },
  });
  const definition = workflow.steps ? { steps: workflow.steps } : { tasks: workflow.tasks };
  if (workflow.timeout_seconds !== undefined) definition.timeout_seconds = workflow.timeout_seconds;
  const graph = drawGraph(workflow.graph, { vertical: isNarrow() });

  const executions = h("section", { class: "card", "aria-labelledby": "executions-heading" });
  page.main.replaceChildren(
    h("div", { class: "page-head" },
      h("div", {},
        h("h1", {}, workflow.name),
        h("p", { class: "meta" },
          h("code", {}, workflow.workflow_id), h("span", { class: "pill" }, `v${workflow.version}`),
          h("span", {}, "created ", time(workflow.created_at)), h("span", {}, "updated ", time(workflow.updated_at)),
          workflow.timeout_seconds !== undefined ? h("span", {}, "executions time out after ", duration(workflow.timeout_seconds * 1000)) : null),
        workflow.description ? h("p", { class: "description" }, workflow.description) : null),
      h("a", { class: "button", id: "edit-workflow", href: `/ui/workflows/${encodeURIComponent(workflow.workflow_id)}/edit` }, "Edit")),
    h("section", { class: "card", "aria-labelledby": "graph-heading" },
      h("h2", { id: "graph-heading" }, workflow.steps ? "Steps" : "Tasks",
        h("span", { class: "muted small" }, ` ${workflow.graph.tasks.length} ${workflow.steps ? "in a chain" : "in a DAG"}; edges show the type that flows along them`)),
      graph.element, typeLegend(workflow.graph.tasks)),
    h("div", { class: "two-columns" },
      h("section", { class: "card", "aria-labelledby": "start-heading" }, h("h2", { id: "start-heading" }, "Start an execution"), form),
      h("section", { class: "card", "aria-labelledby": "schema-heading" },
        h("h2", { id: "schema-heading" }, "Input schema"),
        h("p", { class: "muted small" }, "Derived from the entry steps, merged with the definition’s input_schema."),
        jsonBlock(workflow.input_schema, { id: "input-schema" }),
        h("details", {}, h("summary", {}, "Definition as stored"), jsonBlock(definition)))),
    executions);
  await executionList(page, executions, workflow.workflow_id);
}

/** The workflow's executions: status filter, paging by cursor, refreshed every 3 s on page 1. */
async function executionList(page, section, workflowID) {
  const params = new URLSearchParams(location.search);
  let status = EXECUTION_STATUSES.includes(params.get("status")) ? params.get("status") : "";
  let cursors = [null]; // cursors[i] fetches page i
  let index = 0;
  const body = h("div", {}, loading("Loading executions…"));
  const filter = h("div", { class: "filters", role: "group", "aria-label": "Filter by status" });
  const pager = h("div", { class: "pager" });
  const filterButtons = ["", ...EXECUTION_STATUSES].map((value) => {
    const button = h("button", { type: "button", class: "filter", "data-status-filter": value || "ALL", "aria-pressed": String(value === status) },
      value ? value.charAt(0) + value.slice(1).toLowerCase() : "All");
    button.addEventListener("click", () => {
      status = value; cursors = [null]; index = 0;
      filterButtons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      const url = new URL(location.href);
      if (status) url.searchParams.set("status", status); else url.searchParams.delete("status");
      history.replaceState({}, "", url.pathname + url.search);
      load(true);
    });
    return button;
  });
  filter.append(...filterButtons);
  section.append(h("h2", { id: "executions-heading" }, "Executions"), filter, body, pager);

  let inFlight = false;
  const load = async (visible) => {
    if (inFlight && !visible) return;
    inFlight = true;
    if (visible) body.replaceChildren(loading("Loading executions…"));
    try {
      const answer = await api.listExecutions(workflowID, { status, cursor: cursors[index] });
      if (!page.alive()) return;
      cursors[index + 1] = answer.next_cursor;
      drawList(answer.executions, answer.next_cursor);
    } catch (error) {
      if (page.alive() && visible) body.replaceChildren(errorState(error, () => load(true)));
    } finally {
      inFlight = false;
    }
  };
  const drawList = (executions, next) => {
    if (!executions.length) {
      body.replaceChildren(h("p", { class: "state empty" }, index > 0 ? "No more executions."
        : status ? `No ${status} executions. Pick another status above.` : "No executions yet. Start one with the form above, or with `sluice run`."));
    } else {
      body.replaceChildren(h("div", { class: "table-scroll" }, h("table", { class: "list", id: "executions" },
        h("caption", { class: "visually-hidden" }, "Executions, newest first"),
        h("thead", {}, h("tr", {}, ["Execution", "Status", "Version", "Created", "Duration"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, executions.map((e) => h("tr", { "data-execution": e.execution_id },
          h("td", {}, h("a", { class: "mono", href: `/ui/executions/${encodeURIComponent(e.execution_id)}` }, e.execution_id)),
          h("td", {}, badge(e.status)),
          h("td", { class: "num" }, `v${e.workflow_version}`),
          h("td", {}, time(e.created_at)),
          h("td", { class: "num" }, e.started_at ? duration(elapsed(e.started_at, e.completed_at)) : "—")))))));
    }
    pager.replaceChildren(
      h("button", { type: "button", disabled: index === 0, onclick: () => { index--; load(true); } }, "← Newer"),
      h("span", { class: "muted small" }, `Page ${index + 1}`),
      h("button", { type: "button", disabled: !next, onclick: () => { index++; load(true); } }, "Older →"));
  };
  const timer = setInterval(() => { if (index === 0 && !document.hidden) load(false); }, 3000);
  page.onLeave(() => clearInterval(timer));
  await load(true);
}

// -------------------------------------------------------------------------- execution page

async function executionPage(page, executionID) {
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
      this.actionError, this.progress, this.errorBox,
      h("section", { class: "card", "aria-labelledby": "graph-heading" },
        h("h2", { id: "graph-heading" }, "Graph", h("span", { class: "muted small" }, " select a task for its details")),
        this.graph.element, statusLegend()),
      h("section", { class: "card", "aria-labelledby": "timeline-heading" }, h("h2", { id: "timeline-heading" }, "Timeline"), this.timeline),
      h("section", { class: "card", "aria-labelledby": "tasks-heading" }, h("h2", { id: "tasks-heading" }, "Tasks"), this.tasks),
      this.io);
    this.drawAll();
    this.ticker = setInterval(() => { if (!this.finished) this.drawClock(); }, 1000);
    this.poller = setInterval(() => { if (!this.finished && !document.hidden) this.refresh(); }, 5000);
    this.page.onLeave(() => this.stop());
    this.openStream();
  }

  stop() {
    clearInterval(this.ticker);
    clearInterval(this.poller);
    this.closeStream();
    for (const log of this.logs.values()) clearTimeout(log.timer);
  }

  // ---- live updates

  openStream() {
    if (this.source || this.finished) { this.drawLive(); return; }
    this.source = new EventSource(api.executionEventsURL(this.execution.workflow_id, this.execution.execution_id, this.lastEventID));
    this.liveState = "connecting";
    this.source.onopen = () => { this.liveState = "live"; this.drawLive(); };
    this.source.onerror = () => {
      // The stream ends when the execution has finished; the browser would reconnect. An answer
      // that is not a stream (a 5xx, say) closes it for good: the next refresh opens a new one.
      if (this.finished) { this.closeStream(); } else {
        this.liveState = "reconnecting";
        if (this.source && this.source.readyState === EventSource.CLOSED) this.source = null;
      }
      this.drawLive();
      this.refresh();
    };
    for (const type of EVENT_TYPES) {
      this.source.addEventListener(type, (message) => {
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

  /** Applies an event's data at once (status colours), then refetches the whole execution. */
  apply(event) {
    const data = event.data || {};
    if (event.type.startsWith("task.")) {
      const task = this.execution.tasks.find((t) => t.task_id === data.task_id);
      if (task) {
        for (const key of ["status", "attempt", "started_at", "completed_at", "next_attempt_at", "wakes_at", "output", "error"]) {
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
        if (this.finished) this.closeStream(); else if (!this.source) this.openStream();
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

  drawClock() {
    const el = this.header.querySelector("[data-duration]");
    if (el) el.textContent = duration(elapsed(this.execution.started_at || this.execution.created_at, this.execution.completed_at));
    this.drawTimeline();
  }

  drawLive() {
    const states = {
      live: ["● Live", "Updates arrive as they happen"],
      connecting: ["○ Connecting…", "Opening the event stream"],
      reconnecting: ["○ Reconnecting…", "The event stream was interrupted; the browser reconnects by itself"],
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
        h("span", {}, "duration ", h("strong", { "data-duration": "" }, duration(elapsed(e.started_at || e.created_at, e.completed_at)))))));
    this.drawActions();
  }

  drawActions() {
    const e = this.execution;
    const buttons = [];
    const act = (label, id, fn, kind) => {
      const button = h("button", { type: "button", id, class: kind });
      button.textContent = label;
      button.addEventListener("click", async () => {
        this.actionError.hidden = true;
        for (const b of this.actions.querySelectorAll("button")) b.disabled = true;
        try {
          await fn();
        } catch (error) {
          this.actionError.hidden = false;
          this.actionError.textContent = `${label} failed: ${error.message}`;
        } finally {
          for (const b of this.actions.querySelectorAll("button")) b.disabled = false;
        }
      });
      buttons.push(button);
    };
    if (e.status === "PENDING" || e.status === "RUNNING") {
      act("Cancel", "cancel-button", async () => {
        this.execution = await api.cancel(e.workflow_id, e.execution_id);
        announce("Execution cancelled");
        this.drawAll(); this.closeStream(); this.drawLive();
      }, "danger");
    }
    if (e.status === "FAILED" || e.status === "CANCELLED") {
      act("Retry", "retry-button", async () => {
        await api.retry(e.workflow_id, e.execution_id);
        announce("Execution retried");
        await this.refresh();
        this.openStream();
      }, "primary");
    }
    if (FINISHED_EXECUTION.has(e.status)) {
      act("Run again", "rerun-button", async () => {
        const started = await api.rerun(e.workflow_id, e.execution_id);
        navigate(`/ui/executions/${encodeURIComponent(started.execution_id)}`);
      }, "");
    }
    this.actions.replaceChildren(...buttons);
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
    const origin = Math.min(...starts, e.started_at ? Date.parse(e.started_at) : Infinity);
    const ends = e.tasks.map((t) => t.completed_at ? Date.parse(t.completed_at) : t.started_at ? Date.now() : origin);
    const end = Math.max(...ends, e.completed_at ? Date.parse(e.completed_at) : 0, origin + 1);
    const span = end - origin;
    const rows = e.tasks.map((t) => {
      const track = h("div", { class: "track" });
      if (t.started_at) {
        const a = Date.parse(t.started_at) - origin;
        const b = (t.completed_at ? Date.parse(t.completed_at) : Date.now()) - origin;
        const bar = h("span", { class: `bar status-${t.status.toLowerCase()}`,
          title: `${t.step_id}: ${t.status}, ${duration(b - a)} (from +${duration(a)})` });
        bar.style.left = `${(100 * a) / span}%`;
        bar.style.width = `max(3px, ${(100 * (b - a)) / span}%)`;
        track.append(bar);
      } else {
        track.append(h("span", { class: "muted small not-started" }, t.status === "SKIPPED" || t.status === "CANCELLED" ? t.status.toLowerCase() : "not started"));
      }
      return h("div", { class: "timeline-row", "data-task": t.step_id },
        h("span", { class: "timeline-label mono", title: t.step_id }, t.step_id), track,
        h("span", { class: "timeline-duration small num" }, t.started_at ? duration(elapsed(t.started_at, t.completed_at)) : ""));
    });
    this.timeline.replaceChildren(...rows,
      h("div", { class: "timeline-axis small muted" }, h("span", {}, time(new Date(origin).toISOString())), h("span", {}, `+${duration(span)}`)));
  }

  drawTasks(force = false) {
    const e = this.execution;
    // Redraw only when something shown changed (keeps a reader's scroll and selection).
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
        h("td", {}, toggle),
        h("td", {}, h("span", { class: `chip type-${typeColour(t.type)}` }, t.type)),
        h("td", {}, badge(t.status), t.status === "RETRYING" && t.next_attempt_at ? h("div", { class: "small muted" }, "next try ", time(t.next_attempt_at)) : null,
          t.wakes_at && t.status === "RUNNING" ? h("div", { class: "small muted" }, "wakes ", time(t.wakes_at)) : null),
        h("td", { class: "num" }, t.attempt ? String(t.attempt) : "—"),
        h("td", {}, time(t.started_at)),
        h("td", { class: "num" }, t.started_at ? duration(elapsed(t.started_at, t.completed_at)) : "—")));
      if (open) rows.push(h("tr", { class: "details-row" }, h("td", { colspan: 6, id: `details-${t.task_id}` }, this.taskDetails(t))));
    }
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("tr[data-task]");
    const focusedTask = focused ? focused.dataset.task : null;
    this.tasks.replaceChildren(h("div", { class: "table-scroll" }, h("table", { class: "list tasks" },
      h("caption", { class: "visually-hidden" }, "Tasks in definition order"),
      h("thead", {}, h("tr", {}, ["Task", "Type", "Status", "Attempt", "Started", "Duration"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows))));
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
    ].filter(Boolean);
    const parts = [h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))];
    if (t.error) {
      parts.push(h("div", { class: "error-box", "data-part": "error" }, h("strong", {}, "Error"), t.error.code ? h("span", { class: "muted" }, ` (${t.error.code})`) : null, h("p", {}, linkIDs(t.error.message))));
    }
    const io = h("div", { class: "two-columns" });
    io.append(h("div", {}, h("h4", {}, "Input"), "input" in t ? jsonBlock(t.input, { "data-part": "input" }) : h("p", { class: "muted" }, "Not known yet.")));
    io.append(h("div", {}, h("h4", {}, "Output"), "output" in t ? jsonBlock(t.output, { "data-part": "output" }) : h("p", { class: "muted" }, FINISHED_TASK.has(t.status) ? "None." : "Not produced yet.")));
    parts.push(io);
    if (t.attempts && t.attempts.length) {
      parts.push(h("h4", {}, "Failed attempts"), h("ol", { class: "attempts", "data-part": "attempts" }, t.attempts.map((a) => h("li", { value: a.attempt },
        h("span", {}, `attempt ${a.attempt}: `), h("span", {}, a.error.message),
        h("span", { class: "muted small" }, ` · ${a.error.retryable ? "retryable" : "not retryable"} · ${duration(elapsed(a.started_at, a.completed_at))}, `, time(a.started_at))))));
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

function statusLegend() {
  return h("ul", { class: "legend", "aria-label": "Task statuses" },
    ["PENDING", "RUNNING", "RETRYING", "COMPLETED", "FAILED", "SKIPPED", "CANCELLED"].map((s) =>
      h("li", {}, h("span", { class: `swatch status-${s.toLowerCase()}` }), s.toLowerCase())));
}

// --------------------------------------------------------------------------------------- go

shell();
render();
